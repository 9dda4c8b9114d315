import type { Clock } from '../clock/types.ts';
import { steadyNow } from '../clock/sleep.ts';

/**
 * Calls back when the loop's clock reaches a time: how the control loop races a stage that can
 * wait (an asynchronous policy, a world-model hook) against the tick's budget, so that a promise
 * that never settles cannot freeze the pipeline that also runs the safety supervisor.
 */
export interface DeadlineTimer {
  /** Calls `fn` once when the clock reaches `time` (s, on the clock's base). The returned function cancels it. */
  at(time: number, fn: () => void): () => void;
}

/** A clock that schedules on its own time base (a virtual-time test clock, a clock owning a thread). */
export function isDeadlineTimer(x: unknown): x is DeadlineTimer {
  return typeof (x as Partial<DeadlineTimer> | undefined)?.at === 'function';
}

/** Default wall-time bound (s) on a stage while a lockstep clock's virtual time stands still. */
export const DEFAULT_HANG_S = 1;

/**
 * The deadline timer for a clock without its own `at()`: waits on the event loop's timers until
 * the clock reads `time` or later. On a real-time clock (WallClock: steady wall time) that is the
 * deadline itself. A lockstep simulation clock's virtual time stands still while a stage runs (it
 * advances only when the tick is done), so no stage is ever late on it; a stage that has not
 * answered after `hangS` of wall time is then treated as hung (the same hold, then safe-stop).
 * @param hangS wall-time bound (s) while the clock does not move; default 1 s
 */
export function clockDeadlineTimer(clock: Clock, hangS = DEFAULT_HANG_S): DeadlineTimer {
  return {
    at(time: number, fn: () => void): () => void {
      const c0 = clock.now();
      const w0 = steadyNow();
      let handle: ReturnType<typeof setTimeout> | undefined;
      let done = false;
      const check = (): void => {
        if (done) return;
        const c = clock.now();
        const waited = steadyNow() - w0;
        if (c >= time || (c === c0 && waited >= hangS)) {
          done = true;
          fn();
          return;
        }
        // Still before the deadline: wait for the rest of it (bounded by the hang bound while the clock stands still).
        let wait = Math.max(time - c, 0.0002);
        if (c === c0) wait = Math.min(wait, hangS - waited);
        handle = setTimeout(check, wait * 1000);
      };
      handle = setTimeout(check, Math.max(0, time - c0) * 1000);
      return () => {
        done = true;
        if (handle !== undefined) clearTimeout(handle);
      };
    },
  };
}

/**
 * A deadline timer that reads the clock's time as wall time from now: for a simulation paced to
 * real time (SimClock realtime), whose virtual time stands still during a tick but whose budget is
 * the wall clock's. It bounds an asynchronous stage that does not answer (counted from the race's
 * start); how long a stage took is still judged on the clock's own time, so on a
 * simulation a stage's work is never late (docs/safety.md, "Deadlines"). SimSession passes it for
 * a real-time episode.
 */
export function wallDeadlineTimer(clock: Clock): DeadlineTimer {
  return {
    at(time: number, fn: () => void): () => void {
      const handle = setTimeout(fn, Math.max(0, time - clock.now()) * 1000);
      return () => clearTimeout(handle);
    },
  };
}
