import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createUrdfSimRobot } from '../../sim/describeRobot.ts';
import { createMujocoMjcfRobot, createMujocoUrdfRobot, type MujocoRobot, readUrdf } from '../../sim/mujoco/createMujocoRobot.ts';
import { ArmReachController } from '../../sim/robots/arm.ts';
import { robotModel } from '../../sim/robots/index.ts';
import { defaultGains } from '../../src/cli/defaultGains.ts';
import type { JointCommand, SimulatedRobot } from '../../src/core/robot.ts';
import { ARM_LIMITS, FINGER, limitRun, SLIDER, writeHeavyArm, writeStrongGripper } from '../helpers/limitStops.ts';
import { WRIST_EFFORT, writeSaturationWrist } from '../helpers/saturation.ts';

/**
 * Joint limits in MuJoCo: a URDF's made as hard as MuJoCo allows at the physics step
 * (sim/mujoco/MujocoHardLimits.ts, compileUrdf.ts), against cannon-es's hard limit rows; an
 * MJCF's kept as the model sets them, with a note where a motor presses one well past
 * (sim/mujoco/limitPenetration.ts). Figures: `npx tsx tests/bench/limitFigures.ts`.
 */

const HZ = 200;
const dir = mkdtempSync(join(tmpdir(), 'axon-mujoco-limits-'));
const robots: MujocoRobot[] = [];
afterAll(() => robots.forEach((r) => r.dispose()));

async function mujoco(file: string, hz = HZ, start?: Record<string, number>): Promise<MujocoRobot> {
  const jointDefaults = start && Object.fromEntries(Object.entries(start).map(([k, q]) => [k, { defaultPosition: q }]));
  const r = await createMujocoUrdfRobot(file, readUrdf(file), { pd: 'implicit', physicsDt: 1 / hz, ...(jointDefaults ? { jointDefaults } : {}) });
  robots.push(r);
  return r;
}
const cannon = (file: string) => createUrdfSimRobot(file, { pd: 'implicit', physicsDt: 1 / HZ });
const byName = (robot: SimulatedRobot, values: Record<string, number>, rest = 0) => Float64Array.from(robot.spec.joints, (j) => values[j.name] ?? rest);
const gains = (robot: SimulatedRobot) => {
  const g = robot.spec.joints.map((j) => defaultGains(j.effortLimit));
  return { kp: Float64Array.from(g, (x) => x.kp), kd: Float64Array.from(g, (x) => x.kd) };
};
const print = (x: unknown) => process.env.AXON_PRINT && console.log(JSON.stringify(x));

describe('a URDF in MuJoCo: its limits hold against its motors', () => {
  const wrist = writeSaturationWrist(dir);
  const jawCommands: [string, (r: SimulatedRobot) => JointCommand][] = [
    ['velocity mode at −5 rad/s (kd 2.5)', (r) => ({ mode: 'velocity', target: byName(r, { jaw: -5 }), kd: new Float64Array(r.spec.joints.length).fill(2.5) })],
    ['position mode, target −4 rad (kp 100, kd 2.5)', (r) => ({ mode: 'position', target: byName(r, { jaw: -4 }), kp: new Float64Array(r.spec.joints.length).fill(100), kd: new Float64Array(r.spec.joints.length).fill(2.5) })],
  ];
  for (const [label, cmd] of jawCommands)
    it(`the fixture's 1e-6 kg·m² jaw (0.5 N·m, limit −2.5 rad), ${label}: held at −2.5 within 1e-3 rad, its motor at its limit, as in cannon-es`, async () => {
      // Before: MuJoCo's default limit (0.02 s, 0.9 0.95) let the motor through: the jaw ended at −4.99 (velocity) and −4.0 (position).
      const results = [];
      for (const robot of [await mujoco(wrist), cannon(wrist)]) {
        const r = limitRun(robot, cmd(robot), ['jaw'], { seconds: 1, settle: 0.3, physicsDt: 1 / HZ });
        const jaw = robot.spec.joints.findIndex((j) => j.name === 'jaw');
        results.push({ ...r, effortNow: robot.observe().jointEffort[jaw] });
      }
      print(results);
      for (const r of results) {
        expect(r.final[0]).toBeCloseTo(-2.5, 3);
        expect(r.worstLate[0]).toBeLessThan(1e-3);
        expect(r.effort[0]).toBeLessThanOrEqual(1 + 1e-6);
        expect(r.effortNow).toBeCloseTo(-WRIST_EFFORT.jaw, 6); // pressed in by the motor's whole 0.5 N·m
      }
    });

  it('a vendor gripper with light fingers and strong motors, commanded past its limits (position mode, default gains; velocity mode): the fingers stay within 1e-4 rad and 1e-5 m of them', async () => {
    const file = writeStrongGripper(dir);
    const names = ['finger_joint', 'slide_joint'];
    const commands: ((r: SimulatedRobot) => JointCommand)[] = [
      (r) => ({ mode: 'position', target: byName(r, { finger_joint: FINGER.upper + 0.2, slide_joint: SLIDER.upper + 0.02 }), ...gains(r) }),
      (r) => ({ mode: 'velocity', target: byName(r, { finger_joint: 2, slide_joint: 0.1 }), kd: gains(r).kd }),
    ];
    for (const cmd of commands) {
      const robot = await mujoco(file);
      const r = limitRun(robot, cmd(robot), names, { seconds: 1, settle: 0.5, physicsDt: 1 / HZ });
      print(r);
      // Before: the finger ended 0.2 rad past (at its target) and 1.19 rad past (velocity), the slider 8.9 and 3.2 mm past.
      expect(r.final[0]).toBeCloseTo(FINGER.upper, 4);
      expect(r.final[1]).toBeCloseTo(SLIDER.upper, 5);
      expect(r.worstLate[0]).toBeLessThan(1e-4);
      expect(r.worstLate[1]).toBeLessThan(1e-5);
      for (const e of r.effort) expect(e).toBeLessThanOrEqual(1 + 1e-6);
    }
  });

  it('a heavy arm (4, 3, 1 kg links) commanded past its limits under gravity does not chatter: at rest on its stops within 1e-4 rad, peak speed over the last second under 1e-6 rad/s', async () => {
    const file = writeHeavyArm(dir);
    const names = ['shoulder', 'elbow', 'wrist'];
    for (const hz of [200, 500]) {
      const robot = await mujoco(file, hz);
      const r = limitRun(robot, { mode: 'position', target: byName(robot, { shoulder: 1.5, elbow: 2.8, wrist: -1.4 }), ...gains(robot) }, names, { seconds: 3, settle: 1, physicsDt: 1 / hz });
      print({ hz, ...r });
      // Before: the elbow rested 0.056 rad past its limit and the wrist 0.28 rad.
      expect(r.final.map((q) => +q.toFixed(3))).toEqual([ARM_LIMITS.shoulder[1], ARM_LIMITS.elbow[1], ARM_LIMITS.wrist[0]]);
      for (let k = 0; k < 3; k++) {
        expect(r.worstLate[k]).toBeLessThan(1e-4);
        expect(r.peakLate[k]).toBeLessThan(1e-6);
        expect(r.worst[k]).toBeLessThan(0.1); // the stop's arrival: about a step of travel past, as MuJoCo finds a limit only once crossed
      }
    }
  });

  it('the heavy arm\'s wrist commanded to −1.4 rad while the shoulder and elbow saturate moves toward −1.4, never the wrong way, its motor within its limit', async () => {
    // Before: the whole-robot solve saturated the wrist at +40 N·m in its first pass (the shoulder's and elbow's
    // 200 and 120 N·m over-limit laws swinging the hand) and kept that sign once they were cut to their limits:
    // the wrist went to +0.82 rad (200 Hz) and +0.43 (500 Hz), its effort 1.12 and 1.48 × its limit on later steps.
    const file = writeHeavyArm(dir);
    for (const hz of [200, 500]) {
      const robot = await mujoco(file, hz);
      const w = robot.jointIndex('wrist');
      robot.command({ mode: 'position', target: byName(robot, { shoulder: 1.5, elbow: 2.8, wrist: -1.4 }), ...gains(robot) });
      let highest = -Infinity;
      let effort = 0;
      for (let s = 0; s < hz; s++) {
        robot.step(1 / hz);
        const o = robot.observe();
        if (s === 0) expect(o.jointEffort[w], `${hz} Hz, first step`).toBeLessThan(0);
        highest = Math.max(highest, o.jointPosition[w]);
        effort = Math.max(effort, Math.abs(o.jointEffort[w]));
      }
      print({ hz, highest, effort });
      expect(highest, `${hz} Hz`).toBeLessThan(0); // it starts at 0
      expect(robot.observe().jointPosition[w]).toBeCloseTo(ARM_LIMITS.wrist[0], 3);
      expect(effort).toBeLessThanOrEqual(40 * (1 + 1e-6));
    }
  });

  it('a joint starting exactly on its limit, commanded past it: no stop yet (MuJoCo\'s is only strictly past), so its motor saturates on the first step and the stop then holds it within 0.05 rad', async () => {
    // Before: exactly on its limit counted as on the stop, the law applied unsaturated (−394.9 N·m of the elbow's 120 at
    // rest) with nothing to stop the joint that step: 0.112 rad past at −22.4 rad/s after the first step.
    const file = writeHeavyArm(dir);
    const robot = await mujoco(file, HZ, { elbow: ARM_LIMITS.elbow[0] });
    const e = robot.jointIndex('elbow');
    expect(robot.observe().jointPosition[e]).toBe(ARM_LIMITS.elbow[0]);
    robot.command({ mode: 'position', target: byName(robot, { elbow: -1 }), ...gains(robot) });
    const bias = robot.model.actuator_biasprm as Float64Array;
    let worst = 0;
    for (let s = 0; s < HZ; s++) {
      const q0 = robot.observe().jointPosition[e];
      robot.step(1 / HZ);
      const o = robot.observe();
      if (s === 0) {
        // What MuJoCo applied over the step (actuator e drives joint e): ctrl + b1·q + b2·q̇ at the new velocity.
        const applied = robot.data.ctrl[e] + bias[e * 10 + 1] * q0 + bias[e * 10 + 2] * o.jointVelocity[e];
        print({ applied, q: o.jointPosition[e], v: o.jointVelocity[e] });
        expect(Math.abs(applied)).toBeLessThanOrEqual(120 * (1 + 1e-6));
      }
      worst = Math.max(worst, ARM_LIMITS.elbow[0] - o.jointPosition[e]);
    }
    print({ worst });
    expect(worst).toBeLessThan(0.05);
    expect(robot.observe().jointPosition[e]).toBeCloseTo(ARM_LIMITS.elbow[0], 3);
  });

  it('a continuous joint whose <limit> carries lower="-3.14" upper="3.14" (as vendor wheels do) has no limit: driven at 5 rad/s it spins past π in both engines', async () => {
    // Before: MuJoCo's URDF importer kept the range and compileUrdf.ts hardened it: the wheel stopped at 3.14 rad.
    const file = join(dir, 'wheel.urdf');
    writeFileSync(file, `<?xml version="1.0"?>
<robot name="wheel_bot">
  <joint name="wheel_joint" type="continuous">
    <parent link="chassis"/><child link="wheel"/>
    <origin xyz="0 0 0.3" rpy="1.5707963 0 0"/><axis xyz="0 0 1"/>
    <limit lower="-3.14" upper="3.14" effort="2" velocity="10"/>
  </joint>
  <link name="world"/>
  <joint name="mount" type="fixed"><parent link="world"/><child link="chassis"/></joint>
  <link name="chassis"><inertial><mass value="1"/><inertia ixx="0.01" ixy="0" ixz="0" iyy="0.01" iyz="0" izz="0.01"/></inertial></link>
  <link name="wheel"><inertial><origin xyz="0 0 0"/><mass value="0.1"/><inertia ixx="1e-4" ixy="0" ixz="0" iyy="1e-4" iyz="0" izz="2e-4"/></inertial></link>
</robot>
`);
    for (const robot of [await mujoco(file), cannon(file)]) {
      const w = robot.spec.joints.findIndex((j) => j.name === 'wheel_joint');
      robot.command({ mode: 'velocity', target: byName(robot, { wheel_joint: 5 }), kd: byName(robot, {}, 0.5) });
      let travelled = 0; // rad, unwrapped (the observation wraps a continuous joint to (−π, π])
      for (let s = 0; s < 2 * HZ; s++) {
        robot.step(1 / HZ);
        travelled += robot.observe().jointVelocity[w] / HZ;
      }
      print({ engine: robot.constructor.name, travelled, v: robot.observe().jointVelocity[w] });
      expect(travelled).toBeGreaterThan(Math.PI + 1);
      expect(robot.observe().jointVelocity[w]).toBeCloseTo(5, 1);
    }
  });

  it('a run that never reaches a limit is bit-identical to the same run with MuJoCo\'s default soft limits (solref 0.02 1, solimp 0.9 0.95)', async () => {
    // The shipped arm's scripted reach (1 s, seed 1), and the gripper and fixture on small steps inside their ranges.
    const arm = new URL('../../sim/robots/arm.urdf', import.meta.url).pathname;
    // The gripper starts inside its range (at 0, its fingers' default, they rest on their lower limits), the fixture's boom (passive here) hanging.
    const cases: [string, number, (r: MujocoRobot) => (k: number) => JointCommand, Record<string, number>?][] = [
      [arm, 500, (r) => {
        r.reset(1);
        const ctl = new ArmReachController(robotModel('arm'), r.spec.joints);
        ctl.reset(r.observe());
        return () => ({ mode: 'position', target: Float64Array.from(ctl.act(r.observe())), kp: byName(r, {}, 40), kd: byName(r, {}, 2) });
      }],
      [writeStrongGripper(dir), HZ, (r) => () => ({ mode: 'position', target: byName(r, { finger_joint: 0.6, slide_joint: 0.03 }), ...gains(r) }), { finger_joint: 0.4, slide_joint: 0.02 }],
      [wrist, HZ, (r) => () => ({ mode: 'position', target: byName(r, { turret: 0.02, wrist: 0.05, jaw: -0.05 }), kp: byName(r, { boom: 0 }, 10), kd: byName(r, { boom: 0 }, 0.25) }), { boom: -Math.PI / 2 }],
    ];
    for (const [file, hz, cmd, start] of cases) {
      const runs: Float64Array[] = [];
      for (const soft of [false, true]) {
        const robot = await mujoco(file, hz, start);
        const solref = robot.model.jnt_solref as Float64Array;
        const solimp = robot.model.jnt_solimp as Float64Array;
        expect(solref[2 * robot.model.njnt - 2]).toBeCloseTo(2 / hz, 12); // hard as built
        if (soft)
          for (let j = 0; j < robot.model.njnt; j++) {
            solref.set([0.02, 1], 2 * j);
            solimp.set([0.9, 0.95, 0.001, 0.5, 2], 5 * j);
          }
        const next = cmd(robot);
        const out: number[] = [];
        for (let k = 0; k < 50; k++) {
          robot.command(next(k));
          for (let s = 0; s < Math.round(0.02 * hz); s++) {
            robot.step(1 / hz);
            expect(robot.data.nl).toBe(0); // no limit active: the run this is about
          }
          const o = robot.observe();
          out.push(...o.jointPosition, ...o.jointVelocity, ...o.jointEffort);
        }
        runs.push(Float64Array.from(out));
      }
      expect(runs[0]).toEqual(runs[1]);
    }
  });
});

describe('an MJCF in MuJoCo: its limits as the model sets them, noted where a motor presses one well past', () => {
  // A vendor-style model: the limit in a <default> class, a motor whose ctrlrange is the effort limit (5 N·m), a 1e-3 kg·m² paddle.
  const xml = `<mujoco model="paddle">
  <compiler angle="radian"/>
  <option gravity="0 0 -9.81"/>
  <default>
    <default class="stop"><joint range="-1 1" limited="true" solreflimit="0.02 1"/></default>
  </default>
  <worldbody>
    <body name="base" pos="0 0 0.5">
      <geom type="box" size="0.05 0.05 0.05" mass="1"/>
      <body name="paddle" pos="0 0 0.1">
        <joint name="hinge" class="stop" axis="0 0 1"/>
        <inertial pos="0 0 0" mass="0.1" diaginertia="1e-3 1e-3 1e-3"/>
        <geom type="box" size="0.05 0.01 0.01" contype="0" conaffinity="0"/>
      </body>
    </body>
  </worldbody>
  <actuator><motor name="hinge_motor" joint="hinge" ctrlrange="-5 5" ctrllimited="true"/></actuator>
</mujoco>
`;
  const folder = join(dir, 'paddle');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, 'paddle.xml');
  writeFileSync(file, xml);

  it('names the joint and MuJoCo\'s penetration at rest under its effort limit (a·(1 − d)·τ²: 5000 rad/s² × 0.05 × 0.02² = 0.1 rad), keeps the model\'s solref, and the motor does press it that far', async () => {
    expect(readFileSync(file, 'utf8')).toContain('solreflimit');
    const robot = await createMujocoMjcfRobot(file, { physicsDt: 1 / HZ, defaultGains });
    robots.push(robot);
    const note = robot.notes.find((n) => n.code === 'MUJOCO_MJCF_SOFT_LIMIT');
    expect(note?.message).toContain('hinge 0.1 of 2');
    expect(Array.from((robot.model.jnt_solref as Float64Array).subarray(0, 2))).toEqual([0.02, 1]);
    const r = limitRun(robot, { mode: 'effort', target: Float64Array.of(5) }, ['hinge'], { seconds: 1, settle: 0.2, physicsDt: 1 / HZ });
    print(r);
    expect(r.final[0] - 1).toBeGreaterThan(0.09);
    expect(r.final[0] - 1).toBeLessThan(0.11);
  });

  it('no note for a joint MuJoCo does not limit (limited="false", its bounds from its position actuator\'s ctrlrange, as OP3\'s legs): nothing stops it; the same joint limited gets the note', async () => {
    // Before: the note named the unlimited hinge ("hinge 0.1 of 6.3") while 5 N·m spun it to 10025 rad.
    const op3 = (joint: string) => xml.replace(/<joint name="hinge"[^>]*\/>/, `<joint name="hinge" axis="0 0 1" ${joint}/>`).replace(/<actuator>.*<\/actuator>/, '<actuator><position name="hinge_pos" joint="hinge" kp="10" ctrlrange="-3.14 3.14" ctrllimited="true" forcerange="-5 5" forcelimited="true"/></actuator>');
    const free = join(folder, 'unlimited.xml');
    writeFileSync(free, op3('limited="false"'));
    const robot = await createMujocoMjcfRobot(free, { physicsDt: 1 / HZ, defaultGains });
    robots.push(robot);
    expect([robot.spec.joints[0].lower, robot.spec.joints[0].upper]).toEqual([-3.14, 3.14]); // from the ctrlrange
    expect(robot.notes.map((n) => n.code)).not.toContain('MUJOCO_MJCF_SOFT_LIMIT');
    let travelled = 0;
    robot.command({ mode: 'effort', target: Float64Array.of(5) });
    for (let s = 0; s < HZ; s++) {
      robot.step(1 / HZ);
      travelled = robot.data.qpos[0];
    }
    expect(travelled).toBeGreaterThan(10); // no stop at 3.14
    const stopped = join(folder, 'limited.xml');
    writeFileSync(stopped, op3('limited="true" range="-3.14 3.14"'));
    const held = await createMujocoMjcfRobot(stopped, { physicsDt: 1 / HZ, defaultGains });
    robots.push(held);
    expect(held.notes.find((n) => n.code === 'MUJOCO_MJCF_SOFT_LIMIT')?.message).toContain('hinge 0.1 of 6.3');
  });

  it('no note where the motor cannot press a limit in by 1 % of its range (the same paddle at 0.2 N·m: 0.004 rad)', async () => {
    const weak = join(folder, 'weak.xml');
    writeFileSync(weak, xml.replace('ctrlrange="-5 5"', 'ctrlrange="-0.2 0.2"'));
    const robot = await createMujocoMjcfRobot(weak, { physicsDt: 1 / HZ, defaultGains });
    robots.push(robot);
    expect(robot.notes.map((n) => n.code)).not.toContain('MUJOCO_MJCF_SOFT_LIMIT');
  });
});
