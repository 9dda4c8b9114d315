/**
 * `--stop-needs-token`: the documented way to keep a client without the token from stopping the
 * robot on a server exposed beyond the robot's own network (docs/safety.md, "Stopping is always
 * allowed") is a flag of `sim`/`run`/`teleop --view` and of `axon bridge`; before, only API users
 * could set it (review R18 finding 8).
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { runAxon } from '../helpers/cli.ts';
import { startSim, type SimProcess } from '../helpers/viewerE2e.ts';
import { RawClient, waitUntil } from '../hardware/bridge/helpers.ts';
import { ErrorCode } from '../../hardware/bridge/protocol.ts';

const P = 'models/cartpole-balance';
const running: { stop(): unknown }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});

/** A viewer client: the hello, then the ack to `cmd`. */
async function helloAndAck(url: string, cmd: string) {
  const ws = new WebSocket(url);
  const texts: any[] = [];
  ws.on('message', (d, binary) => void (binary || texts.push(JSON.parse(d.toString()))));
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  await waitUntil(() => texts.some((t) => t.type === 'hello'), 'the hello');
  ws.send(JSON.stringify({ type: 'cmd', cmd }));
  await waitUntil(() => texts.some((t) => t.type === 'ack'), `the ack to ${cmd}`);
  ws.close();
  return { hello: texts.find((t) => t.type === 'hello'), ack: texts.find((t) => t.type === 'ack') };
}

describe('--stop-needs-token', () => {
  it('sim --view --stop-needs-token: a page without the token is told it cannot stop, and its E-STOP is refused', async () => {
    const sim: SimProcess = await startSim(['--robot', 'cartpole', '--policy', P, '--duration', '60', '--stop-needs-token']);
    running.push(sim);
    const ws = sim.url.replace('http://', 'ws://').replace('/?', '/ws?');
    const without = await helloAndAck(ws.replace(/\?token=.*/, ''), 'estop');
    expect(without.hello).toMatchObject({ canCommand: false, canStop: false });
    expect(without.ack).toMatchObject({ cmd: 'estop', ok: false, safetyState: 'running' });
    const withToken = await helloAndAck(ws, 'estop');
    expect(withToken.hello).toMatchObject({ canCommand: true, canStop: true });
    expect(withToken.ack).toMatchObject({ cmd: 'estop', ok: true, safetyState: 'e-stopped' });
  }, 120_000);

  it('is refused without --view, naming both (exit 2)', () => {
    const r = runAxon(['sim', '--robot', 'cartpole', '--policy', P, '--duration', '0.1', '--stop-needs-token'], 60_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('--stop-needs-token: only applies with --view');
  }, 90_000);

  it('axon bridge --stop-needs-token: a client without the token cannot e-stop the served robot', async () => {
    const child = spawn(process.execPath, ['bin/axon.js', 'bridge', '--sim', 'cartpole', '--port', '0', '--token', 'T18', '--stop-needs-token', '--duration', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise((r) => child.on('exit', r));
    running.push({ stop: () => (child.exitCode === null && child.kill('SIGINT'), exited) });
    await waitUntil(() => /listening on (ws:\/\/\S+)/.test(out) || child.exitCode !== null, 'the listening line', 60_000);
    expect(out).toMatch(/listening on ws:/);
    const c = await RawClient.open(/listening on (ws:\/\/\S+)/.exec(out)![1]);
    try {
      expect(await c.errorAfter(() => c.json({ type: 'estop', reason: 'visitor' }))).toMatchObject({ code: ErrorCode.AUTH_REQUIRED });
      await new Promise((r) => setTimeout(r, 200));
      expect(out).not.toContain('e-stopped');
    } finally {
      c.close();
    }
  }, 120_000);
});
