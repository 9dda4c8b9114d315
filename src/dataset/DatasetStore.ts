/**
 * A LeRobotDataset v3.0 folder on disk, written episode by episode (synchronously: it runs in the
 * dataset writer's worker thread, or inline in `axon export`).
 *
 * Saving an episode, in this order:
 *   1. the journal (`.axon-journal.json`): how to undo step 2, and the episode count before it;
 *   2. the episode's frames as one row group of the current data file, with a new footer;
 *   3. meta/episodes, meta/tasks.parquet (when a task is new), meta/stats.json, each written to a
 *      temporary file and renamed over the old one;
 *   4. meta/info.json, the same way: its `total_episodes` is the commit;
 *   5. the journal is removed.
 * A process killed anywhere leaves every earlier episode whole; one killed inside steps 1-4 is
 * repaired by the next open (`DatasetStore.open`, `readDataset`): the data file is put back and the
 * episodes table cut to `total_episodes`. Episodes being recorded when the process died were in
 * memory only and are lost whole, never half-written.
 */
import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import { AxonError } from '../core/errors.ts';
import {
  DATA_PATH,
  EPISODES_PATH,
  INFO_PATH,
  JOURNAL_PATH,
  STATS_PATH,
  TASKS_PATH,
  emptyInfo,
  featureFit,
  formatPath,
  validateInfo,
  type DatasetInfo,
  type Features,
  type Provenance,
} from './format.ts';
import { ParquetAppender, restoreAppend, type AppendUndo } from './ParquetAppender.ts';
import { aggregateStats, columnStats, STAT_KEYS, type FeatureStats, type StatsByFeature } from './stats.ts';
import { readParquetRows } from './readParquet.ts';
import { readJsonFile } from './readJson.ts';
import { checkDataFiles, checkTotals } from './checkDataset.ts';
import { makeDirs } from '../core/makeDirs.ts';

/** One episode's frames, column by column (row-major vectors), as the writer hands them over. */
export interface EpisodeData {
  readonly length: number;
  /** Per feature other than LeRobot's defaults: float32 values (vectors row-major) or 0/1 for bool. */
  readonly columns: Record<string, Float32Array | Uint8Array>;
  readonly task: string;
  readonly success?: boolean;
  readonly seed?: number;
  readonly randomization?: Record<string, number>;
  /** How the episode ended (docs/dataset.md "How an episode ended"): safe_stop, signal, duration, truncated... */
  readonly endedBy?: string;
  /** The stop's reason, when a safety stop ended it. */
  readonly stopReason?: string;
}

export interface StoreOptions {
  readonly robotType: string;
  readonly fps: number;
  readonly features: Features;
  readonly provenance: Provenance;
}

/** One row of meta/episodes. */
export interface EpisodeRow {
  episode_index: number;
  tasks: string[];
  length: number;
  'data/chunk_index': number;
  'data/file_index': number;
  dataset_from_index: number;
  dataset_to_index: number;
  'meta/episodes/chunk_index': number;
  'meta/episodes/file_index': number;
  'axon/seed': number | null;
  'axon/success': boolean | null;
  'axon/randomization': string | null;
  'axon/ended_by': string | null;
  'axon/stop_reason': string | null;
  stats: StatsByFeature;
}

interface Journal {
  readonly episodesBefore: number;
  /** The data file being appended to, relative to the dataset folder. */
  readonly dataFile: string;
  readonly undo: AppendUndo;
}

export class DatasetStore {
  private appender: ParquetAppender | undefined;
  private chunk = 0;
  private file = -1;
  private readonly taskIndex = new Map<string, number>();
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly info: DatasetInfo,
    private readonly episodes: EpisodeRow[],
    tasks: readonly string[],
    /**
     * Features of this run that the dataset, written by an earlier axon, lacks (format.ts
     * LATER_FEATURES, e.g. `axon.held`): its episodes are written without them, so that the data
     * files keep the columns meta/info.json lists; the caller says so in its summary.
     */
    readonly leftOut: readonly string[] = [],
  ) {
    tasks.forEach((t, i) => this.taskIndex.set(t, i));
    for (const e of episodes) {
      const c = e['data/chunk_index'], f = e['data/file_index'];
      if (c > this.chunk || (c === this.chunk && f > this.file)) {
        this.chunk = c;
        this.file = f;
      }
    }
  }

  /**
   * Opens `dir` for writing: a new dataset when it is missing or empty, else the existing dataset
   * (repaired if a save was interrupted) to append to, in its own schema. AxonError
   * DATASET_MISMATCH when the existing features or fps differ from this run's, naming each
   * difference; a feature axon added since the dataset was written (LATER_FEATURES) is not one:
   * it is left out (`leftOut`).
   */
  static async open(dir: string, o: StoreOptions): Promise<DatasetStore> {
    const infoFile = join(dir, INFO_PATH);
    if (!existsSync(infoFile)) {
      if (existsSync(dir) && readdirSync(dir).length > 0)
        throw new AxonError('DATASET_WRITE', dir, 'exists and is not a LeRobot dataset (no meta/info.json)', 'a new or empty folder, or a dataset written before');
      makeDirs(join(dir, 'meta'));
      const info = emptyInfo(o.robotType, o.fps, o.features, o.provenance);
      writeJsonAtomic(infoFile, info);
      return new DatasetStore(dir, info, [], []);
    }
    const { info, episodes, tasks } = await loadForWrite(dir);
    const { diffs, leftOut } = featureFit(info.features, o.features);
    if (info.fps !== o.fps) diffs.unshift(`fps ${info.fps} in the dataset, ${o.fps} in this run`);
    if (diffs.length > 0)
      throw new AxonError('DATASET_MISMATCH', dir, `its features do not match this run: ${diffs.join('; ')}`, 'a dataset recorded with the same robot, sensors and rate (or a new folder)');
    return new DatasetStore(dir, info, episodes, tasks, leftOut);
  }

  get totalEpisodes(): number {
    return this.info.total_episodes;
  }

  /**
   * Saves one episode (see the file comment for the order); returns its index. The columns
   * written are the dataset's features (meta/info.json); `e.columns` of a feature it lacks
   * (`leftOut`) are not written.
   */
  writeEpisode(e: EpisodeData): number {
    if (this.closed) throw new AxonError('DATASET_WRITE', this.dir, 'is closed');
    const info = this.info;
    const index = info.total_episodes;
    const from = info.total_frames;
    const n = e.length;
    let taskIndex = this.taskIndex.get(e.task);
    const newTask = taskIndex === undefined;
    if (taskIndex === undefined) {
      taskIndex = this.taskIndex.size;
      this.taskIndex.set(e.task, taskIndex);
    }
    // Data columns and their stats.
    const feats = Object.entries(info.features);
    const columnData: ColumnSource[] = [];
    const stats: StatsByFeature = {};
    const ts = new Float32Array(n), frameIdx = new Float64Array(n), idx = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      ts[i] = i / info.fps;
      frameIdx[i] = i;
      idx[i] = from + i;
    }
    for (const [name, f] of feats) {
      const dim = f.shape[0] ?? 1;
      let values: ArrayLike<number>;
      if (name === 'timestamp') values = ts;
      else if (name === 'frame_index') values = frameIdx;
      else if (name === 'index') values = idx;
      else if (name === 'episode_index') values = constant(n, index);
      else if (name === 'task_index') values = constant(n, taskIndex);
      else {
        const c = e.columns[name];
        if (c === undefined || c.length !== n * dim)
          throw new AxonError('DATASET_WRITE', `${this.dir} episode ${index}`, `column "${name}" has ${c?.length ?? 0} values for ${n} frames of ${dim}`);
        values = c;
      }
      stats[name] = columnStats(values, n, dim);
      columnData.push({ name, data: columnValues(f.dtype, values, n, dim, f.shape.length === 1 && dim === 1 && isScalar(f.shape)) });
    }
    // 1-2: journal, then the row group.
    this.ensureDataFile();
    const app = this.appender!;
    // Relative to the dataset folder: the journal stays valid wherever the folder is opened from.
    const dataFile = relative(this.dir, app.path);
    writeJsonAtomic(join(this.dir, JOURNAL_PATH), { episodesBefore: index, dataFile, undo: app.pending() } satisfies Journal);
    app.append(columnData, n);
    // 3: metadata.
    this.episodes.push({
      episode_index: index,
      tasks: [e.task],
      length: n,
      'data/chunk_index': this.chunk,
      'data/file_index': this.file,
      dataset_from_index: from,
      dataset_to_index: from + n,
      'meta/episodes/chunk_index': 0,
      'meta/episodes/file_index': 0,
      'axon/seed': e.seed ?? null,
      'axon/success': e.success ?? null,
      'axon/randomization': e.randomization ? JSON.stringify(e.randomization) : null,
      'axon/ended_by': e.endedBy ?? null,
      'axon/stop_reason': e.stopReason ?? null,
      stats,
    });
    writeEpisodesTable(this.dir, info.features, this.episodes);
    if (newTask) writeTasks(this.dir, [...this.taskIndex.keys()]);
    writeJsonAtomic(join(this.dir, STATS_PATH), aggregateStats(this.episodes.map((x) => x.stats)));
    // 4: the commit.
    info.total_episodes = index + 1;
    info.total_frames = from + n;
    info.total_tasks = this.taskIndex.size;
    info.splits = { train: `0:${info.total_episodes}` };
    writeJsonAtomic(join(this.dir, INFO_PATH), info);
    // 5.
    rmSync(join(this.dir, JOURNAL_PATH), { force: true });
    return index;
  }

  private ensureDataFile(): void {
    const limit = this.info.data_files_size_in_mb * 1024 * 1024;
    if (this.appender && this.appender.size < limit) return;
    this.appender?.close();
    // A new file for every writing session (an existing file is never reopened for writing).
    if (this.file < 0) this.file = 0;
    else if (this.file === this.info.chunks_size - 1) {
      this.chunk++;
      this.file = 0;
    } else this.file++;
    const path = join(this.dir, formatPath(this.info.data_path, this.chunk, this.file));
    makeDirs(dirname(path));
    this.appender = new ParquetAppender(path, dataSchema(this.info.features), [{ key: 'axon', value: 'LeRobotDataset v3.0 data written by axon' }]);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.appender?.close();
  }
}

function constant(n: number, v: number): Float64Array {
  return new Float64Array(n).fill(v);
}

function isScalar(shape: readonly number[]): boolean {
  return shape.length === 1 && shape[0] === 1;
}

/** A column's values for the parquet writer: numbers, bigints, booleans, or an array per row. */
function columnValues(dtype: string, v: ArrayLike<number>, n: number, dim: number, scalar: boolean): unknown[] {
  const conv = dtype === 'int64' ? (x: number) => BigInt(Math.round(x)) : dtype === 'bool' ? (x: number) => x !== 0 : (x: number) => x;
  const out = new Array<unknown>(n);
  if (scalar) for (let i = 0; i < n; i++) out[i] = conv(v[i]);
  else
    for (let i = 0; i < n; i++) {
      const row = new Array<unknown>(dim);
      for (let d = 0; d < dim; d++) row[d] = conv(v[i * dim + d]);
      out[i] = row;
    }
  return out;
}

const PHYSICAL = { float32: 'FLOAT', float64: 'DOUBLE', int64: 'INT64', bool: 'BOOLEAN' } as const;

function leaf(name: string, dtype: keyof typeof PHYSICAL | 'string'): SchemaElement {
  return dtype === 'string'
    ? { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' }
    : { name, type: PHYSICAL[dtype], repetition_type: 'OPTIONAL' };
}

/** A LIST column of `dtype` (3 schema elements: the list, its repeated group, the element). */
function list(name: string, dtype: keyof typeof PHYSICAL | 'string'): SchemaElement[] {
  return [
    { name, repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    leaf('element', dtype),
  ];
}

/** The data files' schema: scalars as plain columns, vectors as LIST columns (floats as real floats). */
export function dataSchema(features: Features): SchemaElement[] {
  const cols = Object.entries(features).map(([name, f]) => (isScalar(f.shape) ? [leaf(name, f.dtype)] : list(name, f.dtype)));
  return [{ name: 'schema', num_children: cols.length }, ...cols.flat()];
}

const EPISODE_INT_COLUMNS = ['episode_index', 'length', 'data/chunk_index', 'data/file_index', 'dataset_from_index', 'dataset_to_index', 'meta/episodes/chunk_index', 'meta/episodes/file_index'] as const;

/** meta/episodes/chunk-000/file-000.parquet, all rows, written whole (temporary file, then rename). */
function writeEpisodesTable(dir: string, features: Features, rows: readonly EpisodeRow[]): void {
  const schema: SchemaElement[][] = [];
  const columnData: ColumnSource[] = [];
  const add = (s: SchemaElement[], name: string, data: unknown[]) => {
    schema.push(s);
    columnData.push({ name, data });
  };
  add([leaf('episode_index', 'int64')], 'episode_index', rows.map((r) => BigInt(r.episode_index)));
  add(list('tasks', 'string'), 'tasks', rows.map((r) => r.tasks));
  for (const c of EPISODE_INT_COLUMNS.slice(1)) add([leaf(c, 'int64')], c, rows.map((r) => BigInt(r[c])));
  for (const f of Object.keys(features))
    for (const k of STAT_KEYS) {
      const name = `stats/${f}/${k}`;
      add(k === 'count' ? list(name, 'int64') : list(name, 'float64'), name, rows.map((r) => (k === 'count' ? r.stats[f][k].map((x) => BigInt(x)) : r.stats[f][k as keyof FeatureStats])));
    }
  add([leaf('axon/seed', 'int64')], 'axon/seed', rows.map((r) => (r['axon/seed'] === null ? null : BigInt(r['axon/seed']))));
  add([leaf('axon/success', 'bool')], 'axon/success', rows.map((r) => r['axon/success']));
  add([leaf('axon/randomization', 'string')], 'axon/randomization', rows.map((r) => r['axon/randomization']));
  add([leaf('axon/ended_by', 'string')], 'axon/ended_by', rows.map((r) => r['axon/ended_by']));
  add([leaf('axon/stop_reason', 'string')], 'axon/stop_reason', rows.map((r) => r['axon/stop_reason']));
  const buf = parquetWriteBuffer({ columnData, schema: [{ name: 'schema', num_children: schema.length }, ...schema.flat()], createdBy: 'axon (hyparquet-writer)' });
  writeFileAtomic(join(dir, formatPath(EPISODES_PATH, 0, 0)), new Uint8Array(buf));
}

/** meta/tasks.parquet: the task text as the pandas index "task", and its task_index. */
function writeTasks(dir: string, tasks: readonly string[]): void {
  const pandas = {
    index_columns: ['task'],
    column_indexes: [{ name: null, field_name: null, pandas_type: 'unicode', numpy_type: 'object', metadata: { encoding: 'UTF-8' } }],
    columns: [
      { name: 'task_index', field_name: 'task_index', pandas_type: 'int64', numpy_type: 'int64', metadata: null },
      { name: 'task', field_name: 'task', pandas_type: 'unicode', numpy_type: 'object', metadata: null },
    ],
    creator: { library: 'axon', version: '0.1.0' },
    pandas_version: '2.2.3',
  };
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'task_index', data: tasks.map((_, i) => BigInt(i)) },
      { name: 'task', data: [...tasks] },
    ],
    schema: [{ name: 'schema', num_children: 2 }, leaf('task_index', 'int64'), leaf('task', 'string')],
    kvMetadata: [{ key: 'pandas', value: JSON.stringify(pandas) }],
    createdBy: 'axon (hyparquet-writer)',
  });
  writeFileAtomic(join(dir, TASKS_PATH), new Uint8Array(buf));
}

export function writeJsonAtomic(file: string, x: unknown): void {
  writeFileAtomic(file, new TextEncoder().encode(JSON.stringify(x, null, 4)));
}

function writeFileAtomic(file: string, b: Uint8Array): void {
  makeDirs(dirname(file));
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, b);
  renameSync(tmp, file);
}

/**
 * Finishes or undoes a save that a killed process left half done (a journal is present): the
 * episode is kept when info.json counts it, else its row group is removed from the data file.
 * Returns a note saying what was done, or undefined when nothing was needed.
 */
export function repairDataset(dir: string): string | undefined {
  const jf = join(dir, JOURNAL_PATH);
  if (!existsSync(jf)) return undefined;
  const j = readJournal(jf, dir);
  const info = readInfo(dir);
  let note: string;
  if (info.total_episodes > j.episodesBefore) note = `the save of episode ${j.episodesBefore} had finished`;
  else {
    if (j.undo.footer === null) rmSync(j.file, { force: true });
    else restoreAppend(j.file, j.undo);
    note = `episode ${j.episodesBefore} was being saved when the writer stopped: removed from ${j.file}`;
  }
  rmSync(jf, { force: true });
  return note;
}

function readInfo(dir: string): DatasetInfo {
  const file = join(dir, INFO_PATH);
  return validateInfo(readJsonFile(file, 'the JSON object of a LeRobotDataset v3.0 meta/info.json'), file);
}

const JOURNAL_EXPECTED = 'the journal an axon writer leaves while it saves an episode: {episodesBefore, dataFile, undo: {at, footer}} (remove the file to give up the interrupted save)';

/**
 * The journal, checked before anything is undone from it: a journal a disk broke must not cut or
 * remove a file, nor name one outside the dataset.
 */
function readJournal(file: string, dir: string): Journal & { readonly file: string } {
  const x = readJsonFile(file, JOURNAL_EXPECTED) as Record<string, unknown> | null;
  const bad = (field: string, what: string): never => {
    throw new AxonError('DATASET_READ', `${file}#/${field}`, what, JOURNAL_EXPECTED);
  };
  const show = (v: unknown) => (v === undefined ? 'missing' : JSON.stringify(v));
  if (typeof x !== 'object' || x === null || Array.isArray(x)) bad('', `is ${show(x)}, not an object`);
  const j = x as Record<string, unknown>;
  if (!Number.isInteger(j.episodesBefore) || (j.episodesBefore as number) < 0) bad('episodesBefore', `is ${show(j.episodesBefore)}, not an episode count`);
  if (typeof j.dataFile !== 'string') bad('dataFile', `is ${show(j.dataFile)}, not a path`);
  // Relative to the dataset folder (a journal from before that was relative to the writer's working directory).
  const inside = [resolve(dir, j.dataFile as string), resolve(j.dataFile as string)].find((f) => f.startsWith(resolve(dir) + sep));
  if (inside === undefined) return bad('dataFile', `"${j.dataFile}" is not inside ${dir}`);
  const u = j.undo as Record<string, unknown> | null;
  if (typeof u !== 'object' || u === null) return bad('undo', `is ${show(u)}, not an object`);
  if (!Number.isInteger(u.at) || (u.at as number) < 0) bad('undo/at', `is ${show(u.at)}, not a byte offset`);
  if (u.footer !== null && typeof u.footer !== 'string') bad('undo/footer', `is ${show(u.footer)}, not base64 text or null`);
  return { ...(j as unknown as Journal), file: inside };
}

/** The committed state of a dataset for appending: info, episodes (cut to total_episodes), tasks. */
async function loadForWrite(dir: string): Promise<{ info: DatasetInfo; episodes: EpisodeRow[]; tasks: string[] }> {
  repairDataset(dir);
  const info = readInfo(dir);
  const all = await readEpisodeRows(dir, info);
  const episodes = all.slice(0, info.total_episodes);
  // Appending to a dataset a copy broke would carry the damage on under new episodes.
  const tasks = info.total_tasks > 0 ? (await readTasks(dir)).slice() : [];
  checkTotals(dir, info, episodes, tasks);
  checkDataFiles(dir, info, episodes, []);
  // An uncommitted episode's row (a save killed before info.json): cut from the table and the stats.
  if (all.length > episodes.length) {
    writeEpisodesTable(dir, info.features, episodes);
    if (episodes.length > 0) writeJsonAtomic(join(dir, STATS_PATH), aggregateStats(episodes.map((x) => x.stats)));
  }
  return { info, episodes, tasks };
}

/** meta/tasks.parquet in task_index order. */
export async function readTasks(dir: string): Promise<string[]> {
  const file = join(dir, TASKS_PATH);
  if (!existsSync(file)) return [];
  const rows = await readParquetRows(file);
  const out: string[] = [];
  for (const r of rows) out[Number(r.task_index)] = String(r.task ?? r.__index_level_0__);
  return out;
}

/** Every row of meta/episodes (all its files), with the per-episode stats. */
export async function readEpisodeRows(dir: string, info: DatasetInfo): Promise<EpisodeRow[]> {
  const root = join(dir, 'meta', 'episodes');
  if (!existsSync(root)) return [];
  const files = readdirSync(root)
    .filter((c) => c.startsWith('chunk-'))
    .sort()
    .flatMap((c) => readdirSync(join(root, c)).filter((f) => f.endsWith('.parquet')).sort().map((f) => join(root, c, f)));
  const out: EpisodeRow[] = [];
  for (const file of files)
    for (const r of await readParquetRows(file)) {
      const stats: StatsByFeature = {};
      for (const f of Object.keys(info.features)) {
        const s = {} as Record<string, number[]>;
        for (const k of STAT_KEYS) {
          const v = r[`stats/${f}/${k}`];
          if (Array.isArray(v)) s[k] = v.map(Number);
        }
        if (s.mean) stats[f] = s as unknown as FeatureStats;
      }
      const num = (k: string) => Number(r[k] ?? 0);
      out.push({
        episode_index: num('episode_index'),
        tasks: Array.isArray(r.tasks) ? r.tasks.map(String) : [],
        length: num('length'),
        'data/chunk_index': num('data/chunk_index'),
        'data/file_index': num('data/file_index'),
        dataset_from_index: num('dataset_from_index'),
        dataset_to_index: num('dataset_to_index'),
        'meta/episodes/chunk_index': num('meta/episodes/chunk_index'),
        'meta/episodes/file_index': num('meta/episodes/file_index'),
        'axon/seed': r['axon/seed'] === null || r['axon/seed'] === undefined ? null : Number(r['axon/seed']),
        'axon/success': typeof r['axon/success'] === 'boolean' ? r['axon/success'] : null,
        'axon/randomization': typeof r['axon/randomization'] === 'string' ? r['axon/randomization'] : null,
        'axon/ended_by': typeof r['axon/ended_by'] === 'string' ? r['axon/ended_by'] : null,
        'axon/stop_reason': typeof r['axon/stop_reason'] === 'string' ? r['axon/stop_reason'] : null,
        stats,
      });
    }
  out.sort((a, b) => a.episode_index - b.episode_index);
  return out;
}

export { DATA_PATH };
