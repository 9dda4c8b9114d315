import { describe, it, expect } from 'vitest';
import { createSimRobot, createTask, randomize, robotNames, Rng, CartpoleTask, PendulumTask } from '../../sim/index.ts';
import { AxonError } from '../../src/core/errors.ts';
import { createObservation, type Observation } from '../../src/core/robot.ts';

function obsWith(positions: number[], velocities: number[] = positions.map(() => 0), time = 0): Observation {
  const o = createObservation({
    name: 't',
    joints: positions.map((_, i) => ({ name: `j${i}`, type: 'revolute', lower: -1, upper: 1, velocityLimit: 1, effortLimit: 1, defaultPosition: 0, kp: 0, kd: 0 })),
    sensors: { imu: false, contacts: [] },
    controlModes: ['effort'],
  });
  o.jointPosition.set(positions);
  o.jointVelocity.set(velocities);
  o.time = time;
  return o;
}

describe('robot registry', () => {
  it('lists the shipped robots and builds them', () => {
    expect(robotNames()).toEqual(['cartpole', 'pendulum', 'humanoid', 'arm']);
    const p = createSimRobot('pendulum', { physicsDt: 0.001 });
    expect(p.physicsDt).toBe(0.001);
    expect(p.spec.joints.map((j) => [j.name, j.effortLimit])).toEqual([['joint', 2]]);
    // The pendulum starts hanging (angle π from upright) and stays there.
    p.step(1);
    expect(Math.abs(Math.abs(p.observe().jointPosition[0]) - Math.PI)).toBeLessThan(1e-3);
  });

  it('rejects an unknown robot with UNKNOWN_ROBOT naming the name and the list', () => {
    let err: unknown;
    try {
      createSimRobot('humanoidx');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AxonError);
    expect((err as AxonError).code).toBe('UNKNOWN_ROBOT');
    expect((err as AxonError).message).toContain('"humanoidx"');
    expect((err as AxonError).message).toContain('cartpole, pendulum');
    expect(() => createTask('nope')).toThrow(/UNKNOWN_ROBOT|not a shipped robot/);
  });

  it('randomize draws the cartpole episode within its ranges, deterministically, and resets into it', () => {
    const r = createSimRobot('cartpole');
    const draws: Record<string, number>[] = [];
    for (let seed = 0; seed < 20; seed++) {
      r.reset(seed);
      const d = randomize(r, new Rng(seed));
      draws.push(d);
      expect(Math.abs(d.poleAngle)).toBeLessThanOrEqual(0.1);
      expect(Math.abs(d.cartX)).toBeLessThanOrEqual(0.05);
      expect(d.poleMassScale).toBeGreaterThanOrEqual(0.8);
      expect(d.poleMassScale).toBeLessThanOrEqual(1.2);
      const o = r.observe();
      expect(o.jointPosition[1]).toBeCloseTo(d.poleAngle, 5);
      expect(o.jointPosition[0]).toBeCloseTo(d.cartX, 5);
      expect(o.jointVelocity[1]).toBeCloseTo(d.poleVelocity, 5);
      expect(r.linkMass('pole')).toBeCloseTo(0.1 * d.poleMassScale, 12);
    }
    expect(new Set(draws.map((d) => d.poleAngle)).size).toBe(20);
    r.reset(5);
    expect(randomize(r, new Rng(5))).toEqual(draws[5]);
    // reset(seed) restores the nominal robot when no randomizer is installed.
    r.reset(99);
    expect(r.linkMass('pole')).toBe(0.1);
    expect(r.observe().jointPosition[1]).toBe(0);
    // A configured randomizer runs on reset(seed).
    const rr = createSimRobot('cartpole', { randomize: { angle: 0.01, massScale: [1, 1] }, seed: 4 });
    expect(Math.abs(rr.observe().jointPosition[1])).toBeLessThanOrEqual(0.01);
    expect(rr.observe().jointPosition[1]).not.toBe(0);
  });
});

describe('Rng', () => {
  it('is deterministic and in range', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    const n = new Rng(1);
    const ns = Array.from({ length: 4000 }, () => n.normal());
    const m = ns.reduce((s, x) => s + x, 0) / ns.length;
    const sd = Math.sqrt(ns.reduce((s, x) => s + (x - m) ** 2, 0) / ns.length);
    expect(Math.abs(m)).toBeLessThan(0.05);
    expect(sd).toBeGreaterThan(0.95);
    expect(sd).toBeLessThan(1.05);
    const u = new Rng(3).uniform(-2, -1);
    expect(u).toBeGreaterThanOrEqual(-2);
    expect(u).toBeLessThan(-1);
    expect(new Rng(1).next()).not.toBe(new Rng(2).next());
  });
});

describe('tasks', () => {
  it('cartpole: reward 1 per tick, terminates past 12° or 2.4 m, success when never terminated', () => {
    const t = createTask('cartpole');
    expect(t).toBeInstanceOf(CartpoleTask);
    expect(t.episodeS).toBe(10);
    t.reset(obsWith([0, 0]));
    expect(t.step(obsWith([0.1, 0.2]), 0.02)).toBe(false);
    expect(t.step(obsWith([2.3, -0.2]), 0.02)).toBe(false);
    expect(t.totalReward).toBe(2);
    expect(t.success).toBe(true);
    expect(t.step(obsWith([0, 0.21]), 0.02)).toBe(true);
    expect(t.success).toBe(false);
    expect(t.totalReward).toBe(2);
    t.reset(obsWith([0, 0]));
    expect(t.step(obsWith([-2.41, 0]), 0.02)).toBe(true);
    t.reset(obsWith([0, 0]));
    expect(t.step(obsWith([0, NaN]), 0.02)).toBe(true);
    expect(createTask('cartpole', { episodeS: 5 }).episodeS).toBe(5);
  });

  it('cartpole task on the sim: an uncontrolled pole fails, a simple PD controller balances 10 s', () => {
    const r = createSimRobot('cartpole');
    const t = createTask('cartpole', { spec: r.spec });
    r.setInitialPositions([0, 0.05]);
    r.reset();
    t.reset(r.observe());
    let ended = false;
    for (let k = 0; k < 500 && !ended; k++) {
      r.step(0.02);
      ended = t.step(r.observe(), 0.02);
    }
    expect(ended).toBe(true);
    expect(t.success).toBe(false);
    expect(t.totalReward).toBeLessThan(100);

    // LQR-like state feedback on (x, θ, ẋ, θ̇) at 50 Hz.
    r.reset();
    t.reset(r.observe());
    const cmd = { mode: 'effort' as const, target: new Float64Array(2) };
    ended = false;
    for (let k = 0; k < 500 && !ended; k++) {
      const o = r.observe();
      cmd.target[0] = 1.0 * o.jointPosition[0] + 30 * o.jointPosition[1] + 2.0 * o.jointVelocity[0] + 6 * o.jointVelocity[1];
      r.command(cmd);
      r.step(0.02);
      ended = t.step(r.observe(), 0.02);
    }
    expect(ended).toBe(false);
    expect(t.success).toBe(true);
    expect(t.totalReward).toBe(500);
  });

  it('pendulum: reward −(θ² + 0.1·θ̇²)·dt with θ wrapped, never terminates, success after holding the last 20%', () => {
    const t = createTask('pendulum');
    expect(t).toBeInstanceOf(PendulumTask);
    t.reset(obsWith([Math.PI], [0], 0));
    expect(t.step(obsWith([2 * Math.PI - 0.5], [1], 0.1), 0.1)).toBe(false); // wraps to −0.5
    expect(t.totalReward).toBeCloseTo(-(0.25 + 0.1) * 0.1, 6);
    expect(t.success).toBe(false);
    // Last tick outside the band at 0.1 s; inside up to 2.0 s: held 1.9 s of the 2 s (20% of 10 s).
    for (let k = 2; k <= 20; k++) t.step(obsWith([0.1], [0], k * 0.1), 0.1);
    expect(t.success).toBe(false);
    t.step(obsWith([0.1], [0], 2.1), 0.1);
    expect(t.success).toBe(true);
    t.step(obsWith([0.25], [0], 2.2), 0.1);
    expect(t.success).toBe(false);
  });
});
