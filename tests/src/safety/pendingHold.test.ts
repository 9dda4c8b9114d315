/**
 * Waiting for an asynchronous policy's first action (SafetySupervisor.holdPending) is a hold that
 * counts no miss (docs/safety.md, "Deadlines"): it adds nothing to the bad-tick window, and the soft
 * start begins with the first answer, not at arm. Review R16 findings 1 and 2: 12 waiting ticks made
 * one NaN command a safe stop ("10 of the last 20 ticks held"), and after 1.2 s of waiting the first
 * velocity action went out at full speed (the 1 s soft start had run out while nothing was sent).
 */
import { describe, expect, it } from 'vitest';
import { createCommand, type Observation, type RobotSpec } from '../../../src/core/robot.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';

const P = 0.02;
const spec: RobotSpec = {
  name: 'arm1',
  joints: [{ name: 'elbow_flex', type: 'revolute', lower: -1.7, upper: 1.7, velocityLimit: 2, effortLimit: 10, defaultPosition: 0, kp: 50, kd: 2 }],
  sensors: { imu: false, contacts: [] },
  controlModes: ['position', 'velocity'],
} as unknown as RobotSpec;
const obs = (k: number): Observation => ({ time: k * P, seq: k, jointPosition: Float32Array.of(0), jointVelocity: Float32Array.of(0), jointEffort: Float32Array.of(0), extras: {} });

function waited(ticks: number, mode: 'position' | 'velocity', o: { badTicksInWindow?: number } = {}) {
  const sup = new SafetySupervisor(spec, P, { softStartS: 1, overspeedFactor: 2, ...o });
  const out = createCommand(spec, mode);
  sup.arm(obs(0), 0, 0);
  let k = 1;
  for (; k <= ticks; k++) {
    sup.holdPending('policy has given no action yet', k * P, k);
    expect(sup.check({ mode, target: Float64Array.of(0) }, obs(k), k * P, k, out)).toBe('degraded');
  }
  return { sup, out, k };
}

describe('waiting for the first action', () => {
  it('adds no bad tick to the window: one NaN command after 12 waiting ticks is a hold, not a safe stop', () => {
    const { sup, out } = waited(12, 'position');
    let k = 13;
    for (; k <= 15; k++) expect(sup.check({ mode: 'position', target: Float64Array.of(0) }, obs(k), k * P, k, out)).toBe('running');
    expect(sup.check({ mode: 'position', target: Float64Array.of(NaN) }, obs(k), k * P, k, out)).toBe('degraded');
  });

  it("the stall's first deadline miss after 10 waiting ticks holds; the third in a row stops", () => {
    const { sup, out } = waited(10, 'position');
    const states: string[] = [];
    for (let k = 11; k <= 13; k++) {
      sup.reportDeadlineMiss('policy stalled', k * P, k, 'policy_deadline');
      states.push(sup.check({ mode: 'position', target: Float64Array.of(0) }, obs(k), k * P, k, out));
    }
    expect(states).toEqual(['degraded', 'degraded', 'safe-stop']);
  });

  it.each([0, 60])('the soft start begins with the first answer after %i waiting ticks (velocity and position)', (ticks) => {
    const v = waited(ticks, 'velocity', { badTicksInWindow: 0 });
    v.sup.check({ mode: 'velocity', target: Float64Array.of(2) }, obs(v.k), v.k * P, v.k, v.out);
    expect(v.out.target[0]).toBeCloseTo(0.04, 6); // 2 rad/s scaled by the soft start's first tick
    const p = waited(ticks, 'position', { badTicksInWindow: 0 });
    const seen: number[] = [];
    for (let j = 0; j < 3; j++, p.k++) {
      p.sup.check({ mode: 'position', target: Float64Array.of(1) }, obs(p.k), p.k * P, p.k, p.out);
      seen.push(p.out.target[0]);
    }
    expect(seen.map((x) => +x.toFixed(4))).toEqual([0.02, 0.04, 0.06]);
  });
});
