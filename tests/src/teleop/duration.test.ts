/**
 * `axon teleop --duration S` is time on the loop's wall clock, as `axon run`'s is
 * (src/session/runLive.ts, docs/cli.md "teleop"): a follower whose bus reads take three periods
 * runs fewer ticks in S, never S × 3 (review R15 F12, the teleop half).
 */
import { describe, expect, it } from 'vitest';
import { runTeleop } from '../../../src/teleop/runTeleop.ts';
import { joint, spec } from '../../helpers/fakes.ts';
import { FakeArm } from './teleopFakes.ts';
import type { Observation } from '../../../src/core/robot.ts';

const _sleeper = new Int32Array(new SharedArrayBuffer(4));

/** A follower whose every read blocks the thread for `readMs` (a slow bus: an overloaded adapter, retries). */
class SlowArm extends FakeArm {
  readMs = 0;
  override observe(): Observation {
    if (this.readMs > 0) Atomics.wait(_sleeper, 0, 0, this.readMs);
    return super.observe();
  }
}

describe('teleop --duration', () => {
  it('is wall time on the loop clock: reads of 3 periods give a 0.6 s run of fewer ticks, not 30 ticks of >= 1.8 s', async () => {
    // Joint order differs between the arms (matched by name), as a leader and follower config may.
    const f = spec([joint('shoulder_pan', { lower: -2, upper: 2, velocityLimit: 4 }), joint('gripper', { lower: 0, upper: 1.5, velocityLimit: 0.5 })]);
    const l = spec([joint('gripper', { lower: 0, upper: 1.5, velocityLimit: 0.5 }), joint('shoulder_pan', { lower: -2, upper: 2, velocityLimit: 4 })]);
    const leader = new FakeArm(l), follower = new SlowArm(f);
    follower.readMs = 60; // 3 periods at 50 Hz: each tick takes at least this long, however idle the host
    const r = await runTeleop(leader, follower, { hz: 50, durationS: 0.6, handleSignals: false, safety: { softStartS: 0.1 } });
    // 0.6 s at >= 60 ms a tick is at most 11 ticks (the old tick count ran all 30, 1.8 s or more).
    expect(r.loop.ticks).toBeLessThanOrEqual(11);
    expect(r.loop.ticks).toBeGreaterThan(0);
    expect(r.loop.timeS).toBeGreaterThanOrEqual(0.6 - 1e-6);
    expect(r.tracking.ticks).toBe(r.loop.ticks);
    expect(r.leaderPath.length).toBe(r.loop.ticks * 2);
  }, 30_000);

  it('a follower that keeps up runs its ticks (no tick lost to the clock rule)', async () => {
    const s = spec([joint('shoulder_pan', { lower: -2, upper: 2, velocityLimit: 4 })]);
    const r = await runTeleop(new FakeArm(s), new FakeArm(s), { hz: 50, durationS: 0.4, handleSignals: false, safety: { softStartS: 0.1 } });
    // 20 slots; a loaded host may skip some (loop.overruns), never run more.
    expect(r.loop.ticks).toBeLessThanOrEqual(20);
    expect(r.loop.ticks).toBeGreaterThan(0);
    expect(r.endedBy).toBe('duration');
  }, 30_000);
});
