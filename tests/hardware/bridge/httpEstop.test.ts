/**
 * `POST /estop` (hardware/PROTOCOL.md section 7, "E-stop over HTTP"): a stop client that connects
 * only when it needs to stop gets through while a token-less local process uses up every upgrade
 * bound; the token and Origin rules of an `estop` message hold for it; a loop of requests is not a
 * flood of statuses; `axon bridge` counts it in its summary.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { BridgeServer } from '../../../hardware/bridge/index.ts';
import { commandBytes, encodeCommand } from '../../../hardware/bridge/frames.ts';
import { closedAfterEach, RawClient, startServer, waitUntil } from './helpers.ts';

const TOKEN = 'secret-token';
const keep = closedAfterEach();
const serve = async (o: Parameters<typeof startServer>[0] = {}): Promise<BridgeServer> => keep(await startServer(o));
const effort = (seq: number, value: number): Buffer => {
  const b = Buffer.alloc(commandBytes(1, 0));
  encodeCommand(b, 1, seq, 0, 0, { mode: 'effort', target: new Float64Array([value]) });
  return b;
};
const httpOf = (s: BridgeServer): string => s.url.replace(/^ws:/, 'http:');

async function post(url: string, headers: Record<string, string> = {}, method = 'POST'): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { method, headers, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

describe('POST /estop', () => {
  it('stops the robot while a token-less process holds every upgrade slot and the upgrade bucket is empty', async () => {
    const s = await serve({ now: () => 10, paced: false, limits: { upgradesPerS: 1e-6, maxTokenlessConnections: 3 } });
    for (let i = 0; i < 3; i++) keep(await RawClient.open(s.url));
    // The WebSocket way in is shut for a stop client without the token:
    const refused = await post(httpOf(s), { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'axon-bridge.v1' }, 'GET').catch(() => ({ status: 0 }));
    expect(refused.status).not.toBe(101);
    const r = await post(`${httpOf(s)}/estop?reason=${encodeURIComponent('hand on the red button')}`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ type: 'status', robotState: 'e-stopped', cause: 'estop' });
    expect(s.robotState).toBe('e-stopped');
    expect(s.httpEstops).toBe(1);
  });

  it('stops a robot being commanded, and its clients are told who stopped it', async () => {
    const s = await serve({ paced: false });
    const commander = keep(await RawClient.open(s.url));
    await commander.auth(TOKEN, 'command');
    commander.bin(effort(1, 0.5));
    await waitUntil(() => s.robotState === 'running', 'the robot running');
    expect((await post(`${httpOf(s)}/estop`)).status).toBe(200);
    expect(s.robotState).toBe('e-stopped');
    const status = await commander.next((m) => m.type === 'status' && m.robotState === 'e-stopped');
    expect(status.reason).toMatch(/^e-stop over HTTP from 127\.0\.0\.1:\d+$/);
  });

  it('needs the token on a server with stopNeedsToken (authorization: Bearer), as an estop message does', async () => {
    const s = await serve({ stopNeedsToken: true });
    const none = await post(`${httpOf(s)}/estop`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(none.body).toMatch(/needs the token/);
    expect((await post(`${httpOf(s)}/estop`, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect(s.robotState).toBe('idle');
    expect((await post(`${httpOf(s)}/estop`, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect(s.robotState).toBe('e-stopped');
  });

  it("refuses another site's page (Origin) and lets an allowed origin stop", async () => {
    const s = await serve({ allowOrigins: ['http://localhost:3000'] });
    const evil = await post(`${httpOf(s)}/estop`, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.body).toMatch(/origin "https:\/\/evil\.example" may not e-stop/);
    expect(s.robotState).toBe('idle');
    expect((await post(`${httpOf(s)}/estop`, { origin: 'http://localhost:3000' })).status).toBe(200);
    expect(s.robotState).toBe('e-stopped');
  });

  it('takes POST only; any other path is the WebSocket endpoint (426)', async () => {
    const s = await serve();
    const get = await post(`${httpOf(s)}/estop`, {}, 'GET');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await post(`${httpOf(s)}/stop`)).status).toBe(426);
    expect((await post(httpOf(s), {}, 'GET')).status).toBe(426);
    expect(s.robotState).toBe('idle');
  });

  it('a loop of requests stops every time but tells the clients once a second at most', async () => {
    const clock = { t: 10 };
    const s = await serve({ now: () => clock.t, paced: false });
    const observer = keep(await RawClient.open(s.url));
    await observer.auth(TOKEN, 'observe');
    for (let i = 0; i < 20; i++) expect((await post(`${httpOf(s)}/estop`)).status).toBe(200);
    clock.t += 1.5;
    expect((await post(`${httpOf(s)}/estop?reason=again`)).status).toBe(200);
    await observer.next((m) => m.type === 'status' && /again/.test(String(m.reason)));
    expect(s.httpEstops).toBe(21);
    expect(observer.messages.filter((m) => m.type === 'status' && m.cause === 'estop')).toHaveLength(2);
  });
});

describe('axon bridge', () => {
  it('counts the e-stops that came over HTTP in its summary', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/hardware/bridge/fixtures/axon.ts', 'bridge', '--sim', 'cartpole', '--port', '0', '--duration', '3', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await waitUntil(() => /listening on (ws:\/\/\S+)/.test(stdout), `the listening line (stdout: ${stdout} stderr: ${stderr})`, 20_000);
      const url = /listening on (ws:\/\/\S+)/.exec(stdout)![1].replace(/^ws:/, 'http:');
      expect((await post(`${url}/estop?reason=curl`)).status).toBe(200);
      expect(await code).toBe(0);
      const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
      expect(summary.http_estops).toBe(1);
      expect(summary.robot_state).toBe('e-stopped');
    } finally {
      child.kill('SIGKILL');
    }
  }, 40_000);
});
