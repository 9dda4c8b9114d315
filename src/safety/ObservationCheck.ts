import type { Observation, RobotSpec } from '../core/robot.ts';
import { clamp, type JointLimits } from './JointLimits.ts';

/**
 * What the safety supervisor reads from each observation: the last finite position of every
 * joint (what soft start, the hold and the stop start from, and the rate limit's reference before
 * any target was sent), and a scan for bad numbers (a joint position or velocity, an IMU value
 * that is NaN, ±Inf or |x| > badValue).
 *
 * Real-time rules: allocates nothing.
 */
export class ObservationCheck {
  /** Last finite observed position per joint (rad | m); before any observation, the spec's default pose within the limits. */
  readonly pose: Float64Array;
  /** True once an observation was read (update()). */
  seen = false;
  // The field of the last bad observation value found (hasBad), read only when it returned true.
  badField = '';
  badIndex = 0;
  badValue = 0;
  /** Speed above which each joint is over speed (rad/s | m/s): overspeedFactor × its velocity limit, Infinity without one. */
  private readonly overspeedAt: Float64Array;

  constructor(
    spec: RobotSpec,
    private readonly lim: JointLimits,
    /** Anything with a magnitude above this is bad (SafetyConfig.badValue). */
    private readonly bad: number,
    /** SafetyConfig.overspeedFactor (Infinity: off). */
    overspeedFactor = Infinity,
  ) {
    this.pose = new Float64Array(lim.n);
    this.overspeedAt = Float64Array.from(spec.joints, (j) => (Number.isFinite(j.velocityLimit) && j.velocityLimit > 0 ? overspeedFactor * j.velocityLimit : Infinity));
    for (let i = 0; i < lim.n; i++) {
      const d = Number.isFinite(spec.joints[i].defaultPosition) ? spec.joints[i].defaultPosition : 0;
      this.pose[i] = clamp(d, lim.lo[i], lim.hi[i]);
    }
  }

  /** Takes the finite joint positions of `obs` into `pose` (a bad one keeps the last good value). */
  update(obs: Observation): void {
    const p = obs.jointPosition;
    for (let i = 0; i < this.lim.n; i++) {
      const x = p[i];
      if (Math.abs(x) <= this.bad) this.pose[i] = x; // false for NaN, ±Inf
    }
    this.seen = true;
  }

  /** Joint i's observed position within its limits (rad | m). */
  clamped(i: number): number {
    return clamp(this.pose[i], this.lim.lo[i], this.lim.hi[i]);
  }

  /** The observed pose within the limits, into out. */
  clampedPose(out: Float64Array): void {
    for (let i = 0; i < this.lim.n; i++) out[i] = this.clamped(i);
  }

  /** True when a joint position/velocity or IMU value is bad; the field goes to badField/badIndex/badValue. */
  hasBad(obs: Observation): boolean {
    const n = this.lim.n;
    if (this._badIn(obs.jointPosition, n, 'jointPosition') || this._badIn(obs.jointVelocity, n, 'jointVelocity')) return true;
    const imu = obs.imu;
    if (imu === undefined) return false;
    return this._badIn(imu.orientation, 4, 'imu.orientation') || this._badIn(imu.angularVelocity, 3, 'imu.angularVelocity') || this._badIn(imu.linearAcceleration, 3, 'imu.linearAcceleration');
  }

  /**
   * The first joint whose observed speed is above its overspeed bound, or -1; its speed goes to
   * badValue. Call after hasBad() returned false (velocities are finite).
   */
  overspeed(obs: Observation): number {
    const v = obs.jointVelocity;
    for (let i = 0; i < this.lim.n; i++) {
      if (Math.abs(v[i]) > this.overspeedAt[i]) {
        this.badValue = v[i];
        return i;
      }
    }
    return -1;
  }

  private _badIn(a: ArrayLike<number>, n: number, field: string): boolean {
    const bad = this.bad;
    for (let i = 0; i < n; i++) {
      const x = a[i]; // undefined past a short array: bad
      if (!(Math.abs(x) <= bad)) {
        this.badField = field;
        this.badIndex = i;
        this.badValue = typeof x === 'number' ? x : Number.NaN;
        return true;
      }
    }
    return false;
  }
}
