/**
 * `axon sim --robot ws://...` ends as the other live runs do (docs/cli.md): a run the served
 * robot's stop ended exits 1 naming it (as `axon run` and `teleop` on a fault), and a recording
 * that dropped ticks exits 4 unless --allow-drops. Both used to exit 0 over the bridge: the
 * client's summary said `ended_by: "fault"` and `success: true`, and --allow-drops was accepted
 * but read by nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { RunOutputs } from '../../../src/cli/outputs.ts';
import { createSimRobot } from '../../../sim/index.ts';
import { startServer, waitUntil } from './helpers.ts';
import type { BridgeServer } from '../../../hardware/bridge/BridgeServer.ts';

let server: BridgeServer | undefined;
afterEach(async () => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
  await server?.close();
  server = undefined;
});

/** Runs `axon sim` against `url` in this process: exit code, stdout lines and stderr. */
async function simClient(url: string, extra: string[], during?: () => Promise<void>) {
  const out: string[] = [];
  let err = '';
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (err += `${a.join(' ')}\n`));
  const write = process.stderr.write.bind(process.stderr);
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof s === 'string') err += s;
    else return write(s, ...(rest as []));
    return true;
  });
  const argv = ['node', 'axon', 'sim', '--robot', url, '--token', 'secret-token', '--policy', 'models/cartpole-balance', '--json', ...extra];
  const [code] = await Promise.all([main(argv), during?.()]);
  return { code, summary: JSON.parse(out.at(-1)!) as Record<string, unknown>, stderr: err };
}

describe('axon sim over the bridge: exit codes', () => {
  it('exits 1 naming the stop when the served robot is e-stopped mid-run', async () => {
    server = await startServer({ robot: createSimRobot('cartpole') });
    const s = server;
    const r = await simClient(s.url, ['--duration', '2'], async () => {
      await waitUntil(() => s.robotState === 'running', 'the client to arm the served robot', 15_000);
      s.estop('operator drill');
    });
    expect(r.summary).toMatchObject({ ended_by: 'fault', safety: { state: 'safe-stop' }, bridge: { server_state: 'e-stopped' }, episode: { success: false } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/axon: failed: the run ended on a robot fault .*served robot is e-stopped \(.*operator drill\)/);
  });

  it('exits 4 when its recording dropped ticks, 0 with --allow-drops', async () => {
    server = await startServer({ robot: createSimRobot('cartpole') });
    // The writer keeps up on a 0.3 s run; make it one that fell behind (5 ticks lost), as a loaded disk does.
    const finish = RunOutputs.prototype.finish;
    vi.spyOn(RunOutputs.prototype, 'finish').mockImplementation(async function (this: RunOutputs, ...a: Parameters<RunOutputs['finish']>) {
      const done = await finish.apply(this, a);
      if (done.record) Object.assign(done.record, { dropped: 5, written: done.record.written - 5 });
      return done;
    });
    const dir = mkdtempSync(join(tmpdir(), 'axon-bridge-drops-'));
    const dropped = await simClient(server.url, ['--duration', '0.3', '--record', join(dir, 'a.mcap')]);
    expect(dropped.summary).toMatchObject({ ended_by: 'duration', record: { dropped: 5 } });
    expect(dropped.code).toBe(4);
    expect(dropped.stderr).toMatch(/the MCAP recording dropped 5 of \d+ ticks\n/);
    process.exitCode = undefined;
    const allowed = await simClient(server.url, ['--duration', '0.3', '--record', join(dir, 'b.mcap'), '--allow-drops']);
    expect(allowed.stderr).toContain('(allowed by --allow-drops)');
    expect(allowed.code).toBe(0);
  });
});
