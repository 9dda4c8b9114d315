/**
 * `axon eval --queue` and `axon worker` ended by SIGINT/SIGTERM (docs/eval.md, "Ending an eval
 * early"). Before, the submitting eval died of the signal with no summary and left its jobs queued
 * for the workers; a worker given SIGTERM mid-episode waited 4 s, then left its job locked until
 * the lock lapsed (30 s by default) before any other worker could take it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { hasRedis, startRedis } from '../helpers/redis.ts';
import { startAxon } from '../helpers/cli.ts';
import { parseQueueUrl, QUEUE_NAME, runQueueEval, startQueueWorker } from '../../src/eval/queue.ts';
import { sessions } from '../../sim/session/index.ts';
import type { EvalSpec } from '../../src/eval/types.ts';

const start = startAxon;

const exited = (p: ChildProcess) =>
  p.exitCode !== null || p.signalCode !== null ? Promise.resolve({ code: p.exitCode, signal: p.signalCode }) : new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => p.once('exit', (code, signal) => r({ code, signal })));

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill('SIGKILL');
  await exited(p);
}

async function started(w: { out: () => string }): Promise<void> {
  for (let i = 0; i < 400 && !w.out().includes('taking episodes'); i++) await sleep(50);
  expect(w.out()).toContain('taking episodes');
}

describe.runIf(hasRedis)('eval over a queue ended by a signal (real redis-server)', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('eval --queue: SIGINT removes its jobs no worker took, prints what completed, exit 0', async () => {
    const w = start(['worker', '--queue', redis.url]);
    let e: ReturnType<typeof start> | undefined;
    try {
      await started(w);
      // 8 episodes of 3000 s (seconds each) for one worker: the signal lands with most still queued.
      const ev = start(['eval', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--episodes', '8', '--duration', '3000', '--queue', redis.url, '--json']);
      e = ev;
      // Its jobs on the queue: its signal handlers are installed (on a loaded machine startup alone takes seconds).
      const seen = new Queue(QUEUE_NAME, { connection: parseQueueUrl(redis.url) });
      try {
        for (let i = 0; i < 1200; i++) {
          const c = await seen.getJobCounts('wait', 'active');
          if (c.wait + c.active > 0) break;
          await sleep(50);
        }
      } finally {
        await seen.close();
      }
      await sleep(4000);
      ev.p.kill('SIGINT');
      const killer = setTimeout(() => ev.p.kill('SIGKILL'), 30_000);
      const end = await exited(ev.p);
      clearTimeout(killer);
      expect(end, ev.out()).toEqual({ code: 0, signal: null });
      const s = JSON.parse(ev.out().trim().split('\n').at(-1)!);
      expect(s).toMatchObject({ command: 'eval', episodes: 8, interrupted: 'SIGINT', ended_by: 'signal', queue: redis.url, failed: [] });
      expect(s.jobs_removed).toBeGreaterThanOrEqual(5);
      expect(s.episodes_completed + s.jobs_removed + s.episodes_in_flight.length).toBe(8);
      // Nothing of the run is left for the workers but the episode one of them holds.
      const q = new Queue(QUEUE_NAME, { connection: parseQueueUrl(redis.url) });
      try {
        const counts = await q.getJobCounts('wait', 'delayed', 'prioritized', 'paused', 'active');
        expect(counts.wait + counts.delayed + counts.prioritized + counts.paused).toBe(0);
        expect(counts.active).toBe(s.episodes_in_flight.length);
      } finally {
        await q.close();
      }
    } finally {
      await stop(w.p);
      if (e) await stop(e.p);
    }
  }, 90_000);

  it('axon worker: SIGTERM mid-episode puts its job back on the queue at once; another worker runs it, none lost', async () => {
    // A 300 s lock: had the job stayed locked, no other worker could take it within this test.
    const w1 = start(['worker', '--queue', redis.url, '--lock-ms', '300000', '--stalled-interval-ms', '1000']);
    let w2: ReturnType<typeof start> | undefined;
    try {
      await started(w1);
      const spec: EvalSpec = { session: { robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 500 }, randomize: false, durationS: 3000, seed: 5, episodes: 1 };
      const run = runQueueEval(redis.url, spec);
      await sleep(3000); // w1 is mid-episode 0 (seconds long)
      w1.p.kill('SIGTERM');
      const end = await exited(w1.p);
      expect(end, w1.out()).toEqual({ code: 0, signal: null });
      expect(w1.out()).toContain('axon worker: stopped after 0 episodes; episode 0 put back on the queue');
      w2 = start(['worker', '--queue', redis.url, '--lock-ms', '300000', '--stalled-interval-ms', '1000']);
      const r = await run;
      expect(r.failed).toEqual([]);
      expect(r.outcomes.map((o) => o.index)).toEqual([0]);
      expect(r.outcomes[0].steps).toBe(150000);
    } finally {
      await stop(w1.p);
      if (w2) await stop(w2.p);
    }
  }, 240_000);

  it('eval --queue: a stop with Redis gone is out within the grace, with what it could not clean (R9 #2)', async () => {
    // Its own redis-server, killed before the signal: before, the cleanup waited for ioredis to reconnect, forever.
    const dead = await startRedis();
    let killed = false;
    try {
      const spec: EvalSpec = { session: { robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 200 }, randomize: false, durationS: 1, seed: 1, episodes: 5 };
      const ctl = new AbortController();
      const run = runQueueEval(dead.url, spec, undefined, ctl.signal);
      const q = new Queue(QUEUE_NAME, { connection: parseQueueUrl(dead.url) });
      try {
        for (let i = 0; i < 200 && (await q.getJobCounts('wait')).wait < 5; i++) await sleep(50);
        expect((await q.getJobCounts('wait')).wait).toBe(5);
      } finally {
        await q.close();
      }
      await dead.stop();
      killed = true;
      ctl.abort('SIGINT');
      const t0 = performance.now();
      const r = await Promise.race([run, sleep(12_000).then(() => 'still waiting 12 s after the stop' as const)]);
      expect(r).not.toBe('still waiting 12 s after the stop');
      expect(performance.now() - t0).toBeLessThan(10_000);
      const s = (r as Awaited<typeof run>).stopped;
      expect(s).toEqual({ removed: 0, inFlight: [0, 1, 2, 3, 4], cleanupTimedOut: true, cleanupWhy: 'Redis did not answer within 4 s' });
    } finally {
      if (!killed) await dead.stop();
    }
  }, 40_000);

  it('eval --queue and its worker stopped together leave none of the run on the queue (R9 #10)', async () => {
    // docker compose down: both get SIGTERM at once. Before, the worker put its episode's job back
    // after the eval's removal pass: orphaned in wait, run in full by the next worker, never collected.
    const w = await startQueueWorker(redis.url, { concurrency: 1, lockMs: 30_000, stalledIntervalMs: 30_000, sessions });
    const q = new Queue(QUEUE_NAME, { connection: parseQueueUrl(redis.url) });
    try {
      const seed = 4242; // marks this run's jobs among the other tests'
      const spec: EvalSpec = { session: { robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 500 }, randomize: true, durationS: 600, seed, episodes: 3 };
      const ctl = new AbortController();
      const run = runQueueEval(redis.url, spec, undefined, ctl.signal);
      const mine = async (states: ('wait' | 'active' | 'paused' | 'delayed' | 'prioritized')[]) => (await q.getJobs(states)).filter((j) => j?.data?.spec?.seed === seed);
      for (let i = 0; i < 400 && (await mine(['active'])).length === 0; i++) await sleep(50);
      expect(await mine(['active'])).toHaveLength(1);
      await sleep(500);
      ctl.abort('SIGTERM');
      const [r] = await Promise.all([run, w.close(4000)]);
      // Any order is right, and the run leaves nothing either way: the eval's removal before the
      // worker's put-back (2 removed; the worker sees the marker and removes its own), or after
      // it (3 removed: the put-back job found waiting; released or not, as the worker read the
      // marker before or after the eval set it).
      expect(w.released().length).toBeLessThanOrEqual(1);
      expect([2, 3]).toContain(r.stopped?.removed);
      if (w.released().length === 1) expect(r.stopped?.removed).toBe(3);
      await sleep(300);
      expect((await mine(['wait', 'paused', 'delayed', 'prioritized', 'active'])).map((j) => j.id)).toEqual([]);
    } finally {
      await q.close();
      await w.close(1000);
    }
  }, 60_000);
});
