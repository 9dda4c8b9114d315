/**
 * The facts of the LeRobotDataset v3.0 format that axon writes and reads (LeRobot's
 * `datasets/utils.py` and its v3.0 announcement), and the features axon maps a run onto.
 *
 * Layout of a dataset folder:
 *   meta/info.json                                  codebase_version, robot_type, fps, features, path templates, totals
 *   meta/stats.json                                 per feature: min, max, mean, std, count, q01 q10 q50 q90 q99
 *   meta/tasks.parquet                              task text (pandas index "task") -> task_index
 *   meta/episodes/chunk-000/file-000.parquet        one row per episode: index, tasks, length, row range, file, stats/...
 *   data/chunk-XXX/file-YYY.parquet                 one row per frame, many episodes per file
 */
import { createHash } from 'node:crypto';
import type { RobotSpec } from '../core/robot.ts';
import { AxonError } from '../core/errors.ts';

export const CODEBASE_VERSION = 'v3.0';
/** Max number of files per chunk folder (LeRobot DEFAULT_CHUNK_SIZE). */
export const DEFAULT_CHUNK_SIZE = 1000;
/** Max size of one data file (MB) before the next file is started (LeRobot DEFAULT_DATA_FILE_SIZE_IN_MB). */
export const DEFAULT_DATA_FILE_SIZE_IN_MB = 100;
export const DEFAULT_VIDEO_FILE_SIZE_IN_MB = 500;
export const INFO_PATH = 'meta/info.json';
export const STATS_PATH = 'meta/stats.json';
export const TASKS_PATH = 'meta/tasks.parquet';
export const DATA_PATH = 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet';
export const EPISODES_PATH = 'meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet';
export const VIDEO_PATH = 'videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4';
/** Quantiles kept in the stats (LeRobot's q01 ... q99). */
export const QUANTILES = [0.01, 0.1, 0.5, 0.9, 0.99] as const;
export const QUANTILE_KEYS = ['q01', 'q10', 'q50', 'q90', 'q99'] as const;
/** Written beside the dataset while an episode is being saved; a later open repairs from it. */
export const JOURNAL_PATH = '.axon-journal.json';

/** `data/chunk-000/file-003.parquet` from the template. */
export function formatPath(template: string, chunk: number, file: number): string {
  return template.replace('{chunk_index:03d}', String(chunk).padStart(3, '0')).replace('{file_index:03d}', String(file).padStart(3, '0'));
}

/** One feature of info.json. */
export interface Feature {
  readonly dtype: 'float32' | 'int64' | 'bool' | 'string';
  readonly shape: readonly number[];
  readonly names: readonly string[] | null;
}
export type Features = Readonly<Record<string, Feature>>;

/** LeRobot's DEFAULT_FEATURES: every frame has them. */
export const DEFAULT_FEATURES: Features = {
  timestamp: { dtype: 'float32', shape: [1], names: null },
  frame_index: { dtype: 'int64', shape: [1], names: null },
  episode_index: { dtype: 'int64', shape: [1], names: null },
  index: { dtype: 'int64', shape: [1], names: null },
  task_index: { dtype: 'int64', shape: [1], names: null },
};

export const IMU_NAMES = ['orientation.x', 'orientation.y', 'orientation.z', 'orientation.w', 'angular_velocity.x', 'angular_velocity.y', 'angular_velocity.z', 'linear_acceleration.x', 'linear_acceleration.y', 'linear_acceleration.z'];

/** What a run gives a dataset: the robot's joints, whether it has an IMU, whether a task scores it. */
export interface FeatureSource {
  readonly joints: readonly string[];
  readonly imu: boolean;
  /** A task scores the run: next.reward and next.success are written. */
  readonly task: boolean;
  /** The policy reads a velocity command (a velocity_commands term): observation.velocity_command is written. */
  readonly velocityCommand?: boolean;
  /**
   * Also write the robot's observation vectors other than its joints (the IMU, then the velocity
   * command, when they are features) as `observation.environment_state` (`export lerobot
   * --env-state`): LeRobot's ACT and Diffusion refuse a dataset with neither an image nor that
   * feature, and every LeRobot policy reads only `observation.state` among its STATE inputs, so
   * `observation.imu` alone is never seen (docs/dataset.md "Training LeRobot's policies on it").
   */
  readonly envState?: boolean;
}

/** LeRobot's OBS_ENV_STATE: the one key `dataset_to_policy_features` types FeatureType.ENV. */
export const ENV_STATE_FEATURE = 'observation.environment_state';

/** The names of observation.environment_state for `s` (empty: the robot has nothing to put there). */
export function envStateNames(s: Pick<FeatureSource, 'imu' | 'velocityCommand'>): string[] {
  return [...(s.imu ? IMU_NAMES : []), ...(s.velocityCommand ? VELOCITY_COMMAND_NAMES : [])];
}

/** Names of observation.velocity_command: the operator's command the tick's observation used (m/s, m/s, rad/s, base frame). */
export const VELOCITY_COMMAND_NAMES = ['vx', 'vy', 'wz'];

/**
 * The frame column that marks a tick the supervisor held in a degraded state (a stale or bad
 * observation, a late policy or world model, a rejected command, before any stop latched): its
 * `action` is the supervisor's hold, not the policy's command, so a learner leaves it out of the
 * action loss (docs/dataset.md "Held ticks"). Not named `action.*` or `observation.*`: LeRobot's
 * `dataset_to_policy_features` would take it for a policy's input or output.
 */
export const HELD_FEATURE = 'axon.held';

/**
 * The features of a run: `observation.state` (joint positions then velocities, named
 * `<joint>.pos` / `<joint>.vel`), `observation.imu` when the robot has one,
 * `observation.environment_state` when asked for (FeatureSource.envState), `action` (the command
 * sent after safety, one per joint), `next.done`, and `next.reward` / `next.success` when a task
 * scores the run, `axon.held` (the supervisor held the tick: its action is the hold, not the
 * policy's); then LeRobot's default features.
 */
export function runFeatures(s: FeatureSource): Features {
  const n = s.joints.length;
  return {
    'observation.state': { dtype: 'float32', shape: [2 * n], names: [...s.joints.map((j) => `${j}.pos`), ...s.joints.map((j) => `${j}.vel`)] },
    ...(s.imu ? { 'observation.imu': { dtype: 'float32', shape: [10], names: IMU_NAMES } } : {}),
    ...(s.velocityCommand ? { 'observation.velocity_command': { dtype: 'float32', shape: [3], names: VELOCITY_COMMAND_NAMES } } : {}),
    ...(s.envState ? { [ENV_STATE_FEATURE]: { dtype: 'float32', shape: [envStateNames(s).length], names: envStateNames(s) } } : {}),
    action: { dtype: 'float32', shape: [n], names: [...s.joints] },
    ...(s.task ? { 'next.reward': { dtype: 'float32', shape: [1], names: null } } : {}),
    'next.done': { dtype: 'bool', shape: [1], names: null },
    ...(s.task ? { 'next.success': { dtype: 'bool', shape: [1], names: null } } : {}),
    [HELD_FEATURE]: { dtype: 'bool', shape: [1], names: null },
    ...DEFAULT_FEATURES,
  };
}

export function featureSource(spec: RobotSpec, task: boolean, velocityCommand = false, envState = false): FeatureSource {
  return { joints: spec.joints.map((j) => j.name), imu: spec.sensors.imu, task, ...(velocityCommand ? { velocityCommand } : {}), ...(envState ? { envState } : {}) };
}

/** Whether a model manifest reads a velocity command (a velocity_commands observation term). */
export function readsVelocityCommand(manifest: unknown): boolean {
  const terms = (manifest as { observation?: { terms?: { term?: string }[] } } | undefined)?.observation?.terms;
  return Array.isArray(terms) && terms.some((t) => t?.term === 'velocity_commands');
}

/**
 * Features a run writes that a dataset written by an earlier axon lacks: appending to such a
 * dataset keeps its schema (the episode is written without them, as its meta/info.json lists) and
 * the summary says so, instead of refusing the dataset an operator has been filling. Only columns
 * that mark frames are here, none a policy reads or outputs (docs/dataset.md "Held ticks").
 */
export const LATER_FEATURES: readonly string[] = [HELD_FEATURE];

/**
 * How a run's features fit a dataset's: `diffs` (featureDiff, one line each: a mismatch that
 * refuses the append) and `leftOut`, the LATER_FEATURES this run writes and the dataset lacks
 * (not a mismatch: the episode is written without them).
 */
export function featureFit(have: Features, want: Features): { diffs: string[]; leftOut: string[] } {
  const leftOut = LATER_FEATURES.filter((k) => k in want && !(k in have));
  if (leftOut.length === 0) return { diffs: featureDiff(have, want), leftOut };
  const kept = Object.fromEntries(Object.entries(want).filter(([k]) => !leftOut.includes(k)));
  return { diffs: featureDiff(have, kept), leftOut };
}

/**
 * The summary's note on the features a dataset written by an earlier axon lacks (none: no note);
 * `heldUnmarked`: the held frames written unmarked. --dataset and `axon export lerobot` say the same.
 */
export function leftOutNotes(dir: string, leftOut: readonly string[], heldUnmarked: number): string[] {
  if (leftOut.length === 0) return [];
  const held = leftOut.includes(HELD_FEATURE) ? `; ${heldUnmarked} held tick(s) written unmarked (a new dataset marks them)` : '';
  return [`${dir} has no ${leftOut.map((k) => `"${k}"`).join(', ')} column (written by an earlier axon): appended in its own schema, without it${held}`];
}

/** The differences between two feature sets, one line each; empty when they match. */
export function featureDiff(have: Features, want: Features): string[] {
  const out: string[] = [];
  for (const k of Object.keys(want)) if (!(k in have)) out.push(`"${k}" is missing in the dataset`);
  for (const k of Object.keys(have)) if (!(k in want)) out.push(`"${k}" is in the dataset but not in this run`);
  for (const [k, w] of Object.entries(want)) {
    const h = have[k];
    if (!h) continue;
    if (h.dtype !== w.dtype) out.push(`"${k}" dtype ${h.dtype} in the dataset, ${w.dtype} in this run`);
    if (JSON.stringify(h.shape) !== JSON.stringify(w.shape)) out.push(`"${k}" shape [${h.shape}] in the dataset, [${w.shape}] in this run`);
    if (JSON.stringify(h.names ?? null) !== JSON.stringify(w.names ?? null)) {
      const hn = h.names ?? [], wn = w.names ?? [];
      const i = wn.findIndex((x, j) => hn[j] !== x);
      out.push(`"${k}" names differ${i >= 0 ? ` at ${i}: "${hn[i] ?? '(none)'}" in the dataset, "${wn[i]}" in this run` : ` (dataset [${hn.join(', ')}], run [${wn.join(', ')}])`}`);
    }
  }
  return out;
}

/** What made a dataset (info.json `axon`): robot description and model hashes, axon version. */
export interface Provenance {
  readonly axon_version: string;
  readonly robot: string;
  readonly robot_spec_sha256: string;
  readonly model?: string;
  readonly model_manifest_sha256?: string;
  /** Loop period (s). */
  readonly period_s: number;
  /** The robot spec (non-finite numbers as strings), so that a replay needs no other file. */
  readonly robot_spec: unknown;
  /** The policy's manifest, when one ran. */
  readonly model_manifest?: unknown;
  readonly source?: string;
  /** The control mode the `action` column holds (position, velocity, effort). */
  readonly control_mode?: string;
  /** The command line that made it, flags included. */
  readonly command?: string;
  /**
   * What made each run's episodes (the top-level fields are the first run's): one entry per
   * writing session, in order (docs/dataset.md "Appending").
   */
  sessions?: SessionProvenance[];
}

/** One writing session's provenance in info.json `axon.sessions`: episodes first_episode .. first_episode + episodes - 1. */
export interface SessionProvenance {
  readonly first_episode: number;
  episodes: number;
  readonly axon_version: string;
  readonly robot: string;
  readonly robot_spec_sha256: string;
  readonly model?: string;
  readonly model_manifest_sha256?: string;
  /** Set from the run's commands at its first episode when its provenance did not say it (a planner without a policy). */
  control_mode?: string;
  readonly source?: string;
  readonly command?: string;
}

export function sha256Json(x: unknown): string {
  return createHash('sha256').update(JSON.stringify(x, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))).digest('hex');
}

/** meta/info.json. */
export interface DatasetInfo {
  codebase_version: string;
  robot_type: string | null;
  total_episodes: number;
  total_frames: number;
  total_tasks: number;
  chunks_size: number;
  data_files_size_in_mb: number;
  video_files_size_in_mb: number;
  fps: number;
  splits: Record<string, string>;
  data_path: string;
  video_path: string | null;
  features: Features;
  axon?: Provenance;
}

export function emptyInfo(robotType: string, fps: number, features: Features, axon: Provenance): DatasetInfo {
  return {
    codebase_version: CODEBASE_VERSION,
    robot_type: robotType,
    total_episodes: 0,
    total_frames: 0,
    total_tasks: 0,
    chunks_size: DEFAULT_CHUNK_SIZE,
    data_files_size_in_mb: DEFAULT_DATA_FILE_SIZE_IN_MB,
    video_files_size_in_mb: DEFAULT_VIDEO_FILE_SIZE_IN_MB,
    fps,
    splits: {},
    data_path: DATA_PATH,
    video_path: null,
    features,
    axon,
  };
}

/** Checks the fields LeRobot reads from info.json; AxonError DATASET_READ naming the first one that is wrong. */
export function validateInfo(x: unknown, where: string): DatasetInfo {
  const bad = (field: string, expected: string): never => {
    throw new AxonError('DATASET_READ', `${where}#/${field}`, 'is missing or wrong', expected);
  };
  if (typeof x !== 'object' || x === null) bad('', 'a JSON object');
  const o = x as Record<string, unknown>;
  if (o.codebase_version !== CODEBASE_VERSION) bad('codebase_version', `"${CODEBASE_VERSION}" (got ${JSON.stringify(o.codebase_version)})`);
  for (const k of ['total_episodes', 'total_frames', 'total_tasks', 'chunks_size', 'fps']) if (typeof o[k] !== 'number') bad(k, 'a number');
  if (typeof o.data_path !== 'string') bad('data_path', 'a path template');
  if (typeof o.features !== 'object' || o.features === null) bad('features', 'an object of features');
  for (const [k, f] of Object.entries(o.features as Record<string, Feature>)) {
    if (typeof f?.dtype !== 'string') bad(`features/${k}/dtype`, 'a dtype');
    if (!Array.isArray(f.shape)) bad(`features/${k}/shape`, 'a shape array');
  }
  return o as unknown as DatasetInfo;
}
