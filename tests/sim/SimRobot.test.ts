import { describe, it, expect } from 'vitest';
import { Vec3 } from 'cannon-es';
import { createSimRobot, parseUrdf, SimRobot } from '../../sim/index.ts';
import { createCommand, type JointCommand } from '../../src/core/robot.ts';

const effort = (...v: number[]): JointCommand => ({ mode: 'effort', target: Float64Array.from(v) });

/** A 3-joint arm with a rotated joint frame, a tilted slider axis and a fixed-joint tool. */
const ARM = `<robot name="arm">
  <link name="world"/>
  <joint name="yaw" type="revolute"><parent link="world"/><child link="l1"/><origin xyz="0 0 0.1" rpy="0 0 0.7"/>
    <axis xyz="0 0 1"/><limit lower="-2" upper="2" effort="10" velocity="5"/></joint>
  <link name="l1"><inertial><origin xyz="0 0 0.1"/><mass value="1"/><inertia ixx="0.01" ixy="0" ixz="0" iyy="0.01" iyz="0" izz="0.01"/></inertial>
    <collision><origin xyz="0 0 0.1"/><geometry><cylinder radius="0.03" length="0.2"/></geometry></collision></link>
  <joint name="pitch" type="revolute"><parent link="l1"/><child link="l2"/><origin xyz="0 0 0.2" rpy="0.3 0 0"/>
    <axis xyz="0 1 0"/><limit lower="-2" upper="2" effort="10" velocity="5"/></joint>
  <link name="l2"><inertial><origin xyz="0.1 0 0"/><mass value="0.5"/><inertia ixx="0.005" ixy="0" ixz="0" iyy="0.005" iyz="0" izz="0.005"/></inertial></link>
  <joint name="slide" type="prismatic"><parent link="l2"/><child link="l3"/><origin xyz="0.2 0 0"/>
    <axis xyz="0 1 1"/><limit lower="-0.5" upper="0.5" effort="20" velocity="1"/></joint>
  <link name="l3"><inertial><mass value="0.4"/><inertia ixx="0.004" ixy="0" ixz="0" iyy="0.004" iyz="0" izz="0.004"/></inertial></link>
  <joint name="tool_mount" type="fixed"><parent link="l3"/><child link="tool"/><origin xyz="0 0 0.1"/></joint>
  <link name="tool"><inertial><mass value="0.2"/><inertia ixx="0.001" ixy="0" ixz="0" iyy="0.001" iyz="0" izz="0.001"/></inertial>
    <collision><geometry><sphere radius="0.02"/></geometry></collision></link>
</robot>`;

/** A floating box with a fixed-on sensor mass, dropped on the ground. */
const BOX = `<robot name="box">
  <link name="base"><inertial><mass value="2"/><inertia ixx="0.03" ixy="0" ixz="0" iyy="0.03" iyz="0" izz="0.03"/></inertial>
    <collision><geometry><box size="0.3 0.3 0.3"/></geometry></collision></link>
  <joint name="mount" type="fixed"><parent link="base"/><child link="sensor"/><origin xyz="0 0 0.1"/></joint>
  <link name="sensor"><inertial><mass value="0.5"/><inertia ixx="0.001" ixy="0" ixz="0" iyy="0.001" iyz="0" izz="0.001"/></inertial></link>
</robot>`;

describe('SimRobot from URDF', () => {
  it("says when a joint's default position (0 unless given) is outside its limits, and starts it at the nearest limit", () => {
    // Go2's calf: [-2.7227, -0.83776], so its zero pose is outside the limits
    const urdf = ARM.replace('<limit lower="-2" upper="2" effort="10" velocity="5"/></joint>\n  <link name="l2">', '<limit lower="-2.7227" upper="-0.83776" effort="10" velocity="5"/></joint>\n  <link name="l2">');
    expect(urdf).not.toBe(ARM);
    const r = new SimRobot(parseUrdf(urdf));
    const note = r.notes.find((n) => n.code === 'SIM_DEFAULT_OUTSIDE_LIMITS');
    expect(note?.where).toBe('<joint name="pitch">');
    expect(note?.message).toContain('default position 0 is outside its limits [-2.7227, -0.83776]: it starts and holds at -0.83776');
    expect(r.spec.joints[1].defaultPosition).toBe(-0.83776);
    expect(r.observe().jointPosition[1]).toBeCloseTo(-0.83776, 6);
    expect(new SimRobot(parseUrdf(ARM)).notes.some((n) => n.code === 'SIM_DEFAULT_OUTSIDE_LIMITS')).toBe(false);
  });

  it('uses the URDF masses and inertias (measured on the cannon-es bodies)', () => {
    const r = createSimRobot('cartpole');
    const cart = r.bodyOf('cart');
    const pole = r.bodyOf('pole');
    expect(cart.mass).toBeCloseTo(1.0, 12);
    expect(pole.mass).toBeCloseTo(0.1, 12);
    expect(cart.inertia.x).toBeCloseTo(0.00708333, 8);
    expect(cart.inertia.y).toBeCloseTo(0.01520833, 8);
    expect(pole.inertia.y).toBeCloseTo(0.00834333, 8);
    expect(pole.inertia.z).toBeCloseTo(0.00002, 8);
    expect(pole.invInertia.y).toBeCloseTo(1 / 0.00834333, 4);
    expect(r.bodyOf('world').mass).toBe(0);
    // Centre of mass of the pole body: 0.5 m above the hinge, hinge 0.075 m above the cart centre at 0.075 m.
    expect(pole.position.z).toBeCloseTo(0.075 + 0.075 + 0.5, 9);
  });

  it('builds the spec from the non-fixed joints in tree order', () => {
    const r = createSimRobot('cartpole');
    expect(r.spec.name).toBe('cartpole');
    expect(r.spec.joints.map((j) => [j.name, j.type, j.lower, j.upper, j.effortLimit, j.velocityLimit])).toEqual([
      ['slider', 'prismatic', -3, 3, 30, 10],
      ['hinge', 'continuous', -Infinity, Infinity, 0, 20],
    ]);
    expect(r.spec.controlModes).toEqual(['position', 'velocity', 'effort']);
    const arm = new SimRobot(parseUrdf(ARM));
    expect(arm.spec.joints.map((j) => j.name)).toEqual(['yaw', 'pitch', 'slide']);
  });

  it('merges fixed-joint children into their parent body (mass, centre of mass)', () => {
    const arm = new SimRobot(parseUrdf(ARM));
    expect(arm.bodyOf('tool')).toBe(arm.bodyOf('l3'));
    expect(arm.bodyMass('tool')).toBeCloseTo(0.6, 12);
    const box = new SimRobot(parseUrdf(BOX), { basePosition: [0, 0, 1] });
    const b = box.bodyOf('base');
    expect(b.mass).toBeCloseTo(2.5, 12);
    expect(b.position.z).toBeCloseTo(1 + (0.5 * 0.1) / 2.5, 12);
    // Parallel axis: 0.03 + 0.001 + 2·0.02² + 0.5·0.08² about x.
    expect(b.inertia.x).toBeCloseTo(0.031 + 2 * 0.02 ** 2 + 0.5 * 0.08 ** 2, 9);
    expect(b.inertia.z).toBeCloseTo(0.031, 9);
  });

  it('reads back joint positions and velocities set as the initial state', () => {
    const arm = new SimRobot(parseUrdf(ARM));
    arm.setInitialPositions([0.4, -0.8, 0.15]);
    arm.setEpisodeInitialState([0.4, -0.8, 0.15], [0.3, -0.2, 0.1]);
    arm.reset();
    const o = arm.observe();
    expect(o.jointPosition[0]).toBeCloseTo(0.4, 5);
    expect(o.jointPosition[1]).toBeCloseTo(-0.8, 5);
    expect(o.jointPosition[2]).toBeCloseTo(0.15, 5);
    expect(o.jointVelocity[0]).toBeCloseTo(0.3, 5);
    expect(o.jointVelocity[1]).toBeCloseTo(-0.2, 5);
    expect(o.jointVelocity[2]).toBeCloseTo(0.1, 5);
    // The constraints agree with the placement: no joint error at the start.
    for (let i = 0; i < 3; i++) expect(arm.jointError(i)[0]).toBeLessThan(1e-9);
    const cp = createSimRobot('cartpole');
    cp.setInitialPositions([0.3, 0.5]);
    cp.reset();
    const c = cp.observe();
    expect(c.jointPosition[0]).toBeCloseTo(0.3, 6);
    expect(c.jointPosition[1]).toBeCloseTo(0.5, 6);
    expect(c.seq).toBe(0);
    expect(c.time).toBe(0);
  });

  it('the cartpole pole falls with zero effort (0.05 rad past 12° within 2 s)', () => {
    const r = createSimRobot('cartpole');
    r.setInitialPositions([0, 0.05]);
    r.reset();
    let crossed = -1;
    for (let k = 1; k <= 100 && crossed < 0; k++) {
      r.step(0.02);
      if (Math.abs(r.observe().jointPosition[1]) > 0.2094) crossed = k * 0.02;
    }
    expect(crossed).toBeGreaterThan(0.3);
    expect(crossed).toBeLessThan(2);
    // The passive hinge gets no actuator effort.
    expect(r.observe().jointEffort[1]).toBe(0);
  });

  it('a slider force accelerates cart + pole at F / (m_cart + m_pole)', () => {
    const r = createSimRobot('cartpole');
    r.command(effort(10, 0));
    const T = 0.2;
    r.step(T);
    const x = r.observe().jointPosition[0];
    // Whole-system centre of mass: only F acts along x.
    const cartX = r.bodyOf('cart').position.x;
    const poleX = r.bodyOf('pole').position.x;
    const comX = (1.0 * cartX + 0.1 * poleX) / 1.1;
    const aCom = (2 * comX) / (T * T);
    expect(aCom).toBeGreaterThan((10 / 1.1) * 0.97);
    expect(aCom).toBeLessThan((10 / 1.1) * 1.03);
    // The cart itself: between F/(M+m) and F/(M+m/4) (the free pole lags), within 10% of F/(M+m).
    const aCart = (2 * x) / (T * T);
    expect(aCart).toBeGreaterThan(10 / 1.1);
    expect(aCart).toBeLessThan((10 / 1.1) * 1.1);
  });

  it('saturates the actuator effort at the limit and reports what it applied', () => {
    const r = createSimRobot('cartpole');
    r.command(effort(1000, 50));
    r.step(0.01);
    const o = r.observe();
    expect(o.jointEffort[0]).toBe(30);
    expect(o.jointEffort[1]).toBe(0); // passive joint
    r.command(effort(-1000, 0));
    r.step(0.01);
    expect(r.observe().jointEffort[0]).toBe(-30);
    r.command(effort(NaN, 0));
    r.step(0.01);
    expect(r.observe().jointEffort[0]).toBe(0);
    expect(r.badEffortCount).toBeGreaterThan(0);
  });

  it('applies zero effort before any command and holds a command between steps', () => {
    const r = createSimRobot('cartpole');
    r.step(0.1);
    const o = r.observe();
    expect(o.jointPosition[0]).toBeCloseTo(0, 12);
    expect(o.jointEffort[0]).toBe(0);
    r.command(effort(5, 0));
    r.step(0.1);
    const v1 = r.observe().jointVelocity[0];
    r.step(0.1);
    expect(r.observe().jointVelocity[0]).toBeGreaterThan(v1 * 1.5);
  });

  it('holds a target angle with a position-mode PD (pendulum)', () => {
    const p = createSimRobot('pendulum');
    p.setInitialPositions([0.1]);
    p.reset();
    const cmd = createCommand(p.spec, 'position');
    cmd.target[0] = 0.2;
    cmd.kp![0] = 100;
    cmd.kd![0] = 15;
    p.command(cmd);
    p.step(3);
    const o = p.observe();
    // Steady-state error of a PD against gravity: m g (L/2) sin(q) / kp ≈ 0.01 rad.
    expect(o.jointPosition[0]).toBeGreaterThan(0.2);
    expect(o.jointPosition[0]).toBeLessThan(0.2 + 0.015);
    expect(Math.abs(o.jointVelocity[0])).toBeLessThan(1e-3);
    expect(o.jointEffort[0]).toBeCloseTo(-9.81 * 0.5 * Math.sin(o.jointPosition[0]), 2);
    // Gains omitted: the spec defaults apply.
    p.command({ mode: 'position', target: new Float64Array([0.1]) });
    p.step(0.002);
    expect(p.observe().jointEffort[0]).toBeCloseTo(p.spec.joints[0].kp * (0.1 - o.jointPosition[0]) - p.spec.joints[0].kd * o.jointVelocity[0], 1);
  });

  it('tracks a velocity command (cart)', () => {
    const r = createSimRobot('cartpole');
    r.command({ mode: 'velocity', target: Float64Array.from([0.5, 0]), kd: Float64Array.from([200, 0]) });
    r.step(1);
    expect(r.observe().jointVelocity[0]).toBeCloseTo(0.5, 1);
  });

  it('keeps joint constraint error small while the pole swings (pivot drift)', () => {
    const r = createSimRobot('cartpole');
    r.setInitialPositions([0, 0.05]);
    r.reset();
    const e = new Float64Array(2);
    let hingePivot = 0;
    let hingeAxis = 0;
    let sliderPerp = 0;
    r.command(effort(3, 0));
    for (let k = 0; k < 1500; k++) {
      r.step(0.002);
      r.jointError(1, e);
      hingePivot = Math.max(hingePivot, e[0]);
      hingeAxis = Math.max(hingeAxis, e[1]);
      r.jointError(0, e);
      sliderPerp = Math.max(sliderPerp, e[0]);
    }
    expect(hingePivot).toBeLessThan(1e-3); // m
    expect(hingeAxis).toBeLessThan(1e-3); // rad
    expect(sliderPerp).toBeLessThan(1e-4); // m
    // The slider locks the cart's rotation.
    const q = r.bodyOf('cart').quaternion;
    expect(Math.abs(q.w)).toBeGreaterThan(1 - 1e-6);
  });

  it('stops a joint at its position limit (spring-damper)', () => {
    const r = createSimRobot('cartpole');
    r.command(effort(30, 0));
    r.step(3);
    const x = r.observe().jointPosition[0];
    expect(x).toBeGreaterThan(2.9);
    expect(x).toBeLessThan(3.2);
  });

  it('orients URDF cylinders along the link z axis', () => {
    const pole = createSimRobot('cartpole').bodyOf('pole');
    const axis = pole.shapeOrientations[0].vmult(new Vec3(0, 1, 0)); // cannon's cylinder axis
    expect(axis.z).toBeCloseTo(1, 12);
    expect(pole.shapeOffsets[0].length()).toBeCloseTo(0, 12); // shape centred on the centre of mass
  });

  it('holds a 3-joint arm (rotated frames, tilted slider) under gravity with PD, joints tight', () => {
    const arm = new SimRobot(parseUrdf(ARM), {
      jointDefaults: { yaw: { kp: 200, kd: 2 }, pitch: { kp: 200, kd: 2 }, slide: { kp: 2000, kd: 20 } },
      initialPositions: [0.3, 0.5, 0.1],
    });
    arm.command({ mode: 'position', target: Float64Array.from([0.3, 0.5, 0.1]) });
    const e = new Float64Array(2);
    let pivot = 0;
    let axis = 0;
    for (let k = 0; k < 500; k++) {
      arm.step(0.002);
      for (let i = 0; i < 3; i++) {
        arm.jointError(i, e);
        pivot = Math.max(pivot, e[0]);
        axis = Math.max(axis, e[1]);
      }
    }
    const o = arm.observe();
    expect(o.jointPosition[0]).toBeCloseTo(0.3, 2);
    expect(o.jointPosition[1]).toBeCloseTo(0.5, 1);
    expect(o.jointPosition[2]).toBeCloseTo(0.1, 2);
    expect(pivot).toBeLessThan(1e-3);
    expect(axis).toBeLessThan(1e-3);
  });

  it('position mode on a continuous joint takes the short way across ±π', () => {
    const p = createSimRobot('pendulum');
    p.setInitialPositions([-3.0]);
    p.reset();
    p.command({ mode: 'position', target: Float64Array.from([3.0]), kp: Float64Array.from([5]), kd: Float64Array.from([1]) });
    p.step(0.002);
    // Error wraps to 3.0 − (−3.0) − 2π ≈ −0.283 rad: a negative push, not +30 N·m saturating positive.
    expect(p.observe().jointEffort[0]).toBeLessThan(0);
    expect(p.observe().jointEffort[0]).toBeGreaterThan(-2);
  });

  it('is deterministic: same seed and commands give bit-identical observations', () => {
    const run = (): number[] => {
      const r = createSimRobot('cartpole', { seed: 7, randomize: true });
      const out: number[] = [];
      const cmd = effort(0, 0);
      for (let k = 0; k < 100; k++) {
        cmd.target[0] = 5 * Math.sin(k * 0.1);
        r.command(cmd);
        r.step(0.02);
        const o = r.observe();
        out.push(o.time, o.seq, ...o.jointPosition, ...o.jointVelocity, ...o.jointEffort, ...o.base!.position);
      }
      return out;
    };
    const a = run();
    const b = run();
    expect(b).toEqual(a);
    // And a reset replays the same episode.
    const r = createSimRobot('cartpole', { seed: 3, randomize: true });
    r.step(0.5);
    const first = Array.from(r.observe().jointPosition);
    r.reset();
    r.step(0.5);
    expect(Array.from(r.observe().jointPosition)).toEqual(first);
  });

  it('counts physics steps in seq and time; an unstepped robot repeats its seq', () => {
    const r = createSimRobot('cartpole', { physicsDt: 0.005 });
    r.step(0.02);
    const o = r.observe();
    expect(o.seq).toBe(4);
    expect(o.time).toBeCloseTo(0.02, 12);
    expect(r.observe().seq).toBe(4);
    expect(r.observe()).toBe(o); // one reused object
    r.reset();
    expect(r.observe().seq).toBe(0);
  });

  it('floating base: falls onto the ground, contact force and IMU read its weight', () => {
    const box = new SimRobot(parseUrdf(BOX), { basePosition: [0, 0, 0.5], contactSensors: ['base'], imuLink: 'base' });
    expect(box.spec.sensors).toEqual({ imu: true, contacts: ['base'], baseVelocity: true, baseCom: true });
    box.step(0.1);
    const falling = box.observe();
    expect(Math.abs(falling.imu!.linearAcceleration[2])).toBeLessThan(0.05); // free fall reads ~0
    expect(falling.contacts![0]).toBe(0);
    box.step(1.4);
    const o = box.observe();
    expect(o.base!.position[2]).toBeCloseTo(0.15, 2);
    expect(o.contacts![0]).toBeCloseTo(2.5 * 9.81, 0);
    expect(o.imu!.linearAcceleration[2]).toBeCloseTo(9.81, 1);
    expect(o.imu!.orientation[3]).toBeCloseTo(1, 4);
  });

  it('setLinkMass scales mass and inertia; reset(seed) restores the URDF masses', () => {
    const r = createSimRobot('cartpole');
    r.setLinkMass('pole', 0.2);
    expect(r.linkMass('pole')).toBe(0.2);
    expect(r.bodyOf('pole').mass).toBeCloseTo(0.2, 12);
    expect(r.bodyOf('pole').inertia.y).toBeCloseTo(2 * 0.00834333, 9);
    r.reset(1);
    expect(r.bodyOf('pole').mass).toBeCloseTo(0.1, 12);
    expect(() => r.setLinkMass('nope', 1)).toThrow(/no such link/);
  });
});
