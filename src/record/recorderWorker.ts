/**
 * The recorder's writer thread: owns the McapWriter. It reads the ticks the loop's thread copied
 * into the shared ring (ringLayout.ts), JSON-encodes them, hands them to `@mcap/core`'s McapWriter,
 * which zstd-compresses chunks of about `chunkSeconds` of run time each, and writes the file through
 * the descriptor opened at attach time. Started by writerThreads.ts (for attachRecorder, McapRecorder.ts)
 * through recorderWorker.boot.mjs; nothing here runs on the loop's thread.
 *
 * It wakes every `flushIntervalMs`, or at once when the loop's thread bumps the ring's kick word
 * (the ring a quarter full), and encodes every filled slot. A run that is killed leaves every chunk
 * written before it readable (no footer: the reader warns).
 *
 * On Linux this thread runs at a lower scheduling priority than the loop's (`nice`, set by
 * recorderWorker.boot.mjs before anything else loads): when the cores are short, the loop's thread
 * runs first and the ring absorbs the writer's delay.
 *
 * The thread outlives its recording: after the `closed` reply it waits for the next `open`
 * (writerThreads.ts keeps one idle thread per process), so a run of many recordings pays the
 * thread's start-up (tsx, @mcap/core, zstd) once.
 */
import { parentPort } from 'node:worker_threads';
import { McapWriter } from '@mcap/core';
import type { SafetyEvent } from '../safety/types.ts';
import { topics, schemas, metadataNames, mcapLibrary, mcapProfile, type Topic } from './channels.ts';
import { encodeEvent, encodeTick } from './encodeTick.ts';
import { FdWritable, loadZstd } from './recordFile.ts';
import { C_COUNT, C_KICK, F_EVENTS, F_SEQ, F_TIME, type Layout } from './ringLayout.ts';

/** What attachRecorder hands the writer thread (its first message, `open`). */
export interface RecorderWorkerData {
  /** The recording file's descriptor: written here, opened and closed by the loop's thread (attachRecorder). */
  readonly fd: number;
  /** Int32 control words of the ring (ringLayout.ts: C_COUNT, C_KICK). */
  readonly control: SharedArrayBuffer;
  readonly compression: 'zstd' | 'none';
  /** Target run time per chunk (s). */
  readonly chunkSeconds: number;
  /** Loop period (s). */
  readonly period: number;
  /** Longest sleep between two looks at the ring (ms). */
  readonly flushIntervalMs: number;
  readonly jointNames: readonly string[];
  readonly worldModelMode?: string;
  /** MCAP metadata records as JSON text, made on the loop's thread before the run. */
  readonly metadata: { readonly robot: string; readonly manifest?: string; readonly worldModelManifest?: string; readonly worldModel?: string; readonly run: string };
  /**
   * Tests: the writer thread exits, or stops answering, once the ring has arrived; or
   * (`exitOnOpen`) exits on this `open`, before acknowledging it.
   */
  readonly testFault?: 'exit' | 'hang' | 'exitOnOpen';
  /** Tests: the file's disk fills up after this many bytes (FdWritable). */
  readonly testFailAfterBytes?: number;
}

export type ToRecorderWorker =
  | { kind: 'open'; data: RecorderWorkerData }
  | { kind: 'ring'; layout: Layout; rows: SharedArrayBuffer; capacity: number }
  | { kind: 'events'; events: SafetyEvent[] }
  | { kind: 'close'; episode?: unknown };

/**
 * The recording is done: the file is written (or `error` says why not); the thread waits for the next `open`.
 * `written`: ticks whose messages all reached the file (every tick handed over, on success).
 */
export type RecorderWorkerClosed = { kind: 'closed'; messages: number; events: number; chunks: number; bytes: number; written: number; error?: string; lostFromS?: number; lostFromSeq?: number };
/**
 * The first write that failed (disk full, I/O error), posted at once, not at close (when every tick
 * so far is in the file, with the next tick): `lostFromS` / `lostFromSeq` is the first tick not in
 * the file (its chunk was not written); later ticks are freed unwritten. Absent when only the footer
 * was lost.
 */
export type RecorderWorkerFailed = { kind: 'failed'; error: string; lostFromS?: number; lostFromSeq?: number };
/** `opened`: the thread has taken the recording (sent before it touches the ring or the file). */
export type FromRecorderWorker = { kind: 'opened' } | RecorderWorkerFailed | RecorderWorkerClosed;

const port = parentPort!;
const _encoder = new TextEncoder();
// One recording at a time, from its `open` to the `closed` reply; then the thread waits for the next
// `open` (writerThreads.ts hands it to the process's next recording). Set by begin().
let d!: RecorderWorkerData;
let control!: Int32Array;
let writable!: FdWritable;
/** The next recording's `open` came before the loop below looked for it. */
let openPending = false;
let opened: (() => void) | undefined;

let layout: Layout | undefined;
let rows: Float64Array | undefined;
let capacity = 0;
let head = 0;
/** Events received from the loop's thread and not yet written; `eventsDone` counts those taken off it. */
let events: SafetyEvent[] = [];
let eventsReceived = 0;
let eventsDone = 0;
let writer: McapWriter | undefined;
let channelIds: Record<Topic, number> | undefined;
let messages = 0;
let eventCount = 0;
let failure: Error | undefined;
/** The failure is kept, not yet posted: it came with every tick so far in the file, and the first lost is the next (drain). */
let failureUnposted = false;
/** Ticks whose messages are all in the file; ticks with a message in the open chunk, from the first of them (time s, seq). */
let ticksOnDisk = 0;
let pendingTicks = 0;
/** Chunks in the file, and messages added since the last one (in McapWriter's open chunk). */
let chunksOnDisk = 0;
let unchunked = 0;
let pendingFromS = 0;
let pendingFromSeq = 0;
/** The tick being written (time s, seq). */
let tickS = 0;
let tickSeq = 0;
let closing: { episode?: unknown } | undefined;
let wake: (() => void) | undefined;

/** A recording's start: its data, and nothing left of the previous one. */
function begin(data: RecorderWorkerData): void {
  d = data;
  control = new Int32Array(d.control);
  writable = new FdWritable(d.fd, d.testFailAfterBytes);
  layout = undefined;
  rows = undefined;
  capacity = 0;
  head = 0;
  events = [];
  eventsReceived = 0;
  eventsDone = 0;
  writer = undefined;
  channelIds = undefined;
  messages = 0;
  eventCount = 0;
  failure = undefined;
  failureUnposted = false;
  ticksOnDisk = 0;
  pendingTicks = 0;
  chunksOnDisk = 0;
  unchunked = 0;
  closing = undefined;
  wake = undefined;
}

/**
 * Keeps the first failure and tells the loop's thread at once (it says so while the run goes on),
 * with the first tick the file lacks. `later`: more ticks may come (a failure mid-run); when every
 * tick so far is in the file (a chunk's index failed after its last tick: add()), the first lost is
 * the next one, told when drain() frees it, or at close.
 */
function fail(e: unknown, later = false): void {
  if (failure !== undefined) return;
  failure = e instanceof Error ? e : new Error(String(e));
  if (later && pendingTicks === 0) failureUnposted = true;
  else postFailed();
}

function postFailed(): void {
  failureUnposted = false;
  port.postMessage({ kind: 'failed', error: failure!.message, ...lostFrom() } satisfies FromRecorderWorker);
}

function lostFrom(): { lostFromS?: number; lostFromSeq?: number } {
  return pendingTicks > 0 ? { lostFromS: pendingFromS, lostFromSeq: pendingFromSeq } : {};
}

/**
 * Adds one message; when that wrote a chunk (the file grew), every message added so far is in the
 * file. `ofTick`: the message is one of the current tick's and `last` says whether it is its last;
 * a chunk cut inside a tick leaves that tick pending.
 *
 * Also when the add then failed: McapWriter writes a chunk, then its message index records, in two
 * writes, and a disk that fills up between them leaves the chunk whole in the file (FdWritable cuts
 * a failed write back to the last whole one, so the file grew only by whole records): its ticks are
 * read back by `replay` and `export`, so they count as written (review R30 F1: they were reported lost).
 */
async function add(m: Parameters<McapWriter['addMessage']>[0], ofTick: boolean, last: boolean): Promise<void> {
  const before = writable.position();
  unchunked++;
  try {
    await writer!.addMessage(m);
  } finally {
    if (writable.position() !== before) chunkWritten(ofTick && !last);
  }
}

/** A chunk reached the file: every tick pending is in it, but for the current one when `midTick` (its later messages are not). */
function chunkWritten(midTick: boolean): void {
  chunksOnDisk++;
  unchunked = 0;
  if (midTick) {
    ticksOnDisk += pendingTicks - 1;
    pendingTicks = 1;
    pendingFromS = tickS;
    pendingFromSeq = tickSeq;
  } else {
    ticksOnDisk += pendingTicks;
    pendingTicks = 0;
  }
}

/** Until the next recording's `open` has come (begin() has run). */
function nextRecording(): Promise<void> {
  if (openPending) {
    openPending = false;
    return Promise.resolve();
  }
  return new Promise((resolve) => (opened = resolve));
}

port.on('message', (m: ToRecorderWorker) => {
  if (m.kind === 'open') {
    if (m.data.testFault === 'exitOnOpen') process.exit(1);
    // Only after the previous recording's `closed` reply (its state is done with): start afresh.
    begin(m.data);
    port.postMessage({ kind: 'opened' } satisfies FromRecorderWorker);
    if (opened) {
      const o = opened;
      opened = undefined;
      o();
    } else openPending = true;
    return;
  }
  if (m.kind === 'ring') {
    layout = m.layout;
    rows = new Float64Array(m.rows);
    capacity = m.capacity;
    if (d.testFault === 'exit') process.exit(1);
    if (d.testFault === 'hang') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  } else if (m.kind === 'events') {
    for (const e of m.events) events.push(e);
    eventsReceived += m.events.length;
  } else closing = m;
  wake?.();
});

/** Until the next kick from the loop's thread, a message, or flushIntervalMs. */
function sleep(): Promise<void> {
  const w = Atomics.waitAsync(control, C_KICK, Atomics.load(control, C_KICK), d.flushIntervalMs);
  const msg = new Promise<void>((resolve) => (wake = resolve));
  return Promise.race([w.async ? w.value.then(() => {}) : Promise.resolve(), msg]).finally(() => (wake = undefined));
}

async function start(L: Layout, b: number): Promise<void> {
  const z = d.compression === 'zstd' ? await loadZstd() : undefined;
  // Chunk size from the first tick's encoded size: about chunkSeconds of run time per chunk.
  const sample = encodeTick(L, rows!, b, d.jointNames, d.worldModelMode).reduce((s, m) => s + m.data.byteLength + 40, 0);
  const chunkSize = Math.round(Math.min(4 << 20, Math.max(16 << 10, (sample * d.chunkSeconds) / d.period)));
  const w = new McapWriter({
    writable,
    chunkSize,
    compressChunk: z ? (data) => ({ compression: 'zstd', compressedData: z.compress(data, 3) }) : undefined,
  });
  writer = w;
  await w.start({ profile: mcapProfile, library: mcapLibrary });
  const meta = d.metadata;
  await w.addMetadata({ name: metadataNames.robot, metadata: new Map([['json', meta.robot]]) });
  if (meta.manifest !== undefined) await w.addMetadata({ name: metadataNames.manifest, metadata: new Map([['json', meta.manifest]]) });
  if (meta.worldModelManifest !== undefined) await w.addMetadata({ name: metadataNames.worldModelManifest, metadata: new Map([['json', meta.worldModelManifest]]) });
  if (meta.worldModel !== undefined) await w.addMetadata({ name: metadataNames.worldModel, metadata: new Map([['json', meta.worldModel]]) });
  await w.addMetadata({ name: metadataNames.run, metadata: new Map([['json', meta.run]]) });
  const ids: Partial<Record<Topic, number>> = {};
  const schemaIds = new Map<string, number>();
  for (const topic of Object.values(topics)) {
    const s = schemas[topic];
    let sid = schemaIds.get(s.name);
    if (sid === undefined) {
      sid = await w.registerSchema({ name: s.name, encoding: 'jsonschema', data: _encoder.encode(JSON.stringify(s.schema)) });
      schemaIds.set(s.name, sid);
    }
    ids[topic] = await w.registerChannel({ topic, schemaId: sid, messageEncoding: 'json', metadata: new Map() });
  }
  channelIds = ids as Record<Topic, number>;
}

async function writeEvent(e: SafetyEvent, logTime: bigint): Promise<void> {
  await add({ channelId: channelIds![topics.safetyEvent], sequence: e.seq, logTime, publishTime: logTime, data: encodeEvent(e) }, false, true);
  messages++;
  eventCount++;
}

/** The tick in slot `b`, then the safety events raised up to it (an event of a later seq waits for its tick). */
async function writeTick(L: Layout, b: number): Promise<void> {
  const r = rows!;
  const seq = r[b + F_SEQ];
  tickS = r[b + F_TIME];
  tickSeq = seq;
  if (pendingTicks++ === 0) {
    pendingFromS = tickS;
    pendingFromSeq = seq;
  }
  if (writer === undefined) await start(L, b);
  const logTime = nanos(r[b + F_TIME]);
  const upTo = r[b + F_EVENTS];
  const msgs = encodeTick(L, r, b, d.jointNames, d.worldModelMode);
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i];
    await add({ channelId: channelIds![m.topic], sequence: seq, logTime, publishTime: logTime, data: m.data }, true, i === msgs.length - 1);
    messages++;
  }
  // The loop's thread posts a tick's events just after the tick: wait for those not here yet.
  while (eventsReceived < upTo && closing === undefined) await sleep();
  while (eventsDone < upTo && events.length > 0 && events[0].seq <= seq) {
    eventsDone++;
    await writeEvent(events.shift()!, logTime);
  }
}

/** Encodes every filled slot; after a failure (fail()), only frees them, the first of them telling where the file's ticks end when fail() could not. */
async function drain(): Promise<void> {
  const L = layout!;
  while (Atomics.load(control, C_COUNT) > 0) {
    if (failure === undefined) {
      try {
        await writeTick(L, head * L.stride);
      } catch (e) {
        fail(e, true);
      }
    } else if (failureUnposted) {
      // The first tick freed unwritten: where the file's ticks end.
      const b = head * L.stride;
      pendingTicks = 1;
      pendingFromS = rows![b + F_TIME];
      pendingFromSeq = rows![b + F_SEQ];
      postFailed();
    }
    head = (head + 1) % capacity;
    Atomics.sub(control, C_COUNT, 1);
  }
}

async function finish(episode: unknown): Promise<void> {
  if (failureUnposted) postFailed(); // no tick after it: only the footer is lost
  try {
    if (failure === undefined) {
      if (writer === undefined && layout !== undefined) await start(layout, head * layout.stride);
      if (writer === undefined) {
        // No tick at all: still a valid, empty recording with its metadata.
        writer = new McapWriter({ writable });
        await writer.start({ profile: mcapProfile, library: mcapLibrary });
        await writer.addMetadata({ name: metadataNames.robot, metadata: new Map([['json', d.metadata.robot]]) });
      } else {
        const last = events.length > 0 ? nanos(events[events.length - 1].time) : 0n;
        while (events.length > 0) await writeEvent(events.shift()!, last);
      }
      if (episode !== undefined) await writer.addMetadata({ name: metadataNames.episode, metadata: new Map([['json', JSON.stringify(episode)]]) });
      // end() writes the open chunk first: once the file has grown, its ticks are in it, even if
      // its message index or the summary and footer after it then fail (the reader warns: no footer).
      const before = writable.position();
      const chunkOpen = unchunked > 0;
      try {
        await writer.end();
      } finally {
        if (writable.position() !== before && chunkOpen) chunkWritten(false);
      }
    }
  } catch (e) {
    fail(e);
  }
  const reply: RecorderWorkerClosed = {
    kind: 'closed',
    messages,
    events: eventCount,
    // Those in the file (McapWriter's statistics count a chunk whose write failed too).
    chunks: chunksOnDisk,
    bytes: Number(writable.position()),
    written: ticksOnDisk,
    ...(failure ? { error: failure.message, ...lostFrom() } : {}),
  };
  port.postMessage(reply);
}

for (;;) {
  await nextRecording();
  for (;;) {
    if (layout) await drain();
    if (closing) break;
    await sleep();
  }
  if (layout) await drain(); // ticks copied between the last look and close
  await finish(closing!.episode);
}

/** Seconds to MCAP nanoseconds (negative times clamp to 0). */
function nanos(s: number): bigint {
  return Number.isFinite(s) && s > 0 ? BigInt(Math.round(s * 1e9)) : 0n;
}
