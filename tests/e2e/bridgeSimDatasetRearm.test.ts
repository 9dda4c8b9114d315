/**
 * `axon sim --robot ws://... --record R` is a live run: the viewer's Disarm then Arm (an operator's
 * re-arm) starts the next episode in `axon export lerobot R`, as for `run` and `teleop`
 * (docs/dataset.md "How an episode ended"). `--dataset` is refused with a bridged robot (sim.ts:
 * "--record FILE then axon export lerobot"), so export is the way. Review R8 finding 4: export
 * split only run/teleop recordings, so everything after the re-arm was "held" in one safe_stop episode.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { readDataset } from '../../src/dataset/index.ts';
import { exportLerobot } from '../../src/dataset/exportLerobot.ts';
import { createSimRobot } from '../../sim/index.ts';
import { startServer, waitUntil } from '../hardware/bridge/helpers.ts';
import { axonChildren } from '../helpers/axonChildren.ts';

const { open, axon } = axonChildren();
const dir = mkdtempSync(join(tmpdir(), 'axon-bridge-rearm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('bridged sim --record, exported: the page re-arms after its own Disarm', () => {
  it('two episodes in the export of --record, the second with frames, ended as the run did', async () => {
    const server = await startServer({ robot: createSimRobot('cartpole'), commandTimeoutS: 5 }); // a loaded test machine must not trip the deadman
    open.push(server);
    const rec = join(dir, 'run.mcap'), ex = join(dir, 'ex');
    const run = axon(['sim', '--robot', server.url, '--token', 'secret-token', '--policy', 'models/cartpole-balance', '--duration', '6', '--view', '--view-port', '0', '--record', rec, '--json']);
    let url = '';
    await waitUntil(() => (url = /axon viewer: (http:\/\/\S+)/.exec(run.err + run.out)?.[1] ?? '') !== '', 'the viewer URL', 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${run.err}${run.out}`);
    });
    const ws = new WebSocket(url.replace('http://', 'ws://').replace('/?', '/ws?'));
    open.push({ close: () => ws.terminate() });
    const acks: { cmd: string; ok: boolean; message: string }[] = [];
    ws.on('message', (d, binary) => {
      if (binary) return;
      const m = JSON.parse(d.toString());
      if (m.type === 'ack') acks.push(m);
    });
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    await waitUntil(() => server.robotState === 'running', 'the served robot armed', 30_000);
    await sleep(1000);
    ws.send(JSON.stringify({ type: 'cmd', cmd: 'disarm' }));
    await waitUntil(() => acks.length === 1, 'the disarm ack');
    // The page's Disarm reaches the served robot as its e-stop (latched there); the page's Arm
    // does not leave a server's stop (docs/viewer.md): refused until the server's operator resets.
    await waitUntil(() => server.robotState === 'e-stopped', 'the served robot e-stopped', 10_000);
    ws.send(JSON.stringify({ type: 'cmd', cmd: 'arm' }));
    await waitUntil(() => acks.length === 2, 'the refused arm ack');
    server.reset('console');
    await waitUntil(() => server.robotState === 'idle', 'the served robot reset', 10_000);
    await sleep(300);
    ws.send(JSON.stringify({ type: 'cmd', cmd: 'arm' }));
    await waitUntil(() => acks.length === 3, 'the arm ack');
    expect(acks.map((a) => [a.cmd, a.ok])).toEqual([['disarm', true], ['arm', false], ['arm', true]]);
    await waitUntil(() => server.robotState === 'running', 'the served robot re-armed', 10_000);
    const code = await run.done;
    const summary = JSON.parse(run.out.trim().split('\n').pop()!);
    // The server's reset left it idle without this client's arming: a fault of the run, which the
    // page's Arm then cleared (docs/bridge.md): the run ends 'fault', exit 1.
    expect([code, summary.ended_by], run.err).toEqual([1, 'fault']);
    const x = await exportLerobot([rec], { out: ex, task: 'balance' });
    expect(x.episodes_written).toBe(2);
    const d = await readDataset(ex);
    expect(d.episodes.map((e) => e['axon/ended_by'])).toEqual(['safe_stop', 'fault']);
    expect(d.episodes[0]['axon/stop_reason']).toContain('operator disarm (viewer)');
    expect(d.episodes[1].length).toBeGreaterThan(50); // 50 Hz: the run went on for seconds after the re-arm
  }, 120_000);
});
