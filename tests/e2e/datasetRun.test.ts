import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecording } from '../../src/record/index.ts';
import { readDataset } from '../../src/dataset/index.ts';
import { readTable, column } from '../src/dataset/independentReader.ts';
import { runAxon } from '../helpers/cli.ts';

const axon = (...args: string[]) => runAxon(args, 180_000);

const arm = ['--config', 'hardware/robots/arm6-xm430.json', '--policy', 'models/arm6-pose', '--port', 'emu://'];

describe('axon run --dataset (hardware run, on the emulated bus)', () => {
  it('writes the run as one episode equal to its MCAP recording, frame by frame; a second run appends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-dsrun-'));
    const ds = join(dir, 'ds'), rec = join(dir, 'run.mcap');
    const r = axon('run', ...arm, '--duration', '1', '--dataset', ds, '--task', 'reach the pose', '--record', rec, '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.lastLine);
    // 1 s of wall time: 50 ticks, fewer if a loaded host skips slots (--duration is time, review R15 F12); a frame per tick.
    expect(s.ticks).toBeLessThanOrEqual(50);
    const n = s.ticks;
    expect(s.dataset).toMatchObject({ appended_to: 0, episodes_written: 1, frames_received: n, frames_written: n, frames_dropped: 0, errors: [] });

    const di = JSON.parse(axon('dataset', 'info', ds, '--json').lastLine);
    expect(di).toMatchObject({ total_episodes: 1, total_frames: n, fps: 50, tasks: ['reach the pose'] });
    expect(di.features.action.names).toEqual(['shoulder_pan', 'shoulder_lift', 'elbow', 'wrist_pitch', 'wrist_roll', 'gripper']);
    const d = await readDataset(ds);
    expect(d.info.axon?.model).toBe('models/arm6-pose');
    expect(d.info.axon?.source).toContain('axon run --config hardware/robots/arm6-xm430.json --port emu://');

    const t = readTable(join(ds, 'data/chunk-000/file-000.parquet'));
    const state = column(t, 'observation.state') as number[][], action = column(t, 'action') as number[][];
    const m = await readRecording(rec);
    expect(m.ticks).toHaveLength(n);
    // Equal as numbers (the MCAP's JSON keeps no -0: a servo at rest reads -0 velocity in the dataset, 0 in the recording).
    const f32 = (a: ArrayLike<number>) => Array.from(Float32Array.from(a), (x) => x + 0);
    m.ticks.forEach((tick, i) => {
      const o = tick.observation;
      expect(state[i].map((x) => x + 0)).toEqual(f32([...o.jointPosition, ...o.jointVelocity]));
      expect(action[i].map((x) => x + 0)).toEqual(f32(tick.sent.target));
    });

    const a = axon('run', ...arm, '--duration', '0.4', '--dataset', ds, '--json');
    expect(a.code, a.stderr).toBe(0);
    const a2 = JSON.parse(a.lastLine);
    expect(a2.ticks).toBeLessThanOrEqual(20);
    expect(a2.dataset).toMatchObject({ appended_to: 1, episodes_written: 1, frames_written: a2.ticks });
    const d2 = await readDataset(ds);
    expect(d2.info.total_frames).toBe(n + a2.ticks);
    expect(d2.tasks).toContain('arm6-pose (arm6-xm430)');

    // export of the run's --record without --task: --dataset's default task text, not the robot's name (review R13 F6).
    const ex = join(dir, 'ex');
    const e = axon('export', 'lerobot', rec, '--out', ex, '--json');
    expect(e.code, e.stderr).toBe(0);
    expect((await readDataset(ex)).tasks).toEqual(['arm6-pose (arm6-xm430)']);
  });
});
