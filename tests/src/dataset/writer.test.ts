import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { mkdtempSync, readFileSync, writeFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetWriter, DatasetStore, readDataset, provenance, runFeatures, featureSource } from '../../../src/dataset/index.ts';
import type { TickRecord } from '../../../src/loop/TickRecord.ts';
import type { RobotSpec } from '../../../src/core/robot.ts';
import { readTable, column } from './independentReader.ts';

const spec = {
  name: 'twojoint',
  joints: [{ name: 'a' }, { name: 'b' }],
  sensors: { imu: false, contacts: [] },
  controlModes: ['position'],
} as unknown as RobotSpec;

function ticks(n: number, offset = 0): TickRecord[] {
  return Array.from({ length: n }, (_, k) => ({
    seq: k,
    observation: { jointPosition: Float32Array.of(k + offset, -k), jointVelocity: Float32Array.of(0.5 * k, 1), extras: {} },
    sent: { mode: 'position', target: Float64Array.of(k / 10, offset) },
    episodeReturn: k + 1,
    events: [],
  })) as unknown as TickRecord[];
}

function open(dir: string, o: { slowMs?: number; maxPendingFrames?: number; spec?: RobotSpec } = {}) {
  const s = o.spec ?? spec;
  return DatasetWriter.open({ dir, spec: s, fps: 50, task: 'test', scored: true, provenance: provenance({ spec: s, period: 0.02, source: 'test' }), ...o });
}

describe('DatasetWriter: episodes off the tick, counted', () => {
  it('writes what the ticks carried; received = written; appends; refuses a mismatch naming it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'axon-dsw-')), 'ds');
    const w = await open(dir);
    for (const [len, off] of [[30, 0], [20, 100]] as const) {
      const loop = { records$: new Subject<TickRecord>() };
      w.attach(loop);
      for (const t of ticks(len, off)) loop.records$.next(t);
      w.endEpisode({ success: off === 0, seed: 7 + off });
    }
    const s = await w.close();
    expect(s).toMatchObject({ episodes_written: 2, frames_received: 50, frames_written: 50, frames_dropped: 0, episodes_dropped: 0 });
    const t = readTable(join(dir, 'data/chunk-000/file-000.parquet'));
    expect((column(t, 'observation.state') as number[][])[31]).toEqual([101, -1, 0.5, 1]);
    expect((column(t, 'action') as number[][])[31]).toEqual([Math.fround(0.1), 100]);
    // Frame t's next.reward is the reward of tick t+1 (its action's result); an episode's last frame has none observed: 0.
    expect(column(t, 'next.reward')).toEqual([...Array(29).fill(1), 0, ...Array(19).fill(1), 0]);
    expect(column(t, 'next.success').filter(Boolean)).toHaveLength(1);
    const d = await readDataset(dir);
    expect(d.episodes.map((e) => [e.length, e['axon/seed'], e['axon/success']])).toEqual([[30, 7, true], [20, 107, false]]);

    const w2 = await open(dir);
    expect(w2.appendedTo).toBe(2);
    await w2.close();
    const other = { ...spec, joints: [{ name: 'a' }, { name: 'c' }], sensors: { imu: true, contacts: [] } } as unknown as RobotSpec;
    await expect(open(dir, { spec: other })).rejects.toMatchObject({
      code: 'DATASET_MISMATCH',
      message: expect.stringContaining('"observation.imu" is missing in the dataset'),
    });
    await expect(open(dir, { spec: other })).rejects.toThrow(/"action" names differ at 1: "b" in the dataset, "c" in this run/);
  });

  it('a writer slower than the loop reports its drops instead of hiding them (whole episodes, never gaps)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'axon-dsslow-')), 'ds');
    const w = await open(dir, { slowMs: 300, maxPendingFrames: 150 });
    const t0 = performance.now();
    let worstTickMs = 0;
    for (let e = 0; e < 6; e++) {
      const loop = { records$: new Subject<TickRecord>() };
      w.attach(loop);
      for (const t of ticks(60)) {
        const a = performance.now();
        loop.records$.next(t);
        worstTickMs = Math.max(worstTickMs, performance.now() - a);
      }
      w.endEpisode({ seed: e });
    }
    const handOverMs = performance.now() - t0;
    const s = await w.close();
    expect(s.frames_received).toBe(360);
    expect(s.frames_dropped).toBeGreaterThan(0);
    expect(s.frames_written + s.frames_dropped).toBe(s.frames_received);
    expect(s.frames_dropped % 60).toBe(0);
    expect(s.episodes_written + s.episodes_dropped).toBe(6);
    // The loop's side never waited for the slow writer.
    expect(handOverMs).toBeLessThan(300);
    expect(worstTickMs).toBeLessThan(20);
    const d = await readDataset(dir);
    expect(d.info.total_frames).toBe(s.frames_written);
    expect(d.episodes.every((e) => e.length === 60)).toBe(true);
  });

  it('a save interrupted between the row group and the commit is undone by the next open', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'axon-dsj-')), 'ds');
    const features = runFeatures(featureSource(spec, true));
    const o = { robotType: 'twojoint', fps: 50, features, provenance: provenance({ spec, period: 0.02, source: 'test' }) };
    const store = await DatasetStore.open(dir, o);
    const ep = (n: number) => ({ length: n, task: 't', columns: { 'observation.state': new Float32Array(4 * n).fill(1), action: new Float32Array(2 * n), 'next.reward': new Float32Array(n), 'next.done': new Uint8Array(n), 'next.success': new Uint8Array(n), 'axon.held': new Uint8Array(n) } });
    store.writeEpisode(ep(10));
    const data = join(dir, 'data/chunk-000/file-000.parquet');
    const info = readFileSync(join(dir, 'meta/info.json'));
    const sizeAfterOne = statSync(data).size;
    const undo = undoFromFile(data); // what the second save's journal holds
    store.writeEpisode(ep(5));
    store.close();
    // Simulate a kill after the row group was written but before info.json committed it:
    // put back the one-episode info.json and the journal the second save wrote first.
    writeFileSync(join(dir, 'meta/info.json'), info);
    expect(readTable(data).numRows).toBe(15); // the file as the killed save left it
    // As the writer writes it: the data file relative to the dataset folder, so that a repair
    // works from any working directory (this process's is not the folder's parent).
    const journal = { episodesBefore: 1, dataFile: 'data/chunk-000/file-000.parquet', undo };
    writeFileSync(join(dir, '.axon-journal.json'), JSON.stringify(journal));
    const before = await readDataset(dir);
    expect(before.warnings[0]).toContain('save was interrupted');
    expect(before.problems.join('\n')).toMatch(/was being saved[^]*footer counts 15 rows, the committed episodes in it 10/);
    const again = await DatasetStore.open(dir, o);
    again.close();
    expect(existsSync(join(dir, '.axon-journal.json'))).toBe(false);
    expect(statSync(data).size).toBe(sizeAfterOne);
    expect(readTable(data).numRows).toBe(10);
    expect((await readDataset(dir)).episodes).toHaveLength(1);
    expect(readTable(join(dir, 'meta/episodes/chunk-000/file-000.parquet')).numRows).toBe(1);
  });
});

/** Where a whole parquet file's footer begins and its bytes (metadata, 4-byte length, PAR1). */
function undoFromFile(file: string) {
  const b = readFileSync(file);
  const at = b.length - 8 - b.readUInt32LE(b.length - 8);
  return { at, footer: Buffer.from(b.subarray(at)).toString('base64') };
}

describe('DatasetWriter: an operator reset ends the episode', () => {
  it('a re-arm after an e-stop splits the run into episodes (the ticks while stopped are held, not frames: the first ends before the stop, ended_by safe_stop); the first arm does not', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'axon-dssplit-')), 'ds');
    const w = await open(dir);
    const loop = { records$: new Subject<TickRecord>() };
    const safety = { armCount: 0 };
    w.attach(loop, { splitAt: safety });
    const all = ticks(100);
    all.forEach((t, k) => {
      if (k === 2) safety.armCount = 1; // the first arm (soft start): no split
      const state = k >= 40 && k < 60 ? 'e-stopped' : 'running';
      if (k === 60) safety.armCount = 2; // the operator re-arms: tick 60 starts episode 1
      loop.records$.next({ ...t, safetyState: state } as TickRecord);
    });
    w.endEpisode({ seed: 3 });
    const s = await w.close();
    expect(s).toMatchObject({ episodes_written: 2, episodes_split_at_reset: 1, frames_received: 100, frames_written: 80, frames_dropped: 0, frames_held_after_stop: 20 });
    const d = await readDataset(dir);
    expect(d.episodes.map((e) => [e.length, e.dataset_from_index, e['axon/seed'], e['axon/ended_by']])).toEqual([[40, 0, null, 'safe_stop'], [40, 40, 3, null]]);
    const t = readTable(join(dir, 'data/chunk-000/file-000.parquet'));
    expect((column(t, 'observation.state') as number[][])[40][0]).toBe(60); // the re-armed tick
    expect(column(t, 'frame_index').slice(38, 42)).toEqual([38, 39, 0, 1]);
    expect(column(t, 'episode_index').slice(38, 42)).toEqual([0, 0, 1, 1]);
    expect((column(t, 'next.done') as boolean[]).map((x, i) => (x ? i : -1)).filter((i) => i >= 0)).toEqual([39, 79]);
  });
});
