/**
 * R11 F4: a joint named twice in `manifest from-isaaclab|from-legged-gym --joints` (a copy-paste
 * slip, its neighbour missing) was reported as `env.yaml: actions: drive joint "X" in two terms`,
 * blaming a file with one action term. It is refused as the flag's, as --sdk-joints is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manifestCommand } from '../../../src/cli/commands/manifest.ts';
import { writeHeldFixture } from '../../helpers/isaaclabHeld.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-joints-twice-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function refusal(...args: string[]): Promise<unknown> {
  try {
    await manifestCommand().exitOverride().parseAsync(args, { from: 'user' });
  } catch (e) {
    return e;
  }
  throw new Error(`expected manifest ${args.join(' ')} to be refused`);
}

// The articulation's order as Python prints it, right_ankle_roll_joint pasted over by its left twin.
const TWICE = "['left.hip-pitch_joint', 'right.hip-pitch_joint', 'waist.yaw', 'left.knee-joint', 'right.knee-joint', 'head_joint', 'head2_joint', 'left_ankle_pitch_joint', 'right_ankle_pitch_joint', 'left_ankle_roll_joint', 'left_ankle_roll_joint']";

describe('manifest --joints naming a joint twice', () => {
  it.each(['from-isaaclab', 'from-legged-gym'])('%s: CLI_USAGE naming --joints and the joint, not the config', async (sub) => {
    const { env } = writeHeldFixture(dir);
    const e = await refusal(sub, env, '--joints', TWICE, '--out', join(dir, 'm.json'));
    expect(e).toMatchObject({ code: 'CLI_USAGE', where: '--joints' });
    expect((e as Error).message).toContain('names "left_ankle_roll_joint" twice');
    expect((e as Error).message).not.toContain('env.yaml');
  });
});
