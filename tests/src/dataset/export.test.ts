import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecording } from '../../../src/record/index.ts';
import { exportLerobot, wholeHz } from '../../../src/dataset/exportLerobot.ts';
import { recordRun } from '../record/recordRun.ts';
import { readTable, column, fieldTypes } from './independentReader.ts';

/** The keys LeRobot's create_empty_dataset_info writes (datasets/utils.py, v3.0). */
const LEROBOT_INFO_KEYS = ['codebase_version', 'robot_type', 'total_episodes', 'total_frames', 'total_tasks', 'chunks_size', 'data_files_size_in_mb', 'video_files_size_in_mb', 'fps', 'splits', 'data_path', 'video_path', 'features'];

describe('axon export lerobot: MCAP recordings to a LeRobotDataset v3.0', () => {
  it('writes info, stats, tasks, episodes and data that an independent parquet reader reads back equal to the recording', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-export-'));
    const a = join(dir, 'a.mcap'), b = join(dir, 'b.mcap');
    await recordRun(a, 1);
    await recordRun(b, 0.6);
    const out = join(dir, 'ds');
    const s = await exportLerobot([a, b], { out, task: 'balance the pole' });
    const ra = await readRecording(a), rb = await readRecording(b);
    const total = ra.ticks.length + rb.ticks.length;
    expect(s).toMatchObject({ episodes_written: 2, frames_received: total, frames_written: total, frames_dropped: 0, fps: 50 });

    const info = JSON.parse(readFileSync(join(out, 'meta/info.json'), 'utf8'));
    for (const k of LEROBOT_INFO_KEYS) expect(info, k).toHaveProperty(k);
    expect(info).toMatchObject({ codebase_version: 'v3.0', robot_type: 'cartpole', fps: 50, total_episodes: 2, total_frames: total, total_tasks: 1, chunks_size: 1000, data_files_size_in_mb: 100 });
    expect(info.data_path).toBe('data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet');
    expect(info.features['observation.state']).toEqual({ dtype: 'float32', shape: [4], names: ['slider.pos', 'hinge.pos', 'slider.vel', 'hinge.vel'] });
    expect(info.features.action).toEqual({ dtype: 'float32', shape: [2], names: ['slider', 'hinge'] });
    for (const k of ['timestamp', 'frame_index', 'episode_index', 'index', 'task_index']) expect(info.features[k].shape).toEqual([1]);
    expect(info.axon.robot_spec_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(info.axon.model_manifest_sha256).toMatch(/^[0-9a-f]{64}$/);

    // Data: real list<float> columns, read by parquet-wasm (arrow-rs), frame by frame against the MCAP.
    const data = readTable(join(out, 'data/chunk-000/file-000.parquet'));
    expect(fieldTypes(data)).toEqual(expect.arrayContaining(['observation.state:List<Float32>', 'action:List<Float32>', 'timestamp:Float32', 'index:Int64', 'next.done:Bool']));
    expect(data.numRows).toBe(total);
    const state = column(data, 'observation.state') as number[][];
    const action = column(data, 'action') as number[][];
    const ep = column(data, 'episode_index'), fi = column(data, 'frame_index'), idx = column(data, 'index'), ts = column(data, 'timestamp') as number[];
    const done = column(data, 'next.done'), reward = column(data, 'next.reward') as number[];
    const ticks = [...ra.ticks, ...rb.ticks];
    ticks.forEach((t, i) => {
      const first = i < ra.ticks.length;
      const k = first ? i : i - ra.ticks.length;
      const o = t.observation;
      expect(state[i]).toEqual(Array.from(Float32Array.from([...o.jointPosition, ...o.jointVelocity])));
      expect(action[i]).toEqual(Array.from(Float32Array.from(t.sent.target)));
      expect([ep[i], fi[i], idx[i]]).toEqual([first ? 0 : 1, k, i]);
      expect(ts[i]).toBeCloseTo(k / 50, 6);
      // next.reward: the reward of the tick after (its action's result); the last frame's result was never observed (docs/dataset.md "Reward and done").
      const lastOfEpisode = k === (first ? ra.ticks.length : rb.ticks.length) - 1;
      expect(reward[i]).toBe(lastOfEpisode ? 0 : Math.fround(ticks[i + 1].episodeReturn - t.episodeReturn));
      expect(done[i]).toBe(k === (first ? ra.ticks.length : rb.ticks.length) - 1);
    });

    // Episodes table and tasks table, read by the independent reader.
    const eps = readTable(join(out, 'meta/episodes/chunk-000/file-000.parquet'));
    expect(column(eps, 'episode_index')).toEqual([0, 1]);
    expect(column(eps, 'length')).toEqual([ra.ticks.length, rb.ticks.length]);
    expect(column(eps, 'dataset_from_index')).toEqual([0, ra.ticks.length]);
    expect(column(eps, 'dataset_to_index')).toEqual([ra.ticks.length, total]);
    expect(column(eps, 'tasks')).toEqual([['balance the pole'], ['balance the pole']]);
    expect(column(eps, 'data/file_index')).toEqual([0, 0]);
    const tasks = readTable(join(out, 'meta/tasks.parquet'));
    expect(column(tasks, 'task')).toEqual(['balance the pole']);
    expect(column(tasks, 'task_index')).toEqual([0]);
    expect(JSON.parse(tasks.schema.metadata.get('pandas')!).index_columns).toEqual(['task']);

    // stats.json equals a recomputation over all frames (min, max, mean, std) read independently.
    const stats = JSON.parse(readFileSync(join(out, 'meta/stats.json'), 'utf8'));
    for (let d = 0; d < 4; d++) {
      const xs = state.map((r) => r[d]);
      const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
      const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
      expect(stats['observation.state'].min[d]).toBe(Math.min(...xs));
      expect(stats['observation.state'].max[d]).toBe(Math.max(...xs));
      expect(stats['observation.state'].mean[d]).toBeCloseTo(mean, 9);
      expect(stats['observation.state'].std[d]).toBeCloseTo(std, 9);
    }
    expect(stats['observation.state'].count).toEqual([total]);
    for (const q of ['q01', 'q10', 'q50', 'q90', 'q99']) expect(stats.action[q]).toHaveLength(2);
    expect(existsSync(join(out, '.axon-journal.json'))).toBe(false);
  });

  it('a bad recording among several refuses the export with nothing written (a rerun must not append the good one twice); one named twice is exported once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-export-atomic-'));
    const a = join(dir, 'a.mcap'), bad = join(dir, 'notes.mcap');
    await recordRun(a, 0.4);
    writeFileSync(bad, 'not an MCAP file, e.g. a text file saved with the wrong name');
    const out = join(dir, 'ds');
    await expect(exportLerobot([a, bad], { out })).rejects.toMatchObject({ code: 'RECORD_READ' });
    expect(existsSync(join(out, 'meta/info.json'))).toBe(false); // before: a's episode was committed
    const twice = await exportLerobot([a, join(dir, '.', 'a.mcap')], { out });
    expect(twice).toMatchObject({ recordings: 1, episodes_written: 1 });
    expect(twice.warnings).toContain('1 recording(s) named more than once: each exported once');
  });

  it('writes a whole-number fps for a recorded rate that floating point left a hair off (1 / (1 / 49) is 49.00000000000001)', () => {
    expect(1 / (1 / 49)).not.toBe(49);
    const off = Array.from({ length: 1000 }, (_, i) => i + 1).filter((hz) => wholeHz(1 / (1 / hz)) !== hz);
    expect(off).toEqual([]);
    expect(wholeHz(33.3)).toBe(33.3);
  });
});
