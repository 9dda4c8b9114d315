/**
 * An MCAP recording a flipped bit or an overwritten block broke where no CRC guards it (metadata
 * records, unchunked messages): AxonError RECORD_READ naming the file, the record and what was
 * expected (exit 2), not the JSON parser's message and exit 1.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapWriter, TempBuffer } from '@mcap/core';
import { axonErrorOf } from '../../helpers/errors.ts';
import { readRecording, topics } from '../../../src/record/index.ts';
import { recordRun } from './recordRun.ts';

/** An unchunked MCAP (nothing CRC-guards its messages) with these observation message bodies. */
async function unchunked(file: string, bodies: string[]): Promise<void> {
  const buf = new TempBuffer();
  const w = new McapWriter({ writable: buf, useChunks: false });
  await w.start({ profile: '', library: 'test' });
  const schemaId = await w.registerSchema({ name: 'axon.Observation', encoding: 'jsonschema', data: new Uint8Array() });
  const channelId = await w.registerChannel({ topic: topics.observation, schemaId, messageEncoding: 'json', metadata: new Map() });
  for (const [k, b] of bodies.entries())
    await w.addMessage({ channelId, sequence: k, logTime: BigInt(k) * 20_000_000n, publishTime: BigInt(k) * 20_000_000n, data: new TextEncoder().encode(b) });
  await w.end();
  writeFileSync(file, buf.get());
}

describe('a corrupt MCAP recording: RECORD_READ naming the file and the record', () => {
  it('a bit flipped in a metadata record (axon.run): named, one line, and replay exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-mcbad-'));
    const good = join(dir, 'good.mcap');
    await recordRun(good, 0.2);
    const b = readFileSync(good);
    const at = b.indexOf('"command":"sim"');
    expect(at).toBeGreaterThan(0);
    b[at + '"command"'.length] ^= 0x01; // ':' (0x3a) becomes ';'
    const bad = join(dir, 'flipped.mcap');
    writeFileSync(bad, b);
    const e = await axonErrorOf(readRecording(bad));
    expect(e.code).toBe('RECORD_READ');
    expect(e.where).toBe(`${bad} metadata "axon.run"`);
    expect(e.message).toContain('is not valid JSON');
    expect(e.expected).toBeDefined();
    const r = spawnSync(process.execPath, ['bin/axon.js', 'replay', bad], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^axon: error \[RECORD_READ\]: .*flipped\.mcap metadata "axon\.run": is not valid JSON/)]);
  });

  it('a message whose JSON was cut or overwritten: named by topic and sequence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-mcbad-'));
    for (const [body, what] of [['{"seq":1,"time":0.0', 'is not valid JSON'], ['null', 'is null'], ['[1,2]', 'is an array']] as const) {
      const file = join(dir, 'm.mcap');
      await unchunked(file, ['{"seq":0,"time":0}', body]);
      const e = await axonErrorOf(readRecording(file));
      expect(e.code).toBe('RECORD_READ');
      expect(e.where).toBe(`${file} message 1 on ${topics.observation}`);
      expect(e.message).toContain(what);
      expect(e.expected).toContain('JSON object');
    }
  });
});
