/**
 * A recording whose disk fills up mid-run (review R12 F6): the first failed write is reported at
 * once, off the tick, while the run goes on; close() still resolves, with the failure in its
 * summary (error, lost_from_s, written = the ticks in the file), so that the run's summary is
 * printed. The old recorder kept the error until close() and then rejected (RECORD_WRITE).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecording } from '../../../src/record/index.ts';
import type { RecordingFailure } from '../../../src/record/index.ts';
import { recordRun } from './recordRun.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-rec-fail-'));

describe('a recording that fails mid-run', () => {
  // A warm writer thread (its start-up, about 0.6 s of CPU, is not what this test is about).
  beforeAll(async () => {
    await recordRun(join(dir, 'warm.mcap'), 0.2, { chunkSeconds: 0.1 });
  });

  it('is reported during the run with the OS error and the first lost tick; close() resolves with the loss, the file keeps the ticks before it', async () => {
    const file = join(dir, 'full.mcap');
    const failures: (RecordingFailure & { seenTicks: number })[] = [];
    // 3 s at 50 Hz in real time, chunks of 0.1 s; the disk fills after 8 KB (a chunk or two in, about 0.3 s).
    const { summary, seen } = await recordRun(file, 3, { chunkSeconds: 0.1, realtime: true, testFailAfterBytes: 8_000, failures });
    expect(seen.length).toBe(150);
    expect(failures).toHaveLength(1);
    const f = failures[0];
    expect(f).toMatchObject({ file, error: expect.stringMatching(/^ENOSPC: no space left on device/) });
    // Reported while the loop still ran, not at close.
    expect(f.seenTicks).toBeLessThan(150);
    expect(f.lostFromS).toBeGreaterThan(0);
    expect(summary).toMatchObject({ file, ticks: 150, received: 150, error: expect.stringMatching(/ENOSPC/), lost_from_s: f.lostFromS, lost_from_seq: f.lostFromSeq });
    expect(summary.written).toBeGreaterThan(0);
    expect(summary.dropped).toBe(150 - summary.written);
    // The file holds exactly the ticks written before the first lost one (no footer).
    const r = await readRecording(file);
    expect(r.truncated).toBe(true);
    expect(r.ticks).toHaveLength(summary.written);
    expect(r.ticks.map((t) => t.seq)).toEqual(seen.slice(0, summary.written).map((s) => s.seq));
    expect(seen[summary.written].seq).toBe(f.lostFromSeq);
  });

  it('/dev/full (every write fails): close() resolves with the error and no tick written, lost from the first tick', async () => {
    const failures: (RecordingFailure & { seenTicks: number })[] = [];
    const { summary, seen } = await recordRun('/dev/full', 1, { chunkSeconds: 0.2, failures });
    expect(failures).toHaveLength(1);
    expect(summary).toMatchObject({ file: '/dev/full', ticks: 50, written: 0, dropped: 50, error: expect.stringMatching(/ENOSPC/), lost_from_seq: seen[0].seq });
  });
});
