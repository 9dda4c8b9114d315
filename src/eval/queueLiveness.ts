/**
 * How `eval --queue` watches Redis while it waits for results (docs/eval.md, "When Redis goes away
 * mid-run"): results come only as QueueEvents, which cannot replay jobs Redis lost, so without this
 * a Redis killed or restarted empty left the eval waiting forever with no word.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** How the submitter watches Redis while it waits (docs/eval.md, "When Redis goes away mid-run"). */
export interface QueueLiveness {
  /** How often a check runs, and how long each may take (ms). */
  readonly intervalMs?: number;
  /** Checks in a row without an answer before the run is given up. */
  readonly misses?: number;
}
export const QUEUE_LIVENESS_MS = 2000;
export const QUEUE_LIVENESS_MISSES = 3;

/**
 * Every `intervalMs`, a bounded look at the job of the lowest episode not yet collected: a job kept
 * by Redis (waiting, running, or done with its event on the way: completed jobs are kept an hour) is
 * fine; none means Redis lost this run's jobs (restarted without persistence, flushed); no answer
 * `misses` times in a row means Redis is gone. `lost` resolves with one line naming the URL.
 */
export function watchRedis(url: string, queue: Queue, runId: string, episodes: number, queued: () => number, collected: (i: number) => boolean, o: QueueLiveness): { lost: Promise<string>; cancel(): void } {
  const every = o.intervalMs ?? QUEUE_LIVENESS_MS;
  const limit = o.misses ?? QUEUE_LIVENESS_MISSES;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let cancelled = false;
  let misses = 0;
  let wait = every;
  let next = 0; // the lowest episode not collected: collected ones stay so, so the scan goes on from here
  const lost = new Promise<string>((resolve) => {
    const tick = async () => {
      while (next < episodes && collected(next)) next++;
      if (next < episodes) {
        let t: ReturnType<typeof setTimeout> | undefined;
        // An episode not queued yet (chunks being added) has no job to find: Redis answering is enough.
        const look = next < queued() ? queue.getJob(`${runId}-${next}`) : queue.client.then((c) => (c as unknown as Redis).ping()).then(() => true);
        const answer = await Promise.race([
          look.then(
            (job) => ({ job }),
            (e: unknown) => ({ error: (e as Error).message }),
          ),
          new Promise<'silent'>((r) => (t = setTimeout(() => r('silent'), every))),
        ]);
        clearTimeout(t);
        if (cancelled) return;
        wait = every;
        if (answer === 'silent' || 'error' in answer) {
          if (answer === 'silent') wait = 0; // the check itself waited `every`
          misses++;
          if (misses >= limit) {
            const why = answer === 'silent' ? 'no answer' : answer.error;
            return resolve(`Redis at ${url} has not answered for ${(misses * every) / 1000} s (${why}): ${episodes - countCollected(collected, episodes)} episodes of this run not collected`);
          }
        } else if (!answer.job && !collected(next)) {
          return resolve(`Redis at ${url} no longer has this run's job for episode ${next} (restarted without persistence or flushed): its queued episodes are lost, ${episodes - countCollected(collected, episodes)} not collected`);
        } else misses = 0;
      }
      if (!cancelled) timer = setTimeout(() => void tick(), wait);
    };
    timer = setTimeout(() => void tick(), every);
  });
  return {
    lost,
    cancel: () => {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}

function countCollected(collected: (i: number) => boolean, episodes: number): number {
  let n = 0;
  for (let i = 0; i < episodes; i++) if (collected(i)) n++;
  return n;
}
