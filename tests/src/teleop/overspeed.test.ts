/**
 * The follower of `axon teleop` is a real arm, as `axon run`'s is: a joint sustained above twice
 * its velocity limit (back-driven, slipping) is a runaway the supervisor stops (docs/safety.md, "A
 * runaway joint stops the robot"; LIVE_OVERSPEED_FACTOR), whatever the leader asks.
 */
import { describe, expect, it } from 'vitest';
import { runTeleop } from '../../../src/teleop/runTeleop.ts';
import { LIVE_OVERSPEED_FACTOR } from '../../../src/session/runLive.ts';
import { joint, spec } from '../../helpers/fakes.ts';
import { FakeArm } from './teleopFakes.ts';

describe('teleop: a runaway follower joint', () => {
  it('is an overspeed event naming the joint, then safe-stop: ended_by safe_stop', async () => {
    // Joint order differs between the arms (matched by name); wrist_flex has a tiny limit, as vendor files carry.
    const f = spec([joint('shoulder_pan', { lower: -2, upper: 2, velocityLimit: 4 }), joint('wrist_flex', { velocityLimit: 0.5 })]);
    const l = spec([joint('wrist_flex', { velocityLimit: 0.5 }), joint('shoulder_pan', { lower: -2, upper: 2, velocityLimit: 4 })]);
    const leader = new FakeArm(l), follower = new FakeArm(f);
    follower.velocity[0] = 12; // 3x its 4 rad/s limit on every reading, the pose within its limits
    const r = await runTeleop(leader, follower, { hz: 50, durationS: 2, handleSignals: false, safety: { softStartS: 0.1 } });
    expect(r.safety.config.overspeedFactor).toBe(LIVE_OVERSPEED_FACTOR);
    expect([r.safety.config.positionMargin, r.safety.config.jumpFactor]).toEqual([0.1, 3]); // the whole live profile
    expect(r.safety.counts.overspeed).toBeGreaterThan(0);
    expect(r.safety.state).toBe('safe-stop');
    expect(r.safety.stopCause?.kind).toBe('overspeed');
    expect(r.safety.stopCause?.reason).toMatch(/shoulder_pan/);
    expect(r.endedBy).toBe('safe_stop');
  }, 30_000);

  it('a follower within its limits runs to the end (no overspeed)', async () => {
    const s = spec([joint('shoulder_pan', { lower: -2, upper: 2, velocityLimit: 4 })]);
    const leader = new FakeArm(s), follower = new FakeArm(s);
    follower.velocity[0] = 7.9; // under 2x its limit
    const r = await runTeleop(leader, follower, { hz: 50, durationS: 0.6, handleSignals: false, safety: { softStartS: 0.1 } });
    expect(r.safety.counts.overspeed).toBe(0);
    expect(r.endedBy).toBe('duration');
  }, 30_000);
});
