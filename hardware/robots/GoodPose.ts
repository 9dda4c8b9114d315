/**
 * A servo robot's own last good joint positions (FeetechRobot, DynamixelRobot): what its goal
 * clamp and its `hold` safe stop start from, so that a reading the safety supervisor refuses never
 * drives a servo (docs/safety.md, "Impossible joint readings are bad numbers too": "A bad reading
 * never becomes the pose the supervisor holds"; review R25 F1: the robot clamped goals around an
 * encoder glitch and its hold commanded the glitch).
 *
 * The rule is the supervisor's on a live run (src/safety/ObservationCheck.ts, its constants from
 * src/safety/types.ts): a reading beyond the joint's limits by more than LIVE_POSITION_MARGIN, or a
 * change from the joint's last good reading larger than LIVE_JUMP_FACTOR × its velocity limit ×
 * (dt + one tick period), is refused and the last good reading stays. One difference, on purpose:
 * dt is the time since the robot's previous complete read (good or refused), not since the last
 * good one. A reading stuck at a glitch then stays refused however long it lasts (measured from the
 * last good reading, the bound grows with the time and took the glitch after 0.17 s on an SO-101
 * wrist), while a gap without any read (a stale bus) still widens the bound as the supervisor's
 * does. The supervisor has latched its stop pose by then; the robot's hold must not move on either.
 * A joint without limits (NaN, infinite) or without a velocity limit skips that check.
 *
 * Real-time rules: take() allocates nothing.
 */
import type { JointSpec } from '../../src/core/robot.ts';
import { LIVE_JUMP_FACTOR, LIVE_POSITION_MARGIN } from '../../src/safety/types.ts';

export class GoodPose {
  readonly n: number;
  /** Last good position per joint (rad | m); NaN before the first. */
  readonly pose: Float64Array;
  /** 1 where the latest complete read was refused (its value in `refusedValue`). */
  readonly refused: Uint8Array;
  readonly refusedValue: Float64Array;
  private readonly _lo: Float64Array;
  private readonly _hi: Float64Array;
  /** Largest speed a change between two reads may imply: LIVE_JUMP_FACTOR × velocity limit (Infinity: no check). */
  private readonly _jumpAt: Float64Array;
  private _readAt = Number.NaN;

  constructor(
    joints: readonly JointSpec[],
    /** Tick period (s): the shortest dt a jump is measured over. */
    private readonly period: number,
  ) {
    const n = (this.n = joints.length);
    this.pose = new Float64Array(n).fill(Number.NaN);
    this.refused = new Uint8Array(n);
    this.refusedValue = new Float64Array(n);
    const bound = (x: number, inf: number) => (Number.isFinite(x) ? x : inf);
    this._lo = Float64Array.from(joints, (j) => bound(j.lower, -Infinity) - LIVE_POSITION_MARGIN);
    this._hi = Float64Array.from(joints, (j) => bound(j.upper, Infinity) + LIVE_POSITION_MARGIN);
    this._jumpAt = Float64Array.from(joints, (j) => (Number.isFinite(j.velocityLimit) && j.velocityLimit > 0 ? LIVE_JUMP_FACTOR * j.velocityLimit : Infinity));
  }

  /**
   * A complete read (`pos`, joint units) that ended at steady time `t` (s): takes the good
   * positions, refuses the others (`refused`). Returns how many were refused.
   */
  take(pos: ArrayLike<number>, t: number): number {
    let dt = t - this._readAt;
    if (!(dt > this.period)) dt = this.period; // also the first read (NaN)
    this._readAt = t;
    let bad = 0;
    for (let i = 0; i < this.n; i++) {
      const x = pos[i];
      const last = this.pose[i];
      const ok = Number.isFinite(x) && x >= this._lo[i] && x <= this._hi[i] && (Number.isNaN(last) || !(Math.abs(x - last) > this._jumpAt[i] * (dt + this.period)));
      if (ok) {
        this.pose[i] = x;
        this.refused[i] = 0;
      } else {
        this.refused[i] = 1;
        this.refusedValue[i] = x;
        bad++;
      }
    }
    return bad;
  }

  /**
   * The joints whose latest read was refused, for a safe_stop event: `; held at the last good
   * reading: wrist_roll (id 5) read -2.988 rad, held at -0.400` ('' when none). Allocates.
   */
  heldNote(names: readonly string[]): string {
    const parts: string[] = [];
    for (let i = 0; i < this.n; i++) {
      if (this.refused[i] === 0) continue;
      const last = this.pose[i];
      parts.push(`${names[i]} read ${this.refusedValue[i].toFixed(3)}, held at ${Number.isNaN(last) ? 'no good reading' : last.toFixed(3)}`);
    }
    return parts.length === 0 ? '' : `; the last good reading kept where the latest was impossible (beyond the limits or a jump, docs/safety.md): ${parts.join(', ')}`;
  }
}
