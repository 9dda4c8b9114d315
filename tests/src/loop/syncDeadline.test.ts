/**
 * A synchronous stage is timed against the tick's budget when it returns, and a loop given a
 * duration ends on its clock's time, not on a tick count (review R15 F12: a policy 20× slower than
 * its period ran a real arm at 2 Hz with no deadline event, and `--duration 2` lasted 53 s).
 * Virtual time (src/clock/VirtualTime.ts): a stage "takes" time by advancing it.
 */
import { describe, expect, it } from 'vitest';
import { ControlLoop, type LoopResult } from '../../../src/loop/ControlLoop.ts';
import { VirtualClock, VirtualTime } from '../../../src/clock/VirtualTime.ts';
import { SimClock } from '../../../src/clock/SimClock.ts';
import type { Clock } from '../../../src/clock/types.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../../src/model/ActionMapper.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { PassThroughHook, type WorldModelHook } from '../../../src/worldmodel/types.ts';
import { validateManifest, type ModelManifest } from '../../../src/model/manifest.ts';
import type { Policy } from '../../../src/policy/Policy.ts';
import type { SafetyEvent, SafetyState } from '../../../src/safety/types.ts';
import { PointMassRobot, joint, manifest, spec } from '../../helpers/fakes.ts';

const HZ = 50;
const PERIOD = 1 / HZ;
const START = 0.1; // rad, the pose at arming
const TARGET = 0.7; // rad, what the policy asks for

/** A synchronous policy whose every call takes `takesS` of the loop clock's time. */
class SlowPolicy implements Policy {
  readonly inputSize = 2;
  readonly outputSize = 1;
  calls = 0;
  private readonly out = Float32Array.of(TARGET);
  constructor(
    readonly manifest: ModelManifest,
    private readonly time: VirtualTime,
    private readonly takesS: number,
  ) {}
  reset(): void {}
  act(): Float32Array {
    this.calls++;
    this.time.advance(this.takesS);
    return this.out;
  }
  async close(): Promise<void> {}
}

/** A synchronous policy behind a promise (an `async act()`): settled before the loop can race it. */
class SlowAsyncPolicy extends SlowPolicy {
  // @ts-expect-error: a Policy may return a promise; this one's work is synchronous
  override async act(): Promise<Float32Array> {
    return super.act();
  }
}

/** A synchronous hook that takes `takesS` from its `from`-th call on. */
class SlowHook implements WorldModelHook {
  readonly mode = 'shield' as const;
  private calls = 0;
  constructor(
    private readonly time: VirtualTime,
    private readonly takesS: number,
    private readonly from: number,
  ) {}
  reset(): void {}
  apply(_o: unknown, _i: Float32Array, action: Float32Array): Float32Array {
    if (this.calls++ >= this.from) this.time.advance(this.takesS);
    return action;
  }
}

/** The same work in an `async apply()`, as the shipped shield, monitor and planner (onnxruntime on this thread). */
class SlowAsyncHook extends SlowHook {
  // @ts-expect-error: a hook may return a promise; this one's work is synchronous
  override async apply(o: unknown, i: Float32Array, action: Float32Array): Promise<Float32Array> {
    return super.apply(o, i, action);
  }
}

/** Busy for `s` of wall time (a hook doing real work on the loop's thread). */
function busy(s: number): void {
  const end = performance.now() + s * 1000;
  while (performance.now() < end);
}

async function run(o: { policyS: number; asyncPolicy?: boolean; hook?: (time: VirtualTime) => WorldModelHook; warm?: boolean; clock?: Clock; durationS?: number; maxTicks: number }) {
  const time = new VirtualTime(100);
  const robot = new PointMassRobot(spec([joint('a', { lower: -2, upper: 2, velocityLimit: 100, effortLimit: 50, kp: 20, kd: 2 })]), 0.002);
  robot.q[0] = START;
  const m = validateManifest(manifest({ joints: ['a'], control_hz: HZ, action: { type: 'joint_position_abs' } }));
  const policy = new (o.asyncPolicy ? SlowAsyncPolicy : SlowPolicy)(m, time, o.policyS);
  const clock = o.clock ?? new VirtualClock(PERIOD, time);
  const safety = new SafetySupervisor(robot.spec, PERIOD, { maxStepFraction: 1e6, softStartS: 0, staleAfterS: 100 });
  const loop = new ControlLoop({
    robot,
    clock,
    builder: new ObservationBuilder(m, robot.spec),
    policy,
    worldModel: o.hook?.(time) ?? new PassThroughHook(),
    ...(o.warm && o.hook ? { worldModelWarmUp: o.hook(time) } : {}),
    mapper: new ActionMapper(m, robot.spec),
    safety,
    maxTicks: o.maxTicks,
    ...(o.durationS !== undefined ? { durationS: o.durationS } : {}),
  });
  const states: SafetyState[] = [];
  const times: number[] = [];
  const events: SafetyEvent[] = [];
  loop.records$.subscribe((r) => {
    states.push(r.safetyState);
    times.push(r.time);
    robot.step(PERIOD);
  });
  safety.events$.subscribe((e) => events.push(e));
  let ended = false;
  const p = loop.run().finally(() => (ended = true));
  while (!ended) {
    await new Promise((r) => setImmediate(r)); // the tick's pipeline settles before virtual time moves on
    if (time.pendingCount > 0) time.advanceTo(time.nextDue());
  }
  const r: LoopResult = await p;
  return { r, robot, states, times, events, policy };
}

describe('synchronous stages against the budget, and a duration on the clock (virtual time)', () => {
  it('a policy taking 20 periods: policy_deadline on each call, the hold sent, safe-stop at the 3rd, and a 2 s run lasts 2 s', async () => {
    const { r, robot, states, times, events } = await run({ policyS: 20 * PERIOD, durationS: 2, maxTicks: 100 });
    const misses = events.filter((e) => e.kind === 'policy_deadline');
    expect(misses[0].reason).toBe('policy took 400 ms, over its budget of 10 ms (miss 1)');
    expect(misses.slice(0, 3).map((e) => e.state)).toEqual(['degraded', 'degraded', 'safe-stop']);
    expect(states.slice(0, 3)).toEqual(['degraded', 'degraded', 'safe-stop']);
    expect(states.every((s, k) => k < 2 || s === 'safe-stop')).toBe(true);
    // Nothing the late policy said reached the robot: the pose it armed in, held.
    for (const c of robot.commands) expect(c.target[0]).toBeCloseTo(START, 2);
    // Each tick takes 0.4 s of loop time: 2 s is 5 ticks, not 100 (40 s), and the run says it lasted 2 s.
    expect(r.ticks).toBe(5);
    expect(times[4] - times[0]).toBeCloseTo(4 * PERIOD, 9); // this clock emits the late slots late (WallClock skips them): the duration ends it either way
    expect(r.timeS).toBeCloseTo(2, 9);
  });

  it('a policy within its budget (0.4 of a period): no event, every tick runs, the run is its ticks', async () => {
    const { r, states, events, robot } = await run({ policyS: 0.4 * PERIOD, durationS: 1, maxTicks: 50 });
    expect(r.ticks).toBe(50);
    expect(r.timeS).toBeCloseTo(1, 9);
    expect(states.every((s) => s === 'running')).toBe(true);
    expect(events.some((e) => e.kind === 'policy_deadline')).toBe(false);
    expect(robot.commands.at(-1)!.target[0]).toBeCloseTo(TARGET, 6);
  });

  it('a synchronous world-model hook over its budget (0.9 of a period) is a world_model_deadline and a hold for that tick', async () => {
    const { states, events, robot } = await run({ policyS: 0, hook: (time) => new SlowHook(time, 2 * PERIOD, 5), maxTicks: 20 });
    const wm = events.filter((e) => e.kind === 'world_model_deadline');
    expect(wm[0]).toMatchObject({ seq: 5, state: 'degraded' });
    expect(wm[0].reason).toBe('world model took 40 ms, over its budget of 18 ms (miss 1)');
    expect(states.slice(0, 5).every((s) => s === 'running')).toBe(true);
    expect(states[5]).toBe('degraded');
    expect(states.at(-1)).toBe('safe-stop');
    expect(robot.commands[5].target[0]).toBe(robot.commands[4].target[0]); // held: the last target sent
  });

  it('an async hook whose work is synchronous (settled before the race starts) is late all the same (review R20 F2)', async () => {
    const { states, events, robot } = await run({ policyS: 0, hook: (time) => new SlowAsyncHook(time, 2 * PERIOD, 5), maxTicks: 20 });
    const wm = events.filter((e) => e.kind === 'world_model_deadline');
    expect(wm[0]).toMatchObject({ seq: 5, state: 'degraded' });
    expect(wm[0].reason).toBe('world model took 40 ms, over its budget of 18 ms (miss 1)');
    expect(states[5]).toBe('degraded');
    expect(states.at(-1)).toBe('safe-stop');
    expect(robot.commands[5].target[0]).toBe(robot.commands[4].target[0]); // the late answer was not sent
  });

  it('an async policy whose work is synchronous, over its budget: policy_deadline, hold, safe-stop at the 3rd', async () => {
    const { states, events, robot } = await run({ policyS: 20 * PERIOD, asyncPolicy: true, maxTicks: 10 });
    const misses = events.filter((e) => e.kind === 'policy_deadline');
    expect(misses[0].reason).toBe('policy took 400 ms, over its budget of 10 ms (miss 1)');
    expect(states.slice(0, 3)).toEqual(['degraded', 'degraded', 'safe-stop']);
    for (const c of robot.commands) expect(c.target[0]).toBeCloseTo(START, 2);
  });

  it('a simulation paced to real time keeps sim time for its stages: a hook busy 40 ms of wall time is not late', async () => {
    const hook = () => ({ mode: 'shield' as const, calls: 0, reset() {}, apply(_o: unknown, _i: Float32Array, a: Float32Array) { if (this.calls++ >= 3) busy(2 * PERIOD); return a; } });
    const paced = await run({ policyS: 0, hook, clock: new SimClock(PERIOD, () => {}, { realtime: true }), maxTicks: 8 });
    expect(paced.events.filter((e) => e.kind === 'world_model_deadline')).toEqual([]);
    expect(paced.states.every((st) => st === 'running')).toBe(true);
  }, 20_000);

  it("a hook's cold first calls are made before arming, on its twin (ControlLoopParts.worldModelWarmUp): no miss at tick 0", async () => {
    // The cost of a cold start is shared by the twins (the code they run), each keeps its own state.
    const shared = { calls: 0 };
    const cold = (time: VirtualTime) => ({ mode: 'shield' as const, reset() {}, apply(_o: unknown, _i: Float32Array, a: Float32Array) { if (shared.calls++ < 3) time.advance(2 * PERIOD); return a; } });
    const without = await run({ policyS: 0, hook: cold, maxTicks: 6 });
    expect(without.events.filter((e) => e.kind === 'world_model_deadline').map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(without.states.at(-1)).toBe('safe-stop');
    shared.calls = 0;
    const warmed = await run({ policyS: 0, hook: cold, warm: true, maxTicks: 6 });
    expect(warmed.events.filter((e) => e.kind === 'world_model_deadline')).toEqual([]);
    expect(warmed.states.every((st) => st === 'running')).toBe(true);
  });
});
