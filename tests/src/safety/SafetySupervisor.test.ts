import { describe, expect, it } from 'vitest';
import { AxonError } from '../../../src/core/errors.ts';
import { createCommand, createObservation } from '../../../src/core/robot.ts';
import type { ControlMode, JointCommand, Observation, RobotSpec } from '../../../src/core/robot.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import type { SafetyConfig, SafetyEvent } from '../../../src/safety/index.ts';

const PERIOD = 0.01; // s

function makeSpec(modes: readonly ControlMode[] = ['position', 'velocity', 'effort']): RobotSpec {
  return {
    name: 'testbot',
    joints: [
      { name: 'hip', type: 'revolute', lower: -1, upper: 1, velocityLimit: 2, effortLimit: 5, defaultPosition: 0, kp: 10, kd: 1 },
      { name: 'wheel', type: 'continuous', lower: -Infinity, upper: Infinity, velocityLimit: 4, effortLimit: 3, defaultPosition: 0, kp: 0, kd: 0.5 },
      { name: 'slider', type: 'prismatic', lower: 0, upper: 0.5, velocityLimit: 1, effortLimit: 0, defaultPosition: 0, kp: 0, kd: 0 },
    ],
    sensors: { imu: false, contacts: [] },
    controlModes: modes,
  };
}

interface Rig {
  spec: RobotSpec;
  sup: SafetySupervisor;
  obs: Observation;
  cmd: JointCommand;
  out: JointCommand;
  events: SafetyEvent[];
  t: number;
  seq: number;
  /** Advances time and the observation seq by one tick and runs check(). */
  tick(fresh?: boolean): ReturnType<SafetySupervisor['check']>;
}

function rig(config: Partial<SafetyConfig> = {}, modes?: readonly ControlMode[], pose: number[] = [0.1, 0.2, 0.3]): Rig {
  const spec = makeSpec(modes);
  const sup = new SafetySupervisor(spec, PERIOD, config);
  const obs = createObservation(spec);
  obs.jointPosition.set(pose);
  const events: SafetyEvent[] = [];
  sup.events$.subscribe((e) => events.push(e));
  const r: Rig = {
    spec,
    sup,
    obs,
    cmd: createCommand(spec, 'position'),
    out: createCommand(spec, 'position'),
    events,
    t: 0,
    seq: 0,
    tick(fresh = true) {
      r.t += PERIOD;
      r.seq++;
      if (fresh) {
        obs.seq++;
        obs.time = r.t;
      }
      return sup.check(r.cmd, obs, r.t, r.seq, r.out);
    },
  };
  // The proposed command starts at the observed pose with spec gains.
  r.cmd.target.set(pose);
  for (let i = 0; i < spec.joints.length; i++) {
    r.cmd.kp![i] = spec.joints[i].kp;
    r.cmd.kd![i] = spec.joints[i].kd;
  }
  sup.arm(obs, 0);
  return r;
}

const arr = (a: Float64Array | undefined) => Array.from(a ?? []);

describe('SafetySupervisor: arming and states', () => {
  it('starts unarmed in safe-stop and arm() makes it running with a state_change event', () => {
    const spec = makeSpec();
    const sup = new SafetySupervisor(spec, PERIOD);
    expect(sup.state).toBe('safe-stop');
    expect(sup.armed).toBe(false);
    const obs = createObservation(spec);
    expect(sup.arm(obs, 0)).toBe(true);
    expect(sup.state).toBe('running');
    expect(sup.counts.state_change).toBe(1);
    expect(sup.tickEvents[0].reason).toBe('safe-stop -> running: armed');
  });

  it('rejects an unusable period or config at construction with a typed error', () => {
    expect(() => new SafetySupervisor(makeSpec(), 0)).toThrow(AxonError);
    expect(() => new SafetySupervisor(makeSpec(), Number.NaN)).toThrow(/period/);
    expect(() => new SafetySupervisor(makeSpec(), PERIOD, { maxStepFraction: Number.NaN })).toThrow(/maxStepFraction/);
    try {
      new SafetySupervisor(makeSpec(), PERIOD, { staleAfterS: -1 });
    } catch (e) {
      expect((e as AxonError).code).toBe('SAFETY_CONFIG');
    }
  });

  it('passes a clean command through unchanged with no events', () => {
    const r = rig();
    r.cmd.target.set([0.11, 0.21, 0.3]);
    expect(r.tick()).toBe('running');
    expect(arr(r.out.target)).toEqual([0.11, 0.21, 0.3]);
    expect(arr(r.out.kp)).toEqual([10, 0, 0]);
    expect(arr(r.out.kd)).toEqual([1, 0.5, 0]); // the passive slider gets no gains
    // arm()'s event is reported with the first tick after it; a clean tick then has none
    expect(r.sup.tickEvents.map((e) => e.reason)).toEqual(['safe-stop -> running: armed']);
    r.tick();
    expect(r.sup.tickEvents).toEqual([]);
  });
});

describe('SafetySupervisor: bad numbers', () => {
  it('rejects the whole vector on a NaN target and holds the observed pose', () => {
    const r = rig();
    r.cmd.target.set([0.5, Number.NaN, 0.3]);
    expect(r.tick()).toBe('degraded');
    expect(r.out.mode).toBe('position');
    expect(arr(r.out.target)).toEqual([0.1, 0.2, 0.3].map((x) => Math.fround(x))); // nothing of the bad vector
    expect(arr(r.out.kp)).toEqual([10, 0, 0]);
    expect(arr(r.out.kd)).toEqual([1, 7.5, 0]); // wheel kp 0: stop damping 3 N·m / (0.1 × 4 rad/s)
    expect(arr(r.out.feedforward)).toEqual([0, 0, 0]);
    const ev = r.sup.tickEvents.find((e) => e.kind === 'non_finite')!;
    expect(ev.joint).toBe('wheel');
    expect(ev.value).toBeNaN();
    expect(ev.state).toBe('degraded');
    expect(r.sup.tickEvents.some((e) => e.kind === 'state_change' && e.reason === 'running -> degraded: bad command rejected')).toBe(true);
  });

  it('holds the last safe command once there was one', () => {
    const r = rig();
    r.cmd.target.set([0.11, 0.21, 0.31]);
    r.tick();
    r.cmd.target.set([0.12, 0.22, Number.POSITIVE_INFINITY]);
    r.tick();
    expect(r.sup.state).toBe('degraded');
    expect(arr(r.out.target)).toEqual([0.11, 0.21, 0.31]);
  });

  it.each([
    ['kp', 0, Number.POSITIVE_INFINITY],
    ['kd', 1, Number.NEGATIVE_INFINITY],
    ['feedforward', 0, 1e11],
    ['feedforward', 1, -2e10],
    ['target', 0, 1.5e10],
  ] as const)('rejects %s[%i] = %d', (field, i, value) => {
    const r = rig();
    r.cmd[field]![i] = value;
    expect(r.tick()).toBe('degraded');
    const ev = r.sup.tickEvents.find((e) => e.kind === 'non_finite')!;
    expect(ev.joint).toBe(r.spec.joints[i].name);
    expect(ev.value).toBe(value);
    expect(ev.reason).toContain(field);
  });

  it('escalates to safe-stop after nonFiniteTicksToSafeStop consecutive bad ticks', () => {
    const r = rig({ nonFiniteTicksToSafeStop: 3 });
    r.cmd.target[0] = Number.NaN;
    expect(r.tick()).toBe('degraded');
    expect(r.tick()).toBe('degraded');
    expect(r.tick()).toBe('safe-stop');
    expect(r.sup.counts.non_finite).toBe(3);
    expect(r.events.filter((e) => e.kind === 'state_change').map((e) => e.reason)).toEqual([
      'safe-stop -> running: armed',
      'running -> degraded: bad command rejected',
      'degraded -> safe-stop: bad command for 3 consecutive ticks',
    ]);
  });

  it('a clean tick between bad ones resets the streak and returns to running', () => {
    const r = rig({ nonFiniteTicksToSafeStop: 2 });
    r.cmd.target[0] = Number.NaN;
    expect(r.tick()).toBe('degraded');
    r.cmd.target[0] = 0.1;
    expect(r.tick()).toBe('running');
    expect(r.sup.tickEvents.map((e) => e.reason)).toEqual(['degraded -> running: clean tick']);
    r.cmd.target[0] = Number.NaN;
    expect(r.tick()).toBe('degraded');
  });

  it('rejects a mode the robot does not support', () => {
    const r = rig({}, ['position']);
    r.cmd.mode = 'effort';
    expect(r.tick()).toBe('degraded');
    expect(r.out.mode).toBe('position');
    expect(r.sup.counts.non_finite).toBe(1);
  });

  it('without position mode holds by damping: effort = clamp(-kd * velocity)', () => {
    const r = rig({}, ['effort']);
    r.cmd.mode = 'effort';
    r.cmd.target.fill(0);
    r.obs.jointVelocity.set([2, -100, 5]);
    r.cmd.target[2] = Number.NaN;
    expect(r.tick()).toBe('degraded');
    expect(r.out.mode).toBe('effort');
    // hip: -1*2 = -2; wheel: -0.5*-100 = 50 -> clamped to 3; slider passive -> 0
    expect(arr(r.out.target)).toEqual([-2, 3, 0]);
  });
});

describe('SafetySupervisor: limits', () => {
  it('clamps position targets to [lower, upper]', () => {
    const r = rig({ maxStepFraction: 1e6 });
    r.cmd.target.set([3, 1e3, -0.2]);
    r.tick();
    expect(arr(r.out.target)).toEqual([1, 1e3, 0]); // the continuous wheel has no position limits
    const clamps = r.sup.tickEvents.filter((e) => e.kind === 'position_clamp');
    expect(clamps.map((e) => [e.joint, e.value])).toEqual([
      ['hip', 3],
      ['slider', -0.2],
    ]);
  });

  it('holds a target that float32 rounded just past the limit at the limit without a clamp event', () => {
    // Go2's calf: upper -0.83776; the default pose at that limit reaches the supervisor as float32 -0.83775997...
    const spec = makeSpec();
    const joints = spec.joints.map((j, i) => (i === 0 ? { ...j, lower: -2.7227, upper: -0.83776, defaultPosition: -0.83776 } : j));
    const sup = new SafetySupervisor({ ...spec, joints }, PERIOD, { maxStepFraction: 1e6 });
    const obs = createObservation(spec);
    obs.jointPosition.set([-0.9, 0.2, 0.3]);
    sup.arm(obs, 0);
    const cmd = createCommand(spec, 'position');
    const out = createCommand(spec, 'position');
    cmd.target.set([Math.fround(-0.83776), 0.2, 0.3]);
    expect(cmd.target[0]).toBeGreaterThan(-0.83776);
    obs.seq++;
    sup.check(cmd, obs, PERIOD, 1, out);
    expect(out.target[0]).toBe(-0.83776);
    expect(sup.tickEvents.filter((e) => e.kind === 'position_clamp')).toEqual([]);
    cmd.target[0] = -0.8377; // 6e-6 beyond: a real clamp
    obs.seq++;
    sup.check(cmd, obs, 2 * PERIOD, 2, out);
    expect(out.target[0]).toBe(-0.83776);
    expect(sup.tickEvents.filter((e) => e.kind === 'position_clamp').map((e) => e.value)).toEqual([-0.8377]);
  });

  it('a joint without effort and speed limits (unlimited) is damped in the stop with its own kd, not left undamped', () => {
    const spec = makeSpec();
    const joints = spec.joints.map((j, i) => (i === 1 ? { ...j, effortLimit: Infinity, velocityLimit: Infinity, kp: 0, kd: 0.5 } : j));
    const sup = new SafetySupervisor({ ...spec, joints }, PERIOD);
    expect(sup.stopDamping(1)).toBe(0.5); // was Inf/Inf = NaN, sent as kd 0
  });

  it('clamps velocity targets to ±velocityLimit', () => {
    const r = rig();
    r.cmd.mode = 'velocity';
    r.cmd.target.set([-5, 1, 2]);
    r.tick();
    expect(r.out.mode).toBe('velocity');
    expect(arr(r.out.target)).toEqual([-2, 1, 1]);
    expect(r.sup.counts.velocity_clamp).toBe(2);
  });

  it('clamps effort targets and feedforward to ±effortLimit; a passive joint gets 0 effort', () => {
    const r = rig();
    r.cmd.mode = 'effort';
    r.cmd.target.set([7, -3, 0]);
    r.tick();
    expect(arr(r.out.target)).toEqual([5, -3, 0]);
    expect(r.sup.counts.effort_clamp).toBe(1); // passive slider asked for 0: no event

    r.cmd.target.set([1, 1, 0.5]);
    r.tick();
    expect(arr(r.out.target)).toEqual([1, 1, 0]);
    const ev = r.sup.tickEvents.find((e) => e.kind === 'effort_clamp')!;
    expect([ev.joint, ev.value]).toEqual(['slider', 0.5]);

    r.cmd.mode = 'position';
    r.cmd.target.set([0.1, 0.2, 0.3]);
    r.cmd.feedforward!.set([-9, 2, 0.1]);
    r.tick();
    expect(arr(r.out.feedforward)).toEqual([-5, 2, 0]);
    expect(r.sup.tickEvents.filter((e) => e.kind === 'effort_clamp').map((e) => e.joint)).toEqual(['hip', 'slider']);
    // position mode on a passive joint: no gains, so no effort
    expect(r.out.kp![2]).toBe(0);
    expect(r.out.kd![2]).toBe(0);
  });

  it('rate-limits position steps; the first tick after arm starts from the observed pose', () => {
    const r = rig({ maxStepFraction: 0.5 });
    // max step per tick = velocityLimit * 0.01 * 0.5: hip 0.01, wheel 0.02, slider 0.005
    r.cmd.target.set([0.9, 0.2, 0.3]);
    r.tick();
    expect(r.out.target[0]).toBeCloseTo(Math.fround(0.1) + 0.01, 12);
    expect(r.out.target[1]).toBe(r.cmd.target[1]);
    const ev = r.sup.tickEvents.find((e) => e.kind === 'rate_limit')!;
    expect(ev.joint).toBe('hip');
    r.tick();
    expect(r.out.target[0]).toBeCloseTo(Math.fround(0.1) + 0.02, 12); // from the previous sent target
    r.cmd.target[0] = -1;
    r.tick();
    expect(r.out.target[0]).toBeCloseTo(Math.fround(0.1) + 0.01, 12);
    expect(r.sup.counts.rate_limit).toBe(3);
  });

  it('soft start blends from the arm pose, one soft_start event per arm', () => {
    const r = rig({ softStartS: 0.1, maxStepFraction: 1e6 }, undefined, [0, 0, 0]);
    r.cmd.target.set([0.5, 1, 0.4]);
    r.tick(); // t = 0.01
    expect(arr(r.out.target).map((x) => +x.toFixed(9))).toEqual([0.05, 0.1, 0.04]);
    for (let k = 0; k < 4; k++) r.tick(); // t = 0.05
    expect(arr(r.out.target).map((x) => +x.toFixed(9))).toEqual([0.25, 0.5, 0.2]);
    for (let k = 0; k < 10; k++) r.tick();
    expect(arr(r.out.target)).toEqual([0.5, 1, 0.4]);
    expect(r.sup.counts.soft_start).toBe(1);
    // clamped target is what is blended toward
    r.obs.time = r.t;
    r.sup.arm(r.obs, r.seq);
    r.cmd.target.set([4, 1, 0.4]);
    r.obs.jointPosition.set([0, 1, 0.4]);
    r.sup.arm(r.obs, r.seq);
    r.tick();
    expect(r.out.target[0]).toBeCloseTo(0.1, 9); // 0 + 0.1 * (1 - 0)
    expect(r.sup.counts.soft_start).toBe(2);
  });
});

describe('SafetySupervisor: stale observation', () => {
  it('holds and degrades past staleAfterS, then safe-stops at the staleTicksToSafeStop-th stale tick', () => {
    const r = rig({ staleAfterS: 0.05, staleTicksToSafeStop: 3 });
    r.cmd.target.set([0.11, 0.2, 0.3]);
    r.tick(); // fresh, seq changes at t=0.01
    r.cmd.target.set([0.12, 0.2, 0.3]);
    for (let k = 0; k < 5; k++) expect(r.tick(false)).toBe('running'); // t = 0.06: age 0.05, not yet stale
    expect(r.tick(false)).toBe('degraded'); // age 0.06
    expect(r.sup.tickEvents[0].kind).toBe('stale_observation');
    expect(r.out.target[0]).toBe(0.12); // last safe command held
    expect(r.tick(false)).toBe('degraded');
    expect(r.tick(false)).toBe('safe-stop');
    expect(r.sup.counts.stale_observation).toBe(3);
    // a fresh observation does not leave safe-stop
    expect(r.tick(true)).toBe('safe-stop');
  });

  it('a fresh observation while degraded by staleness returns to running', () => {
    const r = rig({ staleAfterS: 0.015 });
    r.tick();
    r.tick(false);
    expect(r.tick(false)).toBe('degraded');
    expect(r.tick(true)).toBe('running');
  });
});

describe('SafetySupervisor: the four stop paths count alike (docs/safety.md)', () => {
  // Each path holds (degraded) on its first N - 1 consecutive bad ticks and safe-stops at the N-th,
  // N = its ...TicksToSafeStop / deadlineMissesToSafeStop; the stop is the supervisor's own (ownStop).
  const N = 3;
  const paths: { name: string; kind: string; bad: (r: Rig) => void }[] = [
    { name: 'stale observation', kind: 'stale_observation', bad: () => {} }, // the observation's seq does not advance (tick(false)) past staleAfterS
    { name: 'bad observation', kind: 'bad_observation', bad: (r) => (r.obs.jointPosition[0] = Number.NaN) },
    { name: 'deadline miss', kind: 'policy_deadline', bad: (r) => r.sup.reportDeadlineMiss('late (test)', r.t + PERIOD, r.seq + 1) },
    { name: 'bad command', kind: 'non_finite', bad: (r) => (r.cmd.target[0] = Number.NaN) },
  ];
  for (const p of paths) {
    it(`${p.name}: degraded for ${N - 1} ticks, safe-stop on tick ${N}`, () => {
      const r = rig({ staleAfterS: PERIOD / 2, staleTicksToSafeStop: N, badObservationTicksToSafeStop: N, deadlineMissesToSafeStop: N, nonFiniteTicksToSafeStop: N });
      r.cmd.target.set([0.1, 0.2, 0.3]);
      r.sup.arm(r.obs, r.seq, r.t);
      const fresh = p.kind !== 'stale_observation';
      const states: string[] = [];
      for (let k = 0; k < N; k++) {
        p.bad(r);
        states.push(r.tick(fresh));
      }
      expect(states).toEqual([...Array<string>(N - 1).fill('degraded'), 'safe-stop']);
      expect(r.sup.ownStop).toMatchObject({ kind: p.kind, requested: false });
    });
  }
});

describe('SafetySupervisor: safe-stop and e-stop', () => {
  it('safe-stop holds the pose observed when it was entered, with spec gains, until reset()', () => {
    const r = rig({ nonFiniteTicksToSafeStop: 1 });
    r.obs.jointPosition.set([0.4, 0.5, 0.2]);
    r.cmd.target[0] = Number.NaN;
    expect(r.tick()).toBe('safe-stop');
    const pose = [0.4, 0.5, 0.2].map((x) => Math.fround(x));
    expect(arr(r.out.target)).toEqual(pose);
    expect(arr(r.out.kp)).toEqual([10, 0, 0]); // wheel kp 0: damping only
    expect(arr(r.out.kd)).toEqual([1, 7.5, 0]); // effortLimit / (0.1 × velocityLimit), above the spec's 0.5
    r.obs.jointPosition.set([0.9, 0.9, 0.1]);
    r.cmd.target.set([0.1, 0.1, 0.1]);
    for (let k = 0; k < 20; k++) expect(r.tick()).toBe('safe-stop');
    expect(arr(r.out.target)).toEqual(pose);
    expect(r.sup.arm(r.obs, r.seq)).toBe(false); // arm cannot leave a fault stop
    expect(r.sup.state).toBe('safe-stop');
    r.sup.reset('operator cleared', r.obs, r.seq);
    expect(r.sup.state).toBe('running');
    expect(r.events.slice(-2).map((e) => [e.kind, e.reason])).toEqual([
      ['reset', 'operator cleared'],
      ['state_change', 'safe-stop -> running: reset: operator cleared'],
    ]);
    r.tick();
    expect(r.out.target[0]).toBeCloseTo(Math.fround(0.9) - 0.02, 6); // re-armed from the present pose, rate limited
  });

  it('safe-stop without position mode damps: effort = clamp(-kd * velocity)', () => {
    const r = rig({ nonFiniteTicksToSafeStop: 1 }, ['velocity', 'effort']);
    r.cmd.mode = 'velocity';
    r.cmd.target[1] = Number.NaN;
    r.obs.jointVelocity.set([10, 1, 1]);
    expect(r.tick()).toBe('safe-stop');
    expect(r.out.mode).toBe('effort');
    expect(arr(r.out.target)).toEqual([-5, -0.5, 0]);
    r.obs.jointVelocity.set([0.5, Number.NaN, 1]);
    r.tick();
    expect(arr(r.out.target)).toEqual([-0.5, 0, 0]);
  });

  it('e-stop is latched: only reset() leaves it', () => {
    const r = rig();
    r.obs.jointPosition.set([0.25, -0.5, 0.125]);
    r.tick();
    r.sup.estop('operator button', r.t, r.seq);
    expect(r.sup.state).toBe('e-stopped');
    expect(r.events.slice(-2).map((e) => [e.kind, e.reason])).toEqual([
      ['estop', 'operator button'],
      ['state_change', 'running -> e-stopped: operator button'],
    ]);
    r.cmd.target.set([0.5, 0.5, 0.5]);
    r.obs.jointPosition.set([0.3, 0.3, 0.3]);
    for (let k = 0; k < 10; k++) expect(r.tick()).toBe('e-stopped');
    expect(arr(r.out.target)).toEqual([0.25, -0.5, 0.125]); // the pose observed at the e-stop
    expect(r.sup.arm(r.obs, r.seq)).toBe(false);
    r.sup.reportDeadlineMiss('late', r.t, r.seq);
    expect(r.sup.state).toBe('e-stopped');
    r.sup.reset('cleared', r.obs, r.seq);
    expect(r.sup.state).toBe('running');
  });

  it('e-stop from safe-stop keeps holding the safe-stop pose', () => {
    const r = rig({ nonFiniteTicksToSafeStop: 1 });
    r.cmd.target[0] = Number.NaN;
    r.tick();
    const held = arr(r.out.target);
    r.obs.jointPosition.set([0.7, 0.7, 0.4]);
    r.sup.estop('watchdog', r.t, r.seq);
    expect(r.sup.state).toBe('e-stopped');
    r.tick();
    expect(arr(r.out.target)).toEqual(held);
  });

  it('e-stop before any arm or observation is captured on the first check', () => {
    const spec = makeSpec();
    const sup = new SafetySupervisor(spec, PERIOD);
    sup.estop('boot', 0, 0);
    const obs = createObservation(spec);
    obs.jointPosition.set([0.3, 0.3, 0.3]);
    const out = createCommand(spec, 'position');
    expect(sup.check(createCommand(spec, 'position'), obs, 0, 1, out)).toBe('e-stopped');
    expect(arr(out.target)).toEqual([0.3, 0.3, 0.3].map((x) => Math.fround(x)));
  });
});

describe('SafetySupervisor: deadline misses', () => {
  it('a miss holds and degrades that tick; repeated misses safe-stop', () => {
    const r = rig({ deadlineMissesToSafeStop: 3 });
    r.cmd.target.set([0.11, 0.2, 0.3]);
    r.tick();
    r.cmd.target.set([0.5, 0.5, 0.5]);
    r.sup.reportDeadlineMiss('policy late', r.t, r.seq + 1);
    expect(r.sup.state).toBe('degraded');
    expect(r.tick()).toBe('degraded');
    expect(arr(r.out.target)).toEqual([0.11, 0.2, 0.3]);
    expect(r.sup.tickEvents.map((e) => e.kind)).toEqual(['policy_deadline', 'state_change']); // events between ticks belong to the next tick
    r.sup.reportDeadlineMiss('policy late', r.t, r.seq + 1);
    r.tick();
    r.sup.reportDeadlineMiss('policy late', r.t, r.seq + 1);
    expect(r.sup.state).toBe('safe-stop');
    expect(r.tick()).toBe('safe-stop');
  });

  it("the stop's reason names what missed: policy deadlines, world-model deadlines, errors, or the mix", () => {
    const stopAfter = (kinds: ('policy_deadline' | 'world_model_deadline' | 'world_model_error')[]): string | undefined => {
      const r = rig({ deadlineMissesToSafeStop: 3 });
      r.tick();
      kinds.forEach((k, i) => {
        r.sup.reportDeadlineMiss(`${k} #${i + 1}`, r.t, r.seq + 1, k);
        r.tick();
      });
      return r.sup.stopCause?.reason;
    };
    expect(stopAfter(['policy_deadline', 'policy_deadline', 'policy_deadline'])).toBe('3 consecutive policy deadline misses: policy_deadline #3');
    expect(stopAfter(['world_model_deadline', 'world_model_deadline', 'world_model_deadline'])).toBe('3 consecutive world model deadline misses: world_model_deadline #3');
    expect(stopAfter(['world_model_error', 'world_model_error', 'world_model_error'])).toBe('3 consecutive world model errors: world_model_error #3');
    expect(stopAfter(['world_model_error', 'policy_deadline', 'world_model_error'])).toBe('3 consecutive misses (1 policy deadline miss, 2 world model errors): world_model_error #3');
    expect(stopAfter(['policy_deadline', 'world_model_deadline', 'world_model_error'])).toBe(
      '3 consecutive misses (1 policy deadline miss, 1 world model deadline miss, 1 world model error): world_model_error #3',
    );
  });

  it('a timely tick resets the miss streak, its kinds too', () => {
    const r = rig({ deadlineMissesToSafeStop: 3 });
    r.tick();
    for (const k of ['policy_deadline', 'policy_deadline'] as const) {
      r.sup.reportDeadlineMiss('late', r.t, r.seq + 1, k);
      r.tick();
    }
    r.tick(); // clean: the streak starts again
    for (let k = 0; k < 3; k++) {
      r.sup.reportDeadlineMiss('hook threw', r.t, r.seq + 1, 'world_model_error');
      r.tick();
    }
    expect(r.sup.stopCause?.reason).toBe('3 consecutive world model errors: hook threw');
  });

  it('a timely tick resets the miss streak', () => {
    const r = rig({ deadlineMissesToSafeStop: 2, maxStepFraction: 1e6 });
    for (let k = 0; k < 5; k++) {
      r.sup.reportDeadlineMiss('late', r.t, r.seq + 1);
      expect(r.tick()).toBe('degraded');
      expect(r.tick()).toBe('running');
    }
    expect(r.sup.counts.policy_deadline).toBe(5);
  });
});

describe('SafetySupervisor: events', () => {
  it('every event goes to events$, counts and tickEvents; tickEvents is cleared each check', () => {
    const r = rig({ nonFiniteTicksToSafeStop: 10 });
    r.cmd.target.set([5, 0.2, 0.3]);
    r.tick();
    const first = [...r.sup.tickEvents];
    expect(first.length).toBeGreaterThan(0);
    r.cmd.target.set([0.1, 0.2, 0.3]);
    r.cmd.target[1] = Number.NaN;
    r.tick();
    r.cmd.target[1] = 0.2;
    r.tick();
    r.tick();
    expect(r.sup.tickEvents).toEqual([]);
    const total = Object.values(r.sup.counts).reduce((a, b) => a + b, 0);
    expect(total).toBe(r.events.length);
    for (const kind of Object.keys(r.sup.counts) as (keyof typeof r.sup.counts)[]) {
      expect(r.sup.counts[kind]).toBe(r.events.filter((e) => e.kind === kind).length);
    }
    for (const e of r.events.filter((x) => x.kind === 'state_change')) expect(e.reason).toMatch(/^\S+ -> \S+: .+/);
  });
});

describe('SafetySupervisor: fuzz', () => {
  function mulberry32(seed: number) {
    return () => {
      seed |= 0;
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it.each([
    [['position', 'velocity', 'effort'] as ControlMode[]],
    [['effort'] as ControlMode[]],
    [['velocity'] as ControlMode[]],
  ])('never outputs a non-finite or out-of-limit number over 10k random ticks (%j)', (modes) => {
    const rnd = mulberry32(42);
    const r = rig({ softStartS: 0.05, staleAfterS: 0.03 }, modes);
    const wild = (): number => {
      const u = rnd();
      if (u < 0.03) return Number.NaN;
      if (u < 0.05) return Number.POSITIVE_INFINITY;
      if (u < 0.07) return Number.NEGATIVE_INFINITY;
      if (u < 0.1) return (rnd() - 0.5) * 1e12;
      if (u < 0.2) return (rnd() - 0.5) * 1e6;
      return (rnd() - 0.5) * 10;
    };
    const allModes: ControlMode[] = ['position', 'velocity', 'effort'];
    const n = r.spec.joints.length;
    let stops = 0;
    const failures: string[] = [];
    const m = r.sup.config.positionMargin!; // a reading further out is refused, so no target is
    for (let k = 0; k < 10_000; k++) {
      const u = rnd();
      r.cmd.mode = rnd() < 0.9 ? modes[Math.floor(rnd() * modes.length)] : allModes[Math.floor(rnd() * 3)];
      // mostly clean commands, sometimes a single wild value
      for (let i = 0; i < n; i++) {
        r.cmd.target[i] = u < 0.15 ? wild() : (rnd() - 0.5) * 4;
        r.cmd.kp![i] = u > 0.95 ? wild() : rnd() * 20;
        r.cmd.kd![i] = rnd() * 2;
        r.cmd.feedforward![i] = u > 0.9 && u <= 0.95 ? wild() : (rnd() - 0.5) * 12;
        r.obs.jointPosition[i] = rnd() < 0.01 ? Number.NaN : (rnd() - 0.5) * 3;
        r.obs.jointVelocity[i] = rnd() < 0.01 ? Number.POSITIVE_INFINITY : (rnd() - 0.5) * 20;
      }
      if (rnd() < 0.01) r.sup.reportDeadlineMiss('fuzz', r.t, r.seq + 1);
      if (rnd() < 0.002) r.sup.estop('fuzz', r.t, r.seq + 1);
      const now = rnd() < 0.001 ? Number.NaN : undefined;
      if (now === undefined) r.tick(rnd() > 0.05);
      else r.sup.check(r.cmd, r.obs, now, ++r.seq, r.out);
      if (r.sup.state === 'safe-stop' || r.sup.state === 'e-stopped') {
        stops++;
        if (rnd() < 0.2) r.sup.reset('fuzz', r.obs, r.seq);
      }

      for (let i = 0; i < n; i++) {
        const j = r.spec.joints[i];
        const t = r.out.target[i];
        const ff = r.out.feedforward![i];
        const ok =
          Number.isFinite(t) &&
          Number.isFinite(r.out.kp![i]) &&
          Number.isFinite(r.out.kd![i]) &&
          Number.isFinite(ff) &&
          Math.abs(ff) <= j.effortLimit &&
          modes.includes(r.out.mode) &&
          (r.out.mode === 'position'
            ? t >= j.lower - m && t <= j.upper + m // outside the limits only where the robot was read (F3): walked back at the rate limit
            : r.out.mode === 'velocity'
              ? Math.abs(t) <= j.velocityLimit
              : Math.abs(t) <= j.effortLimit);
        if (!ok) failures.push(`tick ${k} joint ${j.name}: ${r.out.mode} target ${t} kp ${r.out.kp![i]} kd ${r.out.kd![i]} ff ${ff}`);
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(stops).toBeGreaterThan(0); // the fuzz reached the stop states
    expect(r.sup.counts.non_finite).toBeGreaterThan(100);
  });
});
