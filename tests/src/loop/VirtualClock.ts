import { Observable } from 'rxjs';
import type { Clock, Tick } from '../../../src/clock/types.ts';
import type { DeadlineTimer } from '../../../src/loop/DeadlineTimer.ts';

interface Timer {
  readonly time: number;
  readonly fn: () => void;
  live: boolean;
}

/**
 * Virtual time for loop tests, on the grid k × period like a real-time clock. Tick k is emitted at
 * time k·period once tick k-1 is done (the robot stepped one period). While a tick is in progress
 * and the event loop has nothing else to run, time jumps to the earliest pending timer (`at()`)
 * and fires it: a stage that never answers meets its deadline at the deadline's virtual time, as
 * RxJS's TestScheduler would run it. `at()` is what the loop's deadlines use on this clock.
 */
export class VirtualClock implements Clock, DeadlineTimer {
  private t = 0;
  private readonly timers: Timer[] = [];
  /** Virtual time at which each tick's record was handed on (the loop calls done$ after record()). */
  readonly doneAt: number[] = [];

  constructor(
    readonly period: number,
    private readonly advance: (dt: number) => void,
  ) {}

  now(): number {
    return this.t;
  }

  at(time: number, fn: () => void): () => void {
    const e: Timer = { time, fn, live: true };
    this.timers.push(e);
    return () => {
      e.live = false;
    };
  }

  /** Fires live timers due at or before `until`, earliest first; returns whether one fired. */
  private fireDue(until: number): boolean {
    let fired = false;
    for (;;) {
      let next: Timer | undefined;
      for (const e of this.timers) if (e.live && e.time <= until && (next === undefined || e.time < next.time)) next = e;
      if (next === undefined) return fired;
      next.live = false;
      if (next.time > this.t) this.t = next.time;
      next.fn();
      fired = true;
    }
  }

  ticks(done$: Observable<unknown>): Observable<Tick> {
    return new Observable<Tick>((sub) => {
      let seq = 0;
      let inProgress = false;
      let closed = false;
      const emit = () => {
        if (closed) return;
        inProgress = true;
        const mine = seq;
        sub.next({ seq, time: seq * this.period, lateness: 0 });
        setImmediate(() => idle(mine));
      };
      // The tick is still in progress after the event loop turned: jump to the next timer.
      const idle = (mine: number) => {
        if (closed || !inProgress || mine !== seq) return;
        const pending = this.timers.filter((e) => e.live);
        if (pending.length === 0) return; // stuck for good: the test times out
        const earliest = pending.reduce((a, b) => (b.time < a.time ? b : a));
        this.fireDue(earliest.time);
        setImmediate(() => idle(mine));
      };
      const doneSub = done$.subscribe(() => {
        inProgress = false;
        this.doneAt.push(this.t);
        seq++;
        this.advance(this.period);
        this.fireDue(seq * this.period);
        this.t = seq * this.period;
        setImmediate(emit);
      });
      this.t = 0;
      emit();
      return () => {
        closed = true;
        doneSub.unsubscribe();
      };
    });
  }
}
