import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { SimClock } from '../../../src/clock/SimClock.ts';
import { WallClock } from '../../../src/clock/WallClock.ts';
import { steadyNow } from '../../../src/clock/sleep.ts';
import type { Tick } from '../../../src/clock/types.ts';
import { virtualTimers } from './virtualTimers.ts';

function collect(clock: SimClock | WallClock, n: number, handle: (t: Tick, done: () => void) => void): Promise<Tick[]> {
  const done$ = new Subject<void>();
  const ticks: Tick[] = [];
  return new Promise((resolve) => {
    const sub = clock.ticks(done$).subscribe((t) => {
      ticks.push(t);
      if (ticks.length >= n) {
        queueMicrotask(() => sub.unsubscribe());
        resolve(ticks);
        return;
      }
      handle(t, () => done$.next());
    });
  });
}

describe('SimClock', () => {
  it('emits the next tick only after the previous one is done, advancing the sim by one period', async () => {
    const advanced: number[] = [];
    const clock = new SimClock(0.02, (dt) => advanced.push(dt));
    const done$ = new Subject<void>();
    const seen: Tick[] = [];
    const sub = clock.ticks(done$).subscribe((t) => seen.push(t));
    expect(seen).toHaveLength(1);
    expect(advanced).toHaveLength(0); // nothing moves until the tick is handled
    done$.next();
    expect(seen.map((t) => t.seq)).toEqual([0, 1]);
    expect(seen[1].time).toBeCloseTo(0.02, 12);
    expect(advanced).toEqual([0.02]);
    sub.unsubscribe();
  });

  it('handles 100k synchronous ticks without growing the stack', async () => {
    const clock = new SimClock(0.001, () => {});
    const ticks = await collect(clock, 100_000, (_t, done) => done());
    expect(ticks.at(-1)!.seq).toBe(99_999);
    expect(clock.now()).toBeCloseTo(99.999, 6);
  });

  it('in real-time mode paces sim time to the wall clock', async () => {
    const clock = new SimClock(0.01, () => {});
    const rt = new SimClock(0.01, () => {}, { realtime: true });
    const t0 = steadyNow();
    await collect(rt, 21, (_t, done) => done());
    const wall = steadyNow() - t0;
    // 20 periods of 10 ms: at least 0.2 s of wall time (late wake-ups only add)
    expect(wall).toBeGreaterThanOrEqual(0.199);
    const t1 = steadyNow();
    await collect(clock, 21, (_t, done) => done());
    expect(steadyNow() - t1).toBeLessThan(wall);
  });
});

/** A real-time SimClock on virtual time, each physics step costing `stepS`; returns its ticks and when each step ran. */
function virtualSim(n: number, stepS: number, wake?: (i: number) => number, o: { cpuBudget?: number; spinMargin?: number; sleep?: 'block'; block?: (s: number) => void } = {}, host = virtualTimers(wake)) {
  const stepAt: number[] = [];
  const clock = new SimClock(0.002, () => {
    stepAt.push(host.t);
    host.cost(stepS);
  }, { realtime: true, now: host.now, setTimer: host.setTimer, ...o });
  const done$ = new Subject<void>();
  const ticks: Tick[] = [];
  const start = host.t;
  const sub = clock.ticks(done$).subscribe((t) => {
    ticks.push(t);
    if (ticks.length < n) done$.next();
  });
  host.run(() => ticks.length >= n);
  sub.unsubscribe();
  return { clock, ticks, stepAt, start, host };
}

describe('SimClock in real time, sleep block (virtual time)', () => {
  it('gives the event loop one turn per tick, then sleeps to deadline − margin and spins: on time once the margin is learned', () => {
    const host = virtualTimers();
    let turns = 0;
    const setTimer = (fn: () => void, s: number) => {
      if (s === 0) turns++;
      host.setTimer(fn, s);
    };
    let blocks = 0;
    // Atomics.wait wakes 80 µs late; the physics step costs 0.5 ms.
    const { ticks, stepAt, start } = virtualSim(100, 0.5e-3, undefined, { sleep: 'block', block: (s) => (blocks++, host.cost(s + 80e-6)) }, { ...host, setTimer, get t() { return host.t; } });
    expect(ticks.map((t) => t.seq)).toEqual([...Array(100).keys()]);
    expect(turns).toBe(99); // one per tick after the first
    expect(blocks).toBe(99);
    for (let k = 1; k < 100; k++) {
      expect(ticks[k].time).toBeCloseTo(k * 0.002, 12);
      expect(stepAt[k - 1]).toBeLessThan(start + k * 0.002); // the step before the deadline
    }
    // The initial margin (0.2 ms: the cap at 2 ms, 10 %) already covers 80 µs: on time throughout.
    for (const t of ticks.slice(1)) expect(t.lateness).toBeLessThan(3e-6);
  });
});

describe('SimClock in real time (virtual time, AdaptiveSleeper event-loop form)', () => {
  it('steps the physics before the deadline, then meets it: lateness is the wake-up, not the step', () => {
    // A 1.3 ms physics step in a 2 ms period; timers wake 50 µs late, inside the initial margin.
    const { ticks, stepAt, start } = virtualSim(200, 1.3e-3);
    expect(ticks.map((t) => t.seq)).toEqual([...Array(200).keys()]);
    expect(ticks[0].lateness).toBe(0);
    for (let k = 1; k < 200; k++) {
      expect(ticks[k].time).toBeCloseTo(k * 0.002, 12);
      expect(stepAt[k - 1]).toBeLessThan(start + k * 0.002); // step k ran before tick k's deadline
      expect(ticks[k].lateness).toBeGreaterThanOrEqual(0);
      expect(ticks[k].lateness).toBeLessThan(3e-6); // the spin's 1 µs read, not the 1.3 ms step
    }
  });

  it('learns the spin margin as the p99 of the timer lateness, capped by the CPU budget', () => {
    const lateness = (i: number) => (i % 50 === 0 ? 150e-6 : 50e-6);
    const { clock, ticks, host, start } = virtualSim(1000, 0.2e-3, lateness);
    expect(clock.sleeper.margin).toBeCloseTo(150e-6, 5); // + the 1 µs read of virtual now
    expect(Math.max(...ticks.slice(300).map((t) => t.lateness))).toBeLessThan(3e-6);
    expect(clock.sleeper.spunS / (host.t - start)).toBeLessThanOrEqual(0.1 + 1e-3);
    // A host that wakes 1 ms late: the margin stops at budget·period, ticks are late by the rest.
    const slow = virtualSim(600, 0.2e-3, () => 1e-3, { cpuBudget: 0.1 });
    expect(slow.clock.sleeper.margin).toBeCloseTo(0.2e-3, 9);
    expect(slow.ticks.at(-1)!.lateness).toBeCloseTo(0.8e-3, 4);
  });

  it('a fixed spin margin is not learned; a step longer than the period makes the tick late by the excess', () => {
    const { clock, ticks } = virtualSim(100, 2.5e-3, undefined, { spinMargin: 0.5e-3 });
    expect(clock.sleeper.margin).toBe(0.5e-3);
    // Each step overruns the period by 0.5 ms and the grid does not move: lateness grows 0.5 ms a tick.
    expect(ticks[10].lateness).toBeGreaterThan(4.9e-3);
  });

  it('resync() makes the next tick due one period from now (no catch-up burst after a pause)', () => {
    const host = virtualTimers();
    const clock = new SimClock(0.002, () => {}, { realtime: true, now: host.now, setTimer: host.setTimer });
    const done$ = new Subject<void>();
    const ticks: { t: Tick; at: number }[] = [];
    const sub = clock.ticks(done$).subscribe((t) => ticks.push({ t, at: host.t }));
    for (let k = 0; k < 5; k++) {
      done$.next();
      host.run();
    }
    host.cost(1); // paused for a second
    clock.resync();
    const resumed = host.t;
    done$.next();
    host.run();
    sub.unsubscribe();
    const after = ticks.at(-1)!;
    expect(after.t.seq).toBe(6);
    expect(after.at - resumed).toBeGreaterThan(0.002 - 1e-5);
    expect(after.t.lateness).toBeLessThan(3e-6);
  });
});

describe('WallClock', () => {
  it('keeps deadlines on the grid and reports lateness', async () => {
    const clock = new WallClock(0.005);
    const t0 = steadyNow();
    const ticks = await collect(clock, 20, (_t, done) => done());
    expect(ticks.map((t) => t.seq)).toEqual([...Array(20).keys()]);
    // On the grid; a slot skipped because the host woke the loop late is an overrun (docs/timing.md: ms on a busy VM).
    const grid = (t: Tick) => (t.time - ticks[0].time) / 0.005;
    for (const t of ticks) expect(grid(t)).toBeCloseTo(Math.round(grid(t)), 6);
    expect(Math.round(grid(ticks[19]))).toBe(19 + clock.overruns);
    for (const t of ticks) expect(Number.isFinite(t.lateness)).toBe(true);
    expect(steadyNow() - t0).toBeGreaterThanOrEqual(19 * 0.005 - 1e-3);
  });

  it('keeps one time base from when it was made: a reading taken before the run is not after its first tick', async () => {
    const clock = new WallClock(0.005);
    await new Promise((r) => setTimeout(r, 30)); // e.g. connecting the robot
    const before = clock.now(); // e.g. a bus read completed before the loop started
    expect(before).toBeGreaterThan(0.025);
    const ticks = await collect(clock, 5, (_t, done) => done());
    expect(ticks[0].time).toBeGreaterThanOrEqual(before);
    expect(ticks[0].time - before).toBeLessThan(0.005);
    // A second run on the same clock goes on from there, on the same base.
    const again = await collect(clock, 2, (_t, done) => done());
    expect(again[0].time).toBeGreaterThan(ticks[4].time);
  });

  it('counts an overrun instead of emitting while the previous tick is still busy', async () => {
    const clock = new WallClock(0.002);
    // each handler takes ~3 periods before it says done
    const ticks = await collect(clock, 5, (_t, done) => setTimeout(done, 6));
    expect(ticks).toHaveLength(5);
    expect(clock.overruns).toBeGreaterThanOrEqual(8);
    for (let k = 1; k < ticks.length; k++) expect(ticks[k].time - ticks[k - 1].time).toBeGreaterThan(0.002 * 1.5);
  });
});
