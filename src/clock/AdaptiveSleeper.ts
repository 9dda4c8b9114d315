import { steadyNow } from './sleep.ts';

/**
 * Sleeps to a deadline the way a C loop does with `clock_nanosleep(TIMER_ABSTIME)`, then spins the
 * last stretch: the spin margin is learned from the recent wake-up lateness of the sleep itself
 * (its p99 over a window), so the spin absorbs the host's late wake-ups and no more, and it is
 * capped by a CPU budget (a spin margin shorter than the lateness buys nothing, docs/timing.md; one
 * longer than budget·period burns a core).
 *
 * `sleepUntil` blocks the calling thread (`Atomics.wait` with a fractional ms timeout): call it on
 * a thread that owns the timing (a worker), or on the main thread only where blocking the event
 * loop is intended. `schedule` is the event-loop form (timer, then spin) for the main thread.
 * Time and the blocking wait are injected, so the learning is tested on virtual time.
 */
export interface AdaptiveSleeperOptions {
  /** The loop's period (s): the budget caps the spin margin at `cpuBudget · period`. */
  readonly period: number;
  /** Share of a core the spin may burn (0..1). Default 0.1: with the tick's own work, a loop stays near 15 %. */
  readonly cpuBudget?: number;
  /** Spin margin before anything was learned (s). Default 0.3 ms. */
  readonly initialMargin?: number;
  /** Never spin less than this (s). Default 20 µs. */
  readonly minMargin?: number;
  /** Wake-ups in the learning window. Default 256. */
  readonly window?: number;
  /** Quantile of the wake-up lateness the margin covers. Default 0.99. */
  readonly quantile?: number;
  /** A fixed margin (s): no learning. */
  readonly fixedMargin?: number;
  /** Steady time (s). */
  readonly now?: () => number;
  /** Blocks the thread for about `s` seconds. Default `Atomics.wait` on a private word. */
  readonly block?: (s: number) => void;
  /** Calls `fn` from the event loop in about `s` seconds (0: on the next turn). Default setTimeout / setImmediate. */
  readonly setTimer?: (fn: () => void, s: number) => void;
}

/** The event loop's timer: setTimeout for a positive delay, setImmediate for none. */
export function eventLoopTimer(fn: () => void, s: number): void {
  if (s > 0) setTimeout(fn, s * 1000);
  else setImmediate(fn);
}

const _word = new Int32Array(new SharedArrayBuffer(4));
/** Sleeps without the event loop: Atomics.wait on a word nobody notifies, fractional ms timeout. */
export function atomicsBlock(s: number): void {
  Atomics.wait(_word, 0, 0, s * 1000);
}

export class AdaptiveSleeper {
  /** The spin margin in use (s). */
  margin: number;
  /** Wake-ups seen; lateness samples are kept for the last `window` of them. */
  wakes = 0;
  /** Seconds spent spinning, in total (for the CPU share). */
  spunS = 0;
  /**
   * Work that readies the tick, run once per wake-up before the spin (the loop sets it to the
   * policy's cache warm-up, Policy.prewarm): the wake-up is moved earlier by its recent cost, and
   * it is skipped when a late wake-up leaves less time than that before the deadline.
   */
  warm: (() => void) | undefined;
  /** Recent cost of `warm` (s): a decaying maximum of its durations, at most `cap`. */
  warmCost = 0;
  /** Seconds spent in `warm`, in total, and the wake-ups it ran on / was skipped on. */
  warmedS = 0;
  warmRuns = 0;
  warmSkips = 0;
  private warmOver = 0;
  readonly cap: number;
  private readonly late: Float64Array;
  private readonly sorted: Float64Array;
  private readonly minMargin: number;
  private readonly quantile: number;
  private readonly learn: boolean;
  private readonly now: () => number;
  private readonly block: (s: number) => void;
  private readonly setTimer: (fn: () => void, s: number) => void;

  constructor(o: AdaptiveSleeperOptions) {
    this.cap = Math.max(0, (o.cpuBudget ?? 0.1) * o.period);
    this.minMargin = Math.min(o.minMargin ?? 20e-6, this.cap);
    this.quantile = o.quantile ?? 0.99;
    this.learn = o.fixedMargin === undefined;
    this.margin = o.fixedMargin ?? Math.min(o.initialMargin ?? 0.3e-3, this.cap);
    this.late = new Float64Array(o.window ?? 256);
    this.sorted = new Float64Array(this.late.length);
    this.now = o.now ?? steadyNow;
    this.block = o.block ?? atomicsBlock;
    this.setTimer = o.setTimer ?? eventLoopTimer;
  }

  /** Blocks until `deadline` (steady s): sleep to deadline − margin, then spin. Returns the lateness at return (s, >= 0). */
  sleepUntil(deadline: number): number {
    return this.spin(this.wake(deadline), deadline);
  }

  /**
   * The sleep of sleepUntil without its spin: blocks to `lead` s before the spin would start
   * (deadline − earlyBy − lead), learns that wake-up's lateness, and returns the time (steady s).
   * The caller uses the lead (an event-loop turn) and then spins (`spin`).
   */
  wake(deadline: number, lead = 0): number {
    const wakeAt = deadline - this.earlyBy - lead;
    let t = this.now();
    if (wakeAt > t) {
      this.block(wakeAt - t);
      t = this.now();
      this.observe(t - wakeAt);
    }
    return t;
  }

  /**
   * The event-loop form: a timer to deadline − margin, then a spin, then `done(lateness)`. The
   * timer's lateness is what is learned (a timer wakes later than Atomics.wait: the event loop
   * and its 1 ms timer granularity add to the host's wake-up latency).
   */
  schedule(deadline: number, done: (lateness: number) => void): void {
    const wakeAt = deadline - this.earlyBy;
    const wait = wakeAt - this.now();
    const fire = () => {
      const t = this.now();
      if (wait > 0) this.observe(t - wakeAt);
      // No margin: a plain timer, reported as it fired (it may fire early: 1 ms granularity).
      done(this.margin > 0 || this.warm !== undefined ? this.spin(t, deadline) : t - deadline);
    };
    this.setTimer(fire, Math.max(0, wait));
  }

  /** How long before a deadline to wake: the spin margin and the time `warm` takes. */
  get earlyBy(): number {
    return this.margin + this.lead();
  }

  /** How much earlier than the spin margin to wake, to leave `warm` its time. */
  private lead(): number {
    return this.warm === undefined ? 0 : Math.min(this.warmCost, this.cap);
  }

  /**
   * Spins to `deadline` − the warm-up's recent cost, runs it there (the closer to the tick, the
   * warmer what it touched stays: a loaded host runs other processes on this core while it
   * spins), and returns the time after it. Skipped when a late wake-up left less time than that.
   */
  private runWarm(t: number, deadline: number): number {
    const lead = this.lead();
    if (deadline - t < lead) {
      this.warmSkips++;
      return t;
    }
    const t0 = t;
    while (t < deadline - lead) t = this.now();
    this.spunS += t - t0;
    this.warm!();
    const end = this.now();
    const d = end - t;
    this.warmCost = Math.max(d, this.warmCost * 0.995);
    this.warmedS += d;
    this.warmRuns++;
    // A warm-up dearer than the CPU budget (a big model) is not worth it: off after 3 such calls.
    if (d > this.cap && ++this.warmOver >= 3) this.warm = undefined;
    return end;
  }

  /**
   * Records one wake-up's lateness (s, negative = early) and re-learns the margin every quarter
   * window, and before that after 8, 16, 32... wake-ups (a run's first ticks would otherwise all
   * use the initial guess).
   */
  observe(lateness: number): void {
    const n = this.late.length;
    this.late[this.wakes % n] = lateness;
    const w = ++this.wakes;
    const every = Math.max(1, n >> 2);
    const early = w < every && w >= 8 && (w & (w - 1)) === 0;
    if (!this.learn || (w % every !== 0 && !early)) return;
    const k = Math.min(this.wakes, n);
    const s = this.sorted.subarray(0, k);
    s.set(this.late.subarray(0, k));
    s.sort();
    const q = s[Math.min(k - 1, Math.ceil(this.quantile * k) - 1)];
    this.margin = Math.min(this.cap, Math.max(this.minMargin, q));
  }

  /** Spins from `t` (now) to `deadline`, running `warm` first when there is time for it; returns the lateness (s, >= 0). */
  spin(t: number, deadline: number): number {
    if (this.warm !== undefined) t = this.runWarm(t, deadline);
    const t0 = t;
    while (t < deadline) t = this.now();
    this.spunS += t - t0;
    return t - deadline;
  }
}
