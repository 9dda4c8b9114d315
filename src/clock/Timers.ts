/**
 * The timer seam (docs/style.md 6): code with deadlines, heartbeats or backoff (a bridge client,
 * a hardware robot, the live runner) takes a steady `now()` and a `Timers`, so that its tests run
 * on virtual time (VirtualTime) and the real ones are the defaults.
 */
import { steadyNow } from './sleep.ts';

/** An opaque handle from Timers.setTimeout. */
export type TimerHandle = unknown;

export interface Timers {
  /** Calls `fn` once, about `s` seconds from now on the steady clock (s <= 0: soon, never synchronously). */
  setTimeout(fn: () => void, s: number): TimerHandle;
  /** Cancels a pending call; a handle already fired or cleared is ignored. */
  clearTimeout(handle: TimerHandle): void;
  /**
   * Calls `fn` once the I/O that is ready has been read (Node: setImmediate, which runs after the
   * event loop's poll). A thread that slept in Atomics.wait wakes to its expired timers before its
   * sockets are read: a check of a link's liveness from a timer goes here. Absent: call at once
   * (virtual time, where I/O is handled before time moves).
   */
  afterIo?(fn: () => void): void;
}

/** Node's timers (setTimeout in ms). */
export const realTimers: Timers = {
  setTimeout: (fn, s) => setTimeout(fn, Math.max(0, s * 1000)),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  afterIo: (fn) => void setImmediate(fn),
};

/** The steady clock and timers a component runs on; the real ones by default. */
export interface TimeSource {
  /** Steady time (s), origin arbitrary. */
  readonly now: () => number;
  readonly timers: Timers;
}

export const realTime: TimeSource = { now: steadyNow, timers: realTimers };
