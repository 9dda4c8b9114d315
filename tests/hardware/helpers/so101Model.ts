/** A temporary model folder for the SO-101 arm: an ONNX MLP with zero weights whose output is a constant pose. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mlp } from '../../../models/train/mlp.ts';
import { mlpToOnnx } from '../../../models/train/onnx/writeOnnx.ts';
import { Rng } from '../../../src/core/rng.ts';

export const SO101_JOINTS = ['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper'];

export function writeSo101PoseModel(target: readonly number[], controlHz = 50): string {
  const dir = mkdtempSync(join(tmpdir(), 'axon-so101-pose-'));
  const n = SO101_JOINTS.length;
  const mlp = new Mlp([n, n], 'tanh', 'identity', new Rng(1));
  mlp.params.fill(0);
  mlp.bias(0).set(target);
  writeFileSync(join(dir, 'model.onnx'), mlpToOnnx(mlp));
  const manifest = {
    schema: 'axon.model/1',
    name: 'so101-pose-const',
    kind: 'policy',
    robot: 'so101-follower',
    joints: SO101_JOINTS,
    control_hz: controlHz,
    onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
    observation: { terms: [{ term: 'joint_pos' }] },
    action: { type: 'joint_position_abs' },
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return dir;
}
