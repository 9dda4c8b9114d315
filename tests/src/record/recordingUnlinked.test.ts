/**
 * A recording whose file is removed or replaced during the run (review R30 F4: a tmp cleaner, an
 * `rm -rf runs/`): the writer thread writes to its descriptor to the end, so the summary said
 * `written: 200`, exit 0, with no file at the path. At close the descriptor's file is compared with
 * the path's: a failed recording, as a failed write is (`error`, written 0, exit 4, one line).
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordRun } from './recordRun.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-rec-unlinked-'));

/** Calls `act` once `file` exists (polled every 10 ms while `run` goes on); resolves with run's result and whether `act` ran. */
async function whenCreated<T>(file: string, act: () => void, run: Promise<T>): Promise<{ result: T; acted: boolean }> {
  let acted = false;
  const timer = setInterval(() => {
    if (!acted && existsSync(file)) {
      acted = true;
      act();
    }
  }, 10);
  try {
    return { result: await run, acted };
  } finally {
    clearInterval(timer);
  }
}

describe('a recording file removed or replaced during the run', () => {
  it('removed: the summary says so (error, nothing written, lost from the first tick)', async () => {
    const file = join(dir, 'removed.mcap');
    const { result, acted } = await whenCreated(file, () => unlinkSync(file), recordRun(file, 1, { chunkSeconds: 0.2, realtime: true }));
    expect(acted).toBe(true);
    const { summary, seen } = result;
    expect(existsSync(file)).toBe(false);
    expect(summary).toMatchObject({ file, ticks: 50, written: 0, dropped: 50, lost_from_seq: seen[0].seq, lost_from_s: 0 });
    expect(summary.error).toBe(`${file} was removed or replaced during the run (no file at that path now): none of the ticks written to it are there`);
  }, 60_000);

  it('replaced (another file renamed over its path): the same, and the other file is left alone', async () => {
    const file = join(dir, 'replaced.mcap');
    const other = join(dir, 'other.txt');
    writeFileSync(other, 'not a recording');
    const { result, acted } = await whenCreated(file, () => renameSync(other, file), recordRun(file, 1, { chunkSeconds: 0.2, realtime: true }));
    expect(acted).toBe(true);
    expect(result.summary).toMatchObject({ written: 0, dropped: 50, error: expect.stringContaining('was removed or replaced during the run (another file at that path now)') });
    expect(readFileSync(file, 'utf8')).toBe('not a recording');
  }, 60_000);

  it('axon sim --record: one line naming the path, the summary record says it, exit 4', async () => {
    const file = join(dir, 'sim.mcap');
    const child = spawn(process.execPath, ['bin/axon.js', 'sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--duration', '2', '--realtime', '--record', file, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const { result: code, acted } = await whenCreated(file, () => unlinkSync(file), exited);
    expect(acted).toBe(true);
    expect(code).toBe(4);
    const lines = stderr.trim().split('\n').filter((l) => l.includes(file));
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^axon: the recording .*sim\\.mcap failed at 0\\.000 s: .*sim\\.mcap was removed or replaced during the run \\(no file at that path now\\): none of the ticks written to it are there; 0 of \\d+ ticks are in the file$`))]);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(summary.record).toMatchObject({ written: 0, error: expect.stringContaining('removed or replaced during the run') });
    expect(summary.record.dropped).toBe(summary.record.ticks);
  }, 120_000);
});
