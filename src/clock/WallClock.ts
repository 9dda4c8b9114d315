import { Observable } from 'rxjs';
import type { Clock, Tick } from './types.ts';
import { steadyNow } from './sleep.ts';
import { AdaptiveSleeper } from './AdaptiveSleeper.ts';

/** How late an event-loop timer may fire here (s, docs/timing.md): the bound on waiting for a robot's I/O ends this much before the wake-up. */
const TIMER_SLACK_S = 1.5e-3;

export interface WallClockOptions {
  /**
   * How this thread waits for a deadline (both then spin a learned margin, AdaptiveSleeper):
   * - 'timer': a setTimeout; the event loop stays free between ticks.
   * - 'block': Atomics.wait on this thread (fractional ms, no event loop). The thread sleeps
   *   only once the tick was handled (`done$`) and its I/O settled (`settle`), after one more
   *   event-loop turn: on the main thread, I/O, signals and timers are served between a tick
   *   and the sleep, and not during it.
   * Default 'timer'.
   */
  readonly sleep?: 'timer' | 'block';
  /** Share of a core the spin may burn (caps the learned margin at budget·period). Default 0.1. */
  readonly cpuBudget?: number;
  /** A fixed spin margin (s) instead of a learned one; 0 = no spin (a plain timer or wait). */
  readonly spinMargin?: number;
  /**
   * With sleep 'block': the I/O a tick started off the tick (a servo robot's bus cycle,
   * Robot.settle), waited for on the event loop before the thread blocks, so that the reply is
   * read (and stamped) when it comes, not a period later. Bounded to shortly before the next
   * wake-up: a cycle still running then does not hold the tick back. A settle that throws or
   * rejects is not waited for.
   */
  readonly settle?: () => Promise<unknown> | undefined;
  /**
   * With sleep 'block': one more event-loop turn just before each tick, between the wake-up and
   * the spin, for a robot whose state streams in between ticks (Robot.streamsState, a bridge
   * client): what arrived while the thread slept is read before the tick observes it. The wake-up
   * is moved earlier by the turn's recent cost (a maximum decaying by 2 % a tick), within what the
   * CPU budget (cpuBudget·period) leaves after the spin margin; not at all with spinMargin 0.
   */
  readonly drain?: boolean;
}

/** The first guess of a drain turn's cost (s), before one was measured. */
const DRAIN_GUESS_S = 100e-6;

/**
 * Real time at a fixed period on a steady clock: sleep, then spin the last stretch, the spin
 * margin learned from the recent wake-up lateness under a CPU budget (AdaptiveSleeper). Deadlines
 * stay on the grid start + k·period (no drift), start being when `ticks()` was subscribed. Time
 * (`now()`, tick times) counts from when the clock was made and does not jump at a run's start, so
 * that what a robot stamped with `now()` before the loop began (a read, a connect event) stays on
 * the run's time base. A tick whose previous one is still being handled
 * (no `done$` yet) is not emitted: it is counted in `overruns` and the next deadline on the grid
 * is used (with sleep 'block' the clock waits for `done$`, and the grid slots that passed
 * meanwhile are the overruns). For timing owned by another thread see WorkerClock.
 */
export class WallClock implements Clock {
  overruns = 0;
  /** The sleeper of the last run (margin learned, seconds spun). */
  sleeper: AdaptiveSleeper;
  private warmUp: (() => void) | undefined;
  /** Where the time base starts (steady s): when the clock was made. */
  private readonly origin = steadyNow();

  constructor(
    readonly period: number,
    private readonly options: WallClockOptions = {},
  ) {
    this.sleeper = this.newSleeper();
  }

  now(): number {
    return steadyNow() - this.origin;
  }

  ticks(done$: Observable<unknown>): Observable<Tick> {
    return new Observable<Tick>((sub) => {
      const block = this.options.sleep === 'block';
      const settle = this.options.settle;
      const drain = this.options.drain === true;
      const sleeper = (this.sleeper = this.newSleeper());
      const start = steadyNow();
      let k = 0;
      let seq = 0;
      let busy = false;
      let closed = false;
      // block: the tick was emitted and its sleep waits for done$.
      let waitingDone = false;
      // block: the next deadline (chosen once the tick was handled), the I/O promise being watched,
      // whether it settled, and the bound on the sleep's wait for it (set while it waits).
      let next = 0;
      let io: Promise<unknown> | undefined;
      let ioSettled = true;
      let bound: ReturnType<typeof setTimeout> | undefined;
      // block with drain: when the drain turn was asked for, and its recent cost (s).
      let drainFrom = 0;
      let drainCost = DRAIN_GUESS_S;
      const doneSub = done$.subscribe(() => {
        busy = false;
        if (waitingDone) {
          waitingDone = false;
          afterTick();
        }
      });
      // Tick k, unless the previous one is still being handled (an overrun).
      const emit = () => {
        const deadline = start + k * this.period;
        const now = steadyNow();
        if (busy) {
          this.overruns++;
        } else {
          busy = true;
          sub.next({ seq: seq++, time: deadline - this.origin, lateness: now - deadline });
        }
      };
      // The next deadline on the grid that is still ahead; skipped slots are overruns too.
      const advance = (): number => {
        let nextK = k + 1;
        const behind = Math.floor((steadyNow() - start) / this.period) + 1;
        if (behind > nextK) {
          this.overruns += behind - nextK;
          nextK = behind;
        }
        k = nextK;
        return start + k * this.period;
      };
      const fire = () => {
        if (closed) return;
        emit();
        if (closed) return;
        sleeper.schedule(advance(), fire);
      };
      // block: emit; once the tick is handled and its I/O settled, one event-loop turn, then sleep.
      const fireBlock = () => {
        if (closed) return;
        emit();
        if (closed) return;
        if (busy) waitingDone = true;
        else afterTick();
      };
      // A wake-up after the deadline (a late turn) still emits this tick, with its lateness.
      const sleepAndFire = () => {
        if (closed) return;
        if (!drain) {
          sleeper.sleepUntil(next);
          fireBlock();
          return;
        }
        drainFrom = sleeper.wake(next, drainLead());
        setImmediate(drained);
      };
      // What the spin may still take of the CPU budget after its margin and warm-up (none with a fixed margin of 0: no spin).
      const drainLead = () => (drain && this.options.spinMargin !== 0 ? Math.min(drainCost, Math.max(0, sleeper.cap - sleeper.earlyBy)) : 0);
      // The drain turn ran (the event loop polled its sockets first): spin to the deadline and tick.
      const drained = () => {
        if (closed) return;
        const t = steadyNow();
        drainCost = Math.max(t - drainFrom, drainCost * 0.98);
        sleeper.spin(t, next);
        fireBlock();
      };
      const proceed = () => {
        if (bound === undefined) return; // not waiting
        clearTimeout(bound);
        bound = undefined;
        setImmediate(sleepAndFire);
      };
      const afterTick = () => {
        next = advance();
        let p: Promise<unknown> | undefined;
        try {
          p = settle?.();
        } catch {
          p = undefined; // a robot that cannot say: do not wait
        }
        // One watch per promise: a cycle still running over several ticks is not watched again.
        if (p !== undefined && p !== io) {
          const watched = (io = p);
          ioSettled = false;
          const mark = () => {
            if (io !== watched) return;
            ioSettled = true;
            proceed();
          };
          watched.then(mark, mark);
        }
        if (p === undefined || ioSettled) {
          setImmediate(sleepAndFire);
          return;
        }
        // Bounded: a cycle still running shortly before the wake-up (timers fire up to ~1 ms late) does not hold the tick back.
        bound = setTimeout(proceed, Math.max(0, next - sleeper.earlyBy - drainLead() - TIMER_SLACK_S - steadyNow()) * 1000);
      };
      if (block) fireBlock();
      else fire();
      return () => {
        closed = true;
        if (bound !== undefined) clearTimeout(bound);
        sleeper.warm = undefined; // a timer still queued runs no warm-up
        doneSub.unsubscribe();
      };
    });
  }

  setWarmUp(fn: (() => void) | undefined): void {
    this.warmUp = fn;
    this.sleeper.warm = fn;
  }

  private newSleeper(): AdaptiveSleeper {
    const o = this.options;
    const sleeper = new AdaptiveSleeper({
      period: this.period,
      ...(o.cpuBudget !== undefined ? { cpuBudget: o.cpuBudget } : {}),
      ...(o.spinMargin !== undefined ? { fixedMargin: o.spinMargin } : {}),
    });
    sleeper.warm = this.warmUp;
    return sleeper;
  }
}
