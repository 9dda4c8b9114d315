import { steadyNow } from '../../src/clock/sleep.ts';

/**
 * Wakes a server loop at deadlines on the steady clock without shutting out its sockets: a timer
 * for all but the last `spinMargin` seconds, then a poll loop of setImmediate turns until the
 * deadline. Each turn lets the event loop poll I/O with a zero timeout, so a command frame that
 * arrives in the final stretch is handled at once, where a blocking spin (src/clock sleepUntil)
 * would hold it until the deadline. Same cost: one busy core during the margin. spinMargin 0 =
 * timer only (wakes late by the host's timer latency, docs/timing.md; a timer that fires early is
 * polled to its deadline).
 *
 * Real-time rules: allocates only the timer / immediate handles Node needs.
 */
/** What wakes the server loop at its step deadlines (steady s): Pacer (poll) or WorkerPacer (a timing thread). */
export interface StepPacer {
  /** 'poll' or 'worker', for the summary. */
  readonly kind: string;
  /** Why the pacer fell back to a timer (a lost timing thread); undefined when it did not. */
  readonly lost?: string;
  /** Calls `done` once, at or just after `deadline` (steady s). */
  at(deadline: number, done: () => void): void;
  /** No more wake-ups (a pending one returns without calling back); resolves when its resources are released. */
  cancel(): Promise<void>;
}

export class Pacer implements StepPacer {
  readonly kind = 'poll';
  private _deadline = 0;
  private _done: () => void = () => {};
  private _cancelled = false;

  /** @param now the steady clock the deadlines are on (s) */
  constructor(
    private readonly spinMargin: number,
    private readonly now: () => number = steadyNow,
  ) {}

  /** Calls `done` once, at or just after `deadline` (steady s). */
  at(deadline: number, done: () => void): void {
    this._deadline = deadline;
    this._done = done;
    if (this.spinMargin <= 0) {
      setTimeout(this._fire, Math.max(0, (deadline - this.now()) * 1000));
      return;
    }
    const wait = deadline - this.spinMargin - this.now();
    if (wait > 0.0005) setTimeout(this._poll, wait * 1000);
    else setImmediate(this._poll);
  }

  /** No more wake-ups (a pending one returns without calling back). */
  cancel(): Promise<void> {
    this._cancelled = true;
    return Promise.resolve();
  }

  // A timer may fire up to a millisecond early on the steady clock (the event loop's cached time):
  // the rest is polled, so that `done` is never called before its deadline.
  private readonly _fire = (): void => {
    if (this._cancelled) return;
    if (this.now() < this._deadline) setImmediate(this._poll);
    else this._done();
  };

  private readonly _poll = (): void => {
    if (this._cancelled) return;
    if (this.now() >= this._deadline) this._done();
    else setImmediate(this._poll);
  };
}
