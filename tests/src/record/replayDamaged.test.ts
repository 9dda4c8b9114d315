/**
 * `axon replay` on a damaged recording (review R30 F2, F3).
 * - A file cut before the robot spec every recording starts with was summarised with exit 0
 *   ({"run":{},"ticks":0}) where `export lerobot` refuses it (exit 2): a script validating a
 *   recording by replay's exit status accepted it. Now RECORD_READ, one line, exit 2; so is a file
 *   cut before its first complete tick (export refuses it too).
 * - A chunk failing to decompress mid-file was reported as "the file ends without its MCAP footer
 *   (a killed run or a cut copy)" although the footer is there: now only the "unreadable from
 *   byte N" warning, and the summary names that byte.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapIndexedReader, McapWriter, TempBuffer } from '@mcap/core';
import { readRecording, recordingSummary } from '../../../src/record/index.ts';
import { mcapLibrary, mcapProfile, metadataNames } from '../../../src/record/channels.ts';
import { recordRun } from './recordRun.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-replay-damaged-'));
const good = join(dir, 'good.mcap');

describe('axon replay on a damaged recording', () => {
  beforeAll(async () => {
    await recordRun(good, 1, { chunkSeconds: 0.1 });
  }, 60_000);

  it('a file cut before its robot spec: RECORD_READ in one line, exit 2, nothing on stdout', () => {
    const cut = join(dir, 'cut100.mcap');
    writeFileSync(cut, readFileSync(good).subarray(0, 100));
    const r = spawnSync(process.execPath, ['bin/axon.js', 'replay', cut, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      `axon: error [RECORD_READ]: ${cut}: has no axon.robot_spec metadata: the file ends before it, after 100 bytes, without its MCAP footer (a killed run or a cut copy) (expected a recording written by axon --record)`,
    ]);
  }, 60_000);

  it('a file cut before its first complete tick: RECORD_READ, exit 2; a whole file with no tick is summarised', async () => {
    const cut = join(dir, 'cut2000.mcap');
    writeFileSync(cut, readFileSync(good).subarray(0, 2000));
    expect((await readRecording(cut)).spec).toBeDefined();
    const r = spawnSync(process.execPath, ['bin/axon.js', 'replay', cut, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `axon: error [RECORD_READ]: ${cut}: has no complete tick: the file ends after 2000 bytes without its MCAP footer (a killed run or a cut copy) (expected a recording with at least one complete tick)`,
    ]);
    // A run that ended before its first tick: a whole recording (what the recorder writes then:
    // its header, the robot spec, its footer), summarised (exit 0).
    const empty = join(dir, 'empty.mcap');
    const buf = new TempBuffer();
    const w = new McapWriter({ writable: buf });
    await w.start({ profile: mcapProfile, library: mcapLibrary });
    await w.addMetadata({ name: metadataNames.robot, metadata: new Map([['json', JSON.stringify((await readRecording(good)).spec)]]) });
    await w.end();
    writeFileSync(empty, buf.get());
    const e = spawnSync(process.execPath, ['bin/axon.js', 'replay', empty, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(e.stderr).toBe('');
    expect(e.status).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ ticks: 0, truncated: false });
  }, 60_000);

  it('a corrupt chunk mid-file: read up to it, named by its byte, not called a file without its footer', async () => {
    const b = readFileSync(good);
    const idx = await McapIndexedReader.Initialize({ readable: { size: async () => BigInt(b.length), read: async (o, l) => b.subarray(Number(o), Number(o + l)) } });
    const chunks = [...idx.chunkIndexes].sort((x, y) => Number(x.chunkStartOffset - y.chunkStartOffset));
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    const c = chunks[1];
    const bad = join(dir, 'flipped.mcap');
    const copy = Buffer.from(b);
    copy[Number(c.chunkStartOffset + c.chunkLength / 2n)] ^= 0x10; // in the chunk's compressed bytes
    writeFileSync(bad, copy);
    const r = await readRecording(bad);
    const chunkStart = Number(c.chunkStartOffset);
    expect(r.warnings.filter((w) => w.includes('without its MCAP footer'))).toEqual([]);
    expect(r.unreadableFrom).toBe(chunkStart);
    expect(r.warnings).toContainEqual(expect.stringMatching(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: unreadable from byte ${chunkStart}, a chunk \\(`)));
    // The ticks of the first chunk, and the summary says where the read stopped.
    expect(r.ticks.length).toBeGreaterThan(0);
    expect(recordingSummary(r)).toMatchObject({ truncated: true, unreadable_from: chunkStart, ticks: r.ticks.length });
    // A file whose bytes simply end keeps the "no footer" warning, and no unreadable_from.
    const cut = join(dir, 'cut.mcap');
    writeFileSync(cut, b.subarray(0, chunkStart + 10));
    const rc = await readRecording(cut);
    expect(rc.unreadableFrom).toBeUndefined();
    expect(rc.warnings[0]).toContain('the file ends without its MCAP footer (a killed run or a cut copy)');
    expect(recordingSummary(rc)).not.toHaveProperty('unreadable_from');
  }, 60_000);
});
