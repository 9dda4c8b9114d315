import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecording } from '../../src/record/index.ts';
import { readDataset } from '../../src/dataset/index.ts';
import { readTable, column } from '../src/dataset/independentReader.ts';
import { runAxon } from '../helpers/cli.ts';

const axon = (...args: string[]) => runAxon(args, 180_000);

const arms = ['--leader', 'hardware/robots/so101-leader.json', '--follower', 'hardware/robots/so101-follower.json', '--script-leader'];

describe('axon teleop --dataset (demonstrations between two emulated SO-101 buses)', () => {
  it('writes the session as one episode equal to its MCAP recording, frame by frame; appends a second; refuses another rate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-dsteleop-'));
    const ds = join(dir, 'ds'), rec = join(dir, 'teleop.mcap');
    const r = axon('teleop', ...arms, '--duration', '2', '--dataset', ds, '--task', 'pick up the cube', '--record', rec, '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.lastLine);
    // 2 s of wall time: 200 ticks, fewer if a loaded host skips slots (--duration is time, review R15 F12); a frame per tick.
    expect(s.ticks).toBeLessThanOrEqual(200);
    expect(s.duration_s).toBeGreaterThanOrEqual(2);
    const n = s.ticks;
    expect(s.dataset).toMatchObject({ appended_to: 0, episodes_written: 1, episodes_dropped: 0, frames_received: n, frames_written: n, frames_dropped: 0, errors: [] });

    const info = axon('dataset', 'info', ds, '--json');
    expect(info.code, info.stderr).toBe(0);
    const di = JSON.parse(info.lastLine);
    expect(di).toMatchObject({ total_episodes: 1, total_frames: n, fps: 100, tasks: ['pick up the cube'] });
    const joints = ['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper'];
    expect(di.features['observation.state'].names).toEqual([...joints.map((j) => `${j}.pos`), ...joints.map((j) => `${j}.vel`)]);
    expect(di.features.action.names).toEqual(joints);
    expect(di.features['next.reward']).toBeUndefined(); // no task scores a teleoperation
    expect(axon('dataset', 'info', ds).stdout).toContain(`1 episodes, ${n} frames at 100 fps`);

    // The independent parquet reader against the MCAP recording of the same session.
    const t = readTable(join(ds, 'data/chunk-000/file-000.parquet'));
    const state = column(t, 'observation.state') as number[][], action = column(t, 'action') as number[][];
    const m = await readRecording(rec);
    expect(m.ticks).toHaveLength(n);
    m.ticks.forEach((tick, i) => {
      const o = tick.observation;
      expect(state[i]).toEqual(Array.from(Float32Array.from([...o.jointPosition, ...o.jointVelocity])));
      expect(action[i]).toEqual(Array.from(Float32Array.from(tick.sent.target)));
    });
    expect(column(t, 'index')).toEqual(Array.from({ length: n }, (_, k) => k));
    expect(column(t, 'next.done')).toEqual(Array.from({ length: n }, (_, k) => k === n - 1));
    // The arm moved: the demonstration is not a still pose.
    const pan = state.map((x) => x[0]);
    expect(Math.max(...pan) - Math.min(...pan)).toBeGreaterThan(0.3);

    // A second session appends an episode; one at another rate is refused before the arms move.
    const a = axon('teleop', ...arms, '--duration', '0.5', '--dataset', ds, '--task', 'put it back', '--json');
    expect(a.code, a.stderr).toBe(0);
    const a2 = JSON.parse(a.lastLine);
    expect(a2.ticks).toBeLessThanOrEqual(50);
    expect(a2.dataset).toMatchObject({ appended_to: 1, episodes_written: 1, frames_written: a2.ticks, frames_dropped: 0 });
    const d = await readDataset(ds);
    expect(d.info.total_episodes).toBe(2);
    expect(d.info.total_frames).toBe(n + a2.ticks);
    expect(column(readTable(join(ds, 'meta/tasks.parquet')), 'task_index')).toEqual([0, 1]);
    const bad = axon('teleop', ...arms, '--duration', '0.5', '--hz', '50', '--dataset', ds);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('DATASET_MISMATCH');
  });
});
