/**
 * "Inside the band for the last `holdS` seconds": the success rule of the pendulum and arm tasks.
 * Times are seconds since the episode's reset.
 */
export class HoldWindow {
  private elapsed = 0;
  /** Time of the last tick outside the band (0 when none yet). */
  private lastOutside = 0;
  private ticks = 0;

  constructor(readonly holdS: number) {}

  reset(): void {
    this.elapsed = 0;
    this.lastOutside = 0;
    this.ticks = 0;
  }

  /** One tick at `elapsed` s. Write `inside` as `x < limit`, so that NaN counts as outside. */
  update(elapsed: number, inside: boolean): void {
    this.ticks++;
    this.elapsed = elapsed;
    if (!inside) this.lastOutside = elapsed;
  }

  /** 1e-9 s slack: 100 ticks of 0.02 s sum to 2 s within rounding. */
  get held(): boolean {
    return this.ticks > 0 && this.elapsed - this.lastOutside >= this.holdS - 1e-9;
  }
}
