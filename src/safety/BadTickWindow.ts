/**
 * The safety supervisor's count of intermittent bad ticks: whether each of the last `size` ticks
 * was held (a bad command, a bad or stale observation, a deadline miss), so that bad ticks
 * interleaved with clean ones still safe-stop once `stopAt` of them fall within the window
 * (SafetyConfig.badTicksWindow / badTicksInWindow; docs/safety.md, "Four stop paths, one count").
 *
 * Real-time rules: allocates nothing after construction.
 */
export class BadTickWindow {
  private readonly _bits: Uint8Array;
  private _at = 0;
  private _count = 0;

  /**
   * @param size ticks in the window (0: off)
   * @param stopAt bad ticks within the window that stop (0: off)
   */
  constructor(
    readonly size: number,
    readonly stopAt: number,
  ) {
    this._bits = new Uint8Array(Math.max(1, size));
  }

  /** Bad ticks among the last `size`. */
  get count(): number {
    return this._count;
  }

  /** True when one more bad tick now would make stopAt bad ticks within the window. */
  wouldStop(): boolean {
    return this.size > 0 && this.stopAt > 0 && this._count - this._bits[this._at] + 1 >= this.stopAt;
  }

  /** Records this tick: bad (held) or clean. */
  push(bad: boolean): void {
    if (this.size === 0) return;
    const b = bad ? 1 : 0;
    this._count += b - this._bits[this._at];
    this._bits[this._at] = b;
    this._at = this._at + 1 === this.size ? 0 : this._at + 1;
  }

  /** Forgets every tick (arm, reset). */
  clear(): void {
    this._bits.fill(0);
    this._at = 0;
    this._count = 0;
  }
}
