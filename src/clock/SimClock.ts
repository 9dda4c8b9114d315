import { Observable } from 'rxjs';
import type { Clock, Tick } from './types.ts';
import { steadyNow } from './sleep.ts';
import { AdaptiveSleeper, eventLoopTimer } from './AdaptiveSleeper.ts';

export interface SimClockOptions {
  /** Pace simulated time to the wall clock (1 s of sim per 1 s of wall time); default: as fast as possible. */
  readonly realtime?: boolean;
  /** Real-time pacing: a fixed spin margin (s) instead of the learned one (AdaptiveSleeper); 0 = a plain timer. */
  readonly spinMargin?: number;
  /**
   * Real-time pacing: how this thread waits for a deadline: 'timer' (a setTimeout, the event loop
   * free between ticks) or 'block' (Atomics.wait then the spin, with one event-loop turn per tick
   * for I/O, signals and timers). A simulated tick is synchronous, so unlike WallClock's 'block'
   * there is no I/O to wait for. Default 'timer'.
   */
  readonly sleep?: 'timer' | 'block';
  /** Real-time pacing with sleep 'block': blocks the thread for about `s` seconds (tests inject virtual time). Default Atomics.wait. */
  readonly block?: (s: number) => void;
  /** Real-time pacing: share of a core the spin may burn (caps the learned margin at budget·period). Default 0.1. */
  readonly cpuBudget?: number;
  /** In fast mode, yield to the event loop every this many ticks so signals and sockets are served. */
  readonly yieldEvery?: number;
  /** Steady time (s) for the pacing; default performance.now(). Injected with `setTimer` for tests on virtual time. */
  readonly now?: () => number;
  /** Calls `fn` from the event loop in about `s` seconds; default setTimeout / setImmediate. */
  readonly setTimer?: (fn: () => void, s: number) => void;
}

/**
 * Virtual time in lockstep with the loop: tick k is emitted only after tick k-1 was handled
 * (`done$`) and the simulation was advanced by one period (`advance`). Fast mode runs as fast as
 * the pipeline allows. Real-time mode advances the simulation first, then waits for the tick's
 * deadline on the wall-clock grid (start + k·period) and emits the tick with its lateness (wake
 * time minus deadline): a timer to deadline − margin, then a spin, the margin learned from the
 * timer's recent wake-up lateness under a CPU budget (AdaptiveSleeper's event-loop form,
 * docs/timing.md). With `sleep: 'block'` the thread gives the event loop one turn, then sleeps in
 * Atomics.wait to deadline − margin and spins (AdaptiveSleeper.sleepUntil): the way a C loop
 * sleeps, measured better than the timer for `axon sim --realtime` (docs/timing.md).
 */
export class SimClock implements Clock {
  private simTime = 0;
  /** The real-time pacing's sleeper (margin learned, seconds spun); a new one per `ticks()`. */
  sleeper: AdaptiveSleeper;
  private warmUp: (() => void) | undefined;
  private resyncFn: (() => void) | undefined;

  constructor(
    readonly period: number,
    private readonly advance: (dt: number) => void,
    private readonly options: SimClockOptions = {},
  ) {
    this.sleeper = this.newSleeper();
  }

  /** True when this clock paces itself to the wall clock. */
  get paced(): boolean {
    return this.options.realtime ?? false;
  }

  now(): number {
    return this.simTime;
  }

  /**
   * Real-time mode: re-base the deadlines so that the next tick is due one period from now (after
   * a pause, no burst of catch-up ticks). Call it between a tick and its done$.
   */
  resync(): void {
    this.resyncFn?.();
  }

  ticks(done$: Observable<unknown>): Observable<Tick> {
    return new Observable<Tick>((sub) => {
      const realtime = this.options.realtime ?? false;
      const block = this.options.sleep === 'block';
      const turn = this.options.setTimer ?? eventLoopTimer;
      const yieldEvery = this.options.yieldEvery ?? 500;
      const now = this.options.now ?? steadyNow;
      const sleeper = realtime ? (this.sleeper = this.newSleeper()) : this.sleeper;
      let wallStart = now();
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
        // The physics step belongs to this period: it runs before the deadline, not after it.
        this.advance(this.period);
        this.simTime += this.period;
        seq++;
        if (!realtime) return pump();
        const deadline = wallStart + seq * this.period;
        if (!block) return sleeper.schedule(deadline, emit);
        // One event-loop turn (I/O, signals, timers), then sleep on this thread to the deadline.
        turn(() => {
          if (!closed) emit(sleeper.sleepUntil(deadline));
        }, 0);
      };
      this.resyncFn = () => {
        // Tick seq+1 (the next one advanced) due one period from now.
        wallStart = now() - seq * this.period;
      };
      const doneSub = done$.subscribe(next);
      this.simTime = 0;
      if (realtime) emit(0);
      else pump();
      return () => {
        closed = true;
        sleeper.warm = undefined; // a timer still queued runs no warm-up
        this.resyncFn = undefined;
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
      ...(o.now ? { now: o.now } : {}),
      ...(o.setTimer ? { setTimer: o.setTimer } : {}),
      ...(o.block ? { block: o.block } : {}),
    });
    sleeper.warm = this.warmUp;
    return sleeper;
  }
}
