/**
 * Faults on the link, over real sockets: the commanding process dies, the link goes silent, the
 * link breaks. In every case the served robot ends in its safe state by the server's own doing,
 * and the client's loop holds / stops on its own side.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { connectBridgeRobot, type BridgeServer, type BridgeServerEvent } from '../../../hardware/bridge/index.ts';
import { runLive } from '../../../src/cli/live.ts';
import type { SafetyEvent } from '../../../src/safety/types.ts';
import { createSimRobot } from '../../../sim/index.ts';
import { Proxy, record, startServer, waitUntil } from './helpers.ts';

const TOKEN = 'secret-token';
const POLICY = 'models/cartpole-balance';
const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

function stopEvent(events: BridgeServerEvent[]) {
  const e = events.find((x) => x.kind === 'state' && (x.robotState === 'safe-stop' || x.robotState === 'e-stopped'));
  return e?.kind === 'state' ? e : undefined;
}

/** A cartpole server that the cartpole policy can balance (small seeded initial tilt). */
async function cartpoleServer(): Promise<BridgeServer> {
  const s = await startServer({ robot: createSimRobot('cartpole', { randomize: { angle: 0.05 } }) });
  open.push(s);
  return s;
}

describe('bridge faults', () => {
  it('the commanding client process dying mid-run puts the served robot into safe state at once (commander lost), before its deadman', async () => {
    // The server on virtual time: its clock moves only while the test advances it, so the
    // deadman cannot race the socket's close (the outcome is exact, not one of two).
    const clock = { t: 0 };
    const s = await startServer({ now: () => clock.t, paced: false });
    open.push(s);
    const advance = setInterval(() => {
      clock.t += s.dt;
      s.runDue();
    }, 2);
    open.push({ close: () => clearInterval(advance) });
    const events = record(s);
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/hardware/bridge/fixtures/commander.ts', s.url, TOKEN], { stdio: ['ignore', 'pipe', 'pipe'] });
    open.push({ close: () => void child.kill('SIGKILL') });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    await waitUntil(() => out.includes('commanding'), `the child commanding (output: ${out})`, 20_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.robotState).toBe('running');
    clearInterval(advance); // virtual time stands still from here
    const frozenAt = s.now();
    child.kill('SIGKILL');
    await waitUntil(() => stopEvent(events) !== undefined, 'the served robot stopping');
    const stop = stopEvent(events)!;
    expect(stop.robotState).toBe('safe-stop');
    expect(stop.cause).toBe('commander_lost');
    expect(stop.time).toBe(frozenAt); // on the server's clock: at once
    expect(stop.loopTime - stop.lastCommandAt).toBeLessThanOrEqual(s.commandTimeoutS);
    clock.t += 1; // a second later: still the same latched stop, no second one
    s.runDue();
    expect(s.lastSent.mode).toBe('position'); // the pendulum's safe output: hold with its own gains
    expect(s.lastSent.kp![0]).toBe(10);
    expect(s.robotState).toBe('safe-stop'); // latched
  });

  it('a silent link: the client loop holds then safe-stops on stale observations, the server deadman safe-stops the robot, the client reconnects', async () => {
    const s = await cartpoleServer();
    const events = record(s);
    const proxy = await Proxy.start(s.port);
    open.push(proxy);
    const robot = await connectBridgeRobot(proxy.url, { token: TOKEN, simReset: { seed: 4 } });
    const safetyEvents: SafetyEvent[] = [];
    let connects = 0;
    robot.events$.subscribe((e) => e.kind === 'connected' && connects++);
    const faults: string[] = [];
    robot.health$.subscribe((h) => faults.push(...h.faults));
    setTimeout(() => proxy.freeze(), 1000);
    const r = await runLive(robot, {
      policy: POLICY,
      durationS: 2.5,
      handleSignals: false,
      onLoop: (_loop, safety) => safety.events$.subscribe((e) => safetyEvents.push(e)),
    });
    // Client side: stale -> hold (degraded) -> safe-stop, before the link was declared dead.
    const kinds = safetyEvents.map((e) => `${e.kind}:${e.state}`);
    expect(kinds).toContain('stale_observation:degraded');
    expect(safetyEvents.some((e) => e.kind === 'state_change' && e.state === 'safe-stop' && /stale/.test(e.reason))).toBe(true);
    const firstStale = safetyEvents.findIndex((e) => e.kind === 'stale_observation');
    const firstFault = safetyEvents.findIndex((e) => e.kind === 'estop');
    expect(firstFault === -1 || firstStale < firstFault).toBe(true);
    // Server side: the deadman, on the server clock.
    const stop = stopEvent(events)!;
    expect(stop.cause).toBe('deadman');
    expect(stop.loopTime - stop.lastCommandAt).toBeLessThanOrEqual(s.commandTimeoutS + s.dt + 1e-9);
    // The client noticed the dead link (heartbeat timeout) and reconnected; the latched stop came back as a fault.
    expect(robot.counts.reconnects).toBeGreaterThanOrEqual(1);
    expect(connects).toBeGreaterThanOrEqual(1);
    expect(faults.some((f) => /served robot is safe-stop \(deadman/.test(f))).toBe(true);
    // runLive's loop was already safe-stopped by staleness when the fault came, and stays stopped.
    expect(['safe-stop', 'e-stopped']).toContain(r.safety.state);
    expect(s.robotState).toBe('safe-stop');
  });

  it('a broken link: the server safe-stops at once (commander lost), the client reconnects and stops its loop', async () => {
    const s = await cartpoleServer();
    const events = record(s);
    const proxy = await Proxy.start(s.port);
    open.push(proxy);
    const robot = await connectBridgeRobot(proxy.url, { token: TOKEN, simReset: { seed: 4 } });
    const faults: string[] = [];
    robot.health$.subscribe((h) => faults.push(...h.faults));
    setTimeout(() => proxy.cut(), 800);
    const r = await runLive(robot, { policy: POLICY, durationS: 2, handleSignals: false });
    const stop = stopEvent(events)!;
    expect(stop.cause).toBe('commander_lost');
    expect(robot.counts.reconnects).toBeGreaterThanOrEqual(1);
    expect(faults.some((f) => /served robot is safe-stop \(commander_lost/.test(f))).toBe(true);
    // Whichever came first on the client (its stale deadline or the reconnect's fault), the loop ended stopped.
    expect(['safe-stop', 'e-stopped']).toContain(r.safety.state);
    await waitUntil(() => s.commanderId === undefined, 'the commander role freed after close');
  });
});
