import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { SimClock } from '../../../src/clock/SimClock.ts';
import { WallClock } from '../../../src/clock/WallClock.ts';
import { steadyNow } from '../../../src/clock/sleep.ts';
import type { Tick } from '../../../src/clock/types.ts';

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

describe('WallClock', () => {
  it('keeps deadlines on the grid and reports lateness', async () => {
    const clock = new WallClock(0.005);
    const t0 = steadyNow();
    const ticks = await collect(clock, 20, (_t, done) => done());
    expect(ticks.map((t) => t.seq)).toEqual([...Array(20).keys()]);
    // On the grid; a slot skipped because the host woke the loop late is an overrun (docs/timing.md: ms on a busy VM).
    for (const t of ticks) expect(t.time / 0.005).toBeCloseTo(Math.round(t.time / 0.005), 6);
    expect(Math.round(ticks[19].time / 0.005)).toBe(19 + clock.overruns);
    for (const t of ticks) expect(Number.isFinite(t.lateness)).toBe(true);
    expect(steadyNow() - t0).toBeGreaterThanOrEqual(19 * 0.005 - 1e-3);
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
