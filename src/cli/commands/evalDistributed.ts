/**
 * `axon eval --workers N`, `--queue URL` and `--shard K/N --out FILE`: the episodes are spread out,
 * each a pure function of (spec, index), and the summary is computed from the outcomes keyed by
 * index (docs/eval.md). A first SIGINT/SIGTERM ends each mode cleanly with the summary of the
 * episodes that ran to their end (docs/eval.md, "Ending an eval early"); a second kills at once.
 */
import { availableParallelism } from 'node:os';
import { UsageError } from '../../core/errors.ts';
import { runPool } from '../../eval/pool.ts';
import { QUEUE_CLOSE_GRACE_MS, runQueueEval, withoutPassword } from '../../eval/queue.ts';
import { runEpisodes, shardIndices, summarize } from '../../eval/episodes.ts';
import { checkShardOut, parseShard, writeShard } from '../../eval/shards.ts';
import { modelHash } from '../../eval/modelHash.ts';
import type { EpisodeOutcome, EvalSpec } from '../../eval/types.ts';
import { progressLine } from '../progress.ts';
import { checkOutputFile } from '../preflight.ts';
import { sessionSource, type FaultOptions, type WorldModelOptions } from '../wiring.ts';
import { round } from '../summary.ts';
import { EXIT_FAILED } from '../exitCodes.ts';
import { endPastStuckThreads, signalExitCode, stopOnSignal } from '../signalStop.ts';

export interface EvalFlags {
  robot: string;
  policy?: string;
  episodes: number;
  seed: number;
  randomize: boolean;
  duration?: number;
  physicsHz: number;
  physics: 'cannon' | 'mujoco';
  zeroPolicy: boolean;
  baseline: boolean;
  workers: number;
  queue?: string;
  shard?: string;
  out?: string;
  record?: string;
  dataset?: string;
  json: boolean;
  actionNoise?: number;
  fault?: FaultOptions;
  command?: [number, number, number];
}

export async function distributedEval(o: EvalFlags, worldModel: WorldModelOptions | undefined): Promise<void> {
  const modes = [o.workers > 1 && '--workers', o.queue && '--queue', o.shard && '--shard'].filter(Boolean);
  if (modes.length > 1) throw new UsageError(String(modes[1]), `cannot be combined with ${modes[0]}`, 'one way to spread the episodes');
  if (o.baseline) throw new UsageError('--baseline', `is not available with ${modes[0]}`, 'a local eval for the baseline');
  if (o.record) throw new UsageError('--record', `is not available with ${modes[0]}`, 'a local eval (one process) to record its episodes');
  if (o.dataset) throw new UsageError('--dataset', `is not available with ${modes[0]}`, 'a local eval (one process) to record its episodes into a dataset');
  const spec: EvalSpec = {
    session: { robot: o.robot, policy: o.policy, physicsHz: o.physicsHz, physics: o.physics, zeroPolicy: o.zeroPolicy, worldModel, actionNoise: o.actionNoise, fault: o.fault, ...(o.command ? { velocityCommand: o.command } : {}) },
    randomize: o.randomize,
    durationS: o.duration,
    seed: o.seed,
    episodes: o.episodes,
  };
  if (o.shard) {
    const { k, n } = parseShard(o.shard);
    if (!o.out) throw new UsageError('--out', 'is needed with --shard', 'a file for this shard\'s results');
    // Checked before the episodes, not found unwritable after all of them.
    checkOutputFile(o.out, '--out', "a file for this shard's results");
    checkShardOut(o.out);
  }
  const progress = o.json ? undefined : progressLine(o.episodes);
  const signal = stopOnSignal();
  let stuck = 0;
  try {
    if (o.shard) return await shardEval(o, spec, signal.signal, progress);
    stuck = await spreadEval(o, spec, signal.signal, progress);
  } finally {
    signal.release();
  }
  if (stuck > 0) await endPastStuckThreads(stuck, String(signal.signal.reason) as NodeJS.Signals);
}

type Progress = ReturnType<typeof progressLine>;

/** `--shard K/N --out FILE`: this process runs episodes K, K+N, ... and writes them, whole, to FILE. */
async function shardEval(o: EvalFlags, spec: EvalSpec, stop: AbortSignal, progress: Progress): Promise<void> {
  const { k, n } = parseShard(o.shard!);
  const out = o.out!;
  const outcomes: EpisodeOutcome[] = [];
  const indices = shardIndices(o.episodes, k, n);
  // The contents the shard runs, for eval merge to compare (src/eval/shards.ts ShardFile.model_hash).
  const hashes = {
    ...(spec.session.policy !== undefined ? { model_hash: modelHash(spec.session.policy) } : {}),
    ...(spec.session.worldModel ? { world_model_hash: modelHash(spec.session.worldModel.dir) } : {}),
  };
  if (!o.json) console.log(`axon eval: shard ${k}/${n}, ${indices.length} of ${o.episodes} episodes of ${o.robot} (${indices.slice(0, 3).join(', ')}${indices.length > 3 ? ', ...' : ''}) to ${out}; Ctrl-C to stop`);
  const end = await runEpisodes(spec, indices, (r) => {
    outcomes.push(r);
    progress?.(outcomes.length, indices.length);
  }, sessionSource, stop);
  const sig = stop.aborted && outcomes.length < indices.length ? String(stop.reason) : undefined;
  // An interrupted shard is written too (what it completed), marked so that `eval merge` refuses it.
  const interrupted = sig ? { signal: sig, episodes_completed: outcomes.length, episodes: indices.length, ...(end.stopped !== undefined ? { episode_interrupted: end.stopped } : {}) } : undefined;
  writeShard(out, { format: 'axon.eval-shard/1', spec, shard: { k, n }, outcomes, ...hashes, ...(interrupted ? { interrupted } : {}) });
  const successes = outcomes.filter((x) => x.success).length;
  if (interrupted) {
    if (progress) process.stderr.write('\n');
    const line = { command: 'eval', shard: `${k}/${n}`, episodes: indices.length, episodes_completed: outcomes.length, out, successes, interrupted: interrupted.signal, ended_by: 'signal', ...(end.stopped !== undefined ? { episode_interrupted: end.stopped } : {}) };
    console.log(o.json ? JSON.stringify(line) : `shard ${k}/${n} interrupted by ${interrupted.signal}: ${outcomes.length} of its ${indices.length} episodes written to ${out}, marked interrupted (axon eval merge refuses it: rerun the shard)`);
    // Not 0: the shard's result is incomplete, and a batch scheduler (a Kubernetes indexed job, a
    // Slurm array) must not count the index done; 128 + the signal, as if the signal had ended it.
    process.exitCode = signalExitCode(interrupted.signal);
    return;
  }
  const line = { command: 'eval', shard: `${k}/${n}`, episodes: outcomes.length, out, successes };
  console.log(o.json ? JSON.stringify(line) : `shard ${k}/${n}: ${outcomes.length} episodes written to ${out}; combine the shards with axon eval merge`);
}

/** `--queue URL` or `--workers N`; the worker threads that could not be ended (PoolEnd.stuck). */
async function spreadEval(o: EvalFlags, spec: EvalSpec, stop: AbortSignal, progress: Progress): Promise<number> {
  const t0 = performance.now();
  const outcomes: EpisodeOutcome[] = [];
  let extra: Record<string, unknown> = {};
  let failed = 0;
  let stuck = 0;
  if (o.queue) {
    if (!o.json) console.log(`axon eval: ${o.episodes} episodes of ${o.robot} on the queue at ${withoutPassword(o.queue)} for axon worker; Ctrl-C to stop`);
    const r = await runQueueEval(o.queue, spec, progress, stop);
    outcomes.push(...r.outcomes);
    failed = r.failed.length;
    extra = { queue: withoutPassword(o.queue), per_worker: r.perWorker, failed: r.failed, ...(r.stopped ? { jobs_removed: r.stopped.removed, episodes_in_flight: r.stopped.inFlight } : {}), ...(r.stopped?.notQueued ? { episodes_not_queued: r.stopped.notQueued } : {}), ...(r.stopped?.cleanupTimedOut ? { cleanup: cleanupNote(r.stopped.inFlight.length, r.stopped.cleanupWhy) } : {}) };
    if (r.lost) {
      // Redis went away under the run (docs/eval.md, "When Redis goes away mid-run"): the episodes
      // collected are scored as after a signal, the rest listed; one line on stderr, exit 1.
      if (progress) process.stderr.write('\n');
      const summary = { ...summarizePartial(spec, outcomes), ended_by: 'queue_lost', queue_error: r.lost.reason, ...extra, episodes_uncollected: r.lost.uncollected.length, episodes_per_s: round(outcomes.length / ((performance.now() - t0) / 1000), 2) };
      if (o.json) console.log(JSON.stringify(summary));
      else if (outcomes.length > 0) console.log(`${outcomes.length} of ${o.episodes} episodes collected before Redis went away: success rate ${summary.success_rate}, mean return ${summary.mean_return}, mean steps ${summary.mean_steps}`);
      process.stderr.write(`axon: --queue: ${r.lost.reason}\n`);
      process.exitCode = EXIT_FAILED;
      return 0;
    }
    if (failed > 0 && !stop.aborted) {
      // Episodes that failed 3 times are reported, never dropped: the summary covers the others.
      const summary = { ...summarizePartial(spec, outcomes), ...extra, episodes_per_s: round(outcomes.length / ((performance.now() - t0) / 1000), 2) };
      console.log(o.json ? JSON.stringify(summary) : `${r.failed.length} episodes failed: ${r.failed.map((f) => `#${f.index}: ${f.error}`).join('; ')}`);
      process.exitCode = EXIT_FAILED;
      return 0;
    }
  } else {
    const workers = poolSize(o.workers, o.episodes);
    if (!o.json) console.log(`axon eval: ${o.episodes} episodes of ${o.robot} over ${workers} worker threads; Ctrl-C to stop`);
    const r = await runPool(spec, workers, (x) => {
      outcomes.push(x);
      progress?.(outcomes.length, o.episodes);
    }, sessionSource, stop);
    stuck = r.stuck;
    extra = { workers, ...(stop.aborted ? { episodes_interrupted: r.stopped, ...(r.terminated > 0 ? { workers_terminated: r.terminated } : {}), ...(r.stuck > 0 ? { workers_stuck: r.stuck } : {}) } : {}) };
  }
  const seconds = (performance.now() - t0) / 1000;
  if (stop.aborted && outcomes.length < o.episodes) {
    // As a local eval ends on a signal: the episodes that ran to their end, scored; exit 0.
    if (progress) process.stderr.write('\n');
    const sig = String(stop.reason);
    const summary = { ...summarizePartial(spec, outcomes), interrupted: sig, ended_by: 'signal', ...extra, episodes_per_s: round(outcomes.length / seconds, 2) };
    if (o.json) console.log(JSON.stringify(summary));
    else {
      const cut = extra.episodes_interrupted as number[] | undefined;
      const stopped = o.queue
        ? extra.cleanup
          ? `; ${extra.jobs_removed} queued episodes removed; ${extra.cleanup}`
          : `; ${extra.jobs_removed} queued episodes removed, ${(extra.episodes_in_flight as number[]).length} left to the workers running them`
        : cut!.length > 0 ? `; episode${cut!.length > 1 ? 's' : ''} ${cut!.join(', ')} stopped, not scored` : '';
      console.log(`interrupted by ${sig}: ${summary.episodes_completed} of ${o.episodes} episodes ran to their end and are scored${stopped}`);
      if (summary.episodes_completed > 0) console.log(`success rate ${summary.success_rate}, mean return ${summary.mean_return}, mean steps ${summary.mean_steps}`);
    }
    if (failed > 0) {
      process.stderr.write(`axon: ${failed} episodes failed before the signal (listed in the summary's failed)\n`);
      process.exitCode = EXIT_FAILED;
    }
    return stuck;
  }
  const summary = { ...summarize(spec, outcomes), ...extra, episodes_per_s: round(o.episodes / seconds, 2) };
  if (o.json) console.log(JSON.stringify(summary));
  else console.log(`success rate ${summary.success_rate}, mean return ${summary.mean_return}, mean steps ${summary.mean_steps} (${summary.episodes_per_s} episodes/s)`);
  return stuck;
}

/** The summary's note when Redis did not answer the stop's cleanup (src/eval/queue.ts, QUEUE_CLOSE_GRACE_MS). */
function cleanupNote(n: number, why = `Redis did not answer within ${QUEUE_CLOSE_GRACE_MS / 1000} s`): string {
  return `${why}: ${n} episode${n === 1 ? '' : 's'} of this run may remain queued or in flight (listed in episodes_in_flight)`;
}

/**
 * The worker threads `--workers n` runs: no more than the episodes (a thread with none would idle)
 * nor the CPUs (os.availableParallelism()): each thread holds its own physics and ONNX session, and
 * 64 of them on a small machine took gigabytes and ran slower than one. Clamped with a note, as
 * --command is clamped to the manifest's ranges; the summary's `workers` is the number that ran.
 */
export function poolSize(n: number, episodes: number, cpus = availableParallelism()): number {
  const workers = Math.min(n, episodes, cpus);
  if (n > cpus && episodes > cpus) process.stderr.write(`axon: note: --workers ${n} is more than this machine's ${cpus} CPUs (os.availableParallelism()): running ${workers} worker threads\n`);
  return workers;
}

/** Summary over the episodes that completed (renumbered in episode order), with `episodes` as asked and `episodes_completed`. */
function summarizePartial(spec: EvalSpec, outcomes: EpisodeOutcome[]) {
  const done = [...outcomes].sort((a, b) => a.index - b.index).map((x, i) => ({ ...x, index: i }));
  return { ...summarize({ ...spec, episodes: done.length }, done), episodes: spec.episodes, episodes_completed: done.length };
}
