/**
 * Virtual time for the event-loop pacing (SimClock, PausableClock): every read of `now` costs
 * 1 µs (so a spin ends), a timer fires `wake(i)` late for the i-th positive delay (0 for an
 * immediate), `cost(s)` stands for work (a physics step), `run()` fires the timers in order.
 */
export function virtualTimers(wake: (i: number) => number = () => 50e-6) {
  let t = 1000;
  let n = 0;
  let order = 0;
  const q: { at: number; order: number; fn: () => void }[] = [];
  return {
    now: () => (t += 1e-6),
    setTimer: (fn: () => void, s: number) => {
      q.push({ at: t + s + (s > 0 ? wake(n++) : 0), order: order++, fn });
    },
    cost: (s: number) => {
      t += s;
    },
    get t() {
      return t;
    },
    /** Fires timers in time order until none is left or `stop()` says so. */
    run(stop: () => boolean = () => false) {
      while (q.length && !stop()) {
        q.sort((a, b) => a.at - b.at || a.order - b.order);
        const e = q.shift()!;
        t = Math.max(t, e.at);
        e.fn();
      }
    },
  };
}
