/**
 * `axon eval --record --dataset` ended by Ctrl-C or SIGTERM as `axon sim` is (docs/eval.md, "Ending
 * an eval early"): the running episode stops, its MCAP gets its footer, its dataset episode is saved,
 * the summary of the episodes done is printed and the exit code is 0 (docs/cli.md, exit codes).
 * Before, the process died of the signal (130 / 143) with no summary and an MCAP without footer.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecording } from '../../src/record/index.ts';
import { readDataset } from '../../src/dataset/index.ts';

const policy = 'models/cartpole-balance';

async function evalEndedBy(sig: 'SIGINT' | 'SIGTERM' | 'SIGHUP') {
  const dir = mkdtempSync(join(tmpdir(), 'axon-evalsig-'));
  const ds = join(dir, 'ds'), rec = join(dir, 'rec');
  // 60 s episodes (3000 ticks): the signal lands while episode 1 or 2 is running.
  const child = spawn(process.execPath, ['bin/axon.js', 'eval', '--robot', 'cartpole', '--policy', policy, '--episodes', '20', '--duration', '60', '--record', rec, '--dataset', ds, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('close', (code, signal) => r({ code, signal })));
  const deadline = Date.now() + 120_000;
  let episodes = 0;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      episodes = JSON.parse(readFileSync(join(ds, 'meta/info.json'), 'utf8')).total_episodes;
    } catch {
      continue; // not written yet, or being renamed into place
    }
    if (episodes >= 1) break;
  }
  expect(episodes).toBeGreaterThanOrEqual(1);
  child.kill(sig);
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const { code, signal } = await exited;
  clearTimeout(killer);
  expect({ code, signal }, err).toEqual({ code: 0, signal: null });

  const s = JSON.parse(out.trim().split('\n').at(-1)!);
  expect(s).toMatchObject({ command: 'eval', episodes: 20, interrupted: sig, ended_by: 'signal' });
  expect(s.episodes_completed).toBeGreaterThanOrEqual(1);
  expect(s.episodes_completed).toBeLessThan(20);
  expect(s.mean_steps).toBe(3000); // only the episodes that ran to their end are scored

  // Every MCAP closed with its footer, one per episode started, the stopped one included.
  const files = readdirSync(rec).sort();
  expect(files.length).toBe(s.record.files);
  expect(files.length).toBe(s.episodes_completed + (s.episode_interrupted !== undefined ? 1 : 0));
  const ticks: number[] = [];
  for (const f of files) {
    const m = await readRecording(join(rec, f));
    expect(m.truncated, f).toBe(false);
    expect(m.warnings, f).toEqual([]);
    ticks.push(m.ticks.length);
  }
  for (let k = 0; k < s.episodes_completed; k++) expect(ticks[k]).toBe(3000);

  // The dataset holds every episode whole, saved before exit: no journal of a half-done save.
  expect(existsSync(join(ds, '.axon-journal.json'))).toBe(false);
  const d = await readDataset(ds);
  expect(d.info.total_episodes).toBe(files.length);
  expect(d.episodes.map((e) => e.length)).toEqual(ticks);
  expect(s.dataset).toMatchObject({ episodes_written: files.length, frames_dropped: 0 });
}

describe('axon eval ended by a signal', () => {
  it('SIGINT: exit 0, summary of the episodes done, every MCAP with its footer, the dataset whole', () => evalEndedBy('SIGINT'), 240_000);
  it('SIGTERM: the same', () => evalEndedBy('SIGTERM'), 240_000);
  it('SIGHUP (an SSH session dropping): the same, not killed by it', () => evalEndedBy('SIGHUP'), 240_000);
});
