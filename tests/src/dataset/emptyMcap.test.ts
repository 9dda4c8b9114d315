/**
 * A 0-byte .mcap in a folder given to `axon export lerobot` (left by a --record run whose robot
 * failed to connect, before that run stopped creating one) is named as empty, before anything is
 * read or written, not reported as "not an MCAP file (no header)".
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportLerobot } from '../../../src/dataset/exportLerobot.ts';

describe('export lerobot: an empty recording file', () => {
  it('is named as empty (0 bytes), in a folder or given alone, and nothing is written', async () => {
    const root = mkdtempSync(join(tmpdir(), 'axon-empty-mcap-'));
    const dir = join(root, 'session');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.mcap'), Buffer.from([0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a])); // a magic, then nothing: read later, if at all
    writeFileSync(join(dir, 'b.mcap'), '');
    const out = join(root, 'ds');
    await expect(exportLerobot([dir], { out })).rejects.toMatchObject({ code: 'EXPORT_INPUT', message: expect.stringMatching(/b\.mcap: is empty \(0 bytes\)/) });
    await expect(exportLerobot([join(dir, 'b.mcap')], { out })).rejects.toMatchObject({ code: 'EXPORT_INPUT', message: expect.stringMatching(/b\.mcap: is empty \(0 bytes\)/) });
    expect(existsSync(out)).toBe(false);
  });
});
