/**
 * R27 F4: `axon export lerobot` of a recording cut before its first complete tick (a copy cut off,
 * a run killed early) exited 0 with a warning and left a dataset folder holding meta/info.json
 * alone, so `axon export ... && upload` uploaded an empty dataset. It is now EXPORT_INPUT naming the
 * file and what the reader found, before the folder is made.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportLerobot } from '../../../src/dataset/exportLerobot.ts';
import { recordRun } from '../record/recordRun.ts';

describe('export lerobot: recordings with no complete tick', () => {
  it('a recording cut to its first 2000 bytes is EXPORT_INPUT naming it, and no dataset folder is made', async () => {
    const root = mkdtempSync(join(tmpdir(), 'axon-notick-'));
    const full = join(root, 'full.mcap');
    await recordRun(full, 0.2);
    const cut = join(root, 'cut.mcap');
    writeFileSync(cut, readFileSync(full).subarray(0, 2000));
    const out = join(root, 'ds');
    const e = await exportLerobot([cut], { out }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'EXPORT_INPUT', where: cut });
    expect((e as Error).message).toContain('no complete tick in the recording: nothing to export, no dataset written');
    expect((e as Error).message).toContain('without its MCAP footer');
    expect(existsSync(out)).toBe(false);
    // With a good recording beside it the export goes ahead, the cut one a warning.
    const ok = await exportLerobot([full, cut], { out });
    expect(ok.episodes_written).toBeGreaterThan(0);
  });
});
