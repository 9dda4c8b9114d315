import { observationSize, actionSize, type ModelFolder } from '../model/manifest.ts';
import { OnnxPolicy, type OnnxRunMode } from './OnnxPolicy.ts';
import { AsyncPolicy } from './AsyncPolicy.ts';
import type { GuardedOptions } from './guardedSession.ts';
import { ActionChunker } from './ActionChunker.ts';
import { ZeroPolicy, type Policy } from './Policy.ts';

export interface LoadPolicyOptions {
  /** Send zeros instead of the model's output (the do-nothing baseline). */
  readonly zero?: boolean;
  /** onnxruntime intra-op threads. */
  readonly threads?: number;
  /** Inline model: call onnxruntime's native session on the loop's thread ('sync', default) or await its run() ('async'). */
  readonly onnxRun?: OnnxRunMode;
  /** Inline model on a worker thread the loop waits for with this deadline ('guarded', guardedSession.ts). */
  readonly guard?: GuardedOptions;
  /** Run the model in a worker thread; the loop never waits (stall bound in s). */
  readonly async?: { readonly stallS: number };
}

/**
 * The policy a model folder describes: ONNX inline (synchronous native call, see ortSync.ts),
 * chunk-served when the manifest declares chunks.
 */
export async function loadPolicy(folder: ModelFolder, o: LoadPolicyOptions = {}): Promise<Policy> {
  const m = folder.manifest;
  if (o.zero) return new ZeroPolicy(m, observationSize(m), actionSize(m));
  if (o.async) return AsyncPolicy.load(folder, o.async);
  // AXON_ONNX_RUN=async: the escape hatch (and the A/B switch for measuring the hop) without a flag.
  const mode = o.onnxRun ?? (process.env.AXON_ONNX_RUN === 'async' ? 'async' : 'sync');
  const onnx = await OnnxPolicy.load(folder, o.guard ? { threads: o.threads, mode: 'guarded', guard: o.guard } : { threads: o.threads, mode });
  return m.action.chunk ? new ActionChunker(onnx) : onnx;
}
