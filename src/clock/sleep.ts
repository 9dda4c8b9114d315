import { performance } from 'node:perf_hooks';

/** Steady time (s) since an arbitrary origin. Never Date.now() (docs/style.md 6). */
export function steadyNow(): number {
  return performance.now() / 1000;
}

/**
 * Waits until `deadline` (steady s): a timer for all but the last `spinMargin` seconds, then a
 * spin on the steady clock. The timer keeps the core free; the spin absorbs the host's late
 * wake-ups (docs/timing.md: ~0.3 ms at p50, several ms at p99 on a shared VM). spinMargin 0 = timer only.
 */
export function sleepUntil(deadline: number, spinMargin: number, done: () => void): void {
  if (spinMargin <= 0) {
    setTimeout(done, Math.max(0, (deadline - steadyNow()) * 1000));
    return;
  }
  const wait = deadline - spinMargin - steadyNow();
  if (wait > 0.0005) {
    setTimeout(() => spinUntil(deadline, done), wait * 1000);
  } else {
    // Too close for a timer: yield once to the event loop, then spin.
    setImmediate(() => spinUntil(deadline, done));
  }
}

function spinUntil(deadline: number, done: () => void): void {
  while (steadyNow() < deadline) {
    /* spin */
  }
  done();
}
