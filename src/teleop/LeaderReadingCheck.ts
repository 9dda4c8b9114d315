/**
 * The impossible-reading checks of the safety supervisor (src/safety/ObservationCheck.ts) applied
 * to a teleop leader's joint positions before they become the follower's targets: a leader
 * position not finite, beyond the leader's own limits by more than `positionMargin`, or a jump
 * from the joint's last good reading faster than `jumpFactor` × the leader joint's velocity limit
 * × (dt + one period) is bad (docs/safety.md, "Impossible joint readings are bad numbers too";
 * docs/cli.md, `teleop`). The values are the follower supervisor's own resolved config
 * (positionMargin, jumpFactor, badValue), so the leader is held to the tolerance the follower's
 * observations are.
 *
 * A leader arm is moved by hand with its torque off: its wrist can be turned past the 0/4095 wrap,
 * an encoder can glitch, a reply can pass its checksum and be corrupt. Such a reading used to be
 * passed through as the follower's target (review R25 F2: the follower swung 2.79 rad to its limit).
 *
 * Only the leader joints the follower follows are checked, in the follower's joint order: a glitch
 * on a leader joint the follower does not have does not hold the follower.
 *
 * Real-time rules: check() allocates nothing; reason() builds the event's string (on a bad reading).
 */
import { createObservation, type Observation, type RobotSpec } from '../core/robot.ts';
import { JointLimits } from '../safety/JointLimits.ts';
import { ObservationCheck } from '../safety/ObservationCheck.ts';
import type { ResolvedSafetyConfig } from '../safety/safetyConfig.ts';

export class LeaderReadingCheck {
  private readonly _check: ObservationCheck;
  /** The leader reading in follower order (positions only: a leader's velocity is not a target). */
  private readonly _obs: Observation;
  private readonly _names: readonly string[];

  /**
   * @param leader the leader's spec (its limits and velocity limits are the ones checked)
   * @param map follower joint i <- leader joint map[i]
   * @param config the follower supervisor's resolved config (SafetySupervisor.config)
   * @param period the loop's tick period (s)
   */
  constructor(leader: RobotSpec, private readonly map: Int32Array, config: ResolvedSafetyConfig, period: number) {
    const joints = Array.from(map, (k) => leader.joints[k]);
    const spec: RobotSpec = { ...leader, joints, sensors: { imu: false, contacts: [] } };
    this._names = joints.map((j) => j.name);
    this._check = new ObservationCheck(spec, new JointLimits(spec, period, config), config.badValue, Infinity, config.positionMargin, config.jumpFactor, period);
    this._obs = createObservation(spec);
  }

  /**
   * True when every followed leader position of `p` (leader order) is good; `out` (follower order)
   * then holds them. On a bad one reason() says which. A good joint's reading becomes its last good
   * one (the jump reference) even when another joint is bad, as in the supervisor.
   * @param time the reading's stamp (s, the loop clock)
   */
  check(p: Float32Array, time: number, out: Float32Array): boolean {
    const q = this._obs.jointPosition;
    const map = this.map;
    for (let i = 0; i < map.length; i++) q[i] = out[i] = p[map[i]];
    this._obs.time = time;
    this._check.update(this._obs);
    return !this._check.hasBad(this._obs);
  }

  /** The joint the last failed check() found bad. */
  get badJoint(): string {
    return this._names[this._check.badIndex];
  }

  /** Why the last failed check() found the reading bad: the joint, its value and the rule. */
  reason(): string {
    const c = this._check;
    return `${this._names[c.badIndex]} = ${c.badValue.toFixed(4)}: ${c.badReason()}`;
  }
}
