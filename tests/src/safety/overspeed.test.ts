import { describe, expect, it } from 'vitest';
import { AxonError } from '../../../src/core/errors.ts';
import { createCommand, createObservation, type RobotSpec } from '../../../src/core/robot.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import type { SafetyConfig, SafetyEvent } from '../../../src/safety/types.ts';
import { LIVE_OVERSPEED_FACTOR } from '../../../src/session/runLive.ts';

const PERIOD = 0.02;

// An effort-driven shoulder (velocity limit 4 rad/s) and a wheel without a velocity limit.
const spec: RobotSpec = {
  name: 'wrist',
  joints: [
    { name: 'shoulder', type: 'revolute', lower: -3, upper: 3, velocityLimit: 4, effortLimit: 5, defaultPosition: 0, kp: 0, kd: 0 },
    { name: 'wheel', type: 'continuous', lower: -Infinity, upper: Infinity, velocityLimit: Infinity, effortLimit: 5, defaultPosition: 0, kp: 0, kd: 0 },
  ],
  sensors: { imu: false, contacts: [] },
  controlModes: ['effort'],
};

function rig(config: Partial<SafetyConfig>) {
  const sup = new SafetySupervisor(spec, PERIOD, config);
  const obs = createObservation(spec);
  const cmd = createCommand(spec, 'effort');
  const out = createCommand(spec, 'effort');
  cmd.target.fill(1);
  const events: SafetyEvent[] = [];
  sup.events$.subscribe((e) => events.push(e));
  sup.arm(obs, 0, 0);
  const tick = (shoulder: number, wheel = 0) => {
    obs.seq++;
    obs.time += PERIOD;
    obs.jointVelocity[0] = shoulder;
    obs.jointVelocity[1] = wheel;
    return sup.check(cmd, obs, obs.time, obs.seq, out);
  };
  return { sup, events, tick, out };
}

describe('SafetySupervisor: a joint over speed (an effort policy spinning a free joint) is stopped', () => {
  it('safe-stop at the 3rd consecutive tick above 2x the velocity limit, with an overspeed event naming the joint; a short spike is not', () => {
    const r = rig({ overspeedFactor: LIVE_OVERSPEED_FACTOR });
    expect(r.tick(7.9)).toBe('running'); // the bridge's effort-mode shoulder: 7.9 rad/s against 4
    expect(r.tick(3)).toBe('running'); // back under: the count starts again
    expect(r.tick(8.5)).toBe('running');
    expect(r.tick(-8.5)).toBe('running');
    expect(r.tick(8.5)).toBe('safe-stop');
    const e = r.events.find((x) => x.kind === 'overspeed')!;
    expect(e).toMatchObject({ joint: 'shoulder', value: 8.5, state: 'safe-stop' });
    expect(e.reason).toBe('shoulder at 8.500 (limit 4, stop above 2x) for 3 ticks');
    expect(r.sup.counts.overspeed).toBe(1);
    // the stop brakes the zero-gain joint at its effort limit (kd_stop 5 / (0.1 x 4) = 12.5 x 8.5 rad/s, capped at 5 N·m)
    expect(r.out.target[0]).toBe(-5);
    // latched: an operator reset re-arms, and the count starts from zero
    expect(r.tick(0)).toBe('safe-stop');
  });

  it('a joint without a velocity limit is never over speed; off by default (simulations have the state watchdog)', () => {
    const r = rig({ overspeedFactor: 2 });
    for (let k = 0; k < 10; k++) expect(r.tick(0, 1000)).toBe('running');
    const off = rig({});
    for (let k = 0; k < 10; k++) expect(off.tick(100)).toBe('running');
    expect(off.sup.counts.overspeed).toBe(0);
  });

  it('refuses a factor that would stop a joint inside its own limit', () => {
    expect(() => new SafetySupervisor(spec, PERIOD, { overspeedFactor: 1 })).toThrow(AxonError);
    expect(() => new SafetySupervisor(spec, PERIOD, { overspeedFactor: Number.NaN })).toThrow(/safety.overspeedFactor/);
  });
});
