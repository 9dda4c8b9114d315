/**
 * A token bucket: what a WebSocket server lets one peer (or all of them) make it do, checked
 * before the work. It holds up to `burst` tokens, refills at `perS` tokens a second on the clock
 * the caller passes (steady seconds; tests pass virtual time, docs/style.md 6), and `take(n)`
 * spends n. Used by the viewer's server (docs/viewer.md, "A page that floods") and the bridge
 * server (docs/bridge.md, "A client that floods") for messages, bytes and upgrades.
 *
 * Real-time rules: `take` allocates nothing (it runs once per received message).
 */
export class TokenBucket {
  private level: number;
  private at: number;

  /** Starts full at `now` (s). */
  constructor(
    readonly perS: number,
    readonly burst: number,
    now: number,
  ) {
    this.level = burst;
    this.at = now;
  }

  /**
   * Refills for the time since the last call (a clock that went back refills nothing), then takes
   * `n` when the bucket holds them: false (nothing taken) when it does not.
   */
  take(n: number, now: number): boolean {
    const dt = now > this.at ? now - this.at : 0;
    this.at = now;
    this.level = Math.min(this.burst, this.level + dt * this.perS);
    if (this.level < n) return false;
    this.level -= n;
    return true;
  }
}
