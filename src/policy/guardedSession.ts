/**
 * onnxruntime on a worker thread that the loop waits for synchronously, with a deadline.
 *
 * The inline native session (ortSync.ts) runs on the loop's thread, the thread that also runs the
 * safety supervisor: a native call that never returned would freeze the loop with no hold and no
 * safe stop (docs/safety.md). A guarded session runs the same native session on a worker thread.
 * `run()` copies the feeds into shared memory, wakes the worker and blocks in `Atomics.wait` until
 * the answer or the deadline, whichever comes first: still synchronous for the caller (no
 * event-loop hop), but a call that does not answer within `timeoutS` throws InferenceTimeout and
 * the loop has its thread back (a hold, a deadline event, a safe stop at the 3rd miss). While the
 * late call is still running, every further run() throws at once; its answer, if it ever comes,
 * is dropped. The price is one thread hand-off per call (measured in tests/bench/policyStage.ts).
 *
 * Shared memory: an Int32 control block and a Float32 data block (inputs, then outputs), with a
 * header of offsets and dims; nothing is posted per call. A data block too small for a call's
 * feeds is replaced once and handed to the worker over a MessagePort it reads synchronously.
 */
import { Worker, MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { once } from 'node:events';
import * as ort from 'onnxruntime-node';
import { InferenceTimeout } from './InferenceTimeout.ts';
import { endWorker, stuckInferenceWorkers } from './workerEnd.ts';
import { openSyncSession, type SyncSession } from './ortSync.ts';

export { InferenceTimeout };

/**
 * The deadline of a model's first call, made at load time (s): onnxruntime's first run allocates and
 * plans, 10-40x a steady call here, and is no tick's (R22 F1: under a tick's budget it failed the load).
 */
export const FIRST_CALL_S = 30;

/**
 * A guarded session's first call, made at load with FIRST_CALL_S; nothing for another session (its
 * first call is the caller's own). Throws InferenceTimeout when it does not answer by then.
 */
export function firstCall(s: OpenedSession, feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor | null>): void {
  if ('sync' in s && s.guarded) s.guarded.run(feeds, fetches, FIRST_CALL_S);
}

export interface GuardedOptions {
  /** Longest wait for one call's answer (s, wall time). */
  readonly timeoutS: number;
  /** Test hook: the worker blocks forever (as a native call that never returns) from this call on (1-based). */
  readonly hangFromCall?: number;
  /** Test hook: block in a native open() of this FIFO (which no one writes), a hang that `terminate()` cannot end. */
  readonly hangFifo?: string;
}

/**
 * The test hook from the environment, for tests that drive the CLI:
 * `AXON_TEST_ONNX_HANG=<call>[,fifo=<path>][,model=<part of the .onnx path>]`.
 */
function hangFromEnv(path: string): Pick<GuardedOptions, 'hangFromCall' | 'hangFifo'> {
  const v = process.env.AXON_TEST_ONNX_HANG;
  if (!v) return {};
  const [call, ...rest] = v.split(',');
  const kv = Object.fromEntries(rest.map((x) => x.split('=') as [string, string]));
  if (kv.model && !path.includes(kv.model)) return {};
  return { hangFromCall: Number(call), ...(kv.fifo ? { hangFifo: kv.fifo } : {}) };
}

/** Control words (Int32). */
const REQ = 0; // request seq, set by the caller after writing the feeds
const ANS = 1; // answer seq, set by the worker after writing the outputs
const ERR = 2; // 1: the answer is an error (its text is posted on the port)
const QUIT = 3;
const BUF = 4; // data block generation (a new block is posted on the port)
const N_IN = 5; // number of feeds in this request
const N_OUT = 6; // number of outputs asked for
/** Header (Int32) per tensor: name index, offset (floats), length, rank, up to MAX_RANK dims. */
const MAX_RANK = 6;
const SLOT = 4 + MAX_RANK;
const MAX_TENSORS = 32;

export interface GuardedSession extends SyncSession {
  /** `timeoutS`: this call's deadline instead of the session's. */
  run(feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor | null>, timeoutS?: number): Record<string, ort.Tensor>;
  /** A call has been running past its deadline (its worker may never answer). */
  readonly stuck: boolean;
  /** Ends the worker (terminated if it does not end within 1 s); resolves either way. */
  close(): Promise<void>;
}

/**
 * Opens `path` in a worker thread with `options`. Throws what onnxruntime throws when the model does
 * not load (the worker's error, its text kept).
 */
export async function openGuardedSession(path: string, options: ort.InferenceSession.SessionOptions, o: GuardedOptions): Promise<GuardedSession> {
  const control = new Int32Array(new SharedArrayBuffer(64));
  const header = new Int32Array(new SharedArrayBuffer(4 * SLOT * 2 * MAX_TENSORS));
  const port = new MessageChannel();
  const worker = new Worker(new URL('./worker.boot.mjs', import.meta.url), {
    workerData: { entry: new URL('./guardedWorker.ts', import.meta.url).href, path, options, control: control.buffer, header: header.buffer, port: port.port2, hangFromCall: 0, ...hangFromEnv(path), ...o },
    transferList: [port.port2],
  });
  const [msg] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([e]) => Promise.reject(e))])) as [
    { ready: true; inputs: ort.InferenceSession.ValueMetadata[]; outputs: ort.InferenceSession.ValueMetadata[] } | { ready: false; error: string },
  ];
  if (!msg.ready) {
    await once(worker, 'exit');
    throw new Error(msg.error);
  }
  // The header has room for MAX_TENSORS inputs and outputs of rank up to MAX_RANK each.
  const ranks = [...msg.inputs, ...msg.outputs].map((m) => (m.isTensor ? m.shape.length : 0));
  if (msg.inputs.length > MAX_TENSORS || msg.outputs.length > MAX_TENSORS || Math.max(...ranks) > MAX_RANK) {
    await endWorker(worker, () => {
      Atomics.store(control, QUIT, 1);
      Atomics.notify(control, REQ);
    });
    throw new Error(`a guarded session passes at most ${MAX_TENSORS} inputs and ${MAX_TENSORS} outputs of rank up to ${MAX_RANK}; this model has ${msg.inputs.length} inputs and ${msg.outputs.length} outputs, ranks up to ${Math.max(...ranks)}`);
  }
  return new Guarded(worker, port.port1, control, header, msg.inputs, msg.outputs, o.timeoutS, path);
}

class Guarded implements GuardedSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private data: Float32Array<ArrayBufferLike> = new Float32Array(0);
  /** The request whose answer is awaited (0: none outstanding). */
  private pending = 0;
  private pendingSince = 0;
  private seq = 0;
  private closed = false;
  private failure: Error | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly control: Int32Array,
    private readonly header: Int32Array,
    readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[],
    readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[],
    private readonly timeoutS: number,
    private readonly where: string,
  ) {
    this.inputNames = inputMetadata.map((m) => m.name);
    this.outputNames = outputMetadata.map((m) => m.name);
    worker.on('error', (e) => {
      this.failure = e;
    });
    worker.unref();
  }

  get stuck(): boolean {
    return this.pending !== 0 && Atomics.load(this.control, ANS) !== this.pending;
  }

  /** @param timeoutS this call's deadline instead of the session's (a load-time first call, which is slow) */
  run(feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor | null>, timeoutS = this.timeoutS): Record<string, ort.Tensor> {
    const short = this.call(feeds, fetches, 0, timeoutS);
    // An output larger than the room kept for it (a symbolic shape): once more with room for it.
    return short === 0 ? this.outputs(fetches) : (this.call(feeds, fetches, short, timeoutS), this.outputs(fetches));
  }

  /** One request; returns 0, or the floats the outputs needed beyond the data block. */
  private call(feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor | null>, extra: number, timeoutS: number): number {
    if (this.failure) throw new InferenceTimeout(this.where, `onnxruntime's worker thread ended: ${this.failure.message}`);
    if (this.closed) throw new Error(`${this.where}: session closed`);
    const c = this.control;
    if (this.stuck) throw new InferenceTimeout(this.where, `onnxruntime has not answered a call made ${ms(now() - this.pendingSince)} ago`);
    if (this.pending !== 0) this.drop();
    // Feeds into the data block, their layout into the header.
    let need = 0;
    for (const k in feeds) need += feeds[k].data.length;
    for (const name in fetches) need += outputRoom(fetches[name], this.outputMetadata.find((m) => m.name === name));
    // The worker's shortfall is against the block it had: this block plus it.
    if (extra > 0) need = Math.max(need, this.data.length + extra);
    if (need > this.data.length) this.grow(Math.max(need, 2 * this.data.length));
    const h = this.header;
    let n = 0,
      off = 0;
    for (const k in feeds) {
      const t = feeds[k];
      if (t.type !== 'float32') throw new Error(`${this.where}: input "${k}" is ${t.type}; a guarded session feeds float32 tensors only`);
      const s = n * SLOT;
      h[s] = this.inputNames.indexOf(k);
      h[s + 1] = off;
      h[s + 2] = t.data.length;
      h[s + 3] = t.dims.length;
      for (let i = 0; i < t.dims.length; i++) h[s + 4 + i] = t.dims[i];
      this.data.set(t.data as Float32Array, off);
      off += t.data.length;
      n++;
    }
    c[N_IN] = n;
    // The outputs asked for, by index, in the output slots (the worker fetches only these).
    let m = 0;
    for (let j = 0; j < this.outputNames.length; j++) if (this.outputNames[j] in fetches) h[(MAX_TENSORS + m++) * SLOT] = j;
    c[N_OUT] = m;
    const seq = ++this.seq;
    this.pending = seq;
    this.pendingSince = now();
    Atomics.store(c, REQ, seq);
    Atomics.notify(c, REQ);
    const due = this.pendingSince + timeoutS * 1000;
    for (;;) {
      const answered = Atomics.load(c, ANS);
      if (answered === seq) break;
      const left = due - now();
      if (left <= 0) throw new InferenceTimeout(this.where, `onnxruntime gave no answer within ${ms(timeoutS * 1000)}`);
      Atomics.wait(c, ANS, answered, left);
    }
    this.pending = 0;
    if (Atomics.load(c, ERR) === 1) {
      const m = receiveMessageOnPort(this.port)?.message as { error?: string } | undefined;
      throw new Error(m?.error ?? `${this.where}: onnxruntime failed`);
    }
    let short = 0;
    for (let j = 0; j < c[N_OUT]; j++) if (h[(MAX_TENSORS + j) * SLOT + 2] < 0) short -= h[(MAX_TENSORS + j) * SLOT + 2];
    if (short > 0 && extra > 0) throw new Error(`${this.where}: outputs larger than announced twice`);
    return short;
  }

  /** A late call has answered since: its outputs are not anyone's, and an error it posted is not either. */
  private drop(): void {
    this.pending = 0;
    if (Atomics.load(this.control, ERR) === 1) receiveMessageOnPort(this.port);
  }

  /** The worker's outputs (header slots after the inputs), into the caller's tensors where they fit. */
  private outputs(fetches: Record<string, ort.Tensor | null>): Record<string, ort.Tensor> {
    const h = this.header, out: Record<string, ort.Tensor> = {};
    for (let j = 0; j < this.control[N_OUT]; j++) {
      const s = (MAX_TENSORS + j) * SLOT;
      const name = this.outputNames[h[s]];
      const off = h[s + 1], len = h[s + 2], rank = h[s + 3];
      const values = this.data.subarray(off, off + len);
      const given = fetches[name];
      if (given && given.data.length === len) {
        (given.data as Float32Array).set(values);
        out[name] = given;
      } else {
        const dims: number[] = [];
        for (let i = 0; i < rank; i++) dims.push(h[s + 4 + i]);
        out[name] = new ort.Tensor('float32', values.slice(), dims);
      }
    }
    return out;
  }

  private grow(floats: number): void {
    this.data = new Float32Array(new SharedArrayBuffer(4 * floats));
    this.port.postMessage({ data: this.data.buffer });
    Atomics.add(this.control, BUF, 1);
  }

  dispose(): void {
    void this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await endWorker(this.worker, () => {
      Atomics.store(this.control, QUIT, 1);
      Atomics.notify(this.control, REQ);
    });
    this.port.close();
  }
}

/** Floats to keep for an output: the caller's tensor's size, else the metadata's fixed shape, else a guess the worker reports past. */
function outputRoom(given: ort.Tensor | null | undefined, md: ort.InferenceSession.ValueMetadata | undefined): number {
  if (given) return given.data.length;
  if (md && md.isTensor && md.shape.every((d) => typeof d === 'number' && d > 0)) return (md.shape as number[]).reduce((a, b) => a * b, 1);
  return 1024;
}

const now = (): number => performance.now();
const ms = (x: number): string => `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;

export const guardedLayout = { REQ, ANS, ERR, QUIT, BUF, N_IN, N_OUT, SLOT, MAX_RANK, MAX_TENSORS };

/** How a model's onnxruntime calls run: see OnnxRunMode in OnnxPolicy.ts. */
export type SessionKind = 'sync' | 'async' | 'guarded';

/** An opened model: a session called synchronously (on this thread, or guarded on a worker), or onnxruntime's public async one. */
export type OpenedSession = { readonly sync: SyncSession; readonly guarded?: GuardedSession } | { readonly async: ort.InferenceSession };

/**
 * Opens `path` as `kind` asks. 'sync' falls back to the public asynchronous session with a `note`
 * when the installed onnxruntime-node's native session is not one axon has checked (ortSync.ts);
 * 'guarded' needs `guard`. Throws what onnxruntime throws when the model does not load.
 */
export async function openOnnxSession(path: string, options: ort.InferenceSession.SessionOptions, kind: SessionKind, guard?: GuardedOptions): Promise<{ session: OpenedSession; note?: string }> {
  if (kind === 'guarded') {
    const g = await openGuardedSession(path, options, guard ?? { timeoutS: 1 });
    return { session: { sync: g, guarded: g } };
  }
  let note: string | undefined;
  if (kind === 'sync') {
    const opened = openSyncSession(path, options);
    if ('session' in opened) return { session: { sync: opened.session } };
    note = opened.note;
  }
  return { session: { async: await ort.InferenceSession.create(path, options) }, ...(note ? { note } : {}) };
}

/** Releases an opened session (a guarded one's worker ends). */
export async function closeOnnxSession(s: OpenedSession): Promise<void> {
  if ('async' in s) await s.async.release();
  else if (s.guarded) await s.guarded.close();
  else s.sync.dispose();
}

export { stuckInferenceWorkers };
