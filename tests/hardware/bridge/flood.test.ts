/**
 * What a client may make the bridge server's thread do (docs/bridge.md, "A client that floods";
 * PROTOCOL.md section 1): the robot's loop runs on that thread, so a token-less client that floods
 * is closed 1008 before its messages are read (an estop in the one that passed the bound still
 * stops), connections are bounded server-wide (503), and a browser page of another site cannot
 * connect (403) while a Node client, which sends no Origin, still commands.
 */
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { BridgeServer } from '../../../hardware/bridge/index.ts';
import { commandBytes, encodeCommand } from '../../../hardware/bridge/frames.ts';
import { SUBPROTOCOL } from '../../../hardware/bridge/protocol.ts';
import { closedAfterEach, RawClient, record, startServer, waitUntil } from './helpers.ts';

const TOKEN = 'secret-token';
/** `x`, closed after the test. */
const keep = closedAfterEach();
const serve = async (o: Parameters<typeof startServer>[0] = {}): Promise<BridgeServer> => keep(await startServer(o));
const client = async (s: BridgeServer): Promise<RawClient> => keep(await RawClient.open(s.url));
/** A one-joint effort command frame. */
const effort = (seq: number, value: number): Buffer => {
  const b = Buffer.alloc(commandBytes(1, 0));
  encodeCommand(b, 1, seq, 0, 0, { mode: 'effort', target: new Float64Array([value]) });
  return b;
};

/** The HTTP status an upgrade from `origin` (undefined: none sent, as a Node client) is answered with: 101 when it was let in. */
function upgradeStatus(url: string, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [SUBPROTOCOL], origin === undefined ? {} : { origin });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.once('error', (e) => reject(e));
  });
}

describe('a token-less client that floods', () => {
  it('is closed 1008 after its burst, its messages unread beyond it, while the commander keeps the robot running', async () => {
    // Virtual time that does not move: the buckets do not refill, so exactly the burst is read.
    const t = 10;
    const s = await serve({ now: () => t, paced: false, limits: { tokenlessMessagesPerS: 50, tokenlessBurstMessages: 100 } });
    const events = record(s);
    const cmd = await client(s);
    expect(await cmd.auth(TOKEN, 'command')).toMatchObject({ type: 'auth_ok', role: 'command' });
    cmd.bin(effort(1, 0.5));
    await waitUntil(() => s.robotState === 'running', 'armed');
    const flooder = await client(s);
    const from = flooder.messages.length;
    for (let i = 0; i < 1000; i++) flooder.json({ type: 'stats' });
    await waitUntil(() => flooder.closed !== undefined, 'the flooder closed');
    expect(flooder.closed).toEqual({ code: 1008, reason: 'over 100 messages at once or 50/s' });
    // The hello took none: 100 stats answered, the 101st closed it, the other 899 never read.
    expect(flooder.messages.slice(from).filter((m) => m.type === 'stats')).toHaveLength(100);
    expect(s.refusals.closedOverLimit).toBe(1);
    expect(events.some((e) => e.kind === 'refused' && e.code === 1008)).toBe(true);
    // The commander, within its own bounds, still commands: the robot never left running.
    cmd.bin(effort(2, 0.2));
    await waitUntil(() => s.counts.commandsAccepted === 2, 'the second command');
    expect(s.robotState).toBe('running');
    expect(events.filter((e) => e.kind === 'state').map((e) => (e as { cause: string }).cause)).toEqual(['armed']);
  });

  it('a paced server keeps stepping its loop through a flood of 20,000 messages', async () => {
    // The flooder sends from this process too: timeouts wide enough for its own sending to pass.
    const s = await serve({ commandTimeoutS: 2, heartbeatTimeoutS: 5 });
    const cmd = await client(s);
    await cmd.auth(TOKEN, 'command');
    let seq = 1;
    cmd.bin(effort(seq++, 0));
    await waitUntil(() => s.robotState === 'running', 'armed');
    const stream = setInterval(() => cmd.bin(effort(seq++, 0)), 10);
    try {
      const flooder = await client(s);
      const big = JSON.stringify({ type: 'stats', pad: 'x'.repeat(2000) });
      for (let i = 0; i < 20_000 && flooder.closed === undefined; i++) {
        flooder.json(big);
        if (i % 500 === 499) await new Promise((r) => setImmediate(r));
      }
      await waitUntil(() => flooder.closed !== undefined, 'the flooder closed', 20_000);
      expect(flooder.closed?.code).toBe(1008);
      const steps = s.counts.stateFramesSent;
      await waitUntil(() => s.counts.stateFramesSent > steps + 50, 'the loop stepping after the flood');
      expect(s.robotState).toBe('running');
    } finally {
      clearInterval(stream);
    }
  }, 30_000);

  // The message that passes the bound is read for an estop before the client is closed; spelled with
  // JSON escapes it is the same JSON value (review R23 F4).
  it.each([
    ['an estop', JSON.stringify({ type: 'estop', reason: 'flood' })],
    ['an estop written with JSON escapes', '{"type":"\\u0065\\u0073\\u0074\\u006f\\u0070","reason":"escaped"}'],
  ])('%s in the message that passes the bound still stops the robot, then the client is closed', async (_name, estop) => {
    const t = 10;
    const s = await serve({ now: () => t, paced: false, limits: { tokenlessBurstMessages: 10 } });
    const cmd = await client(s);
    await cmd.auth(TOKEN, 'command');
    cmd.bin(effort(1, 0.5));
    await waitUntil(() => s.robotState === 'running', 'armed');
    const by = await client(s);
    for (let i = 0; i < 10; i++) by.json({ type: 'heartbeat', time: 0 });
    by.ws.send(estop);
    await waitUntil(() => by.closed !== undefined, 'closed');
    expect(by.closed?.code).toBe(1008);
    expect(s.robotState).toBe('e-stopped');
  });

  it('pings count against the same bucket: a token-less ping flood is closed 1008 after its burst, pongs only within it', async () => {
    const t = 10;
    const s = await serve({ now: () => t, paced: false });
    const flooder = await client(s);
    let pongs = 0;
    flooder.ws.on('pong', () => pongs++);
    for (let i = 0; i < 500; i++) flooder.ws.ping();
    await waitUntil(() => flooder.closed !== undefined, 'the pinger closed');
    expect(flooder.closed).toEqual({ code: 1008, reason: 'over 100 messages at once or 100/s' });
    expect(pongs).toBe(100);
    expect(s.refusals.closedOverLimit).toBe(1);
  });

  it('a ping within the bounds is something heard: a client that only pings keeps its connection past the heartbeat timeout, a silent one is closed 4408', async () => {
    const clock = { t: 10 };
    const s = await serve({ now: () => clock.t, paced: false });
    const pinger = await client(s);
    const silent = await client(s);
    let pongs = 0;
    pinger.ws.on('pong', () => pongs++);
    for (let i = 1; i <= 4; i++) {
      clock.t += 0.3; // past the 0.5 s timeout after the second step, but never 0.5 s since the last ping
      pinger.ws.ping();
      await waitUntil(() => pongs === i, `pong ${i}`);
      s.heartbeat();
    }
    await waitUntil(() => silent.closed !== undefined, 'the silent client closed');
    expect(silent.closed?.code).toBe(4408);
    expect(pinger.closed).toBeUndefined();
  });

  it('a commander at 1 kHz and a token-less observer at 10 heartbeats a second are never closed (the default bounds)', async () => {
    let t = 10;
    const s = await serve({ now: () => t, paced: false });
    const cmd = await client(s);
    await cmd.auth(TOKEN, 'command');
    const obs = await client(s);
    for (let k = 1; k <= 3000; k++) {
      t += 0.001;
      cmd.bin(effort(k, 0));
      if (k % 100 === 0) {
        cmd.json({ type: 'heartbeat', time: t });
        obs.json({ type: 'heartbeat', time: t });
      }
      if (k % 200 === 0) await waitUntil(() => s.counts.commandsAccepted === k, `command ${k}`);
    }
    expect(s.counts.commandsAccepted).toBe(3000);
    expect([cmd.closed, obs.closed, s.refusals.closedOverLimit]).toEqual([undefined, undefined, 0]);
  });

  it('a client that sends but never reads is closed 1008 once its replies pass maxBufferedBytes', async () => {
    const t = 10;
    const s = await serve({ now: () => t, paced: false, limits: { tokenlessBurstMessages: 1e6, tokenlessBurstBytes: 1e9, maxBufferedBytes: 64 * 1024 } });
    const c = await client(s);
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // reads nothing from here on
    for (let i = 0; i < 100_000 && c.closed === undefined && s.refusals.closedOverLimit === 0; i++) {
      c.json({ type: 'stats' });
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    await waitUntil(() => s.refusals.closedOverLimit === 1, 'closed for not reading', 20_000);
  }, 30_000);

  it('upgrades beyond 20 at once are answered 503', async () => {
    const t = 10;
    const s = await serve({ now: () => t, paced: false });
    for (let i = 0; i < 20; i++) expect(await upgradeStatus(s.url)).toBe(101);
    expect(await upgradeStatus(s.url)).toBe(503);
    expect(s.refusals.upgradesRefused).toBe(1);
  });
});

describe('a web page in the operator\'s browser', () => {
  it('is refused 403 (its Origin), as is a page of localhost; a Node client without Origin commands', async () => {
    const s = await serve();
    expect(await upgradeStatus(s.url, 'https://evil.example')).toBe(403);
    expect(await upgradeStatus(s.url, 'http://localhost:3000')).toBe(403);
    expect(await upgradeStatus(s.url, 'null')).toBe(403);
    expect(s.refusals.originsRefused).toBe(3);
    const node = await client(s);
    expect(await node.auth(TOKEN, 'command')).toMatchObject({ type: 'auth_ok', role: 'command' });
    node.bin(effort(1, 0.5));
    await waitUntil(() => s.robotState === 'running', 'armed by the Node client');
  });

  it('an allowOrigins entry that is not an origin is a BRIDGE_CONFIG error naming it', async () => {
    await expect(startServer({ allowOrigins: ['localhost:3000'] })).rejects.toMatchObject({ code: 'BRIDGE_CONFIG', where: 'allowOrigins' });
    await expect(startServer({ allowOrigins: ['http://localhost:3000/page'] })).rejects.toMatchObject({ code: 'BRIDGE_CONFIG' });
  });

  it('an origin in allowOrigins is let in, written in any case', async () => {
    const s = await serve({ allowOrigins: ['http://localhost:3000'] });
    expect(await upgradeStatus(s.url, 'http://LOCALHOST:3000')).toBe(101);
    expect(await upgradeStatus(s.url, 'http://localhost:3001')).toBe(403);
  });
});
