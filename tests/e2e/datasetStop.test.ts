import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecording } from '../../src/record/index.ts';
import { readDataset, readEpisode } from '../../src/dataset/index.ts';
import { runAxon } from '../helpers/cli.ts';

// docs/dataset.md "How an episode ended": the dataset's action column is the policy's command only.
const axon = (...args: string[]) => runAxon(args, 180_000);
const policy = 'models/cartpole-balance';

describe('dataset episodes end at a safety stop and say how they ended', () => {
  it('a world-model safe-stop: --dataset and export of --record both end the episode before the hold, ended_by safe_stop, byte-equal tables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-dsstop-'));
    const ds = join(dir, 'ds'), rec = join(dir, 'rec.mcap'), ex = join(dir, 'ex');
    // The review's run (docs/safety.md): the monitor safe-stops the effort-mode cartpole at 1.62 s.
    const r = axon('sim', '--robot', 'cartpole', '--policy', policy, '--action-noise', '0.2', '--world-model', 'models/cartpole-wm', '--wm-mode', 'monitor', '--fault', 'motor:0.5@1', '--duration', '4', '--fast', '--json', '--dataset', ds, '--record', rec);
    expect(r.code).toBe(5);
    const s = JSON.parse(r.lastLine);
    expect(s.ended_by).toBe('safe_stop');
    const recording = await readRecording(rec);
    const stopAt = recording.ticks.findIndex((t) => t.safetyState === 'safe-stop');
    expect(stopAt).toBeGreaterThan(10);
    expect(recording.ticks[stopAt].sent.mode).toBe('position'); // the hold
    // Every tick before the stop sent the policy's effort command; those are the frames.
    expect(recording.ticks.slice(0, stopAt).every((t) => t.sent.mode === 'effort')).toBe(true);
    expect(s.dataset.frames_written).toBe(stopAt);
    expect(s.dataset.frames_held_after_stop).toBe(recording.ticks.length - stopAt);
    expect(s.dataset.frames_received).toBe(s.dataset.frames_written + s.dataset.frames_dropped + s.dataset.frames_held_after_stop);

    const e = axon('export', 'lerobot', rec, '--out', ex, '--json');
    expect(e.code).toBe(0);
    const es = JSON.parse(e.lastLine);
    expect(es.frames_written).toBe(stopAt);
    expect(es.frames_held_after_stop).toBe(recording.ticks.length - stopAt);
    for (const f of ['data/chunk-000/file-000.parquet', 'meta/episodes/chunk-000/file-000.parquet', 'meta/tasks.parquet'])
      expect(readFileSync(join(ex, f)).equals(readFileSync(join(ds, f))), f).toBe(true);

    for (const dirOut of [ds, ex]) {
      const d = await readDataset(dirOut);
      expect(d.episodes).toHaveLength(1);
      const row = d.episodes[0];
      expect(row.length).toBe(stopAt);
      expect(row['axon/ended_by']).toBe('safe_stop');
      expect(row['axon/stop_reason']).toContain('world model');
      const { frames } = await readEpisode(d, 0);
      expect(frames).toHaveLength(stopAt);
      // Every action is the sent effort (the unactuated hinge's is 0), never the hold's positions.
      frames.forEach((f, i) => {
        const a = f.action as number[];
        expect(a[0]).toBeCloseTo(recording.ticks[i].sent.target[0], 4);
        expect(a[1]).toBe(0);
      });
      expect(frames[stopAt - 1]['next.done']).toBe(true);
    }
  });

  it('the default task text (no --task) is the same from --dataset and from export of the same sim run: tasks and episodes tables byte-equal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-dstask-'));
    const ds = join(dir, 'ds'), rec = join(dir, 'rec.mcap'), ex = join(dir, 'ex');
    expect(axon('sim', '--robot', 'cartpole', '--policy', policy, '--duration', '0.5', '--fast', '--json', '--dataset', ds, '--record', rec).code).toBe(0);
    expect(axon('export', 'lerobot', rec, '--out', ex, '--json').code).toBe(0);
    for (const f of ['meta/tasks.parquet', 'meta/episodes/chunk-000/file-000.parquet', 'data/chunk-000/file-000.parquet'])
      expect(readFileSync(join(ex, f)).equals(readFileSync(join(ds, f))), f).toBe(true);
    const [a, b] = [await readDataset(ds), await readDataset(ex)];
    expect(a.tasks).toEqual(['cartpole-balance (cartpole)']);
    expect(b.tasks).toEqual(a.tasks);
    expect(a.episodes[0]['axon/ended_by']).toBe('duration');
  });

  it('eval: the same default task text and ended_by from --dataset and from export of its episode MCAP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-dsevtask-'));
    const ds = join(dir, 'ds'), rec = join(dir, 'rec'), ex = join(dir, 'ex');
    expect(axon('eval', '--robot', 'cartpole', '--policy', policy, '--episodes', '1', '--duration', '0.5', '--json', '--dataset', ds, '--record', rec).code).toBe(0);
    const mcap = join(rec, readdirSync(rec).find((f) => f.endsWith('.mcap'))!);
    expect(axon('export', 'lerobot', mcap, '--out', ex, '--json').code).toBe(0);
    expect(readFileSync(join(ex, 'meta/tasks.parquet')).equals(readFileSync(join(ds, 'meta/tasks.parquet')))).toBe(true);
    const [a, b] = [await readDataset(ds), await readDataset(ex)];
    expect(a.tasks).toEqual(['cartpole-balance (cartpole)']);
    expect(b.tasks).toEqual(a.tasks);
    expect(a.episodes[0]['axon/ended_by']).toBe('duration');
    expect(b.episodes[0]['axon/ended_by']).toBe('duration');
  });

  it('a signal-ended sim episode is ended_by signal (its export too); an MCAP cut before its footer exports as truncated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-dssig-'));
    const ds = join(dir, 'ds'), rec = join(dir, 'rec.mcap'), ex = join(dir, 'ex'), cut = join(dir, 'cut.mcap'), exCut = join(dir, 'excut');
    const child = spawn(process.execPath, ['bin/axon.js', 'sim', '--robot', 'cartpole', '--policy', policy, '--duration', '30', '--dataset', ds, '--record', rec, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    // Real time: wait until the recording has grown (the loop runs), then Ctrl-C.
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        if (statSync(rec).size > 20_000) break;
      } catch {
        /* not created yet */
      }
    }
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
    const s = JSON.parse(out.trim().split('\n').pop()!);
    expect(s.ended_by).toBe('signal');
    const d = await readDataset(ds);
    expect(d.episodes[0]['axon/ended_by']).toBe('signal');
    expect(d.episodes[0]['axon/stop_reason']).toBeNull();

    expect(axon('export', 'lerobot', rec, '--out', ex, '--json').code).toBe(0);
    expect((await readDataset(ex)).episodes[0]['axon/ended_by']).toBe('signal');

    // The same recording cut short (a killed run): truncated.
    const b = readFileSync(rec);
    writeFileSync(cut, b.subarray(0, Math.floor(b.length * 0.6)));
    const c = axon('export', 'lerobot', cut, '--out', exCut, '--json');
    expect(c.code).toBe(0);
    const dc = await readDataset(exCut);
    expect(dc.episodes[0]['axon/ended_by']).toBe('truncated');
  });
});
