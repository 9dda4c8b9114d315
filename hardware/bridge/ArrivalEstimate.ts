/**
 * When a state frame arrived, from the server's own stamp on it, so that a frame read late (the
 * client's thread was asleep in a blocking clock, or busy with a tick) is stamped as if it had been
 * read when it came.
 *
 * The server stamps each frame with its steady clock when the robot was measured (PROTOCOL.md 5);
 * for a frame read at `readAt` on the client's clock, `readAt − time` is the clocks' offset plus
 * that frame's delay (the server's send, the wire, the client's read). Its minimum over recent
 * frames is the offset plus the shortest delay, and a frame's arrival is taken as `time + that
 * minimum`: never later than when it was read, and exact for a frame read as promptly as the best
 * one. The minimum is kept over the current and the previous window (`windowS` each), so two
 * clocks drifting apart (a few ppm) are followed window by window; a new link (the server may
 * have restarted: another clock origin) starts afresh (`reset`).
 *
 * How good it is: on a link where, in each window, some frame is read within d of its arrival,
 * every stamp is within d of the true arrival. A client that drains its socket once per tick, with
 * frames coming at least once per tick, reads its newest frame within one state period of arrival.
 *
 * A server whose stamps do not follow a steady clock (sim time running slower than real time
 * breaks the protocol, but may happen) would make frames look older and older; the correction is
 * therefore capped at `maxCorrectionS` (BridgeRobot: half its staleness deadline, so that such a
 * server cannot by itself make the link look stale).
 */
export class ArrivalEstimate {
  /** Smallest `readAt − time` in the current window, and in the previous one. */
  private best = Number.POSITIVE_INFINITY;
  private prev = Number.POSITIVE_INFINITY;
  private windowStart = Number.NaN;

  /**
   * @param maxCorrectionS the most a stamp is moved before the read (s)
   * @param windowS how long one window of the running minimum lasts (s, on the client's clock)
   */
  constructor(
    private readonly maxCorrectionS: number,
    private readonly windowS = 1,
  ) {}

  /** The arrival of a frame stamped `time` by the server and read at `readAt` (client s). */
  stamp(time: number, readAt: number): number {
    if (!Number.isFinite(time)) return readAt;
    if (!(readAt - this.windowStart < this.windowS)) {
      this.prev = this.best;
      this.best = Number.POSITIVE_INFINITY;
      this.windowStart = readAt;
    }
    const d = readAt - time;
    if (d < this.best) this.best = d;
    return Math.min(readAt, Math.max(readAt - this.maxCorrectionS, time + Math.min(this.best, this.prev)));
  }

  /** Forgets what was learned: the next frame is from a new link. */
  reset(): void {
    this.best = this.prev = Number.POSITIVE_INFINITY;
    this.windowStart = Number.NaN;
  }
}
