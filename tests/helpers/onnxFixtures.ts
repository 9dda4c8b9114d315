/**
 * ONNX model folders written by the tests themselves (no downloads): a linear policy, a GRU
 * policy with recurrent state, and a chunked policy. Each is a real ONNX file run by
 * onnxruntime-node, beside a manifest.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxGraphBuilder } from '../../models/train/onnx/OnnxGraphBuilder.ts';
import { attr, encodeModel } from '../../models/train/onnx/onnxModel.ts';
import { ONNX_IR_VERSION, ONNX_OPSET } from '../../models/train/onnx/writeOnnx.ts';
import type { ModelManifest } from '../../src/model/manifest.ts';

/**
 * An exported policy file as torch.onnx.export writes one with dynamic_axes={} (mjlab's and Isaac
 * Lab's exporters): input [1, inDim], output [1, outDim], action = W · obs (W row-major [out][in],
 * zeros unless given), and metadata_props appended in the order given, a key repeated if given twice,
 * as a Python exporter appends them (`model.metadata_props.append(entry)`).
 */
export function exportedPolicyOnnx(
  file: string,
  io: { readonly input?: string; readonly output?: string; readonly inDim: number; readonly outDim: number; readonly w?: Float32Array },
  metadataProps: readonly { readonly key: string; readonly value: string }[] = [],
): void {
  const g = new OnnxGraphBuilder('torch_jit');
  const x = g.input(io.input ?? 'obs', 'float32', [1, io.inDim]);
  const W = g.initializer('actor.0.weight', 'float32', [io.outDim, io.inDim], io.w ?? new Float32Array(io.outDim * io.inDim));
  g.node('Gemm', [x, W], [io.output ?? 'actions'], { transB: attr.int(1) });
  g.output(io.output ?? 'actions', 'float32', [1, io.outDim]);
  writeFileSync(file, encodeModel({ irVersion: ONNX_IR_VERSION, opsetImports: [{ domain: '', version: ONNX_OPSET }], producerName: 'pytorch', producerVersion: '2.9.0', graph: g.build(), metadataProps }));
}

function writeFolder(manifest: ModelManifest, g: OnnxGraphBuilder): string {
  const dir = mkdtempSync(join(tmpdir(), 'axon-fixture-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), encodeModel({ irVersion: ONNX_IR_VERSION, opsetImports: [{ domain: '', version: ONNX_OPSET }], producerName: 'axon-tests', graph: g.build() }));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

/** action = W · obs + b, W given row-major [out][in]. */
export function linearPolicy(manifest: ModelManifest, inDim: number, outDim: number, w: Float32Array, b: Float32Array): string {
  const g = new OnnxGraphBuilder('linear');
  const x = g.input(manifest.onnx.input, 'float32', ['batch', inDim]);
  const W = g.initializer('W', 'float32', [outDim, inDim], w);
  const B = g.initializer('B', 'float32', [outDim], b);
  g.node('Gemm', [x, W, B], [manifest.onnx.output], { transB: attr.int(1) });
  g.output(manifest.onnx.output, 'float32', ['batch', outDim]);
  return writeFolder(manifest, g);
}

export interface GruWeights {
  /** [3H, in], gates z, r, h (ONNX order). */
  readonly w: Float32Array;
  /** [3H, H] */
  readonly r: Float32Array;
  /** [6H]: Wb (z r h) then Rb (z r h) */
  readonly b: Float32Array;
  /** Output head [out, H]. */
  readonly wo: Float32Array;
}

/** A one-layer GRU (ONNX GRU op, linear_before_reset 0) with hidden state fed back by the manifest's `recurrent` entry. */
export function gruPolicy(manifest: ModelManifest, inDim: number, hidden: number, outDim: number, wts: GruWeights): string {
  const rec = manifest.recurrent![0];
  const g = new OnnxGraphBuilder('gru');
  const x = g.input(manifest.onnx.input, 'float32', [1, inDim]);
  const h0 = g.input(rec.input, 'float32', [1, 1, hidden]);
  const axes = g.initializer('axes0', 'int64', [1], BigInt64Array.from([0n]));
  const [seq] = g.node('Unsqueeze', [x, axes], ['x_seq']);
  const W = g.initializer('W', 'float32', [1, 3 * hidden, inDim], wts.w);
  const R = g.initializer('R', 'float32', [1, 3 * hidden, hidden], wts.r);
  const B = g.initializer('B', 'float32', [1, 6 * hidden], wts.b);
  g.node('GRU', [seq, W, R, B, '', h0], ['Y', rec.output], { hidden_size: attr.int(hidden) });
  const shape = g.initializer('hshape', 'int64', [2], BigInt64Array.from([1n, BigInt(hidden)]));
  const [h2] = g.node('Reshape', [rec.output, shape], ['h_flat']);
  const Wo = g.initializer('Wo', 'float32', [outDim, hidden], wts.wo);
  g.node('Gemm', [h2, Wo], [manifest.onnx.output], { transB: attr.int(1) });
  g.output(manifest.onnx.output, 'float32', [1, outDim]);
  g.output(rec.output, 'float32', [1, 1, hidden]);
  return writeFolder(manifest, g);
}

/** chunk[i][k] = obs[0] + i + 10·k: a chunk whose every value says which query and step it came from. */
export function countingChunkPolicy(manifest: ModelManifest, inDim: number, length: number, n: number): string {
  const g = new OnnxGraphBuilder('chunk');
  const x = g.input(manifest.onnx.input, 'float32', [1, inDim]);
  const w = new Float32Array(length * n * inDim);
  const b = new Float32Array(length * n);
  for (let i = 0; i < length; i++)
    for (let k = 0; k < n; k++) {
      w[(i * n + k) * inDim] = 1;
      b[i * n + k] = i + 10 * k;
    }
  const W = g.initializer('W', 'float32', [length * n, inDim], w);
  const B = g.initializer('B', 'float32', [length * n], b);
  const [flat] = g.node('Gemm', [x, W, B], ['flat'], { transB: attr.int(1) });
  const shape = g.initializer('cshape', 'int64', [3], BigInt64Array.from([1n, BigInt(length), BigInt(n)]));
  g.node('Reshape', [flat, shape], [manifest.onnx.output]);
  g.output(manifest.onnx.output, 'float32', [1, length, n]);
  return writeFolder(manifest, g);
}

/** A running sum: h_out = h_in + obs, action = h_out ([1, n] each). A NaN input poisons the state unless the runtime refuses to feed it back. */
export function accumulatorPolicy(manifest: ModelManifest, n: number): string {
  const rec = manifest.recurrent![0];
  const g = new OnnxGraphBuilder('accumulator');
  const x = g.input(manifest.onnx.input, 'float32', [1, n]);
  const h = g.input(rec.input, 'float32', [1, n]);
  g.node('Add', [h, x], [rec.output]);
  g.node('Identity', [rec.output], [manifest.onnx.output]);
  g.output(manifest.onnx.output, 'float32', [1, n]);
  g.output(rec.output, 'float32', [1, n]);
  return writeFolder(manifest, g);
}

/**
 * A position policy whose action is always 0 (every joint at the manifest's default pose) on these
 * joints, reading joint_pos_rel and joint_vel unless `over` gives other terms (IMU and base terms
 * are 3 wide), with `over`'s other fields (default_joint_pos, pd, actuators, imu_link, ...).
 */
export function zeroPositionPolicy(joints: string[], over: Partial<ModelManifest> = {}): string {
  const n = joints.length;
  const m: ModelManifest = {
    schema: 'axon.model/1',
    name: 'zero',
    kind: 'policy',
    robot: 'test',
    joints,
    control_hz: 50,
    onnx: { file: 'model.onnx', input: 'obs', output: 'actions' },
    observation: { terms: [{ term: 'joint_pos_rel' }, { term: 'joint_vel' }] },
    action: { type: 'joint_position', scale: 0.25 },
    ...over,
  };
  const inDim = m.observation.terms.reduce((k, t) => k + (t.term === 'joint_pos_rel' || t.term === 'joint_vel' ? n : 3), 0);
  return linearPolicy(m, inDim, n, new Float32Array(n * inDim), new Float32Array(n));
}

/**
 * zeroPositionPolicy(joints) (obs 2n: pos rel, vel; n actions) with its model.onnx replaced by one
 * as torch.onnx.export writes it for an input of `shape` ([..., 2n]; [2n], [1, 2n], ['batch', 1, 2n]...):
 * actions = obs · W + b (MatMul then Add, W [2n, n] row-major, zeros unless given), actions of the
 * input's leading dimensions and n wide.
 */
export function rankedInputPolicy(joints: string[], shape: (number | string)[], b: Float32Array, w?: Float32Array): string {
  const n = joints.length;
  const dir = zeroPositionPolicy(joints);
  const g = new OnnxGraphBuilder('torch_jit');
  const x = g.input('obs', 'float32', shape);
  const W = g.initializer('actor.0.weight', 'float32', [2 * n, n], w ?? new Float32Array(2 * n * n));
  const B = g.initializer('actor.0.bias', 'float32', [n], b);
  g.node('MatMul', [x, W], ['mm']);
  g.node('Add', ['mm', B], ['actions']);
  g.output('actions', 'float32', [...shape.slice(0, -1), n]);
  writeFileSync(join(dir, 'model.onnx'), encodeModel({ irVersion: ONNX_IR_VERSION, opsetImports: [{ domain: '', version: ONNX_OPSET }], producerName: 'pytorch', producerVersion: '2.5.0', graph: g.build() }));
  return dir;
}
