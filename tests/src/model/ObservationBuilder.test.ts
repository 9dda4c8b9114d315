import { describe, expect, it } from 'vitest';
import { createObservation } from '../../../src/core/robot.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../../src/model/ActionMapper.ts';
import { createCommand } from '../../../src/core/robot.ts';
import { ManifestError, validateManifest } from '../../../src/model/manifest.ts';
import { joint, manifest, spec } from '../../helpers/fakes.ts';

// Robot order (c, a, b) differs from the model order (a, b): every mapping must go by name.
const robot = spec([joint('c', { defaultPosition: 0.3 }), joint('a', { defaultPosition: 0.1 }), joint('b', { defaultPosition: -0.2 })], true);

describe('ObservationBuilder', () => {
  it('reads joints in model order, subtracts defaults, scales and clips', () => {
    const m = manifest({ observation: { terms: [{ term: 'joint_pos_rel', scale: [10, 1] }, { term: 'joint_vel', scale: 0.5, clip: 1 }] } });
    const b = new ObservationBuilder(m, robot);
    const obs = createObservation(robot);
    obs.jointPosition.set([9, 0.6, 0.3]); // c, a, b
    obs.jointVelocity.set([9, 4, -1]);
    const out = b.build(obs, new Float32Array(2));
    expect(Array.from(out)).toEqual([
      expect.closeTo((0.6 - 0.1) * 10, 5),
      expect.closeTo(0.3 + 0.2, 5),
      1, // 4 * 0.5 = 2 clipped to 1
      -0.5,
    ]);
  });

  it('says where the joint positions sit: output[slot] / scale + offset gives them back, for every layout', () => {
    const layouts = [
      { terms: [{ term: 'joint_pos_rel' as const, scale: [10, 2] }, { term: 'joint_vel' as const }] },
      { terms: [{ term: 'joint_vel' as const }, { term: 'joint_pos' as const, scale: 0.5, history: 3 }] },
      { terms: [{ term: 'joint_vel' as const, history: 2 }, { term: 'joint_pos_rel' as const, history: 3 }], history_order: 'newest_first' as const },
      { terms: [{ term: 'joint_vel' as const, history: 2 }, { term: 'joint_pos' as const, history: 2, scale: [3, 4] }], history_layout: 'per_frame' as const },
    ];
    for (const observation of layouts) {
      const b = new ObservationBuilder(manifest({ observation }), robot);
      const slots = b.jointPositionSlots();
      expect(slots.map((x) => x.joint)).toEqual([1, 2]); // model joints a, b are robot joints 1, 2
      const obs = createObservation(robot);
      for (const k of [1, 2, 3]) {
        obs.jointPosition.set([9, 0.1 * k, -0.2 * k]); // c (not in the model), a, b: the newest entry must be read
        obs.jointVelocity.set([5, 7 * k, -3 * k]);
        const out = b.build(obs, new Float32Array(2));
        for (const x of slots) expect(out[x.slot] / x.scale + x.offset).toBeCloseTo(obs.jointPosition[x.joint], 5);
      }
    }
  });

  it('stacks history oldest first, primed with the first value, and newest first when asked', () => {
    const terms = [{ term: 'joint_pos' as const, history: 3 }];
    const oldest = new ObservationBuilder(manifest({ observation: { terms } }), robot);
    const newest = new ObservationBuilder(manifest({ observation: { terms, history_order: 'newest_first' } }), robot);
    const obs = createObservation(robot);
    const last = new Float32Array(2);
    const frames: number[][] = [];
    const framesNewest: number[][] = [];
    for (const a of [1, 2, 3, 4]) {
      obs.jointPosition.set([0, a, -a]);
      frames.push(Array.from(oldest.build(obs, last)));
      framesNewest.push(Array.from(newest.build(obs, last)));
    }
    expect(frames[0]).toEqual([1, -1, 1, -1, 1, -1]);
    expect(frames[1]).toEqual([1, -1, 1, -1, 2, -2]);
    expect(frames[3]).toEqual([2, -2, 3, -3, 4, -4]);
    expect(framesNewest[3]).toEqual([4, -4, 3, -3, 2, -2]);
    oldest.reset();
    obs.jointPosition.set([0, 7, -7]);
    expect(Array.from(oldest.build(obs, last))).toEqual([7, -7, 7, -7, 7, -7]);
  });

  it('computes projected gravity from the IMU orientation and feeds back the last action', () => {
    const m = manifest({ observation: { terms: [{ term: 'projected_gravity' }, { term: 'last_action' }] } });
    const b = new ObservationBuilder(m, robot);
    const obs = createObservation(robot);
    // base rolled +90° about x: world down (0,0,-1) seen in the base frame is (0,-1,0)
    const s = Math.SQRT1_2;
    obs.imu!.orientation.set([s, 0, 0, s]);
    const out = b.build(obs, new Float32Array([0.25, -0.5]));
    expect(out[0]).toBeCloseTo(0, 6);
    expect(out[1]).toBeCloseTo(-1, 6);
    expect(out[2]).toBeCloseTo(0, 6);
    expect(Array.from(out.subarray(3))).toEqual([0.25, -0.5]);
  });

  it('reads base_lin_vel at the base origin, or at the centre of mass with point "com", in the base frame', () => {
    const withBase = { ...robot, sensors: { ...robot.sensors, baseVelocity: true, baseCom: true } };
    const m = manifest({ observation: { terms: [{ term: 'base_lin_vel' }, { term: 'base_lin_vel', point: 'com', scale: 2 }] } });
    const b = new ObservationBuilder(m, withBase);
    const s = Math.SQRT1_2;
    const base = { position: new Float32Array(3), orientation: Float32Array.of(0, 0, s, s), linearVelocity: Float32Array.of(1, 0, 0), angularVelocity: new Float32Array(3), comLinearVelocity: Float32Array.of(0, 3, 0) };
    const obs = { ...createObservation(withBase), base };
    // base yawed +90°: world x is the base's -y, world y its +x
    const out = Array.from(b.build(obs, new Float32Array(2)));
    expect(out.map((v) => Number(v.toFixed(6)) + 0)).toEqual([0, -1, 0, 6, 0, 0]);
    // a robot that reports no centre-of-mass velocity is refused for point "com", naming the field
    const noCom = { ...robot, sensors: { ...robot.sensors, baseVelocity: true } };
    expect(() => new ObservationBuilder(m, noCom)).toThrow(/observation\/terms\/1\/point: is "com" and robot "fake" reports no centre-of-mass velocity/);
    expect(() => new ObservationBuilder(manifest({ observation: { terms: [{ term: 'base_lin_vel' }] } }), noCom)).not.toThrow();
  });

  it('gait_phase: sin and cos of the phase the vendors\' deploy code computes, step by step, restarted by reset()', () => {
    // unitree_rl_gym's G1 (deploy_mujoco.py): simulation_dt 0.002, control_decimation 10, period 0.8;
    // each simulation step `counter += 1`, and when counter % decimation == 0 the policy runs with
    // phase = (counter · simulation_dt) % period / period, obs = [..., sin(2π phase), cos(2π phase)].
    const m = validateManifest(manifest({ control_hz: 50, observation: { terms: [{ term: 'joint_pos' }, { term: 'gait_phase', period: 0.8 }] } }));
    const b = new ObservationBuilder(m, robot);
    const obs = createObservation(robot);
    const vendor: number[][] = [];
    for (let counter = 1; vendor.length < 130; counter++) {
      if (counter % 10 !== 0) continue;
      const phase = ((counter * 0.002) % 0.8) / 0.8;
      vendor.push([Math.sin(2 * Math.PI * phase), Math.cos(2 * Math.PI * phase)]);
    }
    // unitree_rl_lab's C++ controller's arithmetic: global_phase += step_dt / period, fmod 1, in float
    // (the controller itself starts a step further, count_from 2: gaitPhaseController.test.ts).
    let global = Math.fround(0);
    const cpp: number[][] = [];
    for (let k = 0; k < 130; k++) {
      global = Math.fround(Math.fround(global + Math.fround(0.02 * Math.fround(1 / 0.8))) % 1);
      cpp.push([Math.sin(global * 2 * Math.PI), Math.cos(global * 2 * Math.PI)]);
    }
    for (let k = 0; k < 130; k++) {
      const out = b.build(obs, new Float32Array(2));
      expect(out.length).toBe(4);
      expect(out[2]).toBeCloseTo(vendor[k][0], 5);
      expect(out[3]).toBeCloseTo(vendor[k][1], 5);
      expect(out[2]).toBeCloseTo(cpp[k][0], 4);
      expect(out[3]).toBeCloseTo(cpp[k][1], 4);
    }
    // The first step reads 0.02 s into the cycle, not 0: the phase advances before it is read.
    b.reset();
    const first = b.build(obs, new Float32Array(2));
    expect(first[2]).toBeCloseTo(Math.sin((2 * Math.PI * 0.02) / 0.8), 6);
    expect(first[3]).toBeCloseTo(Math.cos((2 * Math.PI * 0.02) / 0.8), 6);
  });

  it('gait_phase needs its period, and only it takes one', () => {
    expect(() => validateManifest(manifest({ observation: { terms: [{ term: 'gait_phase' }] } }))).toThrow(/observation\/terms\/0\/period: is missing \(expected the gait cycle in seconds \(> 0\) on a gait_phase term\)/);
    expect(() => validateManifest(manifest({ observation: { terms: [{ term: 'joint_pos', period: 0.8 }] } }))).toThrow(/observation\/terms\/0\/period: is given on term joint_pos \(expected period only on a gait_phase term\)/);
    expect(() => validateManifest(manifest({ observation: { terms: [{ term: 'gait_phase', period: 0 }] } }))).toThrow(/observation\/terms\/0\/period/);
  });

  it('refuses a model whose joints the robot does not have, listing both sides', () => {
    const m = manifest({ joints: ['a', 'knee'] });
    try {
      new ObservationBuilder(m, robot);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ManifestError);
      expect((e as ManifestError).code).toBe('MODEL_ROBOT_MISMATCH');
      expect((e as Error).message).toContain('knee');
      expect((e as Error).message).toContain('c, b');
    }
  });
});

describe('ActionMapper', () => {
  it('maps relative position actions by name: default + scale × clip(a); undriven joints hold their default', () => {
    const m = manifest({ action: { type: 'joint_position', joints: ['b', 'a'], scale: [0.5, 2], clip: 1 } });
    const mapper = new ActionMapper(m, robot);
    const cmd = createCommand(robot, 'effort');
    mapper.map(new Float32Array([3, -0.25]), cmd);
    expect(cmd.mode).toBe('position');
    expect(cmd.target[0]).toBeCloseTo(0.3); // c: not driven, default
    expect(cmd.target[1]).toBeCloseTo(0.1 + 2 * -0.25); // a
    expect(cmd.target[2]).toBeCloseTo(-0.2 + 0.5 * 1); // b, clipped 3 -> 1
    expect(Array.from(mapper.clipped)).toEqual([1, -0.25]);
  });

  it('feeds back the action after the clip, or before it when last_action says before_clip (Isaac Lab); never a bad one', () => {
    const action = { type: 'joint_position' as const, scale: 0.5, clip: 1 };
    const after = new ActionMapper(manifest({ action, observation: { terms: [{ term: 'last_action' }] } }), robot);
    const before = new ActionMapper(manifest({ action, observation: { terms: [{ term: 'last_action', before_clip: true }] } }), robot);
    const cmd = createCommand(robot, 'position');
    for (const mapper of [after, before]) {
      mapper.map(new Float32Array([3, -0.25]), cmd);
      expect(cmd.target[1]).toBeCloseTo(0.1 + 0.5 * 1); // the command is clipped either way
      mapper.map(new Float32Array([Number.NaN, 7]), cmd); // a bad action is not fed back
    }
    expect(Array.from(after.feedback)).toEqual([1, -0.25]);
    expect(Array.from(before.feedback)).toEqual([3, -0.25]);
    expect(Array.from(before.clipped)).toEqual([1, -0.25]);
    // and the builder reads it as last_action
    const b = new ObservationBuilder(manifest({ action, observation: { terms: [{ term: 'last_action', before_clip: true }] } }), robot);
    expect(Array.from(b.build(createObservation(robot), before.feedback))).toEqual([3, -0.25]);
    before.reset();
    expect(Array.from(before.feedback)).toEqual([0, 0]);
  });

  it('maps effort actions with zero on other joints and takes PD gains from the manifest', () => {
    const m = manifest({ action: { type: 'joint_effort', joints: ['a'], scale: 10 } });
    const mapper = new ActionMapper(m, robot);
    const cmd = createCommand(robot, 'position');
    mapper.map(new Float32Array([0.5]), cmd);
    expect(cmd.mode).toBe('effort');
    expect(Array.from(cmd.target)).toEqual([0, 5, 0]);
    const pd = new ActionMapper(manifest({ pd: { kp: [40, 50], kd: [1, 2] } }), robot);
    pd.map(new Float32Array([0, 0]), cmd);
    expect(Array.from(cmd.kp!)).toEqual([10, 40, 50]);
    expect(Array.from(cmd.kd!)).toEqual([1, 1, 2]);
    // a user's --kp goes over the manifest's pd on the action joints; kd stays the manifest's
    new ActionMapper(manifest({ pd: { kp: [40, 50], kd: [1, 2] } }), robot, { kp: 7 }).map(new Float32Array([0, 0]), cmd);
    expect([Array.from(cmd.kp!), Array.from(cmd.kd!)]).toEqual([[10, 7, 7], [1, 1, 2]]);
  });

  it('lets NaN through for the safety supervisor to reject (a clamp is not a NaN guard)', () => {
    const mapper = new ActionMapper(manifest({ action: { type: 'joint_position', clip: 1 } }), robot);
    const cmd = createCommand(robot, 'position');
    mapper.map(new Float32Array([NaN, 0]), cmd);
    expect(Number.isNaN(cmd.target[1])).toBe(true);
  });
});
