import { describe, expect, it } from 'vitest';
import { createSimRobot } from '../../../sim/robots/index.ts';
import { AxonError } from '../../../src/core/errors.ts';
import { createCommand, type RobotSpec } from '../../../src/core/robot.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import type { SafetyConfig, SafetyEvent } from '../../../src/safety/types.ts';
import { ControlLoop } from '../../../src/loop/ControlLoop.ts';
import { SimClock } from '../../../src/clock/SimClock.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../../src/model/ActionMapper.ts';
import { PassThroughHook } from '../../../src/worldmodel/types.ts';
import { ZeroPolicy } from '../../../src/policy/Policy.ts';
import { validateManifest, observationSize, actionSize } from '../../../src/model/manifest.ts';
import { manifest } from '../../helpers/fakes.ts';

const PERIOD = 0.02; // 50 Hz, the cartpole policy's rate

/**
 * The shipped cartpole, slider at 3 m/s (pole upright, free), stopped by safeStop() at t = 0; the
 * supervisor's command applied every tick. Returns the slider's position and velocity per tick.
 */
function stopCartpole(config: Partial<SafetyConfig> = {}, seconds = 2) {
  const robot = createSimRobot('cartpole');
  robot.setEpisodeInitialState([0, 0], [3, 0]);
  robot.reset();
  const sup = new SafetySupervisor(robot.spec, PERIOD, config);
  const events: SafetyEvent[] = [];
  sup.events$.subscribe((e) => events.push(e));
  sup.arm(robot.observe(), 0, 0);
  const proposed = createCommand(robot.spec, 'effort'); // what a policy would send: ignored while stopped
  proposed.target[0] = 30;
  const out = createCommand(robot.spec, 'position');
  sup.safeStop('bridge command deadman: no command for 0.2 s', 0, 0);
  const x: number[] = [];
  const v: number[] = [];
  for (let k = 0; k * PERIOD < seconds; k++) {
    const obs = robot.observe();
    x.push(obs.jointPosition[0]);
    v.push(obs.jointVelocity[0]);
    sup.check(proposed, obs, k * PERIOD, k, out);
    robot.command(out);
    robot.step(PERIOD);
  }
  return { sup, events, x, v, out, robot };
}

describe('a safe stop that stops', () => {
  it('the cartpole slider (kp 0) at 3 m/s comes to rest: below 1 % of its velocity limit within 0.3 s, 0.25 m of travel at most', () => {
    const { sup, events, x, v, out } = stopCartpole();
    expect(sup.state).toBe('safe-stop');
    expect(events.map((e) => e.kind)).toEqual(['state_change', 'safe_stop', 'state_change']);
    expect(events[1].reason).toContain('deadman');
    // The stop damps the slider: kd_stop = 30 N / (0.1 × 10 m/s); the passive hinge gets nothing.
    expect(sup.stopDamping(0)).toBe(30);
    expect(out.mode).toBe('position');
    expect(Array.from(out.kp!)).toEqual([0, 0]);
    expect(Array.from(out.kd!)).toEqual([30, 0]);
    // Stated bound (SafetySupervisor doc): t <= m·v0/F + 4.6·m/kd = 1.1·3/30 + 4.6·1.1/30 = 0.28 s.
    const from = Math.round(0.3 / PERIOD);
    for (let k = from; k < v.length; k++) expect(Math.abs(v[k])).toBeLessThan(0.1); // the free pole still swings and nudges it
    expect(Math.max(...x)).toBeLessThan(0.25);
    expect(Math.max(...x) - Math.min(...x.slice(from))).toBeLessThan(0.25);
  });

  it('without the stop damping (kd 0 held as the spec says) the slider coasts into the end of its rail', () => {
    const { x } = stopCartpole({ stopSaturationFraction: 1e12 }, 1.2);
    expect(Math.max(...x)).toBeGreaterThan(2.9); // rail ends at 3 m
  });

  it('safeStop(): latched until reset, e-stopped stays e-stopped, before arming only the event', () => {
    const spec = createSimRobot('cartpole').spec;
    const sup = new SafetySupervisor(spec, PERIOD);
    sup.safeStop('early', 0, 0);
    expect(sup.state).toBe('safe-stop');
    expect(sup.armed).toBe(false);
    expect(sup.counts.safe_stop).toBe(1);
    const obs = createSimRobot('cartpole').observe();
    expect(sup.arm(obs, 0, 0)).toBe(true); // the unarmed safe-stop is not a fault
    sup.safeStop('deadman', 0.02, 1);
    expect(sup.arm(obs, 2, 0.04)).toBe(false); // latched: needs reset()
    sup.estop('operator', 0.04, 2);
    sup.safeStop('deadman again', 0.06, 3);
    expect(sup.state).toBe('e-stopped');
    sup.reset('operator', obs, 4, 0.08);
    expect(sup.state).toBe('running');
  });

  it('a velocity-only robot holds at zero velocity with the stop damping as its gain, not kd 0', () => {
    const base = createSimRobot('cartpole').spec;
    const spec: RobotSpec = { ...base, controlModes: ['velocity'] };
    const sup = new SafetySupervisor(spec, PERIOD);
    const obs = createSimRobot('cartpole').observe();
    sup.arm(obs, 0, 0);
    sup.safeStop('test', 0, 0);
    const out = createCommand(spec, 'velocity');
    sup.check(createCommand(spec, 'velocity'), obs, PERIOD, 1, out);
    expect(out.mode).toBe('velocity');
    expect(Array.from(out.target)).toEqual([0, 0]);
    expect(Array.from(out.kd!)).toEqual([30, 0]);
  });

  it('velocity mode with kd 0 is refused before arming, naming the joint', async () => {
    const robot = createSimRobot('cartpole');
    const m = validateManifest(manifest({ robot: 'cartpole', joints: ['slider', 'hinge'], control_hz: 50, action: { type: 'joint_velocity', joints: ['slider'], scale: 1 } }));
    const safety = new SafetySupervisor(robot.spec, PERIOD);
    const loop = new ControlLoop({
      robot,
      clock: new SimClock(PERIOD, (dt) => robot.step(dt)),
      builder: new ObservationBuilder(m, robot.spec),
      policy: new ZeroPolicy(m, observationSize(m), actionSize(m)),
      worldModel: new PassThroughHook(),
      mapper: new ActionMapper(m, robot.spec),
      safety,
      maxTicks: 5,
    });
    const err = await loop.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AxonError);
    expect((err as AxonError).code).toBe('SAFETY_VELOCITY_GAIN');
    expect((err as AxonError).message).toContain('slider (kd 0)');
    expect((err as AxonError).message).not.toContain('hinge'); // passive: nothing to drive
    expect(safety.armed).toBe(false);
    // With a velocity gain the same command arms.
    const cmd = createCommand(robot.spec, 'velocity');
    cmd.kd![0] = 20;
    expect(() => safety.assertCommandable(cmd)).not.toThrow();
  });
});
