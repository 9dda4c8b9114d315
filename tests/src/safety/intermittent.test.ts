// Review R15 F5: bad ticks interleaved with clean ones (a policy emitting NaN or 1e30 two ticks
// in three) safe-stop within the window; a tick now and then is tolerated. Virtual time.
import { describe, expect, it } from 'vitest';
import { createCommand, type Observation, type RobotSpec } from '../../../src/core/robot.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import type { SafetyConfig } from '../../../src/safety/types.ts';

const P = 0.02;
const spec: RobotSpec = {
  name: 'arm1',
  joints: [{ name: 'elbow_flex', type: 'revolute', lower: -1.7, upper: 1.7, velocityLimit: 2, effortLimit: 10, defaultPosition: 0, kp: 50, kd: 2 }],
  sensors: { imu: false, contacts: [] },
  controlModes: ['position'],
};

type Bad = 'nan action' | 'huge action' | 'nan observation' | 'deadline miss' | 'stale observation';

/** Runs `ticks` ticks, `bad(k)` saying which are spoilt; returns the tick of the safe-stop (or -1) and the supervisor. */
function run(kind: Bad, bad: (k: number) => boolean, ticks = 3000, config: Partial<SafetyConfig> = {}) {
  const sup = new SafetySupervisor(spec, P, { staleAfterS: 0.01, ...config });
  const out = createCommand(spec, 'position');
  let seq = 0;
  const obs = (k: number, q: number): Observation => ({ time: k * P, seq, jointPosition: Float32Array.of(q), jointVelocity: Float32Array.of(0), jointEffort: Float32Array.of(0), extras: {} });
  sup.arm(obs(0, 0), 0, 0);
  for (let k = 1; k <= ticks; k++) {
    const b = bad(k);
    const q = 0.3 * Math.sin(k * P);
    if (!(b && kind === 'stale observation')) seq++;
    if (b && kind === 'deadline miss') sup.reportDeadlineMiss('late', k * P, k);
    const a = b && kind === 'nan action' ? Number.NaN : b && kind === 'huge action' ? 1e30 : q;
    const st = sup.check({ mode: 'position', target: Float64Array.of(a) }, obs(k, b && kind === 'nan observation' ? Number.NaN : q), k * P, k, out);
    expect(Number.isFinite(out.target[0])).toBe(true);
    if (st === 'safe-stop') return { stopAt: k, sup };
  }
  return { stopAt: -1, sup };
}

describe('intermittent bad ticks safe-stop (R15 F5)', () => {
  const kinds: Bad[] = ['nan action', 'huge action', 'nan observation', 'deadline miss', 'stale observation'];

  it.each(kinds)('%s on 2 ticks of every 3: safe-stop within 20 ticks (0.4 s at 50 Hz), named by the window', (kind) => {
    const { stopAt, sup } = run(kind, (k) => k % 3 !== 0);
    expect(stopAt).toBeGreaterThan(0);
    expect(stopAt).toBeLessThanOrEqual(20);
    expect(sup.ownStop?.reason).toMatch(/10 of the last 20 ticks held/);
  });

  it.each(kinds)('%s every other tick: safe-stop within 20 ticks', (kind) => {
    const { stopAt } = run(kind, (k) => k % 2 === 0);
    expect(stopAt).toBeGreaterThan(0);
    expect(stopAt).toBeLessThanOrEqual(20);
  });

  it('one bad tick in three (a flaky bus) is tolerated for 60 s', () => {
    expect(run('nan action', (k) => k % 3 === 0).stopAt).toBe(-1);
    expect(run('stale observation', (k) => k % 3 === 0).stopAt).toBe(-1);
  });

  it('bad ticks spread out of the window do not add up: 9 of every 20 runs on', () => {
    expect(run('nan action', (k) => k % 20 < 9 && k % 2 === 0).stopAt).toBe(-1);
  });

  it('consecutive bad ticks still stop on the 3rd; a re-arm starts a fresh window', () => {
    expect(run('nan action', (k) => k >= 5).stopAt).toBe(7);
    const { sup, stopAt } = run('nan action', (k) => k % 3 !== 0);
    const out = createCommand(spec, 'position');
    const obs = (k: number): Observation => ({ time: k * P, seq: k, jointPosition: Float32Array.of(0), jointVelocity: Float32Array.of(0), jointEffort: Float32Array.of(0), extras: {} });
    sup.reset('operator', obs(stopAt + 1), stopAt + 1, (stopAt + 1) * P);
    // One bad tick right after the re-arm: the window that stopped is forgotten.
    expect(sup.check({ mode: 'position', target: Float64Array.of(Number.NaN) }, obs(stopAt + 2), (stopAt + 2) * P, stopAt + 2, out)).toBe('degraded');
    expect(sup.check({ mode: 'position', target: Float64Array.of(0) }, obs(stopAt + 3), (stopAt + 3) * P, stopAt + 3, out)).toBe('running');
  });

  it('badTicksInWindow 0 turns the window off; a window shorter than its count is refused', () => {
    expect(run('nan action', (k) => k % 3 !== 0, 3000, { badTicksInWindow: 0 }).stopAt).toBe(-1);
    expect(() => new SafetySupervisor(spec, P, { badTicksWindow: 5, badTicksInWindow: 6 })).toThrow(/safety.badTicksWindow/);
    expect(() => new SafetySupervisor(spec, P, { badTicksWindow: 2.5 })).toThrow(/safety.badTicksWindow/);
  });
});
