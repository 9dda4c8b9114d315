/**
 * The stop of a served vendor robot (`axon bridge --urdf`, built by the CLI's own set-up) is the
 * stop of a shipped one: the deadman safe-stops it and the hold keeps the pose with the spec's
 * gains, and a joint with no position gain (`--kp 0`) is damped to rest with kd_stop =
 * max(kd, effortLimit / (0.1 × velocityLimit)) instead of coasting (hardware/PROTOCOL.md, section 7).
 * The server runs unpaced on virtual time: no wall-clock figure.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeServer } from '../../../hardware/bridge/index.ts';
import { WRIST_LIMITS, WRIST_TREE_JOINTS } from '../../helpers/vendorWrist.ts';
import { waitUntil } from './helpers.ts';
import { serveWrist, wristFrame } from './servedWrist.ts';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

/**
 * Serves the wrist (fixed base) with `kp` for every joint (undefined: the default rule) on virtual
 * time; spins the shoulder, then goes quiet until the deadman stops it. Returns the shoulder's
 * speed on the last running step and its position on the step the stop began.
 */
async function spinThenQuiet(kp: number | undefined): Promise<{ s: BridgeServer; step: (t: number) => void; qStop: number; vRunning: number }> {
  const { s, c, step, now } = await serveWrist(kp !== undefined ? { kp } : {}, open);
  c.bin(wristFrame('effort', 1, [2e-4, 0, 0])); // the shoulder turns about z: no gravity on it
  await waitUntil(() => s.robotState === 'running', 'armed');
  step(0.1);
  let vRunning = Number.NaN;
  while (s.robotState === 'running' && now() < 1) {
    vRunning = s.observation.jointVelocity[0];
    step(s.dt);
  }
  expect(s.robotState).toBe('safe-stop');
  return { s, step, qStop: s.observation.jointPosition[0], vRunning };
}

describe('a served vendor URDF: the deadman stop holds it as it holds a shipped robot', () => {
  it('with --kp 0 the spec has no spring: the stop damps every joint with kd_stop, and the spun shoulder comes to rest where it was', async () => {
    const { s, step, qStop, vRunning } = await spinThenQuiet(0);
    expect(s.robot.spec.joints.map((j) => [j.name, j.kp])).toEqual(WRIST_TREE_JOINTS.map((n) => [n, 0]));
    // It was moving faster than its velocity limit (an effort command, no speed cap) when the deadman fired.
    expect(vRunning).toBeGreaterThan(WRIST_LIMITS.shoulder_joint.velocity);
    expect(s.lastSent.mode).toBe('position');
    expect(Array.from(s.lastSent.kp!)).toEqual([0, 0, 0]);
    WRIST_TREE_JOINTS.forEach((name, i) => {
      const { effort: e, velocity: v } = WRIST_LIMITS[name];
      expect(s.safety.stopDamping(i)).toBeCloseTo(e / (0.1 * v), 9);
      expect(s.lastSent.kd![i]).toBeCloseTo(e / (0.1 * v), 5);
    });
    step(0.3);
    expect(Math.abs(s.observation.jointVelocity[0])).toBeLessThan(0.01 * WRIST_LIMITS.shoulder_joint.velocity);
    expect(Math.abs(s.observation.jointPosition[0] - qStop)).toBeLessThan(0.01);
    expect(s.robotState).toBe('safe-stop'); // latched
  });

  it('with its position gains (the default rule) the stop holds the pose the stop began from, with the spec\'s gains', async () => {
    const { s, step, vRunning } = await spinThenQuiet(undefined);
    expect(vRunning).toBeGreaterThan(WRIST_LIMITS.shoulder_joint.velocity);
    step(0.3);
    expect(Array.from(s.lastSent.kp!)).toEqual(s.robot.spec.joints.map((j) => j.kp));
    expect(Array.from(s.lastSent.kd!)).toEqual(s.robot.spec.joints.map((j) => j.kd));
    expect(s.lastSent.kp![0]).toBeGreaterThan(0);
    expect(Math.abs(s.observation.jointVelocity[0])).toBeLessThan(0.01 * WRIST_LIMITS.shoulder_joint.velocity);
    expect(Math.abs(s.observation.jointPosition[0] - s.lastSent.target[0])).toBeLessThan(1e-3);
  });
});
