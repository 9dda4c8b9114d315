import { describe, expect, it } from 'vitest';
import { CommanderError } from '@commander-js/extra-typings';
import { buildProgram } from '../../../src/cli/main.ts';
import { runAxon } from '../../helpers/cli.ts';

/**
 * A flag missing its value swallowed the next flag (`--robot --policy DIR`: "too many arguments",
 * naming neither), and a single-value flag given twice silently took the last (`--robot humanoid
 * --robot cartpole` ran the cartpole). The commands' actions are replaced: only the parse is tested.
 */
function parse(...args: string[]): { error?: string; opts?: Record<string, unknown> } {
  const program = buildProgram();
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  let opts: Record<string, unknown> | undefined;
  for (const c of program.commands) {
    c.configureOutput({ writeErr: () => {}, writeOut: () => {} });
    c.action(function (this: typeof c) {
      opts = this.opts();
    });
  }
  try {
    program.parse(['node', 'axon', ...args]);
  } catch (e) {
    if (e instanceof CommanderError) return { error: e.message };
    throw e;
  }
  return { opts };
}

describe('an option missing its value', () => {
  it('sim --robot --policy DIR: names --robot and the flag it would have taken', () => {
    const r = parse('sim', '--robot', '--policy', 'models/cartpole-balance', '--fast');
    expect(r.error).toMatch(/option '--robot <name>' argument '--policy' is invalid\. missing its value: the next word, --policy, is a flag/);
  });

  it('eval --policy --seed 3, and --flag=value forms', () => {
    expect(parse('eval', '--robot', 'cartpole', '--policy', '--seed', '3').error).toContain("option '--policy <dir>' argument '--seed' is invalid. missing its value");
    expect(parse('eval', '--robot', 'cartpole', '--policy', '--seed=3').error).toContain('missing its value');
  });

  it('a value that only looks like a flag (not one of the command\'s) is a value', () => {
    expect(parse('sim', '--robot', 'cartpole', '--policy', '--not-a-flag', '--fast').opts?.policy).toBe('--not-a-flag');
  });
});

describe('a single-value option given twice', () => {
  it.each([
    [['sim', '--robot', 'humanoid', '--robot', 'cartpole'], '--robot'],
    [['sim', '--robot', 'cartpole', '--duration', '0.2', '--duration', '0.4'], '--duration'],
    [['sim', '--robot', 'cartpole', '--physics', 'cannon', '--physics', 'mujoco'], '--physics'],
    [['run', '--config', 'a.json', '--policy', 'p', '--port', '/dev/ttyUSB0', '--port', '/dev/ttyUSB1'], '--port'],
  ])('%j is refused naming %s', (args, flag) => {
    expect(parse(...args).error).toContain(`${flag} was given twice: it takes one value`);
  });

  it('once after its default is fine; parsers and choices still apply', () => {
    expect(parse('sim', '--robot', 'cartpole', '--duration', '0.2').opts).toMatchObject({ robot: 'cartpole', duration: 0.2 });
    expect(parse('sim', '--robot', 'cartpole', '--duration', '-1').error).toContain('expected a positive number');
    expect(parse('sim', '--robot', 'cartpole', '--physics', 'nosuch').error).toContain('Allowed choices are cannon, mujoco');
  });

  it('a flag meant to repeat (--urdf-package-path) takes each use', () => {
    expect(parse('sim', '--urdf', 'r.urdf', '--urdf-package-path', 'a', '--urdf-package-path', 'b').opts?.urdfPackagePath).toEqual(['a', 'b']);
  });
});

describe('axon help NAME', () => {
  it('an unknown NAME is exit 2 with a line naming it (commander printed the whole usage, saying nothing)', () => {
    const r = runAxon(['help', 'nosuch'], 60_000);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^axon: error \[CLI_USAGE\]: help: unknown command 'nosuch' \(expected one of sim, eval, .*\)$/);
    expect(r.stdout).toBe('');
  });
});
