/**
 * R21 F6 and F3: from-isaaclab's refusals say the env.yaml key and the way out.
 * - F6: robot_lab lists every joint with `preserve_order: true` in its policy's joint_pos/joint_vel
 *   asset_cfg (SceneEntityCfg(..., preserve_order=True)); Isaac Lab's find_joints then gives the
 *   columns in the list's order, which is the policy's joint order. The refusal used to read "axon
 *   terms cover all joints"; it now says to pass that list as --joints, which imports.
 * - F3: a bad sim.dt, decimation or a negative armature was reported against the manifest's
 *   control_hz / actuators.armature (keys the user's file does not have); now against the env.yaml key.
 * The fixture is the G1 env.yaml as Isaac Lab dumps it (Python tags, slices in SceneEntityCfg).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manifestFromIsaacLab } from '../../../../src/model/importers/isaaclab.ts';
import { parsePythonYaml } from '../../../../src/model/importers/pythonYaml.ts';

const JOINTS = [
  'left_hip_pitch_joint', 'right_hip_pitch_joint', 'waist_yaw_joint', 'left_hip_roll_joint', 'right_hip_roll_joint',
  'left_shoulder_pitch_joint', 'right_shoulder_pitch_joint', 'left_hip_yaw_joint', 'right_hip_yaw_joint', 'left_knee_joint',
  'right_knee_joint', 'left_ankle_pitch_joint', 'right_ankle_pitch_joint', 'left_ankle_roll_joint', 'right_ankle_roll_joint',
];
/** robot_lab's own list: the SDK order (leg by leg), not the articulation's breadth-first order. */
const LISTED = [
  'left_hip_pitch_joint', 'left_hip_roll_joint', 'left_hip_yaw_joint', 'left_knee_joint', 'left_ankle_pitch_joint', 'left_ankle_roll_joint',
  'right_hip_pitch_joint', 'right_hip_roll_joint', 'right_hip_yaw_joint', 'right_knee_joint', 'right_ankle_pitch_joint', 'right_ankle_roll_joint',
  'waist_yaw_joint', 'left_shoulder_pitch_joint', 'right_shoulder_pitch_joint',
];
const TEXT = readFileSync('tests/fixtures/isaaclab-g1-env.yaml', 'utf8');
const load = (text: string) => parsePythonYaml(text, 'env.yaml', 'a mapping').cfg as Record<string, unknown>;
const imported = (text: string, joints = JOINTS) => manifestFromIsaacLab(load(text), { joints, name: 'g1', robot: 'g1', notes: [] }, 'env.yaml');
const swap = (from: string, to: string, text = TEXT) => {
  expect(text).toContain(from);
  return text.replace(from, to);
};

describe("from-isaaclab: refusals name the env.yaml key and what to do", () => {
  it('a joint_pos_rel over every joint with preserve_order says to pass that list as --joints, which then imports', () => {
    const yaml = LISTED.map((j) => `          - ${j}\n`).join('');
    const text = swap(
      '          joint_names: null\n          joint_ids: !!python/object/apply:builtins.slice\n          - null\n          - null\n          - null\n          preserve_order: false\n',
      `          joint_names:\n${yaml}          joint_ids: !!python/object/apply:builtins.slice\n          - null\n          - null\n          - null\n          preserve_order: true\n`,
    );
    expect(() => imported(text)).toThrow(
      `env.yaml: observations.policy.joint_pos_rel.params.asset_cfg.joint_names: selects all 15 joints in its own order (preserve_order: true), not the --joints order: that list's order is the policy's joint order (expected --joints in that order (${LISTED.join(',')})`,
    );
    const m = imported(text, LISTED);
    expect(m.joints).toEqual(LISTED);
    // The action (".*", no preserve_order) follows the model's joints; the default pose by name.
    expect(m.action.joints).toBeUndefined();
    expect(m.default_joint_pos?.[LISTED.indexOf('left_knee_joint')]).toBe(0.3);
  });

  it('a bad sim.dt or decimation is named by its env.yaml key, not the manifest control_hz', () => {
    expect(() => imported(swap('  dt: 0.005\n', '  dt: -0.005\n'))).toThrow('env.yaml: sim.dt: is -0.005 (expected the physics step in seconds, > 0)');
    expect(() => imported(swap('decimation: 4\n', 'decimation: 0\n'))).toThrow('env.yaml: decimation: is 0 (expected a whole number of physics steps per policy step, >= 1)');
    expect(() => imported(swap('decimation: 4\n', 'decimation: 2.5\n'))).toThrow('env.yaml: decimation: is 2.5');
  });

  it("a negative armature is named by its actuator group's key", () => {
    const text = swap('        stiffness: 40.0\n        damping: 10.0\n        armature: 0.01\n', '        stiffness: 40.0\n        damping: 10.0\n        armature: -0.01\n');
    expect(() => imported(text)).toThrow(/^env\.yaml: scene\.robot\.actuators\.[^.]+\.armature: is -0\.01 \(expected a number >= 0 \(kg·m²\) for every joint of the group\)/);
  });
});
