// Review R15 F1, F3, F10: finite but impossible joint readings, a robot outside its limits, arming
// on a bad reading. Virtual time: every tick's time is given to check().
import { describe, expect, it } from 'vitest';
import { createCommand, type Observation, type RobotSpec } from '../../../src/core/robot.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { liveSafetyConfig, type SafetyConfig, type SafetyEvent } from '../../../src/safety/types.ts';

const P = 0.02; // s, 50 Hz
// Odd joint order: the checked joint is the second one; the first is continuous (unbounded, no check).
function spec(lower = -1, upper = 1): RobotSpec {
  return {
    name: 'arm2',
    joints: [
      { name: 'wrist_roll', type: 'continuous', lower: -Infinity, upper: Infinity, velocityLimit: 4, effortLimit: 3, defaultPosition: 0, kp: 20, kd: 1 },
      { name: 'shoulder_pan', type: 'revolute', lower, upper, velocityLimit: 2, effortLimit: 10, defaultPosition: 0, kp: 50, kd: 2 },
    ],
    sensors: { imu: false, contacts: [] },
    controlModes: ['position'],
  };
}
const LIVE: Partial<SafetyConfig> = { ...liveSafetyConfig, softStartS: 0 }; // what live runs set (runLive), the soft start aside

function rig(config: Partial<SafetyConfig> = {}, q0 = 0.2, s = spec()) {
  const sup = new SafetySupervisor(s, P, config);
  const out = createCommand(s, 'position');
  const events: SafetyEvent[] = [];
  sup.events$.subscribe((e) => events.push(e));
  const obs = (k: number, q: number, t = k * P): Observation => ({ time: t, seq: k, jointPosition: Float32Array.of(0, q), jointVelocity: Float32Array.of(0, 0), jointEffort: Float32Array.of(0, 0), extras: {} });
  const armed = sup.arm(obs(0, q0), 0, 0);
  let k = 0;
  /** One tick: the robot reads q, the policy asks `target` for shoulder_pan. */
  const tick = (q: number, target = q0, t?: number) => {
    k++;
    const st = sup.check({ mode: 'position', target: Float64Array.of(0, target) }, obs(k, q, t), k * P, k, out);
    return { st, target: out.target[1], kp: out.kp![1], kd: out.kd![1] };
  };
  return { sup, out, events, tick, armed, obs, seq: () => k };
}

describe('impossible joint readings (R15 F1)', () => {
  it('live: a reading 0.2 rad beyond the limit is a bad observation naming joint, value and limit; hold at the last good pose, safe-stop on the 3rd tick', () => {
    const r = rig(LIVE);
    expect(r.tick(0.2).st).toBe('running');
    const a = r.tick(1.2);
    expect(a.st).toBe('degraded');
    expect(a.target).toBeCloseTo(0.2, 6); // the last good pose, not the glitch nor the limit
    const ev = r.events.find((e) => e.kind === 'bad_observation')!;
    expect(ev.joint).toBe('shoulder_pan');
    expect(ev.value).toBeCloseTo(1.2, 6);
    expect(ev.reason).toMatch(/jointPosition\[1\] \(shoulder_pan\) = 1\.2\d*: outside \[-1, 1\] by 0\.200/);
    expect(r.tick(1.2).st).toBe('degraded');
    const c = r.tick(1.2);
    expect(c.st).toBe('safe-stop');
    expect(c.target).toBeCloseTo(0.2, 6);
    expect(r.sup.stopCause?.kind).toBe('bad_observation');
    // A reading within the margin (0.05 rad past the limit: a joint resting on its stop) is fine.
    const g = rig(LIVE, 1.05);
    expect(g.tick(1.05, 1).st).toBe('running');
    expect(g.events.filter((e) => e.kind === 'bad_observation')).toEqual([]);
  });

  it('live: a 3 rad jump in one tick is a bad observation; motion within 3 x the velocity limit is not', () => {
    const r = rig(LIVE, 0.5, spec(-3.2, 3.2));
    let q = 0.5;
    let sent = 0;
    for (let i = 0; i < 10; i++) {
      const t = r.tick((q += 0.1), q); // 5 rad/s, the bound 3 x 2
      expect(t.st).toBe('running');
      sent = t.target;
    }
    expect(r.events.filter((e) => e.kind === 'bad_observation')).toEqual([]);
    const a = r.tick(q - 3, q);
    expect(a.st).toBe('degraded');
    expect(a.target).toBe(sent); // the hold: the last target sent
    const ev = r.events.find((e) => e.kind === 'bad_observation')!;
    expect(ev.joint).toBe('shoulder_pan');
    expect(ev.reason).toContain('jumped 3.000');
    expect(r.tick(q, q).st).toBe('running'); // the glitch was one tick: the next good reading is taken
  });

  it('the jump is measured over the time between the readings\' stamps', () => {
    const r = rig(LIVE, 0, spec(-3.2, 3.2));
    r.tick(0, 0, P);
    // The next reading is stamped 0.3 s later (a slow bus): 1 rad in 0.3 s is 3.3 rad/s, under 3 x 2.
    expect(r.tick(1, 0, P + 0.3).st).toBe('running');
    expect(r.events.filter((e) => e.kind === 'bad_observation')).toEqual([]);
  });

  it('a reading stamped 70 ms late, then one on time: a joint at its velocity limit is no jump (review R16 F3)', () => {
    const r = rig(LIVE, 0, spec(-3.2, 3.2));
    const q = (sampled: number) => 2 * sampled; // shoulder_pan at its 2 rad/s limit
    r.tick(q(0.02), 0, 0.02);
    expect(r.tick(q(0.04), 0, 0.11).st).toBe('running'); // sampled at 0.04, stamped 70 ms late
    // Sampled 72 ms after the last one but stamped 2 ms after it: 0.144 rad in a floored 20 ms.
    expect(r.tick(q(0.112), 0, 0.114).st).toBe('running');
    expect(r.tick(q(0.132), 0, 0.134).st).toBe('running');
    expect(r.events.filter((e) => e.kind === 'bad_observation')).toEqual([]);
  });

  it('an e-stop right after a one-tick glitch holds the last good pose, not the (clamped) glitch', () => {
    for (const cfg of [{ positionMargin: 1 }, LIVE]) {
      const r = rig(cfg);
      r.tick(0.2);
      r.tick(100); // the glitch: beyond any margin
      r.sup.estop('operator', 3 * P, 2);
      const s = r.tick(0.2);
      expect(s.st).toBe('e-stopped');
      expect(s.target).toBeCloseTo(0.2, 6);
      expect(s.kp).toBe(50);
    }
  });

  it('simulations (no overspeed check): no jump check, no range check (a falling robot past its soft limits is the physics)', () => {
    const r = rig({}, 0, spec(-3.2, 3.2));
    expect(r.sup.config.positionMargin).toBe(Infinity);
    expect(r.sup.config.jumpFactor).toBe(Infinity);
    expect(r.tick(3, 0).st).toBe('running'); // a 3 rad step: a simulation's reading is the truth
    expect(r.tick(4.5, 0).st).toBe('running'); // 1.3 rad past the limit: so is this
    expect(new SafetySupervisor(spec(), P, LIVE).config.positionMargin).toBe(0.1);
  });

  it('an overspeed check set on its own does not turn the impossible-reading bounds on: each is named', () => {
    const c = new SafetySupervisor(spec(), P, { overspeedFactor: 2 }).config;
    expect([c.positionMargin, c.jumpFactor]).toEqual([Infinity, Infinity]);
    const live = new SafetySupervisor(spec(), P, LIVE).config;
    expect([live.overspeedFactor, live.positionMargin, live.jumpFactor]).toEqual([2, 0.1, 3]);
  });

  it('refuses an unusable margin or jump factor', () => {
    expect(() => new SafetySupervisor(spec(), P, { positionMargin: -1 })).toThrow(/safety.positionMargin/);
    expect(() => new SafetySupervisor(spec(), P, { jumpFactor: 0.5 })).toThrow(/safety.jumpFactor/);
    expect(new SafetySupervisor(spec(), P, { ...LIVE, positionMargin: Infinity, jumpFactor: Infinity }).config.jumpFactor).toBe(Infinity);
  });
});

describe('a robot outside its limits (R15 F3)', () => {
  it('the first target steps from the measured pose at the rate limit (1.4 -> 1.36), not to the limit in one tick', () => {
    const r = rig({}, 1.4);
    const seen: number[] = [];
    for (let k = 0; k < 14; k++) seen.push(r.tick(1.4, 0.9).target);
    // max step 2 rad/s x 0.02 s = 0.04 rad per tick, from 1.4 down to the clamped target 0.9
    expect(seen[0]).toBeCloseTo(1.36, 6);
    expect(seen[1]).toBeCloseTo(1.32, 6);
    expect(seen[12]).toBeCloseTo(0.9, 6);
    for (let k = 1; k < seen.length; k++) expect(Math.abs(seen[k] - seen[k - 1])).toBeLessThanOrEqual(0.04 + 1e-9);
    expect(r.sup.counts.rate_limit).toBeGreaterThan(0);
  });

  it('soft start blends from the measured pose', () => {
    const r = rig({ softStartS: 1 }, 1.4);
    expect(r.tick(1.4, 0.9).target).toBeCloseTo(1.39, 6); // 1.4 + 0.02 x (0.9 - 1.4)
  });

  it('an e-stop holds the robot where it is', () => {
    const r = rig({ softStartS: 1 }, 1.4);
    r.tick(1.4, 0.9);
    r.sup.estop('drill', 1.5 * P, 1);
    const s = r.tick(1.4, 0.9);
    expect(s.st).toBe('e-stopped');
    expect(s.target).toBeCloseTo(1.4, 6);
  });
});

describe('arming on a bad joint position (R15 F10)', () => {
  it('the soft start begins from the first good reading, not the default pose', () => {
    const r = rig({ softStartS: 1 }, Number.NaN);
    expect(r.armed).toBe(true);
    let lowest = Infinity;
    for (let k = 0; k < 50; k++) lowest = Math.min(lowest, r.tick(0.8, 0.8).target);
    expect(lowest).toBeCloseTo(0.8, 6);
    expect(r.sup.counts.rate_limit).toBe(0);
  });

  it('while no reading is good: hold without a spring (kp 0, damped), then safe-stop on the 3rd tick', () => {
    const r = rig({ softStartS: 1 }, Number.NaN);
    const a = r.tick(Number.NaN, 0.8);
    expect(a.st).toBe('degraded');
    expect(a.kp).toBe(0); // no pose to hold: not the default pose at full gain
    expect(a.kd).toBeGreaterThan(0);
    r.tick(Number.NaN, 0.8);
    const c = r.tick(Number.NaN, 0.8);
    expect(c.st).toBe('safe-stop');
    expect(c.kp).toBe(0);
    // The stop captures the pose from the first good reading.
    const d = r.tick(0.8, 0.8);
    expect(d.st).toBe('safe-stop');
    expect(d.target).toBeCloseTo(0.8, 6);
    expect(d.kp).toBe(50);
  });

  it('live: arming on a reading beyond the margin waits too', () => {
    const r = rig({ ...LIVE, softStartS: 1 }, 1.3);
    expect(r.events.some((e) => e.kind === 'state_change' && e.reason.includes('soft start waits for a good reading of jointPosition[1] (shoulder_pan'))).toBe(true);
    const a = r.tick(1.3, 0.9);
    expect(a.st).toBe('degraded');
    expect(a.kp).toBe(0);
    expect(r.tick(0.98, 0.9).target).toBeCloseTo(0.98, 6); // first good reading: the soft start begins there
  });
});
