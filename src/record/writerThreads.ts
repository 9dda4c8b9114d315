/**
 * The recorder's writer threads (recorderWorker.ts): one per process in the common case, reused by
 * every recording in it. Starting one costs about 0.6 s of CPU (tsx, @mcap/core, zstd), so a run
 * of many recordings (`axon eval --record`, one file per episode) pays it once, not per episode.
 *
 * A recording takes the idle thread when there is one and it is alive, else starts a fresh one (two
 * recordings at once: two threads). A recording that finished cleanly hands its thread back; one
 * that failed (a write error, the thread died, it stopped answering) terminates it. At most one
 * idle thread is kept (a second one handed back is terminated). An idle thread is unref'd: it never
 * keeps the process alive; one that dies while idle is dropped and the next recording starts a
 * fresh one.
 */
import { Worker } from 'node:worker_threads';
import type { FromRecorderWorker, ToRecorderWorker } from './recorderWorker.ts';

/** Niceness of the writer thread (Linux): below the loop's thread, still well above starving. */
const WRITER_NICE = 5;

/** A writer thread and what it has said. Its listeners stay for its life; the recording holding it sets the hooks. */
export class WriterThread {
  readonly worker: Worker;
  /** Set once the thread has exited. */
  exitCode: number | undefined;
  /** An uncaught error on the thread (its exit follows). */
  error: Error | undefined;
  /** The holding recording's hooks: the thread's replies, and its exit. */
  onMessage: ((m: FromRecorderWorker) => void) | undefined;
  onExit: (() => void) | undefined;

  constructor() {
    this.worker = new Worker(new URL('./recorderWorker.boot.mjs', import.meta.url), { workerData: { entry: new URL('./recorderWorker.ts', import.meta.url).href, nice: WRITER_NICE } });
    _started++;
    this.worker.on('message', (m: FromRecorderWorker) => this.onMessage?.(m));
    this.worker.on('error', (e) => (this.error ??= e));
    this.worker.on('exit', (code) => {
      this.exitCode = code;
      const i = _idle.indexOf(this);
      if (i >= 0) _idle.splice(i, 1);
      this.onExit?.();
    });
    // Never keeps the process alive on its own; a recording's close() holds it while it waits.
    // After the listeners: a 'message' listener added after unref() refs the thread's port again
    // (nodejs/node#53036), and the idle thread a --record check prepared kept the process alive.
    this.worker.unref();
  }

  get alive(): boolean {
    return this.exitCode === undefined && this.error === undefined;
  }

  post(m: ToRecorderWorker): void {
    this.worker.postMessage(m);
  }
}

let _started = 0;
const _idle: WriterThread[] = [];

/** Writer threads started in this process so far (tests: one per process, not one per recording). */
export function recorderThreadsStarted(): number {
  return _started;
}

/** The idle writer thread when one is alive, else a fresh one. The caller holds it until it hands it back. */
export function takeWriterThread(): WriterThread {
  for (let t = _idle.pop(); t !== undefined; t = _idle.pop()) if (t.alive) return t;
  return new WriterThread();
}

/**
 * Hands a writer thread back when `reusable` (its recording finished cleanly) and no other thread
 * is idle; else terminates it. Resolves once a terminated thread is gone.
 */
export async function releaseWriterThread(t: WriterThread, reusable: boolean): Promise<void> {
  t.onMessage = undefined;
  t.onExit = undefined;
  if (reusable && t.alive && _idle.length === 0) {
    t.worker.unref();
    _idle.push(t);
    return;
  }
  await t.worker.terminate();
}

/**
 * Starts a recorder's writer thread now, for the next attachRecorder to use, so that its start-up
 * (about 0.6 s of CPU on another thread: tsx, @mcap/core, zstd) runs before the loop rather than
 * during its first ticks. Call it where a recording is known to come (the CLI's --record check).
 * Optional and idempotent (nothing to do while a thread is idle); an idle thread does not keep the
 * process alive.
 */
export function prepareRecorderThread(): void {
  if (_idle.some((t) => t.alive)) return;
  _idle.push(new WriterThread());
}

/** Terminates the idle writer thread, if any (tests; or to free its memory once no recording is to come). */
export async function closeIdleRecorderThreads(): Promise<void> {
  await Promise.all(_idle.splice(0).map((t) => t.worker.terminate()));
}

/** Tests: the idle writer thread, if any (to make it die while idle). */
export function idleRecorderThreadForTests(): Worker | undefined {
  return _idle[_idle.length - 1]?.worker;
}
