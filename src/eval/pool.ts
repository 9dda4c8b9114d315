import { Worker } from 'node:worker_threads';
import { runEpisodes } from './episodes.ts';
import { errorFromData, type ErrorData } from '../core/errors.ts';
import type { SessionSource } from '../session/index.ts';
import type { EpisodeOutcome, EvalSpec } from './types.ts';

/** How a pool ended when `stop` aborted it (docs/eval.md, "Ending an eval early"). */
export interface PoolEnd {
  /** Episodes a worker was running when the stop came: stopped (or its thread terminated), not scored. */
  readonly stopped: number[];
  /** Worker threads that had not ended their episode within the grace period and were terminated. */
  readonly terminated: number;
  /**
   * Of those, threads still running when given up on: blocked in native code, which terminate()
   * cannot interrupt. Node cannot exit while one runs (it joins every thread at exit, unref'ed or
   * not; process.exit() hangs too), so the caller must end the process otherwise (docs/eval.md).
   */
  readonly stuck: number;
}

/**
 * Grace for a worker thread to end its episode once told to stop (ms). An episode stops after its
 * tick in progress, and in fast stepping the thread reads its messages every 500 ticks
 * (src/clock/SimClock.ts); a thread still busy after this is terminated, and one that does not
 * even end then (stuck in native code) is unref'ed so that it cannot hold the process open.
 */
export const POOL_STOP_GRACE_MS = 5000;
const TERMINATE_WAIT_MS = 1000;

/**
 * Runs the episodes of `spec` over `workers` worker threads (1 = this thread). Episodes are
 * handed out one at a time as workers free up; results come back keyed by index. Each worker
 * opens its session from `sessions.module` (the same source, imported in the thread).
 * `stop` (a signal): no further episode is handed out, each thread stops its episode after the tick
 * in progress (unscored) and ends; a thread not ended within `graceMs` is terminated.
 */
export async function runPool(
  spec: EvalSpec,
  workers: number,
  onOutcome: (o: EpisodeOutcome) => void,
  sessions: SessionSource,
  stop?: AbortSignal,
  graceMs = POOL_STOP_GRACE_MS,
): Promise<PoolEnd> {
  const all = Array.from({ length: spec.episodes }, (_, i) => i);
  if (workers <= 1) {
    const r = await runEpisodes(spec, all, onOutcome, sessions, stop);
    return { stopped: r.stopped !== undefined ? [r.stopped] : [], terminated: 0, stuck: 0 };
  }
  let next = 0;
  const stopped: number[] = [];
  let terminated = 0;
  const threads: { w: Worker; current: number | undefined; ended: boolean }[] = [];
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const w = new Worker(new URL('../policy/worker.boot.mjs', import.meta.url), {
        workerData: { entry: new URL('./poolWorker.ts', import.meta.url).href, spec, source: sessions.module },
      });
      const t = { w, current: undefined as number | undefined, ended: false };
      threads.push(t);
      const give = () => {
        t.current = next < spec.episodes && !stop?.aborted ? all[next++] : undefined;
        w.postMessage(t.current !== undefined ? { index: t.current } : { done: true });
      };
      w.on('message', (m: { ready?: boolean; outcome?: EpisodeOutcome; stopped?: number; error?: ErrorData }) => {
        if (m.error) {
          // The worker's error with its code: a bad model is bad input (exit 2) here as in one thread.
          reject(errorFromData(m.error));
          void w.terminate();
          return;
        }
        if (m.outcome) onOutcome(m.outcome);
        if (m.stopped !== undefined) stopped.push(m.stopped);
        give();
      });
      w.on('error', reject);
      w.on('exit', () => {
        t.ended = true;
        resolve();
      });
    });
  const running = Promise.all(Array.from({ length: Math.min(workers, spec.episodes) }, one));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let giveUp: ReturnType<typeof setTimeout> | undefined;
  // A stopped run resolves once every thread ended or was given up on (terminated, then unref'ed).
  let givenUp: () => void = () => {};
  const gaveUp = new Promise<void>((resolve) => (givenUp = resolve));
  const onStop = () => {
    for (const t of threads) if (!t.ended) t.w.postMessage({ stop: true });
    timer = setTimeout(() => {
      for (const t of threads) {
        if (t.ended) continue;
        terminated++;
        if (t.current !== undefined && !stopped.includes(t.current)) stopped.push(t.current);
        // terminate() interrupts JavaScript, not native code: bounded, then given up on (PoolEnd.stuck).
        const unref = setTimeout(() => t.w.unref(), TERMINATE_WAIT_MS);
        void t.w.terminate().finally(() => clearTimeout(unref));
      }
      giveUp = setTimeout(givenUp, TERMINATE_WAIT_MS);
    }, graceMs);
  };
  if (stop?.aborted) onStop();
  else stop?.addEventListener('abort', onStop, { once: true });
  try {
    await Promise.race([running, gaveUp]);
  } finally {
    clearTimeout(timer);
    clearTimeout(giveUp);
    stop?.removeEventListener('abort', onStop);
  }
  return { stopped: stopped.sort((a, b) => a - b), terminated, stuck: threads.filter((t) => !t.ended).length };
}
