import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasRedis, startRedis } from '../helpers/redis.ts';
import { runQueueEval } from '../../src/eval/queue.ts';
import { runPool } from '../../src/eval/pool.ts';
import { sessions } from '../../sim/session/index.ts';
import { summarize } from '../../src/eval/episodes.ts';
import type { EpisodeOutcome, EvalSpec } from '../../src/eval/types.ts';
import { runAxon } from '../helpers/cli.ts';

const spec: EvalSpec = { session: { robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 500 }, randomize: true, durationS: 3, seed: 21, episodes: 12 };

function startWorker(url: string, lockMs = 2000, cwd = process.cwd()): ChildProcess {
  const p = spawn(process.execPath, [join(process.cwd(), 'bin/axon.js'), 'worker', '--queue', url, '--lock-ms', String(lockMs), '--stalled-interval-ms', '1000'], { stdio: ['ignore', 'pipe', 'pipe'], cwd });
  p.stdout!.on('data', (d) => process.env.AXON_TEST_LOG && process.stdout.write(String(d)));
  p.stderr!.on('data', (d) => process.env.AXON_TEST_LOG && process.stdout.write(String(d)));
  return p;
}

async function stop(w: ChildProcess): Promise<void> {
  if (w.exitCode !== null || w.signalCode !== null) return;
  w.kill('SIGTERM');
  await new Promise((r) => w.once('exit', r));
}

describe.runIf(hasRedis)('eval over a BullMQ queue (real redis-server)', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let local: EpisodeOutcome[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    await runPool(spec, 1, (o) => local.push(o), sessions);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('two worker processes give exactly the local summary for the same seed, each episode once', async () => {
    const workers = [startWorker(redis.url), startWorker(redis.url)];
    try {
      const r = await runQueueEval(redis.url, spec);
      expect(r.failed).toEqual([]);
      expect(r.outcomes.map((o) => o.index).sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
      expect(summarize(spec, r.outcomes)).toEqual(summarize(spec, local));
      expect(Object.values(r.perWorker).reduce((a, b) => a + b, 0)).toBe(12);
    } finally {
      await Promise.all(workers.map(stop));
    }
  });

  it('a worker killed mid-run: its episode is taken by another after the stall timeout and every episode completes once', async () => {
    const victim = startWorker(redis.url);
    let killed = false;
    victim.stdout!.on('data', () => {});
    const run = runQueueEval(redis.url, { ...spec, seed: 22 }, (done) => {
      if (process.env.AXON_TEST_LOG) console.log('progress', done);
      if (done >= 2 && !killed) {
        killed = true;
        victim.kill('SIGKILL');
      }
    });
    // the survivor joins once the victim has started taking jobs
    await sleep(1500);
    const survivor = startWorker(redis.url);
    try {
      const r = await run;
      expect(killed).toBe(true);
      expect(r.failed).toEqual([]);
      expect(r.outcomes.map((o) => o.index).sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
      const localOther: EpisodeOutcome[] = [];
      await runPool({ ...spec, seed: 22 }, 1, (o) => localOther.push(o), sessions);
      expect(summarize({ ...spec, seed: 22 }, r.outcomes)).toEqual(summarize({ ...spec, seed: 22 }, localOther));
    } finally {
      await stop(survivor);
      await stop(victim);
    }
  });

  it('a worker that cannot resolve the model fails the job 3 times; the run reports it with the error, none is dropped', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'axon-worker-'));
    const w = startWorker(redis.url, 2000, elsewhere); // its cwd has no models/cartpole-balance
    try {
      const r = await runQueueEval(redis.url, { ...spec, seed: 23, episodes: 2 });
      expect(r.outcomes).toEqual([]);
      expect(r.failed.map((f) => f.index)).toEqual([0, 1]);
      expect(r.failed[0].error).toContain('models/cartpole-balance');
      expect(r.failed[0].error).toContain('is not available on worker');
    } finally {
      await stop(w);
    }
  });

  it('axon worker exits within 5 s of SIGTERM with its Redis stopped', async () => {
    const own = await startRedis();
    const w = startWorker(own.url);
    let out = '';
    w.stdout!.on('data', (d) => (out += d));
    try {
      for (let i = 0; i < 400 && !out.includes('taking episodes'); i++) await sleep(50);
      expect(out).toContain('taking episodes');
      await own.stop(); // Redis gone: BullMQ and ioredis reconnect forever
      await sleep(500);
      const t0 = performance.now();
      w.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => w.once('exit', (c) => r(c)));
      const ms = performance.now() - t0;
      expect(code).toBe(0);
      expect(ms).toBeLessThan(5000);
      expect(out).toContain('Redis did not answer within 4 s');
    } finally {
      w.kill('SIGKILL');
    }
  }, 60_000);

  it('a bad queue URL is one line naming the URL, exit code 2', () => {
    const r = runAxon(['worker', '--queue', 'redis://127.0.0.1:1'], 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot reach Redis at redis://127.0.0.1:1');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
