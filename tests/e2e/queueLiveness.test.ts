/**
 * `eval --queue` when Redis goes away mid-run (docs/eval.md, "When Redis goes away mid-run"; review
 * R29 F1). Results come only as QueueEvents, which cannot replay lost jobs: before, a Redis killed
 * or restarted empty under a run left the submitter waiting forever with no word (and a signal then
 * ended it with exit 0), and the worker printed raw BullMQ stack traces.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { hasRedis, startRedis } from '../helpers/redis.ts';
import { startAxon } from '../helpers/cli.ts';
import { parseQueueUrl, QUEUE_NAME, runQueueEval } from '../../src/eval/queue.ts';
import type { EvalSpec } from '../../src/eval/types.ts';

const spec: EvalSpec = { session: { robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 200 }, randomize: false, durationS: 1, seed: 1, episodes: 4 };

async function queued(url: string, n: number): Promise<void> {
  const q = new Queue(QUEUE_NAME, { connection: parseQueueUrl(url) });
  try {
    for (let i = 0; i < 400; i++) {
      const c = await q.getJobCounts('wait', 'active');
      if (c.wait + c.active >= n) break;
      await sleep(50);
    }
  } finally {
    await q.close();
  }
}

const flushall = (port: number) => spawnSync('redis-cli', ['-p', String(port), 'flushall']);
const notHung = <T>(p: Promise<T>, ms: number) => Promise.race([p, sleep(ms).then(() => 'still waiting' as const)]);

const start = startAxon;
const exited = (p: ChildProcess) =>
  p.exitCode !== null || p.signalCode !== null ? Promise.resolve(p.exitCode) : new Promise<number | null>((r) => p.once('exit', (code) => r(code)));

describe.runIf(hasRedis)('eval --queue when Redis goes away mid-run (real redis-server)', () => {
  it('a Redis emptied under the run (restarted without persistence, flushed) ends it naming the URL, every episode uncollected', async () => {
    const redis = await startRedis();
    try {
      const run = runQueueEval(redis.url, spec, undefined, undefined, { intervalMs: 200 });
      await queued(redis.url, 4); // no worker: the jobs wait
      flushall(redis.port);
      const r = await notHung(run, 15_000);
      expect(r).not.toBe('still waiting');
      const lost = (r as Awaited<typeof run>).lost;
      expect(lost?.reason).toContain(`Redis at ${redis.url} no longer has this run's job for episode 0`);
      expect(lost?.uncollected).toEqual([0, 1, 2, 3]);
    } finally {
      await redis.stop();
    }
  }, 30_000);

  it('a Redis that stops answering ends the run after the misses, naming the URL', async () => {
    const redis = await startRedis();
    let stopped = false;
    try {
      const run = runQueueEval(redis.url, spec, undefined, undefined, { intervalMs: 200, misses: 3 });
      await queued(redis.url, 4);
      await redis.stop();
      stopped = true;
      const r = await notHung(run, 15_000);
      expect(r).not.toBe('still waiting');
      const lost = (r as Awaited<typeof run>).lost;
      expect(lost?.reason).toMatch(new RegExp(`^Redis at ${redis.url.replace(/[.]/g, '\\.')} has not answered for 0\\.6 s`));
      expect(lost?.uncollected).toEqual([0, 1, 2, 3]);
    } finally {
      if (!stopped) await redis.stop();
    }
  }, 30_000);

  it('axon eval --queue and axon worker: Redis flushed mid-episode: the eval exits 1 with one line and its JSON; the worker says it in one line, no stack trace', async () => {
    const redis = await startRedis();
    const w = start(['worker', '--queue', redis.url]);
    let ev: ReturnType<typeof start> | undefined;
    try {
      for (let i = 0; i < 400 && !w.out().includes('taking episodes'); i++) await sleep(50);
      ev = start(['eval', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--episodes', '3', '--duration', '200', '--queue', redis.url, '--json']);
      const q = new Queue(QUEUE_NAME, { connection: parseQueueUrl(redis.url) });
      try {
        for (let i = 0; i < 600 && (await q.getJobCounts('active')).active === 0; i++) await sleep(50);
      } finally {
        await q.close();
      }
      await sleep(300);
      flushall(redis.port);
      const code = await notHung(exited(ev.p), 30_000);
      expect(code, ev.out()).toBe(1);
      const s = JSON.parse(ev.out().trim().split('\n').filter((l) => l.startsWith('{')).at(-1)!);
      expect(s).toMatchObject({ command: 'eval', episodes: 3, ended_by: 'queue_lost', queue: redis.url });
      expect(s.queue_error).toContain(`Redis at ${redis.url} no longer has`);
      expect(ev.out()).toContain(`axon: --queue: Redis at ${redis.url} no longer has`);
      // The worker's episode ends on a Redis that no longer has its job: one line, no raw stack.
      for (let i = 0; i < 600 && !w.out().includes('queue error'); i++) await sleep(50);
      expect(w.out()).toContain(`axon worker: queue error at ${redis.url}: Missing key for job`);
      expect(w.out()).not.toMatch(/\n\s+at /);
    } finally {
      w.p.kill('SIGKILL');
      ev?.p.kill('SIGKILL');
      await redis.stop();
    }
  }, 90_000);
});
