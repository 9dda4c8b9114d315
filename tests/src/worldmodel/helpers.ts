import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createObservation, type Observation } from '../../../src/core/robot.ts';
import { Rng } from '../../../src/core/rng.ts';
import { validateManifest, type ModelManifest } from '../../../src/model/manifest.ts';
import type { Prediction, WorldModel, WorldModelEventSink } from '../../../src/worldmodel/types.ts';
import { Mlp } from '../../../models/train/mlp.ts';
import { dynamicsToOnnx } from '../../../models/train/worldmodel/dynamics.ts';
import { joint, spec } from '../../helpers/fakes.ts';

/** A valid world-model manifest for a 2-joint fake robot (state: joint_pos a, b, joint_vel a, b). */
export function wmManifest(over: Record<string, unknown> = {}, wm: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema: 'axon.model/1',
    name: 'test-wm',
    kind: 'world-model',
    robot: 'fake',
    joints: ['a', 'b'],
    control_hz: 50,
    onnx: { file: 'model.onnx', input: 'state', action_input: 'action', output: 'delta' },
    observation: { terms: [{ term: 'joint_pos' }, { term: 'joint_vel' }] },
    action: { type: 'joint_effort', joints: ['a'], scale: 2, clip: 1 },
    world_model: {
      dt: 0.02,
      state: { mean: [0, 0.1, 0, 0], std: [1, 2, 3, 4], angles: ['joint_pos.b'] },
      output: { mean: [0, 0, 0.01, 0], std: [0.1, 0.1, 0.2, 0.2] },
      constraints: [{ name: 'b_angle', state: 'joint_pos.b', lower: -0.5, upper: 0.5 }],
      ...wm,
    },
    ...over,
  };
}

/** Writes a random 5 -> 16 -> 4 dynamics network and its manifest into a temporary folder. */
export function writeRandomWorldModel(seed = 3): { dir: string; manifest: ModelManifest; mlp: Mlp } {
  const dir = mkdtempSync(join(tmpdir(), 'axon-wm-'));
  const mlp = new Mlp([5, 16, 4], 'tanh', 'identity', new Rng(seed));
  writeFileSync(join(dir, 'model.onnx'), dynamicsToOnnx(mlp, 4, 1, 'test'));
  const manifest = validateManifest(wmManifest());
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return { dir, manifest, mlp };
}

/** x' = x + gain · a on element 0 (S = 1, A = 1): a world whose optimum is known by hand. */
export class IntegratorModel implements WorldModel {
  readonly stateSize = 1;
  readonly actionSize = 1;
  readonly dt = 0.02;
  calls = 0;
  private out = new Float32Array(4096);
  constructor(readonly gain = 1) {}
  async predict(states: Float32Array, actions: Float32Array, batch: number): Promise<Prediction> {
    this.calls++;
    for (let b = 0; b < batch; b++) this.out[b] = states[b] + this.gain * actions[b];
    return { nextStates: this.out.subarray(0, batch) };
  }
}

/** One-joint manifest whose state is joint_pos of joint 'a' (for hooks driven by IntegratorModel). */
export function oneJointManifest(): ModelManifest {
  return validateManifest({
    ...wmManifest(),
    joints: ['a'],
    observation: { terms: [{ term: 'joint_pos' }] },
    action: { type: 'joint_effort', joints: ['a'], scale: 1, clip: 1 },
    world_model: { dt: 0.02, state: { mean: [0], std: [1] }, output: { mean: [0], std: [1] }, constraints: [{ name: 'a_range', state: 'joint_pos.a', lower: -1, upper: 1 }] },
  });
}

export const oneJointSpec = () => spec([joint('a', { lower: -10, upper: 10 })]);

export function observationAt(x: number, seq = 0): Observation {
  const o = createObservation(oneJointSpec());
  o.jointPosition[0] = x;
  o.seq = seq;
  o.time = seq * 0.02;
  return o;
}

export class RecordingSink implements WorldModelEventSink {
  readonly events: { kind: string; level: string; reason: string; value?: number }[] = [];
  reportWorldModel(kind: 'shield_veto' | 'surprise', level: 'info' | 'degrade' | 'stop', reason: string, _now: number, _seq: number, value?: number): void {
    this.events.push({ kind, level, reason, value });
  }
}
