import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createUrdfSimRobot } from '../../sim/describeRobot.ts';
import { closeGripper, FRANKA_CLOSE, pressLeader, ROBOTIQ_CLOSE } from '../helpers/gripperClose.ts';
import { CHAIN, driveLeaderBelow, spinWheel, writeHalfSpeedWheel, writeLeaderBelowFollower, writeMimicChain } from '../helpers/mimicChain.ts';
import { FreeRunTask } from '../../sim/tasks/freeRun.ts';
import { FRANKA_MIMICS, ROBOTIQ_MIMICS, writeFrankaHand, writeRobotiq2f85 } from '../helpers/vendorGrippers.ts';

/**
 * URDF <mimic> in cannon-es (sim/physics/MimicCoupling.ts): a follower tracks m·q_leader + o while
 * only the leader is commanded; its own command is ignored, it reports no effort, it starts where
 * its leader puts it. 200 Hz, implicit PD (the URDF default). AXON_PRINT=1 prints the figures
 * docs/urdf.md quotes.
 */

const dir = mkdtempSync(join(tmpdir(), 'axon-mimic-cannon-'));
const HZ = 200;

describe('grippers closing in cannon-es, only the leader commanded', () => {
  it('Franka hand: panda_finger_joint2 tracks panda_finger_joint1 within 1e-6 m while the hand closes 40 mm', () => {
    const robot = createUrdfSimRobot(writeFrankaHand(dir), { pd: 'implicit', physicsDt: 1 / HZ, jointDefaults: { panda_finger_joint1: { defaultPosition: 0.04 } } });
    // Starts open: the follower placed from its leader (its own default would be 0).
    expect(robot.observe().jointPosition[robot.jointIndex('panda_finger_joint2')]).toBeCloseTo(0.04, 6);
    const r = closeGripper(robot, { ...FRANKA_CLOSE, mimics: FRANKA_MIMICS });
    if (process.env.AXON_PRINT) console.log(JSON.stringify({ engine: 'cannon', gripper: 'franka', hz: HZ, ...r }));
    expect(r.leaderEnd).toBeCloseTo(0, 3);
    expect(r.worst).toBeLessThan(1e-6);
    expect(r.followerEffort).toBe(0);
  });

  it('Robotiq 2F-85: five followers (multipliers 1 and -1) track finger_joint within 1e-3 rad while it closes 0.8 rad', () => {
    const robot = createUrdfSimRobot(writeRobotiq2f85(dir), { pd: 'implicit', physicsDt: 1 / HZ });
    const r = closeGripper(robot, { ...ROBOTIQ_CLOSE, mimics: ROBOTIQ_MIMICS });
    if (process.env.AXON_PRINT) console.log(JSON.stringify({ engine: 'cannon', gripper: 'robotiq', hz: HZ, ...r }));
    expect(r.leaderEnd).toBeCloseTo(0.8, 2);
    expect(r.worst).toBeLessThan(1e-3);
    expect(r.final).toBeLessThan(1e-4);
    expect(r.followerEffort).toBe(0);
  });

  it('the spec keeps followers, observed, with their leader: JointSpec.mimic', () => {
    const robot = createUrdfSimRobot(writeRobotiq2f85(dir), { pd: 'implicit', physicsDt: 1 / HZ });
    expect(robot.spec.joints.map((j) => j.name)).toHaveLength(6);
    expect(robot.spec.joints.find((j) => j.name === 'right_inner_finger_joint')!.mimic).toEqual({ joint: 'finger_joint', multiplier: -1, offset: 0 });
    expect(robot.spec.joints.find((j) => j.name === 'finger_joint')!.mimic).toBeUndefined();
    // The parser's one URDF_MIMIC note for the five reaches the robot's notes.
    expect(robot.notes.filter((n) => n.code === 'URDF_MIMIC').map((n) => n.message)).toEqual([expect.stringMatching(/^follows finger_joint .*: moved by it, not commanded .*\(and 4 more mimic joints likewise\)$/)]);
  });
});

describe('mimic chains, units, fixed leaders and poses in cannon-es', () => {
  it('a chain follows the joint its motion comes from (f2 = −drive + 0.25), a slider a hinge (m/rad), a follower of a fixed joint holds its offset', () => {
    const robot = createUrdfSimRobot(writeMimicChain(dir), { pd: 'implicit', physicsDt: 1 / HZ, jointDefaults: { drive: { kp: 20, kd: 0.5 } } });
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

  it('a default or initial pose given for a follower is replaced by its leader\'s (SIM_MIMIC_DEFAULT names it)', () => {
    const robot = createUrdfSimRobot(writeMimicChain(dir), { pd: 'implicit', physicsDt: 1 / HZ, jointDefaults: { drive: { defaultPosition: 0.2 }, f1: { defaultPosition: 0.9 } } });
    const note = robot.notes.find((n) => n.code === 'SIM_MIMIC_DEFAULT')!;
    expect(note.where).toBe('<joint name="f1">');
    expect(note.message).toContain('default position 0.9 not used: the joint follows drive');
    const i = (n: string) => robot.jointIndex(n);
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

describe('a continuous wheel and its half-speed follower in cannon-es (multiplier 0.5: their readings wrap at different times)', () => {
  it('the follower turns at half the wheel\'s speed through the wraps, the wheel never slows, mimic_error stays small', () => {
    const robot = createUrdfSimRobot(writeHalfSpeedWheel(dir), { pd: 'implicit', physicsDt: 1 / HZ, jointDefaults: { wheel: { kp: 0, kd: 1 } } });
    const task = new FreeRunTask({ joints: robot.spec.joints });
    task.reset(robot.observe());
    const r = spinWheel(robot, (o) => task.step(o, 0.02));
    const m = task.metrics() as { mimic_error: { max: number } };
    if (process.env.AXON_PRINT) console.log(JSON.stringify({ engine: 'cannon', ...r, mimic_error: m.mimic_error }));
    // Before (the coupling's error wrapped from the readings): half 3.14 rad off after the wheel's wrap, the wheel at 7.51 rad instead of 9, mimic_error 4.2.
    expect(r.worst).toBeLessThan(1e-3);
    expect(r.slowest).toBeGreaterThan(2.9);
    expect(r.wheelEnd).toBeCloseTo(9, 1); // 3 s at 3 rad/s
    expect(m.mimic_error.max).toBeLessThan(1e-3);
  });
});

describe('a leader downstream of one of its own followers in cannon-es (f1 carries drive)', () => {
  for (const tip of [false, true])
    it(`drive reaches 0.8 rad with f1 = 0.5·drive${tip ? ' and tip = −drive' : ''}, nothing faster than 30 rad/s (kp 20, kd 0.5, 200 Hz)`, () => {
      const robot = createUrdfSimRobot(writeLeaderBelowFollower(dir, tip), { pd: 'implicit', physicsDt: 1 / HZ, jointDefaults: { drive: { kp: 20, kd: 0.5 } } });
      const r = driveLeaderBelow(robot);
      if (process.env.AXON_PRINT) console.log(JSON.stringify({ engine: 'cannon', tip, ...r }));
      expect(r.fastest).toBeLessThan(30);
      expect(r.final.drive).toBeCloseTo(0.8, 2);
      expect(r.worst).toBeLessThan(2e-2);
    });
});

describe('a follower limited inside its leader\'s range (URDF_MIMIC_RANGE)', () => {
  it('cannon-es: the follower\'s limit stops its leader too, settling at the limit, nothing blows up', () => {
    const robot = createUrdfSimRobot(writeRobotiq2f85(dir, 0.5), { pd: 'implicit', physicsDt: 1 / HZ, jointDefaults: { finger_joint: { kp: 100, kd: 2.5 } } });
    expect(robot.notes.find((n) => n.code === 'URDF_MIMIC_RANGE')!.where).toContain('<joint name="left_inner_knuckle_joint">');
    const { peak, fastest, leader, follower: knuckle } = pressLeader(robot, 'finger_joint', 'left_inner_knuckle_joint', 0.8);
    if (process.env.AXON_PRINT) console.log(JSON.stringify({ engine: 'cannon', leaderPeak: peak, leaderAt3s: leader, knuckleAt3s: knuckle, fastest }));
    expect(fastest).toBeLessThan(100);
    expect(leader).toBeLessThan(0.51);
    expect(knuckle).toBeLessThan(0.51);
    expect(Math.abs(knuckle - leader)).toBeLessThan(1e-3);
  });
});
