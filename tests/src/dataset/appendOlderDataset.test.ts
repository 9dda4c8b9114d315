/**
 * Appending to a dataset an earlier axon wrote, before the `axon.held` frame column existed
 * (docs/dataset.md "Held ticks", "Appending to a dataset an earlier axon wrote"): `--dataset` and
 * `axon export lerobot` append in the dataset's own schema (no `axon.held` column, info.json
 * unchanged but its totals), count the held ticks they could not mark and say so once; every other
 * mismatch (joints, their order, fps, sensors, a column of another type) is still refused.
 *
 * The fixture is what axon wrote before that column: a teleop dataset at 30 fps of an SO-100 style
 * arm whose joints are not in chain order, written with the features of its day (the run's
 * features less `axon.held`) by the same store, two episodes, one of 7 frames.
 */
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetStore, DatasetWriter, datasetInfoSummary, datasetRecording, featureSource, provenance, readDataset, runFeatures, type Features } from '../../../src/dataset/index.ts';
import { exportLerobot } from '../../../src/dataset/exportLerobot.ts';
import { attachRecorder } from '../../../src/record/index.ts';
import { datasetLine } from '../../../src/cli/outputs.ts';
import { stageNames, type TickRecord } from '../../../src/loop/TickRecord.ts';
import type { SafetyState } from '../../../src/safety/types.ts';
import type { RobotSpec } from '../../../src/core/robot.ts';
import { runAxon } from '../../helpers/cli.ts';
import { readTable, column } from './independentReader.ts';

const FPS = 30;
// Not in chain order, as a vendor's config lists them.
const JOINTS = ['gripper', 'shoulder_pan', 'wrist_roll', 'elbow_flex', 'shoulder_lift', 'wrist_flex'];
const spec = { name: 'so100_follower', joints: JOINTS.map((name) => ({ name })), sensors: { imu: false, contacts: [] }, controlModes: ['position'] } as unknown as RobotSpec;
const TASK = 'pick the cube';
const runFeats = () => runFeatures(featureSource(spec, false));

/** The features axon wrote before `axon.held`: the run's less that column. */
function olderFeatures(): Features {
  const f = { ...runFeats() };
  delete (f as Record<string, unknown>)['axon.held'];
  return f;
}

/** A dataset as an earlier axon wrote it: episodes of 45 and 7 frames, no axon.held. */
async function olderDataset(): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'axon-dsold-')), 'ds');
  const store = await DatasetStore.open(dir, { robotType: spec.name, fps: FPS, features: olderFeatures(), provenance: { ...provenance({ spec, period: 1 / FPS, source: 'axon teleop' }), axon_version: '0.0.9' } });
  const n = JOINTS.length;
  for (const len of [45, 7]) {
    const done = new Uint8Array(len);
    done[len - 1] = 1;
    store.writeEpisode({
      length: len,
      task: TASK,
      columns: { 'observation.state': Float32Array.from({ length: 2 * n * len }, (_, i) => Math.sin(i) * 0.5), action: Float32Array.from({ length: n * len }, (_, i) => Math.cos(i) * 0.5), 'next.done': done },
      endedBy: 'signal',
    });
  }
  store.close();
  return dir;
}

/** A teleop tick: positions follow k, the supervisor's state as given. */
function tick(k: number, state: SafetyState): TickRecord {
  const n = JOINTS.length;
  const pos = Float32Array.from({ length: n }, (_, j) => 0.01 * k + 0.1 * j);
  return {
    seq: k,
    time: k / FPS,
    lateness: 0,
    observation: { time: k / FPS, seq: k, jointPosition: pos, jointVelocity: Float32Array.from({ length: n }, (_, j) => 0.3 + j), jointEffort: new Float32Array(n), extras: {} },
    input: new Float32Array(0),
    policyAction: new Float32Array(0),
    action: new Float32Array(0),
    proposed: { mode: 'position', target: Float64Array.from(pos, (p) => p + 0.25) },
    sent: { mode: 'position', target: Float64Array.from(pos, (p) => p + 0.125) },
    safetyState: state,
    events: [],
    episodeReturn: 0,
    terminated: false,
    actionAge: 0,
    inferenceS: 0,
    stageS: new Float64Array(stageNames.length),
  } as unknown as TickRecord;
}

/** A 40-tick session whose supervisor held ticks 10-12 and 30-31 (degraded), never stopped. */
const HELD_AT = [10, 11, 12, 30, 31];
const session = () => Array.from({ length: 40 }, (_, k) => tick(k, HELD_AT.includes(k) ? 'degraded' : 'running'));

const openWriter = (dir: string, fps = FPS, s: RobotSpec = spec) => DatasetWriter.open({ dir, spec: s, fps, task: TASK, scored: false, provenance: provenance({ spec: s, period: 1 / fps, source: 'test' }) });

async function writeSession(dir: string, ticks: TickRecord[]) {
  const w = await openWriter(dir);
  const loop = { records$: new Subject<TickRecord>() };
  w.attach(loop);
  for (const t of ticks) loop.records$.next(t);
  w.endEpisode({ endedBy: 'signal' });
  return { writer: w, summary: await w.close() };
}

const dataFiles = (dir: string) => readdirSync(join(dir, 'data/chunk-000')).sort().map((f) => join(dir, 'data/chunk-000', f));
const info = (dir: string) => JSON.parse(readFileSync(join(dir, 'meta/info.json'), 'utf8'));
const columnsOf = (file: string) => readTable(file).schema.fields.map((f) => f.name);

/** info.json lists exactly the columns of every data file, and the stats of exactly its features. */
function expectConsistent(dir: string): void {
  const keys = Object.keys(info(dir).features);
  for (const f of dataFiles(dir)) expect(columnsOf(f), f).toEqual(keys);
  expect(Object.keys(JSON.parse(readFileSync(join(dir, 'meta/stats.json'), 'utf8'))).sort()).toEqual([...keys].sort());
  const statCols = columnsOf(join(dir, 'meta/episodes/chunk-000/file-000.parquet')).filter((c) => c.startsWith('stats/'));
  expect([...new Set(statCols.map((c) => c.slice(6, c.lastIndexOf('/'))))].sort()).toEqual([...keys].sort());
}

describe('appending to a dataset an earlier axon wrote (no axon.held column)', () => {
  it('--dataset appends in the dataset\'s schema, counts the held ticks it could not mark, and says so once', async () => {
    const dir = await olderDataset();
    const before = info(dir);
    expect(before.features['axon.held']).toBeUndefined();

    const { writer, summary: s } = await writeSession(dir, session());
    expect(writer.leftOut).toEqual(['axon.held']);
    expect(s).toMatchObject({ appended_to: 2, episodes_written: 1, frames_received: 40, frames_written: 40, frames_dropped: 0, frames_marked_held: 0, frames_held_unmarked: 5 });
    expect(s.notes).toHaveLength(1);
    expect(s.notes[0]).toContain(dir);
    expect(s.notes[0]).toContain('"axon.held"');
    expect(s.notes[0]).toContain('5 held tick(s) written unmarked');
    expect(datasetLine(s).split('\n')).toEqual([expect.stringContaining('40 of 40 frames written'), `  note: ${s.notes[0]}`]);

    // The dataset's schema is kept: the same features, a new data file with exactly those columns.
    const after = info(dir);
    expect(after.features).toEqual(before.features);
    expect(after).toMatchObject({ total_episodes: 3, total_frames: 45 + 7 + 40, axon: { axon_version: '0.0.9' } });
    expect(dataFiles(dir).map((f) => f.slice(-16))).toEqual(['file-000.parquet', 'file-001.parquet']);
    expectConsistent(dir);
    const t = readTable(dataFiles(dir)[1]);
    expect(column(t, 'episode_index')).toEqual(Array(40).fill(2));
    expect(column(t, 'index')).toEqual(Array.from({ length: 40 }, (_, i) => 52 + i));
    expect((column(t, 'action') as number[][])[11]).toEqual(Array.from(Float32Array.from(session()[11].sent.target)));

    // A second session appends again and says so again (once); no held tick, none unmarked.
    const second = await writeSession(dir, session().map((x) => ({ ...x, safetyState: 'running' }) as TickRecord));
    expect(second.summary).toMatchObject({ appended_to: 3, frames_written: 40, frames_marked_held: 0, frames_held_unmarked: 0 });
    expect(second.summary.notes).toEqual([expect.stringContaining('0 held tick(s) written unmarked')]);
    expect(info(dir).features).toEqual(before.features);
    expectConsistent(dir);

    // What `axon dataset info` and `axon replay` read: every episode, old and new.
    const d = await readDataset(dir);
    expect(d.warnings).toEqual([]);
    const sum = datasetInfoSummary(d);
    expect(sum.episodes.map((e) => [e.index, e.length, e.file])).toEqual([
      [0, 45, 'data/chunk-000/file-000.parquet'],
      [1, 7, 'data/chunk-000/file-000.parquet'],
      [2, 40, 'data/chunk-000/file-001.parquet'],
      [3, 40, 'data/chunk-000/file-002.parquet'],
    ]);
    expect(Object.keys(sum.features)).not.toContain('axon.held');
    for (const k of [1, 2]) {
      const r = await datasetRecording(d, k);
      expect(r.ticks).toHaveLength(k === 1 ? 7 : 40);
    }
    const r2 = await datasetRecording(d, 2);
    expect(Array.from(r2.ticks[30].sent.target)).toEqual(Array.from(Float32Array.from(session()[30].sent.target)));
  });

  it('axon export lerobot of the same session appends alike: the same data file, byte for byte, and the same note', async () => {
    const older = await olderDataset();
    const viaWriter = join(mkdtempSync(join(tmpdir(), 'axon-dsold-w-')), 'ds');
    const viaExport = join(mkdtempSync(join(tmpdir(), 'axon-dsold-x-')), 'ds');
    cpSync(older, viaWriter, { recursive: true });
    cpSync(older, viaExport, { recursive: true });
    const rec = join(mkdtempSync(join(tmpdir(), 'axon-dsold-rec-')), 'teleop.mcap');
    const loop = { records$: new Subject<TickRecord>() };
    const recorder = attachRecorder(loop, { spec, period: 1 / FPS, run: { command: 'teleop', robot: spec.name } }, rec);
    for (const t of session()) loop.records$.next(t);
    await recorder.close();

    const w = await writeSession(viaWriter, session());
    const x = await exportLerobot([rec], { out: viaExport, task: TASK });
    expect(x).toMatchObject({ episodes_written: 1, frames_written: 40, appended_to: 2, frames_marked_held: 0, frames_held_unmarked: 5 });
    expect(x.notes).toEqual([w.summary.notes[0].replace(viaWriter, viaExport)]);
    expect(info(viaExport).features).toEqual(info(older).features);
    expectConsistent(viaExport);
    expect(readFileSync(dataFiles(viaExport)[1]).equals(readFileSync(dataFiles(viaWriter)[1]))).toBe(true);

    // The CLI: exit 0, the note on stderr (stdout's last line stays the JSON summary); dataset info reads it.
    const cliOut = join(mkdtempSync(join(tmpdir(), 'axon-dsold-cli-')), 'ds');
    cpSync(older, cliOut, { recursive: true });
    const e = runAxon(['export', 'lerobot', rec, '--out', cliOut, '--task', TASK, '--json'], 60_000);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.lastLine)).toMatchObject({ frames_written: 40, frames_held_unmarked: 5, frames_marked_held: 0 });
    expect(e.stderr).toContain(`axon export: note: ${cliOut} has no "axon.held" column`);
    const i = runAxon(['dataset', 'info', cliOut, '--json'], 60_000);
    expect(i.code, i.stderr).toBe(0);
    expect(JSON.parse(i.lastLine)).toMatchObject({ total_episodes: 3, total_frames: 92 });
  });

  it('other differences are still refused, naming them (not the missing axon.held)', async () => {
    const dir = await olderDataset();
    const reordered = { ...spec, joints: [...JOINTS].reverse().map((name) => ({ name })) } as unknown as RobotSpec;
    const withImu = { ...spec, sensors: { imu: true, contacts: [] } } as unknown as RobotSpec;
    const refused = async (p: Promise<unknown>) => {
      const e = await p.then(
        () => undefined,
        (x: unknown) => x as { code: string; message: string },
      );
      expect(e?.code).toBe('DATASET_MISMATCH');
      expect(e!.message).not.toContain('axon.held');
      return e!.message;
    };
    expect(await refused(openWriter(dir, FPS, reordered))).toContain('"action" names differ at 0: "gripper" in the dataset, "wrist_flex" in this run');
    expect(await refused(openWriter(dir, 50))).toContain('fps 30 in the dataset, 50 in this run');
    expect(await refused(openWriter(dir, FPS, withImu))).toContain('"observation.imu" is missing in the dataset');
    expect(info(dir)).toMatchObject({ total_episodes: 2, total_frames: 52 });

    // A dataset whose axon.held is not the bool axon writes is a mismatch, not a column to leave out.
    const odd = join(mkdtempSync(join(tmpdir(), 'axon-dsold-odd-')), 'ds');
    cpSync(dir, odd, { recursive: true });
    const j = info(odd);
    j.features['axon.held'] = { dtype: 'float32', shape: [1], names: null };
    writeFileSync(join(odd, 'meta/info.json'), JSON.stringify(j, null, 4));
    await expect(openWriter(odd)).rejects.toMatchObject({ code: 'DATASET_MISMATCH', message: expect.stringContaining('"axon.held" dtype float32 in the dataset, bool in this run') });
  });

  it('a dataset that has axon.held is appended to marked, with no note', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'axon-dsnew-')), 'ds');
    await writeSession(dir, session());
    const { writer, summary: s } = await writeSession(dir, session());
    expect(writer.leftOut).toEqual([]);
    expect(s).toMatchObject({ appended_to: 1, frames_marked_held: 5, frames_held_unmarked: 0, notes: [] });
    expect(datasetLine(s)).not.toContain('note:');
    expect(info(dir).features).toEqual(runFeats());
    expectConsistent(dir);
    for (const f of dataFiles(dir)) expect((column(readTable(f), 'axon.held') as boolean[]).flatMap((h, i) => (h ? [i] : []))).toEqual(HELD_AT);
    expect(Object.keys(datasetInfoSummary(await readDataset(dir)).features)).toContain('axon.held');
  });
});
