/**
 * Export an Mlp as an ONNX model (IR 8, opset 17) and write model files.
 *
 * Graph: input [batch, inDim] float32 -> for each layer Gemm(x, W [out,in], b [out], transB=1)
 * -> Tanh/Relu on hidden layers, Tanh or nothing on the last -> output [batch, outDim].
 * "batch" is a symbolic dimension, so any batch size (including 1) runs.
 * Same weights and options give the same bytes (no timestamps, no host-dependent output).
 */
import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeDirs } from '../../../src/core/makeDirs.ts';
import type { Mlp } from '../mlp.ts';
import { OnnxGraphBuilder } from './OnnxGraphBuilder.ts';
import { OnnxError, attr, encodeModel } from './onnxModel.ts';

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

export interface MlpToOnnxOptions {
  /** Graph input name. Default 'obs'. */
  inputName?: string;
  /** Graph output name. Default 'action'. */
  outputName?: string;
  /** Name of the symbolic batch dimension. Default 'batch'. */
  batchDim?: string;
  /** ModelProto.producer_name. Default 'axon'. */
  producer?: string;
  /** ModelProto.producer_version; omitted when not given (keep it stable for byte-determinism). */
  producerVersion?: string;
  /** ModelProto.doc_string. */
  docString?: string;
  /** GraphProto.name. Default 'mlp'. */
  graphName?: string;
  /** ModelProto.metadata_props (e.g. observation scaling), written sorted by key. */
  metadata?: Record<string, string>;
}

/** ONNX ModelProto bytes computing `mlp.forward` for a batch. */
export function mlpToOnnx(mlp: Mlp, opts: MlpToOnnxOptions = {}): Uint8Array {
  const inputName = opts.inputName ?? 'obs';
  const outputName = opts.outputName ?? 'action';
  const batch = opts.batchDim ?? 'batch';
  if (inputName === outputName) {
    throw new OnnxError('DUPLICATE_NAME', 'input and output names must differ', { what: 'inputName/outputName', name: inputName });
  }
  const g = new OnnxGraphBuilder(opts.graphName ?? 'mlp');
  let x = g.input(inputName, 'float32', [batch, mlp.inDim]);
  const L = mlp.numLayers;
  for (let l = 0; l < L; l++) {
    const nIn = mlp.sizes[l];
    const nOut = mlp.sizes[l + 1];
    const last = l === L - 1;
    const act = last ? mlp.outputActivation : mlp.activation;
    const w = g.initializer(`layers.${l}.weight`, 'float32', [nOut, nIn], mlp.weight(l));
    const b = g.initializer(`layers.${l}.bias`, 'float32', [nOut], mlp.bias(l));
    const gemmOut = last && act === 'identity' ? outputName : `layers.${l}.linear`;
    [x] = g.node('Gemm', [x, w, b], [gemmOut], { transB: attr.int(1) }, `layers.${l}.gemm`);
    if (act !== 'identity') {
      const opType = act === 'tanh' ? 'Tanh' : 'Relu';
      [x] = g.node(opType, [x], [last ? outputName : `layers.${l}.${act}`], undefined, `layers.${l}.${act}`);
    }
  }
  g.output(outputName, 'float32', [batch, mlp.outDim]);
  return encodeModel({
    irVersion: ONNX_IR_VERSION,
    opsetImports: [{ domain: '', version: ONNX_OPSET }],
    producerName: opts.producer ?? 'axon',
    producerVersion: opts.producerVersion,
    docString: opts.docString,
    graph: g.build(),
    metadata: opts.metadata,
  });
}

/** Lower-case hex SHA-256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Write `bytes` to `path` (creating parent folders) through a temporary file and a rename, so
 * a reader never sees a half-written model. Returns the SHA-256 (hex) of what was written.
 */
export async function writeOnnxFile(path: string, bytes: Uint8Array): Promise<string> {
  makeDirs(dirname(path));
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
  return sha256Hex(bytes);
}
