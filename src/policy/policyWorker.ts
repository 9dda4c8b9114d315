/**
 * The worker side of AsyncPolicy: owns an onnxruntime session and answers the newest request in
 * shared memory. Protocol (Int32 control words):
 *   [0] request seq (main increments after writing the input)
 *   [1] answer seq  (worker sets to the request seq it answered, after writing the output)
 *   [2] busy        (1 while a request is being run)
 *   [3] quit
 * Float64 [0] = last inference time (s). The worker never posts per-tick messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { loadModelFolder } from '../model/manifest.ts';
import { OnnxPolicy } from './OnnxPolicy.ts';
import { errorData } from '../core/errors.ts';

interface Shared {
  readonly dir: string;
  readonly control: SharedArrayBuffer;
  readonly input: SharedArrayBuffer;
  readonly output: SharedArrayBuffer;
  readonly timing: SharedArrayBuffer;
  /** Test hook: sleep this long (ms) inside each inference, to model a slow model. */
  readonly delayMs: number;
}

const d = workerData as Shared;
const control = new Int32Array(d.control);
const input = new Float32Array(d.input);
const output = new Float32Array(d.output);
const timing = new Float64Array(d.timing);
let policy: OnnxPolicy;
try {
  policy = await OnnxPolicy.load(loadModelFolder(d.dir));
} catch (e) {
  // Posted as data: an uncaught error would reach AsyncPolicy.load without its code (exit 1, not 2).
  parentPort!.postMessage({ ready: false, error: errorData(e) });
  process.exit(0);
}
const local = new Float32Array(input.length);
// Read the request counter before saying ready: a request made right after `ready` must be seen
// as new (reading it afterwards could swallow the first request and deadlock the pair).
let seen = Atomics.load(control, 0);
// Atomics.waitAsync does not keep a worker's event loop alive: hold it open until told to quit.
const keepAlive = setInterval(() => {}, 1 << 30);
parentPort!.postMessage({ ready: true });
while (Atomics.load(control, 3) === 0) {
  const w = Atomics.waitAsync(control, 0, seen, 100);
  if (w.async) await w.value;
  const seq = Atomics.load(control, 0);
  if (seq === seen) continue;
  seen = seq;
  local.set(input);
  const t0 = performance.now();
  if (d.delayMs > 0) await new Promise((r) => setTimeout(r, d.delayMs));
  const out = await policy.act(local);
  output.set(out.subarray(0, output.length));
  timing[0] = (performance.now() - t0) / 1000;
  Atomics.store(control, 1, seq);
  Atomics.store(control, 2, 0);
}
clearInterval(keepAlive);
await policy.close();
