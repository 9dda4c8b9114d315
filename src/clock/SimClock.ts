import { Observable } from 'rxjs';
import type { Clock, Tick } from './types.ts';
import { sleepUntil, steadyNow } from './sleep.ts';

export interface SimClockOptions {
  /** Pace simulated time to the wall clock (1 s of sim per 1 s of wall time); default: as fast as possible. */
  readonly realtime?: boolean;
  /** Spin margin for real-time pacing (s). */
  readonly spinMargin?: number;
  /** In fast mode, yield to the event loop every this many ticks so signals and sockets are served. */
  readonly yieldEvery?: number;
}

/**
 * Virtual time in lockstep with the loop: tick k is emitted only after tick k-1 was handled
 * (`done$`) and the simulation was advanced by one period (`advance`). Fast mode runs as fast as
 * the pipeline allows; real-time mode paces ticks to the wall clock and reports their lateness.
 */
export class SimClock implements Clock {
  private simTime = 0;

  constructor(
    readonly period: number,
    private readonly advance: (dt: number) => void,
    private readonly options: SimClockOptions = {},
  ) {}

  now(): number {
    return this.simTime;
  }

  ticks(done$: Observable<unknown>): Observable<Tick> {
    return new Observable<Tick>((sub) => {
      const realtime = this.options.realtime ?? false;
      const yieldEvery = this.options.yieldEvery ?? 500;
      const spinMargin = this.options.spinMargin ?? 0.0011;
      const wallStart = steadyNow();
      let seq = 0;
      let emitting = false;
      let pending = false;
      let closed = false;

      const emit = (lateness: number) => {
        if (closed) return;
        sub.next({ seq, time: this.simTime, lateness });
      };
      // Emits ticks in a loop rather than recursively: a synchronous pipeline calls done$ from
      // inside next(), which only marks the next tick as pending here.
      const pump = () => {
        if (emitting) {
          pending = true;
          return;
        }
        emitting = true;
        let burst = 0;
        do {
          pending = false;
          emit(0);
          burst++;
        } while (pending && !closed && burst < yieldEvery);
        emitting = false;
        if (pending && !closed) {
          pending = false;
          setImmediate(pump);
        }
      };
      const next = () => {
        if (closed) return;
        this.advance(this.period);
        this.simTime += this.period;
        seq++;
        if (!realtime) return pump();
        const deadline = wallStart + seq * this.period;
        sleepUntil(deadline, spinMargin, () => emit(steadyNow() - deadline));
      };
      const doneSub = done$.subscribe(next);
      this.simTime = 0;
      if (realtime) emit(0);
      else pump();
      return () => {
        closed = true;
        doneSub.unsubscribe();
      };
    });
  }
}
