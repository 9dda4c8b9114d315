/**
 * onnxruntime-node's native session, called synchronously.
 *
 * `InferenceSession.run()` (onnxruntime-common) awaits the backend's session handler
 * (`OnnxruntimeSessionHandler.run` in onnxruntime-node/dist/backend.js), which wraps one
 * synchronous native call, `#inferenceSession.run(feeds, fetches, options)`, in a `setImmediate`:
 * a tick that awaits it waits for the event loop to come round (measured: p50 ~0.3 ms, p99 2-3 ms
 * on the shipped models, for a 16-20 µs inference). Here the same native class
 * (`onnxruntime-node/dist/binding.js` -> `binding.InferenceSession`) is created and loaded the way
 * that handler does it, and its `run` is called directly: the same onnxruntime, the same kernels,
 * the same results, without the hop. The call blocks the calling thread for the inference time
 * (docs/architecture.md: the loop's thread is where blocking is fine; `--async` keeps a worker for big models).
 *
 * These are onnxruntime-node internals: a version outside `SYNC_VERSIONS`, or a binding that does
 * not have the expected shape, makes `openSyncSession` return a note instead, and the caller keeps
 * the public asynchronous `run()`.
 */
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';

/** onnxruntime-node versions whose dist/backend.js was read and whose native run was checked bit for bit against run(). */
export const SYNC_VERSIONS = /^1\.(2[0-9]|30)\./;

type IoMetadata = ort.InferenceSession.ValueMetadata;

/** The native session, with names and metadata in onnxruntime-common's form (what checkTensorIo reads). */
export interface SyncSession extends Pick<ort.InferenceSession, 'inputNames' | 'outputNames' | 'inputMetadata' | 'outputMetadata'> {
  /** Runs the model on this thread; `fetches` values are null (allocate) or a preallocated tensor written in place. */
  run(feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor | null>): Record<string, ort.Tensor>;
  dispose(): void;
}

interface RawMetadata {
  name: string;
  isTensor: boolean;
  type: number;
  shape: number[];
  symbolicDimensions: string[];
}
interface NativeSession {
  loadModel(path: string, options: ort.InferenceSession.SessionOptions): void;
  run(feeds: object, fetches: object, options: object): Record<string, ort.Tensor | { type: ort.Tensor.Type; data: ort.Tensor.DataType; dims: number[] }>;
  dispose(): void;
  readonly inputMetadata: RawMetadata[];
  readonly outputMetadata: RawMetadata[];
}
interface BindingModule {
  binding: { InferenceSession: new () => NativeSession };
  initOrt: () => void;
}

// onnxruntime-node/dist/backend.js's table (ONNX TensorProto element types).
const TYPES: (ort.Tensor.Type | undefined)[] = [undefined, 'float32', 'uint8', 'int8', 'uint16', 'int16', 'int32', 'int64', 'string', 'bool', 'float16', 'float64', 'uint32', 'uint64'];
TYPES[21] = 'uint4';
TYPES[22] = 'int4';
const _noOptions = {};

/** The installed onnxruntime-node version, or undefined when its package.json cannot be read. */
export function ortVersion(): string | undefined {
  try {
    return (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * Opens `path` as a native session to be run synchronously, with the options the public
 * `InferenceSession.create` would pass on (CPU: no execution provider to resolve). Returns
 * `{ note }` when the internals are not the ones this was written against (`version` is the
 * installed onnxruntime-node's, a parameter for tests); throws what
 * onnxruntime throws when the model does not load.
 */
export function openSyncSession(path: string, options: ort.InferenceSession.SessionOptions, version = ortVersion()): { session: SyncSession } | { note: string } {
  if (!version || !SYNC_VERSIONS.test(version))
    return { note: `onnxruntime-node ${version ?? '(unknown version)'} is not one whose native session axon has checked (${SYNC_VERSIONS.source}); using its asynchronous run()` };
  let mod: BindingModule;
  try {
    mod = createRequire(import.meta.url)('onnxruntime-node/dist/binding.js') as BindingModule;
  } catch (e) {
    return { note: `onnxruntime-node ${version}: dist/binding.js not loadable (${(e as Error).message}); using its asynchronous run()` };
  }
  const Native = mod?.binding?.InferenceSession;
  const proto = Native?.prototype as Partial<NativeSession> | undefined;
  if (typeof Native !== 'function' || typeof mod.initOrt !== 'function' || typeof proto?.run !== 'function' || typeof proto.loadModel !== 'function' || typeof proto.dispose !== 'function')
    return { note: `onnxruntime-node ${version}: binding.InferenceSession has not the expected loadModel/run/dispose; using its asynchronous run()` };
  mod.initOrt();
  const native = new Native();
  native.loadModel(path, options);
  const inputs = native.inputMetadata.map(toMetadata);
  const outputs = native.outputMetadata.map(toMetadata);
  return {
    session: {
      inputNames: inputs.map((m) => m.name),
      outputNames: outputs.map((m) => m.name),
      inputMetadata: inputs,
      outputMetadata: outputs,
      run(feeds, fetches) {
        const raw = native.run(feeds, fetches, _noOptions);
        // This version returns Tensors (initOrtOnce was given the Tensor class); older ones plain objects.
        for (const k in raw) {
          const v = raw[k];
          if (!(v instanceof ort.Tensor)) raw[k] = new ort.Tensor(v.type, v.data as Float32Array, v.dims);
        }
        return raw as Record<string, ort.Tensor>;
      },
      dispose: () => native.dispose(),
    },
  };
}

function toMetadata(m: RawMetadata): IoMetadata {
  if (!m.isTensor) return { name: m.name, isTensor: false };
  const type = TYPES[m.type];
  // backend.js refuses the types it has no name for; checkTensorIo then refuses what is not float32.
  if (type === undefined) throw new Error(`Unsupported data type: ${m.type}`);
  const shape = m.shape.map((d, i) => (d === -1 ? m.symbolicDimensions[i] : d));
  return { name: m.name, isTensor: true, type, shape };
}
