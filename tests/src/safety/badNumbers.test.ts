import { describe, expect, it } from 'vitest';
import { AxonError } from '../../../src/core/errors.ts';
import { createCommand, createObservation, type JointSpec, type RobotSpec } from '../../../src/core/robot.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import type { SafetyEvent } from '../../../src/safety/types.ts';

const PERIOD = 0.01;

function makeSpec(extra: Partial<JointSpec> = {}, imu = true): RobotSpec {
  return {
    name: 'testbot',
    joints: [{ name: 'hip', type: 'revolute', lower: -1, upper: 1, velocityLimit: 2, effortLimit: 5, defaultPosition: 0, kp: 10, kd: 1, ...extra }],
    sensors: { imu, contacts: [] },
    controlModes: ['position', 'velocity', 'effort'],
  };
}

function rig(spec = makeSpec()) {
  const sup = new SafetySupervisor(spec, PERIOD, { maxStepFraction: 1e6 });
  const obs = createObservation(spec);
  const cmd = createCommand(spec, 'position');
  const out = createCommand(spec, 'position');
  cmd.kp![0] = 10;
  cmd.kd![0] = 1;
  const events: SafetyEvent[] = [];
  sup.events$.subscribe((e) => events.push(e));
  sup.arm(obs, 0, 0);
  let t = 0;
  const tick = () => {
    t += PERIOD;
    obs.seq++;
    obs.time = t;
    return sup.check(cmd, obs, t, obs.seq, out);
  };
  return { sup, obs, cmd, out, events, tick };
}

describe('SafetySupervisor: bad observations', () => {
  it.each([
    ['imu.orientation', (o: ReturnType<typeof createObservation>) => (o.imu!.orientation[3] = Number.NaN)],
    ['imu.angularVelocity', (o: ReturnType<typeof createObservation>) => (o.imu!.angularVelocity[1] = Number.POSITIVE_INFINITY)],
    ['imu.linearAcceleration', (o: ReturnType<typeof createObservation>) => (o.imu!.linearAcceleration[2] = -5e10)],
    ['jointPosition', (o: ReturnType<typeof createObservation>) => (o.jointPosition[0] = Number.NaN)],
  ])('%s: an event naming the field, hold, safe-stop on the 3rd consecutive tick; nothing bad sent', (field, spoil) => {
    const r = rig();
    r.obs.jointPosition[0] = 0.2;
    expect(r.tick()).toBe('running');
    spoil(r.obs);
    expect(r.tick()).toBe('degraded');
    expect(r.events.find((e) => e.kind === 'bad_observation')!.reason).toContain(`observation ${field}[`);
    expect(r.tick()).toBe('degraded');
    expect(r.tick()).toBe('safe-stop');
    expect(Number.isFinite(r.out.target[0])).toBe(true);
    expect(r.out.target[0]).toBeCloseTo(0.2, 6); // the last good pose
    expect(r.sup.counts.bad_observation).toBe(3);
  });

  it('one bad tick between good ones holds that tick only', () => {
    const r = rig();
    r.tick();
    r.obs.jointVelocity[0] = Number.NaN;
    expect(r.tick()).toBe('degraded');
    r.obs.jointVelocity[0] = 0;
    expect(r.tick()).toBe('running');
  });
});

describe('SafetySupervisor: gains bounded by the spec', () => {
  it('clamps commanded kp/kd to [0, kpMax/kdMax] with a gain_clamp event', () => {
    const r = rig(makeSpec({ kpMax: 50, kdMax: 3 }));
    r.cmd.kp![0] = 400;
    r.cmd.kd![0] = -2;
    r.tick();
    expect(r.out.kp![0]).toBe(50);
    expect(r.out.kd![0]).toBe(0);
    const g = r.events.filter((e) => e.kind === 'gain_clamp');
    expect(g.map((e) => e.value)).toEqual([400, -2]);
    expect(g[0]).toMatchObject({ joint: 'hip' });
  });

  it('bounds the spec defaults and the stop damping by the maxima too', () => {
    const r = rig(makeSpec({ kp: 80, kd: 0, kpMax: 30, kdMax: 4 }));
    r.sup.safeStop('test', 0.01, 1);
    r.tick();
    expect(r.out.kp![0]).toBe(30);
    const slider = new SafetySupervisor(makeSpec({ kp: 0, kd: 0, kdMax: 4 }), PERIOD);
    expect(slider.stopDamping(0)).toBe(4); // 5 N·m / (0.1 × 2 rad/s) = 25, capped at 4
  });

  it('refuses a negative or NaN maximum at configure time', () => {
    expect(() => new SafetySupervisor(makeSpec({ kpMax: -1 }), PERIOD)).toThrow(AxonError);
    expect(() => new SafetySupervisor(makeSpec({ kdMax: Number.NaN }), PERIOD)).toThrow(/kdMax/);
  });
});
