import { describe, expect, it } from 'vitest';
import { ControlLoop } from '../../../src/loop/ControlLoop.ts';
import { stageNames, type TickRecord } from '../../../src/loop/TickRecord.ts';
import { SimClock } from '../../../src/clock/SimClock.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../../src/model/ActionMapper.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { PassThroughHook } from '../../../src/worldmodel/types.ts';
import { validateManifest, type ModelManifest } from '../../../src/model/manifest.ts';
import type { Policy } from '../../../src/policy/Policy.ts';
import type { Task } from '../../../src/core/task.ts';
import type { Observation } from '../../../src/core/robot.ts';
import { PointMassRobot, joint, manifest, spec } from '../../helpers/fakes.ts';

/** Sends a fixed sequence of actions, optionally asynchronously (as onnxruntime does). */
class ScriptPolicy implements Policy {
  readonly inputSize: number;
  readonly outputSize = 1;
  readonly inputs: number[][] = [];
  private readonly out = new Float32Array(1);
  constructor(
    readonly manifest: ModelManifest,
    private readonly action: (k: number) => number,
    private readonly async = false,
  ) {
    this.inputSize = 2;
  }
  reset(): void {}
  act(input: Float32Array): Float32Array | Promise<Float32Array> {
    this.inputs.push(Array.from(input));
    this.out[0] = this.action(this.inputs.length - 1);
    return this.async ? Promise.resolve(this.out) : this.out;
  }
  async close(): Promise<void> {}
}

/** Terminates when the joint passes a position. */
class ReachTask implements Task {
  readonly name = 'reach';
  readonly episodeS = 10;
  totalReward = 0;
  success = false;
  constructor(private readonly goal: number) {}
  reset(): void {
    this.totalReward = 0;
  }
  step(obs: Observation): boolean {
    this.totalReward += 1;
    this.success = obs.jointPosition[0] >= this.goal;
    return this.success;
  }
}

function setup(action: (k: number) => number, opts: { async?: boolean; task?: Task; maxTicks?: number } = {}) {
  const robot = new PointMassRobot(spec([joint('a', { lower: -100, upper: 100, effortLimit: 1 })]), 0.002);
  const m = validateManifest(manifest({ joints: ['a'], control_hz: 50, action: { type: 'joint_effort', scale: 1 } }));
  const policy = new ScriptPolicy(m, action, opts.async);
  const clock = new SimClock(1 / 50, (dt) => robot.step(dt));
  const loop = new ControlLoop({
    robot,
    clock,
    builder: new ObservationBuilder(m, robot.spec),
    policy,
    worldModel: new PassThroughHook(),
    mapper: new ActionMapper(m, robot.spec),
    safety: new SafetySupervisor(robot.spec, 1 / 50),
    task: opts.task,
    maxTicks: opts.maxTicks ?? 50,
  });
  return { robot, policy, loop };
}

describe('ControlLoop', () => {
  for (const async of [false, true]) {
    it(`runs tick -> observe -> policy -> safety -> command in lockstep with the sim (${async ? 'async' : 'sync'} policy)`, async () => {
      const { robot, policy, loop } = setup(() => 0.5, { async });
      const seen: number[] = [];
      loop.records$.subscribe((r: TickRecord) => seen.push(r.observation.time));
      const result = await loop.run();
      expect(result.ticks).toBe(50);
      expect(robot.commands).toHaveLength(50);
      // tick k observes the robot after k periods of 10 physics substeps each
      expect(seen[0]).toBe(0);
      expect(seen[10]).toBeCloseTo(10 / 50, 9);
      // constant effort 0.5 on a unit mass: q(t) = 0.5 t²/2 (semi-implicit Euler adds t·dt/2·a)
      const t = 49 / 50;
      expect(policy.inputs[49][0]).toBeCloseTo(0.25 * t * t, 2);
      expect(result.stats.stageUs()).toHaveProperty('policy');
      expect(Object.keys(result.stats.stageUs())).toEqual([...stageNames]);
    });
  }

  it('clamps what the policy asks for, and the record keeps the command before and after safety', async () => {
    const { loop } = setup(() => 3); // effort limit is 1
    let proposed = 0;
    let sent = 0;
    loop.records$.subscribe((r) => {
      proposed = r.proposed.target[0];
      sent = r.sent.target[0];
    });
    await loop.run();
    expect(proposed).toBe(3);
    expect(sent).toBe(1);
  });

  it('ends the episode when the task terminates and reports the return', async () => {
    const { loop } = setup(() => 1, { task: new ReachTask(0.5), maxTicks: 1000 });
    const r = await loop.run();
    // q = t²/2 reaches 0.5 at t = 1 s = tick 50 at 50 Hz
    expect(r.terminated).toBe(true);
    expect(r.ticks).toBeGreaterThan(48);
    expect(r.ticks).toBeLessThan(53);
    expect(r.episodeReturn).toBe(r.ticks);
  });

  it('stops after the tick in progress when asked', async () => {
    const { loop } = setup(() => 0, { maxTicks: 10_000 });
    loop.records$.subscribe((r) => {
      if (r.seq === 99) loop.stop();
    });
    const r = await loop.run();
    expect(r.ticks).toBe(100);
    expect(r.stopped).toBe(true);
  });

  it('turns a NaN from the policy into a hold and then a safe-stop, never a NaN command', async () => {
    const { robot, loop } = setup((k) => (k >= 10 ? NaN : 0.2), { maxTicks: 30 });
    const states: string[] = [];
    loop.records$.subscribe((r) => states.push(r.safetyState));
    await loop.run();
    for (const c of robot.commands) for (const x of c.target) expect(Number.isFinite(x)).toBe(true);
    expect(states[9]).toBe('running');
    expect(states[10]).toBe('degraded');
    expect(states.at(-1)).toBe('safe-stop');
  });
});
