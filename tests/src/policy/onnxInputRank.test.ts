/**
 * R11 F3: a policy exported without a batch dimension (`torch.onnx.export(policy, torch.zeros(N))`:
 * input obs [N]) or with a history/sequence axis of 1 (obs [1, 1, N]) passed the load check (only
 * the last dimension was read) and then failed on the first call with onnxruntime's "Invalid rank
 * for input", exit 1. The observation is now fed in the rank the graph declares; a leading
 * dimension other than 1 is refused at load, MODEL_SHAPE naming the input, its shape and what fits.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OnnxGraphBuilder } from '../../../models/train/onnx/OnnxGraphBuilder.ts';
import { encodeModel } from '../../../models/train/onnx/onnxModel.ts';
import { ONNX_IR_VERSION, ONNX_OPSET } from '../../../models/train/onnx/writeOnnx.ts';
import { loadModelFolder } from '../../../src/model/manifest.ts';
import { OnnxPolicy } from '../../../src/policy/OnnxPolicy.ts';
import { rankedInputPolicy, zeroPositionPolicy } from '../../helpers/onnxFixtures.ts';

/** actions = obs · 0 + bias, obs of the shape given ([..., 4]) and actions [..., 2] of the same leading dimensions, as torch exports one. */
const folderWithInput = (shape: (number | string)[]) => rankedInputPolicy(['hip.pitch-joint', 'knee_joint'], shape, new Float32Array([0.5, -0.25]));

describe('OnnxPolicy: the observation input in the rank the graph declares', () => {
  for (const mode of ['sync', 'async'] as const)
    it.each([[[4]], [[1, 1, 4]], [['batch', 1, 4]], [[1, 4]]])(`${mode}: obs %j is fed and acts`, async (shape) => {
      const policy = await OnnxPolicy.load(loadModelFolder(folderWithInput(shape)), { mode });
      try {
        const out = await policy.act(new Float32Array([0.1, 0.2, 0.3, 0.4]));
        expect(Array.from(out)).toEqual([0.5, -0.25]);
      } finally {
        await policy.close();
      }
    });

  it('a leading dimension other than 1 is MODEL_SHAPE at load, naming the input, its shape and what fits', async () => {
    const e = await OnnxPolicy.load(loadModelFolder(folderWithInput([2, 4]))).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'MODEL_SHAPE' });
    expect((e as Error).message).toContain('model.onnx input "obs": has shape [2, 4]: axon feeds one observation of 4 values per call');
    expect((e as Error).message).toContain('[4], [1, 4] or [1, 1, 4]');
  });
});

/** A chunked policy (action.chunk length 3 of 2 values): obs of `inShape`, actions reshaped to `outShape`, = bias 0..5. */
function chunkedFolder(inShape: number[], outShape: number[]): string {
  const dir = zeroPositionPolicy(['hip.pitch-joint', 'knee_joint']);
  const mf = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(mf, 'utf8'));
  m.action.chunk = { length: 3 };
  writeFileSync(mf, JSON.stringify(m));
  const g = new OnnxGraphBuilder('torch_jit');
  const x = g.input('obs', 'float32', inShape);
  const flat = outShape.reduce((a, b) => a * b, 1) / inShape.slice(0, -1).reduce((a, b) => a * b, 1);
  const W = g.initializer('w', 'float32', [4, flat], new Float32Array(4 * flat));
  const B = g.initializer('b', 'float32', [flat], Float32Array.from({ length: flat }, (_, i) => i));
  g.node('MatMul', [x, W], ['mm']);
  g.node('Add', ['mm', B], ['flat']);
  g.initializer('s', 'int64', [outShape.length], BigInt64Array.from(outShape.map(BigInt)));
  g.node('Reshape', ['flat', 's'], ['actions']);
  g.output('actions', 'float32', outShape);
  writeFileSync(join(dir, 'model.onnx'), encodeModel({ irVersion: ONNX_IR_VERSION, opsetImports: [{ domain: '', version: ONNX_OPSET }], producerName: 'pytorch', producerVersion: '2.5.0', graph: g.build() }));
  return dir;
}

describe('a chunked policy (review R17 F9): [L, n] after an [N] input as [1, L, n] after [1, N]', () => {
  it.each([
    [[4], [3, 2]],
    [[4], [6]],
    [[1, 4], [1, 3, 2]],
    [[1, 4], [1, 6]],
  ])('obs %j -> actions %j is read as the chunk', async (inShape, outShape) => {
    const policy = await OnnxPolicy.load(loadModelFolder(chunkedFolder(inShape, outShape)));
    try {
      expect(Array.from(await policy.act(new Float32Array(4)))).toEqual([0, 1, 2, 3, 4, 5]); // the whole chunk, step-major
    } finally {
      await policy.close();
    }
  });

  it('a chunk output of the wrong size is MODEL_SHAPE naming its shape and the shapes the chunk implies', async () => {
    const e = await OnnxPolicy.load(loadModelFolder(chunkedFolder([4], [2, 2]))).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'MODEL_SHAPE' });
    expect((e as Error).message).toContain('model.onnx output "actions": has shape [2, 2], but action.chunk length 3 of 2 action values per step with input [4] implies');
    expect((e as Error).message).toContain('[3, 2] (one axis more than the input) or flat [6]');
  });
});
