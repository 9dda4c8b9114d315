import { describe, expect, it } from 'vitest';
import { ControlLoop } from '../../../src/loop/ControlLoop.ts';
import type { TickRecord } from '../../../src/loop/TickRecord.ts';
import { clockDeadlineTimer } from '../../../src/loop/DeadlineTimer.ts';
import { SimClock } from '../../../src/clock/SimClock.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../../src/model/ActionMapper.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { PassThroughHook, type WorldModelHook } from '../../../src/worldmodel/types.ts';
import { validateManifest, type ModelManifest } from '../../../src/model/manifest.ts';
import type { Policy } from '../../../src/policy/Policy.ts';
import type { SafetyConfig, SafetyEvent, SafetyState } from '../../../src/safety/types.ts';
import { PointMassRobot, joint, manifest, spec } from '../../helpers/fakes.ts';
import { VirtualClock } from './VirtualClock.ts';

const HZ = 50;
const PERIOD = 1 / HZ;

type Answer = 'now' | 'never' | 'throw' | { after: number }; // after: seconds of virtual time

/** Answers each tick as `plan(k)` says: at once (a resolved promise), never, by throwing, or after a delay on the clock. */
class PlannedPolicy implements Policy {
  readonly inputSize = 2;
  readonly outputSize = 1;
  calls = 0;
  private readonly out = Float32Array.of(0.5);
  clock: VirtualClock | undefined;
  constructor(
    readonly manifest: ModelManifest,
    private readonly plan: (k: number) => Answer,
  ) {}
  reset(): void {}
  act(): Promise<Float32Array> {
    const a = this.plan(this.calls++);
    if (a === 'now') return Promise.resolve(this.out);
    if (a === 'never') return new Promise(() => {});
    if (a === 'throw') return Promise.reject(new Error('onnxruntime: bad alloc'));
    return new Promise((resolve) => this.clock!.at(this.clock!.now() + a.after, () => resolve(this.out)));
  }
  async close(): Promise<void> {}
}

/** A hook that hangs from a given tick on. */
class HangingHook implements WorldModelHook {
  readonly mode = 'shield' as const;
  calls = 0;
  constructor(private readonly hangFrom: number) {}
  reset(): void {}
  apply(_o: unknown, _i: Float32Array, action: Float32Array): Promise<Float32Array> {
    return this.calls++ >= this.hangFrom ? new Promise(() => {}) : Promise.resolve(action);
  }
}

function setup(plan: (k: number) => Answer, o: { ticks?: number; safety?: Partial<SafetyConfig>; hook?: WorldModelHook } = {}) {
  const robot = new PointMassRobot(spec([joint('a', { lower: -100, upper: 100, effortLimit: 1, kp: 20, kd: 2 })]), 0.002);
  const m = validateManifest(manifest({ joints: ['a'], control_hz: HZ, action: { type: 'joint_position', scale: 1 } }));
  const policy = new PlannedPolicy(m, plan);
  const clock = new VirtualClock(PERIOD, (dt) => robot.step(dt));
  policy.clock = clock;
  const safety = new SafetySupervisor(robot.spec, PERIOD, { maxStepFraction: 1e6, ...o.safety });
  const loop = new ControlLoop({
    robot,
    clock,
    builder: new ObservationBuilder(m, robot.spec),
    policy,
    worldModel: o.hook ?? new PassThroughHook(),
    mapper: new ActionMapper(m, robot.spec),
    safety,
    maxTicks: o.ticks ?? 30,
  });
  const states: SafetyState[] = [];
  const events: SafetyEvent[] = [];
  loop.records$.subscribe((r: TickRecord) => states.push(r.safetyState));
  safety.events$.subscribe((e) => events.push(e));
  return { robot, policy, clock, safety, loop, states, events };
}

describe('ControlLoop deadlines (virtual time)', () => {
  for (const misses of [1, 2, 3]) {
    it(`a policy that never resolves: hold at its deadline, safe-stop at miss ${misses}, the safe command sent every tick (deadlineMissesToSafeStop ${misses})`, async () => {
      const k0 = 10;
      const { robot, clock, loop, states, events } = setup((k) => (k >= k0 ? 'never' : 'now'), { safety: { deadlineMissesToSafeStop: misses } });
      const r = await loop.run();
      // The pipeline was never frozen: every tick ran and sent a command.
      expect(r.ticks).toBe(30);
      expect(robot.commands).toHaveLength(30);
      expect(states.slice(0, k0).every((s) => s === 'running')).toBe(true);
      // Tick k0's command left at its deadline: 0.5 period into the tick (the default policy budget).
      expect(clock.doneAt[k0]).toBeCloseTo(k0 * PERIOD + 0.5 * PERIOD, 12);
      const stopAt = k0 + misses - 1; // within the budget + (misses - 1) ticks; budget + 1 tick with 2
      for (let k = k0; k < stopAt; k++) expect(states[k]).toBe('degraded');
      for (let k = stopAt; k < 30; k++) expect(states[k]).toBe('safe-stop');
      const deadline = events.filter((e) => e.kind === 'policy_deadline');
      expect(deadline[0]).toMatchObject({ seq: k0, state: misses === 1 ? 'safe-stop' : 'degraded' });
      expect(deadline[0].reason).toMatch(/no action within 10 ms of the tick/);
      if (misses > 1) expect(deadline[1].reason).toMatch(/still computing tick 10's action/);
      // From the first miss on, nothing of the policy: degraded ticks hold the last target sent,
      // safe-stop ticks hold the pose observed when the stop was entered (position, spec gains).
      const lastTarget = robot.commands[k0 - 1].target[0];
      const stopPose = robot.commands[stopAt].target[0];
      for (let k = k0; k < 30; k++) {
        const c = robot.commands[k];
        expect(c.mode).toBe('position');
        expect(c.target[0]).toBe(k < stopAt ? lastTarget : stopPose);
        expect(c.kp![0]).toBe(20);
        expect(c.kd![0]).toBe(2);
      }
      expect(stopPose).not.toBe(lastTarget); // the stop pose is the measured one, not the policy's target
    });
  }

  it('a late answer holds that tick only; the next timely tick runs again', async () => {
    // Tick 5 answers 0.7 periods in (deadline 0.5): a miss; the late action is dropped.
    const { loop, states, events, policy } = setup((k) => (k === 5 ? { after: 0.7 * PERIOD } : 'now'), { ticks: 12 });
    await loop.run();
    expect(states[4]).toBe('running');
    expect(states[5]).toBe('degraded');
    expect(states[6]).toBe('running');
    expect(events.filter((e) => e.kind === 'policy_deadline')).toHaveLength(1);
    expect(policy.calls).toBe(12); // settled before tick 6: called again
  });

  it('a policy that rejects is a deadline miss naming the error, not a crashed pipeline', async () => {
    const { loop, states, events } = setup((k) => (k === 3 ? 'throw' : 'now'), { ticks: 8 });
    const r = await loop.run();
    expect(r.ticks).toBe(8);
    expect(states[3]).toBe('degraded');
    expect(states[4]).toBe('running');
    expect(events.find((e) => e.kind === 'policy_deadline')!.reason).toContain('policy failed: onnxruntime: bad alloc');
  });

  it('a world-model hook that never resolves: world_model_deadline, hold, then safe-stop', async () => {
    const hook = new HangingHook(10);
    const { robot, loop, states, events, clock } = setup(() => 'now', { hook, safety: { deadlineMissesToSafeStop: 2 } });
    const r = await loop.run();
    expect(r.ticks).toBe(30);
    expect(robot.commands).toHaveLength(30);
    expect(states[9]).toBe('running');
    expect(states[10]).toBe('degraded');
    expect(states[11]).toBe('safe-stop');
    expect(states.at(-1)).toBe('safe-stop');
    expect(clock.doneAt[10]).toBeCloseTo(10 * PERIOD + 0.9 * PERIOD, 12); // the hook's default budget
    const wm = events.filter((e) => e.kind === 'world_model_deadline');
    expect(wm.length).toBeGreaterThanOrEqual(2);
    expect(wm[0].reason).toMatch(/world model gave no action within 18 ms/);
    expect(events.some((e) => e.kind === 'policy_deadline')).toBe(false);
    expect(hook.calls).toBe(11); // not called again while its call is outstanding
  });

  it('a stop on a stage that answered too late stays latched until an operator reset, then runs again', async () => {
    // Call 5 (tick 5) answers 3 periods later: ticks 5-7 miss, the stage is called again on tick 8.
    const { loop, safety, states, robot, policy } = setup((k) => (k === 5 ? { after: 3 * PERIOD } : 'now'), { ticks: 30, safety: { deadlineMissesToSafeStop: 2 } });
    loop.records$.subscribe((r) => {
      if (r.seq === 20) safety.reset('operator', robot.observe(), r.seq, r.time);
    });
    await loop.run();
    expect(states[5]).toBe('degraded');
    expect(states.slice(6, 21).every((s) => s === 'safe-stop')).toBe(true);
    expect(states.slice(21).every((s) => s === 'running')).toBe(true);
    expect(policy.calls).toBe(30 - 2); // not called on ticks 6 and 7 (busy)
  });

  it('on a lockstep SimClock (virtual time stands still) a hung stage is bounded by wall time, not frozen', async () => {
    const robot = new PointMassRobot(spec([joint('a', { lower: -100, upper: 100, effortLimit: 1 })]), 0.002);
    const m = validateManifest(manifest({ joints: ['a'], control_hz: HZ, action: { type: 'joint_position', scale: 1 } }));
    const policy = new PlannedPolicy(m, (k) => (k >= 3 ? 'never' : 'now'));
    const clock = new SimClock(PERIOD, (dt) => robot.step(dt));
    const safety = new SafetySupervisor(robot.spec, PERIOD, { deadlineMissesToSafeStop: 2 });
    const loop = new ControlLoop({
      robot,
      clock,
      builder: new ObservationBuilder(m, robot.spec),
      policy,
      worldModel: new PassThroughHook(),
      mapper: new ActionMapper(m, robot.spec),
      safety,
      maxTicks: 8,
      deadlines: { timer: clockDeadlineTimer(clock, 0.05) },
    });
    const t0 = performance.now();
    const r = await loop.run();
    expect(r.ticks).toBe(8);
    expect(safety.state).toBe('safe-stop');
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(robot.commands).toHaveLength(8);
  });
});
