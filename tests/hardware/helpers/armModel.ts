/** A temporary model folder for the 6-servo arm: an ONNX MLP with zero weights whose output is a constant pose. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mlp } from '../../../models/train/mlp.ts';
import { mlpToOnnx } from '../../../models/train/onnx/writeOnnx.ts';
import { Rng } from '../../../src/core/rng.ts';

export const ARM_JOINTS = ['shoulder_pan', 'shoulder_lift', 'elbow', 'wrist_pitch', 'wrist_roll', 'gripper'];

export function writeConstantPoseModel(target: readonly number[], controlHz = 50): string {
  const dir = mkdtempSync(join(tmpdir(), 'axon-arm-reach-'));
  const n = ARM_JOINTS.length;
  const mlp = new Mlp([n, n], 'tanh', 'identity', new Rng(1));
  mlp.params.fill(0);
  mlp.bias(0).set(target);
  writeFileSync(join(dir, 'model.onnx'), mlpToOnnx(mlp));
  const manifest = {
    schema: 'axon.model/1',
    name: 'arm-reach-const',
    kind: 'policy',
    robot: 'arm6-xm430',
    joints: ARM_JOINTS,
    control_hz: controlHz,
    onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
    observation: { terms: [{ term: 'joint_pos' }] },
    action: { type: 'joint_position_abs' },
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return dir;
}
