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
