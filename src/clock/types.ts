import type { Observable } from 'rxjs';

/** One beat of a clock. */
export interface Tick {
  /** 0, 1, 2, ... */
  readonly seq: number;
  /** Scheduled time of this tick (s) on the clock's time base (sim time, or steady wall time since the clock was made). */
  readonly time: number;
  /** Wake time minus deadline (s): positive when late, negative when a timer fired early; 0 for a lockstep sim clock. */
  readonly lateness: number;
}

/**
 * A source of ticks at a fixed period. `ticks(done$)` emits the first tick at once; a lockstep
 * clock emits each next tick only when `done$` says the previous one was handled (it then
 * advances the simulation by one period), a wall clock emits on real time whatever done$ says.
 */
export interface Clock {
  /** Period (s). */
  readonly period: number;
  ticks(done$: Observable<unknown>): Observable<Tick>;
  /** Time on the clock's base (s). */
  now(): number;
  /**
   * Work to run on the tick's thread shortly before each deadline, in the time a paced clock
   * would otherwise spin (AdaptiveSleeper.warm): the loop gives its policy's cache warm-up
   * (Policy.prewarm). Clocks that do not sleep (lockstep, fast) ignore it.
   */
  setWarmUp?(fn: (() => void) | undefined): void;
}
