/**
 * R21 F2: an Isaac Lab observation term's `modifiers` are applied by its ObservationManager to the
 * term's value before noise, clip and scale (compute_group), so the policy was trained on the
 * modified value. from-isaaclab used to drop them with a `not mapped` note and exit 0, and the run
 * fed the unmodified value (2e-2 off on base_ang_vel with a 0.1 bias). Now Isaac Lab's stateless
 * bias/scale/clip are written into the term (bias, scale, clip) and the ObservationBuilder applies
 * them; stateful ones (DigitalFilter, Integrator) and unknown ones are refused naming the term and
 * the modifier. The fixture is the G1 env.yaml as Isaac Lab dumps it (Python tags, tuples).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createObservation } from '../../../../src/core/robot.ts';
import { ObservationBuilder } from '../../../../src/model/ObservationBuilder.ts';
import { manifestFromIsaacLab } from '../../../../src/model/importers/isaaclab.ts';
import { parsePythonYaml } from '../../../../src/model/importers/pythonYaml.ts';
import { validateManifest } from '../../../../src/model/manifest.ts';
import { joint, manifest, spec } from '../../../helpers/fakes.ts';

const JOINTS = [
  'left_hip_pitch_joint', 'right_hip_pitch_joint', 'waist_yaw_joint', 'left_hip_roll_joint', 'right_hip_roll_joint',
  'left_shoulder_pitch_joint', 'right_shoulder_pitch_joint', 'left_hip_yaw_joint', 'right_hip_yaw_joint', 'left_knee_joint',
  'right_knee_joint', 'left_ankle_pitch_joint', 'right_ankle_pitch_joint', 'left_ankle_roll_joint', 'right_ankle_roll_joint',
];
const TEXT = readFileSync('tests/fixtures/isaaclab-g1-env.yaml', 'utf8');

/** The fixture with base_ang_vel's `modifiers: null` replaced by `yaml` (a block list at the term's indent). */
function withModifiers(yaml: string): Record<string, unknown> {
  const at = TEXT.indexOf('    base_ang_vel:\n      func: isaaclab.envs.mdp.observations:base_ang_vel');
  const text = TEXT.slice(0, at) + TEXT.slice(at).replace('      modifiers: null\n', `      modifiers:\n${yaml}`);
  expect(text).not.toBe(TEXT);
  return parsePythonYaml(text, 'env.yaml', 'a mapping').cfg as Record<string, unknown>;
}
const imported = (cfg: Record<string, unknown>) => manifestFromIsaacLab(cfg, { joints: JOINTS, name: 'g1', robot: 'g1', notes: [] }, 'env.yaml');

/** Isaac Lab's base_ang_vel for an angular velocity w, through the builder: the newest history entry (history 5, oldest first). */
function builtAngVel(m: ReturnType<typeof imported>, w: number[]): number[] {
  const robot = spec(JOINTS.map((j) => joint(j)), true);
  const b = new ObservationBuilder(m, robot);
  const obs = createObservation(robot);
  obs.imu!.angularVelocity.set(w);
  const out = b.build(obs, new Float32Array(JOINTS.length));
  return Array.from(out.subarray(12, 15));
}

describe('from-isaaclab: observation term modifiers (Isaac Lab: value -> modifiers -> noise -> clip -> scale)', () => {
  it('a bias modifier is applied before the scale: the policy input is (w + 0.1)·0.2', () => {
    const m = imported(withModifiers('      - func: isaaclab.utils.modifiers.modifier:bias\n        params:\n          value: 0.1\n'));
    expect(m.observation.terms[0]).toMatchObject({ term: 'base_ang_vel', scale: 0.2, bias: 0.1 });
    expect(validateManifest(JSON.parse(JSON.stringify(m)))).toBeTruthy();
    const w = [0.5, -1.2, 3];
    builtAngVel(m, w).forEach((v, i) => expect(v).toBeCloseTo((w[i] + 0.1) * 0.2, 6));
  });

  it('scale, bias and a clip modifier compose with the term clip and scale as Isaac Lab applies them', () => {
    // Isaac Lab: y = clip(2·w + 0.3, (-1, 1)) (a (None, None) clip first clips nothing); then the term's clip (-0.8, 0.8), then scale 0.2.
    const cfg = withModifiers(
      '      - func: isaaclab.utils.modifiers.modifier:clip\n        params:\n          bounds: !!python/tuple\n          - null\n          - null\n' +
      '      - func: isaaclab.utils.modifiers.modifier:scale\n        params:\n          multiplier: 2.0\n' +
        '      - func: isaaclab.utils.modifiers.modifier:bias\n        params:\n          value: 0.3\n' +
        '      - func: isaaclab.utils.modifiers.modifier:clip\n        params:\n          bounds: !!python/tuple\n          - -1.0\n          - 1.0\n',
    );
    ((cfg.observations as any).policy.base_ang_vel as any).clip = [-0.8, 0.8];
    const m = imported(cfg);
    expect(m.observation.terms[0]).toMatchObject({ scale: 0.4, bias: 0.15, clip: 0.16 });
    const isaac = (w: number) => Math.max(-0.8, Math.min(0.8, Math.max(-1, Math.min(1, 2 * w + 0.3)))) * 0.2;
    for (const w of [[0.1, -0.2, 0.05], [0.4, -0.9, 2], [-0.35, 0, -5]]) builtAngVel(m, w).forEach((v, i) => expect(v).toBeCloseTo(isaac(w[i]), 6));
  });

  it('refuses a stateful modifier, naming the term and the modifier', () => {
    const filter =
      '      - func: isaaclab.utils.modifiers.modifier:DigitalFilter\n        params: {}\n        A:\n        - -0.9\n        B:\n        - 0.1\n';
    expect(() => imported(withModifiers(filter))).toThrow(
      /env\.yaml: observations\.policy\.base_ang_vel\.modifiers\[0\]\.func: is "isaaclab\.utils\.modifiers\.modifier:DigitalFilter", a stateful modifier/,
    );
    const integrator = '      - func: isaaclab.utils.modifiers.modifier:Integrator\n        params: {}\n        dt: 0.02\n';
    expect(() => imported(withModifiers(integrator))).toThrow(/observations\.policy\.base_ang_vel\.modifiers\[0\]\.func: is "isaaclab\.utils\.modifiers\.modifier:Integrator", a stateful modifier/);
  });

  it("refuses a project's own modifier, an asymmetric clip and a clip before another modifier", () => {
    const own = '      - func: my_project.mdp:low_pass\n        params:\n          alpha: 0.5\n';
    expect(() => imported(withModifiers(own))).toThrow(/base_ang_vel\.modifiers\[0\]\.func: is "my_project\.mdp:low_pass", a modifier axon does not compute/);
    const asym = '      - func: isaaclab.utils.modifiers.modifier:clip\n        params:\n          bounds: !!python/tuple\n          - 0.0\n          - 1.0\n';
    expect(() => imported(withModifiers(asym))).toThrow(/base_ang_vel\.modifiers\[0\]\.params\.bounds: is \[0, 1\]/);
    const early =
      '      - func: isaaclab.utils.modifiers.modifier:clip\n        params:\n          bounds: !!python/tuple\n          - -1.0\n          - 1.0\n' +
      '      - func: isaaclab.utils.modifiers.modifier:bias\n        params:\n          value: 0.1\n';
    expect(() => imported(withModifiers(early))).toThrow(/base_ang_vel\.modifiers\[1\]\.func: is "isaaclab\.utils\.modifiers\.modifier:bias" after a clip modifier/);
  });

  it('a biased joint_pos_rel still gives its joint angles back through jointPositionSlots (a viewer posing a world model)', () => {
    const robot = spec([joint('a', { defaultPosition: 0.1 }), joint('b', { defaultPosition: -0.2 })]);
    const b = new ObservationBuilder(manifest({ observation: { terms: [{ term: 'joint_pos_rel', scale: 2, bias: 0.05 }] } }), robot);
    const obs = createObservation(robot);
    obs.jointPosition.set([0.7, -0.4]);
    const out = b.build(obs, new Float32Array(2));
    expect(out[0]).toBeCloseTo((0.7 - 0.1 + 0.05) * 2, 6);
    for (const s of b.jointPositionSlots()) expect(out[s.slot] / s.scale + s.offset).toBeCloseTo(obs.jointPosition[s.joint], 6);
  });
});
