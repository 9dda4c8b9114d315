/**
 * An asynchronous policy that has not answered yet (PolicyStatus.pending) drives nothing: the
 * loop holds the pose until its first action, without counting deadline misses, and the wait is
 * bounded by the policy's stall bound on the loop clock (review R15 F11: its placeholder zeros were
 * sent as an action, and for a joint_position policy zero is the manifest's default pose).
 */
import { describe, expect, it } from 'vitest';
import { ControlLoop } from '../../../src/loop/ControlLoop.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../../src/model/ActionMapper.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { PassThroughHook } from '../../../src/worldmodel/types.ts';
import { validateManifest, type ModelManifest } from '../../../src/model/manifest.ts';
import type { Policy, PolicyStatus } from '../../../src/policy/Policy.ts';
import type { SafetyEvent, SafetyState } from '../../../src/safety/types.ts';
import { PointMassRobot, joint, manifest, spec } from '../../helpers/fakes.ts';
import { VirtualClock } from './VirtualClock.ts';

const HZ = 50;
const PERIOD = 1 / HZ;
const START = 0.1; // the robot's pose at arming (rad)
const DEFAULT = 0.5; // the manifest's default pose: where a zero joint_position action goes
const ACTION = 0.2; // the policy's first real action: target DEFAULT + ACTION

/**
 * An AsyncPolicy's contract without its thread: a placeholder of zeros and `pending` until the
 * `answerAt`-th call, stalled once its first request is older than `stallS` on the `now` it is given.
 */
class WorkerLikePolicy implements Policy {
  readonly inputSize = 2;
  readonly outputSize = 1;
  readonly status: PolicyStatus = { actionAge: 0, inferenceS: 0, stalled: false, pending: true };
  readonly nows: number[] = [];
  private readonly out = new Float32Array(1);
  private calls = 0;
  private requestAt = Number.NaN;
  constructor(
    readonly manifest: ModelManifest,
    private readonly answerAt: number,
    private readonly stallS: number,
  ) {}
  reset(): void {}
  act(_input: Float32Array, now?: number): Float32Array {
    this.nows.push(now ?? Number.NaN);
    if (Number.isNaN(this.requestAt)) this.requestAt = now!;
    if (this.calls++ >= this.answerAt) {
      this.out[0] = ACTION;
      this.status.pending = false;
    }
    this.status.stalled = this.status.pending && now! - this.requestAt > this.stallS;
    return this.out;
  }
  async close(): Promise<void> {}
}

function setup(answerAt: number, stallS: number, ticks = 30) {
  const robot = new PointMassRobot(spec([joint('a', { lower: -2, upper: 2, velocityLimit: 100, effortLimit: 50, kp: 20, kd: 2 })]), 0.002);
  robot.q[0] = START;
  const m = validateManifest(manifest({ joints: ['a'], control_hz: HZ, default_joint_pos: [DEFAULT], action: { type: 'joint_position', scale: 1 } }));
  const policy = new WorkerLikePolicy(m, answerAt, stallS);
  const clock = new VirtualClock(PERIOD, (dt) => robot.step(dt));
  const safety = new SafetySupervisor(robot.spec, PERIOD, { maxStepFraction: 1e6, softStartS: 0 });
  const loop = new ControlLoop({ robot, clock, builder: new ObservationBuilder(m, robot.spec), policy, worldModel: new PassThroughHook(), mapper: new ActionMapper(m, robot.spec), safety, maxTicks: ticks });
  const states: SafetyState[] = [];
  const events: SafetyEvent[] = [];
  loop.records$.subscribe((r) => states.push(r.safetyState));
  safety.events$.subscribe((e) => events.push(e));
  return { robot, policy, safety, loop, states, events };
}

describe('a policy with no action yet (virtual time)', () => {
  it('holds the pose it armed in until the first action, no deadline miss counted, then follows the policy', async () => {
    const { robot, loop, states, events, policy } = setup(6, 0.2);
    const r = await loop.run();
    expect(r.ticks).toBe(30);
    // Ticks 0-5: the placeholder (zeros, i.e. the default pose 0.5) is never sent: the hold pose, degraded (a held frame).
    for (let k = 0; k < 6; k++) {
      expect(robot.commands[k].target[0], `tick ${k}`).toBeCloseTo(START, 6);
      expect(states[k]).toBe('degraded');
    }
    expect(events.some((e) => e.kind === 'policy_deadline')).toBe(false);
    expect(events.find((e) => e.kind === 'state_change' && e.state === 'degraded')!.reason).toContain('policy has given no action yet');
    // From its first action on: the policy's target, running.
    for (let k = 6; k < 30; k++) {
      expect(robot.commands[k].target[0]).toBeCloseTo(DEFAULT + ACTION, 6);
      expect(states[k]).toBe('running');
    }
    // The loop gives the policy its clock's time (the stall is judged on it).
    expect(policy.nows.slice(0, 3)).toEqual([0, PERIOD, 2 * PERIOD]);
  });

  it('no first action within the stall bound: policy_deadline from then on, safe-stop at the 3rd, never the placeholder sent', async () => {
    const stallS = 0.1; // 5 periods
    const { robot, loop, states, events } = setup(1000, stallS);
    await loop.run();
    const misses = events.filter((e) => e.kind === 'policy_deadline');
    // Tick 6 (0.12 s) is the first whose request is older than 0.1 s.
    expect(misses[0]).toMatchObject({ seq: 6, state: 'degraded' });
    expect(misses[0].reason).toContain('no first action within its bound');
    expect(misses[2]).toMatchObject({ seq: 8, state: 'safe-stop' });
    expect(states.slice(0, 8).every((s) => s === 'degraded')).toBe(true);
    expect(states.slice(8).every((s) => s === 'safe-stop')).toBe(true);
    for (const c of robot.commands) expect(Math.abs(c.target[0] - START)).toBeLessThan(0.01);
  });
});
