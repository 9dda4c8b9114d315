/**
 * Eval episodes over a Redis job queue with BullMQ, the engine labs already run: `eval --queue`
 * enqueues one job per episode (job id = run id + episode index, so an episode is never queued
 * twice), `axon worker --queue` runs them anywhere. Results come back as job return values keyed
 * by episode index: a retried job never counts twice and none is lost. A worker that dies
 * mid-episode loses its lock; BullMQ's stalled-job check hands the job to another worker.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue, QueueEvents, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { UsageError } from '../core/errors.ts';
import type { EpisodeSession, SessionSource } from '../session/index.ts';
import { runEpisodeUntil } from './runOne.ts';
import { modelHash } from './modelHash.ts';
import { watchRedis, type QueueLiveness } from './queueLiveness.ts';
import type { EpisodeOutcome, EvalSpec } from './types.ts';

export const QUEUE_NAME = 'axon-eval';

export interface EpisodeJob {
  readonly runId: string;
  readonly spec: EvalSpec;
  readonly index: number;
  /** Content hash of the model folder the episode must run with. */
  readonly modelHash: string;
  /** Content hash of the world-model folder (`--world-model`), when the eval has one: checked as the policy's. */
  readonly worldModelHash?: string;
}

export interface JobResult {
  readonly outcome: EpisodeOutcome;
  readonly worker: string;
}

/** redis://host:port[/db] -> connection options; anything else is a usage error naming the flag. */
export function parseQueueUrl(url: string, flag = '--queue'): { host: string; port: number; db: number; password?: string; maxRetriesPerRequest: null } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(flag, `"${url}" is not a URL`, 'redis://host:port');
  }
  if (u.protocol !== 'redis:') throw new UsageError(flag, `"${url}" is not a redis:// URL`, 'redis://host:port');
  const port = u.port ? Number(u.port) : 6379;
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!/^\d+$/.test(u.pathname.slice(1) || '0') || !Number.isSafeInteger(db)) throw new UsageError(flag, `database "${u.pathname.slice(1)}" in ${url} is not a number 0 or more`, 'redis://host:port/0');
  // `?db=2` was ignored (db 0 used): the database goes in the path.
  if (u.search) throw new UsageError(flag, `"${u.search}" in ${url}: a redis:// URL here takes no query`, 'redis://host:port/DB');
  return { host: u.hostname || '127.0.0.1', port, db, ...(u.password ? { password: decodeURIComponent(u.password) } : {}), maxRetriesPerRequest: null };
}

/**
 * Fails fast with a one-line usage error when Redis cannot be reached or does not answer: the
 * connect and the PING together get `timeoutMs`. ioredis' connectTimeout covers the TCP connect
 * alone, so a peer that accepts and never answers (a wedged Redis, another service on the port, a
 * firewall completing the handshake) hung `axon worker` and `eval --queue` with no word.
 */
/** The URL as printed (start-up check, liveness, worker errors): a password in it replaced by ***. */
export function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

export async function checkRedis(url: string, flag = '--queue', timeoutMs = 3000): Promise<void> {
  const c = parseQueueUrl(url, flag);
  url = withoutPassword(url); // what the messages below print
  // db 0 and no ready check here: the SELECT and the PING below are checked, in that order of
  // need (ioredis' own SELECT on connect failed silently, and its ready check's INFO crashed on a
  // peer that echoes).
  const r = new Redis({ host: c.host, port: c.port, password: c.password, lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, enableReadyCheck: false });
  let refused: Error | undefined; // what the server said on connect (a wrong password's WRONGPASS), before the stream closed
  r.on('error', (e: Error) => (refused ??= e));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const silent = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UsageError(flag, `no answer from Redis at ${url} within ${timeoutMs / 1000} s (the connection was accepted, the PING never answered)`, 'a running Redis server')), timeoutMs);
  });
  try {
    await Promise.race([(async () => {
      await r.connect();
      // A peer that is no Redis but answers (an echo, another protocol) passed a bare ping().
      // An error reply (NOAUTH, WRONGPASS, LOADING) is a Redis that refused: said below, not "not a Redis server".
      const pong: unknown = await r.ping();
      if (pong !== 'PONG') throw new UsageError(flag, `${url} answered PING with ${JSON.stringify(pong).slice(0, 60)}, not PONG: not a Redis server`, 'a running Redis server');
      // A database the server does not have (`/99` of 16) was accepted and the worker used db 0:
      // it drained another queue while the eval on "db 99" waited forever.
      if (c.db !== 0) {
        try {
          await r.select(c.db);
        } catch (e) {
          throw new UsageError(flag, `database ${c.db} in ${url}: Redis refused SELECT ${c.db} (${(e as Error).message})`, 'a database number the server has (16 by default: 0..15)');
        }
      }
    })(), silent]);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const why = refused && /NOAUTH|WRONGPASS|invalid password/.test(refused.message) ? refused.message : (e as Error).message;
    if (/NOAUTH|WRONGPASS|invalid password/.test(why)) throw new UsageError(flag, `Redis at ${url} refused this client: ${why}`, "the server's password in the URL (redis://:PASSWORD@host:port or redis://USER:PASSWORD@host:port)");
    throw new UsageError(flag, `cannot reach Redis at ${url} (${why})`, 'a running Redis server');
  } finally {
    clearTimeout(timer);
    r.disconnect();
  }
}

export interface QueueEvalResult {
  readonly outcomes: EpisodeOutcome[];
  readonly failed: { index: number; error: string }[];
  readonly perWorker: Record<string, number>;
  readonly seconds: number;
  /**
   * Present when `stop` ended the run: the episodes whose jobs were removed from the queue before a
   * worker took them, and those a worker had (run to their end there, their results not collected).
   */
  readonly stopped?: {
    readonly removed: number;
    readonly inFlight: number[];
    /** The episodes never put on the queue (the stop came while they were being queued, in chunks). */
    readonly notQueued?: number;
    /** The cleanup did not finish within QUEUE_CLOSE_GRACE_MS: `inFlight` also holds jobs that may remain queued. */
    readonly cleanupTimedOut?: true;
    /** Why, in words: Redis silent, Redis refusing, or a removal still running. */
    readonly cleanupWhy?: string;
  };
  /**
   * Present when Redis went away under the run (docs/eval.md, "When Redis goes away mid-run"): what
   * happened, in one line naming the URL, and the episodes not collected. The caller exits non-zero.
   */
  readonly lost?: { readonly reason: string; readonly uncollected: number[] };
}

/** Jobs per addBulk (and per batch of the stop's removal): a stop is looked at between chunks. */
export const QUEUE_ADD_CHUNK = 1000;

/** How long a stop waits for Redis (the submitter's job removal, the worker's close) before dropping the connections. */
export const QUEUE_CLOSE_GRACE_MS = 4000;

/** True when `p` settles within `ms`; false when it rejects or is still pending then. */
async function withinGrace(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ok = await Promise.race([
    p.then(
      () => true,
      () => false,
    ),
    new Promise<false>((r) => (timer = setTimeout(() => r(false), ms))),
  ]);
  clearTimeout(timer);
  return ok;
}

/**
 * Set by a stopped `eval --queue` before it removes its jobs: a worker neither runs nor puts back a
 * job of a cancelled run (docs/eval.md, "Ending an eval early"), so a worker stopping at the same
 * time leaves none of it queued for the next one. Expires with the failed jobs (24 h).
 */
export const cancelledKey = (runId: string) => `axon:eval:cancelled:${runId}`;
const CANCEL_TTL_S = 24 * 3600;

/** The job states of an episode no worker has taken yet: removable (docs/eval.md, "Ending an eval early"). */
/** As getJobState() names those states ('waiting' covers a paused queue's too). */
const NOT_STARTED_STATES: ReadonlySet<string> = new Set(['waiting', 'wait', 'paused', 'delayed', 'prioritized']);

/**
 * Enqueues every episode of `spec` and collects the results. `stop` (a signal): stops waiting,
 * removes this run's jobs that no worker has taken (others' jobs on the queue are left alone) and
 * returns what completed; the episodes workers hold run to their end there, uncollected.
 */
export async function runQueueEval(url: string, spec: EvalSpec, progress?: (done: number, total: number) => void, stop?: AbortSignal, liveness: QueueLiveness = {}): Promise<QueueEvalResult> {
  await checkRedis(url);
  const connection = parseQueueUrl(url);
  if (!spec.session.policy) throw new UsageError('--policy', 'is needed to run eval over a queue', 'a model folder the workers also have');
  const runId = randomBytes(6).toString('hex');
  const shown = withoutPassword(url);
  const hash = modelHash(spec.session.policy);
  const wmDir = spec.session.worldModel?.dir;
  const wmHash = wmDir !== undefined ? modelHash(wmDir) : undefined;
  const queue = new Queue<EpisodeJob, JobResult>(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  await events.waitUntilReady();
  const outcomes = new Map<number, EpisodeOutcome>();
  const failed = new Map<number, string>();
  const perWorker: Record<string, number> = {};
  const t0 = performance.now();
  const indexOf = (jobId: string) => (jobId.startsWith(`${runId}-`) ? Number(jobId.slice(runId.length + 1)) : -1);
  const finished = new Promise<void>((resolve) => {
    const check = () => {
      progress?.(outcomes.size + failed.size, spec.episodes);
      if (outcomes.size + failed.size >= spec.episodes) resolve();
    };
    events.on('completed', ({ jobId, returnvalue }) => {
      const i = indexOf(jobId);
      if (i < 0 || outcomes.has(i)) return;
      const r = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as JobResult;
      outcomes.set(i, r.outcome);
      failed.delete(i);
      perWorker[r.worker] = (perWorker[r.worker] ?? 0) + 1;
      check();
    });
    events.on('failed', async ({ jobId, failedReason }) => {
      const i = indexOf(jobId);
      if (i < 0 || outcomes.has(i) || stop?.aborted) return;
      const job = await queue.getJob(jobId).catch(() => undefined);
      // Only a job out of attempts is final; earlier failures are retried by BullMQ.
      if (job && job.attemptsMade < (job.opts.attempts ?? 1)) return;
      failed.set(i, failedReason);
      check();
    });
  });
  const aborted = new Promise<void>((resolve) => (stop?.aborted ? resolve() : stop?.addEventListener('abort', () => resolve(), { once: true })));
  // Results come only as QueueEvents, which cannot replay jobs Redis lost: without this watch a
  // Redis killed (no answer, ioredis reconnecting forever) or restarted empty (the run's jobs gone)
  // left the eval waiting forever with no word. It watches the queuing too.
  let queued = 0;
  const watch = watchRedis(shown, queue, runId, spec.episodes, () => queued, (i) => outcomes.has(i) || failed.has(i), liveness);
  // In chunks, a stop or a lost Redis looked at between them: one addBulk of 200,000 jobs took
  // 25 s and 1.5 GB to build, and a SIGTERM meanwhile waited for it, then left every job queued.
  let lostEarly: string | undefined;
  const adding = (async () => {
    for (let from = 0; from < spec.episodes && !stop?.aborted && lostEarly === undefined; from += QUEUE_ADD_CHUNK) {
      const to = Math.min(spec.episodes, from + QUEUE_ADD_CHUNK);
      await queue.addBulk(
        Array.from({ length: to - from }, (_, j) => ({
          name: 'episode',
          data: { runId, spec, index: from + j, modelHash: hash, ...(wmHash !== undefined ? { worldModelHash: wmHash } : {}) },
          opts: { jobId: `${runId}-${from + j}`, attempts: 3, backoff: { type: 'fixed', delay: 200 }, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } },
        })),
      );
      queued = to;
    }
  })();
  const addFailed = adding.then(
    () => new Promise<never>(() => {}),
    (e: unknown) => `Redis at ${shown} refused this run's jobs (${(e as Error).message})`,
  );
  void watch.lost.then((r) => (lostEarly = r));
  const lostReason = await Promise.race([finished.then(() => undefined), aborted.then(() => undefined), watch.lost, addFailed]);
  watch.cancel();
  const seconds = (performance.now() - t0) / 1000;
  let stopped: QueueEvalResult['stopped'];
  let lost: QueueEvalResult['lost'];
  if (lostReason !== undefined) {
    const uncollected: number[] = [];
    for (let i = 0; i < spec.episodes; i++) if (!outcomes.has(i) && !failed.has(i)) uncollected.push(i);
    lost = { reason: lostReason, uncollected };
    // Redis may not answer at all: bounded, then the connections are dropped (ioredis would
    // reconnect forever and hold the process open).
    const clean = await withinGrace((async () => {
      await events.close();
      await queue.close();
    })(), QUEUE_CLOSE_GRACE_MS);
    if (!clean) {
      void events.disconnect().catch(() => {});
      void queue.disconnect().catch(() => {});
    }
  } else if (stop?.aborted && outcomes.size + failed.size < spec.episodes) {
    // Bounded (docs/eval.md, "Ending an eval early"): with Redis gone every call below waits for
    // ioredis to reconnect, forever; past the grace the connections are dropped and the summary
    // says what could not be cleaned.
    let removed = 0;
    const gone = new Set<number>();
    let answered = performance.now();
    let refused: string | undefined;
    const cleanup = async () => {
      try {
        await (await queue.client).set(cancelledKey(runId), '1', { EX: CANCEL_TTL_S });
        answered = performance.now();
        await events.close();
        await adding.catch(() => {}); // the chunk being queued lands first, then is removed
        // This run's jobs, by id, in batches: their state, then those no worker took removed. (It
        // listed every job on the queue, every run's, and removed its own one round trip each.)
        const mine: number[] = [];
        for (let i = 0; i < queued; i++) if (!outcomes.has(i) && !failed.has(i)) mine.push(i);
        for (let b = 0; b < mine.length; b += QUEUE_ADD_CHUNK) {
          const batch = mine.slice(b, b + QUEUE_ADD_CHUNK);
          const states = await Promise.all(batch.map((i) => queue.getJobState(`${runId}-${i}`)));
          answered = performance.now();
          const waiting = batch.filter((_, j) => NOT_STARTED_STATES.has(states[j]));
          // 0: a worker took it meanwhile (it is locked): in flight.
          const done = await Promise.all(waiting.map((i) => queue.remove(`${runId}-${i}`)));
          answered = performance.now();
          waiting.forEach((i, j) => {
            if (done[j] === 1) {
              removed++;
              gone.add(i);
            }
          });
        }
        await queue.close();
      } catch (e) {
        refused = (e as Error).message;
        throw e;
      }
    };
    const t0Clean = performance.now();
    const clean = await withinGrace(cleanup(), QUEUE_CLOSE_GRACE_MS);
    const inFlight: number[] = [];
    for (let i = 0; i < queued; i++) if (!outcomes.has(i) && !failed.has(i) && !gone.has(i)) inFlight.push(i);
    if (!clean) {
      void events.disconnect().catch(() => {});
      void queue.disconnect().catch(() => {});
    }
    // The cause in words: an error from Redis, a Redis silent for the whole grace, or a removal
    // Redis kept answering that did not finish in time (it said "did not answer" for all three).
    const why = clean
      ? undefined
      : refused !== undefined
        ? `Redis refused the cleanup (${refused})`
        : answered > t0Clean
          ? `removing this run's queued jobs did not finish within ${QUEUE_CLOSE_GRACE_MS / 1000} s (Redis answering)`
          : `Redis did not answer within ${QUEUE_CLOSE_GRACE_MS / 1000} s`;
    stopped = { removed, inFlight, ...(queued < spec.episodes ? { notQueued: spec.episodes - queued } : {}), ...(why ? { cleanupTimedOut: true as const, cleanupWhy: why } : {}) };
  } else {
    await events.close();
    await queue.close();
  }
  return {
    ...(stopped ? { stopped } : {}),
    ...(lost ? { lost } : {}),
    outcomes: [...outcomes.values()],
    failed: [...failed.entries()].map(([index, error]) => ({ index, error })).sort((a, b) => a.index - b.index),
    perWorker,
    seconds,
  };
}

const cancelledMessage = (runId: string) => `run ${runId} was stopped by its eval: episode dropped`;

export interface WorkerOptions {
  readonly concurrency: number;
  /** How long a job's lock lasts without renewal, and how often stalled jobs are looked for (ms). */
  readonly lockMs: number;
  readonly stalledIntervalMs: number;
  readonly log?: (line: string) => void;
  /** Where the episodes' sessions come from (the simulator's, injected by the composition root). */
  readonly sessions: SessionSource;
}

/** One session per (spec, model) is kept open. */
/**
 * Takes episode jobs from the queue until closed. `close(graceMs)` resolves within graceMs (+ the
 * local sessions' close) whether or not Redis answers: true when BullMQ closed cleanly.
 */
export async function startQueueWorker(url: string, o: WorkerOptions): Promise<{ close(graceMs?: number): Promise<boolean>; processed(): number; released(): readonly number[] }> {
  await checkRedis(url);
  const connection = parseQueueUrl(url);
  const open = new Map<string, EpisodeSession>();
  const hashes = new Map<string, string>();
  const name = `${hostname()}:${process.pid}`;
  let processed = 0;
  const released: number[] = [];
  // Aborted by close(): the episodes in progress stop after their tick and their jobs go back to
  // the queue at once (not after their lock lapses), no attempt spent: another worker takes them.
  const closing = new AbortController();
  const worker = new Worker<EpisodeJob, JobResult>(
    QUEUE_NAME,
    async (job: Job<EpisodeJob, JobResult>, token?: string) => {
      const { spec, index } = job.data;
      // A job of a run its eval stopped (put back by a worker that missed the marker): dropped, not run.
      if (await isCancelled(job.data.runId)) throw new UnrecoverableError(cancelledMessage(job.data.runId));
      // The policy and the world model (which decides vetoes, plans and stops) both as the eval hashed them.
      const check = (what: string, dir: string, want: string) => {
        let have = hashes.get(dir);
        if (have === undefined) {
          try {
            have = modelHash(dir);
          } catch (e) {
            throw new Error(`${what} ${dir} (sha256 ${want.slice(0, 12)}) is not available on worker ${name}: ${(e as Error).message}`);
          }
          hashes.set(dir, have);
        }
        if (have !== want) throw new Error(`${what} ${dir} on worker ${name} has sha256 ${have.slice(0, 12)}, the job needs ${want.slice(0, 12)}: refusing to run another ${what}`);
      };
      check('model', spec.session.policy ?? '', job.data.modelHash);
      if (spec.session.worldModel) {
        // A job without the world model's hash (queued by an older axon) cannot be checked: refused, not run unchecked.
        if (job.data.worldModelHash === undefined) throw new Error(`world model ${spec.session.worldModel.dir}: the job carries no content hash to check it against (queued by an older axon eval): refusing to run it unchecked`);
        check('world model', spec.session.worldModel.dir, job.data.worldModelHash);
      }
      const key = JSON.stringify(spec.session);
      let session = open.get(key);
      if (!session) {
        session = await o.sessions.open(spec.session);
        open.set(key, session);
      }
      const outcome = await runEpisodeUntil(session, spec, index, closing.signal);
      if (!outcome) {
        await job.moveToWait(token);
        // The eval that queued it may have stopped too (both got the signal): it sets its marker,
        // then removes its waiting jobs. Checked after the put-back, one of the two always sees the
        // job: put back before the marker, the eval's removal finds it waiting; after, it is removed here.
        if (await isCancelled(job.data.runId)) {
          await job.remove().catch(() => {}); // the eval's removal may have been first
          o.log?.(`episode ${index}: ${cancelledMessage(job.data.runId)}`);
        } else released.push(index);
        throw new WaitingError();
      }
      processed++;
      return { outcome, worker: name };
    },
    { connection, concurrency: o.concurrency, lockDuration: o.lockMs, stalledInterval: o.stalledIntervalMs, maxStalledCount: 2 },
  );
  const isCancelled = async (runId: string) => (await (await worker.client).get(cancelledKey(runId))) !== null;
  // BullMQ's own errors (a Redis restarted under a running episode: `Missing key for job …`, a
  // reconnect refused) were printed as raw stack traces: one line each, a repeat said once.
  let lastError = '';
  worker.on('error', (err) => {
    const line = `axon worker: queue error at ${withoutPassword(url)}: ${err.message.split('\n')[0]}`;
    if (line !== lastError) o.log?.(line);
    lastError = line;
  });
  worker.on('failed', (job, err) => o.log?.(err instanceof UnrecoverableError && err.message === cancelledMessage(job?.data.runId ?? '') ? `episode ${job?.data.index}: ${err.message}` : `episode ${job?.data.index} failed: ${err.message}`));
  await worker.waitUntilReady();
  return {
    processed: () => processed,
    released: () => released,
    close: async (graceMs = QUEUE_CLOSE_GRACE_MS) => {
      closing.abort();
      // worker.close() waits for the episodes in flight (stopped above, their jobs put back) and for
      // Redis; with Redis gone it never returns (ioredis reconnects forever). Past the grace period,
      // close without them: the episodes' locks lapse and another worker retries them; nothing is
      // counted twice.
      const clean = await withinGrace(worker.close(), graceMs);
      if (!clean) void worker.close(true).catch(() => {});
      for (const s of open.values()) await s.close().catch(() => {});
      return clean;
    },
  };
}
