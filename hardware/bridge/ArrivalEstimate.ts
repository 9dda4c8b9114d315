/**
 * When a state frame's data was measured, on the client's clock, from the server's own stamp on
 * it, so that a frame read late (the client's thread was asleep in a blocking clock, or busy with
 * a tick) is not dated by its read.
 *
 * The server stamps each frame on its steady clock when the robot was measured (PROTOCOL.md 5);
 * for a frame read at `readAt` on the client's clock, `readAt − time` is the clocks' offset plus
 * that frame's delay (the server's send, the wire, the client's read). Its smallest value over
 * recent frames is the offset plus the shortest delay, and a frame is dated `time + that`: its
 * arrival for a frame that came as fast as the fastest, earlier for one the server or the network
 * held up (its data is that much older), and never later than its read.
 *
 * Kept robust and current: the smallest value of each window (`windowS`) is kept for the last
 * `WINDOWS` windows, and the estimate is the smallest of those and the current window's, unless
 * it lies more than `maxCorrectionS` below the second smallest (one frame with a wrong stamp, a
 * server clock that stepped once: it then moves no other frame's date); two clocks drifting apart
 * (a few ppm) are followed within about a second. A new link (the server may have restarted on
 * another clock origin) starts afresh (`reset`).
 *
 * How good it is: where some frame is read within d of its arrival in at least two of the windows,
 * every prompt frame is dated within d of its arrival. A client that drains its socket once per
 * tick, with frames coming at least once per tick, reads its newest frame within one state period.
 *
 * A server whose stamps do not follow a steady clock at real time (sim time running slower than
 * real time breaks the protocol, but may happen) would make frames look older and older, and a
 * frame held up long would look as old as it is; the correction is capped at `maxCorrectionS`
 * (BridgeRobot: half its staleness deadline, so that the stamps alone cannot make a link look
 * stale: while nothing comes, it goes stale by the reads as before).
 */
const WINDOWS = 4;

export class ArrivalEstimate {
  /** Smallest `readAt − time` of each of the last WINDOWS windows (ring, Infinity: none yet), and of the current one. */
  private readonly past = new Float64Array(WINDOWS).fill(Number.POSITIVE_INFINITY);
  private next = 0;
  private best = Number.POSITIVE_INFINITY;
  private windowStart = Number.NaN;
  /** The estimate (s): the smallest of `past` and `best`, or the second smallest where the smallest stands out. */
  private offset = Number.POSITIVE_INFINITY;

  /**
   * @param maxCorrectionS the most a date is moved before the read (s)
   * @param windowS how long one window lasts (s, on the client's clock)
   */
  constructor(
    private readonly maxCorrectionS: number,
    private readonly windowS = 0.25,
  ) {}

  /** The date of a frame stamped `time` by the server and read at `readAt` (client s). */
  stamp(time: number, readAt: number): number {
    if (!Number.isFinite(time)) return readAt;
    if (!(readAt - this.windowStart < this.windowS)) {
      if (Number.isFinite(this.best)) {
        this.past[this.next] = this.best;
        this.next = (this.next + 1) % WINDOWS;
      }
      this.best = Number.POSITIVE_INFINITY;
      this.windowStart = readAt;
    }
    const d = readAt - time;
    if (d < this.best) {
      this.best = d; // always so for a window's first frame
      this.offset = this.estimate();
    }
    return Math.min(readAt, Math.max(readAt - this.maxCorrectionS, time + this.offset));
  }

  /** Forgets what was learned: the next frame is from a new link. */
  reset(): void {
    this.past.fill(Number.POSITIVE_INFINITY);
    this.best = this.offset = Number.POSITIVE_INFINITY;
    this.windowStart = Number.NaN;
  }

  private estimate(): number {
    let a = this.best;
    let b = Number.POSITIVE_INFINITY;
    for (const x of this.past) {
      if (x < a) {
        b = a;
        a = x;
      } else if (x < b) b = x;
    }
    return Number.isFinite(b) && b - a > this.maxCorrectionS ? b : a;
  }
}
