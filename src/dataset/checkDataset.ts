/**
 * Checks that a dataset is whole before it is read or appended to: info.json's totals against
 * the episodes and tasks tables, and every data file the committed episodes name present and
 * framed by the parquet magic "PAR1" (start and end), so that a table or file a copy lost, cut or
 * zeroed is DATASET_READ naming it instead of a dataset printed, replayed or extended as if whole.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AxonError } from '../core/errors.ts';
import type { EpisodeRow } from './DatasetStore.ts';
import { INFO_PATH, JOURNAL_PATH, TASKS_PATH, formatPath, type DatasetInfo } from './format.ts';
import { episodesFiles, parquetColumns, summariseColumns } from './episodesTable.ts';

/**
 * info.json's totals against the episodes table and tasks: a table a copy lost or cut, or totals
 * that count what is not there, are refused instead of printed as a dataset. More rows than
 * total_episodes is what a killed save leaves (not committed, not read).
 */
export function checkTotals(dir: string, info: DatasetInfo, episodes: readonly EpisodeRow[], tasks: readonly string[]): void {
  const infoFile = join(dir, INFO_PATH);
  const table = join(dir, 'meta', 'episodes');
  if (info.total_episodes > 0 && !existsSync(table))
    throw new AxonError('DATASET_READ', table, `is missing, and ${INFO_PATH} counts ${info.total_episodes} episode(s)`, 'the episodes table meta/episodes/chunk-*/file-*.parquet, one row per episode');
  if (episodes.length !== info.total_episodes || episodes.some((e, k) => e.episode_index !== k))
    throw new AxonError('DATASET_READ', `${infoFile}#/total_episodes`, `is ${info.total_episodes}, but ${table} holds episodes [${summarise(episodes.map((e) => e.episode_index))}]`, `episodes 0..${info.total_episodes - 1} in the episodes table, each once`);
  const frames = episodes.reduce((a, e) => a + e.length, 0);
  if (frames !== info.total_frames)
    throw new AxonError('DATASET_READ', `${infoFile}#/total_frames`, `is ${info.total_frames}, but the episodes in ${table} hold ${frames} frames`, 'the sum of the episodes\' lengths');
  for (const e of episodes)
    if (e.dataset_to_index - e.dataset_from_index !== e.length)
      throw new AxonError('DATASET_READ', `${table} episode ${e.episode_index}`, `has length ${e.length} but rows ${e.dataset_from_index}..${e.dataset_to_index}`, 'dataset_to_index - dataset_from_index = length');
  if (tasks.length < info.total_tasks)
    throw new AxonError('DATASET_READ', join(dir, TASKS_PATH), `${existsSync(join(dir, TASKS_PATH)) ? `holds ${tasks.length} task(s)` : 'is missing'}, and ${INFO_PATH} counts ${info.total_tasks}`, 'one row per task');
}

function summarise(xs: readonly number[]): string {
  return xs.length > 8 ? `${xs.slice(0, 8).join(', ')}, ... (${xs.length})` : xs.join(', ');
}

const PARQUET_EXPECTED = 'a parquet file of a LeRobot dataset (starting and ending with PAR1)';

/**
 * Every data file the committed episodes name exists and starts and ends with the parquet magic
 * "PAR1": a file a copy lost, cut or zeroed is refused here, not when a replay reaches it. A file
 * whose end an interrupted save of an earlier axon left (it wrote in place; a journal is present)
 * is a warning: `axon dataset repair` or the next writer repairs it. Row counts against the
 * footers and files no episode names: repairDataset.ts datasetProblems.
 */
export function checkDataFiles(dir: string, info: DatasetInfo, episodes: readonly EpisodeRow[], warnings: string[]): void {
  const journal = existsSync(join(dir, JOURNAL_PATH));
  const seen = new Set<string>();
  for (const e of episodes) {
    const file = join(dir, formatPath(info.data_path, e['data/chunk_index'], e['data/file_index']));
    if (seen.has(file)) continue;
    seen.add(file);
    const bad = parquetMagicFault(file);
    if (bad === undefined) continue;
    if (journal && bad.tail) warnings.push(`${file}: ${bad.message}: cut short by an interrupted save; episodes in it cannot be read until \`axon dataset repair ${dir}\` (or the next axon writer) repairs the folder`);
    else throw new AxonError('DATASET_READ', file, `${bad.message} (episode ${e.episode_index} is in it)`, PARQUET_EXPECTED);
  }
}

const _magic = Buffer.alloc(4);

/** What is wrong with `file` as a parquet file by its first and last 4 bytes, or undefined when nothing; `tail` when only its end is. */
function parquetMagicFault(file: string): { message: string; tail: boolean } | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    return { message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, tail: false };
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { message: 'is empty (0 bytes)', tail: false };
    if (size < 4) return { message: `is ${size} bytes, not even the PAR1 it starts with`, tail: false };
    readSync(fd, _magic, 0, 4, 0);
    if (_magic.toString('latin1') !== 'PAR1') return { message: `does not start with PAR1 (${size} bytes)`, tail: false };
    // The smallest parquet file: PAR1, footer length (4 bytes), PAR1.
    if (size < 12) return { message: `is ${size} bytes, too short for a parquet footer`, tail: true };
    readSync(fd, _magic, 0, 4, size - 4);
    if (_magic.toString('latin1') !== 'PAR1') return { message: `does not end with PAR1 (${size} bytes: cut short or overwritten)`, tail: true };
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * The meta/episodes files whose columns differ from the first file's. LeRobot's load_episodes
 * reads them all in one `Dataset.from_parquet`, which takes the first file's columns and casts
 * every later file to them: a later file with a column the first lacks fails the whole load
 * (CastError, "column names don't match"; what an axon before this check appended to a
 * LeRobot-written dataset), one each (`problems`); a later file lacking some of the first's loads
 * with those empty (null) for its episodes, one warning each. `features`: the dataset's count, to
 * name stats columns short.
 */
export function episodesColumnFaults(dir: string, features: number): { problems: string[]; warnings: string[] } {
  const files = episodesFiles(dir);
  const problems: string[] = [], warnings: string[] = [];
  if (files.length < 2) return { problems, warnings };
  const first = parquetColumns(files[0].path);
  const firstSet = new Set(first);
  const rel = (p: string) => relative(dir, p) || p;
  for (const f of files.slice(1)) {
    const cols = parquetColumns(f.path);
    const extra = cols.filter((c) => !firstSet.has(c));
    const missing = first.filter((c) => !cols.includes(c));
    if (extra.length > 0)
      problems.push(`${rel(f.path)} has ${summariseColumns(extra, features)}, which the first episodes file ${rel(files[0].path)} lacks (LeRobot reads every episodes file in the first one's columns and refuses one with more)`);
    if (missing.length > 0) warnings.push(`${dir}: ${rel(f.path)} lacks ${summariseColumns(missing, features)} of the first episodes file ${rel(files[0].path)}: LeRobot loads it with those empty (null) for its episodes`);
  }
  return { problems, warnings };
}
