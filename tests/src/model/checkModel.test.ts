import { describe, expect, it } from 'vitest';
import { checkModel, assertModelFits, mimicActionJoints } from '../../../src/model/checkModel.ts';
import { validateManifest } from '../../../src/model/manifest.ts';
import { createObservation } from '../../../src/core/robot.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { joint, manifest, spec } from '../../helpers/fakes.ts';

const robot = spec([joint('a', { lower: -1, upper: 1 }), joint('b', { lower: 0, upper: 2, defaultPosition: 1 })]);

describe('checking a model against a robot before arming', () => {
  it('passes a model that fits', () => {
    expect(checkModel(validateManifest(manifest({ action: { type: 'joint_position', scale: 0.5, clip: 1 } })), robot, { robotHz: 500 })).toEqual([]);
  });

  it('lists every difference: missing joint, default outside limits, unreachable range, IMU, rates', () => {
    const m = validateManifest(
      manifest({
        joints: ['a', 'b', 'knee'],
        default_joint_pos: [3, 1, 0],
        observation: { terms: [{ term: 'projected_gravity' }] },
        action: { type: 'joint_position', joints: ['a', 'b'], scale: [0.1, 0.1], clip: 1 },
        control_hz: 60,
      }),
    );
    const issues = checkModel(m, robot, { robotHz: 500 });
    const where = issues.map((i) => i.where);
    expect(where).toEqual(['/joints/2', '/default_joint_pos/0', '/action/scale/0', '/observation/terms/0', '/control_hz']);
    expect(() => assertModelFits(m, robot, { robotHz: 500 }, 'x/manifest.json')).toThrow(/5 differences[\s\S]*x\/manifest.json#\/joints\/2: model knee \| robot no such joint/);
  });

  it("a target bound (action.target_clip) that misses a joint's limits is a difference, one that overlaps is not", () => {
    const m = (tc: [number, number][]) => validateManifest(manifest({ action: { type: 'joint_position', scale: 0.25, target_clip: tc } }));
    expect(checkModel(m([[-100, 100], [-100, 100]]), robot)).toEqual([]);
    expect(checkModel(m([[-100, 100], [2.5, 3]]), robot)).toEqual([{ where: '/action/target_clip/1', model: 'b targets bounded to [2.5, 3]', robot: 'limits [0, 2] (no overlap)' }]);
  });

  it("names the robot's joints once, not per missing joint, with the joint each missing one clearly is", () => {
    const vendor = spec([joint('left_hip_yaw_joint'), joint('left_knee_joint'), joint('torso_joint')]);
    const m = validateManifest(manifest({ joints: ['left_hip_yaw', 'left_knee'] }));
    expect(checkModel(m, vendor).map((i) => i.robot)).toEqual(['no such joint (did you mean left_hip_yaw_joint?)', 'no such joint (did you mean left_knee_joint?)']);
    let message = '';
    try {
      assertModelFits(m, vendor, {}, 'x/manifest.json');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("the robot's names add the suffix '_joint' to each of the model's");
    expect(message).toContain('joints of robot "fake": left_hip_yaw_joint, left_knee_joint, torso_joint');
    expect(message.split('torso_joint').length - 1).toBe(1);
    // no clear match, no suggestion
    expect(checkModel(validateManifest(manifest({ joints: ['a', 'waist'] })), robot).map((i) => i.robot)).toEqual(['no such joint']);
  });

  it('no silent zeros: refuses base_lin_vel on a robot without a base-velocity estimate, naming the term', () => {
    const m = validateManifest(manifest({ observation: { terms: [{ term: 'joint_pos' }, { term: 'base_lin_vel' }, { term: 'base_ang_vel' }] } }));
    const issues = checkModel(m, robot);
    expect(issues).toEqual([
      { where: '/observation/terms/1', model: 'base_lin_vel', robot: expect.stringContaining('no base-velocity estimate') },
      { where: '/observation/terms/2', model: 'base_ang_vel', robot: 'no IMU' },
    ]);
    expect(() => assertModelFits(m, robot, {}, 'x/manifest.json')).toThrow(/x\/manifest.json#\/observation\/terms\/1: model base_lin_vel \| robot no base-velocity estimate/);
    const estimated = { ...robot, sensors: { imu: true, contacts: [], baseVelocity: true } };
    expect(checkModel(m, estimated)).toEqual([]);
    // the centre of mass's velocity is a second thing a robot may or may not give
    const com = validateManifest(manifest({ observation: { terms: [{ term: 'base_lin_vel', point: 'com' }] } }));
    expect(checkModel(com, estimated)).toEqual([{ where: '/observation/terms/0', model: 'base_lin_vel', robot: expect.stringContaining('no centre-of-mass velocity (sensors.baseCom); point "origin"') }]);
    expect(checkModel(com, { ...robot, sensors: { imu: true, contacts: [], baseVelocity: true, baseCom: true } })).toEqual([]);
  });

  it('with requireGains, refuses position actions on joints without a position gain', () => {
    const limp = spec([joint('a', { kp: 0 }), joint('b', { lower: 0, upper: 2, defaultPosition: 1 })]);
    const m = validateManifest(manifest({ action: { type: 'joint_position', scale: 0.5 } }));
    expect(checkModel(m, limp)).toEqual([]);
    expect(checkModel(m, limp, { requireGains: true })).toEqual([{ where: '/pd', model: 'a position action, kp 0', robot: expect.stringContaining('pd.kp') }]);
    const withPd = validateManifest(manifest({ action: { type: 'joint_position', scale: 0.5 }, pd: { kp: [20, 0], kd: [1, 1] } }));
    expect(checkModel(withPd, limp, { requireGains: true }).map((i) => i.where)).toEqual(['/pd/kp/1']);
  });

  it('refuses a trained decimation that differs from the robot rates', () => {
    const m = validateManifest(manifest({ decimation: 4 }));
    expect(checkModel(m, robot, { robotHz: 500 }).map((i) => i.where)).toEqual(['/decimation']);
    // and says which rate gives the training's: 50 Hz × 4
    expect(checkModel(m, robot, { robotHz: 500 })[0].robot).toBe("10 physics steps per policy step; 200 Hz physics (sim --physics-hz) gives the training's");
    expect(checkModel(m, robot, { robotHz: 200 })).toEqual([]);
  });
});

describe('per_frame history layout (legged_gym frame stacking)', () => {
  it('stacks whole frames oldest first', () => {
    const m = validateManifest(manifest({ observation: { terms: [{ term: 'joint_pos', history: 2 }, { term: 'joint_vel', history: 2 }], history_layout: 'per_frame' } }));
    const b = new ObservationBuilder(m, robot);
    const obs = createObservation(robot);
    const last = new Float32Array(2);
    obs.jointPosition.set([1, 2]);
    obs.jointVelocity.set([3, 4]);
    b.build(obs, last);
    obs.jointPosition.set([5, 6]);
    obs.jointVelocity.set([7, 8]);
    expect(Array.from(b.build(obs, last))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('refuses per_frame with unequal histories, naming the term', () => {
    expect(() => validateManifest(manifest({ observation: { terms: [{ term: 'joint_pos', history: 2 }, { term: 'joint_vel' }], history_layout: 'per_frame' } }))).toThrow(/terms\/1\/history/);
  });
});

describe('a model whose actions name a follower (URDF <mimic>: JointSpec.mimic)', () => {
  // A Franka hand as the URDF gives it: finger2 follows finger1.
  const hand = spec([joint('finger1', { type: 'prismatic', lower: 0, upper: 0.04 }), joint('finger2', { type: 'prismatic', lower: 0, upper: 0.04, mimic: { joint: 'finger1', multiplier: 1, offset: 0 } })]);

  it('both fingers driven (an Isaac Lab Franka policy): fits, the follower said by mimicActionJoints', () => {
    const m = validateManifest(manifest({ joints: ['finger1', 'finger2'] }));
    expect(checkModel(m, hand)).toEqual([]);
    expect(mimicActionJoints(m, hand).map((w) => [w.where, w.joint])).toEqual([['/joints/1', 'finger2']]);
  });

  it('only the follower driven: refused, naming it and its leader (it would never move)', () => {
    const m = validateManifest(manifest({ joints: ['finger2'] }));
    expect(checkModel(m, hand)).toEqual([{ where: '/joints/0', model: 'finger2 driven', robot: 'the policy cannot move finger2: it follows finger1 (coupled to it), which the policy does not drive' }]);
    expect(mimicActionJoints(m, hand)).toEqual([]);
    expect(() => assertModelFits(m, hand, {}, 'x/manifest.json')).toThrow(expect.objectContaining({ code: 'MODEL_ROBOT_MISMATCH', message: expect.stringContaining('x/manifest.json#/joints/0: model finger2 driven | robot the policy cannot move finger2: it follows finger1') }));
  });

  it('action.joints decides what is driven: finger1 observed but not driven, finger2 driven, is refused at /action/joints', () => {
    const m = validateManifest(manifest({ joints: ['finger1', 'finger2'], action: { type: 'joint_position', scale: 0.5, joints: ['finger2'] } }));
    expect(checkModel(m, hand).map((i) => i.where)).toEqual(['/action/joints/0']);
  });
});
