import { describe, expect, it } from 'vitest';
import { ControlLoop } from '../../../src/loop/ControlLoop.ts';
import { SimClock } from '../../../src/clock/SimClock.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../../src/model/ActionMapper.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { PassThroughHook, type WorldModelHook } from '../../../src/worldmodel/types.ts';
import { ShieldHook } from '../../../src/worldmodel/ShieldHook.ts';
import { Constraints } from '../../../src/worldmodel/Constraints.ts';
import { holdContinuation } from '../../../src/worldmodel/BatchPolicy.ts';
import { validateManifest, type ModelManifest } from '../../../src/model/manifest.ts';
import type { Policy } from '../../../src/policy/Policy.ts';
import type { Observation } from '../../../src/core/robot.ts';
import type { SafetyEvent, SafetyState } from '../../../src/safety/types.ts';
import { PointMassRobot, joint, manifest, spec } from '../../helpers/fakes.ts';
import { IntegratorModel, oneJointManifest } from '../worldmodel/helpers.ts';

const HZ = 50;
const PERIOD = 1 / HZ;

/** A point mass whose sensor reports `glitch` for the joint velocity on ticks [from, to). */
class GlitchRobot extends PointMassRobot {
  tick = 0;
  constructor(
    private readonly from: number,
    private readonly to: number,
    private readonly glitch: number,
  ) {
    super(spec([joint('a', { lower: -100, upper: 100, effortLimit: 1, kp: 20, kd: 2 })]), 0.002);
  }
  override observe(): Observation {
    const o = super.observe();
    const k = Math.round(o.time / PERIOD);
    if (k >= this.from && k < this.to) o.jointVelocity[0] = this.glitch;
    return o;
  }
}

/**
 * A recurrent policy in plain JS: h ← 0.5·h + 0.1·input[0], action = h + 0.1. `poison` puts a NaN
 * into its recurrent state on one call (a model whose state overflowed), which then latches: every
 * later h is NaN until reset().
 */
class RecurrentPolicy implements Policy {
  readonly outputSize = 1;
  readonly inputs: number[][] = [];
  readonly h = new Float32Array(1);
  resets = 0;
  private readonly out = new Float32Array(1);
  constructor(
    readonly manifest: ModelManifest,
    readonly inputSize: number,
    private readonly poisonAt = -1,
  ) {}
  reset(): void {
    this.h.fill(0);
    this.resets++;
  }
  act(input: Float32Array): Float32Array {
    this.inputs.push(Array.from(input));
    if (this.inputs.length - 1 === this.poisonAt) this.h[0] = Number.NaN;
    this.h[0] = 0.5 * this.h[0] + 0.1 * input[0];
    this.out[0] = this.h[0] + 0.1;
    return this.out;
  }
  async close(): Promise<void> {}
}

/** Sends `action(k)` (sync). */
class ScriptPolicy implements Policy {
  readonly outputSize = 1;
  readonly inputs: number[][] = [];
  resets = 0;
  private readonly out = new Float32Array(1);
  constructor(
    readonly manifest: ModelManifest,
    readonly inputSize: number,
    private readonly action: (k: number) => number,
  ) {}
  reset(): void {
    this.resets++;
  }
  act(input: Float32Array): Float32Array {
    this.inputs.push(Array.from(input));
    this.out[0] = this.action(this.inputs.length - 1);
    return this.out;
  }
  async close(): Promise<void> {}
}

const terms = [{ term: 'joint_pos_rel' }, { term: 'joint_vel', history: 3 }, { term: 'last_action' }] as const;

function rig(o: { robot?: PointMassRobot; policy: (m: ModelManifest) => Policy; hook?: (robot: PointMassRobot, safety: SafetySupervisor) => WorldModelHook; resetAt: number; ticks: number; effort?: boolean }) {
  const robot = o.robot ?? new GlitchRobot(-1, -1, 0);
  const m = validateManifest(
    manifest({ joints: ['a'], control_hz: HZ, observation: { terms: terms.map((t) => ({ ...t })) }, action: o.effort ? { type: 'joint_effort', scale: 1, clip: 1 } : { type: 'joint_position', scale: 1 } }),
  );
  const policy = o.policy(m);
  const safety = new SafetySupervisor(robot.spec, PERIOD, { maxStepFraction: 1e6 });
  const loop = new ControlLoop({
    robot,
    clock: new SimClock(PERIOD, (dt) => robot.step(dt)),
    builder: new ObservationBuilder(m, robot.spec),
    policy,
    worldModel: o.hook ? o.hook(robot, safety) : new PassThroughHook(),
    mapper: new ActionMapper(m, robot.spec),
    safety,
    maxTicks: o.ticks,
  });
  const states: SafetyState[] = [];
  const events: SafetyEvent[] = [];
  loop.records$.subscribe((r) => {
    states.push(r.safetyState);
    if (r.seq === o.resetAt) safety.reset('operator reset (test)', r.observation, r.seq, r.time);
  });
  safety.events$.subscribe((e) => events.push(e));
  return { robot, policy, safety, loop, states, events };
}

const allFinite = (rows: number[][]) => rows.every((r) => r.every((x) => Number.isFinite(x)));

/** Counts a hook's reset() calls (in resetsOf). */
const resetsOf = new Map<WorldModelHook, number>();
function hookResets<H extends WorldModelHook>(h: H): H {
  const reset = h.reset.bind(h);
  resetsOf.set(h, 0);
  h.reset = () => {
    resetsOf.set(h, resetsOf.get(h)! + 1);
    reset();
  };
  return h;
}

describe('bad numbers end in a defined state and recover after an operator reset', () => {
  for (const glitch of [Number.NaN, Number.POSITIVE_INFINITY, 3e10]) {
    it(`a ${glitch} joint velocity: bad_observation naming the field, hold, safe-stop; the model never sees it; reset re-arms`, async () => {
      const robot = new GlitchRobot(10, 15, glitch);
      const { policy, loop, states, events } = rig({ robot, policy: (m) => new ScriptPolicy(m, 5, () => 0.2), resetAt: 25, ticks: 40 });
      await loop.run();
      expect(states.slice(0, 10).every((s) => s === 'running')).toBe(true);
      expect(states[10]).toBe('degraded');
      expect(states[11]).toBe('degraded');
      expect(states.slice(12, 26).every((s) => s === 'safe-stop')).toBe(true); // the 3rd bad tick; latched after the glitch ends
      expect(states.slice(26).every((s) => s === 'running')).toBe(true);
      const bad = events.filter((e) => e.kind === 'bad_observation');
      expect(bad).toHaveLength(3);
      expect(bad[0]).toMatchObject({ seq: 10, joint: 'a', state: 'degraded' });
      expect(bad[0].reason).toContain('observation jointVelocity[0] (a)');
      expect(bad[2].state).toBe('safe-stop');
      // The model's inputs stayed finite throughout (the builder kept the last good value out of the history).
      expect(allFinite((policy as ScriptPolicy).inputs)).toBe(true);
      for (const c of robot.commands) expect(Number.isFinite(c.target[0])).toBe(true);
      // The re-arm reset the policy (run start + operator reset).
      expect((policy as ScriptPolicy).resets).toBe(2);
    });
  }

  it('a NaN in a recurrent state: non_finite hold, safe-stop; last_action stays finite; the reset clears the state and the robot runs again', async () => {
    const { policy, loop, states, events, robot } = rig({ policy: (m) => new RecurrentPolicy(m, 5, 10), resetAt: 20, ticks: 35 });
    const p = policy as RecurrentPolicy;
    await loop.run();
    expect(states[9]).toBe('running');
    expect(states[10]).toBe('degraded');
    expect(states.slice(12, 21).every((s) => s === 'safe-stop')).toBe(true);
    // Latched in the policy until the reset: the state was NaN on every tick of the stop.
    expect(events.filter((e) => e.kind === 'non_finite').length).toBeGreaterThanOrEqual(3);
    expect(states.slice(21).every((s) => s === 'running')).toBe(true);
    expect(Number.isFinite(p.h[0])).toBe(true);
    expect(p.resets).toBe(2);
    // Only finite actions were fed back: the last_action input (last element) never was NaN.
    expect(allFinite(p.inputs)).toBe(true);
    for (const c of robot.commands) expect(Number.isFinite(c.target[0])).toBe(true);
  });

  it('a NaN proposal to the shield: no rollout of it, the supervisor holds then safe-stops; after the reset the shield runs again', async () => {
    const model = new IntegratorModel();
    const callsAt: number[] = [];
    let shield: ShieldHook | undefined;
    const { loop, states, events } = rig({
      effort: true,
      policy: (m) => new ScriptPolicy(m, 5, (k) => (k >= 10 && k < 15 ? Number.NaN : 0.1)),
      hook: (robot, safety) =>
        (shield = hookResets(new ShieldHook(model, new ObservationBuilder(oneJointManifest(), robot.spec), new Constraints(1, [{ name: 'a_range', index: 0, lower: -1, upper: 1 }]), holdContinuation, safety, { horizon: 3, samples: 8 }))),
      resetAt: 20,
      ticks: 30,
    });
    loop.records$.subscribe(() => callsAt.push(model.calls));
    await loop.run();
    expect(shield).toBeDefined();
    expect(states[9]).toBe('running');
    expect(states[10]).toBe('degraded');
    expect(states.slice(12, 21).every((s) => s === 'safe-stop')).toBe(true);
    expect(states.slice(21).every((s) => s === 'running')).toBe(true);
    // The NaN proposals (ticks 10-14) were not rolled out: no prediction on those ticks.
    for (let k = 10; k < 15; k++) expect(callsAt[k]).toBe(callsAt[k - 1]);
    expect(callsAt[29]).toBeGreaterThan(callsAt[20]);
    const nf = events.find((e) => e.kind === 'non_finite')!;
    expect(nf.reason).toContain('target[0] (a) = NaN');
    // The re-arm reset the hook too (run start + operator reset): its warm start is not the old episode's (review R26 F3).
    expect(resetsOf.get(shield!)).toBe(2);
  });
});
