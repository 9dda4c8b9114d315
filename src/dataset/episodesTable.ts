/**
 * The tables of a dataset's meta folder: meta/episodes (one row per episode; possibly several
 * files, as LeRobot leaves it after a resumed recording) and meta/tasks.parquet, read and written,
 * and the parquet schemas axon writes.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import { parquetMetadata, parquetSchema, type SchemaElement } from 'hyparquet';
import { AxonError } from '../core/errors.ts';
import { TASKS_PATH, type DatasetInfo, type Features } from './format.ts';
import { STAT_KEYS, type FeatureStats, type StatsByFeature } from './stats.ts';
import { readParquetRows } from './readParquet.ts';
import { writeFileAtomic } from './datasetFiles.ts';

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

export function isScalar(shape: readonly number[]): boolean {
  return shape.length === 1 && shape[0] === 1;
}

const PHYSICAL = { float32: 'FLOAT', float64: 'DOUBLE', int64: 'INT64', bool: 'BOOLEAN' } as const;

export function leaf(name: string, dtype: keyof typeof PHYSICAL | 'string'): SchemaElement {
  return dtype === 'string'
    ? { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' }
    : { name, type: PHYSICAL[dtype], repetition_type: 'OPTIONAL' };
}

/** A LIST column of `dtype` (3 schema elements: the list, its repeated group, the element). */
export function list(name: string, dtype: keyof typeof PHYSICAL | 'string'): SchemaElement[] {
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

/**
 * The schema and columns of meta/episodes rows (one file, or one row group of it: DatasetStore
 * appends one per save). `keep`: only these columns (the first episodes file's, when appending to
 * a dataset whose first file lacks some of axon's: episodesFit).
 */
export function episodesColumns(features: Features, rows: readonly EpisodeRow[], keep?: ReadonlySet<string>): { schema: SchemaElement[]; columnData: ColumnSource[] } {
  const schema: SchemaElement[][] = [];
  const columnData: ColumnSource[] = [];
  const add = (s: SchemaElement[], name: string, data: unknown[]) => {
    if (keep !== undefined && !keep.has(name)) return;
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
  return { schema: [{ name: 'schema', num_children: schema.length }, ...schema.flat()], columnData };
}

/** One file of meta/episodes (`file`), `rows` written whole (atomically: temporary file, then rename); `keep` as episodesColumns. */
export function writeEpisodesTable(file: string, features: Features, rows: readonly EpisodeRow[], keep?: ReadonlySet<string>): void {
  const { schema, columnData } = episodesColumns(features, rows, keep);
  const buf = parquetWriteBuffer({ columnData, schema, createdBy: 'axon (hyparquet-writer)' });
  writeFileAtomic(file, new Uint8Array(buf));
}

/** meta/tasks.parquet: the task text as the pandas index "task", and its task_index. */
export function writeTasks(dir: string, tasks: readonly string[]): void {
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

/** meta/tasks.parquet in task_index order. */
export async function readTasks(dir: string): Promise<string[]> {
  const file = join(dir, TASKS_PATH);
  if (!existsSync(file)) return [];
  const rows = await readParquetRows(file);
  const out: string[] = [];
  for (const r of rows) out[Number(r.task_index)] = String(r.task ?? r.__index_level_0__);
  return out;
}

/** Every row of meta/episodes (all its files), with the per-episode stats, by episode_index. */
export async function readEpisodeRows(dir: string, info: DatasetInfo): Promise<EpisodeRow[]> {
  const out = (await readEpisodeFiles(dir, info)).flatMap((f) => f.rows);
  out.sort((a, b) => a.episode_index - b.episode_index);
  return out;
}

/** The files of meta/episodes (`chunk-CCC/file-FFF.parquet`, in that order): path, chunk, file and rows. */
export function episodesFiles(dir: string): { path: string; chunk: number; file: number }[] {
  const root = join(dir, 'meta', 'episodes');
  if (!existsSync(root)) return [];
  const num = (s: string) => Number(/(\d+)/.exec(s)?.[1] ?? NaN);
  return readdirSync(root)
    .filter((c) => /^chunk-\d+$/.test(c))
    .sort()
    .flatMap((c) =>
      readdirSync(join(root, c))
        .filter((f) => /^file-\d+\.parquet$/.test(f))
        .sort()
        .map((f) => ({ path: join(root, c, f), chunk: num(c), file: num(f) })),
    );
}

/** Each file of meta/episodes with its rows (as read, in file order). */
export async function readEpisodeFiles(dir: string, info: DatasetInfo): Promise<{ path: string; chunk: number; file: number; rows: EpisodeRow[] }[]> {
  const out = [];
  for (const f of episodesFiles(dir)) {
    const rows: EpisodeRow[] = [];
    for (const r of await readParquetRows(f.path)) {
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
      rows.push({
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
    out.push({ ...f, rows });
  }
  return out;
}

/** The top-level column names of a parquet file, from its footer. */
export function parquetColumns(file: string): string[] {
  let b: Buffer;
  try {
    b = readFileSync(file);
  } catch (e) {
    throw new AxonError('DATASET_READ', file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'a parquet file of a LeRobot dataset');
  }
  try {
    return parquetSchema(parquetMetadata(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer)).children.map((c) => c.element.name);
  } catch (e) {
    throw new AxonError('DATASET_READ', file, `is not a readable parquet file (${(e as Error).message})`, 'a parquet file of a LeRobot dataset');
  }
}

/**
 * How this run's episodes rows fit the dataset's first meta/episodes file. LeRobot's load_episodes
 * reads every episodes file in one `Dataset.from_parquet` and casts each to the first file's
 * columns: a later file with a column the first lacks fails the whole load (CastError), one that
 * lacks a column of the first loads (nulls). So an append writes exactly the first file's columns
 * (`keep`), and `leftOut` names axon's columns the first lacks (a LeRobot-written file has no
 * `axon/*`; an earlier axon's none of those added since, nor an earlier LeRobot's `stats/.../qNN`).
 * A new dataset (no episodes file): everything axon writes, `keep` undefined.
 */
export function episodesFit(dir: string, features: Features): { first?: string; keep?: ReadonlySet<string>; leftOut: string[] } {
  const first = episodesFiles(dir)[0];
  if (first === undefined) return { leftOut: [] };
  const keep = new Set(parquetColumns(first.path));
  const leftOut = episodesColumns(features, []).columnData.map((c) => c.name).filter((c) => !keep.has(c));
  return { first: first.path, keep, leftOut };
}

/** The summary's note on axon's episodes columns an append leaves out (episodesFit; none: no note). */
export function episodesLeftOutNotes(dir: string, first: string | undefined, leftOut: readonly string[], features: number): string[] {
  if (leftOut.length === 0 || first === undefined) return [];
  return [`${dir}: ${relative(dir, first) || first} has no ${summariseColumns(leftOut, features)} column(s) (written by LeRobot or an earlier axon): the new meta/episodes rows are written without them, in that file's columns, since LeRobot loads every episodes file in the first one's columns`];
}

/** Column names for a note: the `stats/<feature>/<key>` ones a file lacks for each of the `features` as one `stats/*\/<key>`. */
export function summariseColumns(cols: readonly string[], features: number): string {
  const stats = cols.filter((c) => c.startsWith('stats/'));
  const byKey = new Map<string, number>();
  for (const c of stats) {
    const k = c.slice(c.lastIndexOf('/') + 1);
    byKey.set(k, (byKey.get(k) ?? 0) + 1);
  }
  const out = cols.filter((c) => !c.startsWith('stats/')).map((c) => `"${c}"`);
  for (const [k, n] of byKey) {
    if (n === features && features > 1) out.push(`"stats/*/${k}"`);
    else out.push(...stats.filter((c) => c.endsWith(`/${k}`)).map((c) => `"${c}"`));
  }
  return out.join(', ');
}
