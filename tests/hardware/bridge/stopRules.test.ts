/**
 * The server's stop rules (PROTOCOL.md sections 3, 4.1 and 7): an estop stops whatever its other
 * fields say, a latched safe-stop is left by a reset and not by a sim_reset (the state watchdog's
 * stop aside: tests/hardware/bridge/stateWatch.test.ts), and a client streaming into a stop is
 * logged once per stop, with a count at the next state change.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectBridgeRobot, type BridgeServer } from '../../../hardware/bridge/index.ts';
import { commandBytes, encodeCommand } from '../../../hardware/bridge/frames.ts';
import { ErrorCode } from '../../../hardware/bridge/protocol.ts';
import { VirtualTime } from '../../../src/clock/VirtualTime.ts';
import { RawClient, record, startServer, waitUntil } from './helpers.ts';
import { describe as describeEvent } from '../../../src/cli/commands/bridge.ts';
import { printable } from '../../../src/core/printable.ts';

/** A character a terminal acts on instead of showing (src/core/printable.ts escapes these). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

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

async function serve(o: Parameters<typeof startServer>[0] = {}): Promise<BridgeServer> {
  const s = await startServer(o);
  open.push(s);
  return s;
}

async function client(s: BridgeServer, role?: 'command'): Promise<RawClient> {
  const c = await RawClient.open(s.url);
  open.push(c);
  if (role) expect(await c.auth(TOKEN, role)).toMatchObject({ type: 'auth_ok', role });
  return c;
}

describe('stopping is always allowed: an estop stops whatever its other fields', () => {
  it.each([
    ['a 300-character reason', 'x'.repeat(300), 'x'.repeat(200)],
    ['a number', 42, undefined],
    ['null', null, undefined],
    ['an object', { why: 'stack' }, undefined],
  ])('reason %s: e-stopped first, then a 1002 saying what was done with the reason', async (_name, reason, kept) => {
    const s = await serve();
    const a = await client(s, 'command');
    a.bin(effort(1, 0.5));
    await waitUntil(() => s.robotState === 'running', 'armed');
    const by = await client(s); // a bystander without the token
    const from = by.messages.length;
    by.json({ type: 'estop', reason });
    const status = await by.next((m) => m.type === 'status', from);
    expect(s.robotState).toBe('e-stopped');
    expect(status).toMatchObject({ robotState: 'e-stopped', cause: 'estop' });
    expect(status.reason).toBe(`e-stop by client ${by.hello.client}${kept ? `: ${kept}` : ''}`);
    const err = await by.next((m) => m.type === 'error', from);
    expect(err).toMatchObject({ code: ErrorCode.BAD_MESSAGE });
    expect(err.text).toMatch(/^estop\.reason: expected a string of at most 200 characters; the e-stop was applied, its reason (truncated to 200 characters|ignored)$/);
    // Stopped first, told after.
    expect(by.messages.indexOf(status)).toBeLessThan(by.messages.indexOf(err));
  });

  it("axon's client cuts a long e-stop reason to the 200 characters the schema allows: stopped, and no 1002", async () => {
    const s = await serve();
    const r = await connectBridgeRobot(s.url, { token: TOKEN });
    open.push(r);
    const errors: number[] = [];
    r.events$.subscribe((e) => e.kind === 'error' && errors.push(e.error.code));
    r.command({ mode: 'effort', target: new Float64Array([0.5]) });
    await waitUntil(() => s.robotState === 'running', 'armed');
    const st = await r.estop('y'.repeat(500));
    expect(st).toMatchObject({ robotState: 'e-stopped' });
    expect(st.reason).toBe(`e-stop by client 1: ${'y'.repeat(200)}`);
    const late = await RawClient.open(s.url); // a round trip: anything the server sent before has arrived
    late.close();
    await new Promise((res) => setTimeout(res, 50));
    expect(errors).toEqual([]);
  });

  it('an estop over the 64 KiB message limit still stops (then 1009); another message that size, or an estop over 1 MiB, is closed unread', async () => {
    // No deadman within the test: sending a 1.1 MB message took over its 0.2 s on a loaded host (a safe-stop, not what is tested).
    const s = await serve({ commandTimeoutS: 30 });
    const a = await client(s, 'command');
    a.bin(effort(1, 0.5));
    await waitUntil(() => s.robotState === 'running', 'armed');
    // Not an estop: closed 1009, nothing done.
    const big = await client(s);
    big.json({ type: 'heartbeat', time: 1, pad: 'estop'.repeat(14_000) });
    await waitUntil(() => big.closed !== undefined, 'the 1009 close');
    expect(big.closed!.code).toBe(1009);
    expect(s.robotState).toBe('running');
    // Past the hard bound an estop is not read either.
    const huge = await client(s);
    huge.json({ type: 'estop', reason: 'z'.repeat(1_100_000) });
    await waitUntil(() => huge.closed !== undefined, 'the 1009 close');
    expect(huge.closed!.code).toBe(1009);
    expect(s.robotState).toBe('running');
    // A 70 000-character reason: stopped first, told after, then closed as too big.
    const by = await client(s);
    by.json({ type: 'estop', reason: 'x'.repeat(70_000) });
    const status = await by.next((m) => m.type === 'status');
    expect(status).toMatchObject({ robotState: 'e-stopped', cause: 'estop', reason: `e-stop by client ${by.hello.client}: ${'x'.repeat(200)}` });
    expect(await by.next((m) => m.type === 'error')).toMatchObject({ code: ErrorCode.BAD_MESSAGE, text: expect.stringContaining('the e-stop was applied, its reason truncated to 200 characters') });
    await waitUntil(() => by.closed !== undefined, 'the 1009 close');
    expect(by.closed!.code).toBe(1009);
    expect(s.robotState).toBe('e-stopped');
  });

  it("a tokenless client's e-stop reason and close reason reach the other clients and the server's log with no control characters", async () => {
    const s = await serve();
    const events = record(s);
    const a = await client(s, 'command');
    const by = await client(s); // anyone may stop, without the token
    // Would clear the operator's screen and print a green "all clear" while the robot is e-stopped.
    const forged = '\u001b[2J\u001b[H\u001b[32mrobot idle (reset): all clear\u001b[0m\u009b2J\u202e';
    by.json({ type: 'estop', reason: forged });
    const status = await a.next((m) => m.type === 'status' && m.robotState === 'e-stopped');
    expect(status.reason).not.toMatch(CONTROL);
    expect(status.reason).toBe(`e-stop by client ${by.hello.client}: ${printable(forged)}`);
    const line = describeEvent(events.find((e) => e.kind === 'state' && e.cause === 'estop')!);
    expect(line).not.toMatch(CONTROL);
    expect(line).toContain('\\u001b[2J\\u001b[H\\u001b[32mrobot idle (reset): all clear');
    by.ws.close(4000, 'bye\u001b[2J');
    await waitUntil(() => events.some((e) => e.kind === 'disconnect'), 'the disconnect');
    const bye = describeEvent(events.find((e) => e.kind === 'disconnect')!);
    expect(bye).not.toMatch(CONTROL);
    expect(bye).toContain('(4000 bye\\u001b[2J)');
  });

  it("a second e-stop of an e-stopped robot is told to every client; axon's client then holds it as a fault, not as its own stop", async () => {
    const s = await serve();
    const r = await connectBridgeRobot(s.url, { token: TOKEN });
    open.push(r);
    r.command({ mode: 'effort', target: new Float64Array([0.5]) });
    await waitUntil(() => s.robotState === 'running', 'armed');
    const by = await client(s);
    await r.estop('operator disarm (viewer)');
    expect(r.health$.value.faults).toEqual([]); // the stop it asked for
    await by.next((m) => m.type === 'status' && m.robotState === 'e-stopped');
    const from = by.messages.length;
    s.estop('console');
    const status = await by.next((m) => m.type === 'status', from);
    expect(status).toMatchObject({ robotState: 'e-stopped', cause: 'estop', reason: 'e-stop by the server operator: console' });
    await waitUntil(() => r.health$.value.faults.length > 0, "the client's fault");
    expect(r.health$.value.faults[0]).toContain('served robot is e-stopped (estop: e-stop by the server operator: console)');
    // Its own stop repeated stays its own.
    const s2 = await serve();
    const r2 = await connectBridgeRobot(s2.url, { token: TOKEN });
    open.push(r2);
    r2.command({ mode: 'effort', target: new Float64Array([0.5]) });
    await waitUntil(() => s2.robotState === 'running', 'armed');
    await r2.estop('first');
    await r2.estop('second');
    expect(r2.health$.value.faults).toEqual([]);
  });

  it('other messages keep the strict check: a reset with a long reason is 1002 and changes nothing', async () => {
    const s = await serve();
    const a = await client(s, 'command');
    a.json({ type: 'estop' });
    await waitUntil(() => s.robotState === 'e-stopped', 'stopped');
    expect(await a.errorAfter(() => a.json({ type: 'reset', reason: 'x'.repeat(300) }))).toMatchObject({ code: ErrorCode.BAD_MESSAGE });
    expect(s.robotState).toBe('e-stopped');
  });
});

describe('a latched safe-stop is left by a reset, not by sim_reset', () => {
  async function deadmanStopped() {
    const time = new VirtualTime(0);
    const s = await serve({ now: time.now, paced: false });
    const events = record(s);
    const a = await client(s, 'command');
    a.bin(effort(1, 0.5));
    await waitUntil(() => s.robotState === 'running', 'armed');
    while (s.robotState === 'running' && time.now() < 1) {
      time.advanceTo(time.now() + s.dt);
      s.runDue();
    }
    expect(s.robotState).toBe('safe-stop');
    return { s, a, events, time };
  }

  it('sim_reset in a deadman safe-stop is 3001 ROBOT_STOPPED; the robot stays stopped and the next command arms nothing', async () => {
    const { s, a, events } = await deadmanStopped();
    const err = await a.errorAfter(() => a.json({ type: 'sim_reset', seed: 1 }));
    expect(err).toMatchObject({ code: ErrorCode.ROBOT_STOPPED });
    expect(err.text).toBe("sim_reset refused while safe-stopped (deadman): reset first (sim_reset leaves only the state watchdog's safe-stop)");
    expect(s.robotState).toBe('safe-stop');
    expect(await a.errorAfter(() => a.bin(effort(2, 0.5)))).toMatchObject({ code: ErrorCode.ROBOT_STOPPED });
    expect(events.some((e) => e.kind === 'state' && (e.cause === 'sim_reset' || e.cause === 'armed') && e.time > 0)).toBe(false);
    // The explicit reset, then sim_reset is served.
    a.json({ type: 'reset' });
    await waitUntil(() => s.robotState === 'idle', 'the reset');
    const from = a.messages.length;
    a.json({ type: 'sim_reset', seed: 1 });
    expect(await a.next((m) => m.type === 'status' && m.cause === 'sim_reset', from)).toMatchObject({ robotState: 'idle' });
  });

  it('the same after the commander was lost and another client took the role', async () => {
    const s = await serve();
    const a = await client(s, 'command');
    a.bin(effort(1, 0.5));
    await waitUntil(() => s.robotState === 'running', 'armed');
    a.close();
    await waitUntil(() => s.robotState === 'safe-stop', 'commander_lost');
    const b = await client(s, 'command');
    expect(await b.errorAfter(() => b.json({ type: 'sim_reset' }))).toMatchObject({ code: ErrorCode.ROBOT_STOPPED, text: expect.stringContaining('(commander_lost)') });
    expect(s.robotState).toBe('safe-stop');
  });
});

describe('a client streaming into a stop is logged once per stop', () => {
  it('the first ROBOT_STOPPED refusal is a refused event, the rest one refusals event at the next state change; every frame still gets its reply', async () => {
    const s = await serve();
    const events = record(s);
    const a = await client(s, 'command');
    a.bin(effort(1, 0.5));
    await waitUntil(() => s.robotState === 'running', 'armed');
    s.estop('test');
    let seq = 2;
    const stream = async (n: number) => {
      const from = a.messages.filter((m) => m.type === 'error').length;
      for (let i = 0; i < n; i++) a.bin(effort(seq++, 0.5));
      await waitUntil(() => a.messages.filter((m) => m.type === 'error').length === from + n, `${n} replies`);
    };
    await stream(10);
    const refused = () => events.filter((e) => e.kind === 'refused');
    expect(refused()).toHaveLength(1);
    expect(refused()[0]).toMatchObject({ code: ErrorCode.ROBOT_STOPPED, client: a.hello.client });
    expect(events.filter((e) => e.kind === 'refusals')).toHaveLength(0);
    s.reset('operator');
    const counted = events.filter((e) => e.kind === 'refusals');
    expect(counted).toEqual([expect.objectContaining({ client: a.hello.client, code: ErrorCode.ROBOT_STOPPED, name: 'ROBOT_STOPPED', count: 9, robotState: 'e-stopped' })]);
    // Told before the state that ended it.
    const reset = events.findIndex((e) => e.kind === 'state' && e.cause === 'reset');
    expect(events.indexOf(counted[0])).toBeLessThan(reset);
    // A new stop logs its first refusal again; a client that leaves has its count told.
    s.estop('again');
    await stream(4);
    expect(refused()).toHaveLength(2);
    a.close();
    await waitUntil(() => events.filter((e) => e.kind === 'refusals').length === 2, 'the count at disconnect');
    expect(events.filter((e) => e.kind === 'refusals')[1]).toMatchObject({ count: 3, robotState: 'e-stopped' });
  });

  it('with the error budget spent by bad frames, no refusal is logged one by one and the count says all of them, not "more"', async () => {
    const time = new VirtualTime(0); // the budget (20 errors a second) renews only when this clock moves
    const s = await serve({ now: time.now, paced: false });
    const events = record(s);
    const a = await client(s, 'command');
    a.bin(effort(1, 0.5));
    await waitUntil(() => s.robotState === 'running', 'armed');
    for (let i = 0; i < 20; i++) a.bin(effort(0, 0.5)); // seq 0: FRAME_SEQ, each an error reply
    await waitUntil(() => a.messages.filter((m) => m.type === 'error').length === 20, 'the 20 replies that spend the budget');
    s.estop('test');
    const rejected = s.counts.commandsRejected;
    for (let seq = 2; seq < 7; seq++) a.bin(effort(seq, 0.5));
    await waitUntil(() => s.counts.commandsRejected === rejected + 5, 'the 5 refusals');
    s.reset('operator');
    const stopped = (e: (typeof events)[number]) => 'code' in e && e.code === ErrorCode.ROBOT_STOPPED;
    expect(events.filter((e) => e.kind === 'refused' && stopped(e))).toEqual([]);
    expect(events.filter((e) => e.kind === 'refusals')).toEqual([expect.objectContaining({ count: 5, more: false, robotState: 'e-stopped' })]);
    // Once the budget renews, the first refusal the log can take is logged, and the rest counted as more.
    s.estop('again');
    time.advanceTo(1.5);
    for (let seq = 7; seq < 10; seq++) a.bin(effort(seq, 0.5));
    await waitUntil(() => s.counts.commandsRejected === rejected + 8, 'the 3 refusals');
    s.reset('operator');
    expect(events.filter((e) => e.kind === 'refused' && stopped(e))).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'refusals')[1]).toMatchObject({ count: 2, more: true });
  });
});
