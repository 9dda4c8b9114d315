/**
 * R11 F1: an Isaac Lab actuator group drives every joint its joint_names_expr matches, action or
 * not (ImplicitActuator writes its stiffness/damping to PhysX for each), so a model joint outside
 * the action is held at its default pose with its group's gains in training. from-isaaclab used to
 * drop those gains (only the action joints' went to pd) and axon held such joints with its own rule
 * (kp 152.5 for the waist, 50 for the head instead of 200 and 10). Now they are pd.held, naming the
 * group, and the URDF set-up and the action mapper send them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCommand } from '../../../../src/core/robot.ts';
import { mjcfManifestSetUp } from '../../../../src/cli/mjcfSession.ts';
import { urdfSetup } from '../../../../src/cli/urdfSession.ts';
import { ActionMapper } from '../../../../src/model/ActionMapper.ts';
import { manifestFromIsaacLab } from '../../../../src/model/importers/isaaclab.ts';
import { parsePythonYaml } from '../../../../src/model/importers/pythonYaml.ts';
import { validateManifest, type ModelManifest } from '../../../../src/model/manifest.ts';
import { HELD_ENV_YAML, writeHeldFixture } from '../../../helpers/isaaclabHeld.ts';
import { joint, spec } from '../../../helpers/fakes.ts';

const JOINTS = ['left.hip-pitch_joint', 'right.hip-pitch_joint', 'waist.yaw', 'left.knee-joint', 'right.knee-joint', 'head_joint', 'head2_joint', 'left_ankle_pitch_joint', 'right_ankle_pitch_joint', 'left_ankle_roll_joint', 'right_ankle_roll_joint'];
const dir = mkdtempSync(join(tmpdir(), 'axon-held-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function imported(): { m: ModelManifest; notes: string[] } {
  const notes: string[] = [];
  const cfg = parsePythonYaml(HELD_ENV_YAML, 'env.yaml', 'a mapping').cfg as Record<string, unknown>;
  const m = manifestFromIsaacLab(cfg, { joints: JOINTS, name: 'g1-like', robot: 'g1_like', notes }, 'env.yaml');
  return { m, notes };
}

describe('from-isaaclab: the trained gains of model joints outside the action (pd.held)', () => {
  it("writes each held joint's actuator-group stiffness/damping, naming the group", () => {
    const { m } = imported();
    expect(m.action.joints).not.toContain('waist.yaw');
    expect(m.pd?.held).toEqual({
      'waist.yaw': { kp: 200, kd: 5, from: 'env.yaml: scene.robot.actuators.legs' },
      head_joint: { kp: 10, kd: 1, from: 'env.yaml: scene.robot.actuators.head' },
      head2_joint: { kp: 10, kd: 1, from: 'env.yaml: scene.robot.actuators.head' },
    });
    // The action joints' gains are unchanged (action order: ankles, hips, knees with preserve_order).
    expect(m.pd?.kp).toEqual([40, 40, 40, 40, 100, 100, 150, 150]);
    expect(validateManifest(JSON.parse(JSON.stringify(m)))).toBeTruthy();
  });

  it('a held joint with no gain in its group is said, not invented; for a URDF-spawned robot it gets the converter\'s drive gains, as in Isaac Lab', () => {
    const notes: string[] = [];
    const text = HELD_ENV_YAML.replace('stiffness: 10.0', 'stiffness: null');
    const usd = parsePythonYaml(text.replace(/      joint_drive:\n        gains:\n          stiffness: 0.0\n          damping: 0.0\n/, ''), 'env.yaml', 'a mapping').cfg as Record<string, unknown>;
    const m = manifestFromIsaacLab(usd, { joints: JOINTS, name: 'g1-like', robot: 'g1_like', notes }, 'env.yaml');
    expect(Object.keys(m.pd?.held ?? {})).toEqual(['waist.yaw']);
    expect(notes.join('\n')).toContain("no stiffness/damping for head_joint, head2_joint (not in the action): held at the default pose with the robot's own gains");
    // The fixture's spawn_from_urdf with joint_drive gains 0/0: the null stiffness was 0 in training (review R31 F3).
    const urdf = manifestFromIsaacLab(parsePythonYaml(text, 'env.yaml', 'a mapping').cfg as Record<string, unknown>, { joints: JOINTS, name: 'g1-like', robot: 'g1_like', notes: [] }, 'env.yaml');
    expect(urdf.pd?.held?.head_joint).toEqual({ kp: 0, kd: 1, from: 'env.yaml: scene.robot.spawn.joint_drive.gains' });
  });

  it('the manifest refuses a held entry on an action joint or on no model joint, naming it', () => {
    const { m } = imported();
    const on = (held: Record<string, unknown>) => () => validateManifest({ ...m, pd: { ...m.pd, held } });
    expect(on({ 'left.knee-joint': { kp: 1, kd: 0 } })).toThrow(/manifest\.json#\/pd\/held\/left\.knee-joint: "left\.knee-joint" is an action joint/);
    expect(on({ neck: { kp: 1, kd: 0 } })).toThrow(/manifest\.json#\/pd\/held\/neck: "neck" is not one of the model's joints/);
  });

  it('the action mapper sends the held gains with the default-pose target (a real robot gets them too)', () => {
    const { m } = imported();
    const s = spec(JOINTS.map((n) => joint(n, { kp: 50, kd: 1.25 })));
    const mapper = new ActionMapper(m, s);
    const cmd = createCommand(s, 'position');
    mapper.map(new Float32Array(8), cmd);
    const at = (n: string) => JOINTS.indexOf(n);
    expect([cmd.kp![at('waist.yaw')], cmd.kd![at('waist.yaw')]]).toEqual([200, 5]);
    expect([cmd.kp![at('head_joint')], cmd.kd![at('head_joint')], cmd.kp![at('head2_joint')]]).toEqual([10, 1, 10]);
    expect(cmd.target[at('waist.yaw')]).toBe(0);
    // --kp/--kd over the manifest's, for held joints as for action joints.
    const flagged = createCommand(s, 'position');
    new ActionMapper(m, s, { kp: 7 }).map(new Float32Array(8), flagged);
    expect(flagged.kp![at('waist.yaw')]).toBe(7);
  });

  it("on a bridge / hardware spec whose defaults are not the manifest's, held joints target the manifest's default_joint_pos, clamped into their limits", () => {
    // A `run --config` / bridge hello spec: robot defaults 0, joints in another order than the model's.
    const { m: imp } = imported();
    const dflt = JOINTS.map((n) => (n === 'waist.yaw' ? 0.7 : n === 'head_joint' ? 1.4 : n === 'head2_joint' ? -0.2 : 0.1));
    const m = validateManifest({ ...imp, default_joint_pos: dflt });
    const order = [...JOINTS].reverse();
    const s = spec(order.map((n) => joint(n, { kp: 50, kd: 1.25, defaultPosition: 0, lower: n === 'head_joint' ? -0.5 : -2, upper: n === 'head_joint' ? 0.5 : 2 })));
    const cmd = createCommand(s, 'position');
    new ActionMapper(m, s).map(new Float32Array(8), cmd);
    const at = (n: string) => order.indexOf(n);
    expect(cmd.target[at('waist.yaw')]).toBeCloseTo(0.7, 6);
    expect(cmd.kp![at('waist.yaw')]).toBe(200);
    expect(cmd.target[at('head_joint')]).toBe(0.5); // 1.4 clamped to the joint's upper limit
    expect(cmd.target[at('head2_joint')]).toBeCloseTo(-0.2, 6);
    // Action joints: the default pose plus the (zero) action, as before.
    expect(cmd.target[at('left.knee-joint')]).toBeCloseTo(0.1, 6);
  });

  it('sim --urdf sets the held joints up with those gains (the BOM + CRLF G1-like URDF)', () => {
    const { m } = imported();
    const { urdf } = writeHeldFixture(dir);
    const s = urdfSetup({ file: urdf, packagePaths: [], strict: false }, m, 1 / 200, 'manifest.json');
    const jd = s.options.jointDefaults as Record<string, { kp?: number; kd?: number }>;
    expect([jd['waist.yaw'].kp, jd['waist.yaw'].kd, jd.head_joint.kp, jd.head_joint.kd]).toEqual([200, 5, 10, 1]);
    expect([jd['left.knee-joint'].kp, jd['left.knee-joint'].kd]).toEqual([150, 4]);
  });

  it('sim --mjcf sets them up too (the manifest over the model\'s actuators)', () => {
    const { m } = imported();
    const { setUp, applied } = mjcfManifestSetUp(m, {}, { joints: JOINTS, bodies: ['pelvis', 'imu_in_pelvis'], root: 'pelvis', floating: true });
    expect([setUp.jointDefaults?.['waist.yaw']?.kp, setUp.jointDefaults?.['waist.yaw']?.kd, setUp.jointDefaults?.head2_joint?.kp]).toEqual([200, 5, 10]);
    expect(applied).toContain('pd');
  });
});
