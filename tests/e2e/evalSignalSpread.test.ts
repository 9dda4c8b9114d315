/**
 * `axon eval --workers N` and `--shard K/N --out FILE` ended by SIGINT/SIGTERM (docs/eval.md,
 * "Ending an eval early"). Before, both died of the signal (no exit code, no summary, no --out
 * file); now --workers prints the summary of the episodes that ran to their end and exits 0 as a
 * local eval does, and --shard writes its file whole, marked interrupted, which `eval merge` refuses.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAxon } from '../helpers/cli.ts';

const base = ['eval', '--robot', 'cartpole', '--policy', 'models/cartpole-balance'];

/**
 * Starts `axon ARGS` (text output), waits for its first line (the signal handlers are installed by
 * then: on a loaded machine startup alone can take seconds) and `afterMs` more, sends `sig` `times`
 * times `gapMs` apart; resolves with how it ended.
 */
async function signalled(args: string[], afterMs: number, sig: NodeJS.Signals, times = 1, gapMs = 0) {
  const child = spawn(process.execPath, ['bin/axon.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('close', (code, signal) => r({ code, signal })));
  for (let i = 0; i < 1200 && !out.includes('Ctrl-C to stop'); i++) await sleep(50);
  if (!out.includes('Ctrl-C to stop')) {
    child.kill('SIGKILL'); // not left running after the test
    expect(out, err).toContain('Ctrl-C to stop');
  }
  await sleep(afterMs);
  for (let i = 0; i < times; i++) {
    if (i > 0) await sleep(gapMs);
    child.kill(sig);
  }
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000); // a hang fails the test, not the suite
  const end = await exited;
  clearTimeout(killer);
  return { ...end, out, err };
}

describe('axon eval --workers / --shard ended by a signal', () => {
  it('--workers: the threads stop their episodes, the summary of the episodes done is printed, exit 0', async () => {
    // 3000 s episodes (150000 ticks, seconds each): the signal lands while both threads are mid-episode.
    const r = await signalled([...base, '--episodes', '4', '--duration', '3000', '--workers', '2'], 6000, 'SIGTERM');
    expect({ code: r.code, signal: r.signal }, r.err).toEqual({ code: 0, signal: null });
    const m = /interrupted by SIGTERM: (\d) of 4 episodes ran to their end and are scored(; episodes? ([\d, ]+) stopped, not scored)?\n/.exec(r.out);
    expect(m, r.out).not.toBeNull();
    const done = Number(m![1]);
    const stopped = m![3] === undefined ? [] : m![3].split(', ').map(Number);
    expect(done + stopped.length).toBeLessThanOrEqual(4);
    if (done > 0) expect(r.out).toMatch(/success rate [\d.]+, mean return [\d.]+, mean steps 150000\n/);
    expect(r.out).not.toContain('NaN');
  }, 120_000);

  it('--workers: a second signal kills the process at once', async () => {
    // 100 physics steps a tick: the threads take a while to reach their stop after the first signal.
    const r = await signalled([...base, '--episodes', '4', '--duration', '600', '--physics-hz', '5000', '--workers', '2'], 3000, 'SIGINT', 2, 30);
    expect({ code: r.code, signal: r.signal }).toEqual({ code: null, signal: 'SIGINT' });
  }, 120_000);

  it('--shard: the file is written whole and marked interrupted, exit 143; eval merge refuses it naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-shardsig-'));
    const out = join(dir, 'shard-1.json');
    // Shard 1/2 of 6 is episodes 1, 3, 5 of 3000 s (150000 ticks, seconds) each.
    const r = await signalled([...base, '--episodes', '6', '--duration', '3000', '--shard', '1/2', '--out', out], 2000, 'SIGTERM');
    expect({ code: r.code, signal: r.signal }, r.err).toEqual({ code: 143, signal: null });
    const m = /shard 1\/2 interrupted by SIGTERM: (\d) of its 3 episodes written to (.*), marked interrupted/.exec(r.out);
    expect(m, r.out).not.toBeNull();
    expect(m![2]).toBe(out);
    const line = { episodes_completed: Number(m![1]) };
    expect(line.episodes_completed).toBeLessThan(3);
    expect(readdirSync(dir)).toEqual(['shard-1.json']); // no temporary file left beside it
    const file = JSON.parse(readFileSync(out, 'utf8'));
    expect(file.interrupted).toMatchObject({ signal: 'SIGTERM', episodes: 3, episodes_completed: line.episodes_completed });
    expect(file.outcomes).toHaveLength(line.episodes_completed);

    const merged = runAxon(['eval', 'merge', out]);
    expect(merged.code).toBe(2);
    expect(merged.stderr).toContain(`${out} is shard 1/2 interrupted by SIGTERM after ${line.episodes_completed} of its 3 episodes`);
    expect(existsSync(out)).toBe(true);
  }, 120_000);
});
