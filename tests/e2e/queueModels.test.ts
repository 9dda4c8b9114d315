/**
 * `axon worker` checks the world model as it checks the policy (review R29 F3): the job carries the
 * world model's content hash beside the policy's, and a worker whose `--world-model` folder holds
 * other contents refuses the episode. Before, only the policy was hashed: a worker with other
 * world-model weights ran the episodes silently (another shield, other vetoes, the same exit 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { hasRedis, startRedis } from '../helpers/redis.ts';
import { parseQueueUrl, QUEUE_NAME, runQueueEval, startQueueWorker } from '../../src/eval/queue.ts';
import { sessions } from '../../sim/session/index.ts';
import type { EvalSpec } from '../../src/eval/types.ts';

describe.runIf(hasRedis)('axon worker and the world model (real redis-server)', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a worker whose world-model folder holds other contents than the eval hashed refuses the episode, naming the world model', async () => {
    const wm = join(mkdtempSync(join(tmpdir(), 'axon-wm-')), 'cartpole-wm');
    cpSync('models/cartpole-wm', wm, { recursive: true });
    const spec: EvalSpec = { session: { robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 200, worldModel: { dir: wm, mode: 'shield' } }, randomize: false, durationS: 0.5, seed: 3, episodes: 1 };
    const run = runQueueEval(redis.url, spec);
    const q = new Queue(QUEUE_NAME, { connection: parseQueueUrl(redis.url) });
    try {
      for (let i = 0; i < 400 && (await q.getJobCounts('wait')).wait === 0; i++) await sleep(50);
    } finally {
      await q.close();
    }
    // The worker's copy differs from the one the eval hashed (another image, another checkout).
    appendFileSync(join(wm, 'manifest.json'), '\n');
    const w = await startQueueWorker(redis.url, { concurrency: 1, lockMs: 30_000, stalledIntervalMs: 30_000, sessions });
    try {
      const r = await run;
      expect(r.outcomes).toEqual([]);
      expect(r.failed.map((f) => f.index)).toEqual([0]);
      expect(r.failed[0].error).toContain(`world model ${wm} on worker`);
      expect(r.failed[0].error).toContain('refusing to run another world model');
    } finally {
      await w.close(1000);
    }
  }, 60_000);
});
