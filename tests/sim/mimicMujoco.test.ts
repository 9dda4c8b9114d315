import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMujocoUrdfRobot, MujocoRobot, readUrdf } from '../../sim/mujoco/createMujocoRobot.ts';
import type { SimRobotOptions } from '../../sim/SimRobotOptions.ts';
import { closeGripper, FRANKA_CLOSE, pressLeader, ROBOTIQ_CLOSE } from '../helpers/gripperClose.ts';
import { CHAIN, driveLeaderBelow, spinWheel, writeHalfSpeedWheel, writeLeaderBelowFollower, writeMimicChain } from '../helpers/mimicChain.ts';
import { FreeRunTask } from '../../sim/tasks/freeRun.ts';
import { FRANKA_MIMICS, ROBOTIQ_MIMICS, writeFrankaHand, writeRobotiq2f85 } from '../helpers/vendorGrippers.ts';

/**
 * URDF <mimic> in MuJoCo (a joint equality per follower, sim/mujoco/compileUrdf.ts, and the leader's
 * damping spread over its group, sim/mujoco/MujocoMimicGroups.ts): the same checks as cannon-es's
 * (tests/sim/mimicCannon.test.ts), 200 Hz, implicit PD. AXON_PRINT=1 prints the figures
 * docs/urdf.md quotes.
 */

const dir = mkdtempSync(join(tmpdir(), 'axon-mimic-mujoco-'));
const HZ = 200;
const robots: MujocoRobot[] = [];
const createUrdfSimRobot = async (file: string, o: SimRobotOptions): Promise<MujocoRobot> => {
  const r = await createMujocoUrdfRobot(file, readUrdf(file), o);
  robots.push(r);
  return r;
};
afterAll(() => robots.forEach((r) => r.dispose()));

describe('grippers closing in MuJoCo, only the leader commanded', async () => {
  it('Franka hand: panda_finger_joint2 tracks panda_finger_joint1 within 1e-5 m while the hand closes 40 mm', async () => {
    const robot = await createUrdfSimRobot(writeFrankaHand(dir), { pd: 'implicit', physicsDt: 1 / HZ, jointDefaults: { panda_finger_joint1: { defaultPosition: 0.04 } } });
    // Starts open: the follower placed from its leader (its own default would be 0).
    expect(robot.observe().jointPosition[robot.spec.joints.findIndex((j) => j.name === 'panda_finger_joint2')]).toBeCloseTo(0.04, 6);
    const r = closeGripper(robot, { ...FRANKA_CLOSE, mimics: FRANKA_MIMICS });
    if (process.env.AXON_PRINT) console.log(JSON.stringify({ engine: 'mujoco', gripper: 'franka', hz: HZ, ...r }));
    expect(r.leaderEnd).toBeCloseTo(0, 3);
    expect(r.worst).toBeLessThan(1e-5);
    expect(r.followerEffort).toBe(0);
  });

  it('Robotiq 2F-85: five followers (multipliers 1 and -1) track finger_joint within 1e-3 rad while it closes 0.8 rad', async () => {
    const robot = await createUrdfSimRobot(writeRobotiq2f85(dir), { pd: 'implicit', physicsDt: 1 / HZ });
    const r = closeGripper(robot, { ...ROBOTIQ_CLOSE, mimics: ROBOTIQ_MIMICS });
    if (process.env.AXON_PRINT) console.log(JSON.stringify({ engine: 'mujoco', gripper: 'robotiq', hz: HZ, ...r }));
    expect(r.leaderEnd).toBeCloseTo(0.8, 2);
    expect(r.worst).toBeLessThan(1e-3);
    expect(r.final).toBeLessThan(1e-4);
    expect(r.followerEffort).toBe(0);
  });

  it("each step's equality scaling is a URDF <mimic>'s to the bit: −s/τ² and −2s/τ, τ = 2 steps, s = 1 + h·κ (as before an MJCF's own equalities were read)", async () => {
    const robot = await createUrdfSimRobot(writeRobotiq2f85(dir), { pd: 'implicit', physicsDt: 1 / HZ });
    const groups = (robot as unknown as { actuators: { mimic: { kappa: Float64Array } } }).actuators.mimic;
    const eqs = ROBOTIQ_MIMICS.map((p) => ({ e: robot.mj.mj_name2id(robot.model, robot.mj.mjtObj.mjOBJ_EQUALITY.value, `axon_mimic_${p.follower}`), l: robot.jointIndex(p.leader) }));
    const solref = robot.model.eq_solref as Float64Array;
    const tau = 2 * (1 / HZ);
    const target = new Float64Array(robot.spec.joints.length);
    target[robot.jointIndex('finger_joint')] = 0.8;
    let differ = 0;
    for (let k = 0; k < 200; k++) {
      robot.command({ mode: 'position', target, kp: new Float64Array(target.length).fill(100), kd: new Float64Array(target.length).fill(2.5) });
      robot.step(1 / HZ);
      for (const { e, l } of eqs) {
        const s = 1 + (1 / HZ) * groups.kappa[l];
        if (solref[2 * e] !== -s / (tau * tau) || solref[2 * e + 1] !== (-2 * s) / tau) differ++;
      }
    }
    expect(eqs.every(({ e }) => e >= 0)).toBe(true);
    expect(differ).toBe(0);
  });

  it('the spec keeps followers, observed, with their leader: JointSpec.mimic', async () => {
    const robot = await createUrdfSimRobot(writeRobotiq2f85(dir), { pd: 'implicit', physicsDt: 1 / HZ });
    expect(robot.spec.joints.map((j) => j.name)).toHaveLength(6);
    expect(robot.spec.joints.find((j) => j.name === 'right_inner_finger_joint')!.mimic).toEqual({ joint: 'finger_joint', multiplier: -1, offset: 0 });
    expect(robot.spec.joints.find((j) => j.name === 'finger_joint')!.mimic).toBeUndefined();
    // The parser's one URDF_MIMIC note for the five reaches the robot's notes.
    expect(robot.notes.filter((n) => n.code === 'URDF_MIMIC').map((n) => n.message)).toEqual([expect.stringMatching(/^follows finger_joint .*: moved by it, not commanded .*\(and 4 more mimic joints likewise\)$/)]);
  });
});

describe('mimic chains, units, fixed leaders and poses in MuJoCo', async () => {
  it('a chain follows the joint its motion comes from (f2 = −drive + 0.25), a slider a hinge (m/rad), a follower of a fixed joint holds its offset', async () => {
    const robot = await createUrdfSimRobot(writeMimicChain(dir), { pd: 'implicit', physicsDt: 1 / HZ, jointDefaults: { drive: { kp: 20, kd: 0.5 } } });
    const names = robot.spec.joints.map((j) => j.name);
    const target = new Float64Array(names.length).fill(-1); // followers' entries ignored
    target[names.indexOf('drive')] = 0.4;
    for (let k = 0; k < 50; k++) {
      robot.command({ mode: 'position', target });
      robot.step(0.02);
    }
    const q = robot.observe().jointPosition;
    const at = (n: string) => q[names.indexOf(n)];
    expect(at('drive')).toBeCloseTo(0.4, 2);
    expect(at('f1')).toBeCloseTo(CHAIN.f1(at('drive')), 3);
    expect(at('f2')).toBeCloseTo(CHAIN.f2(at('drive')), 3);
    expect(at('slide')).toBeCloseTo(CHAIN.slide(at('drive')), 4);
    expect(at('held')).toBeCloseTo(CHAIN.held, 3);
    expect(robot.spec.joints[names.indexOf('f2')].mimic).toEqual({ joint: 'drive', multiplier: -1, offset: 0.25 });
    expect(robot.notes.map((n) => n.code)).toContain('URDF_MIMIC_FIXED_LEADER');
  });

  it('a default or initial pose given for a follower is replaced by its leader\'s (SIM_MIMIC_DEFAULT names it)', async () => {
    const robot = await createUrdfSimRobot(writeMimicChain(dir), { pd: 'implicit', physicsDt: 1 / HZ, jointDefaults: { drive: { defaultPosition: 0.2 }, f1: { defaultPosition: 0.9 } } });
    const note = robot.notes.find((n) => n.code === 'SIM_MIMIC_DEFAULT')!;
    expect(note.where).toBe('<joint name="f1">');
    expect(note.message).toContain('default position 0.9 not used: the joint follows drive');
    const i = (n: string) => robot.spec.joints.findIndex((j) => j.name === n);
    expect(robot.spec.joints[i('f1')].defaultPosition).toBeCloseTo(CHAIN.f1(0.2), 12);
    expect(robot.observe().jointPosition[i('f2')]).toBeCloseTo(CHAIN.f2(0.2), 5);
    // An episode's initial state with the followers elsewhere starts on the coupling all the same.
    const pose = new Float64Array(robot.spec.joints.length).fill(1);
    pose[i('drive')] = -0.3;
    robot.setEpisodeInitialState(pose);
    robot.reset();
    const q = robot.observe().jointPosition;
    expect(q[i('f1')]).toBeCloseTo(CHAIN.f1(-0.3), 5);
    expect(q[i('held')]).toBeCloseTo(CHAIN.held, 5);
  });
});

describe('a continuous wheel and its half-speed follower in MuJoCo (multiplier 0.5: their readings wrap at different times)', () => {
  it('the follower turns at half the wheel\'s speed through the wraps, the wheel never slows, mimic_error stays small', async () => {
    const robot = await createUrdfSimRobot(writeHalfSpeedWheel(dir), { pd: 'implicit', physicsDt: 1 / HZ, jointDefaults: { wheel: { kp: 0, kd: 1 } } });
    const task = new FreeRunTask({ joints: robot.spec.joints });
    task.reset(robot.observe());
    const r = spinWheel(robot, (o) => task.step(o, 0.02));
    const m = task.metrics() as { mimic_error: { max: number } };
    if (process.env.AXON_PRINT) console.log(JSON.stringify({ engine: 'mujoco', ...r, mimic_error: m.mimic_error }));
    // Before: MuJoCo's coordinates are unwrapped, so the tracking held; FreeRunTask's mimic_error, on the readings, said 3.1416.
    expect(r.worst).toBeLessThan(1e-3);
    expect(r.slowest).toBeGreaterThan(2.9);
    expect(r.wheelEnd).toBeCloseTo(9, 1); // 3 s at 3 rad/s
    expect(m.mimic_error.max).toBeLessThan(1e-3);
  });
});

describe('a leader downstream of one of its own followers in MuJoCo (f1 carries drive)', () => {
  for (const tip of [false, true])
    it(`drive reaches 0.8 rad with f1 = 0.5·drive${tip ? ' and tip = −drive' : ''}, nothing faster than 30 rad/s (kp 20, kd 0.5, 200 Hz)`, async () => {
      const robot = await createUrdfSimRobot(writeLeaderBelowFollower(dir, tip), { pd: 'implicit', physicsDt: 1 / HZ, jointDefaults: { drive: { kp: 20, kd: 0.5 } } });
      const r = driveLeaderBelow(robot);
      if (process.env.AXON_PRINT) console.log(JSON.stringify({ engine: 'mujoco', tip, ...r }));
      // Before the leader was factored last: 2782 rad/s, drive at 4.42 rad (no tip); 142 rad/s, 0.41 rad off (tip).
      expect(r.fastest).toBeLessThan(30);
      expect(r.final.drive).toBeCloseTo(0.8, 2);
      expect(r.worst).toBeLessThan(1e-3);
    });

  it('the damping the actuators apply is κ·M over the group (every entry of M\'s block times one κ), the leader\'s actuator on its own joint', async () => {
    const robot = await createUrdfSimRobot(writeLeaderBelowFollower(dir), { pd: 'implicit', physicsDt: 1 / HZ, jointDefaults: { drive: { kp: 20, kd: 0.5 } } });
    for (let k = 0; k < 3; k++) {
      robot.command({ mode: 'position', target: new Float64Array(3) }); // held at rest: M does not change between steps
      robot.step(1 / HZ);
    }
    const { mj, model: m, data: d } = robot;
    const nv = m.nv;
    // Σ over actuators of (−bias velocity term)·J_a·J_aᵀ, J_a its moment row (sparse).
    const applied = new Float64Array(nv * nv);
    const rownnz = d.moment_rownnz as Int32Array, rowadr = d.moment_rowadr as Int32Array, colind = d.moment_colind as Int32Array, moment = d.actuator_moment as Float64Array;
    const bias = m.actuator_biasprm as Float64Array;
    for (let a = 0; a < m.nu; a++)
      for (let x = 0; x < rownnz[a]; x++)
        for (let y = 0; y < rownnz[a]; y++) applied[colind[rowadr[a] + x] * nv + colind[rowadr[a] + y]] += -bias[a * 10 + 2] * moment[rowadr[a] + x] * moment[rowadr[a] + y];
    const full = new mj.DoubleBuffer(nv * nv);
    mj.mj_fullM(m, d, full);
    const M = Float64Array.from(full.GetView() as Float64Array);
    full.delete();
    const kappa = applied[0] / M[0];
    expect(kappa).toBeGreaterThan(0);
    for (let e = 0; e < nv * nv; e++) expect(applied[e]).toBeCloseTo(kappa * M[e], 9);
    // The leader's actuator acts on its joint; f1 (which carries it) and tip on tendons.
    const joint = (a: number) => mj.mj_id2name(m, mj.mjtObj.mjOBJ_JOINT.value, (m.actuator_trnid as Int32Array)[2 * a]);
    expect(joint(robot.jointIndex('drive'))).toBe('drive');
    expect(Array.from(m.actuator_trntype as Int32Array)).toEqual(robot.spec.joints.map((j) => (j.mimic ? mj.mjtTrn.mjTRN_TENDON.value : mj.mjtTrn.mjTRN_JOINT.value)));
  });
});

describe('the actuator-order check: a tendon actuator only for a <mimic> follower', () => {
  it('the Robotiq\'s inner finger (on a tendon over it and its knuckle) declared driven is refused, naming the joint and the tendon', async () => {
    const file = writeRobotiq2f85(dir);
    const robot = await createUrdfSimRobot(file, { pd: 'implicit', physicsDt: 1 / HZ });
    const urdf = readUrdf(file);
    const joints = robot.spec.joints.map((j) => ({ ...j, damping: 0, friction: 0, armature: 0 }));
    const options = { name: 'robotiq', physicsDt: 1 / HZ, rootLink: urdf.root, floating: false, bodyLinks: urdf.treeOrder.filter((j) => j.type !== 'fixed').map((j) => j.child), gravity: [0, 0, -9.81] as const, pd: 'implicit' as const };
    // (As compiled, with the followers as followers, every test here builds it.)
    const driven = joints.map((j) => (j.name === 'left_inner_finger_joint' ? { ...j, mimic: undefined } : j));
    expect(() => new MujocoRobot(robot.mj, robot.model, { ...options, joints: driven })).toThrow(
      expect.objectContaining({ code: 'MUJOCO_MODEL', message: expect.stringContaining(`left_inner_finger_joint: actuator ${robot.jointIndex('left_inner_finger_joint')} drives tendon axon_mimic_left_inner_finger_joint`) }),
    );
  });
});

describe('the equalities compileUrdf writes', () => {
  it('one joint equality per follower, joint1 the follower, joint2 where its motion comes from, polycoef "o m 0 0 0"; none from MuJoCo\'s own <mimic> reading', async () => {
    const robot = await createUrdfSimRobot(writeMimicChain(dir), { pd: 'implicit', physicsDt: 1 / HZ });
    const m = robot.model;
    const mj = robot.mj;
    const name = (obj: number, id: number) => (id < 0 ? null : mj.mj_id2name(m, obj, id));
    const JOINT = mj.mjtObj.mjOBJ_JOINT.value;
    const data = m.eq_data as Float64Array;
    const eqs = Array.from({ length: m.neq }, (_, e) => ({
      joint1: name(JOINT, (m.eq_obj1id as Int32Array)[e]),
      joint2: name(JOINT, (m.eq_obj2id as Int32Array)[e]),
      polycoef: Array.from(data.slice(e * 11, e * 11 + 5)).map((v) => +v.toFixed(12)),
    }));
    expect(eqs).toEqual([
      { joint1: 'f1', joint2: 'drive', polycoef: [0.1, -0.5, 0, 0, 0] },
      { joint1: 'f2', joint2: 'drive', polycoef: [0.25, -1, 0, 0, 0] },
      { joint1: 'slide', joint2: 'drive', polycoef: [0, 0.02, 0, 0, 0] },
      { joint1: 'held', joint2: null, polycoef: [0.3, 0, 0, 0, 0] },
    ]);
  });
});

describe('a follower limited inside its leader\'s range (URDF_MIMIC_RANGE)', () => {
  it('MuJoCo: the coupling carries the follower past its limit (its limit stays MuJoCo\'s soft one), nothing blows up', async () => {
    const robot = await createUrdfSimRobot(writeRobotiq2f85(dir, 0.5), { pd: 'implicit', physicsDt: 1 / HZ, jointDefaults: { finger_joint: { kp: 100, kd: 2.5 } } });
    expect(robot.notes.find((n) => n.code === 'URDF_MIMIC_RANGE')!.where).toContain('<joint name="left_inner_knuckle_joint">');
    const { peak, fastest, leader, follower: knuckle } = pressLeader(robot, 'finger_joint', 'left_inner_knuckle_joint', 0.8);
    if (process.env.AXON_PRINT) console.log(JSON.stringify({ engine: 'mujoco', leaderPeak: peak, leaderAt3s: leader, knuckleAt3s: knuckle, fastest }));
    expect(fastest).toBeLessThan(100);
    expect(leader).toBeGreaterThan(0.75);
    expect(Math.abs(knuckle - leader)).toBeLessThan(1e-2);
  });
});
