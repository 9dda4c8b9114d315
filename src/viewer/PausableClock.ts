/**
 * A lockstep simulation clock the operator can pause and single-step (the viewer's pause/step).
 *
 * It wraps an UNPACED lockstep clock (a `SimClock` without `realtime`) and does the pacing itself:
 * after tick k was handled (`done$`), it waits for tick k+1's deadline and only then lets the inner
 * clock advance the simulation and emit. Paused, it holds that release; `step()` releases exactly
 * one tick; `resume()` re-bases the deadlines on the present, so that a pause is never followed by
 * a burst of catch-up ticks. Lateness is measured here (wake time minus deadline), as SimClock does.
 *
 * Pause, resume and step are called from outside the tick (a WebSocket message); the tick itself
 * allocates only the Tick object, as SimClock does.
 */
import { Observable, Subject } from 'rxjs';
import type { Clock, Tick } from '../clock/types.ts';
import { sleepUntil, steadyNow } from '../clock/sleep.ts';

/** What the viewer needs from a pausable run. */
export interface SimControl {
  readonly paused: boolean;
  pause(): void;
  resume(): void;
  /** While paused: run exactly one more tick. */
  step(): void;
}

export interface PausableClockOptions {
  /** Pace ticks to the wall clock (1 s of sim per s); default false (as fast as possible). */
  readonly realtime?: boolean;
  /** Spin margin of the real-time pacing (s); default 1.1 ms as SimClock. */
  readonly spinMargin?: number;
}

export class PausableClock implements Clock, SimControl {
  readonly period: number;
  private _paused = false;
  private held: (() => void) | undefined;
  private rebase: (() => void) | undefined;

  /** @param inner an unpaced lockstep clock (it must emit tick k+1 as soon as done$ fires) */
  constructor(
    private readonly inner: Clock,
    private readonly options: PausableClockOptions = {},
  ) {
    this.period = inner.period;
  }

  get paused(): boolean {
    return this._paused;
  }

  now(): number {
    return this.inner.now();
  }

  pause(): void {
    this._paused = true;
  }

  resume(): void {
    if (!this._paused) return;
    this._paused = false;
    this.rebase?.();
    const h = this.held;
    this.held = undefined;
    h?.();
  }

  step(): void {
    if (!this._paused) return;
    this.rebase?.();
    const h = this.held;
    this.held = undefined;
    h?.();
  }

  ticks(done$: Observable<unknown>): Observable<Tick> {
    return new Observable<Tick>((sub) => {
      const realtime = this.options.realtime ?? false;
      const margin = this.options.spinMargin ?? 0.0011;
      const gate = new Subject<void>();
      let next = 0; // seq of the tick to release next
      let wallStart = steadyNow();
      let deadline = wallStart;
      let closed = false;
      this.rebase = () => {
        // The next tick is due now: no catch-up burst after a pause.
        wallStart = steadyNow() - next * this.period;
      };
      const release = () => {
        if (closed) return;
        if (!realtime) return gate.next();
        deadline = wallStart + next * this.period;
        sleepUntil(deadline, margin, () => {
          if (!closed) gate.next();
        });
      };
      const doneSub = done$.subscribe(() => {
        next++;
        if (this._paused) this.held = release;
        else release();
      });
      // Subscribed after done$: the inner clock emits its first tick synchronously.
      const innerSub = this.inner.ticks(gate).subscribe({
        next: (t) => sub.next(realtime ? { seq: t.seq, time: t.time, lateness: steadyNow() - deadline } : t),
        error: (e) => sub.error(e),
        complete: () => sub.complete(),
      });
      return () => {
        closed = true;
        this.held = undefined;
        this.rebase = undefined;
        doneSub.unsubscribe();
        innerSub.unsubscribe();
      };
    });
  }
}
