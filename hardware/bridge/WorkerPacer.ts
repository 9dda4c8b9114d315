import { Subject, Subscription } from 'rxjs';
import { WorkerClock, type WorkerClockOptions } from '../../src/clock/WorkerClock.ts';
import { steadyNow } from '../../src/clock/sleep.ts';
import { Pacer, type StepPacer } from './Pacer.ts';

/**
 * Wakes the server loop from a timing thread (src/clock WorkerClock): the thread sleeps to each
 * step deadline in Atomics.wait with a learned spin, and this thread waits for it in its event
 * loop, which stays free for the sockets until a short spin of its own just before the deadline.
 * The poll Pacer instead keeps this thread busy for its whole margin (1.1 ms of every 2 ms at
 * 500 Hz: half a core, docs/timing.md "The bridge server's pacing").
 *
 * The thread's grid is the loop's: it starts one period before the first deadline asked for (the
 * loop asks for origin + dt). Deadlines are on the steady clock (src/clock/sleep.ts steadyNow),
 * the one the thread sleeps on. If the thread ends before `cancel` (it threw, or was ended), the
 * loop goes on on a timer and `lost` says why. Real-time rules: a wake-up allocates nothing.
 */
export class WorkerPacer implements StepPacer {
  readonly kind = 'worker';
  private _deadline = 0;
  private _done: (() => void) | undefined;
  private _sub: Subscription | undefined;
  private _cancelled = false;
  private _fallback: Pacer | undefined;
  private _lostWhy: string | undefined;
  private readonly _handled = new Subject<void>();

  private constructor(private readonly clock: WorkerClock) {}

  /** Starts the timing thread for steps of `period` s. */
  static async start(period: number, o: WorkerClockOptions = {}): Promise<WorkerPacer> {
    return new WorkerPacer(await WorkerClock.start(period, o));
  }

  /** Calls `done` once at or just after `deadline`; the first deadline asked for must be at most one period ahead (it sets the grid). */
  at(deadline: number, done: () => void): void {
    if (this._cancelled) return;
    if (this._fallback !== undefined) return this._fallback.at(deadline, done);
    this._deadline = deadline;
    this._done = done;
    if (this._sub !== undefined) return;
    // The subscription is ours before the clock's first tick can come: a tick the timing thread
    // published before the clock waits for it is emitted during subscribe, and its `done` asks
    // for the next deadline here. `??=` assigned only after subscribe returned, so that call made
    // a second subscription, overwritten and never cancelled, whose keep-alive timer held the
    // process after close (CI: `axon bridge --duration 1.5` idle for 35 minutes).
    this._sub = new Subscription();
    const run = this.clock.ticks(this._handled, deadline - this.clock.period).subscribe({
      next: (tick) => {
        // seq 0 is emitted at once on subscribe: the grid's origin, not a deadline. The clock emits
        // no next tick until this one is handled, so handled it is, whatever `done` does.
        try {
          if (tick.seq > 0) this._fire();
        } finally {
          this._handled.next();
        }
      },
      error: (e: unknown) => this._lose(this.clock.lost ?? (e instanceof Error ? e.message : String(e))),
    });
    this._sub.add(run);
  }

  /** Called once if the timing thread is lost, with why. */
  onLost: ((why: string) => void) | undefined;

  /** Why the timing thread was lost (the loop is then paced by a timer); undefined while it runs. */
  get lost(): string | undefined {
    return this._lostWhy;
  }

  /**
   * The timing thread is gone: the loop, and with it the server's supervisor and deadman, goes on
   * on a timer (the poll Pacer with no spin) rather than stopping.
   */
  private _lose(why: string): void {
    if (this._cancelled || this._fallback !== undefined) return;
    this._lostWhy = why;
    this._fallback = new Pacer(0);
    const done = this._done;
    this._done = undefined;
    if (done !== undefined) this._fallback.at(this._deadline, done);
    this.onLost?.(why);
  }

  private _fire(): void {
    const done = this._done;
    if (done === undefined || this._cancelled) return;
    const d = this._deadline;
    let t = steadyNow();
    // A deadline of a later tick waits for it (a `done` set after its tick was published); one
    // just ahead of this tick (rounding) is spun to.
    if (d - t > this.clock.period / 2) return;
    while (t < d) t = steadyNow();
    this._done = undefined;
    done();
  }

  /** The timing thread's own figures (its learned margin and spin), for the summary. */
  get timing(): WorkerClock['timing'] {
    return this.clock.timing;
  }

  cancel(): Promise<void> {
    this._cancelled = true;
    this._sub?.unsubscribe();
    void this._fallback?.cancel();
    return this.clock.close();
  }
}
