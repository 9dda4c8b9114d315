/**
 * The --record check (src/cli/preflight.ts checkWritable) before the robot is touched: a path that
 * is there must be a regular file (or a link to one). /dev/full opens for writing and fails every
 * write (ENOSPC), so the old check passed it and the run went on unrecorded (review R12 F6).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkWritable } from '../../../src/cli/preflight.ts';
import { closeIdleRecorderThreads } from '../../../src/record/writerThreads.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-rec-pre-'));
afterAll(() => closeIdleRecorderThreads());

describe('checkWritable (--record FILE)', () => {
  it('refuses a character device (/dev/full, /dev/null), naming it, with RECORD_FILE', () => {
    for (const p of ['/dev/full', '/dev/null'])
      expect(() => checkWritable(p)).toThrow(expect.objectContaining({ code: 'RECORD_FILE', message: expect.stringContaining(`${p}: is not a regular file (a character device)`) }));
  });

  it('refuses a link to a device and a named pipe', () => {
    const link = join(dir, 'full-link.mcap');
    symlinkSync('/dev/full', link);
    expect(() => checkWritable(link)).toThrow(expect.objectContaining({ code: 'RECORD_FILE', message: expect.stringContaining('a character device') }));
    const fifo = join(dir, 'pipe.mcap');
    execFileSync('mkfifo', [fifo]);
    expect(() => checkWritable(fifo)).toThrow(expect.objectContaining({ code: 'RECORD_FILE', message: expect.stringContaining('a named pipe') }));
  });

  it('passes a new file in a writable folder (leaving nothing) and an existing file (left as it is)', () => {
    const fresh = join(dir, 'new.mcap');
    checkWritable(fresh);
    expect(existsSync(fresh)).toBe(false);
    const old = join(dir, 'old.mcap');
    writeFileSync(old, 'earlier recording');
    checkWritable(old);
    expect(readFileSync(old, 'utf8')).toBe('earlier recording');
  });
});
