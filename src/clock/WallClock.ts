import { Observable } from 'rxjs';
import type { Clock, Tick } from './types.ts';
import { steadyNow } from './sleep.ts';
import { AdaptiveSleeper } from './AdaptiveSleeper.ts';

export interface WallClockOptions {
  /**
   * How this thread waits for a deadline (both then spin a learned margin, AdaptiveSleeper):
   * - 'timer': a setTimeout; the event loop stays free between ticks.
   * - 'block': Atomics.wait on this thread (fractional ms, no event loop), one event-loop turn
   *   per tick in between: for a thread that owns the loop (docs/architecture.md); on the main thread, I/O
   *   and timers are served once per period.
   * Default 'timer'.
   */
  readonly sleep?: 'timer' | 'block';
  /** Share of a core the spin may burn (caps the learned margin at budget·period). Default 0.1. */
  readonly cpuBudget?: number;
  /** A fixed spin margin (s) instead of a learned one; 0 = no spin (a plain timer or wait). */
  readonly spinMargin?: number;
}

/**
 * Real time at a fixed period on a steady clock: sleep, then spin the last stretch, the spin
 * margin learned from the recent wake-up lateness under a CPU budget (AdaptiveSleeper). Deadlines
 * stay on the grid start + k·period (no drift), start being when `ticks()` was subscribed. Time
 * (`now()`, tick times) counts from when the clock was made and does not jump at a run's start, so
 * that what a robot stamped with `now()` before the loop began (a read, a connect event) stays on
 * the run's time base. A tick whose previous one is still being handled
 * (no `done$` yet) is not emitted: it is counted in `overruns` and the next deadline on the grid
 * is used. For timing owned by another thread see WorkerClock.
 */
export class WallClock implements Clock {
  overruns = 0;
  /** The sleeper of the last run (margin learned, seconds spun). */
  sleeper: AdaptiveSleeper;
  private warmUp: (() => void) | undefined;
  /** Where the time base starts (steady s): when the clock was made. */
  private readonly origin = steadyNow();

  constructor(
    readonly period: number,
    private readonly options: WallClockOptions = {},
  ) {
    this.sleeper = this.newSleeper();
  }

  now(): number {
    return steadyNow() - this.origin;
  }

  ticks(done$: Observable<unknown>): Observable<Tick> {
    return new Observable<Tick>((sub) => {
      const block = this.options.sleep === 'block';
      const sleeper = (this.sleeper = this.newSleeper());
      const start = steadyNow();
      let k = 0;
      let seq = 0;
      let busy = false;
      let closed = false;
      const doneSub = done$.subscribe(() => {
        busy = false;
      });
      const fire = () => {
        if (closed) return;
        const deadline = start + k * this.period;
        const now = steadyNow();
        if (busy) {
          this.overruns++;
        } else {
          busy = true;
          sub.next({ seq: seq++, time: deadline - this.origin, lateness: now - deadline });
        }
        // Next deadline on the grid that is still ahead; skipped slots are overruns too.
        let nextK = k + 1;
        const behind = Math.floor((steadyNow() - start) / this.period) + 1;
        if (behind > nextK) {
          this.overruns += behind - nextK;
          nextK = behind;
        }
        k = nextK;
        if (closed) return;
        const next = start + k * this.period;
        if (block) setImmediate(() => {
          if (closed) return;
          sleeper.sleepUntil(next);
          fire();
        });
        else sleeper.schedule(next, fire);
      };
      fire();
      return () => {
        closed = true;
        sleeper.warm = undefined; // a timer still queued runs no warm-up
        doneSub.unsubscribe();
      };
    });
  }

  setWarmUp(fn: (() => void) | undefined): void {
    this.warmUp = fn;
    this.sleeper.warm = fn;
  }

  private newSleeper(): AdaptiveSleeper {
    const o = this.options;
    const sleeper = new AdaptiveSleeper({
      period: this.period,
      ...(o.cpuBudget !== undefined ? { cpuBudget: o.cpuBudget } : {}),
      ...(o.spinMargin !== undefined ? { fixedMargin: o.spinMargin } : {}),
    });
    sleeper.warm = this.warmUp;
    return sleeper;
  }
}
