import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMujocoUrdfRobot, readUrdf } from '../../sim/mujoco/createMujocoRobot.ts';
import { defaultGains } from '../../src/cli/defaultGains.ts';
import { writeHeavyArm } from '../helpers/limitStops.ts';

/**
 * Several MuJoCo hard limits active at once on one chain, at the low physics rates `--physics-hz`
 * allows (50, 100 Hz): scaled together so that MuJoCo's limit forces are the ones its implicit step
 * needs (sim/mujoco/MujocoLimitCoupling.ts; docs/mujoco.md, "Joint limits"). Figures:
 * `AXON_PRINT=1 npx vitest run tests/sim/mujocoLimitRates.test.ts`.
 */

const dir = mkdtempSync(join(tmpdir(), 'axon-mujoco-limit-rates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const print = (x: unknown) => process.env.AXON_PRINT && console.log(JSON.stringify(x));

describe('the heavy arm with every joint on a stop, at 50 and 100 Hz physics', () => {
  const file = writeHeavyArm(dir);
  const targets: [string, (j: { lower: number; upper: number }) => number][] = [
    ['exactly at the lower limits (as the supervisor clamps a target)', (j) => j.lower],
    ['0.3 rad past the upper limits', (j) => j.upper + 0.3],
  ];
  for (const hz of [50, 100])
    for (const [label, target] of targets)
      it(`${hz} Hz, targets ${label}: settles on its stops (speed under 1e-6 rad/s and within 1e-3 rad over the last 0.5 s), never more than one step of travel past (its peak speed × the step), efforts within their limits after the first 0.1 s`, async () => {
        // Before: at 50 Hz with targets at the lower limits the arm diverged (1.1e5 rad past, 1.2e8 rad/s, efforts 11-14 ×
        // their limits); with targets past the upper ones it chattered at 50 and 100 Hz (up to 10 rad/s, 0.13 rad past,
        // in its last 0.5 s); at 100 Hz on the lower limits the wrist applied 1.96 × its limit as the elbow's stop engaged.
        const h = 1 / hz;
        const robot = await createMujocoUrdfRobot(file, readUrdf(file), { pd: 'implicit', physicsDt: h });
        try {
          const joints = robot.spec.joints;
          const g = joints.map((j) => defaultGains(j.effortLimit));
          robot.command({ mode: 'position', target: Float64Array.from(joints, target), kp: Float64Array.from(g, (x) => x.kp), kd: Float64Array.from(g, (x) => x.kd) });
          const steps = 3 * hz;
          const late = steps - hz / 2;
          const n = joints.length;
          const worst = new Array<number>(n).fill(0);
          const worstLate = new Array<number>(n).fill(0);
          const peakLate = new Array<number>(n).fill(0);
          const effort = new Array<number>(n).fill(0);
          const peak = new Array<number>(n).fill(0);
          for (let s = 0; s < steps; s++) {
            robot.step(h);
            const o = robot.observe();
            joints.forEach((j, i) => {
              const past = Math.max(j.lower - o.jointPosition[i], o.jointPosition[i] - j.upper, 0);
              worst[i] = Math.max(worst[i], past);
              peak[i] = Math.max(peak[i], Math.abs(o.jointVelocity[i]));
              // The first 0.1 s: at 50 Hz the elbow's second step applies 1.42 × its limit, no stop active (data.nl 0), the
              // same with MuJoCo's default limits and the hard-limit code off: the saturation test's one-step-old forces.
              if (s >= hz / 10) effort[i] = Math.max(effort[i], Math.abs(o.jointEffort[i]) / j.effortLimit);
              if (s >= late) {
                worstLate[i] = Math.max(worstLate[i], past);
                peakLate[i] = Math.max(peakLate[i], Math.abs(o.jointVelocity[i]));
              }
            });
          }
          print({ hz, label, worst, worstLate, peakLate, effort, travel: peak.map((v) => v * h) });
          for (let i = 0; i < n; i++) {
            expect(peakLate[i], joints[i].name).toBeLessThan(1e-6);
            expect(worstLate[i], joints[i].name).toBeLessThan(1e-3);
            // MuJoCo finds a limit only once the joint has crossed it: a joint arriving at speed v goes up to v·h past in
            // the step that crosses it, by where in that step the crossing falls (docs/mujoco.md, "What is not done"). At 50 Hz
            // the shoulder arrives at 31 rad/s: 0.145 rad past without the effort guard, 0.531 with it (its retake of step 2,
            // the elbow at its limit where it had applied 1.42 ×, moves the crossing to the step's start). Diverging, it was 1.1e5.
            expect(worst[i], joints[i].name).toBeLessThanOrEqual(peak[i] * h);
            expect(effort[i], joints[i].name).toBeLessThanOrEqual(1 + 1e-6);
          }
        } finally {
          robot.dispose();
        }
      });
});
