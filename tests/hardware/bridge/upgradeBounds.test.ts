/**
 * The bounds on new connections and the commander's bucket (PROTOCOL.md section 1, "Bounds";
 * docs/bridge.md, "A client that floods"), against what a token-less local process can do with
 * them: it cannot keep a token holder out (the token rides in the upgrade), it cannot open more
 * than maxTokenlessConnections, and a commander at a 4 kHz loop rate never meets its bucket.
 * axon's client retries a 503 within its connect timeout.
 */
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { BridgeServer } from '../../../hardware/bridge/index.ts';
import { connectBridgeRobot } from '../../../hardware/bridge/BridgeRobot.ts';
import { commandBytes, encodeCommand } from '../../../hardware/bridge/frames.ts';
import { SUBPROTOCOL } from '../../../hardware/bridge/protocol.ts';
import { createSimRobot } from '../../../sim/robots/index.ts';
import { closedAfterEach, RawClient, record, startServer, waitUntil } from './helpers.ts';

const TOKEN = 'secret-token';
/** `x`, closed after the test. */
const keep = closedAfterEach();
/** Moves the virtual clock of an unpaced server by 10 ms every 5 ms and runs its steps (state frames), until the test ends. */
const pump = (s: BridgeServer, clock: { t: number }): void => {
  const h = setInterval(() => {
    clock.t += 0.01;
    s.runDue();
  }, 5);
  keep({ close: () => clearInterval(h) });
};
const serve = async (o: Parameters<typeof startServer>[0] = {}): Promise<BridgeServer> => keep(await startServer(o));
const effort = (seq: number, value: number): Buffer => {
  const b = Buffer.alloc(commandBytes(1, 0));
  encodeCommand(b, 1, seq, 0, 0, { mode: 'effort', target: new Float64Array([value]) });
  return b;
};

/** An upgrade's answer: its status (101 when let in, the socket then kept open until the test ends) and body. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; ws: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [SUBPROTOCOL], { headers });
    ws.on('error', () => {});
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body, ws });
        ws.terminate();
      });
    });
    ws.once('open', () => {
      keep({ close: () => ws.terminate() });
      resolve({ status: 101, body: '', ws });
    });
    ws.once('error', (e) => reject(e));
  });
}

describe('new connections while a token-less process uses up the upgrade bound', () => {
  it('an upgrade with the token (authorization: Bearer) is let in and can e-stop; a wrong token is not let past the bound', async () => {
    const clock = { t: 10 }; // the upgrade bucket all but never refills
    const s = await serve({ now: () => clock.t, paced: false, limits: { upgradesPerS: 1e-6 } });
    pump(s, clock);
    for (let i = 0; i < 20; i++) expect((await upgrade(s.url)).status).toBe(101);
    const refused = await upgrade(s.url);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatch(/over 20 new connections at once or [0-9.e-]+\/s without the token/);
    expect((await upgrade(s.url, { authorization: 'Bearer wrong-token' })).status).toBe(503);
    expect((await upgrade(s.url, { authorization: TOKEN })).status).toBe(503); // not a Bearer header
    const withToken = await upgrade(s.url, { authorization: `Bearer ${TOKEN}` });
    expect(withToken.status).toBe(101);
    withToken.ws.send(JSON.stringify({ type: 'estop', reason: 'operator' }));
    await waitUntil(() => s.robotState === 'e-stopped', 'the e-stop from the new connection');
    // axon's own client sends the token in its upgrade: a commander reconnecting is let in.
    const robot = await connectBridgeRobot(s.url, { token: TOKEN, role: 'observe', connectTimeoutS: 2 });
    keep({ close: () => robot.close() });
    expect(s.refusals.upgradesRefused).toBe(3);
  });

  it('at most maxTokenlessConnections (default 32) without the token are open; token holders are not refused', async () => {
    const t = 10;
    const s = await serve({ now: () => t, paced: false, limits: { burstUpgrades: 1000 } });
    const first: RawClient[] = [];
    for (let i = 0; i < 32; i++) first.push(keep(await RawClient.open(s.url)));
    const over = await upgrade(s.url);
    expect(over.status).toBe(503);
    expect(over.body).toMatch(/32 connections without the token already open/);
    expect((await upgrade(s.url, { authorization: `Bearer ${TOKEN}` })).status).toBe(101);
    // One that authenticates with the token no longer counts: a token-less one fits again.
    expect(await first[0].auth(TOKEN, 'observe')).toMatchObject({ type: 'auth_ok' });
    expect((await upgrade(s.url)).status).toBe(101);
    expect((await upgrade(s.url)).status).toBe(503);
  });
});

describe('refused upgrades are told', () => {
  it("one 'upgrades_refused' event a second at most, with the count since the last; the rest a second on, or when the server closes", async () => {
    const clock = { t: 10 };
    const s = await startServer({ now: () => clock.t, paced: false, limits: { upgradesPerS: 1e-6, burstUpgrades: 2 } });
    const events = record(s);
    const told = () => events.filter((e) => e.kind === 'upgrades_refused');
    for (let i = 0; i < 2; i++) expect((await upgrade(s.url)).status).toBe(101);
    for (let i = 0; i < 4; i++) expect((await upgrade(s.url)).status).toBe(503);
    expect((await upgrade(s.url, { origin: 'https://evil.example' })).status).toBe(403);
    expect(told()).toMatchObject([{ kind: 'upgrades_refused', status: 503, count: 1, why: expect.stringMatching(/over 2 new connections at once/) }]);
    // Those that came after, once the flood stopped: told by the next heartbeat round a second on.
    clock.t += 0.5;
    s.heartbeat();
    expect(told()).toHaveLength(1);
    clock.t += 0.5;
    s.heartbeat();
    expect(told()[1]).toMatchObject({ status: 403, count: 4, remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/), why: 'origin "https://evil.example" not allowed' });
    clock.t += 1;
    expect((await upgrade(s.url)).status).toBe(503);
    expect(told()[2]).toMatchObject({ status: 503, count: 1 });
    expect((await upgrade(s.url, { origin: 'https://evil.example' })).status).toBe(403);
    await s.close();
    expect(told()[3]).toMatchObject({ status: 403, count: 1 });
    expect(told()).toHaveLength(4);
    expect(s.refusals).toEqual({ closedOverLimit: 0, originsRefused: 2, upgradesRefused: 5 });
  });
});

describe("the token holder's bucket follows the loop rate", () => {
  it('a commander sending one frame per step at a 4 kHz loop, plus heartbeats, is never closed', async () => {
    let t = 10;
    const s = await serve({ robot: createSimRobot('pendulum', { physicsDt: 1 / 4000 }), now: () => t, paced: false });
    const events = record(s);
    const cmd = keep(await RawClient.open(s.url));
    await cmd.auth(TOKEN, 'command');
    const n = 12_000; // 3 s at 4 kHz
    for (let k = 1; k <= n; k++) {
      t += 1 / 4000;
      cmd.bin(effort(k, 0));
      if (k % 400 === 0) cmd.json({ type: 'heartbeat', time: t });
      if (k % 500 === 0) await waitUntil(() => s.counts.commandsAccepted === k || cmd.closed !== undefined, `command ${k}`);
    }
    expect(cmd.closed).toBeUndefined();
    expect(s.counts.commandsAccepted).toBe(n);
    expect(s.refusals.closedOverLimit).toBe(0);
    expect(events.some((e) => e.kind === 'state' && e.cause === 'commander_lost')).toBe(false);
  }, 30_000);
});

describe("axon's client against a busy server (503)", () => {
  it('retries within its connect timeout and connects once the server has room', async () => {
    const clock = { t: 10 };
    const s = await serve({ now: () => clock.t, paced: false });
    for (let i = 0; i < 20; i++) await upgrade(s.url);
    const robot = connectBridgeRobot(s.url, { role: 'observe', connectTimeoutS: 4 });
    await waitUntil(() => s.refusals.upgradesRefused === 1, 'the first try refused');
    pump(s, clock); // the bucket refills: the retry after retry-after (1 s) is let in
    keep({ close: async () => (await robot).close() });
    expect((await robot).spec.name).toBe('pendulum');
  });

  it('says the server is busy, not that it is no bridge server, when it stays busy', async () => {
    const t = 10;
    const s = await serve({ now: () => t, paced: false });
    for (let i = 0; i < 20; i++) await upgrade(s.url);
    await expect(connectBridgeRobot(s.url, { role: 'observe', connectTimeoutS: 1.5 })).rejects.toThrow(/server busy for 1.5 s, retried: HTTP 503 \(axon bridge busy: over 20 new connections/);
    expect(s.refusals.upgradesRefused).toBeGreaterThanOrEqual(2);
  });
});
