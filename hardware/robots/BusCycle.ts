/**
 * The bus cycle of a servo robot (DynamixelRobot, FeetechRobot), run off the tick: command() asks
 * for one (`request`); while one runs, further requests make it go once more when done (they
 * coalesce: at most one cycle is owed). It stops once closed or when the link is lost. Never
 * throws from request(); a cycle's failure shows in `settle()`.
 */
export class BusCycle {
  /** Set by the robot's close() (or a failed connect): no cycle starts or goes on after it. */
  closed = false;
  private _busy = false;
  private _pending = false;
  private _cycle: Promise<void> = Promise.resolve();

  /** @param once one cycle (goals out, state in); @param lost whether the link is gone (truthy). */
  constructor(
    private readonly once: () => Promise<void>,
    private readonly lost: () => unknown,
  ) {}

  /** Asks for a cycle: starts one unless one is running. Does nothing once closed. */
  request(): void {
    if (this.closed) return;
    this._pending = true;
    if (!this._busy) this._cycle = this._run();
  }

  /** The cycle in flight (or the last one). */
  settle(): Promise<void> {
    return this._cycle;
  }

  private async _run(): Promise<void> {
    this._busy = true;
    try {
      while (this._pending && !this.closed && !this.lost()) {
        this._pending = false;
        await this.once();
      }
    } finally {
      this._busy = false;
    }
  }
}
