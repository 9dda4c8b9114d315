/** The bridge server over real sockets on loopback: handshake, auth, bad input, roles, stops. */
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { BridgeServer, connectBridgeRobot, BridgeError, type BridgeRobot } from '../../../hardware/bridge/index.ts';
import { commandBytes, encodeCommand } from '../../../hardware/bridge/frames.ts';
import { ErrorCode, SUBPROTOCOL } from '../../../hardware/bridge/protocol.ts';
import { createSimRobot, wrapAngle } from '../../../sim/index.ts';
import { PointMassRobot, joint } from '../../helpers/fakes.ts';
import { RawClient, record, startServer, waitUntil } from './helpers.ts';
import { VirtualTime } from '../../../src/clock/VirtualTime.ts';

const TOKEN = 'secret-token';
const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});
async function server(o: Parameters<typeof startServer>[0] = {}): Promise<BridgeServer> {
  const s = await startServer(o);
  open.push(s);
  return s;
}
async function raw(url: string, protocols?: string[]): Promise<RawClient> {
  const c = await RawClient.open(url, protocols);
  open.push(c);
  return c;
}
async function robot(url: string, o: Parameters<typeof connectBridgeRobot>[1] = {}): Promise<BridgeRobot> {
  const r = await connectBridgeRobot(url, { token: TOKEN, ...o });
  open.push(r);
  return r;
}
async function refusal(p: Promise<unknown>): Promise<BridgeError> {
  try {
    await p;
  } catch (e) {
    return e as BridgeError;
  }
  throw new Error('expected a refusal');
}

/** An effort command frame for the 1-joint pendulum. */
function effort(seq: number, value: number, ack = 0): Buffer {
  const b = Buffer.alloc(commandBytes(1, 2));
  encodeCommand(b, 1, seq, 0, ack, { mode: 'effort', target: new Float64Array([value]) });
  return b;
}

/** The pendulum hangs at π when nothing moves it. */
function hangsStill(s: BridgeServer): boolean {
  return Math.abs(wrapAngle(s.observation.jointPosition[0] - Math.PI)) < 1e-3 && Math.abs(s.observation.jointVelocity[0]) < 1e-2;
}

describe('bridge handshake and versions', () => {
  it('hello carries the protocol version, the RobotSpec, rates, frame layout and timeouts; state frames follow', async () => {
    const s = await server();
    const c = await raw(s.url);
    expect(c.ws.protocol).toBe(SUBPROTOCOL);
    expect(c.hello).toMatchObject({
      type: 'hello',
      protocol: 1,
      subprotocol: 'axon.bridge.v1',
      sim: true,
      rates: { loopHz: 500, stateHz: 500 },
      frame: { imu: false, contacts: 0, base: true },
      heartbeat: { intervalS: 0.1, timeoutS: 0.5 },
      commandTimeoutS: 0.2,
      auth: { observeWithoutToken: true },
      robotState: 'idle',
      commander: false,
    });
    expect(c.hello.robot.joints[0]).toMatchObject({ name: 'joint', type: 'continuous', lower: null, upper: null, effortLimit: 2, kp: 10 });
    await waitUntil(() => c.frames.length >= 5, 'state frames');
    expect(c.frames[0].length).toBe(24 + 4 * (3 + 13));
  });

  it('a client offering another version gets HTTP 426 with the versions the server speaks', async () => {
    const s = await server();
    const err = await refusal(RawClient.open(s.url, ['axon.bridge.v2']));
    expect(String(err)).toContain('426');
    const r = await new Promise<{ status: number; header: string; body: string }>((resolve, reject) => {
      const req = httpRequest(s.url.replace('ws:', 'http:'), {
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'axon.bridge.v2' },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, header: String(res.headers['x-axon-bridge-versions']), body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(r.status).toBe(426);
    expect(r.header).toBe('axon.bridge.v1');
    expect(JSON.parse(r.body)).toMatchObject({ code: ErrorCode.VERSION_MISMATCH, name: 'VERSION_MISMATCH', supported: ['axon.bridge.v1'] });
  });

  it('BridgeRobot reports a version mismatch clearly: a server of another version, or one speaking no subprotocol', async () => {
    // A future server that speaks only v2 answers our v1 offer with 426.
    const http = createHttpServer();
    // ...and one that accepts v1 but says protocol 2 in its hello.
    const liar = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => SUBPROTOCOL });
    liar.on('connection', (ws) => ws.send(JSON.stringify({ type: 'hello', protocol: 2, subprotocol: 'axon.bridge.v2' })));
    http.on('upgrade', (req, socket) => socket.end('HTTP/1.1 426 Upgrade Required\r\nx-axon-bridge-versions: axon.bridge.v2\r\ncontent-length: 0\r\n\r\n'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => (liar.address() ? r() : liar.once('listening', () => r())));
    open.push({ close: () => new Promise<void>((r) => http.close(() => r())) }, { close: () => new Promise<void>((r) => liar.close(() => r())) });
    const port = (x: { address(): unknown }) => (x.address() as { port: number }).port;

    const a = await refusal(connectBridgeRobot(`ws://127.0.0.1:${port(http)}`, { token: TOKEN }));
    expect(a.code).toBe('BRIDGE_VERSION');
    expect(a.message).toMatch(/version mismatch.*axon\.bridge\.v2/);
    const b = await refusal(connectBridgeRobot(`ws://127.0.0.1:${port(liar)}`, { token: TOKEN }));
    expect(b.code).toBe('BRIDGE_VERSION');
    expect(b.message).toContain('server speaks protocol version 2 (axon.bridge.v2), this client 1');
    const plain = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => false }); // a WebSocket server of something else
    await new Promise<void>((r) => plain.once('listening', () => r()));
    open.push({ close: () => new Promise<void>((r) => plain.close(() => r())) });
    const c = await refusal(connectBridgeRobot(`ws://127.0.0.1:${port(plain)}`, { token: TOKEN }));
    expect(c.code).toBe('BRIDGE_VERSION');
    expect(c.message).toContain(`did not accept subprotocol ${SUBPROTOCOL}`);
  });

  it('an unreachable server is BRIDGE_CONNECT, not a hang', async () => {
    const s = await startServer();
    const url = s.url;
    await s.close();
    expect((await refusal(connectBridgeRobot(url, { token: TOKEN, connectTimeoutS: 2 }))).code).toBe('BRIDGE_CONNECT');
  });
});

describe('bridge authentication', () => {
  it('a missing or bad token is refused and the robot does not move', async () => {
    const s = await server();
    const events = record(s);
    // BridgeRobot without a token: AUTH_REQUIRED, with a hint.
    const none = await refusal(connectBridgeRobot(s.url, {}));
    expect(none.code).toBe('BRIDGE_AUTH');
    expect(none.protocolCode).toBe(ErrorCode.AUTH_REQUIRED);
    expect(none.message).toContain('AXON_BRIDGE_TOKEN');
    // Wrong token: AUTH_FAILED and the server closes with 4401.
    const bad = await refusal(connectBridgeRobot(s.url, { token: 'guess' }));
    expect(bad.code).toBe('BRIDGE_AUTH');
    expect(bad.protocolCode).toBe(ErrorCode.AUTH_FAILED);
    const c = await raw(s.url);
    expect(await c.auth('guess', 'command')).toMatchObject({ type: 'error', code: ErrorCode.AUTH_FAILED });
    await waitUntil(() => c.closed !== undefined, 'the close');
    expect(c.closed!.code).toBe(4401);
    // Command frames and reset without auth: AUTH_REQUIRED each, nothing moves (e-stop is allowed: stopping always is).
    const d = await raw(s.url);
    expect(await d.errorAfter(() => d.bin(effort(1, 2)))).toMatchObject({ code: ErrorCode.AUTH_REQUIRED });
    expect(await d.errorAfter(() => d.json({ type: 'reset' }))).toMatchObject({ code: ErrorCode.AUTH_REQUIRED });
    // An observer without a token may watch (this server allows it) but not command.
    expect(await d.auth(undefined, 'observe')).toMatchObject({ type: 'auth_ok', role: 'observe' });
    expect(await d.auth(undefined, 'command')).toMatchObject({ type: 'error', code: ErrorCode.AUTH_REQUIRED });
    for (let i = 0; i < 20; i++) d.bin(effort(i + 2, 2));
    await new Promise((r) => setTimeout(r, 150));
    expect(s.counts.commandsAccepted).toBe(0);
    expect(s.robotState).toBe('idle');
    expect(hangsStill(s)).toBe(true);
    expect(events.filter((e) => e.kind === 'state')).toEqual([]);
  });

  it('stopping is always allowed: a client without the token may e-stop, unless the server sets stopNeedsToken', async () => {
    const open = await server();
    const a = await raw(open.url);
    a.json({ type: 'estop', reason: 'visitor pressed stop' });
    await waitUntil(() => open.robotState === 'e-stopped', 'the e-stop');
    expect(await a.errorAfter(() => a.json({ type: 'reset' }))).toMatchObject({ code: ErrorCode.AUTH_REQUIRED }); // resetting still needs it
    const closed = await server({ stopNeedsToken: true });
    const b = await raw(closed.url);
    expect(await b.errorAfter(() => b.json({ type: 'estop' }))).toMatchObject({ code: ErrorCode.AUTH_REQUIRED });
    expect(closed.robotState).toBe('idle');
  });

  it('a server that requires the token to observe sends no state frames without it', async () => {
    const s = await server({ observeWithoutToken: false });
    const c = await raw(s.url);
    expect(c.hello.auth.observeWithoutToken).toBe(false);
    expect(await c.auth(undefined, 'observe')).toMatchObject({ code: ErrorCode.AUTH_REQUIRED });
    await new Promise((r) => setTimeout(r, 100));
    expect(c.frames.length).toBe(0);
    expect(await c.auth(TOKEN, 'observe')).toMatchObject({ type: 'auth_ok', role: 'observe' });
    await waitUntil(() => c.frames.length > 0, 'state frames after auth');
  });

  it('refuses to bind beyond loopback without a token', async () => {
    await expect(BridgeServer.listen({ robot: createSimRobot('pendulum'), host: '0.0.0.0', port: 0 })).rejects.toThrow(/token when binding beyond loopback/);
  });

  it('a second commander is refused with COMMANDER_BUSY and may still observe; the first keeps commanding', async () => {
    const s = await server();
    const first = await robot(s.url);
    expect(first.role).toBe('command');
    const second = await refusal(connectBridgeRobot(s.url, { token: TOKEN }));
    expect(second.code).toBe('BRIDGE_BUSY');
    expect(second.protocolCode).toBe(ErrorCode.COMMANDER_BUSY);
    const c = await raw(s.url);
    const from = c.messages.length;
    c.json({ type: 'auth', token: TOKEN, role: 'command' });
    expect(await c.next((m) => m.type === 'error', from)).toMatchObject({ code: ErrorCode.COMMANDER_BUSY });
    expect(await c.next((m) => m.type === 'auth_ok', from)).toMatchObject({ role: 'observe' });
    expect(await c.errorAfter(() => c.bin(effort(1, 2)))).toMatchObject({ code: ErrorCode.NOT_COMMANDER });
    first.command({ mode: 'effort', target: new Float64Array([0.5]) });
    await waitUntil(() => s.robotState === 'running', 'the first commander arming the robot');
    expect(s.commanderId).toBe(first.hello.client);
  });
});

describe('bridge malformed input', () => {
  it('short, wrong-length, wrong-type, NaN and garbage input get error codes; the server lives and the robot does not move', async () => {
    const s = await server();
    const c = await raw(s.url);
    expect(await c.auth(TOKEN, 'command')).toMatchObject({ type: 'auth_ok', role: 'command' });
    const good = effort(5, 2);
    const mutate = (f: (b: Buffer) => void) => {
      const b = Buffer.from(good);
      f(b);
      return b;
    };
    const cases: [string, Buffer | string, number][] = [
      ['short', good.subarray(0, 7), ErrorCode.FRAME_SHORT],
      ['magic', mutate((b) => (b[1] = 0)), ErrorCode.FRAME_MAGIC],
      ['version', mutate((b) => (b[2] = 7)), ErrorCode.FRAME_VERSION],
      ['state type', mutate((b) => (b[3] = 1)), ErrorCode.FRAME_TYPE],
      ['unknown type', mutate((b) => (b[3] = 200)), ErrorCode.FRAME_TYPE],
      ['count', mutate((b) => b.writeUInt16LE(2, 20)), ErrorCode.FRAME_COUNT],
      ['mode 3', mutate((b) => b.writeUInt16LE(3, 22)), ErrorCode.FRAME_FLAGS],
      ['too long', Buffer.concat([good, Buffer.alloc(8)]), ErrorCode.FRAME_LENGTH],
      ['too short', good.subarray(0, 26), ErrorCode.FRAME_LENGTH],
      ['NaN', mutate((b) => b.writeFloatLE(Number.NaN, 24)), ErrorCode.FRAME_VALUE],
      ['-Infinity', mutate((b) => b.writeFloatLE(Number.NEGATIVE_INFINITY, 24)), ErrorCode.FRAME_VALUE],
      ['1e20', mutate((b) => b.writeFloatLE(1e20, 24)), ErrorCode.FRAME_VALUE],
      ['not json', '{"type": "auth", ', ErrorCode.BAD_JSON],
      ['unknown message', '{"type":"teleport","x":3}', ErrorCode.BAD_MESSAGE],
      ['bad field', '{"type":"sim_reset","seed":"four"}', ErrorCode.BAD_MESSAGE],
    ];
    for (const [name, input, code] of cases) {
      const e = await c.errorAfter(() => (typeof input === 'string' ? c.json(input) : c.bin(input)));
      expect(e.code, name).toBe(code);
      expect(e.name, name).toMatch(/^[A-Z_]+$/);
    }
    const nan = c.messages.filter((m) => m.type === 'error' && m.code === ErrorCode.FRAME_VALUE)[0];
    expect(nan).toMatchObject({ seq: 5, offset: 24 });
    expect(nan.text).toContain('target[0]');
    // Oversized and invalid-UTF-8 messages close only that connection.
    const big = await raw(s.url);
    big.bin(Buffer.alloc(100_000));
    await waitUntil(() => big.closed !== undefined, 'the oversize close');
    expect(big.closed!.code).toBe(1009);
    const utf = await raw(s.url);
    utf.ws.send(Buffer.from([0xff, 0xfe, 0xfd]), { binary: false });
    await waitUntil(() => utf.closed !== undefined, 'the bad UTF-8 close');
    expect(utf.closed!.code).toBe(1007);
    // Still serving, nothing accepted, the pendulum hangs still.
    const after = await raw(s.url);
    expect(after.hello.type).toBe('hello');
    expect(s.counts.commandsAccepted).toBe(0);
    expect(s.counts.commandsRejected).toBe(12);
    expect(s.robotState).toBe('idle');
    expect(hangsStill(s)).toBe(true);
    // The same client's next good command is applied.
    c.bin(effort(6, 2));
    await waitUntil(() => s.robotState === 'running', 'a good command to arm');
  });

  it('seq 0 is FRAME_SEQ, a seq not newer than the last accepted is FRAME_STALE (offset 4); neither is applied', async () => {
    const s = await server();
    const c = await raw(s.url);
    expect(await c.auth(TOKEN, 'command')).toMatchObject({ type: 'auth_ok', role: 'command' });
    expect(await c.errorAfter(() => c.bin(effort(0, 2)))).toMatchObject({ code: ErrorCode.FRAME_SEQ, name: 'FRAME_SEQ', seq: 0, offset: 4 });
    expect(s.counts.commandsAccepted).toBe(0);
    c.bin(effort(10, 0.5));
    await waitUntil(() => s.counts.commandsAccepted === 1, 'seq 10 accepted');
    for (const old of [10, 9, 1]) {
      expect(await c.errorAfter(() => c.bin(effort(old, -2)))).toMatchObject({ code: ErrorCode.FRAME_STALE, name: 'FRAME_STALE', seq: old, offset: 4 });
    }
    expect(s.counts.commandsAccepted).toBe(1);
    expect(s.lastSent.target[0]).toBeCloseTo(0.5, 6); // the older frames changed nothing
    c.bin(effort(11, 0.25));
    await waitUntil(() => s.counts.commandsAccepted === 2, 'seq 11 accepted');
    // A new connection starts its own sequence at 1.
    c.close();
    await waitUntil(() => s.commanderId === undefined, 'the commander gone');
    const d = await raw(s.url);
    expect(await d.auth(TOKEN, 'command')).toMatchObject({ type: 'auth_ok', role: 'command' });
    d.json({ type: 'reset' }); // commander_lost safe-stopped the running robot
    await waitUntil(() => s.robotState === 'idle', 'the reset');
    d.bin(effort(1, 0.1));
    await waitUntil(() => s.counts.commandsAccepted === 3, 'seq 1 accepted on the new connection');
  });

  it('deadman on virtual time: safe-stop at exactly the first loop step past commandTimeoutS', async () => {
    const clock = { t: 0 };
    const s = await server({ now: () => clock.t, paced: false });
    const events = record(s);
    const c = await raw(s.url);
    expect(await c.auth(TOKEN, 'command')).toMatchObject({ type: 'auth_ok', role: 'command' });
    c.bin(effort(1, 0.5));
    await waitUntil(() => s.robotState === 'running', 'armed');
    expect(s.now()).toBe(0); // the command arrived at virtual time 0
    let steps = 0;
    while (s.robotState === 'running' && steps < 1000) {
      clock.t = (++steps + 1) * s.dt; // step k runs once the clock passes (k + 1)·dt
      s.runDue();
    }
    const stop = events.find((e) => e.kind === 'state' && e.robotState === 'safe-stop');
    expect(stop).toMatchObject({ cause: 'deadman', lastCommandAt: 0 });
    // 0.2 s / 2 ms = step 100 is at the limit, not past it: step 101 (t = 0.202 s) stops.
    expect(stop!.kind === 'state' && stop!.loopTime).toBeCloseTo(0.202, 9);
    expect(stop!.kind === 'state' && stop!.reason).toBe('command deadman: no command for 0.202 s (limit 0.2 s)');
  });

  it('error replies past 20 per second are dropped and counted in stats', async () => {
    const s = await server();
    const c = await raw(s.url);
    for (let i = 0; i < 50; i++) c.json('{"type":"teleport"}');
    await waitUntil(() => s.counts.errorsSent + s.counts.errorsDropped === 50, 'all 50 handled');
    const from = c.messages.length;
    c.json({ type: 'stats' });
    const stats = await c.next((m) => m.type === 'stats', from);
    expect(stats).toMatchObject({ errorsSent: 20, errorsDropped: 30 });
    expect(c.messages.filter((m) => m.type === 'error')).toHaveLength(20);
  });

  it('a mode the robot does not support is MODE_UNSUPPORTED', async () => {
    const spec = { name: 'positional', joints: [joint('a')], sensors: { imu: false, contacts: [] }, controlModes: ['position' as const] };
    const s = await server({ robot: new PointMassRobot(spec) });
    const c = await raw(s.url);
    await c.auth(TOKEN, 'command');
    expect(await c.errorAfter(() => c.bin(effort(1, 1)))).toMatchObject({ code: ErrorCode.MODE_UNSUPPORTED });
  });

  it('error replies are rate-limited: a flood of garbage costs the server 20 replies a second (virtual time)', async () => {
    const time = new VirtualTime(0);
    // Buckets above the 400 frames sent: the error budget is checked here, the flood bound in flood.test.ts.
    const s = await server({ now: time.now, paced: false, limits: { tokenlessBurstMessages: 1000 } });
    const c = await raw(s.url);
    const flood = async (n: number) => {
      const handled = s.counts.errorsSent + s.counts.errorsDropped;
      for (let i = 0; i < n; i++) c.bin(Buffer.alloc(3));
      await waitUntil(() => s.counts.errorsSent + s.counts.errorsDropped === handled + n, `${n} bad frames handled`);
    };
    await flood(200); // within one second of server time: 20 answered, 180 dropped
    time.advanceTo(0.999);
    await flood(100); // still the same second: none answered
    expect(s.counts).toMatchObject({ errorsSent: 20, errorsDropped: 280 });
    time.advanceTo(1.5);
    await flood(100); // a new second: 20 more
    expect(s.counts).toMatchObject({ errorsSent: 40, errorsDropped: 360 });
    await waitUntil(() => c.messages.filter((m) => m.type === 'error').length === 40, 'the 40 replies');
    expect((await raw(s.url)).hello.type).toBe('hello');
  });
});

describe('bridge stops: deadman, e-stop, reset, release', () => {
  it('a commander that goes quiet (socket open) trips the deadman: safe-stop at the first server step past commandTimeoutS, on virtual time', async () => {
    // The server on virtual time: its clock moves only in `stepTo`, after each command arrived.
    const time = new VirtualTime(0);
    const s = await server({ now: time.now, paced: false });
    const events = record(s);
    const stepTo = (t: number) => {
      time.advanceTo(t);
      s.runDue();
    };
    const c = await raw(s.url);
    await c.auth(TOKEN, 'command');
    for (let i = 1; i <= 10; i++) {
      c.bin(effort(i, 1.5));
      await waitUntil(() => s.counts.commandsAccepted === i, `command ${i} accepted`);
      stepTo(time.now() + 0.02);
    }
    // The last command comes half a step off the server's grid: no float tie with its deadline.
    stepTo(time.now() + s.dt / 2);
    c.bin(effort(11, 1.5));
    await waitUntil(() => s.counts.commandsAccepted === 11, 'the last command accepted');
    const lastAt = s.now();
    while (s.robotState !== 'safe-stop' && time.now() < lastAt + 1) stepTo(time.now() + s.dt / 4);
    const status = await c.next((m) => m.type === 'status' && m.robotState === 'safe-stop');
    expect(status).toMatchObject({ cause: 'deadman' });
    const e = events.find((x) => x.kind === 'state' && x.robotState === 'safe-stop');
    if (e?.kind !== 'state') throw new Error('no safe-stop event');
    expect(e.lastCommandAt).toBe(lastAt);
    // The first step k·dt with k·dt − lastAt > commandTimeoutS: half a step past the limit.
    expect(e.loopTime).toBeCloseTo(lastAt + s.commandTimeoutS + s.dt / 2, 9);
    // The robot gets the safe output (hold with the spec's gains), and it is latched.
    expect(s.lastSent.mode).toBe('position');
    expect(s.lastSent.kp![0]).toBe(10);
    expect(c.closed).toBeUndefined();
    expect(await c.errorAfter(() => c.bin(effort(12, 1.5)))).toMatchObject({ code: ErrorCode.ROBOT_STOPPED });
    // reset (explicit) -> idle; the next command re-arms.
    c.json({ type: 'reset', reason: 'test' });
    await c.next((m) => m.type === 'status' && m.cause === 'reset' && m.robotState === 'idle');
    c.bin(effort(13, 0));
    await waitUntil(() => s.counts.commandsAccepted === 12, 'the re-arming command accepted');
    stepTo(time.now() + s.dt);
    expect(s.robotState).toBe('running');
  });

  it('e-stop from the client: latched, broadcast to observers, commands refused until reset', async () => {
    const s = await server();
    const r = await robot(s.url);
    const watcher = await raw(s.url);
    r.command({ mode: 'effort', target: new Float64Array([1]) });
    await waitUntil(() => s.robotState === 'running', 'arming');
    const st = await r.estop('operator pressed stop');
    expect(st).toMatchObject({ robotState: 'e-stopped', cause: 'estop' });
    expect(s.robotState).toBe('e-stopped');
    expect(await watcher.next((m) => m.type === 'status' && m.robotState === 'e-stopped')).toMatchObject({ reason: expect.stringContaining('operator pressed stop') });
    // The stop this client asked for is not a fault of its link (a live run's own e-stop reaches the
    // server this way: src/session/forwardEstop.ts); the served robot's state says it.
    await waitUntil(() => r.serverState === 'e-stopped', 'the client seeing the stop');
    expect(r.health$.value.faults).toEqual([]);
    const accepted = s.counts.commandsAccepted;
    r.command({ mode: 'effort', target: new Float64Array([1]) });
    await new Promise((res) => setTimeout(res, 50));
    expect(s.counts.commandsAccepted).toBe(accepted);
    expect(s.lastSent.mode).toBe('position'); // holding
    await r.reset('cleared');
    expect(s.robotState).toBe('idle');
    await waitUntil(() => r.health$.value.faults.length === 0, 'the fault clearing');
  });

  it('e-stop from the server operator reaches the client as a fault', async () => {
    const s = await server();
    const r = await robot(s.url);
    r.command({ mode: 'effort', target: new Float64Array([0.5]) });
    await waitUntil(() => s.robotState === 'running', 'arming');
    s.estop('big red button');
    await waitUntil(() => r.health$.value.faults.length > 0, 'the fault');
    expect(r.health$.value.faults[0]).toMatch(/e-stopped.*big red button/);
    expect(r.serverState).toBe('e-stopped');
  });

  it('release gives the robot back without a fault; a new commander can take it', async () => {
    const s = await server();
    const r = await robot(s.url);
    r.command({ mode: 'effort', target: new Float64Array([0.5]) });
    await waitUntil(() => s.robotState === 'running', 'arming');
    await r.close();
    await waitUntil(() => s.robotState === 'idle' && s.commanderId === undefined, 'release');
    const next = await robot(s.url);
    expect(next.role).toBe('command');
    expect(next.health$.value.faults).toEqual([]);
  });

  it('a robot that throws inside the server loop is e-stopped with the reason, and the server keeps serving', async () => {
    class Faulty extends PointMassRobot {
      fail = false;
      override step(dt: number): void {
        if (this.fail) throw new Error('encoder read failed');
        super.step(dt);
      }
    }
    const faulty = new Faulty({ name: 'faulty', joints: [joint('a')], sensors: { imu: false, contacts: [] }, controlModes: ['position', 'effort'] });
    const s = await server({ robot: faulty });
    const c = await raw(s.url);
    faulty.fail = true;
    const st = await c.next((m) => m.type === 'status' && m.robotState === 'e-stopped');
    expect(st.reason).toContain('encoder read failed');
    expect((await raw(s.url)).hello.robotState).toBe('e-stopped');
    faulty.fail = false;
  });

  it('sim_reset puts a simulated robot back in its initial state (idle)', async () => {
    const s = await server();
    const r = await robot(s.url);
    r.command({ mode: 'effort', target: new Float64Array([2]) });
    await waitUntil(() => !hangsStill(s), 'the pendulum moving');
    const st = await r.simReset(3);
    expect(st).toMatchObject({ cause: 'sim_reset', robotState: 'idle' });
    expect(hangsStill(s)).toBe(true);
  });
});

describe('bridge shutdown', () => {
  it('closes within a second even when a refused client never closes its side of the socket', async () => {
    const s = await startServer();
    const { port } = new URL(s.url);
    const { connect } = await import('node:net');
    const sock = connect(Number(port), '127.0.0.1');
    let answer = '';
    sock.on('data', (d) => (answer += d));
    sock.on('error', () => {});
    // an upgrade without axon's subprotocol: refused with an HTTP answer; this client then sits there
    sock.write(`GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await waitUntil(() => answer.includes('Upgrade Required'), 'the refusal');
    const t0 = performance.now();
    const closed = await Promise.race([s.close().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
    sock.destroy();
    expect(closed, 'server.close() still pending after 3 s').toBe(true);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
