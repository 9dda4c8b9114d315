/**
 * Reading a LeRobotDataset v3.0 back (hyparquet): its metadata, one episode's frames, and an
 * episode as a Recording, so that `axon replay DATASET` summarises, plays (--view) and re-runs a
 * policy on it (--policy) as it does an MCAP file.
 *
 * Only committed episodes are read (info.json's total_episodes; rows are found through the
 * episodes table's row ranges), so a dataset left by a killed writer reads up to its last whole
 * episode; what the killed save left (repairDataset.ts datasetProblems) is in `problems`:
 * `dataset info` exits non-zero on them, `axon dataset repair` (or the next writer) removes them.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AxonError } from '../core/errors.ts';
import type { ControlMode, Observation, RobotSpec } from '../core/robot.ts';
import type { Recording, RecordedTick } from '../record/readRecording.ts';
import { reviveNonFinite } from '../record/json.ts';
import { readEpisodeRows, readTasks, type EpisodeRow } from './episodesTable.ts';
import { datasetProblems } from './repairDataset.ts';
import { lockHolder } from './datasetFiles.ts';
import { controlModeOf, sessionOf } from './provenance.ts';
import { INFO_PATH, STATS_PATH, formatPath, validateInfo, type DatasetInfo } from './format.ts';
import { readParquetRows } from './readParquet.ts';
import { readJsonFile } from './readJson.ts';
import { checkDataFiles, checkTotals, episodesColumnFaults } from './checkDataset.ts';
import type { StatsByFeature } from './stats.ts';

export interface Dataset {
  readonly dir: string;
  readonly info: DatasetInfo;
  readonly episodes: EpisodeRow[];
  readonly tasks: string[];
  readonly stats: StatsByFeature | undefined;
  readonly warnings: string[];
  /**
   * What an interrupted save left that keeps LeRobot from loading the folder (a journal, uncommitted
   * rows, data files no episode names, a footer counting other rows): empty when whole. Not
   * reported while a live writer holds the lock (a save in progress looks the same).
   */
  readonly problems: string[];
  /**
   * meta/episodes files with columns the first file lacks, one line each (checkDataset.ts
   * episodesColumnFaults): LeRobot refuses the folder; `dataset info` exits non-zero, `axon dataset
   * repair` rewrites such a file axon wrote. Empty when none.
   */
  readonly columnProblems: string[];
}

export async function readDataset(dir: string): Promise<Dataset> {
  const infoFile = join(dir, INFO_PATH);
  if (!existsSync(infoFile)) throw new AxonError('DATASET_READ', dir, 'has no meta/info.json', 'a LeRobotDataset v3.0 folder');
  const info = validateInfo(readJsonFile(infoFile, INFO_EXPECTED), infoFile);
  const warnings: string[] = [];
  const all = await readEpisodeRows(dir, info);
  const episodes = all.filter((e) => e.episode_index < info.total_episodes);
  const tasks = await readTasks(dir);
  checkTotals(dir, info, episodes, tasks);
  checkDataFiles(dir, info, episodes, warnings);
  const holder = lockHolder(dir);
  let problems = datasetProblems(dir, info, episodes, all);
  if (holder) {
    warnings.push(`${dir}: being written by pid ${holder.pid} on ${holder.host} since ${holder.since} (${holder.command}); read up to its last committed episode (${info.total_episodes})`);
    problems = [];
  } else if (problems.length > 0)
    warnings.push(`${dir}: an episode save was interrupted; read up to the last whole episode (${info.total_episodes}); LeRobot cannot load the folder until \`axon dataset repair ${dir}\` (or the next axon writer) repairs it`);
  const columns = episodesColumnFaults(dir, Object.keys(info.features).length);
  warnings.push(...columns.warnings);
  if (columns.problems.length > 0) warnings.push(`${dir}: LeRobot cannot load the folder: ${columns.problems.join('; ')}; \`axon dataset repair ${dir}\` rewrites such a file axon wrote`);
  const statsFile = join(dir, STATS_PATH);
  const stats = existsSync(statsFile) ? validateStats(readJsonFile(statsFile, STATS_EXPECTED), statsFile) : undefined;
  return { dir, info, episodes, tasks, stats, warnings, problems, columnProblems: columns.problems };
}

const INFO_EXPECTED = 'the JSON object of a LeRobotDataset v3.0 meta/info.json';
const STATS_EXPECTED = 'a JSON object of per-feature stats (min, max, mean, std, count arrays), as axon and LeRobot write meta/stats.json';

/** meta/stats.json: per feature, arrays of numbers for min, max, mean, std and count (what `dataset info` prints). */
function validateStats(x: unknown, file: string): StatsByFeature {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new AxonError('DATASET_READ', file, `holds ${Array.isArray(x) ? 'an array' : JSON.stringify(x)}`, STATS_EXPECTED);
  for (const [k, s] of Object.entries(x as Record<string, unknown>))
    for (const stat of ['min', 'max', 'mean', 'std', 'count']) {
      const v = (s as Record<string, unknown> | null)?.[stat];
      if (!Array.isArray(v) || !v.every((n) => typeof n === 'number'))
        throw new AxonError('DATASET_READ', `${file}#/${k}/${stat}`, 'is missing or not an array of numbers', STATS_EXPECTED);
    }
  return x as StatsByFeature;
}

/** One episode's frames: columns by feature name, plain numbers (vectors as arrays). */
export async function readEpisode(ds: Dataset, k: number): Promise<{ row: EpisodeRow; frames: Record<string, unknown>[] }> {
  const row = ds.episodes.find((e) => e.episode_index === k);
  if (!row) throw new AxonError('DATASET_EPISODE', `--episode ${k}`, `is not in ${ds.dir}`, `0..${ds.episodes.length - 1}`);
  const c = row['data/chunk_index'], f = row['data/file_index'];
  // Row offset inside its file: the first row of the file is the first row of its first episode.
  const firstInFile = Math.min(...ds.episodes.filter((e) => e['data/chunk_index'] === c && e['data/file_index'] === f).map((e) => e.dataset_from_index));
  const file = join(ds.dir, formatPath(ds.info.data_path, c, f));
  const frames = await readParquetRows(file, { rowStart: row.dataset_from_index - firstInFile, rowEnd: row.dataset_to_index - firstInFile });
  if (frames.length !== row.length) throw new AxonError('DATASET_READ', file, `holds ${frames.length} rows of episode ${k}, the episodes table says ${row.length}`);
  return { row, frames };
}

/** The robot spec kept in info.json (`axon.robot_spec`). */
export function datasetSpec(ds: Dataset): RobotSpec {
  const s = ds.info.axon?.robot_spec;
  if (s === undefined) throw new AxonError('DATASET_READ', join(ds.dir, INFO_PATH), 'has no axon.robot_spec', 'a dataset written by axon (replay needs the robot description)');
  return JSON.parse(JSON.stringify(s), reviveNonFinite) as RobotSpec;
}

const nums = (v: unknown): number[] => (Array.isArray(v) ? v.map((x) => (x === null ? NaN : Number(x))) : []);

/**
 * Episode `k` as a Recording: observations from observation.state (and .imu), the command sent
 * from `action`, the return from next.reward. A dataset keeps no policy input or raw action:
 * `actionReference: 'sent'` tells comparePolicy to compare with the command sent.
 */
export async function datasetRecording(ds: Dataset, k: number): Promise<Recording> {
  const spec = datasetSpec(ds);
  const { row, frames } = await readEpisode(ds, k);
  const n = spec.joints.length;
  // One control mode per dataset (an append in another is refused: provenance.ts checkAppendProvenance).
  const m = sessionOf(ds.info, k)?.control_mode ?? controlModeOf(ds.info.axon);
  const mode: ControlMode = m === 'effort' ? 'effort' : m === 'velocity' ? 'velocity' : 'position';
  const empty = new Float32Array(0);
  let ret = 0;
  const ticks: RecordedTick[] = frames.map((fr, i) => {
    const st = nums(fr['observation.state']);
    const imu = fr['observation.imu'] === undefined ? undefined : nums(fr['observation.imu']);
    const cmd = fr['observation.velocity_command'] === undefined ? undefined : nums(fr['observation.velocity_command']);
    const observation: Observation = {
      time: i / ds.info.fps,
      seq: i,
      jointPosition: Float32Array.from(st.slice(0, n)),
      jointVelocity: Float32Array.from(st.slice(n, 2 * n)),
      jointEffort: new Float32Array(n).fill(NaN),
      ...(imu ? { imu: { orientation: Float32Array.from(imu.slice(0, 4)), angularVelocity: Float32Array.from(imu.slice(4, 7)), linearAcceleration: Float32Array.from(imu.slice(7, 10)) } } : {}),
      extras: {},
    };
    const target = Float64Array.from(nums(fr.action));
    const r = fr['next.reward'];
    if (typeof r === 'number') ret += r;
    return {
      seq: i,
      time: i / ds.info.fps,
      latenessUs: 0,
      stageUs: {},
      observation,
      input: empty,
      raw: empty,
      action: empty,
      proposed: { mode, target },
      sent: { mode, target },
      safetyState: 'running',
      episodeReturn: typeof r === 'number' ? ret : NaN,
      terminated: false,
      // replay --policy feeds it back to a model with a velocity_commands term.
      ...(cmd ? { velocityCommand: [cmd[0], cmd[1], cmd[2]] as [number, number, number] } : {}),
    };
  });
  const dataFile = join(ds.dir, formatPath(ds.info.data_path, row['data/chunk_index'], row['data/file_index']));
  return {
    file: `${ds.dir} episode ${k}`,
    bytes: statSync(dataFile).size,
    spec,
    manifest: undefined,
    run: {
      command: 'dataset',
      robot: spec.name,
      policy: sessionOf(ds.info, k)?.model ?? ds.info.axon?.model,
      period_s: 1 / ds.info.fps,
      episode: k,
      task: row.tasks[0],
      ...(row['axon/seed'] !== null ? { seed: row['axon/seed'] } : {}),
    },
    ...(row['axon/success'] !== null ? { episode: { success: row['axon/success'], ...(row['axon/seed'] !== null ? { seed: row['axon/seed'] } : {}) } } : {}),
    ticks,
    events: [],
    channels: {},
    compression: [],
    chunks: 0,
    truncated: false,
    warnings: [...ds.warnings],
    actionReference: 'sent',
  };
}

/** What `axon dataset info` prints: totals, episodes (length, task, success, seed), tasks, features, stats. */
export function datasetInfoSummary(ds: Dataset) {
  const i = ds.info;
  const lengths = ds.episodes.map((e) => e.length);
  const r4 = (v: readonly number[]) => v.map((x) => Math.round(x * 1e4) / 1e4);
  return {
    command: 'dataset info',
    dir: ds.dir,
    codebase_version: i.codebase_version,
    robot_type: i.robot_type,
    fps: i.fps,
    total_episodes: i.total_episodes,
    total_frames: i.total_frames,
    total_tasks: i.total_tasks,
    duration_s: Math.round((i.total_frames / i.fps) * 1000) / 1000,
    episode_length: lengths.length ? { min: Math.min(...lengths), max: Math.max(...lengths), mean: Math.round((lengths.reduce((a, b) => a + b, 0) / lengths.length) * 100) / 100 } : null,
    successes: ds.episodes.filter((e) => e['axon/success'] === true).length,
    episodes: ds.episodes.map((e) => {
      const s = sessionOf(i, e.episode_index);
      return { index: e.episode_index, length: e.length, task: e.tasks.join('; '), success: e['axon/success'], seed: e['axon/seed'], ended_by: e['axon/ended_by'], ...(e['axon/stop_reason'] !== null ? { stop_reason: e['axon/stop_reason'] } : {}), file: formatPath(i.data_path, e['data/chunk_index'], e['data/file_index']), model: s ? (s.model ?? null) : (i.axon?.sessions?.length ? null : (i.axon?.model ?? null)), command: s?.command ?? s?.source ?? null };
    }),
    tasks: ds.tasks,
    features: Object.fromEntries(Object.entries(i.features).map(([k, f]) => [k, { dtype: f.dtype, shape: f.shape, ...(f.names ? { names: f.names } : {}) }])),
    stats: ds.stats ? Object.fromEntries(Object.entries(ds.stats).map(([k, s]) => [k, { min: r4(s.min), max: r4(s.max), mean: r4(s.mean), std: r4(s.std), count: s.count[0] }])) : null,
    provenance: i.axon ? { axon_version: i.axon.axon_version, robot: i.axon.robot, robot_spec_sha256: i.axon.robot_spec_sha256, model: i.axon.model ?? null, model_manifest_sha256: i.axon.model_manifest_sha256 ?? null, source: i.axon.source ?? null } : null,
    /** What made each run's episodes (info.json axon.sessions), in order. */
    sessions: i.axon?.sessions ?? [],
    warnings: ds.warnings,
    problems: ds.problems,
  };
}
