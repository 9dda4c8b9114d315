/**
 * An error thrown in the shield's rollouts (its continuation policy's ONNX failing, say) is a failed
 * hook, not a late one: `world_model_error`, not `world_model_deadline`. The loop holds that tick and
 * safe-stops at the 3rd in a row, as for a late hook (docs/safety.md, "Deadlines").
 */
import { describe, expect, it } from 'vitest';
import { ControlLoop } from '../../../src/loop/ControlLoop.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../../src/model/ActionMapper.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { safetySummary } from '../../../src/cli/summary.ts';
import type { WorldModelHook } from '../../../src/worldmodel/types.ts';
import type { SafetyEvent, SafetyState } from '../../../src/safety/types.ts';
import { ShieldHook } from '../../../src/worldmodel/ShieldHook.ts';
import { Constraints } from '../../../src/worldmodel/Constraints.ts';
import type { Continuation } from '../../../src/worldmodel/BatchPolicy.ts';
import type { Policy } from '../../../src/policy/Policy.ts';
import { PointMassRobot } from '../../helpers/fakes.ts';
import { VirtualClock } from '../loop/VirtualClock.ts';
import { IntegratorModel, oneJointManifest, oneJointSpec } from './helpers.ts';

const PERIOD = 0.02;

/** A continuation policy whose onnxruntime call fails from its `from`-th call on. */
function failingContinuation(from: number): Continuation & { calls: number } {
  return {
    calls: 0,
    act(_s, prev, _b, out) {
      if (this.calls++ >= from) throw new Error('onnxruntime: Non-zero status code returned while running Gemm node');
      out.set(prev);
    },
  };
}

describe('shield continuation errors', () => {
  it('a continuation policy that throws is a world_model_error (not a deadline): hold, then safe-stop at the 3rd', async () => {
    const m = oneJointManifest();
    const robot = new PointMassRobot(oneJointSpec(), 0.002);
    const policy: Policy = {
      manifest: m,
      inputSize: 1,
      outputSize: 1,
      reset() {},
      act: () => Float32Array.of(0.1),
      close: async () => {},
    } as unknown as Policy;
    const clock = new VirtualClock(PERIOD, (dt) => robot.step(dt));
    const safety = new SafetySupervisor(robot.spec, PERIOD, { maxStepFraction: 1e6 });
    const continuation = failingContinuation(5);
    const shield = new ShieldHook(new IntegratorModel(0.01), new ObservationBuilder(m, robot.spec), Constraints.fromSpec(m.world_model!.constraints!, ['joint_pos.a']), continuation, safety, { horizon: 4, samples: 8 });
    const loop = new ControlLoop({ robot, clock, builder: new ObservationBuilder(m, robot.spec), policy, worldModel: shield, mapper: new ActionMapper(m, robot.spec), safety, maxTicks: 12 });
    const states: SafetyState[] = [];
    const events: SafetyEvent[] = [];
    loop.records$.subscribe((r) => states.push(r.safetyState));
    safety.events$.subscribe((e) => events.push(e));
    await loop.run();
    const failed = events.filter((e) => e.kind === 'world_model_error');
    expect(failed.length).toBe(3);
    expect(failed[0].reason).toContain('world model failed: onnxruntime: Non-zero status code');
    expect(events.filter((e) => e.kind === 'world_model_deadline')).toEqual([]);
    expect(states.filter((s) => s === 'safe-stop').length).toBeGreaterThan(0);
    expect(safety.counts.world_model_error).toBe(3);
    expect(safety.stopCause).toMatchObject({ kind: 'world_model_error' });
    // The stop says what missed: the hook's error, not "deadline misses".
    expect(safetySummary(safety).stop?.reason).toMatch(/^3 consecutive world model errors: world model failed: onnxruntime: Non-zero status code/);
  });

  it('a hook that throws 3 times: the summary, the stop and its state_change name the error, not a deadline', async () => {
    const m = oneJointManifest();
    const robot = new PointMassRobot(oneJointSpec(), 0.002);
    const policy = { manifest: m, inputSize: 1, outputSize: 1, reset() {}, act: () => Float32Array.of(0.1), close: async () => {} } as unknown as Policy;
    const clock = new VirtualClock(PERIOD, (dt) => robot.step(dt));
    const safety = new SafetySupervisor(robot.spec, PERIOD, { maxStepFraction: 1e6 });
    let calls = 0;
    const hook: WorldModelHook = {
      mode: 'plan',
      reset() {},
      apply(_o, _i, action) {
        if (++calls >= 4) throw new Error(`planner blew up at call ${calls}`);
        return action;
      },
    };
    const loop = new ControlLoop({ robot, clock, builder: new ObservationBuilder(m, robot.spec), policy, worldModel: hook, mapper: new ActionMapper(m, robot.spec), safety, maxTicks: 10 });
    const events: SafetyEvent[] = [];
    safety.events$.subscribe((e) => events.push(e));
    await loop.run();
    expect(safety.counts.world_model_error).toBe(3);
    const stop = safetySummary(safety).stop;
    expect(stop).toMatchObject({ by: 'supervisor', kind: 'world_model_error', reason: '3 consecutive world model errors: world model failed: planner blew up at call 6' });
    expect(events.filter((e) => e.kind === 'state_change').at(-1)?.reason).toBe('degraded -> safe-stop: 3 consecutive world model errors: world model failed: planner blew up at call 6');
  });
});
