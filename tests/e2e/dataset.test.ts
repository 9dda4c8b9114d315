import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecording } from '../../src/record/index.ts';
import { readDataset } from '../../src/dataset/index.ts';
import { readTable, column } from '../src/dataset/independentReader.ts';
import { runAxon } from '../helpers/cli.ts';

const axon = (...args: string[]) => runAxon(args, 180_000);

const policy = 'models/cartpole-balance';

describe('axon --dataset, dataset info, replay DATASET (LeRobotDataset v3.0)', () => {
  it('eval --dataset writes one episode per eval episode equal to the MCAP of the same run; export of the MCAP gives byte-equal parquet; info and replay read it back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-ds-'));
    const ds = join(dir, 'ds'), rec = join(dir, 'rec');
    const r = axon('eval', '--robot', 'cartpole', '--policy', policy, '--episodes', '3', '--duration', '1', '--randomize', '--record', rec, '--dataset', ds, '--task', 'balance', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.lastLine);
    expect(s.dataset).toMatchObject({ episodes_written: 3, frames_received: 150, frames_written: 150, frames_dropped: 0, appended_to: 0 });

    // Frame by frame against the MCAP recordings, read by an independent parquet reader.
    const t = readTable(join(ds, 'data/chunk-000/file-000.parquet'));
    const state = column(t, 'observation.state') as number[][], action = column(t, 'action') as number[][];
    const files = readdirSync(rec).sort();
    let i = 0;
    for (const f of files) {
      const m = await readRecording(join(rec, f));
      expect(m.episode?.success).toBe(true);
      for (const tick of m.ticks) {
        const o = tick.observation;
        expect(state[i]).toEqual(Array.from(Float32Array.from([...o.jointPosition, ...o.jointVelocity])));
        expect(action[i]).toEqual(Array.from(Float32Array.from(tick.sent.target)));
        i++;
      }
    }
    expect(i).toBe(150);
    const eps = readTable(join(ds, 'meta/episodes/chunk-000/file-000.parquet'));
    expect(column(eps, 'axon/success')).toEqual([true, true, true]);
    expect(column(eps, 'axon/seed')).toEqual(files.map((f) => Number(/seed-(\d+)/.exec(f)![1])));

    // export lerobot of the same MCAP files: the same parquet, byte for byte.
    const ex = join(dir, 'ex');
    const e = axon('export', 'lerobot', rec, '--out', ex, '--task', 'balance', '--json');
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.lastLine)).toMatchObject({ episodes_written: 3, frames_written: 150 });
    expect(readFileSync(join(ex, 'data/chunk-000/file-000.parquet')).equals(readFileSync(join(ds, 'data/chunk-000/file-000.parquet')))).toBe(true);
    expect(readFileSync(join(ex, 'meta/episodes/chunk-000/file-000.parquet')).equals(readFileSync(join(ds, 'meta/episodes/chunk-000/file-000.parquet')))).toBe(true);
    expect(readFileSync(join(ex, 'meta/stats.json'), 'utf8')).toBe(readFileSync(join(ds, 'meta/stats.json'), 'utf8'));
    expect(readFileSync(join(ex, 'meta/tasks.parquet')).equals(readFileSync(join(ds, 'meta/tasks.parquet')))).toBe(true);

    // dataset info
    const info = axon('dataset', 'info', ds, '--json');
    expect(info.code, info.stderr).toBe(0);
    const di = JSON.parse(info.lastLine);
    expect(di).toMatchObject({ total_episodes: 3, total_frames: 150, fps: 50, tasks: ['balance'], successes: 3 });
    expect(di.features['observation.state'].names).toEqual(['slider.pos', 'hinge.pos', 'slider.vel', 'hinge.vel']);
    expect(axon('dataset', 'info', ds).stdout).toContain('3 episodes, 150 frames at 50 fps');

    // replay --policy: the same model on the recorded observations agrees with the recorded action (float32 rounding)
    const rp = axon('replay', ds, '--policy', policy, '--json');
    expect(rp.code, rp.stderr).toBe(0);
    const d = JSON.parse(rp.lastLine).policy_diff;
    expect(d).toMatchObject({ episodes: 3, ticks: 150 });
    expect(d.max).toBeLessThan(1e-6);
    const one = JSON.parse(axon('replay', ds, '--episode', '2', '--json').lastLine);
    expect(one).toMatchObject({ ticks: 50, dataset: { episode: 2, episodes: 3, task: 'balance', success: true } });
    expect(axon('replay', ds, '--episode', '3').stderr).toContain('DATASET_EPISODE');

    // Appending: a run with the same features adds episodes; one whose features differ is refused, naming the difference.
    const a = axon('sim', '--robot', 'cartpole', '--policy', policy, '--duration', '0.5', '--fast', '--dataset', ds, '--task', 'balance', '--json');
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(a.lastLine).dataset).toMatchObject({ appended_to: 3, episodes_written: 1, frames_written: 25 });
    const ds2 = await readDataset(ds);
    expect(ds2.info.total_episodes).toBe(4);
    expect(ds2.episodes.map((x) => x['data/file_index'])).toEqual([0, 0, 0, 1]);
    expect(column(readTable(join(ds, 'data/chunk-000/file-001.parquet')), 'index')).toEqual(Array.from({ length: 25 }, (_, k) => 150 + k));
    const bad = axon('eval', '--robot', 'humanoid', '--policy', 'models/humanoid-balance', '--episodes', '1', '--duration', '0.1', '--dataset', ds);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('DATASET_MISMATCH');
    expect(bad.stderr).toContain('"observation.imu" is missing in the dataset');
    expect(bad.stderr).toMatch(/"observation.state" shape \[4\] in the dataset, \[\d+\] in this run/);
  });

  it('a run killed (SIGKILL) mid-run leaves a dataset that opens with its whole episodes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-dskill-'));
    const ds = join(dir, 'ds');
    const child = spawn(process.execPath, ['bin/axon.js', 'eval', '--robot', 'cartpole', '--policy', policy, '--episodes', '200', '--duration', '2', '--dataset', ds], { stdio: 'ignore' });
    const infoFile = join(ds, 'meta/info.json');
    const deadline = Date.now() + 120_000;
    let episodes = 0;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        episodes = JSON.parse(readFileSync(infoFile, 'utf8')).total_episodes;
      } catch {
        continue; // not written yet, or being renamed into place
      }
      if (episodes >= 3) break;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(episodes).toBeGreaterThanOrEqual(3);
    const d = await readDataset(ds);
    const n = d.info.total_episodes;
    expect(n).toBeGreaterThanOrEqual(3);
    expect(d.episodes).toHaveLength(n);
    expect(d.episodes.every((e) => e.length === 100)).toBe(true);
    // The data file opens in the independent reader and holds every whole episode's frames in order.
    const t = readTable(join(ds, 'data/chunk-000/file-000.parquet'));
    const idx = column(t, 'index') as number[];
    expect(idx.length).toBeGreaterThanOrEqual(n * 100);
    expect(idx.slice(0, n * 100)).toEqual(Array.from({ length: n * 100 }, (_, k) => k));
    // The next writer repairs anything half-saved and appends after the whole episodes.
    const a = axon('sim', '--robot', 'cartpole', '--policy', policy, '--duration', '0.2', '--fast', '--dataset', ds, '--json');
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(a.lastLine).dataset.appended_to).toBe(n);
    expect(existsSync(join(ds, '.axon-journal.json'))).toBe(false);
    expect((await readDataset(ds)).info.total_frames).toBe(n * 100 + 10);
  });
});
