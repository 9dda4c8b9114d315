/**
 * A lockstep simulation clock the operator can pause and single-step (the viewer's pause/step).
 *
 * It wraps a lockstep clock (a `SimClock`) and gates its `done$`: paused, the handled tick's done$
 * is held, so the inner clock neither advances the simulation nor emits; `step()` releases exactly
 * one tick; `resume()` releases and lets it run on. Before a release, the deadlines are re-based
 * on the present (the next tick due one period from now), so that a pause is never followed by a
 * burst of catch-up ticks.
 *
 * Real time is paced the way SimClock paces it, with the same semantics: the simulation advances
 * first, then the clock waits for the tick's deadline (start + k·period) and emits it with its
 * lateness (wake time minus deadline, AdaptiveSleeper's timer then learned spin). A real-time
 * SimClock inside paces itself: its ticks pass through unchanged. An unpaced one inside, with
 * `realtime` here, is paced here: its tick (already advanced) is held until its deadline.
 *
 * Pause, resume and step are called from outside the tick (a WebSocket message); the tick itself
 * allocates only the Tick object, as SimClock does.
 */
import { Observable, Subject } from 'rxjs';
import type { Clock, Tick } from '../clock/types.ts';
import { steadyNow } from '../clock/sleep.ts';
import { AdaptiveSleeper } from '../clock/AdaptiveSleeper.ts';

/** What the viewer needs from a pausable run. */
export interface SimControl {
  readonly paused: boolean;
  /** A string one of these returns is the message of the page's ack (else the command's name). */
  pause(): unknown;
  resume(): unknown;
  /** While paused: run exactly one more tick. */
  step(): unknown;
  /**
   * Why `cmd` would do nothing now (a replay at its end has no tick to step to), answered to the
   * page as a refused ack instead of an ok that changes nothing; undefined when it acts.
   */
  refuses?(cmd: 'pause' | 'resume' | 'step'): string | undefined;
}

export interface PausableClockOptions {
  /** Pace ticks to the wall clock (1 s of sim per s); default false (as fast as possible). Implied by a paced inner clock. */
  readonly realtime?: boolean;
  /** A fixed spin margin (s) instead of the learned one, as SimClock's; 0 = a plain timer. */
  readonly spinMargin?: number;
  /** Share of a core the spin may burn, as SimClock's. Default 0.1. */
  readonly cpuBudget?: number;
  /** Steady time (s); default performance.now(). Injected with `setTimer` for tests on virtual time. */
  readonly now?: () => number;
  /** Calls `fn` from the event loop in about `s` seconds; default setTimeout / setImmediate. */
  readonly setTimer?: (fn: () => void, s: number) => void;
}

/** A lockstep clock that paces itself and can re-base its deadlines (SimClock with realtime). */
interface PacedClock extends Clock {
  readonly paced: boolean;
  resync(): void;
}

function isPaced(c: Clock): c is PacedClock {
  const p = c as Partial<PacedClock>;
  return p.paced === true && typeof p.resync === 'function';
}

export class PausableClock implements Clock, SimControl {
  readonly period: number;
  /** The pacing's sleeper when this clock paces (an unpaced inner clock with `realtime`). */
  sleeper: AdaptiveSleeper | undefined;
  private _paused = false;
  private held: (() => void) | undefined;
  private rebase: (() => void) | undefined;
  private warmUp: (() => void) | undefined;

  /** @param inner a lockstep clock (it emits tick k+1 once done$ fires, after advancing the simulation) */
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

  /** To the sleeper that paces: this clock's own, or a paced inner clock's. */
  setWarmUp(fn: (() => void) | undefined): void {
    this.warmUp = fn;
    this.inner.setWarmUp?.(fn);
    if (this.sleeper) this.sleeper.warm = fn;
  }

  pause(): void {
    this._paused = true;
  }

  resume(): void {
    if (!this._paused) return;
    this._paused = false;
    this.release();
  }

  step(): void {
    if (!this._paused) return;
    this.release();
  }

  ticks(done$: Observable<unknown>): Observable<Tick> {
    return new Observable<Tick>((sub) => {
      const inner = this.inner;
      const pacedInside = isPaced(inner);
      const pace = (this.options.realtime ?? false) && !pacedInside;
      const now = this.options.now ?? steadyNow;
      const o = this.options;
      const sleeper = pace
        ? (this.sleeper = new AdaptiveSleeper({
            period: this.period,
            ...(o.cpuBudget !== undefined ? { cpuBudget: o.cpuBudget } : {}),
            ...(o.spinMargin !== undefined ? { fixedMargin: o.spinMargin } : {}),
            ...(o.now ? { now: o.now } : {}),
            ...(o.setTimer ? { setTimer: o.setTimer } : {}),
          }))
        : undefined;
      if (sleeper) sleeper.warm = this.warmUp;
      const gate = new Subject<void>();
      let wallStart = now();
      let last = 0; // seq of the inner clock's last tick
      let closed = false;
      const forward = () => {
        if (!closed) gate.next();
      };
      this.rebase = () => {
        if (pacedInside) inner.resync();
        else wallStart = now() - last * this.period; // tick last+1 due one period from now
      };
      const doneSub = done$.subscribe(() => {
        if (this._paused) this.held = forward;
        else forward();
      });
      // Subscribed after done$: the inner clock emits its first tick synchronously.
      const innerSub = inner.ticks(gate).subscribe({
        next: (t) => {
          last = t.seq;
          // Tick 0 is due at the start, as SimClock's (emitted at once, lateness 0).
          if (!sleeper || t.seq === 0) return sub.next(t);
          // The inner clock has advanced the simulation: wait for this tick's deadline, then emit.
          sleeper.schedule(wallStart + t.seq * this.period, (lateness) => {
            if (!closed) sub.next({ seq: t.seq, time: t.time, lateness });
          });
        },
        error: (e) => sub.error(e),
        complete: () => sub.complete(),
      });
      return () => {
        closed = true;
        if (sleeper) sleeper.warm = undefined; // a timer still queued runs no warm-up
        this.held = undefined;
        this.rebase = undefined;
        doneSub.unsubscribe();
        innerSub.unsubscribe();
      };
    });
  }

  /** Re-bases the deadlines on the present and releases the held tick, if any. */
  private release(): void {
    const h = this.held;
    if (!h) return;
    this.held = undefined;
    this.rebase?.();
    h();
  }
}
