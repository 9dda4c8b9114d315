/**
 * A drawing file given by flag that is not there (`axon sim --robot ws://... --mjcf|--urdf FILE`,
 * `axon replay REC --view --mjcf|--urdf FILE`) is the flag's fault: a usage error naming the flag
 * and the path, exit 2, before the client connects or the recording is read. Before, a missing
 * --mjcf was MuJoCo's MUJOCO_MJCF_FILE naming only the path (a missing --urdf: URDF_FILE), and
 * replay's REPLAY_MODEL came once the recording was read and the viewer was being set up.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { axonChildren } from '../helpers/axonChildren.ts';
import { zeroPositionPolicy } from '../helpers/onnxFixtures.ts';

const { open, axon } = axonChildren();
const dir = mkdtempSync(join(tmpdir(), 'axon-drawing-flags-'));
const missing = join(dir, 'no_such_robot.xml');
const folder = join(dir, 'scene.xml');
mkdirSync(folder);

/** One line on stderr, CLI_USAGE naming the flag and the path, exit 2. */
async function expectFlagError(r: ReturnType<typeof axon>, flag: string, says: string) {
  expect(await r.done, r.err).toBe(2);
  const lines = r.err.trim().split('\n').filter((l) => !l.startsWith('(run with --help'));
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toContain(`[CLI_USAGE]: ${flag}: ${says}`);
}

describe('a drawing file that is not there is a usage error naming its flag', () => {
  it('sim --robot ws://... --mjcf|--urdf: refused before anything connects', async () => {
    // A listener standing in for the bridge server: it counts connections, and sees none.
    let connections = 0;
    const server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise<void>((r) => server.close(() => r())) });
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const policy = zeroPositionPolicy(['ffj0', 'ffj1', 'thj0', 'thj1'], { robot: 'allegro_right' });
    const client = (...args: string[]) => axon(['sim', '--robot', url, '--token', 'secret-token', '--policy', policy, '--record', join(dir, 'client.mcap'), '--duration', '1', ...args]);
    await expectFlagError(client('--mjcf', missing), '--mjcf', `no such file ${missing}`);
    await expectFlagError(client('--mjcf', folder), '--mjcf', `${folder} is a folder`);
    await expectFlagError(client('--urdf', join(dir, 'no_such_robot.urdf')), '--urdf', `no such file ${join(dir, 'no_such_robot.urdf')}`);
    expect(connections).toBe(0);
  }, 120_000);

  it('replay REC --view --mjcf|--urdf: refused before the recording is read and the viewer opens', async () => {
    const mcap = join(dir, 'run.mcap');
    const rec = axon(['sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--duration', '0.1', '--fast', '--record', mcap]);
    expect(await rec.done, rec.err).toBe(0);
    const replay = (...args: string[]) => axon(['replay', mcap, '--view', '--view-port', '0', '--speed', '100', ...args]);
    await expectFlagError(replay('--mjcf', missing), '--mjcf', `no such file ${missing}`);
    await expectFlagError(replay('--mjcf', folder), '--mjcf', `${folder} is a folder`);
    await expectFlagError(replay('--urdf', join(dir, 'gone.urdf')), '--urdf', `no such file ${join(dir, 'gone.urdf')}`);
  }, 120_000);
});
