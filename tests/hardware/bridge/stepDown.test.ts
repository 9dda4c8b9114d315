/**
 * Stepping down from the commander role (PROTOCOL.md section 3: the role is held "until it sends
 * release, re-authenticates as observe, or disconnects"), with the token or without it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeServer } from '../../../hardware/bridge/index.ts';
import { commandBytes, encodeCommand } from '../../../hardware/bridge/frames.ts';
import { ErrorCode } from '../../../hardware/bridge/protocol.ts';
import { RawClient, startServer, waitUntil } from './helpers.ts';

const TOKEN = 'secret-token';
const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

function effort(seq: number, value: number): Buffer {
  const b = Buffer.alloc(commandBytes(1, 2));
  encodeCommand(b, 1, seq, 0, 0, { mode: 'effort', target: new Float64Array([value]) });
  return b;
}

async function armed(): Promise<{ s: BridgeServer; a: RawClient }> {
  const s = await startServer();
  open.push(s);
  const a = await RawClient.open(s.url);
  open.push(a);
  expect(await a.auth(TOKEN, 'command')).toMatchObject({ type: 'auth_ok', role: 'command' });
  a.bin(effort(1, 0.3));
  await a.next((m) => m.type === 'status' && m.cause === 'armed'); // the client has heard it: later statuses are the step-down's
  return { s, a };
}

describe('a commander that re-authenticates as observe', () => {
  it('without a token: gives the role up (running -> idle, cause release) and keeps no token rights', async () => {
    const { s, a } = await armed();
    const from = a.messages.length;
    a.json({ type: 'auth', role: 'observe' });
    expect(await a.next((m) => m.type === 'auth_ok', from)).toMatchObject({ role: 'observe' });
    expect(s.commanderId).toBeUndefined();
    expect(await a.next((m) => m.type === 'status', from)).toMatchObject({ robotState: 'idle', cause: 'release' });
    expect(s.robotState).toBe('idle');
    // Its command frames arm nothing now: it holds no token (2001), and sim_reset / reset are refused alike.
    expect(await a.errorAfter(() => a.bin(effort(2, 0.3)))).toMatchObject({ code: ErrorCode.AUTH_REQUIRED });
    expect(await a.errorAfter(() => a.json({ type: 'sim_reset' }))).toMatchObject({ code: ErrorCode.AUTH_REQUIRED });
    expect(s.robotState).toBe('idle');
    // Another operator may take the role now.
    const b = await RawClient.open(s.url);
    open.push(b);
    expect(await b.auth(TOKEN, 'command')).toMatchObject({ type: 'auth_ok', role: 'command' });
    expect(s.commanderId).toBe(b.hello.client);
  });

  it('with the token: gives the role up (running -> idle, cause release), may take it back', async () => {
    const { s, a } = await armed();
    const from = a.messages.length;
    expect(await a.auth(TOKEN, 'observe')).toMatchObject({ type: 'auth_ok', role: 'observe' });
    expect(await a.next((m) => m.type === 'status', from)).toMatchObject({ robotState: 'idle', cause: 'release' });
    expect(s.commanderId).toBeUndefined();
    expect(await a.errorAfter(() => a.bin(effort(2, 0.3)))).toMatchObject({ code: ErrorCode.NOT_COMMANDER });
  });
});
