import { describe, it, expect } from 'vitest';
import { createSimRobot, createTask, randomize, robotModel, Rng, SimRobot, BalanceTask, HUMANOID_LEG_JOINTS, humanoidRandomization } from '../../sim/index.ts';
import { humanoidJointDefaults, humanoidOptions } from '../../sim/robots/humanoid.ts';
import type { JointCommand } from '../../src/core/robot.ts';

const hold = (r: SimRobot): JointCommand => ({ mode: 'position', target: Float64Array.from(r.spec.joints, (j) => j.defaultPosition) });

/** Tilt of the pelvis from vertical (rad), from the privileged base orientation. */
function tilt(r: SimRobot): number {
  const q = r.observe().base!.orientation;
  return Math.acos(Math.min(1, 1 - 2 * (q[0] * q[0] + q[1] * q[1])));
}

describe('humanoid URDF', () => {
  it('loads with 16 joints (12 legs), 29.9 kg, and the limits of its actuator classes', () => {
    const r = createSimRobot('humanoid');
    const names = r.spec.joints.map((j) => j.name);
    expect(names).toHaveLength(16);
    expect(HUMANOID_LEG_JOINTS.every((n) => names.includes(n))).toBe(true);
    const model = robotModel('humanoid');
    const mass = model.links.reduce((s, l) => s + (l.inertial?.mass ?? 0), 0);
    expect(mass).toBeCloseTo(29.9, 6);
    const bodies = r.bodyLinkNames();
    expect(bodies).toHaveLength(17);
    expect(bodies.reduce((s, b) => s + r.bodyMass(b), 0)).toBeCloseTo(29.9, 6);
    const knee = r.spec.joints[r.jointIndex('left_knee')];
    expect([knee.lower, knee.upper, knee.effortLimit, knee.velocityLimit]).toEqual([0, 2.3, 33.5, 21]);
    const elbow = r.spec.joints[r.jointIndex('right_elbow')];
    expect([elbow.effortLimit, elbow.velocityLimit]).toEqual([10.6, 4.8]);
    expect(knee.defaultPosition).toBeCloseTo(0.6, 12);
    expect([knee.kp, knee.kd]).toEqual([250, 5]);
    expect(r.spec.sensors).toEqual({ imu: true, contacts: ['left_foot', 'right_foot'], baseVelocity: true, baseCom: true });
  });

  it('stands 10 s on PD alone at the default pose: joints together, feet loaded, little slip', () => {
    const r = createSimRobot('humanoid');
    r.command(hold(r));
    const e = new Float64Array(2);
    const foot = new Float64Array(3);
    const quat = new Float64Array(4);
    r.linkPose('left_foot', foot, quat);
    const x0 = foot[0];
    let pivot = 0;
    let axis = 0;
    for (let k = 0; k < 500; k++) {
      r.step(0.02);
      for (let i = 0; i < 16; i++) {
        r.jointError(i, e);
        pivot = Math.max(pivot, e[0]);
        axis = Math.max(axis, e[1]);
      }
    }
    const o = r.observe();
    expect(o.base!.position[2]).toBeGreaterThan(0.7);
    expect(tilt(r)).toBeLessThan(0.1); // rad; it settles leaning back about 0.06 rad
    expect(pivot).toBeLessThan(0.002); // m; measured 0.3 mm
    expect(axis).toBeLessThan(0.002); // rad; measured 0.16 mrad
    const weight = 29.9 * 9.81;
    expect(o.contacts![0] + o.contacts![1]).toBeGreaterThan(0.95 * weight);
    expect(o.contacts![0] + o.contacts![1]).toBeLessThan(1.05 * weight);
    r.linkPose('left_foot', foot, quat);
    expect(Math.abs(foot[0] - x0)).toBeLessThan(0.08); // m over 10 s; measured 46 mm (solver creep)
    expect(r.badEffortCount).toBe(0);
  });
});

describe('humanoid sensors', () => {
  it('IMU reads gravity at rest and the right sign when tilted', () => {
    const r = createSimRobot('humanoid');
    r.command(hold(r));
    r.step(1);
    const acc = r.observe().imu!.linearAcceleration;
    expect(acc[2]).toBeGreaterThan(9.3);
    expect(acc[2]).toBeLessThan(10.3);
    expect(Math.hypot(acc[0], acc[1])).toBeLessThan(2); // the lean (≈0.6 m/s²) and a slow sway
    // Rolled +0.3 rad about x and held in the air: the specific force is R^T (0, 0, g) = (0, g sin θ, g cos θ).
    const th = 0.3;
    const tilted = new SimRobot(robotModel('humanoid'), {
      ...humanoidOptions,
      sensorNoise: {},
      spawnOnGround: false,
      jointDefaults: humanoidJointDefaults,
      basePosition: [0, 0, 2],
      baseOrientation: [Math.sin(th / 2), 0, 0, Math.cos(th / 2)],
    });
    const a = tilted.observe().imu!;
    expect(a.linearAcceleration[1]).toBeCloseTo(9.81 * Math.sin(th), 4);
    expect(a.linearAcceleration[2]).toBeCloseTo(9.81 * Math.cos(th), 4);
    expect(a.orientation[0]).toBeCloseTo(Math.sin(th / 2), 5);
  });

  it('foot contacts flip when a foot lifts', () => {
    const r = createSimRobot('humanoid');
    r.command(hold(r));
    r.step(1);
    let o = r.observe();
    expect(o.contacts![0]).toBeGreaterThan(50);
    expect(o.contacts![1]).toBeGreaterThan(50);
    const cmd = hold(r);
    cmd.target[r.jointIndex('left_hip_pitch')] = -1.0;
    cmd.target[r.jointIndex('left_knee')] = 1.8;
    r.command(cmd);
    r.step(0.3);
    o = r.observe();
    expect(o.contacts![0]).toBe(0);
    expect(o.contacts![1]).toBeGreaterThan(150);
  });
});

describe('humanoid randomisation', () => {
  it('is reproducible from the seed, within the declared ranges, and resets into it', () => {
    const a = createSimRobot('humanoid');
    const b = createSimRobot('humanoid');
    const run = (r: SimRobot, seed: number) => {
      r.reset(seed);
      const d = randomize(r, new Rng(seed));
      r.command(hold(r));
      r.step(2);
      return { d, z: r.observe().base!.position[2], x: r.observe().base!.position[0], pushes: r.pushCount };
    };
    const ra = run(a, 42);
    const rb = run(b, 42);
    expect(ra).toEqual(rb);
    expect(ra.pushes).toBe(1); // first push at 1 s, the next 2-4 s later
    const c = humanoidRandomization;
    expect(ra.d.friction).toBeGreaterThanOrEqual(c.friction[0]);
    expect(ra.d.friction).toBeLessThanOrEqual(c.friction[1]);
    expect(ra.d.latency_steps).toBeGreaterThanOrEqual(c.latencySteps[0]);
    expect(ra.d.latency_steps).toBeLessThanOrEqual(c.latencySteps[1]);
    expect(ra.d['mass_scale.pelvis']).toBeGreaterThanOrEqual(c.massScale[0]);
    expect(ra.d['kp_scale.left_knee']).toBeLessThanOrEqual(c.kpScale[1]);
    expect(a.bodyMass('left_thigh')).toBeCloseTo(2.5 * ra.d['mass_scale.left_thigh'], 3);
    expect(a.friction).toBeCloseTo(ra.d.friction, 3);
    const other = run(b, 43);
    expect(other.d.friction).not.toBe(ra.d.friction);
    // reset(seed) without a randomizer restores the nominal robot.
    a.reset(1);
    expect(a.bodyMass('left_thigh')).toBe(2.5);
    expect(a.actionLatencySteps).toBe(0);
    expect(a.pushConfig).toBeUndefined();
  });

  it('pushes act on the torso for their duration and show in extras.push_force', () => {
    const r = createSimRobot('humanoid');
    r.reset(5);
    r.setPushes({ link: 'torso', forceMin: 80, forceMax: 80, durationS: 0.1, intervalMin: 5, intervalMax: 5, firstAfterS: 0.5, seed: 9 });
    r.reset();
    r.command(hold(r));
    r.step(0.52);
    const f = r.observe().extras.push_force;
    expect(Math.hypot(f[0], f[1])).toBeCloseTo(80, 3);
    expect(f[2]).toBe(0);
    expect(r.pushCount).toBe(1);
    r.step(0.1);
    expect(Math.hypot(r.observe().extras.push_force[0], r.observe().extras.push_force[1])).toBe(0);
  });

  it('action latency delays a command by the set number of physics steps', () => {
    const r = createSimRobot('humanoid');
    r.setActionLatency(3);
    const n = r.spec.joints.length;
    const cmd: JointCommand = { mode: 'effort', target: new Float64Array(n).fill(1) };
    r.command(cmd);
    r.step(r.physicsDt * 3);
    expect(r.actuatorEffort[0]).toBe(0);
    r.step(r.physicsDt);
    expect(r.actuatorEffort[0]).toBe(1);
  });
});

describe('BalanceTask', () => {
  it('scores alive + upright per tick and terminates on a fall', () => {
    const r = createSimRobot('humanoid');
    const task = createTask('humanoid');
    expect(task).toBeInstanceOf(BalanceTask);
    expect(task.episodeS).toBe(20);
    r.command(hold(r));
    task.reset(r.observe());
    for (let k = 0; k < 50; k++) {
      r.step(0.02);
      expect(task.step(r.observe(), 0.02)).toBe(false);
    }
    expect(task.totalReward).toBeGreaterThan(95); // ≈ 2 per tick upright
    expect(task.success).toBe(true);
    // Limp: no gains, the robot collapses.
    const n = r.spec.joints.length;
    r.command({ mode: 'position', target: new Float64Array(n), kp: new Float64Array(n), kd: new Float64Array(n) });
    let fell = false;
    for (let k = 0; k < 150 && !fell; k++) {
      r.step(0.02);
      fell = task.step(r.observe(), 0.02);
    }
    expect(fell).toBe(true);
    expect(task.success).toBe(false);
  });
});
