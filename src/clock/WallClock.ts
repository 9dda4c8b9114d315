import { Observable } from 'rxjs';
import type { Clock, Tick } from './types.ts';
import { sleepUntil, steadyNow } from './sleep.ts';

export interface WallClockOptions {
  /** Seconds before each deadline at which the timer hands over to a spin (TIMING.md). Default 1.1 ms. */
  readonly spinMargin?: number;
}

/**
 * Real time at a fixed period on a steady clock, hybrid timer + spin. Deadlines stay on the grid
 * start + k·period (no drift). A tick whose previous one is still being handled (no `done$` yet)
 * is not emitted: it is counted in `overruns` and the next deadline on the grid is used.
 */
export class WallClock implements Clock {
  overruns = 0;
  private origin = steadyNow();

  constructor(
    readonly period: number,
    private readonly options: WallClockOptions = {},
  ) {}

  now(): number {
    return steadyNow() - this.origin;
  }

  ticks(done$: Observable<unknown>): Observable<Tick> {
    return new Observable<Tick>((sub) => {
      const spinMargin = this.options.spinMargin ?? 0.0011;
      this.origin = steadyNow();
      let k = 0;
      let seq = 0;
      let busy = false;
      let closed = false;
      const doneSub = done$.subscribe(() => {
        busy = false;
      });
      const fire = () => {
        if (closed) return;
        const deadline = this.origin + k * this.period;
        const now = steadyNow();
        if (busy) {
          this.overruns++;
        } else {
          busy = true;
          sub.next({ seq: seq++, time: deadline - this.origin, lateness: now - deadline });
        }
        // Next deadline on the grid that is still ahead; skipped slots are overruns too.
        let nextK = k + 1;
        const behind = Math.floor((steadyNow() - this.origin) / this.period) + 1;
        if (behind > nextK) {
          this.overruns += behind - nextK;
          nextK = behind;
        }
        k = nextK;
        if (!closed) sleepUntil(this.origin + k * this.period, spinMargin, fire);
      };
      fire();
      return () => {
        closed = true;
        doneSub.unsubscribe();
      };
    });
  }
}
