/**
 * A live run's dataset says how every episode ended, as a simulated one does (docs/dataset.md "How
 * an episode ended"), and `axon export lerobot` of the same run's MCAP says the same: `axon run`
 * on the emulated arm6 bus run to its end (duration), `axon teleop` between two emulated SO-101
 * buses ended by the operator's Ctrl-C (signal, with the stop's reason).
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDataset } from '../../src/dataset/index.ts';
import { runAxon } from '../helpers/cli.ts';

const axon = (...args: string[]) => runAxon(args, 180_000);

/** The episodes table's ended_by and stop_reason, from --dataset and from export of --record. */
async function ends(ds: string, rec: string, task: string, dir: string): Promise<{ live: unknown[]; exported: unknown[]; exportSummary: Record<string, unknown> }> {
  const ex = join(dir, 'ex');
  const e = axon('export', 'lerobot', rec, '--out', ex, '--task', task, '--json');
  expect(e.code, e.stderr).toBe(0);
  const rows = async (d: string) => (await readDataset(d)).episodes.map((r) => ({ length: r.length, ended_by: r['axon/ended_by'], stop_reason: r['axon/stop_reason'] }));
  return { live: await rows(ds), exported: await rows(ex), exportSummary: JSON.parse(e.lastLine) };
}

describe('a live run writes ended_by for every episode, as its MCAP export does', () => {
  it('axon run to its end: ended_by duration in --dataset and in export of --record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-dsliveend-'));
    const ds = join(dir, 'ds'), rec = join(dir, 'run.mcap'), task = 'hold the pose';
    const r = axon('run', '--config', 'hardware/robots/arm6-xm430.json', '--policy', 'models/arm6-pose', '--port', 'emu://', '--duration', '0.4', '--dataset', ds, '--task', task, '--record', rec, '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.lastLine);
    expect(s.ended_by).toBe('duration');
    expect(s.dataset).toMatchObject({ episodes_written: 1, frames_written: 20, frames_held_after_stop: 0 });
    const { live, exported } = await ends(ds, rec, task, dir);
    expect(live).toEqual([{ length: 20, ended_by: 'duration', stop_reason: null }]);
    expect(exported).toEqual(live);
  });

  it("axon teleop ended by the operator's Ctrl-C: ended_by signal with the stop's reason, in --dataset and in export", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-dsliveend-'));
    const ds = join(dir, 'ds'), rec = join(dir, 'teleop.mcap'), task = 'demo';
    const args = ['bin/axon.js', 'teleop', '--leader', 'hardware/robots/so101-leader.json', '--follower', 'hardware/robots/so101-follower.json', '--script-leader', '--duration', '60', '--dataset', ds, '--task', task, '--record', rec, '--json', '--view', '--view-port', '0'];
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
    try {
      // The viewer is attached in the loop's onLoop, just before the signal handlers are installed;
      // its line comes once it listens (the recording file is made earlier, by the pre-flight check).
      const t0 = Date.now();
      while (!stderr.includes('axon viewer: ') && p.exitCode === null && Date.now() - t0 < 60_000) await new Promise((res) => setTimeout(res, 50));
      expect(stderr).toContain('axon viewer: ');
      await new Promise((res) => setTimeout(res, 1000));
      p.kill('SIGINT');
      const code = await exited;
      expect(code, stderr).toBe(0); // an operator's stop is not a failed run
    } finally {
      if (p.exitCode === null) p.kill('SIGKILL');
    }
    const s = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(s.ended_by).toBe('signal');
    const written = s.dataset.frames_written as number;
    expect(written).toBeGreaterThan(0);
    const { live, exported, exportSummary } = await ends(ds, rec, task, dir);
    expect(live).toEqual([{ length: written, ended_by: 'signal', stop_reason: expect.stringContaining('operator interrupt (signal)') }]);
    expect(exported).toEqual(live);
    expect(exportSummary.frames_held_after_stop).toBe(s.dataset.frames_held_after_stop);
  }, 120_000);
});
