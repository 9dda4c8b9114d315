/**
 * A stop of `eval --queue` while a large run is being queued (review R29 F5): the jobs went on in
 * one addBulk that nothing looked at the stop during (200,000 episodes: 25 s, 1.5 GB, then every job
 * left queued), and the removal listed every job on the queue and removed its own one round trip
 * each, past the grace, with the note "Redis did not answer" while Redis answered throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { hasRedis, startRedis } from '../helpers/redis.ts';
import { parseQueueUrl, QUEUE_ADD_CHUNK, QUEUE_NAME, runQueueEval } from '../../src/eval/queue.ts';
import type { EvalSpec } from '../../src/eval/types.ts';

describe.runIf(hasRedis)('eval --queue stopped while queuing a large run (real redis-server)', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('queues in chunks, stops between them, and removes what it queued within the grace', async () => {
    const episodes = 20_000;
    const spec: EvalSpec = { session: { robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 200 }, randomize: false, durationS: 1, seed: 77, episodes };
    const ctl = new AbortController();
    const run = runQueueEval(redis.url, spec, undefined, ctl.signal);
    const q = new Queue(QUEUE_NAME, { connection: parseQueueUrl(redis.url) });
    try {
      for (let i = 0; i < 2000 && (await q.getJobCounts('wait')).wait === 0; i++) await sleep(10);
      ctl.abort('SIGTERM');
      const r = await run;
      const s = r.stopped!;
      expect(s.cleanupTimedOut, s.cleanupWhy).toBeUndefined();
      expect(s.inFlight).toEqual([]); // no worker: every queued job was still waiting
      expect(s.notQueued).toBeGreaterThanOrEqual(QUEUE_ADD_CHUNK); // the stop came between chunks
      expect(s.removed + (s.notQueued ?? 0)).toBe(episodes);
      expect((await q.getJobCounts('wait', 'delayed', 'prioritized', 'paused')).wait).toBe(0);
    } finally {
      await q.close();
    }
  }, 120_000);
});
