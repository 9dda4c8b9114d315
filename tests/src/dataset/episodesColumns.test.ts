/**
 * meta/episodes files keep the first file's columns (review R28 F1). Current LeRobot's
 * load_episodes reads every episodes file in ONE `Dataset.from_parquet`, which takes the first
 * file's columns and casts each later file to them: a later file with a column the first lacks
 * fails the whole load (CastError "column names don't match"). So:
 *  - an append to a dataset whose first episodes file lacks axon's `axon/*` columns (a
 *    LeRobot-written file, or one of an axon before `axon/ended_by`) writes its rows in exactly
 *    that file's columns and says so in one note naming the columns left out;
 *  - `axon dataset info` refuses (DATASET_REPAIR, naming the file and columns) a dataset an earlier
 *    axon appended to that way, warns on a later file that only lacks columns (LeRobot loads it),
 *    and `axon dataset repair` rewrites the offending file in the first one's columns.
 *
 * The first episodes file is rewritten without the columns by parquet-wasm (the Rust `parquet`
 * crate, as pyarrow is for LeRobot), not by axon's writer; every check of the columns reads them
 * with that reader too.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableToIPC } from 'apache-arrow';
import { Table as WasmTable, writeParquet } from 'parquet-wasm/node';
import { DatasetStore, featureSource, provenance, readDataset, repairDataset, runFeatures, type EpisodeData } from '../../../src/dataset/index.ts';
import type { RobotSpec } from '../../../src/core/robot.ts';
import { runAxon } from '../../helpers/cli.ts';
import { readTable, column } from './independentReader.ts';

const FPS = 50;
const spec = { name: 'cartpole', joints: [{ name: 'slider' }, { name: 'hinge' }], sensors: { imu: false, contacts: [] }, controlModes: ['effort'] } as unknown as RobotSpec;
const features = () => runFeatures(featureSource(spec, true));
const AXON_COLUMNS = ['axon/seed', 'axon/success', 'axon/randomization', 'axon/ended_by', 'axon/stop_reason'];

function episode(len: number, seed: number): EpisodeData {
  const done = new Uint8Array(len);
  done[len - 1] = 1;
  return {
    length: len,
    task: 'balance',
    columns: {
      'observation.state': Float32Array.from({ length: 4 * len }, (_, i) => Math.sin(i + seed)),
      action: Float32Array.from({ length: 2 * len }, (_, i) => Math.cos(i + seed)),
      'next.reward': new Float32Array(len).fill(1),
      'next.done': done,
      'next.success': new Uint8Array(len),
      'axon.held': new Uint8Array(len),
    },
    seed,
    success: true,
    endedBy: 'duration',
  };
}

/** One writing session of `lengths` episodes into `dir` (a new dataset or an append): its store's notes. */
async function session(dir: string, lengths: number[]): Promise<readonly string[]> {
  const store = await DatasetStore.open(dir, { robotType: spec.name, fps: FPS, features: features(), provenance: provenance({ spec, period: 1 / FPS, source: 'test' }) });
  try {
    lengths.forEach((n, k) => store.writeEpisode(episode(n, k)));
    return store.episodesNotes;
  } finally {
    store.close();
  }
}

const episodesDir = (dir: string) => join(dir, 'meta/episodes/chunk-000');
const episodesPaths = (dir: string) => readdirSync(episodesDir(dir)).filter((f) => f.endsWith('.parquet')).sort().map((f) => join(episodesDir(dir), f));
const columnsOf = (file: string) => readTable(file).schema.fields.map((f) => f.name);

/** Rewrites a parquet file without `drop`, with parquet-wasm (as pyarrow's `t.drop(...)` then `write_table` would). */
function dropColumns(file: string, drop: readonly string[]): void {
  const t = readTable(file);
  const kept = t.select(t.schema.fields.map((f) => f.name).filter((n) => !drop.includes(n)));
  writeFileSync(file, writeParquet(WasmTable.fromIPCStream(tableToIPC(kept, 'stream'))));
}

/** What LeRobot's load_episodes needs: every episodes file has exactly the first file's column set. */
function expectOneTable(dir: string): void {
  const [first, ...rest] = episodesPaths(dir);
  const want = [...columnsOf(first)].sort();
  for (const f of rest) expect([...columnsOf(f)].sort(), f).toEqual(want);
}

describe('meta/episodes files keep the first file\'s columns (LeRobot loads them as one table)', () => {
  it.each([
    ['LeRobot wrote the first episodes file (no axon/* columns)', AXON_COLUMNS],
    ['an axon before axon/ended_by wrote it', ['axon/ended_by', 'axon/stop_reason']],
  ])('an append after %s writes its rows in that file\'s columns and names what it left out', async (_what, lacking) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'axon-epcols-')), 'ds');
    await session(dir, [20, 7]);
    const first = episodesPaths(dir)[0];
    dropColumns(first, lacking);
    expect(columnsOf(first)).not.toContain(lacking[0]);

    const notes = await session(dir, [12, 9]);
    expect(episodesPaths(dir)).toHaveLength(2);
    expectOneTable(dir);
    const added = readTable(episodesPaths(dir)[1]);
    expect(column(added, 'episode_index')).toEqual([2, 3]);
    for (const c of lacking) expect(columnsOf(episodesPaths(dir)[1])).not.toContain(c);
    // One note, naming every column left out.
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('meta/episodes/chunk-000/file-000.parquet has no');
    for (const c of lacking) expect(notes[0]).toContain(`"${c}"`);

    // axon reads it whole, with nothing to warn about; the axon/* values it left out read as unknown.
    const ds = await readDataset(dir);
    expect(ds.warnings).toEqual([]);
    expect(ds.columnProblems).toEqual([]);
    expect(ds.episodes.map((e) => e.length)).toEqual([20, 7, 12, 9]);
    expect(ds.episodes[3]['axon/ended_by']).toBeNull();
  });

  it('`sim --dataset` onto a first episodes file without axon/* columns: the summary\'s note names them, and the files have one column set', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'axon-epcols-')), 'ds');
    const sim = () => runAxon(['sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--duration', '0.04', '--fast', '--json', '--dataset', dir], 120_000);
    expect(sim().code).toBe(0);
    dropColumns(episodesPaths(dir)[0], AXON_COLUMNS);
    const r = sim();
    expect(r.code, r.stderr).toBe(0);
    const notes: string[] = JSON.parse(r.lastLine).dataset.notes;
    expect(notes.filter((n) => n.includes('file-000.parquet has no'))).toHaveLength(1);
    for (const c of AXON_COLUMNS) expect(notes.join('\n')).toContain(`"${c}"`);
    expectOneTable(dir);
    expect(runAxon(['dataset', 'info', dir], 60_000).code).toBe(0);
  });

  it('a new dataset, and an append to one axon wrote whole, keep every axon column', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'axon-epcols-')), 'ds');
    expect(await session(dir, [5])).toEqual([]);
    expect(await session(dir, [6])).toEqual([]);
    expectOneTable(dir);
    for (const c of AXON_COLUMNS) expect(columnsOf(episodesPaths(dir)[1])).toContain(c);
    expect((await readDataset(dir)).episodes[1]['axon/seed']).toBe(0);
  });

  it('dataset info refuses a later episodes file with columns the first lacks (naming both), and dataset repair rewrites it', async () => {
    // What an earlier axon left: its append wrote axon/* columns after a first file without them.
    const dir = join(mkdtempSync(join(tmpdir(), 'axon-epcols-')), 'ds');
    await session(dir, [20]);
    await session(dir, [8]);
    dropColumns(episodesPaths(dir)[0], AXON_COLUMNS);

    const ds = await readDataset(dir);
    expect(ds.columnProblems).toHaveLength(1);
    expect(ds.columnProblems[0]).toContain('meta/episodes/chunk-000/file-001.parquet has "axon/seed"');
    expect(ds.columnProblems[0]).toContain('which the first episodes file meta/episodes/chunk-000/file-000.parquet lacks');
    const info = runAxon(['dataset', 'info', dir], 60_000);
    expect(info.code).toBe(2);
    expect(info.stderr).toContain('[DATASET_REPAIR]');
    expect(info.stderr).toContain('"axon/stop_reason"');
    expect(info.stderr).toContain(`axon dataset repair ${dir}`);

    const notes = await repairDataset(dir);
    expect(notes.join('\n')).toContain('rewrote meta/episodes/chunk-000/file-001.parquet without "axon/seed"');
    expectOneTable(dir);
    const after = await readDataset(dir);
    expect(after.columnProblems).toEqual([]);
    expect(after.episodes.map((e) => e.length)).toEqual([20, 8]);
    expect(runAxon(['dataset', 'info', dir], 60_000).code).toBe(0);
  });

  it('a later episodes file that only lacks columns of the first is a warning (LeRobot loads it, those empty)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'axon-epcols-')), 'ds');
    await session(dir, [20]);
    await session(dir, [8]);
    dropColumns(episodesPaths(dir)[1], AXON_COLUMNS);
    const ds = await readDataset(dir);
    expect(ds.columnProblems).toEqual([]);
    expect(ds.warnings.join('\n')).toContain('meta/episodes/chunk-000/file-001.parquet lacks "axon/seed"');
  });

  it('a dataset with no episode yet (a writer killed before its first save) is said to be unloadable by LeRobot, and takes an append', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'axon-epcols-')), 'ds');
    expect(await session(dir, [])).toEqual([]);
    const info = runAxon(['dataset', 'info', dir], 60_000);
    expect(info.code).toBe(0);
    expect(info.stderr).toContain(`axon dataset: warning: ${dir} holds no episode yet (a run stopped before its first episode was saved): LeRobot cannot load it until one is written`);
    await session(dir, [7]);
    const after = runAxon(['dataset', 'info', dir], 60_000);
    expect(after.code).toBe(0);
    expect(after.stderr).not.toContain('holds no episode');
  });
});
