/**
 * `axon eval --record DIR` whose writes fail mid-eval (a full disk) says so as `run` and `sim` do
 * (docs/cli.md, "A recording that fails mid-run"): one line on stderr at once naming the file and
 * the OS error, the eval goes on (the next episode gets its own file), the summary's `record`
 * carries `error` and `failed` (with `lost_from_s`), and the exit is 4 whatever --allow-drops says.
 * Before, the eval printed nothing at once and its summary had no word of the error. The full disk
 * is /dev/full, linked as episode 1's file (every write to it fails with ENOSPC).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAxon } from '../helpers/cli.ts';
import { episodeSeed } from '../../src/session/index.ts';

describe('axon eval --record: a recording that fails mid-eval', () => {
  it('is said at once on stderr, kept in the summary (error, lost_from_s) and exits 4 even with --allow-drops', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-evalrecfail-'));
    const seed = 7;
    const name = (k: number) => `episode-${String(k).padStart(4, '0')}-seed-${episodeSeed(seed, k)}.mcap`;
    symlinkSync('/dev/full', join(dir, name(1)));
    const r = runAxon(['eval', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--episodes', '3', '--duration', '1', '--seed', String(seed), '--record', dir, '--allow-drops', '--json'], 180_000);
    expect(r.code, r.stderr).toBe(4);
    const lines = r.stderr.trim().split('\n');
    // One line for the failed file (at once), one at the end; nothing else.
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^axon: recording ${join(dir, name(1)).replace(/[.]/g, '\\.')} \\(episode 1\\) failed from \\d+\\.\\d{3} s \\(tick \\d+\\): ENOSPC: no space left on device, write; the eval goes on, that episode unrecorded from there$`));
    expect(lines[1]).toMatch(/^axon: 1 of 3 episode recordings in .* failed \(the first, episode 1: .*: ENOSPC: no space left on device, write\); 100 of 150 ticks are in the files$/);
    const s = JSON.parse(r.lastLine);
    expect(s.episodes).toBe(3);
    expect(s.record).toMatchObject({ dir, files: 3, ticks: 150, dropped: 50, error: expect.stringMatching(/ENOSPC/) });
    expect(s.record.failed).toHaveLength(1);
    expect(s.record.failed[0]).toMatchObject({ episode: 1, file: join(dir, name(1)), error: expect.stringMatching(/ENOSPC/), written: 0, dropped: 50, lost_from_s: expect.any(Number), lost_from_seq: expect.any(Number) });
    // The episodes around it were recorded in full.
    for (const k of [0, 2]) expect(existsSync(join(dir, name(k))) && statSync(join(dir, name(k))).size).toBeGreaterThan(1000);
  }, 200_000);
});
