import { observationSize, actionSize, type ModelFolder } from '../model/manifest.ts';
import { OnnxPolicy } from './OnnxPolicy.ts';
import { AsyncPolicy } from './AsyncPolicy.ts';
import { ActionChunker } from './ActionChunker.ts';
import { ZeroPolicy, type Policy } from './Policy.ts';

export interface LoadPolicyOptions {
  /** Send zeros instead of the model's output (the do-nothing baseline). */
  readonly zero?: boolean;
  /** onnxruntime intra-op threads. */
  readonly threads?: number;
  /** Run the model in a worker thread; the loop never waits (stall bound in s). */
  readonly async?: { readonly stallS: number };
}

/** The policy a model folder describes: ONNX inline, chunk-served when the manifest declares chunks. */
export async function loadPolicy(folder: ModelFolder, o: LoadPolicyOptions = {}): Promise<Policy> {
  const m = folder.manifest;
  if (o.zero) return new ZeroPolicy(m, observationSize(m), actionSize(m));
  if (o.async) return AsyncPolicy.load(folder, o.async);
  const onnx = await OnnxPolicy.load(folder, o.threads);
  return m.action.chunk ? new ActionChunker(onnx) : onnx;
}
