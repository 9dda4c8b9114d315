/** What both servo-bus emulators (Dynamixel, Feetech) take about the link: delay, loss, corruption, time. */
export interface LinkFaultOptions {
  /** Extra delay before each reply (s). */
  readonly latencyS?: number;
  /** Probability that an instruction packet is not heard at all (0..1). */
  readonly lossRate?: number;
  /** Probability that a reply gets one byte flipped (0..1). */
  readonly corruptRate?: number;
  /** Seed of the loss and corruption draws (default 1). */
  readonly seed?: number;
  /** Steady clock (s); default performance.now(). Tests inject virtual time. */
  readonly now?: () => number;
  /** Also delay replies by the wire time of their bytes at the line rate (default false). */
  readonly realTiming?: boolean;
}

/**
 * Runs `fn` no sooner than `delayS` seconds from now (wall time). A bare setTimeout can fire up
 * to a millisecond early against performance.now(): Node rounds sub-millisecond delays up to 1 ms
 * but counts from libuv's cached loop time, which is whole milliseconds and may be stale. A reply
 * delay is a promise about the wire (Return Delay Time), so the remainder is waited out on
 * setImmediate turns.
 */
export function afterAtLeast(delayS: number, fn: () => void): void {
  if (!(delayS > 0)) return fn();
  const due = performance.now() + delayS * 1000;
  const check = () => (performance.now() >= due ? fn() : setImmediate(check));
  setTimeout(check, delayS * 1000);
}
