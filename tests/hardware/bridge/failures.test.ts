/**
 * Faults on the link, over real sockets: the commanding process dies, the link goes silent, the
 * link breaks. In every case the served robot ends in its safe state by the server's own doing,
 * and the client's loop holds / stops on its own side.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeRobot, BridgeServerEvent } from '../../../hardware/bridge/index.ts';
import { createSimRobot, createTask } from '../../../sim/index.ts';
import { record, startServer, waitUntil } from './helpers.ts';
import { until, VirtualRig } from './virtualRig.ts';

const TOKEN = 'secret-token';
const CARTPOLE = { policy: 'models/cartpole-balance' };
const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

/** The served robot's first stop, of either kind (each test then says which it must be). */
function stopEvent(events: BridgeServerEvent[]) {
  const e = events.find((x) => x.kind === 'state' && (x.robotState === 'safe-stop' || x.robotState === 'e-stopped'));
  return e?.kind === 'state' ? e : undefined;
}

/** A cartpole server that the cartpole policy can balance (small seeded initial tilt), and its client, on one virtual clock. */
async function cartpoleRig(): Promise<{ rig: VirtualRig; robot: BridgeRobot }> {
  const rig = await VirtualRig.start({ robot: createSimRobot('cartpole', { randomize: { angle: 0.05 } }) });
  open.push(rig);
  const robot = await rig.connect();
  return { rig, robot };
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

  it('a silent link: the client loop holds then safe-stops on stale observations, the server deadman safe-stops the robot, the client reconnects and the loop stays safe-stopped', async () => {
    const { rig, robot } = await cartpoleRig();
    const s = rig.server;
    const faults: string[] = [];
    robot.health$.subscribe((h) => faults.push(...h.faults));
    let frozenAt = Number.NaN; // loop time
    let frozenServerT = Number.NaN;
    const { r, safety, clock, stamps } = await rig.runLive(robot, { ...CARTPOLE, durationS: 2.5 }, (t) => {
      if (t >= 1 && Number.isNaN(frozenAt)) {
        rig.freeze();
        frozenAt = t;
        frozenServerT = s.now();
      }
    });
    // Client side, on the loop clock: stale after staleAfterS (0.1 s) -> hold (degraded), then
    // safe-stop at the staleTicksToSafeStop-th (3rd) stale tick, long before the link is declared dead (0.5 s).
    const kinds = safety.filter((e) => e.time > frozenAt).map((e) => `${e.kind}:${e.state}`);
    expect(kinds).toEqual([
      'stale_observation:degraded',
      'state_change:degraded',
      'stale_observation:degraded',
      'stale_observation:safe-stop',
      'state_change:safe-stop',
    ]);
    // The tick after the freeze still read the frame sent just before it (seq seen at +0.02 s):
    // stale from +0.12 s (age 0.1 s + float), safe-stop on the 3rd stale tick.
    const stale = safety.filter((e) => e.kind === 'stale_observation');
    expect(stale.map((e) => e.time - frozenAt)).toEqual([0.12, 0.14, 0.16].map((d) => expect.closeTo(d, 9)));
    expect(safety.find((e) => e.kind === 'state_change' && e.state === 'safe-stop')!.time).toBe(stale[2].time);
    // Server side, on the server clock: the last command came at the freeze; the deadman fired at
    // the first server step past commandTimeoutS (0.2 s) after it.
    const stop = stopEvent(rig.serverEvents)!;
    expect(stop.robotState).toBe('safe-stop');
    expect(stop.cause).toBe('deadman');
    expect(stop.lastCommandAt).toBe(frozenServerT);
    expect(stop.loopTime).toBeCloseTo(frozenServerT + s.commandTimeoutS + s.dt, 9);
    // The client's heartbeat check (every 0.1 s from its connect) first saw more than 0.5 s of
    // silence 0.6 s after the freeze; the reconnect came one backoff (0.1 s) later.
    expect(rig.events('disconnected').map((x) => x.t - frozenServerT)).toEqual([expect.closeTo(0.6, 9)]);
    expect(rig.events('reconnecting').map((x) => x.t - frozenServerT)).toEqual([expect.closeTo(0.7, 9)]);
    // Observations stamped when read, on the loop clock: a tick reads the frame of the server step
    // before it (read one dt earlier) while the link is up; after the freeze, the last one read.
    const linked = stamps.filter((x) => x.tick <= frozenAt + 1e-9);
    expect(linked.length).toBe(51);
    expect(linked[0]).toEqual({ tick: 0, obs: 0 }); // the loop started on the step its frame came
    for (const x of linked.slice(1)) expect(x.tick - x.obs).toBeCloseTo(s.dt, 9);
    const lastRead = linked[linked.length - 1].tick; // the frame of the freeze tick's server step, read just after it
    for (const x of stamps.filter((y) => y.tick > frozenAt + 1e-9 && y.tick < 1.5)) expect(x.obs).toBeCloseTo(lastRead, 9);
    // One clock for the run: the client's events are stamped on the loop clock (runLive's useClock).
    const loopOrigin = rig.time.now() - clock.now();
    expect(rig.clientEvents.length).toBeGreaterThan(3);
    for (const x of rig.clientEvents) expect(x.e.time).toBeCloseTo(x.t - loopOrigin, 12);
    // The client dropped the dead link (heartbeat timeout), reconnected once, and was told of the latched stop.
    expect(robot.counts.reconnects).toBe(1);
    expect(rig.events('reconnect_failed')).toHaveLength(0);
    expect(faults.some((f) => /served robot is safe-stop \(deadman/.test(f))).toBe(true);
    // The fault found the loop already safe-stopped by staleness: it stays so, with no second stop.
    expect(safety.filter((e) => e.kind === 'estop' || e.kind === 'safe_stop')).toEqual([]);
    expect(r.safety.state).toBe('safe-stop');
    expect(r.endedBy).toBe('fault'); // the robot fault is named first, though the client's own stop came before it
    expect(r.safety.ownStop?.kind).toBe('stale_observation');
    expect(s.robotState).toBe('safe-stop');
  });

  it("a run the server's stop ended: no success, but terminated only if the task failed (the cart did not fall), as a local episode says it", async () => {
    const { rig, robot } = await cartpoleRig();
    const s = rig.server;
    let stoppedAt = Number.NaN;
    const { r } = await rig.runLive(robot, { ...CARTPOLE, durationS: 2, task: createTask('cartpole') }, (t) => {
      if (t >= 1.8 && Number.isNaN(stoppedAt)) {
        stoppedAt = t;
        s.estop('operator drill (server)'); // the served robot stops: a fault on the client, as a deadman is
      }
    });
    expect(r.endedBy).toBe('fault');
    expect(r.episode).toMatchObject({ success: false, terminated: false });
    expect(r.episode!.return).toBeGreaterThan(80); // the pole stayed up: a reward every tick before the stop
  });

  it('a broken link: the server safe-stops at once (commander lost), the client reconnects and its loop safe-stops on the fault', async () => {
    const { rig, robot } = await cartpoleRig();
    const s = rig.server;
    let cutAt = Number.NaN; // loop time
    let cutServerT = Number.NaN;
    const { r, safety } = await rig.runLive(robot, { ...CARTPOLE, durationS: 2 }, async (t) => {
      if (t >= 0.8 && Number.isNaN(cutAt)) {
        cutAt = t;
        cutServerT = s.now();
        await rig.cut();
      }
    });
    // Server: safe-stop at the moment it saw the connection end.
    const stop = stopEvent(rig.serverEvents)!;
    expect(stop.robotState).toBe('safe-stop');
    expect(stop.cause).toBe('commander_lost');
    expect(stop.time).toBe(cutServerT);
    // Client: the reconnect one backoff (0.1 s) after the cut brings the latched stop as a fault,
    // before the loop's own stale deadline (0.1 s + 3 ticks): the loop safe-stops on the fault, at once.
    expect(rig.events('reconnecting').map((x) => x.t - cutServerT)).toEqual([expect.closeTo(0.1, 9)]);
    const after = safety.filter((e) => e.time >= cutAt);
    expect(after.map((e) => `${e.kind}:${e.state}`)).toEqual(['safe_stop:safe-stop', 'state_change:safe-stop']);
    expect(after[0].time).toBeCloseTo(cutAt + 0.1, 9);
    expect(after[0].reason).toMatch(/^robot fault: bridge: served robot is safe-stop \(commander_lost/);
    expect(robot.counts.reconnects).toBe(1);
    expect(r.safety.state).toBe('safe-stop');
    expect(r.endedBy).toBe('fault');
    await waitUntil(() => s.commanderId === undefined, 'the commander role freed after close');
  });
});
