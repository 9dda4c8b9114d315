/**
 * A tiny locomotion-style policy for the cartpole written by the tests (no download): its
 * observation is joint_pos, joint_vel and a velocity_commands term, its output a small linear
 * function of the commanded vx (0.01·vx on the slider), so the command path can be checked end to
 * end (flag, viewer, recording) without any walking.
 */
import type { ModelManifest } from '../../src/model/manifest.ts';
import { linearPolicy } from './onnxFixtures.ts';

/** Input: slider pos, hinge pos, slider vel, hinge vel, vx, vy, wz (7). */
export const VELOCITY_INPUT = 7;
/** Offset of vx in the model input. */
export const VX_AT = 4;

export function velocityManifest(commandRanges?: ModelManifest['command_ranges']): ModelManifest {
  return {
    schema: 'axon.model/1',
    name: 'cartpole-velocity-test',
    kind: 'policy',
    robot: 'cartpole',
    joints: ['slider', 'hinge'],
    control_hz: 50,
    onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
    observation: { terms: [{ term: 'joint_pos' }, { term: 'joint_vel' }, { term: 'velocity_commands' }] },
    action: { type: 'joint_effort', joints: ['slider'], scale: 1, clip: 1 },
    ...(commandRanges ? { command_ranges: commandRanges } : {}),
  } as ModelManifest;
}

/** A policy folder (model.onnx + manifest.json) in a temp directory. */
export function velocityPolicy(commandRanges?: ModelManifest['command_ranges']): string {
  const w = new Float32Array(VELOCITY_INPUT);
  w[VX_AT] = 0.01;
  return linearPolicy(velocityManifest(commandRanges), VELOCITY_INPUT, 1, w, new Float32Array(1));
}
