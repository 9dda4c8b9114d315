/**
 * A client checks the server's status messages (PROTOCOL.md section 4): a robotState or cause the
 * protocol does not have, or a missing field, is read as a stop (a fault), never at its word. A
 * fake server (another implementation, as section 9 invites) sends a valid hello and state frames,
 * then one status.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { connectBridgeRobot, type BridgeRobot } from '../../../hardware/bridge/index.ts';
import { checkStatus, parseServerMessage } from '../../../hardware/bridge/messages.ts';
import { SUBPROTOCOL } from '../../../hardware/bridge/protocol.ts';
import { waitUntil } from './helpers.ts';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

const HELLO = {
  type: 'hello', protocol: 1, subprotocol: SUBPROTOCOL, server: 'fake', client: 1,
  robot: { name: 'slider', joints: [{ name: 'slider', type: 'prismatic', lower: -3, upper: 3, velocityLimit: 10, effortLimit: 30, defaultPosition: 0, kp: 0, kd: 0 }], sensors: { imu: false, contacts: [] }, controlModes: ['position', 'velocity', 'effort'] },
  sim: false, engine: null, rates: { loopHz: 100, stateHz: 100 }, frame: { imu: false, contacts: 0, base: false }, heartbeat: { intervalS: 0.1, timeoutS: 0.5 }, commandTimeoutS: 0.2,
  auth: { observeWithoutToken: true }, robotState: 'idle', stateCause: null, stateReason: '', commander: false,
};

/** A fake server; `status()` sends one status to the client. */
async function fakeServer(): Promise<{ url: string; status(m: Record<string, unknown>): void }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => SUBPROTOCOL });
  await new Promise((r) => wss.once('listening', r));
  const sockets: import('ws').WebSocket[] = [];
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.send(JSON.stringify(HELLO));
    let seq = 0;
    const iv = setInterval(() => {
      const b = Buffer.alloc(24 + 12);
      b.write('AX', 0, 'latin1');
      b[2] = 1;
      b[3] = 1;
      b.writeUInt32LE(++seq, 4);
      b.writeDoubleLE(seq / 100, 8);
      b.writeUInt16LE(1, 20);
      ws.send(b);
    }, 10);
    ws.on('message', (d, bin) => {
      if (!bin && JSON.parse(String(d)).type === 'auth') ws.send(JSON.stringify({ type: 'auth_ok', role: 'command' }));
    });
    ws.on('close', () => clearInterval(iv));
  });
  open.push({
    close: () => {
      for (const c of wss.clients) c.terminate();
      return new Promise<void>((r) => wss.close(() => r()));
    },
  });
  return { url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`, status: (m) => sockets.at(-1)!.send(JSON.stringify({ type: 'status', ...m })) };
}

async function connected(): Promise<{ r: BridgeRobot; status(m: Record<string, unknown>): void }> {
  const f = await fakeServer();
  const r = await connectBridgeRobot(f.url, { token: 't' });
  open.push(r);
  return { r, status: f.status };
}

const VALID = { robotState: 'e-stopped', cause: 'estop', reason: 'operator', commander: true, time: 1 };

describe('a client checks the status a server sends', () => {
  it('a valid e-stop status is a fault naming it (as before)', async () => {
    const { r, status } = await connected();
    status(VALID);
    await waitUntil(() => r.health$.value.faults.length > 0, 'the fault');
    expect(r.serverState).toBe('e-stopped');
    expect(r.health$.value.faults).toEqual(['bridge: served robot is e-stopped (estop: operator)']);
  });

  it("a status reason with escape sequences (another server's, or a client's it relays) is printable in the fault", async () => {
    const { r, status } = await connected();
    status({ ...VALID, reason: 'x\u001b[2J\u001b[32mall clear\u009b' });
    await waitUntil(() => r.health$.value.faults.length > 0, 'the fault');
    expect(r.health$.value.faults).toEqual(['bridge: served robot is e-stopped (estop: x\\u001b[2J\\u001b[32mall clear\\u009b)']);
  });

  it.each([
    ['a robotState the protocol lacks', { ...VALID, robotState: 'estopped' }, 'status.robotState is "estopped"'],
    ['no robotState', { ...VALID, robotState: undefined }, 'status.robotState is nothing'],
    ['an unknown cause with running', { ...VALID, robotState: 'running', cause: 'magic' }, 'status.cause is "magic"'],
    ['a reason that is not a string', { ...VALID, robotState: 'running', cause: 'armed', reason: 5 }, 'status.reason is 5'],
  ])('%s is a fault: the served robot is taken as stopped', async (_name, m, says) => {
    const { r, status } = await connected();
    status(m);
    await waitUntil(() => r.health$.value.faults.length > 0, 'the fault');
    expect(r.serverState).toBe('safe-stop');
    expect(r.health$.value.faults[0]).toContain(`the server sent an invalid status: ${says}`);
  });
});

describe('checkStatus', () => {
  it('passes a valid status through as sent, without unknown fields', () => {
    expect(checkStatus({ type: 'status', ...VALID, extra: 1 })).toEqual({ type: 'status', ...VALID });
    expect(parseServerMessage(JSON.stringify({ type: 'status', ...VALID }))).toEqual({ type: 'status', ...VALID });
  });

  it('reads a bad one as a typed stop: safe-stop, cause safety, the field in `invalid`, unprintable text escaped', () => {
    expect(parseServerMessage(JSON.stringify({ type: 'status', ...VALID, robotState: 'halted\u001b[2J' }))).toEqual({
      type: 'status',
      robotState: 'safe-stop',
      cause: 'safety',
      reason: 'the server sent an invalid status: status.robotState is "halted\\u001b[2J" (expected one of idle, running, degraded, safe-stop, e-stopped); taken as a stop',
      commander: true,
      time: 1,
      invalid: 'status.robotState',
    });
    expect(checkStatus({ type: 'status', ...VALID, time: 'x' })).toMatchObject({ robotState: 'safe-stop', invalid: 'status.time', time: Number.NaN });
    expect(checkStatus({ type: 'status', ...VALID, commander: 'yes' })).toMatchObject({ robotState: 'safe-stop', invalid: 'status.commander', commander: false });
  });
});
