/**
 * The worker side of a guarded session (guardedSession.ts): owns one onnxruntime session and
 * answers each request in shared memory. The caller blocks in Atomics.wait for the answer with a
 * deadline; this thread is the one that may hang in a native call without freezing the loop.
 */
import { openSync } from 'node:fs';
import { workerData, parentPort, type MessagePort } from 'node:worker_threads';
import { receiveMessageOnPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { openSyncSession, type SyncSession } from './ortSync.ts';
import { guardedLayout as L } from './guardedSession.ts';

interface Shared {
  readonly path: string;
  readonly options: ort.InferenceSession.SessionOptions;
  readonly control: SharedArrayBuffer;
  readonly header: SharedArrayBuffer;
  readonly port: MessagePort;
  readonly hangFromCall: number;
  readonly hangFifo?: string;
}

const d = workerData as Shared;
const control = new Int32Array(d.control);
const header = new Int32Array(d.header);
let data: Float32Array<ArrayBufferLike> = new Float32Array(0);
let generation = 0;

let run: (feeds: Record<string, ort.Tensor>, fetches: Record<string, null>) => Record<string, ort.Tensor> | Promise<Record<string, ort.Tensor>>;
let names: { inputs: readonly string[]; outputs: readonly string[] };
let meta: { inputs: readonly ort.InferenceSession.ValueMetadata[]; outputs: readonly ort.InferenceSession.ValueMetadata[] };
try {
  const opened = openSyncSession(d.path, d.options);
  if ('session' in opened) {
    const s: SyncSession = opened.session;
    run = (feeds, fetches) => s.run(feeds, fetches);
    names = { inputs: s.inputNames, outputs: s.outputNames };
    meta = { inputs: s.inputMetadata, outputs: s.outputMetadata };
  } else {
    // An onnxruntime-node whose native session axon has not checked: its public run() (blocking here is fine).
    const s = await ort.InferenceSession.create(d.path, d.options);
    run = (feeds, fetches) => s.run(feeds, Object.keys(fetches));
    names = { inputs: s.inputNames, outputs: s.outputNames };
    meta = { inputs: s.inputMetadata, outputs: s.outputMetadata };
  }
} catch (e) {
  parentPort!.postMessage({ ready: false, error: e instanceof Error ? e.message : String(e) });
  process.exit(0);
}

let seen = Atomics.load(control, L.REQ);
parentPort!.postMessage({ ready: true, inputs: meta.inputs, outputs: meta.outputs });
let calls = 0;
const local: Float32Array[] = [];
while (Atomics.load(control, L.QUIT) === 0) {
  Atomics.wait(control, L.REQ, seen, 1000);
  const seq = Atomics.load(control, L.REQ);
  if (seq === seen) continue;
  seen = seq;
  // Test hook: a call that never returns (in native code with a FIFO: terminate() cannot end it).
  if (++calls >= d.hangFromCall && d.hangFromCall > 0) d.hangFifo ? openSync(d.hangFifo, 'r') : Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  if (Atomics.load(control, L.BUF) !== generation) {
    generation = Atomics.load(control, L.BUF);
    // The newest block (older ones were superseded before this request).
    for (let m = receiveMessageOnPort(d.port); m; m = receiveMessageOnPort(d.port)) data = new Float32Array((m.message as { data: SharedArrayBuffer }).data);
  }
  try {
    const feeds: Record<string, ort.Tensor> = {};
    let end = 0;
    for (let i = 0; i < control[L.N_IN]; i++) {
      const s = i * L.SLOT;
      const off = header[s + 1], len = header[s + 2], dims: number[] = [];
      for (let r = 0; r < header[s + 3]; r++) dims.push(header[s + 4 + r]);
      // onnxruntime's binding refuses a tensor over shared memory: a copy of this thread's own.
      if (local[i] === undefined || local[i].length < len) local[i] = new Float32Array(Math.max(len, 2 * (local[i]?.length ?? 0)));
      const own = local[i].subarray(0, len);
      own.set(data.subarray(off, off + len));
      feeds[names.inputs[header[s]]] = new ort.Tensor('float32', own, dims);
      end = Math.max(end, off + len);
    }
    const n = control[L.N_OUT];
    const fetches: Record<string, null> = {};
    for (let j = 0; j < n; j++) fetches[names.outputs[header[(L.MAX_TENSORS + j) * L.SLOT]]] = null;
    const out = await run(feeds, fetches);
    // Room for all of them, or the shortfall in the first slot (the caller grows the block and asks again).
    let total = 0;
    for (let j = 0; j < n; j++) total += out[names.outputs[header[(L.MAX_TENSORS + j) * L.SLOT]]].data.length;
    for (let j = 0; j < n; j++) header[(L.MAX_TENSORS + j) * L.SLOT + 2] = 0;
    if (end + total > data.length) header[L.MAX_TENSORS * L.SLOT + 2] = -(end + total - data.length);
    else
      for (let j = 0; j < n; j++) {
        const s = (L.MAX_TENSORS + j) * L.SLOT, name = names.outputs[header[s]], t = out[name];
        if (t.type !== 'float32') throw new Error(`output "${name}" is ${t.type}; a guarded session reads float32 outputs only`);
        const v = t.data as Float32Array;
        header[s + 1] = end;
        header[s + 2] = v.length;
        header[s + 3] = Math.min(t.dims.length, L.MAX_RANK);
        for (let r = 0; r < header[s + 3]; r++) header[s + 4 + r] = t.dims[r];
        data.set(v, end);
        end += v.length;
      }
    control[L.ERR] = 0;
  } catch (e) {
    d.port.postMessage({ error: e instanceof Error ? e.message : String(e) });
    control[L.ERR] = 1;
  }
  Atomics.store(control, L.ANS, seq);
  Atomics.notify(control, L.ANS);
}
d.port.close();
