/**
 * Review R17 F3: the shield's `--continuation policy` (BatchPolicy) fed `[batch, N]` whatever the
 * policy's input declared, so a policy exported with a fixed batch of 1 (`[1, N]`, torch.onnx.export
 * without dynamic_axes), without a batch dimension (`[N]`) or with a sequence axis (`[1, 1, N]`)
 * failed in onnxruntime at the first veto, seen as a world_model_deadline safe stop. Such a graph
 * is now run one row at a time in the shape it declares; each row must equal the batched graph's.
 */
import { describe, expect, it } from 'vitest';
import { loadModelFolder } from '../../../src/model/manifest.ts';
import { BatchPolicy } from '../../../src/worldmodel/BatchPolicy.ts';
import { rankedInputPolicy } from '../../helpers/onnxFixtures.ts';

const JOINTS = ['hip.pitch-joint', 'knee_joint'];
// World-model state in another order than the policy's terms.
const STATE = ['joint_vel.knee_joint', 'joint_pos.knee_joint', 'joint_vel.hip.pitch-joint', 'joint_pos.hip.pitch-joint'];

/** actions = obs · W + b (obs 4: pos rel, vel; 2 actions), obs of the given shape, as torch exports one. */
const W = new Float32Array([1, -2, 3, 0.5, -1, 4, 2, -3]);
const folderWithInput = (shape: (number | string)[]) => rankedInputPolicy(JOINTS, shape, new Float32Array([0.5, -0.25]), W);

async function run(shape: (number | string)[], batch: number): Promise<number[]> {
  const bp = await BatchPolicy.load(loadModelFolder(folderWithInput(shape)), STATE, new Float32Array([0.1, -0.2]), 8);
  try {
    const states = Float32Array.from({ length: batch * STATE.length }, (_, i) => Math.sin(i + 1));
    const out = new Float32Array(batch * 2);
    await bp.act(states, new Float32Array(batch * 2), batch, out);
    await bp.act(states, new Float32Array(batch * 2), batch, out); // a second call reuses the tensors
    return Array.from(out);
  } finally {
    await bp.close();
  }
}

describe('BatchPolicy: a policy input that takes no batch is run one row at a time', () => {
  it.each([[[1, 4]], [[4]], [[1, 1, 4]], [['batch', 1, 4]]])('obs %j gives each row what the batched graph gives', async (shape) => {
    const want = await run(['batch', 4], 5);
    const got = await run(shape, 5);
    expect(got).toHaveLength(10);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    expect(new Set(got.map((v) => v.toFixed(4))).size).toBeGreaterThan(2); // rows differ: not one row repeated
  });
});
