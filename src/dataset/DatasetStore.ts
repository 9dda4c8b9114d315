/**
 * A LeRobotDataset v3.0 folder on disk, written episode by episode (synchronously: it runs in the
 * dataset writer's worker thread, or inline in `axon export`).
 *
 * One writer at a time: `open` takes the folder's writer lock (datasetFiles.ts, `.axon-lock`)
 * before it reads or creates anything, and `close` releases it; a second writer is refused
 * (DATASET_BUSY naming the holder) before its robot arms (review R13 F5).
 *
 * Saving an episode, in this order, each file written atomically (a temporary file in the same
 * folder, fsync, rename: datasetFiles.ts), so that a reader never meets a half-written file:
 *   1. the journal (`.axon-journal.json`): how to undo step 2, and the episode count before it;
 *   2. the episode's frames as one more row group of this session's data file (copy-on-write);
 *   3. the episode's row as one more row group of this session's meta/episodes file (copy-on-write
 *      as the data file; earlier files, LeRobot's included, are left as they are; a new file past
 *      EPISODES_FILE_BYTES), meta/tasks.parquet (when a task is new), meta/stats.json (kept by a
 *      running aggregate): a save's cost does not grow with the episodes before it (review R17 F6);
 *   4. meta/info.json: its `total_episodes` is the commit (with this session's provenance in
 *      `axon.sessions`);
 *   5. the journal is removed.
 * A process killed anywhere leaves every earlier episode whole and every parquet file readable;
 * one killed inside steps 1-4 leaves a journal and an uncommitted row group or episodes row, which
 * `repairDataset` undoes (the next writer's open, or `axon dataset repair`); `dataset info` exits
 * non-zero until then. Episodes being recorded when the process died were in memory only and are
 * lost whole, never half-written.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { ColumnSource } from 'hyparquet-writer';
import { AxonError } from '../core/errors.ts';
import {
  DATA_PATH,
  EPISODES_PATH,
  INFO_PATH,
  JOURNAL_PATH,
  STATS_PATH,
  emptyInfo,
  featureFit,
  formatPath,
  type DatasetInfo,
  type Features,
  type Provenance,
  type SessionProvenance,
} from './format.ts';
import { ParquetAppender } from './ParquetAppender.ts';
import { RunningStats, columnStats, type StatsByFeature } from './stats.ts';
import { checkDataFiles, checkTotals } from './checkDataset.ts';
import { makeDirs } from '../core/makeDirs.ts';
import { LOCK_PATH, lockDataset, writeJsonAtomic, type DatasetLock } from './datasetFiles.ts';
import { dataSchema, episodesColumns, episodesFiles, episodesFit, episodesLeftOutNotes, isScalar, readEpisodeRows, readTasks, writeTasks, type EpisodeRow } from './episodesTable.ts';
import { readInfo, repairDataset, type Journal } from './repairDataset.ts';
import { checkAppendMode, checkAppendProvenance, controlModeOf, sessionProvenance } from './provenance.ts';

export type { EpisodeRow } from './episodesTable.ts';
export { readEpisodeRows, readTasks, dataSchema } from './episodesTable.ts';
export { repairDataset } from './repairDataset.ts';
export { writeJsonAtomic } from './datasetFiles.ts';

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
  /**
   * The control mode of the commands its frames hold (the tick's `sent.mode`): checked against the
   * dataset's when the run's provenance does not say it (a planner without a policy), and recorded
   * in its session.
   */
  readonly mode?: string;
}

export interface StoreOptions {
  readonly robotType: string;
  readonly fps: number;
  readonly features: Features;
  readonly provenance: Provenance;
  /** Tests: the sizes past which a new file is started (default EPISODES_FILE_BYTES, DATA_FILE_BYTES). */
  readonly limits?: { readonly episodesFileBytes?: number; readonly dataFileBytes?: number };
}

/**
 * A data file past this size (or info.json's `data_files_size_in_mb`, when smaller) is closed and
 * the next episode starts a new one. Each save copies the file it appends to (copy-on-write, so
 * that a reader or a kill never meets a file without its footer), so the disk writes of a session
 * are about the file size / 2 per episode: at LeRobot's 100 MB, 250 episodes of 0.4 MB wrote
 * ~12.5 GB for 100 MB of data (review R17 F7); at 10 MB, ~1.3 GB. `data_files_size_in_mb` stays
 * 100 in info.json: it is the bound LeRobot applies when it appends, and its reader takes any
 * number of files.
 */
export const DATA_FILE_BYTES = 10 * 1024 * 1024;

/**
 * A session's meta/episodes file past this size is closed and the next episode's row starts a new
 * one (LeRobot reads every file there): each save copies the file it appends to, so its size bounds
 * the cost of a save (review R17 F6). A row is a few kB (the stats of every feature).
 */
export const EPISODES_FILE_BYTES = 1024 * 1024;

export class DatasetStore {
  private appender: ParquetAppender | undefined;
  private chunk = 0;
  private file = -1;
  private readonly taskIndex = new Map<string, number>();
  private closed = false;
  /** This session's meta/episodes file (the next after every existing one), one row group per episode, and where it is. */
  private episodesApp: ParquetAppender | undefined;
  private episodesFile: { chunk: number; file: number } | undefined;
  /** meta/stats.json: every committed episode's stats aggregated, one episode added per save. */
  private readonly stats = new RunningStats();
  /** This session's entry in info.json axon.sessions, added with its first episode. */
  private session: SessionProvenance | undefined;
  /** What opening did that an operator should know (a stale lock reclaimed, an interrupted save repaired). */
  readonly notes: string[] = [];

  private constructor(
    readonly dir: string,
    readonly info: DatasetInfo,
    episodes: readonly EpisodeRow[],
    tasks: readonly string[],
    /**
     * Features of this run that the dataset, written by an earlier axon, lacks (format.ts
     * LATER_FEATURES, e.g. `axon.held`): its episodes are written without them, so that the data
     * files keep the columns meta/info.json lists; the caller says so in its summary.
     */
    readonly leftOut: readonly string[],
    private readonly lock: DatasetLock,
    private provenance: Provenance,
    private readonly limits?: StoreOptions['limits'],
    /**
     * The columns of the dataset's first meta/episodes file, which this session's episodes rows
     * keep to (undefined: a new dataset, every column axon writes). LeRobot casts every episodes
     * file to the first one's columns and fails on one with more (episodesTable.ts episodesFit).
     */
    private readonly episodesKeep?: ReadonlySet<string>,
    /** The summary's note naming axon's episodes columns left out for that (episodesLeftOutNotes); empty when none are. */
    readonly episodesNotes: readonly string[] = [],
  ) {
    tasks.forEach((t, i) => this.taskIndex.set(t, i));
    for (const e of episodes) {
      this.stats.add(e.stats);
      const c = e['data/chunk_index'], f = e['data/file_index'];
      if (c > this.chunk || (c === this.chunk && f > this.file)) {
        this.chunk = c;
        this.file = f;
      }
    }
  }

  /**
   * Opens `dir` for writing, holding its writer lock until close(): a new dataset when it is
   * missing or empty, else the existing dataset (repaired if a save was interrupted) to append to,
   * in its own schema. AxonError DATASET_BUSY when another writer holds the lock; DATASET_MISMATCH
   * when the existing features, fps, robot type or control mode differ from this run's, naming each
   * difference; a feature axon added since the dataset was written (LATER_FEATURES) is not one:
   * it is left out (`leftOut`).
   */
  static async open(dir: string, o: StoreOptions): Promise<DatasetStore> {
    if (existsSync(dir) && !existsSync(join(dir, INFO_PATH)) && readdirSync(dir).some((f) => f !== LOCK_PATH))
      throw new AxonError('DATASET_WRITE', dir, 'exists and is not a LeRobot dataset (no meta/info.json)', 'a new or empty folder, or a dataset written before');
    const lock = lockDataset(dir, o.provenance.command);
    try {
      const store = await DatasetStore.openLocked(dir, o, lock);
      if (lock.note) store.notes.unshift(lock.note);
      return store;
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  private static async openLocked(dir: string, o: StoreOptions, lock: DatasetLock): Promise<DatasetStore> {
    const infoFile = join(dir, INFO_PATH);
    if (!existsSync(infoFile)) {
      // Another writer may have made the folder a dataset between the check above and the lock.
      if (readdirSync(dir).some((f) => f !== LOCK_PATH))
        throw new AxonError('DATASET_WRITE', dir, 'exists and is not a LeRobot dataset (no meta/info.json)', 'a new or empty folder, or a dataset written before');
      makeDirs(join(dir, 'meta'));
      const info = emptyInfo(o.robotType, o.fps, o.features, { ...o.provenance, sessions: [] });
      writeJsonAtomic(infoFile, info);
      return new DatasetStore(dir, info, [], [], [], lock, o.provenance, o.limits);
    }
    const repaired = await repairDataset(dir);
    const info = readInfo(dir);
    const episodes = await readEpisodeRows(dir, info);
    // Appending to a dataset a copy broke would carry the damage on under new episodes.
    const tasks = info.total_tasks > 0 ? (await readTasks(dir)).slice() : [];
    checkTotals(dir, info, episodes, tasks);
    checkDataFiles(dir, info, episodes, []);
    const { diffs, leftOut } = featureFit(info.features, o.features);
    if (info.fps !== o.fps) diffs.unshift(`fps ${info.fps} in the dataset, ${o.fps} in this run`);
    if (diffs.length > 0)
      throw new AxonError('DATASET_MISMATCH', dir, `its features do not match this run: ${diffs.join('; ')}`, 'a dataset recorded with the same robot, sensors and rate (or a new folder)');
    checkAppendProvenance(dir, info, o.robotType, o.provenance);
    const fit = episodesFit(dir, info.features);
    const notes = episodesLeftOutNotes(dir, fit.first, fit.leftOut, Object.keys(info.features).length);
    const store = new DatasetStore(dir, info, episodes, tasks, leftOut, lock, o.provenance, o.limits, fit.keep, notes);
    store.notes.push(...repaired.map((n) => `${dir}: repaired: ${n}`));
    return store;
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
    // A run whose provenance names no control mode (a planner without a policy): its commands' mode, checked before anything is written.
    const mode = controlModeOf(this.provenance) === undefined ? e.mode : undefined;
    if (mode !== undefined) checkAppendMode(this.dir, info, mode, this.session);
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
    const episodesApp = this.ensureEpisodesFile();
    const row: EpisodeRow = {
      episode_index: index,
      tasks: [e.task],
      length: n,
      'data/chunk_index': this.chunk,
      'data/file_index': this.file,
      dataset_from_index: from,
      dataset_to_index: from + n,
      'meta/episodes/chunk_index': this.episodesFile!.chunk,
      'meta/episodes/file_index': this.episodesFile!.file,
      'axon/seed': e.seed ?? null,
      'axon/success': e.success ?? null,
      'axon/randomization': e.randomization ? JSON.stringify(e.randomization) : null,
      'axon/ended_by': e.endedBy ?? null,
      'axon/stop_reason': e.stopReason ?? null,
      stats,
    };
    episodesApp.append(episodesColumns(info.features, [row], this.episodesKeep).columnData, 1);
    if (newTask) writeTasks(this.dir, [...this.taskIndex.keys()]);
    this.stats.add(stats);
    writeJsonAtomic(join(this.dir, STATS_PATH), this.stats.result());
    // 4: the commit.
    info.total_episodes = index + 1;
    info.total_frames = from + n;
    info.total_tasks = this.taskIndex.size;
    info.splits = { train: `0:${info.total_episodes}` };
    this.recordSession(index, mode);
    writeJsonAtomic(join(this.dir, INFO_PATH), info);
    // 5.
    rmSync(join(this.dir, JOURNAL_PATH), { force: true });
    return index;
  }

  /** This session's meta/episodes appender: the file after every existing one, and after it a new one each time it passes the size limit. */
  private ensureEpisodesFile(): ParquetAppender {
    if (this.episodesApp && this.episodesApp.size < (this.limits?.episodesFileBytes ?? EPISODES_FILE_BYTES)) return this.episodesApp;
    this.episodesApp?.close();
    const cur = this.episodesFile;
    this.episodesFile = cur === undefined ? nextEpisodesFile(this.dir, this.info.chunks_size) : cur.file + 1 >= this.info.chunks_size ? { chunk: cur.chunk + 1, file: 0 } : { chunk: cur.chunk, file: cur.file + 1 };
    const path = join(this.dir, formatPath(EPISODES_PATH, this.episodesFile.chunk, this.episodesFile.file));
    makeDirs(dirname(path));
    this.episodesApp = new ParquetAppender(path, episodesColumns(this.info.features, [], this.episodesKeep).schema);
    return this.episodesApp;
  }

  private ensureDataFile(): void {
    const limit = Math.min(this.info.data_files_size_in_mb * 1024 * 1024, this.limits?.dataFileBytes ?? DATA_FILE_BYTES);
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

  /**
   * Counts episode `index` in this session's entry of info.json `axon.sessions` (review R13 F1:
   * an append kept only the first run's provenance). A dataset from before sessions gets one
   * entry for its earlier episodes, from its top-level provenance; one no axon wrote gets none.
   */
  private recordSession(index: number, mode: string | undefined): void {
    const info = this.info;
    if (this.session === undefined) {
      if (info.axon === undefined) info.axon = { ...this.provenance, sessions: [] }; // earlier episodes: no axon provenance
      else if ((info.axon.sessions ?? []).length === 0 && index > 0) info.axon.sessions = [{ ...sessionProvenance(info.axon, 0), episodes: index }];
      const sessions = (info.axon.sessions ??= []);
      this.session = sessionProvenance(this.provenance, index);
      sessions.push(this.session);
    }
    if (mode !== undefined && this.session.control_mode === undefined) this.session.control_mode = mode;
    this.session.episodes = index + 1 - this.session.first_episode;
  }

  /**
   * The episodes written from here on are another recording's (`axon export lerobot` of several):
   * checked as an append of `p` would be (robot type, control mode: DATASET_MISMATCH), then given
   * their own entry in info.json `axon.sessions` with its provenance. Call it before writing any
   * episode of an all-or-nothing batch to check every recording first (`check`), then again with
   * `start` at each recording's first episode.
   */
  nextSession(robotType: string, p: Provenance, o: { start: boolean }): void {
    checkAppendProvenance(this.dir, this.info, robotType, p);
    if (!o.start) return;
    this.provenance = p;
    this.session = undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.appender?.close();
    this.episodesApp?.close();
    this.lock.release();
  }
}

/** The meta/episodes file after every existing one (LeRobot's rule when it resumes a dataset): this session's rows go there. */
function nextEpisodesFile(dir: string, chunksSize: number): { chunk: number; file: number } {
  const last = episodesFiles(dir).at(-1);
  if (last === undefined) return { chunk: 0, file: 0 };
  return last.file + 1 >= chunksSize ? { chunk: last.chunk + 1, file: 0 } : { chunk: last.chunk, file: last.file + 1 };
}

function constant(n: number, v: number): Float64Array {
  return new Float64Array(n).fill(v);
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

export { DATA_PATH };
