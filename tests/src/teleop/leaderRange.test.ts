/**
 * A teleop leader position past the leader's own limits (its calibrated range) is taken as the
 * range's end, as LeRobot's bus bounds a reading to its calibration before normalising it: an
 * operator who swept a little less at calibration than they move now is followed at the end of the
 * range, not held and safe-stopped (it was refused once past the range by the 0.1 rad live margin).
 * A reading far past the range (a wrist turned past the encoder's wrap reads at the other end) is
 * still refused, by the jump rule; NaN and ±Inf still are too (src/teleop/LeaderReadingCheck.ts).
 */
import { describe, expect, it } from 'vitest';
import type { JointSpec, RobotSpec } from '../../../src/core/robot.ts';
import { resolveSafetyConfig } from '../../../src/safety/safetyConfig.ts';
import { liveSafetyConfig } from '../../../src/safety/types.ts';
import { LeaderReadingCheck } from '../../../src/teleop/LeaderReadingCheck.ts';

const joint = (name: string, lower: number, upper: number): JointSpec => ({ name, type: 'revolute', lower, upper, velocityLimit: 4, effortLimit: 0, defaultPosition: 0, kp: 0, kd: 0 });
/** A leader as a LeRobot calibration leaves it: the gripper's range is what was swept. Its file order is not the follower's. */
const leader: RobotSpec = { name: 'leader', joints: [joint('gripper', -0.17, 1.75), joint('wrist_roll', -2.79253, 2.79253)], sensors: { imu: false, contacts: [] } } as unknown as RobotSpec;
const period = 0.02;
/** follower [wrist_roll, gripper] <- leader [1, 0] */
const check = () => new LeaderReadingCheck(leader, Int32Array.from([1, 0]), resolveSafetyConfig(period, liveSafetyConfig), period);

/** Feeds leader readings [gripper, wrist_roll], one per tick; the follower targets and whether each was good. */
function feed(c: LeaderReadingCheck, readings: [number, number][]) {
  const out = new Float32Array(2);
  return readings.map(([g, w], k) => {
    const ok = c.check(Float32Array.from([g, w]), k * period, out);
    return { ok, wrist: out[0], gripper: out[1], reason: ok ? '' : c.reason() };
  });
}

describe('a teleop leader past its calibrated range', () => {
  it('moved smoothly 0.3 rad past its gripper range: followed at the range end, never refused', () => {
    const steps: [number, number][] = [];
    for (let k = 0; k <= 40; k++) steps.push([1.6 + 0.01 * k, 0]); // 1.6 -> 2.0 rad at 0.5 rad/s
    const c = check();
    const r = feed(c, steps);
    expect(r.every((x) => x.ok)).toBe(true); // was: refused from 1.85 on (past 1.75 by more than 0.1)
    expect(c.pastRange()).toEqual({ gripper: steps.filter(([g]) => Math.fround(g) - 1.75 > 1e-5).length }); // counted for the summary's leader_past_range
    expect(r.at(-1)!.gripper).toBeCloseTo(1.75, 5);
    expect(r[10].gripper).toBeCloseTo(1.7, 5); // inside: as read
  });

  it('a wrist turned past the encoder wrap (reads at the other end) is refused by the jump rule, naming what was read', () => {
    const r = feed(check(), [
      [0, 2.7],
      [0, 2.75],
      [0, -3.1],
    ]);
    expect(r.map((x) => x.ok)).toEqual([true, true, false]);
    expect(r[2].reason).toMatch(/^wrist_roll = -2\.7925 \(read -3\.1000, past its range\): jumped 5\.\d+ from 2\.7500 in 0\.020 s \(over 3 × its velocity limit 4: impossible\)/);
  });

  it.each([NaN, Infinity, -Infinity])('a reading of %s is still refused (not taken as a range end)', (v) => {
    const r = feed(check(), [
      [0, 0],
      [v, 0],
    ]);
    expect(r.map((x) => x.ok)).toEqual([true, false]);
    expect(r[1].reason).toMatch(/^gripper = /);
  });

  it('a leader held at its calibrated end is not counted past its range (its float32 reading sits up to 1e-6 past a 6-decimal limit)', () => {
    const end: RobotSpec = { ...leader, joints: [joint('gripper', -0.17, 1.460349), leader.joints[1]] } as RobotSpec;
    const c = new LeaderReadingCheck(end, Int32Array.from([1, 0]), resolveSafetyConfig(period, liveSafetyConfig), period);
    const r = feed(c, Array.from({ length: 50 }, (): [number, number] => [1.460349678993225, 0]));
    expect(r.every((x) => x.ok)).toBe(true);
    expect(c.pastRange()).toEqual({}); // was { gripper: 50 }
  });
});
