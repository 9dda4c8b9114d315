import { Worker } from 'node:worker_threads';
import { runEpisodes } from './episodes.ts';
import { errorFromData, type ErrorData } from '../core/errors.ts';
import type { SessionSource } from '../session/index.ts';
import type { EpisodeOutcome, EvalSpec } from './types.ts';

/**
 * Runs the episodes of `spec` over `workers` worker threads (1 = this thread). Episodes are
 * handed out one at a time as workers free up; results come back keyed by index. Each worker
 * opens its session from `sessions.module` (the same source, imported in the thread).
 */
export async function runPool(spec: EvalSpec, workers: number, onOutcome: (o: EpisodeOutcome) => void, sessions: SessionSource): Promise<void> {
  const all = Array.from({ length: spec.episodes }, (_, i) => i);
  if (workers <= 1) return runEpisodes(spec, all, onOutcome, sessions);
  let next = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const w = new Worker(new URL('../policy/worker.boot.mjs', import.meta.url), {
        workerData: { entry: new URL('./poolWorker.ts', import.meta.url).href, spec, source: sessions.module },
      });
      const give = () => w.postMessage(next < spec.episodes ? { index: all[next++] } : { done: true });
      w.on('message', (m: { ready?: boolean; outcome?: EpisodeOutcome; error?: ErrorData }) => {
        if (m.error) {
          // The worker's error with its code: a bad model is bad input (exit 2) here as in one thread.
          reject(errorFromData(m.error));
          void w.terminate();
          return;
        }
        if (m.outcome) onOutcome(m.outcome);
        give();
      });
      w.on('error', reject);
      w.on('exit', () => resolve());
    });
  await Promise.all(Array.from({ length: Math.min(workers, spec.episodes) }, one));
}
