/**
 * The impossible-reading checks of the safety supervisor (src/safety/ObservationCheck.ts) applied
 * to a teleop leader's joint positions before they become the follower's targets: a leader
 * position not finite, or a jump from the joint's last good reading faster than `jumpFactor` × the
 * leader joint's velocity limit × (dt + one period), is bad (docs/safety.md, "Impossible joint
 * readings are bad numbers too"; docs/cli.md, `teleop`). The values are the follower supervisor's
 * own resolved config (jumpFactor, badValue), so the leader is held to the tolerance the follower's
 * observations are.
 *
 * A leader position past the leader's own limits (its calibrated range) is first taken as that
 * range's end, as LeRobot's bus bounds a reading to its calibration before normalising it: a leader
 * is moved by hand, and an operator who swept a little less at calibration than they move now is
 * followed at the end of the range, not stopped. A reading far past it (a wrist turned past the
 * encoder's wrap reads at the other end) is a jump of the range's width, and refused as one.
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

/**
 * How far past its range (rad | m) a leader reading must be to be counted in pastRange(): a servo held
 * at its calibrated end reads, in float32, up to about 1e-6 past a limit rounded to 6 decimals.
 */
const PAST_RANGE_TOLERANCE = 1e-5;

export class LeaderReadingCheck {
  private readonly _check: ObservationCheck;
  /** The leader reading in follower order (positions only: a leader's velocity is not a target). */
  private readonly _obs: Observation;
  private readonly _names: readonly string[];
  /** The followed leader joints' limits (follower order) and the last check's readings as read. */
  private readonly _lo: Float64Array;
  private readonly _hi: Float64Array;
  private readonly _raw: Float32Array;
  /** Per followed joint: the checks whose reading was past the range and taken as its end. */
  private readonly _past: Int32Array;

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
    const lim = new JointLimits(spec, period, config);
    this._check = new ObservationCheck(spec, lim, config.badValue, Infinity, config.positionMargin, config.jumpFactor, period);
    this._obs = createObservation(spec);
    this._lo = lim.lo;
    this._hi = lim.hi;
    this._raw = new Float32Array(map.length);
    this._past = new Int32Array(map.length);
  }

  /**
   * True when every followed leader position of `p` (leader order) is good; `out` (follower order)
   * then holds them, each within the leader's range (a position past it taken as its end). On a bad
   * one reason() says which. A good joint's reading becomes its last good
   * one (the jump reference) even when another joint is bad, as in the supervisor.
   * @param time the reading's stamp (s, the loop clock)
   */
  check(p: Float32Array, time: number, out: Float32Array): boolean {
    const q = this._obs.jointPosition;
    const map = this.map;
    const lo = this._lo, hi = this._hi, raw = this._raw;
    for (let i = 0; i < map.length; i++) {
      const v = (raw[i] = p[map[i]]);
      const c = !Number.isFinite(v) ? v : v < lo[i] ? lo[i] : v > hi[i] ? hi[i] : v; // NaN, ±Inf stay: the check refuses them
      if (c === c && Math.abs(v - c) > PAST_RANGE_TOLERANCE) this._past[i]++; // not a float32 reading of the end itself
      q[i] = out[i] = c;
    }
    this._obs.time = time;
    this._check.update(this._obs);
    return !this._check.hasBad(this._obs);
  }

  /**
   * The followed joints read past the leader's range (taken as its end), with how many checks did:
   * a calibration that does not cover what the operator moves (allocates: for the run's summary).
   */
  pastRange(): Record<string, number> {
    const r: Record<string, number> = {};
    this._past.forEach((k, i) => {
      if (k > 0) r[this._names[i]] = k;
    });
    return r;
  }

  /** The joint the last failed check() found bad. */
  get badJoint(): string {
    return this._names[this._check.badIndex];
  }

  /** Why the last failed check() found the reading bad: the joint, its value and the rule. */
  reason(): string {
    const c = this._check;
    const i = c.badIndex;
    const read = Object.is(this._raw[i], this._obs.jointPosition[i]) ? '' : ` (read ${this._raw[i].toFixed(4)}, past its range)`;
    return `${this._names[i]} = ${c.badValue.toFixed(4)}${read}: ${c.badReason()}`;
  }
}
