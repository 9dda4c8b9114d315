/**
 * A disk that fills up part-way through a write (review R30 F1): McapWriter writes a chunk, then its
 * message index records, then (at the end) the summary and footer, each as its own write. When the
 * disk filled between a chunk and its index, the chunk stayed whole in the file and `replay` /
 * `export` read its ticks, while the summary counted them lost (`written` 83, 127 ticks in the file).
 * The file and the summary must agree: the ticks axon's reader reads back = `written`, the first
 * tick it lacks = `lost_from_seq`, its size = `bytes`, its chunks = `chunks`.
 *
 * Where the disk fills (the `testFailAfterBytes` hook) is taken from a whole recording of the same
 * episode just before: two runs differ by a few tens of bytes (timings), so the point is put in the
 * middle of the record it is meant to cut.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapIndexedReader, McapStreamReader } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import { readRecording, topics, type RecorderSummary } from '../../../src/record/index.ts';
import { recordRun } from './recordRun.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-rec-partial-'));
const SECONDS = 1; // 50 ticks at 50 Hz
const TICKS = 50;
/** MCAP opcodes (the MCAP specification). */
const CHUNK = 0x06;
const MESSAGE_INDEX = 0x07;
const DATA_END = 0x0f;

interface Layout {
  /** `lastTopic`: the topic of the chunk's last message. */
  chunks: { start: number; length: number; indexLength: number; lastTopic: string }[];
  size: number;
}

/** The topic of each whole chunk's last message, in file order. */
async function lastTopics(b: Buffer): Promise<string[]> {
  const s = new McapStreamReader({ decompressHandlers: await loadDecompressHandlers(), includeChunks: true });
  s.append(b);
  const topicOf = new Map<number, string>();
  const last: string[] = [];
  for (let r = s.nextRecord(); r; r = s.nextRecord()) {
    if (r.type === 'Channel') topicOf.set(r.id, r.topic);
    else if (r.type === 'Chunk') last.push('');
    else if (r.type === 'Message' && last.length > 0) last[last.length - 1] = topicOf.get(r.channelId) ?? '';
  }
  return last;
}

async function layoutOf(file: string): Promise<Layout> {
  const b = readFileSync(file);
  const r = await McapIndexedReader.Initialize({ readable: { size: async () => BigInt(b.length), read: async (o, l) => b.subarray(Number(o), Number(o + l)) } });
  const chunks = [...r.chunkIndexes]
    .sort((a, c) => Number(a.chunkStartOffset - c.chunkStartOffset))
    .map((c) => ({ start: Number(c.chunkStartOffset), length: Number(c.chunkLength), indexLength: Number(c.messageIndexLength), lastTopic: '' }));
  (await lastTopics(b)).forEach((t, k) => (chunks[k].lastTopic = t));
  return { chunks, size: b.length };
}

/** The opcodes of the whole top-level records in the file, in order (a cut record at its end is left out). */
function records(file: string): number[] {
  const b = readFileSync(file);
  const ops: number[] = [];
  for (let at = 8; at + 9 <= b.length; ) {
    const end = at + 9 + Number(b.readBigUInt64LE(at + 1));
    if (end > b.length) break;
    ops.push(b[at]);
    at = end;
  }
  return ops;
}

/**
 * A run whose disk fills at `at(layout of a whole run)`; the file and the summary agree (asserted on
 * every try). Tried again, against a fresh whole run, while the cut did not land in the record meant
 * (`landed`): a chunk boundary may move by a message between two runs.
 */
async function failingRun(name: string, at: (ref: Layout) => number, landed: (ops: number[], summary: RecorderSummary, file: string) => Promise<boolean> | boolean, attempts = 5) {
  for (let attempt = 0; ; attempt++) {
    const refFile = join(dir, `${name}-ref${attempt}.mcap`);
    expect((await recordRun(refFile, SECONDS, { chunkSeconds: 0.1 })).summary).toMatchObject({ written: TICKS, dropped: 0 });
    const ref = await layoutOf(refFile);
    expect(ref.chunks.length).toBeGreaterThanOrEqual(4);
    const file = join(dir, `${name}-${attempt}.mcap`);
    const { summary, seen } = await recordRun(file, SECONDS, { chunkSeconds: 0.1, testFailAfterBytes: at(ref) });
    const r = await readRecording(file);
    const ops = records(file);
    // The summary and the file agree.
    expect(summary.error).toMatch(/^ENOSPC/);
    expect(r.ticks.length).toBe(summary.written);
    expect(r.ticks.map((t) => t.seq)).toEqual(seen.slice(0, summary.written).map((s) => s.seq));
    expect(summary.dropped).toBe(TICKS - summary.written);
    expect(statSync(file).size).toBe(summary.bytes);
    expect(ops.filter((op) => op === CHUNK)).toHaveLength(summary.chunks);
    if (summary.written < TICKS) expect(summary.lost_from_seq).toBe(seen[summary.written].seq);
    else expect(summary.lost_from_seq).toBeUndefined();
    const ok = await landed(ops, summary, file);
    if (ok || attempt === attempts - 1) {
      expect(ok).toBe(true);
      return { file, summary, r, ref };
    }
  }
}

describe('a disk that fills up part-way through a write: the summary says what the file holds', () => {
  it("between a chunk and its message index: the chunk's ticks are in the file and counted written (replay reads as many)", async () => {
    const { file, summary, r } = await failingRun(
      'index',
      ({ chunks: [, c] }) => c.start + c.length + Math.floor(c.indexLength / 2),
      // The file ends on the whole second chunk.
      (ops, s) => ops.at(-1) === CHUNK && s.chunks === 2,
    );
    expect(summary.written).toBeGreaterThan(0);
    expect(r.truncated).toBe(true);
    const replay = spawnSync(process.execPath, ['bin/axon.js', 'replay', file, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(replay.status).toBe(0);
    expect(JSON.parse(replay.stdout).ticks).toBe(summary.written);
  }, 120_000);

  it("between a chunk that ends with a tick's last message and its index: the first tick lost is the next one", async () => {
    // The chunk a tick's last message (/axon/tick) closed: every tick so far is in the file, and the
    // ticks after it are lost (lost_from_seq was missing: review R30 F1 fix, found under load).
    // Which message closes a chunk depends on the run's bytes: tried on a chunk the whole run had so.
    const { summary } = await failingRun(
      'tickend',
      ({ chunks }) => {
        const c = chunks.slice(0, -1).find((x) => x.lastTopic === topics.tick) ?? chunks[1];
        return c.start + c.length + Math.floor(c.indexLength / 2);
      },
      async (ops, s, file) => ops.at(-1) === CHUNK && s.written < TICKS && (await lastTopics(readFileSync(file))).at(-1) === topics.tick,
      12,
    );
    expect(summary.lost_from_seq).toBeDefined();
  }, 180_000);

  it('inside a chunk: the cut chunk is removed from the file and its ticks counted lost', async () => {
    const { summary } = await failingRun(
      'chunk',
      ({ chunks: [, , c] }) => c.start + Math.floor(c.length / 2),
      // Cut back to the end of the second chunk's message index: only whole records.
      (ops, s) => ops.at(-1) === MESSAGE_INDEX && s.chunks === 2,
    );
    expect(summary.written).toBeLessThan(TICKS);
  }, 120_000);

  it('the last chunk (written at close), then its index fails: its ticks are counted written', async () => {
    const { summary, ref } = await failingRun(
      'last',
      ({ chunks }) => chunks.at(-1)!.start + chunks.at(-1)!.length + Math.floor(chunks.at(-1)!.indexLength / 2),
      (ops) => ops.at(-1) === CHUNK,
    );
    expect(summary).toMatchObject({ written: TICKS, dropped: 0, chunks: ref.chunks.length });
  }, 120_000);

  it('in the summary after the last chunk: every tick is in the file, only the footer is lost', async () => {
    const { summary, r } = await failingRun(
      'summary',
      ({ chunks, size }) => {
        const dataEnd = chunks.at(-1)!.start + chunks.at(-1)!.length + chunks.at(-1)!.indexLength;
        return dataEnd + Math.floor((size - dataEnd) / 2);
      },
      (ops) => ops.includes(DATA_END),
    );
    expect(summary).toMatchObject({ written: TICKS, dropped: 0 });
    expect(r.truncated).toBe(true);
  }, 120_000);
});
