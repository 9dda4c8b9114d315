import { afterAll, describe, expect, it } from 'vitest';
import { Command } from '@commander-js/extra-typings';
import { rmSync } from 'node:fs';
import { flagGiven, refuseOrphans, refuseUnreadCommand, WORLD_MODEL_COMPANIONS } from '../../../src/cli/companions.ts';
import { velocityPolicy } from '../../helpers/velocityPolicy.ts';
import { addWorldModelOptions } from '../../../src/cli/commands/eval.ts';

/** A command with a flag that has a default (given or not is told by its source, not its value). */
function parsed(...argv: string[]) {
  const cmd = new Command('t').option('--async', 'a', false).option('--stall-ms <ms>', 's', Number, 200);
  cmd.exitOverride().parse(argv, { from: 'user' });
  return { cmd, o: cmd.opts() };
}

describe('refuseOrphans', () => {
  const rules = [{ flag: '--stall-ms', needs: '--async', ok: (o: { async: boolean }) => o.async }];

  it('a flag left at its default is not "given"; one typed is, even with the default value', () => {
    expect(flagGiven(parsed().cmd, '--stall-ms')).toBe(false);
    expect(flagGiven(parsed('--stall-ms', '200').cmd, '--stall-ms')).toBe(true);
    expect(() => flagGiven(parsed().cmd, '--nope')).toThrow('no option --nope');
  });

  it('refuses the flag without its companion, naming both; accepts it with it, and its absence', () => {
    const a = parsed('--stall-ms', '50');
    expect(() => refuseOrphans(a.cmd, a.o, rules)).toThrow(expect.objectContaining({ code: 'CLI_USAGE', where: '--stall-ms', message: '--stall-ms: only applies with --async (expected --async, or no --stall-ms)' }));
    const b = parsed('--stall-ms', '50', '--async');
    expect(() => refuseOrphans(b.cmd, b.o, rules)).not.toThrow();
    const c = parsed();
    expect(() => refuseOrphans(c.cmd, c.o, rules)).not.toThrow();
  });

  it('world-model settings follow the mode as worldModelFromFlags decides it (plan without a policy, else monitor)', () => {
    // The flags as sim, eval and run declare them.
    const check = (...argv: string[]) => {
      const cmd = addWorldModelOptions(new Command('t').option('--policy <dir>')).exitOverride();
      cmd.parse(argv, { from: 'user' });
      return () => refuseOrphans(cmd, cmd.opts(), WORLD_MODEL_COMPANIONS);
    };
    expect(check('--world-model', 'w', '--samples', '8')).not.toThrow(); // no policy: plan
    expect(check('--world-model', 'w', '--policy', 'p', '--samples', '8')).toThrow('--samples: only applies with --world-model DIR --wm-mode plan; the mode is monitor');
    expect(check('--world-model', 'w', '--temperature', '0.2')).not.toThrow();
    expect(check('--world-model', 'w', '--planner', 'cem', '--temperature', '0.2')).toThrow('the planner is cem');
    expect(check('--world-model', 'w', '--planner', 'cem', '--elite', '0.2')).not.toThrow();
    expect(check('--wm-mode', 'plan')).toThrow('--wm-mode: only applies with --world-model DIR');
  });
});

describe('refuseUnreadCommand', () => {
  const reads = velocityPolicy();
  afterAll(() => rmSync(reads, { recursive: true, force: true }));
  const command = [0.5, 0, 0];

  it('takes a command a policy or the world model reads, and no command at all', () => {
    expect(() => refuseUnreadCommand({ command, policy: reads })).not.toThrow();
    expect(() => refuseUnreadCommand({ command, policy: 'models/cartpole-balance', worldModel: reads })).not.toThrow();
    expect(() => refuseUnreadCommand({ command, worldModel: reads })).not.toThrow();
    expect(() => refuseUnreadCommand({ policy: 'models/cartpole-balance' })).not.toThrow();
  });

  it('refuses one nothing reads, saying why', () => {
    expect(() => refuseUnreadCommand({ command, policy: 'models/cartpole-balance' })).toThrow("--command: 0.5,0,0 would be read by nothing: models/cartpole-balance's manifest has no velocity_commands observation term");
    expect(() => refuseUnreadCommand({ command, policy: 'models/cartpole-balance', worldModel: 'models/cartpole-wm' })).toThrow("nor has models/cartpole-wm's");
    expect(() => refuseUnreadCommand({ command })).toThrow('there is no --policy (the robot holds its default pose)');
    expect(() => refuseUnreadCommand({ command, worldModel: 'models/cartpole-wm' })).toThrow("there is no --policy and models/cartpole-wm's manifest has no velocity_commands term");
  });
});
