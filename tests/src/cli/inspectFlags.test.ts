/**
 * `axon inspect`'s robot set-up flags without a robot file: the refusal names the file each flag
 * acts on. --fixed-base used to ask for "--urdf FILE or --mjcf FILE as well", and the user who
 * then added --mjcf was refused again (an MJCF's own file decides its base).
 */
import { describe, expect, it } from 'vitest';
import { inspectCommand } from '../../../src/cli/commands/inspect.ts';

async function refusal(...args: string[]): Promise<unknown> {
  try {
    await inspectCommand().exitOverride().parseAsync(['models/cartpole-balance', ...args], { from: 'user' });
  } catch (e) {
    return e;
  }
  throw new Error(`expected inspect ${args.join(' ')} to be refused`);
}

describe('axon inspect: set-up flags without a robot file', () => {
  it('--fixed-base asks for --urdf alone, the flag it needs', async () => {
    const e = await refusal('--fixed-base');
    expect(e).toMatchObject({ code: 'CLI_USAGE', where: '--fixed-base' });
    expect((e as Error).message).toContain('expected --urdf FILE as well');
    expect((e as Error).message).not.toContain('--mjcf');
  });

  it('--imu-link asks for --urdf or --mjcf (it acts on both)', async () => {
    expect(await refusal('--imu-link', 'imu')).toMatchObject({ code: 'CLI_USAGE', where: '--imu-link', message: expect.stringContaining('expected --urdf FILE or --mjcf FILE as well') });
  });

  it('--fixed-base with --mjcf is refused as the MJCF file\'s to say', async () => {
    expect(await refusal('--mjcf', 'scene.xml', '--fixed-base')).toMatchObject({ where: '--fixed-base', message: expect.stringContaining('does not apply to an MJCF model') });
  });
});
