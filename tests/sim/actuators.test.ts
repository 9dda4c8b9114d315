import { describe, it, expect } from 'vitest';
import { parseUrdf, SimRobot } from '../../sim/index.ts';
import { Actuators } from '../../sim/actuators/Actuators.ts';

const base = (n: number) => ({ effortLimit: new Array(n).fill(20), velocityLimit: new Array(n).fill(10), damping: new Array(n).fill(0), friction: new Array(n).fill(0) });

describe('Actuators (plain arrays, no physics engine)', () => {
  it('implicit PD: the row is the impulse of τ = kp·(q* − q − dt·v⁺) + kd·(v* − v⁺) plus the rotor', () => {
    const a = new Actuators(1, 0.005, 'implicit', base(1));
    a.configure(0, { armature: 0.01, damping: 0.5 }, 'j');
    a.compute(0, 'position', 0.3, 0.1, 100, 2, 1, 0.4);
    const c = 0.005 * 100 + 2 + 0.5;
    const denom = 0.005 * c + 0.01;
    expect(a.rowActive[0]).toBe(1);
    expect(a.rowCompliance[0]).toBeCloseTo(1 / denom, 12);
    expect(a.rowTarget[0]).toBeCloseTo((0.005 * (100 * 0.1 + 1) + 0.01 * 0.4) / denom, 12);
    expect(a.rowBound[0]).toBeCloseTo(0.005 * 20, 12);
    // Solving the row for a lone link of inertia I gives the closed form of implicit Euler.
    const I = 1e-5;
    const lambdaFree = (I * 0.4 - I * a.rowTarget[0]) / -(1 + I * a.rowCompliance[0]); // I·(v⁺ − v) = λ, v⁺ = target − compliance·λ
    const vNext = 0.4 + lambdaFree / I;
    const tau = 100 * (0.1 - 0.005 * vNext) + 2 * (0 - vNext) + 1;
    expect((I + 0.01) * (vNext - 0.4)).toBeCloseTo(0.005 * (tau - 0.5 * vNext), 10);
    expect(a.effortAfter(0, vNext)).toBeCloseTo(tau, 10);
  });

  it('explicit PD: torque from the step start, clamped to the effort limit (scaled), NaN applies nothing and is counted', () => {
    const a = new Actuators(2, 0.002, 'explicit', base(2));
    a.compute(0, 'position', 0, 0.1, 50, 1, 0, 2);
    expect(a.explicitEffort[0]).toBeCloseTo(50 * 0.1 - 1 * 2, 12);
    a.effortScale[1] = 0.5;
    a.compute(1, 'position', 0, 10, 50, 0, 0, 0);
    expect(a.explicitEffort[1]).toBe(10);
    a.compute(1, 'effort', Number.NaN, 0, 0, 0, 0, 0);
    expect(a.explicitEffort[1]).toBe(0);
    expect(a.badCommandCount).toBe(1);
    expect(a.rowActive[0]).toBe(0);
  });

  it('refuses a negative armature or a zero velocity limit, naming the joint and field', () => {
    const a = new Actuators(1, 0.002, 'implicit', base(1));
    expect(() => a.configure(0, { armature: -1 }, 'jointDefaults.knee')).toThrow(/jointDefaults\.knee\.armature/);
    expect(() => a.configure(0, { velocityLimit: 0 }, 'jointDefaults.knee')).toThrow(/velocityLimit/);
  });
});

/** A vendor-like wrist: a 30 g link with 1e-5 kg·m² on a fixed base, held by PD with kd 10 at 200 Hz. */
const WRIST = `<robot name="wrist">
  <link name="base"><inertial><mass value="2"/><inertia ixx="0.01" ixy="0" ixz="0" iyy="0.01" iyz="0" izz="0.01"/></inertial></link>
  <joint name="wrist_roll" type="revolute"><parent link="base"/><child link="hand"/><origin xyz="0 0 0.05"/>
    <axis xyz="1 0 0"/><limit lower="-1.9" upper="1.9" effort="5" velocity="22"/></joint>
  <link name="hand"><inertial><origin xyz="0 0 0.005"/><mass value="0.03"/><inertia ixx="1e-5" ixy="0" ixz="0" iyy="1e-5" iyz="0" izz="1e-5"/></inertial></link>
</robot>`;

function holdWrist(pd: 'implicit' | 'explicit', armature: number): { err: number; maxSpeed: number } {
  const r = new SimRobot(parseUrdf(WRIST), { fixedBase: true, physicsDt: 0.005, pd, jointDefaults: { wrist_roll: { kp: 20, kd: 10, armature } } });
  r.reset();
  let maxSpeed = 0;
  const target = Float64Array.of(0.5);
  for (let k = 0; k < 400; k++) {
    r.command({ mode: 'position', target });
    r.step(0.005);
    const v = Math.abs(r.observe().jointVelocity[0]);
    maxSpeed = Number.isFinite(v) ? Math.max(maxSpeed, v) : Infinity;
  }
  return { err: Math.abs(r.observe().jointPosition[0] - 0.5), maxSpeed };
}

describe('PD on a 1e-5 kg·m² link at 200 Hz, kd 10', () => {
  it('implicit PD with armature 0.01 settles on the target', () => {
    const { err, maxSpeed } = holdWrist('implicit', 0.01);
    expect(err).toBeLessThan(0.01);
    expect(maxSpeed).toBeLessThan(5);
  });

  it('implicit PD without armature is still stable (damping solved with the next velocity)', () => {
    const { err, maxSpeed } = holdWrist('implicit', 0);
    expect(err).toBeLessThan(0.01);
    expect(maxSpeed).toBeLessThan(5);
  });

  it('explicit PD on the same link is unstable: kd·dt/I = 5000 (with armature 0.01 on the body: 5, still over 2)', () => {
    for (const armature of [0, 0.01]) {
      const { err, maxSpeed } = holdWrist('explicit', armature);
      expect(maxSpeed > 20 || !(err < 0.05)).toBe(true);
    }
  });
});
