/**
 * The dataset writer's thread: owns the DatasetStore, encodes and writes each episode handed over
 * by the loop's thread, and says when it is written. Started by DatasetWriter through
 * src/policy/worker.boot.mjs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AxonError } from '../core/errors.ts';
import { DatasetStore, type EpisodeData, type StoreOptions } from './DatasetStore.ts';

export type ToWorker = { kind: 'episode'; id: number; data: EpisodeData } | { kind: 'close' };
export type FromWorker =
  | { kind: 'opened'; episodes: number; frames: number; leftOut: readonly string[]; episodesNotes: readonly string[] }
  | { kind: 'written'; id: number; index: number; frames: number; ms: number }
  | { kind: 'failed'; id?: number; error: { code?: string; where?: string; message: string; expected?: string } }
  | { kind: 'closed' };

const { dir, options, slowMs } = workerData as { dir: string; options: StoreOptions; slowMs?: number };
const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);
const asError = (e: unknown) => (e instanceof AxonError ? { code: e.code, where: e.where, message: e.message, ...(e.expected !== undefined ? { expected: e.expected } : {}) } : { message: (e as Error).message ?? String(e) });

let store: DatasetStore | undefined;
try {
  store = await DatasetStore.open(dir, options);
  // A stale lock reclaimed, an interrupted save repaired: said before the run starts.
  for (const n of store.notes) process.stderr.write(`axon: dataset: note: ${n}\n`);
  post({ kind: 'opened', episodes: store.info.total_episodes, frames: store.info.total_frames, leftOut: store.leftOut, episodesNotes: store.episodesNotes });
} catch (e) {
  post({ kind: 'failed', error: asError(e) });
}

const _sleep = new Int32Array(new SharedArrayBuffer(4));
port.on('message', (m: ToWorker) => {
  if (m.kind === 'close') {
    store?.close();
    post({ kind: 'closed' });
    port.close();
    return;
  }
  const t0 = performance.now();
  try {
    if (!store) throw new Error('the dataset is not open');
    // A writer made slow on purpose (tests): the loop's thread must count its drops, never wait.
    if (slowMs) Atomics.wait(_sleep, 0, 0, slowMs);
    const index = store.writeEpisode(m.data);
    post({ kind: 'written', id: m.id, index, frames: m.data.length, ms: performance.now() - t0 });
  } catch (e) {
    post({ kind: 'failed', id: m.id, error: asError(e) });
  }
});
