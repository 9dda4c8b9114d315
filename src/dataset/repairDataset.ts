/**
 * What a writer killed inside a save leaves, found and repaired (docs/dataset.md "How it is
 * written"): the journal (`.axon-journal.json`) of a save that info.json did not commit, the rows
 * of uncommitted episodes in meta/episodes, data files no committed episode names, temporary files.
 *
 * `datasetProblems` finds them without changing anything (`dataset info` exits non-zero on them:
 * LeRobot reads every `data/*\/*.parquet` and every episodes row, so it cannot load such a folder);
 * `repairDataset` (run under the writer lock by every writer's open and by `axon dataset repair`)
 * removes them, leaving the committed episodes.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { AxonError } from '../core/errors.ts';
import { INFO_PATH, JOURNAL_PATH, STATS_PATH, formatPath, validateInfo, type DatasetInfo } from './format.ts';
import { restoreAppend, type AppendUndo } from './ParquetAppender.ts';
import { episodesColumns, episodesFiles, parquetColumns, readEpisodeFiles, summariseColumns, writeEpisodesTable, type EpisodeRow } from './episodesTable.ts';
import { writeJsonAtomic } from './datasetFiles.ts';
import { aggregateStats } from './stats.ts';
import { readJsonFile } from './readJson.ts';

export interface Journal {
  readonly episodesBefore: number;
  /** The data file being appended to, relative to the dataset folder. */
  readonly dataFile: string;
  readonly undo: AppendUndo;
}

/**
 * Finishes or undoes what a killed writer left (call it holding the writer lock): a journal's
 * save is kept when info.json counts it, else its row group is taken out of the data file; rows of
 * uncommitted episodes are cut from meta/episodes (and the stats); data files no committed episode
 * names and temporary files are removed. Returns what was done, one note each (none: nothing was).
 */
export async function repairDataset(dir: string): Promise<string[]> {
  const notes: string[] = [];
  const jf = join(dir, JOURNAL_PATH);
  if (existsSync(jf)) {
    const j = readJournal(jf, dir);
    const info = readInfo(dir);
    if (info.total_episodes > j.episodesBefore) notes.push(`the save of episode ${j.episodesBefore} had finished`);
    else {
      restoreAppend(j.file, j.undo);
      notes.push(`episode ${j.episodesBefore} was being saved when the writer stopped: taken out of ${relative(dir, j.file)}`);
    }
    rmSync(jf, { force: true });
  }
  for (const f of leftoverFiles(dir)) {
    rmSync(f, { force: true });
    notes.push(`removed ${relative(dir, f)} (a temporary file of an interrupted save)`);
  }
  const info = readInfo(dir);
  const files = await readEpisodeFiles(dir, info);
  let cut = false;
  for (const f of files) {
    const keep = f.rows.filter((r) => r.episode_index < info.total_episodes);
    if (keep.length === f.rows.length) continue;
    cut = true;
    if (keep.length === 0) rmSync(f.path, { force: true });
    else writeEpisodesTable(f.path, info.features, keep, new Set(parquetColumns(f.path)));
    notes.push(`cut ${f.rows.length - keep.length} uncommitted episode row(s) from ${relative(dir, f.path)}`);
  }
  const committed = files.flatMap((f) => f.rows).filter((r) => r.episode_index < info.total_episodes);
  if (cut && committed.length > 0) writeJsonAtomic(join(dir, STATS_PATH), aggregateStats(committed.map((x) => x.stats)));
  for (const f of orphanDataFiles(dir, info, committed)) {
    rmSync(f, { force: true });
    notes.push(`removed ${relative(dir, f)}: no committed episode is in it (left by an interrupted save)`);
  }
  notes.push(...(await fitEpisodesColumns(dir, info)));
  return notes;
}

/**
 * An episodes file axon wrote with columns the first episodes file lacks (an axon before
 * checkDataset.ts episodesColumnFaults appended `axon/*` columns to a LeRobot-written dataset):
 * rewritten in the first file's columns, so that LeRobot loads the folder; those columns' values
 * (seed, success, how the episode ended) are dropped, as an append now leaves them out. A file
 * with columns axon does not write is left as it is (and stays a problem of `dataset info`).
 */
async function fitEpisodesColumns(dir: string, info: DatasetInfo): Promise<string[]> {
  const files = episodesFiles(dir);
  if (files.length < 2) return [];
  const first = new Set(parquetColumns(files[0].path));
  const ours = new Set(episodesColumns(info.features, []).columnData.map((c) => c.name));
  const notes: string[] = [];
  for (const f of (await readEpisodeFiles(dir, info)).slice(1)) {
    const cols = parquetColumns(f.path);
    const extra = cols.filter((c) => !first.has(c));
    if (extra.length === 0 || !cols.every((c) => ours.has(c))) continue;
    writeEpisodesTable(f.path, info.features, f.rows, first);
    notes.push(`rewrote ${relative(dir, f.path)} without ${summariseColumns(extra, Object.keys(info.features).length)}, which the first episodes file ${relative(dir, files[0].path)} lacks (LeRobot could not load the folder); their values for its ${f.rows.length} episode(s) are dropped`);
  }
  return notes;
}

/**
 * What keeps LeRobot from loading the folder as info.json describes it, one line each (empty: none):
 * a journal, episodes rows past total_episodes, data files no committed episode names, a data
 * file whose footer holds another number of rows than its committed episodes. `episodes`: the
 * committed rows; `all`: every row of meta/episodes.
 */
export function datasetProblems(dir: string, info: DatasetInfo, episodes: readonly EpisodeRow[], all: readonly EpisodeRow[]): string[] {
  const out: string[] = [];
  if (existsSync(join(dir, JOURNAL_PATH))) out.push(`${JOURNAL_PATH}: an episode was being saved when its writer stopped`);
  if (all.length > episodes.length) out.push(`meta/episodes holds ${all.length - episodes.length} row(s) of episodes meta/info.json does not count (an uncommitted save)`);
  for (const f of orphanDataFiles(dir, info, episodes)) out.push(`${relative(dir, f)}: no committed episode is in it (left by an interrupted save)`);
  const rows = new Map<string, number>();
  for (const e of episodes) {
    const f = join(dir, formatPath(info.data_path, e['data/chunk_index'], e['data/file_index']));
    rows.set(f, (rows.get(f) ?? 0) + e.length);
  }
  for (const [f, n] of rows) {
    const have = footerRows(f);
    if (have !== undefined && have !== n) out.push(`${relative(dir, f)}: its footer counts ${have} rows, the committed episodes in it ${n}`);
  }
  return out;
}

/** `.partial` and `.tmp` files an interrupted atomic write left in the dataset's folders. */
function leftoverFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (!existsSync(d) || depth > 3) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), depth + 1);
      else if (e.name.endsWith('.partial') || e.name.endsWith('.tmp')) out.push(join(d, e.name));
    }
  };
  walk(join(dir, 'meta'), 0);
  walk(join(dir, 'data'), 0);
  return out;
}

/** Files `data/chunk-*\/file-*.parquet` (LeRobot reads them all) that no committed episode names. */
function orphanDataFiles(dir: string, info: DatasetInfo, episodes: readonly EpisodeRow[]): string[] {
  const named = new Set(episodes.map((e) => resolve(dir, formatPath(info.data_path, e['data/chunk_index'], e['data/file_index']))));
  const root = join(dir, 'data');
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const c of readdirSync(root).filter((x) => /^chunk-\d+$/.test(x)).sort())
    for (const f of readdirSync(join(root, c)).filter((x) => x.endsWith('.parquet')).sort()) {
      const p = join(root, c, f);
      if (!named.has(resolve(p))) out.push(p);
    }
  return out;
}

/** The row count in `file`'s footer (read from its end only); undefined when it has no readable footer (checkDataFiles names that). */
function footerRows(file: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    if (size < 12) return undefined;
    const tail = Buffer.alloc(8);
    readSync(fd, tail, 0, 8, size - 8);
    const len = tail.readUInt32LE(0);
    if (len + 12 > size) return undefined;
    const b = Buffer.alloc(len + 8);
    readSync(fd, b, 0, len + 8, size - 8 - len);
    return Number(parquetMetadata(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)).num_rows);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

export function readInfo(dir: string): DatasetInfo {
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
