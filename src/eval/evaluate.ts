import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { episodeEndedBy, episodeSeed, traceWorldModel, type EpisodeSession, type FaultOptions, type SessionSource, type SimSessionOptions, type WorldModelOptions } from '../session/index.ts';
import { attachRecorder, type Recorder, type RecordingFailure } from '../record/index.ts';
import { DatasetWriter, defaultTask, manifestControlMode, provenance, type DatasetSummary } from '../dataset/index.ts';
import { round } from '../core/round.ts';
import { summarize } from './episodes.ts';
import { episodeOutcome } from './runOne.ts';
import type { EpisodeOutcome, EvalSummary as BaseEvalSummary } from './types.ts';
import { percentilesUs } from '../loop/LoopStats.ts';
import { defaultPlannerOptions } from '../worldmodel/Planner.ts';
import { defaultShieldOptions } from '../worldmodel/ShieldHook.ts';
import { makeDirs } from '../core/makeDirs.ts';

export interface EvalOptions {
  readonly robot: string;
  /** Policy folder; optional when a world model plans alone. */
  readonly policy?: string;
  readonly episodes: number;
  readonly seed: number;
  readonly randomize: boolean;
  readonly durationS?: number;
  readonly physicsHz: number;
  /** Physics engine (`--physics`); default cannon-es. */
  readonly physics?: 'cannon' | 'mujoco';
  readonly zeroPolicy?: boolean;
  readonly worldModel?: WorldModelOptions;
  /** Gaussian noise std added to the policy's raw output (a degraded policy). */
  readonly actionNoise?: number;
  readonly fault?: FaultOptions;
  /**
   * Also run the same episodes without the world model's help and report them as `baseline`:
   * plan -> random actions (N(0, 1) clipped) instead of the planner; shield -> no shield;
   * monitor -> the same monitor on the unchanged sim (no fault).
   */
  readonly baseline?: boolean;
  /** Called after each episode with (episodes done, successes so far). */
  readonly progress?: (done: number, successes: number) => void;
  /** Record every episode to MCAP in this folder: episode-K-seed-S.mcap (created if missing). */
  readonly recordDir?: string;
  /**
   * An episode's recording failed (its writes: a full disk, an I/O error; or its writer thread
   * died): called once per file, off the tick, as soon as the writer says so and at the latest when
   * its episode ends. The eval goes on (the next episode gets its own file); the summary's
   * `record.failed` keeps it (docs/cli.md, "A recording that fails mid-run").
   */
  readonly onRecordFailure?: (f: RecordingFailure & { readonly episode: number }) => void;
  /** Velocity command (vx m/s, vy m/s, wz rad/s; `--command`) for every episode, clamped to the manifest's command_ranges. */
  readonly velocityCommand?: readonly [number, number, number];
  /** Record every episode into this LeRobotDataset (one dataset episode per eval episode, with its success and seed). */
  readonly dataset?: { readonly dir: string; readonly task?: string };
  /**
   * Ctrl-C / SIGTERM (the CLI aborts it, as `axon sim` ends its run): the running episode is stopped
   * as its duration would stop it, its MCAP closed with its footer and its dataset episode saved;
   * no further episode starts, and the summary covers the episodes that ran to their end.
   */
  readonly stop?: AbortSignal;
}

/** What the world-model hook did over the run (present with --world-model). */
export interface EvalWorldModelSummary {
  model: string;
  mode: string;
  planner?: { name: string; samples: number; horizon: number; iterations: number; noise_std: number | readonly number[]; temperature: number; elite_fraction: number };
  shield?: { horizon: number; samples: number; continuation: string; vetoes: number; episodes_with_veto: number };
  monitor?: {
    episodes_with_event: number;
    /** Time from the fault to the first surprise event (s), over episodes with a fault and an event. */
    detection_s?: { mean: number; max: number };
    fault_episodes_detected?: number;
    max_surprise: number;
  };
  /** The world-model stage's time per tick over all ticks (µs), and the share of a tick period its p99 takes. */
  stage_us: { p50: number; p99: number; max: number };
  tick_share_p99: number;
  /** The loop rate the whole tick's p99 compute time allows (Hz): ticks could run at least this fast in real time. */
  max_loop_hz_p99: number;
}

/** An episode's MCAP file whose writes failed: as a run's `record` says it (`written` ticks are in the file, from `lost_from_s` on none). */
export interface EvalRecordFailure {
  episode: number;
  file: string;
  error: string;
  lost_from_s?: number;
  lost_from_seq?: number;
  written: number;
  dropped: number;
}

/** The base eval summary (src/eval) plus what a local run with a world model adds. */
export interface EvalSummary extends BaseEvalSummary {
  action_noise?: number;
  fault?: FaultOptions;
  world_model?: EvalWorldModelSummary;
  /** --record: the episodes' MCAP files; `error` and `failed` when a file's writes failed (the first error, and each such file). */
  record?: { dir: string; files: number; ticks: number; dropped: number; bytes: number; error?: string; failed?: EvalRecordFailure[] };
  /** --dataset: frames received, written and dropped. */
  dataset?: DatasetSummary;
  /** Ended by a signal (`stop`): its name; `episodes_completed` of `episodes` ran to their end and are scored. */
  interrupted?: string;
  ended_by?: 'signal';
  episodes_completed?: number;
  /** The episode the signal stopped: recorded (MCAP, dataset) as far as it ran, not scored. */
  episode_interrupted?: number;
  baseline?: Omit<EvalSummary, 'baseline' | 'command' | 'robot' | 'seed' | 'randomize' | 'episodes'> & { description: string };
}

/**
 * Sessions of a robot the run names by more than its name: a user's robot file (`eval --urdf F`,
 * src/cli/commands/evalUserRobot.ts). `robotArgs` name it in the dataset's provenance `source`
 * (`--urdf /abs/robot.urdf`; default `--robot NAME`); `recordRun` gives, once per eval (configure
 * time), the fields each episode's MCAP adds to `axon.run`: what `axon replay --view` draws the
 * robot with, as `axon sim --urdf | --mjcf --record` keeps it (src/record/drawingMeta.ts).
 */
export interface EvalSessionSource<S extends EpisodeSession = EpisodeSession> extends SessionSource {
  open(o: SimSessionOptions): Promise<S>;
  readonly robotArgs?: string;
  readonly recordRun?: (session: S) => Readonly<Record<string, unknown>>;
}

/**
 * Runs `episodes` episodes, episode k seeded by episodeSeed(seed, k), and summarises them.
 * `sessions` opens the simulated sessions (sim/session's `sessions`, injected by the caller).
 */
export async function runEval<S extends EpisodeSession>(o: EvalOptions, sessions: EvalSessionSource<S>): Promise<EvalSummary> {
  const main = await evalOnce(o, sessions);
  if (!o.baseline || !o.worldModel || o.stop?.aborted) return main;
  const mode = o.worldModel.mode;
  const base: EvalOptions =
    mode === 'plan'
      ? { ...o, policy: undefined, actionNoise: 1, baseline: false, progress: undefined, recordDir: undefined, dataset: undefined }
      : mode === 'shield'
        ? { ...o, worldModel: undefined, baseline: false, progress: undefined, recordDir: undefined, dataset: undefined }
        : { ...o, fault: undefined, baseline: false, progress: undefined, recordDir: undefined, dataset: undefined };
  const b = await evalOnce(base, sessions, mode === 'plan');
  const description =
    mode === 'plan' ? 'random actions N(0, 1) clipped, no planner' : mode === 'shield' ? 'the same policy and noise without the shield' : 'the same monitor on the unchanged sim (no fault)';
  const { command: _c, robot: _r, seed: _s, randomize: _z, episodes: _e, ...rest } = b;
  return { ...main, baseline: { description, ...rest } };
}

async function evalOnce<S extends EpisodeSession>(o: EvalOptions, sessions: EvalSessionSource<S>, randomActions = false): Promise<EvalSummary> {
  const session = await sessions.open({
    robot: o.robot,
    policy: o.policy,
    hookOff: randomActions,
    physicsHz: o.physicsHz,
    ...(o.physics ? { physics: o.physics } : {}),
    zeroPolicy: o.zeroPolicy,
    worldModel: o.worldModel,
    actionNoise: o.actionNoise,
    fault: o.fault,
    ...(o.velocityCommand ? { velocityCommand: o.velocityCommand } : {}),
  });
  const outcomes: EpisodeOutcome[] = [];
  let successes = 0;
  const wmTimes = new Float64Array(o.episodes * Math.round((o.durationS ?? session.task.episodeS) / session.period) + 1);
  const tickTimes = new Float64Array(wmTimes.length);
  let nTimes = 0;
  let vetoes = 0, vetoEpisodes = 0, eventEpisodes = 0, faultEpisodes = 0, maxSurprise = 0, detSum = 0, detMax = 0, detN = 0;
  let interruptedAt: number | undefined;
  const record: EvalSummary['record'] = o.recordDir !== undefined ? { dir: o.recordDir, files: 0, ticks: 0, dropped: 0, bytes: 0 } : undefined;
  if (record) makeDirs(record.dir);
  let dataset: DatasetWriter | undefined;
  let datasetSummary: DatasetSummary | undefined;
  try {
    // A user's robot file: its drawing (hashed once here, not per episode) in every episode's MCAP.
    const runMore = record && sessions.recordRun ? sessions.recordRun(session) : undefined;
    // Opened (or checked for append: a mismatch is refused, naming it) before the first episode; a
    // planner without a policy by its mapper's manifest's control mode (the world model's).
    if (o.dataset)
      dataset = await DatasetWriter.open({
        dir: o.dataset.dir,
        spec: session.robot.spec,
        fps: session.folder.manifest.control_hz,
        task: o.dataset.task ?? defaultTask(o.robot, session.task.name),
        scored: true,
        velocityCommand: session.command,
        provenance: provenance({ spec: session.robot.spec, period: session.period, ...(o.policy ? { model: o.policy, manifest: session.folder.manifest } : { mode: manifestControlMode(session.folder.manifest) }), source: `axon eval ${sessions.robotArgs ?? `--robot ${o.robot}`} --seed ${o.seed}${o.randomize ? ' --randomize' : ''}` }),
      });
    for (let k = 0; k < o.episodes && !o.stop?.aborted; k++) {
      const seed = episodeSeed(o.seed, k);
      let recorder: Recorder | undefined;
      let failureSaid = false; // onRecordFailure called for this episode's file
      let onStop: (() => void) | undefined;
      let cut = false;
      const r = await session.runEpisode({ seed, randomize: o.randomize, durationS: o.durationS }, (loop, parts) => {
        onStop = () => {
          cut = true;
          loop.stop();
        };
        o.stop?.addEventListener('abort', onStop, { once: true });
        if (record) {
          const file = join(record.dir, `episode-${String(k).padStart(4, '0')}-seed-${seed}.mcap`);
          const worldModel = traceWorldModel(parts.worldModel, 1);
          const run = { command: 'eval', robot: o.robot, task: session.task.name, policy: o.policy, seed: o.seed, episode: k, episode_seed: seed, randomize: o.randomize, ...runMore };
          const wmManifest = session.worldModel?.folder.manifest;
          recorder = attachRecorder(loop, { spec: session.robot.spec, manifest: session.folder.manifest, worldModelManifest: wmManifest, period: session.period, run, command: session.command, ...(worldModel ? { worldModel } : {}) }, file, {
            onFailure: (f) => {
              failureSaid = true;
              o.onRecordFailure?.({ ...f, episode: k });
            },
          });
        }
        dataset?.attach(loop);
        loop.records$.subscribe((rec) => {
          if (nTimes >= wmTimes.length) return;
          let total = 0;
          for (let i = 0; i < rec.stageS.length; i++) total += rec.stageS[i];
          wmTimes[nTimes] = rec.stageS[3];
          tickTimes[nTimes++] = total;
        });
      }).catch(async (e: unknown) => {
        await recorder?.close().catch(() => {}); // the episode's error is the one to report
        throw e;
      }).finally(() => onStop && o.stop?.removeEventListener('abort', onStop));
      // How the episode ended, in the run summary's words (docs/dataset.md, "How an episode ended").
      const endedBy = episodeEndedBy(r, cut);
      dataset?.endEpisode({ success: r.success, seed, randomization: r.randomization, endedBy });
      if (recorder && record) {
        recorder.setEpisode({ success: r.success, seed, randomization: r.randomization, endedBy });
        const rs = await recorder.close();
        record.files++;
        record.ticks += rs.ticks;
        record.dropped += rs.dropped;
        record.bytes += rs.bytes;
        if (rs.error !== undefined) {
          // A failure the writer reported only at close (a short episode) is said now, before the next episode.
          if (!failureSaid) o.onRecordFailure?.({ file: rs.file, error: rs.error, ...(rs.lost_from_s !== undefined ? { lostFromS: rs.lost_from_s, lostFromSeq: rs.lost_from_seq } : {}), episode: k });
          record.error ??= rs.error;
          (record.failed ??= []).push({ episode: k, file: rs.file, error: rs.error, ...(rs.lost_from_s !== undefined ? { lost_from_s: rs.lost_from_s, lost_from_seq: rs.lost_from_seq } : {}), written: rs.written, dropped: rs.dropped });
        }
      }
      // Cut short by the signal: saved as sim saves its run, but not scored as an episode.
      if (cut) {
        interruptedAt = k;
        break;
      }
      if (r.success) successes++;
      outcomes.push(episodeOutcome(k, seed, r));
      const w = r.worldModel;
      if (w) {
        vetoes += w.vetoes;
        if (w.vetoes > 0) vetoEpisodes++;
        if (w.maxSurprise > maxSurprise) maxSurprise = w.maxSurprise;
        if (!Number.isNaN(w.faultS)) faultEpisodes++;
        if (!Number.isNaN(w.surpriseEventS)) {
          eventEpisodes++;
          if (!Number.isNaN(w.faultS)) {
            detN++;
            detSum += w.surpriseEventS;
            if (w.surpriseEventS > detMax) detMax = w.surpriseEventS;
          }
        }
      }
      o.progress?.(k + 1, successes);
    }
    datasetSummary = await dataset?.close();
  } finally {
    await dataset?.close();
    await session.close();
  }
  const policyName = o.policy === undefined ? (o.worldModel ? `none (planning with ${o.worldModel.dir})` : '') : o.zeroPolicy ? `${o.policy} (zero actions)` : o.policy;
  const interrupted = o.stop?.aborted ? String(o.stop.reason) : undefined;
  // Its spec names no world model (the local summary adds its own, timings included, below).
  const { world_model: _noWorldModel, ...base } = summarize({ session: { robot: o.robot, physicsHz: o.physicsHz, physics: o.physics }, randomize: o.randomize, seed: o.seed, episodes: interrupted ? outcomes.length : o.episodes }, outcomes);
  const summary: EvalSummary = {
    ...base,
    ...(interrupted
      ? { episodes: o.episodes, episodes_completed: outcomes.length, interrupted, ended_by: 'signal' as const, ...(interruptedAt !== undefined ? { episode_interrupted: interruptedAt } : {}) }
      : {}),
    policy: randomActions ? 'none (random actions N(0, 1) clipped)' : policyName,
    ...(o.actionNoise ? { action_noise: o.actionNoise } : {}),
    ...(o.fault ? { fault: o.fault } : {}),
    ...(record ? { record } : {}),
    ...(datasetSummary ? { dataset: datasetSummary } : {}),
  };
  if (o.worldModel && !randomActions) summary.world_model = worldModelSummary(session, o.worldModel, wmTimes.subarray(0, nTimes), tickTimes.subarray(0, nTimes), {
    vetoes, vetoEpisodes, eventEpisodes, faultEpisodes, maxSurprise, detSum, detMax, detN,
  });
  return summary;
}

function worldModelSummary(
  s: EpisodeSession,
  w: WorldModelOptions,
  wmTimes: Float64Array,
  tickTimes: Float64Array,
  c: { vetoes: number; vetoEpisodes: number; eventEpisodes: number; faultEpisodes: number; maxSurprise: number; detSum: number; detMax: number; detN: number },
): EvalWorldModelSummary {
  const p = percentilesUs(wmTimes);
  const t = percentilesUs(tickTimes);
  const out: EvalWorldModelSummary = {
    model: w.dir,
    mode: w.mode,
    stage_us: { p50: p.p50, p99: p.p99, max: p.max },
    tick_share_p99: round(p.p99 / 1e6 / s.period, 4),
    max_loop_hz_p99: round(1e6 / Math.max(1, t.p99), 1),
  };
  if (w.mode === 'plan') {
    const d = { ...defaultPlannerOptions, ...(w.planner === 'cem' ? { iterations: 3 } : {}), ...w.plan };
    out.planner = { name: w.planner ?? 'mppi', samples: d.samples, horizon: d.horizon, iterations: d.iterations, noise_std: d.noiseStd, temperature: d.temperature, elite_fraction: d.eliteFraction };
  } else if (w.mode === 'shield') {
    const d = { ...defaultShieldOptions, ...w.shield };
    out.shield = { horizon: d.horizon, samples: d.samples, continuation: s.worldModel?.continuationKind ?? 'hold', vetoes: c.vetoes, episodes_with_veto: c.vetoEpisodes };
  } else {
    out.monitor = {
      episodes_with_event: c.eventEpisodes,
      ...(c.faultEpisodes > 0 ? { fault_episodes_detected: c.detN, detection_s: { mean: round(c.detN ? c.detSum / c.detN : Number.NaN, 3), max: round(c.detMax, 3) } } : {}),
      max_surprise: round(c.maxSurprise, 2),
    };
  }
  return out;
}
