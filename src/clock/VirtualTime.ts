/**
 * Virtual time for tests (docs/style.md 6): a steady clock that moves only when the test advances
 * it, timers that fire in due order as it does, and a loop Clock on it. A deadline, a heartbeat
 * timeout or a reconnect backoff then happens at an exact virtual time, whatever the host's load.
 */
import { Observable } from 'rxjs';
import type { Clock, Tick } from './types.ts';
import type { TimeSource, TimerHandle, Timers } from './Timers.ts';

interface Pending {
  readonly due: number;
  readonly order: number;
  readonly fn: () => void;
  cleared: boolean;
}

export class VirtualTime implements TimeSource, Timers {
  private t: number;
  private order = 0;
  private pending: Pending[] = [];
  readonly timers: Timers = this;

  /** @param start the clock's first reading (s) */
  constructor(start = 0) {
    this.t = start;
  }

  readonly now = (): number => this.t;

  setTimeout(fn: () => void, s: number): TimerHandle {
    const p: Pending = { due: this.t + Math.max(0, s), order: this.order++, fn, cleared: false };
    this.pending.push(p);
    return p;
  }

  clearTimeout(handle: TimerHandle): void {
    if (handle && typeof handle === 'object' && 'cleared' in handle) (handle as Pending).cleared = true;
  }

  /** Timers not yet fired or cleared. */
  get pendingCount(): number {
    return this.pending.filter((p) => !p.cleared).length;
  }

  /** Due time (s) of the next pending timer; Infinity when none. */
  nextDue(): number {
    let d = Number.POSITIVE_INFINITY;
    for (const p of this.pending) if (!p.cleared && p.due < d) d = p.due;
    return d;
  }

  /**
   * Moves the clock to `t` (s), firing every timer due by then in due order (ties: the order they
   * were set), each with the clock at its due time; timers they set that fall due by `t` fire too.
   * Returns the timers fired.
   * @throws RangeError when `t` is before the present reading (time does not go back)
   */
  advanceTo(t: number): number {
    if (!(t >= this.t)) throw new RangeError(`VirtualTime.advanceTo(${t}): the clock reads ${this.t}; expected a time at or after it`);
    let fired = 0;
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.pending) {
        if (p.cleared || p.due > t) continue;
        if (!next || p.due < next.due || (p.due === next.due && p.order < next.order)) next = p;
      }
      if (!next) break;
      next.cleared = true;
      this.t = Math.max(this.t, next.due);
      next.fn();
      fired++;
    }
    this.pending = this.pending.filter((p) => !p.cleared);
    this.t = Math.max(this.t, t); // a timer that advanced the clock itself (a stage taking time) left it later: time does not go back
    return fired;
  }

  /** advanceTo(now + s). */
  advance(s: number): number {
    return this.advanceTo(this.t + s);
  }
}

/**
 * A loop clock on virtual time, the way WallClock runs on real time: tick k due at start + k·period
 * (start: when ticks() was subscribed; time counts from when the clock was made, as WallClock's),
 * a tick whose previous one is not done yet is skipped and counted in `overruns`. Lateness is 0
 * unless the test advanced past a deadline in one jump.
 */
export class VirtualClock implements Clock {
  overruns = 0;
  private readonly origin: number;

  constructor(
    readonly period: number,
    private readonly time: VirtualTime,
  ) {
    this.origin = time.now();
  }

  /** Seconds since the clock was made. */
  now(): number {
    return this.time.now() - this.origin;
  }

  ticks(done$: Observable<unknown>): Observable<Tick> {
    return new Observable<Tick>((sub) => {
      const start = this.time.now() - this.origin;
      let k = 0;
      let seq = 0;
      let busy = false;
      let closed = false;
      let handle: TimerHandle;
      const doneSub = done$.subscribe(() => {
        busy = false;
      });
      const fire = () => {
        if (closed) return;
        const deadline = start + k * this.period;
        if (busy) this.overruns++;
        else {
          busy = true;
          sub.next({ seq: seq++, time: deadline, lateness: this.now() - deadline });
        }
        if (closed) return;
        k++;
        handle = this.time.setTimeout(fire, this.origin + start + k * this.period - this.time.now());
      };
      fire();
      return () => {
        closed = true;
        this.time.clearTimeout(handle);
        doneSub.unsubscribe();
      };
    });
  }
}
