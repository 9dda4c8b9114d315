/**
 * `--record FILE` on sim, run and teleop: a path that cannot be written is refused before the run
 * (RECORD_FILE, exit 2) with the reason in words. It used to be `cannot be written (ENOENT)` for a
 * folder that does not exist, which a user reads as the file missing; the folder is not made
 * (tests/hardware/cli.test.ts refuses /nonexistent-dir/run.mcap), so the message says which.
 */
import { closeSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRecordFile } from '../../../src/record/recordFile.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-recordfile-'));

describe('openRecordFile', () => {
  it('names a missing folder', () => {
    expect(() => openRecordFile(join(dir, 'no-such', 'run.mcap'))).toThrow(
      expect.objectContaining({ code: 'RECORD_FILE', message: `${join(dir, 'no-such', 'run.mcap')}: its folder ${join(dir, 'no-such')} does not exist (expected a writable file path for --record, in a folder that exists)` }),
    );
  });

  it('names a folder given as the file, and a file on the path', () => {
    expect(() => openRecordFile(dir)).toThrow(expect.objectContaining({ code: 'RECORD_FILE', message: expect.stringContaining(`${dir}: it is a folder`) }));
    writeFileSync(join(dir, 'plain'), '');
    expect(() => openRecordFile(join(dir, 'plain', 'run.mcap'))).toThrow(expect.objectContaining({ message: expect.stringContaining('a folder on its path is a file') }));
  });

  it('opens a writable path', () => {
    closeSync(openRecordFile(join(dir, 'run.mcap')));
  });
});
