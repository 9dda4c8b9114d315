/**
 * What embedding a URDF's text in a recording would cost (docs/viewer.md, "Which URDF a replay
 * draws"): `npx tsx tests/bench/urdfEmbedSize.ts FILE.urdf`. Writes an empty MCAP with and without
 * an `axon.urdf` metadata record holding the text as JSON (MCAP keeps metadata outside the zstd
 * chunks, so it is stored as it is), and gives the text's size zstd-compressed. A size, not a
 * timing; not part of `npm run bench`.
 */
import { readFileSync } from 'node:fs';
import { McapWriter, TempBuffer } from '@mcap/core';
import { loadZstd } from '../../src/record/recordFile.ts';

async function mcapBytes(metadata?: string): Promise<number> {
  const buf = new TempBuffer();
  const w = new McapWriter({ writable: buf });
  await w.start({ profile: '', library: 'axon' });
  if (metadata !== undefined) await w.addMetadata({ name: 'axon.urdf', metadata: new Map([['json', metadata]]) });
  await w.end();
  return buf.get().byteLength;
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: npx tsx tests/bench/urdfEmbedSize.ts FILE.urdf');
  const text = readFileSync(file);
  const json = JSON.stringify({ urdf: text.toString('utf8') });
  const zstd = await loadZstd();
  const without = await mcapBytes();
  const withText = await mcapBytes(json);
  console.log(JSON.stringify({ file, text_bytes: text.byteLength, json_bytes: Buffer.byteLength(json), mcap_added_bytes: withText - without, zstd_bytes: zstd.compress(text).byteLength }));
}

void main();
