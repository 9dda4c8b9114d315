/**
 * The bridge client on virtual time (VirtualRig): observations are stamped when the frame was
 * read, and staleness, the heartbeat timeout and the reconnect backoff happen at exact times on
 * the injected clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RobotHealth } from '../../../src/core/robot.ts';
import { VirtualRig } from './virtualRig.ts';

const open: VirtualRig[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});

async function rig(): Promise<VirtualRig> {
  const r = await VirtualRig.start({});
  open.push(r);
  return r;
}

/** Due times of a repeating virtual timer set at `start` every `interval`, the way VirtualTime adds them. */
function firstTick(start: number, interval: number, pred: (t: number) => boolean): number {
  let t = start + interval;
  while (!pred(t)) t += interval;
  return t;
}

describe('BridgeRobot on virtual time', () => {
  it('stamps an observation with the time its frame was read, not the time observe() is called', async () => {
    const r = await rig();
    const robot = await r.connect();
    let readAt = Number.NaN;
    robot.frames$.subscribe(() => (readAt = r.time.now()));
    await r.runUntil(0.2);
    const seq = robot.stateSeq;
    expect(readAt).toBeGreaterThan(0);
    // Time goes on, no frame comes: the observation keeps the read time and its age grows.
    await r.step(false);
    await r.step(false);
    const o = robot.observe();
    expect(o.seq).toBe(seq);
    expect(o.time).toBeCloseTo(readAt, 12);
    expect(o.extras!.bridge_age![0]).toBeCloseTo(r.time.now() - readAt, 6);
    expect(r.time.now() - readAt).toBeCloseTo(2 * r.server.dt, 12);
    // On the run's clock (what runLive gives it): the same moment, in that clock's reading.
    robot.useClock(() => r.time.now() - 0.125);
    expect(robot.observe().time).toBeCloseTo(readAt - 0.125, 12);
    // A new frame is stamped when it is read.
    await r.step();
    await r.runUntil(r.time.now() + 0.05, () => robot.stateSeq !== seq);
    expect(robot.observe().time).toBeCloseTo(readAt - 0.125, 12);
    expect(robot.stateSeq).not.toBe(seq);
  });

  it('a frame read late (while the thread slept) is stamped with its arrival, from the server stamp on it', async () => {
    const r = await rig();
    const robot = await r.connect();
    await r.runUntil(0.2); // frames read as they come: the stamps' offset learned
    const read: { seq: number; at: number; time: number }[] = [];
    robot.frames$.subscribe(() => read.push({ seq: robot.stateSeq, at: r.time.now(), time: robot.observe().time }));
    r.hold();
    const sent: number[] = [];
    for (let i = 0; i < 5; i++) {
      await r.step();
      sent.push(r.time.now());
    }
    await r.step(false);
    await r.release();
    expect(read).toHaveLength(5);
    // All five read at once, after the last was sent, each stamped when it came.
    for (const x of read) expect(x.at).toBe(read[4].at);
    expect(read[4].at).toBeGreaterThan(sent[4]);
    read.forEach((x, i) => expect(x.time).toBeCloseTo(sent[i], 12));
    expect(robot.observe().extras!.bridge_age![0]).toBeCloseTo(r.time.now() - sent[4], 6);
  });

  it('a silent server: stale at the first check past staleAfterS, the link dropped at the first past the heartbeat timeout, the reconnect one backoff later', async () => {
    const r = await rig();
    const robot = await r.connect();
    const startedAt = r.time.now();
    const health: { t: number; h: RobotHealth }[] = [];
    robot.health$.subscribe((h) => health.push({ t: r.time.now(), h }));
    let heardAt = Number.NaN;
    robot.frames$.subscribe(() => (heardAt = r.time.now()));
    await r.runUntil(0.3);
    const silentFrom = r.time.now();
    // The server says nothing from here (no state frame, no heartbeat).
    while (r.events('disconnected').length === 0 && r.time.now() < silentFrom + 2) await r.step(false);
    const { intervalS, timeoutS } = robot.hello.heartbeat;
    const staleAfterS = Math.max(0.05, 5 / robot.hello.rates.stateHz);
    const firstStale = health.find((x) => x.h.stale);
    expect(firstStale?.t).toBeCloseTo(firstTick(startedAt, intervalS, (t) => t - heardAt > staleAfterS), 9);
    const dropped = r.events('disconnected');
    expect(dropped).toHaveLength(1);
    expect(dropped[0].t).toBeCloseTo(firstTick(startedAt, intervalS, (t) => t - heardAt > timeoutS), 9); // float sums of the same times
    expect(dropped[0].t).toBeGreaterThan(silentFrom);
    // Backoff 0.1 s, jitter drawn at 0.5 (×1): the first attempt exactly 0.1 s later.
    while (r.events('reconnecting').length === 0) await r.step(false);
    expect(r.events('reconnecting')[0].t).toBeCloseTo(dropped[0].t + 0.1, 12);
    await r.runUntil(r.time.now() + 1, () => r.events('connected').length > 0);
    expect(robot.counts.reconnects).toBe(1);
    expect(r.events('reconnect_failed')).toHaveLength(0);
  });
});
