/**
 * A connection cannot make the viewer's server (on the loop's own thread) do unbounded work: over
 * its message or byte bucket it is closed (1008) before the message is parsed, and what it sent
 * after is dropped unread (review R18 finding 1). On virtual time: the buckets refill on an injected
 * clock, so the counts are exact whatever the host's load.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { attachViewer, ViewerServer, type Viewer } from '../../../src/viewer/index.ts';
import { pointMassRig } from '../../helpers/viewerRig.ts';

let server: ViewerServer | undefined;
let viewer: Viewer | undefined;
afterEach(async () => {
  await server?.close();
  await viewer?.close();
  server = viewer = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A server whose handler counts what reached it (what was parsed), on the clock `now`. */
async function counting(now: () => number, limits: object = {}) {
  const handled = { n: 0 };
  server = new ViewerServer(() => {}, () => void handled.n++, 'tok', {}, { now, ...limits });
  await server.listen({ port: 0 });
  return handled;
}

async function open(port: number, query = '') {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`);
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  ws.on('error', () => {});
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  return { ws, closed };
}

/** Resolves with what happened first: the close, or `ms` passing. */
const closedWithin = (closed: Promise<{ code: number; reason: string }>, ms: number) => Promise.race([closed, sleep(ms).then(() => undefined)]);

describe('ViewerServer: a connection that floods', () => {
  it('parses no more than the message bucket holds, then closes the connection with 1008 and drops the rest unread', async () => {
    const handled = await counting(() => 100); // time stands still: nothing refills
    const c = await open(server!.port);
    const msg = JSON.stringify({ type: 'cmd', cmd: 'arm' });
    for (let i = 0; i < 5000; i++) c.ws.send(msg);
    const closed = await closedWithin(c.closed, 5000);
    expect(closed, 'the flooding connection was closed').toBeDefined();
    expect(closed!.code).toBe(1008);
    expect(closed!.reason).toContain('400 messages');
    await sleep(100);
    expect(handled.n).toBe(400);
    expect(server!.closedOverLimit).toBe(1);
    expect(server!.clients.size).toBe(0);
  });

  it('bounds bytes too: a third message of 60 KB at once is not parsed', async () => {
    const handled = await counting(() => 100);
    const c = await open(server!.port);
    const big = JSON.stringify({ type: 'cmd', cmd: 'arm', pad: 'x'.repeat(60_000) });
    for (let i = 0; i < 20; i++) c.ws.send(big);
    const closed = await closedWithin(c.closed, 5000);
    expect(closed?.code).toBe(1008);
    expect(closed!.reason).toContain('bytes');
    await sleep(100);
    expect(handled.n).toBe(2);
  });

  it('keeps a connection that stays under the rate however long it sends', async () => {
    let t = 0;
    const handled = await counting(() => (t += 0.005)); // each message 5 ms after the one before: 200 a second
    const c = await open(server!.port);
    for (let i = 0; i < 3000; i++) c.ws.send('{"type":"frame"}');
    for (let i = 0; i < 500 && handled.n < 3000; i++) await sleep(10);
    expect(handled.n).toBe(3000);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    expect(server!.closedOverLimit).toBe(0);
    c.ws.close();
  });

  it('through attachViewer: the flooding page gets at most a bucket of acks, and another page still stops the robot', async () => {
    const { robot, safety, loop } = pointMassRig({ armed: true });
    viewer = await attachViewer(loop, safety, robot, { port: 0, limits: { now: () => 7 } });
    const flood = await open(viewer.port); // no token: each `arm` is refused, and refused costs as much
    let acks = 0;
    flood.ws.on('message', (d, binary) => void (!binary && JSON.parse(d.toString()).type === 'ack' && acks++));
    for (let i = 0; i < 20_000; i++) flood.ws.send('{"type":"cmd","cmd":"arm"}');
    const closed = await closedWithin(flood.closed, 10_000);
    expect(closed?.code).toBe(1008);
    expect(acks).toBeLessThanOrEqual(400);
    expect(viewer.closedOverLimit).toBe(1);
    // A well-behaved page is not affected.
    const other = await open(viewer.port);
    const ack = new Promise<any>((r) => other.ws.on('message', (d, binary) => {
      const m = binary ? undefined : JSON.parse(d.toString());
      if (m?.type === 'ack') r(m);
    }));
    other.ws.send('{"type":"cmd","cmd":"estop"}');
    expect(await ack).toMatchObject({ cmd: 'estop', ok: true });
    expect(safety.state).toBe('e-stopped');
    other.ws.close();
  });
});

describe('attachViewer: a client that sends but never reads (review R18 finding 3)', () => {
  it('is closed once its unread replies pass the send bound, instead of growing the run\'s memory', async () => {
    const { robot, safety, loop } = pointMassRig();
    let t = 0;
    // Rates out of the way (each message 1 s after the last): only the send bound acts here.
    viewer = await attachViewer(loop, safety, robot, { port: 0, limits: { now: () => (t += 1), maxBufferedBytes: 64 * 1024 } });
    const c = await open(viewer.port);
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // reads nothing from here on
    // Refused commands whose acks echo a long command name (about 60 KB each).
    const msg = JSON.stringify({ type: 'cmd', cmd: 'x'.repeat(60_000) });
    let sent = 0;
    for (; sent < 2000 && viewer.clients > 0; sent++) {
      c.ws.send(msg);
      if (sent % 20 === 19) await sleep(20);
    }
    for (let i = 0; i < 300 && viewer.clients > 0; i++) await sleep(10);
    expect(viewer.clients, `still connected after ${sent} unread replies`).toBe(0);
    expect(viewer.closedOverLimit).toBe(1);
  });
});

describe('ViewerServer: a client that floods by reconnecting', () => {
  it('gets a fresh message bucket per connection, so connections themselves are bounded: beyond the burst, 503', async () => {
    await counting(() => 50); // time stands still
    const outcomes: string[] = [];
    for (let i = 0; i < 25; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${server!.port}/ws`);
      outcomes.push(await new Promise<string>((r) => {
        ws.on('open', () => (ws.terminate(), r('open')));
        ws.on('unexpected-response', (_q, res) => r(String(res.statusCode)));
        ws.on('error', (e) => r(e.message));
      }));
    }
    expect(outcomes.filter((x) => x === 'open')).toHaveLength(20);
    expect(outcomes.slice(20)).toEqual(['503', '503', '503', '503', '503']);
    expect(server!.upgradesRefused).toBe(5);
  });
});
