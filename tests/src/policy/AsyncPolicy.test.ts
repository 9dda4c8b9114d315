import { describe, expect, it } from 'vitest';
import { ControlLoop } from '../../../src/loop/ControlLoop.ts';
import { WallClock } from '../../../src/clock/WallClock.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../../src/model/ActionMapper.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { PassThroughHook } from '../../../src/worldmodel/types.ts';
import { loadModelFolder, validateManifest } from '../../../src/model/manifest.ts';
import { AsyncPolicy } from '../../../src/policy/AsyncPolicy.ts';
import { PointMassRobot, joint, manifest, spec } from '../../helpers/fakes.ts';
import { linearPolicy } from '../../helpers/onnxFixtures.ts';

const robotSpec = spec([joint('a', { lower: -10, upper: 10, velocityLimit: 100 }), joint('b', { lower: -10, upper: 10, velocityLimit: 100 })]);
// action = 0.5 + 0 · obs: a recognisable constant once the worker has answered
const m = validateManifest(manifest({ control_hz: 500, action: { type: 'joint_position', scale: 1 } }));
const dir = linearPolicy(m, 4, 2, new Float32Array(8), Float32Array.from([0.5, 0.5]));

async function run(delayMs: number, stallS: number, ticks: number) {
  const robot = new PointMassRobot(robotSpec, 0.002);
  const policy = await AsyncPolicy.load(loadModelFolder(dir), { stallS, delayMs });
  const clock = new WallClock(1 / 500);
  const safety = new SafetySupervisor(robot.spec, 1 / 500, { staleAfterS: 10 });
  const loop = new ControlLoop({ robot, clock, builder: new ObservationBuilder(m, robot.spec), policy, worldModel: new PassThroughHook(), mapper: new ActionMapper(m, robot.spec), safety, maxTicks: ticks });
  const ages: number[] = [];
  const actions: number[] = [];
  const states: string[] = [];
  const advanceRobot = loop.records$.subscribe((r) => {
    ages.push(r.actionAge);
    actions.push(r.action[0]);
    states.push(r.safetyState);
    robot.step(1 / 500);
  });
  const result = await loop.run();
  advanceRobot.unsubscribe();
  await policy.close();
  return { ages, actions, states, result, safety };
}

describe('AsyncPolicy (worker thread)', () => {
  it('never makes the loop wait for a slow model: it uses the newest action and reports its age', async () => {
    const { ages, actions, result } = await run(30, 1, 150);
    expect(result.ticks).toBe(150);
    // zeros until the first answer, then the model's constant
    expect(actions[0]).toBe(0);
    expect(actions.at(-1)).toBeCloseTo(0.5, 6);
    // a 30 ms model at 500 Hz: actions are many ticks old when they arrive
    expect(Math.max(...ages)).toBeGreaterThan(5);
  });

  it('a stalled worker is a safety event: hold, then safe-stop', async () => {
    const { states, safety } = await run(2000, 0.02, 60);
    expect(states).toContain('degraded');
    expect(states.at(-1)).toBe('safe-stop');
    expect(safety.counts.policy_deadline).toBeGreaterThan(0);
  });

  it('is pending until its first answer, and judges the stall on the loop clock it is given, not on ticks × period', async () => {
    const policy = await AsyncPolicy.load(loadModelFolder(dir), { stallS: 0.2, delayMs: 3000 });
    try {
      policy.reset();
      expect(policy.status.pending).toBe(true);
      const input = new Float32Array(4);
      policy.act(input, 10); // the first request, at 10 s on the loop clock
      expect(policy.status).toMatchObject({ pending: true, stalled: false });
      policy.act(input, 10.15);
      expect(policy.status).toMatchObject({ pending: true, stalled: false });
      // 3 calls are 3 ticks (6 ms at 500 Hz), but 0.25 s have passed on the loop's clock (an overrunning loop): stalled.
      policy.act(input, 10.25);
      expect(policy.status).toMatchObject({ pending: true, stalled: true });
    } finally {
      await policy.close();
    }
  });

  it('answers a request made the instant the worker is ready (no lost first request)', async () => {
    for (let k = 0; k < 5; k++) {
      const policy = await AsyncPolicy.load(loadModelFolder(dir), { stallS: 5 });
      policy.reset();
      const input = new Float32Array(4);
      let answered = false;
      for (let i = 0; i < 400 && !answered; i++) {
        answered = policy.act(input)[0] === 0.5;
        expect(policy.status.pending).toBe(!answered);
        if (!answered) await new Promise((r) => setTimeout(r, 5));
      }
      await policy.close();
      expect(answered, `instance ${k}`).toBe(true);
    }
  });
});
