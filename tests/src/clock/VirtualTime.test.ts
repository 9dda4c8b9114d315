/** Virtual time for tests: timers in due order at their due time, and a loop clock on it. */
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { VirtualClock, VirtualTime } from '../../../src/clock/VirtualTime.ts';
import type { Tick } from '../../../src/clock/types.ts';

describe('VirtualTime', () => {
  it('fires timers in due order with the clock at their due time, and refuses to go back', () => {
    const vt = new VirtualTime(1);
    const seen: string[] = [];
    vt.setTimeout(() => seen.push(`b@${vt.now()}`), 0.2);
    const h = vt.setTimeout(() => seen.push('cleared'), 0.1);
    vt.setTimeout(() => {
      seen.push(`a@${vt.now()}`);
      vt.setTimeout(() => seen.push(`c@${vt.now()}`), 0.05);
    }, 0.1);
    vt.clearTimeout(h);
    expect(vt.nextDue()).toBe(1.1);
    expect(vt.advanceTo(1.5)).toBe(3);
    expect(seen).toEqual(['a@1.1', 'c@1.1500000000000001', 'b@1.2']);
    expect(vt.now()).toBe(1.5);
    expect(vt.pendingCount).toBe(0);
    expect(vt.nextDue()).toBe(Number.POSITIVE_INFINITY);
    expect(() => vt.advanceTo(1)).toThrow(/expected a time at or after/);
  });

  it('same due time: in the order they were set', () => {
    const vt = new VirtualTime();
    const seen: number[] = [];
    for (const k of [3, 1, 2]) vt.setTimeout(() => seen.push(k), 0.5);
    vt.advance(0.5);
    expect(seen).toEqual([3, 1, 2]);
  });
});

describe('VirtualClock', () => {
  it('ticks at k·period from its start; a tick not done when the next is due is skipped and counted', () => {
    const vt = new VirtualTime(10);
    const clock = new VirtualClock(0.02, vt);
    const done$ = new Subject<void>();
    const ticks: Tick[] = [];
    let hold = false;
    const sub = clock.ticks(done$).subscribe((t) => {
      ticks.push(t);
      if (!hold) done$.next();
    });
    expect(ticks).toEqual([{ seq: 0, time: 0, lateness: 0 }]);
    vt.advance(0.04);
    expect(ticks.map((t) => t.seq)).toEqual([0, 1, 2]);
    expect(clock.now()).toBeCloseTo(0.04, 12);
    hold = true; // tick 3 is not done before 4 is due
    vt.advanceTo(10.09);
    expect(ticks.map((t) => t.seq)).toEqual([0, 1, 2, 3]);
    expect(clock.overruns).toBe(1);
    hold = false;
    done$.next();
    vt.advanceTo(10.1);
    expect(ticks.at(-1)).toEqual({ seq: 4, time: expect.closeTo(0.1, 12), lateness: expect.closeTo(0, 12) });
    sub.unsubscribe();
    expect(vt.pendingCount).toBe(0);
  });
});
