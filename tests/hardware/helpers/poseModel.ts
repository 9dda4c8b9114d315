/** A temporary model folder for an arm: an ONNX MLP with zero weights whose output is a constant pose. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mlp } from '../../../models/train/mlp.ts';
import { mlpToOnnx } from '../../../models/train/onnx/writeOnnx.ts';
import { Rng } from '../../../src/core/rng.ts';

export interface PoseModelFor {
  /** The model's name in its manifest. */
  readonly name: string;
  /** Start of the temporary folder's name, e.g. 'axon-arm-reach-'. */
  readonly dirPrefix: string;
  /** The robot config it is for (manifest `robot`). */
  readonly robot: string;
  readonly joints: readonly string[];
}

/** Writes model.onnx and manifest.json into a new temporary folder; returns the folder. */
export function writePoseModel(m: PoseModelFor, target: readonly number[], controlHz = 50): string {
  const dir = mkdtempSync(join(tmpdir(), m.dirPrefix));
  const n = m.joints.length;
  const mlp = new Mlp([n, n], 'tanh', 'identity', new Rng(1));
  mlp.params.fill(0);
  mlp.bias(0).set(target);
  writeFileSync(join(dir, 'model.onnx'), mlpToOnnx(mlp));
  const manifest = {
    schema: 'axon.model/1',
    name: m.name,
    kind: 'policy',
    robot: m.robot,
    joints: m.joints,
    control_hz: controlHz,
    onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
    observation: { terms: [{ term: 'joint_pos' }] },
    action: { type: 'joint_position_abs' },
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return dir;
}
