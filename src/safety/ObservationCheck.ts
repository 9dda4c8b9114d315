import type { Observation, RobotSpec } from '../core/robot.ts';
import { clamp, type JointLimits } from './JointLimits.ts';

/** Why update() refused a finite joint position: not refused, beyond the limits, a jump. */
export const Impossible = { None: 0, Range: 1, Jump: 2 } as const;
export type Impossible = (typeof Impossible)[keyof typeof Impossible];

/**
 * What the safety supervisor reads from each observation: the last good position of every joint
 * (what soft start, the hold and the stop start from, and the rate limit's reference before any
 * target was sent), and a scan for bad numbers (a joint position or velocity, an IMU value that
 * is NaN, ±Inf or |x| > badValue; a joint position beyond its limits by more than positionMargin,
 * or one that moved more than jumpFactor × its velocity limit × (dt + one period) since its last
 * good reading).
 * A bad position never becomes the pose: the last good one stays (docs/safety.md, "Bad numbers
 * everywhere").
 *
 * Real-time rules: allocates nothing.
 */
export class ObservationCheck {
  /** Last good observed position per joint (rad | m), not clamped; before any, the spec's default pose within the limits (see known). */
  readonly pose: Float64Array;
  /** 1 once joint i had a good reading: until then its pose is the spec's default, never commanded with a spring (HoldCommand). */
  readonly known: Uint8Array;
  /** Number of joints with known[i] = 1. */
  knownCount = 0;
  // The bad observation value found (by update() for a refused position, else by hasBad()), read
  // only when hasBad() returned true.
  badField = '';
  badIndex = 0;
  badValue = 0;
  /** Why a finite position was found bad (Impossible.None: not finite or |x| > badValue), and the jump's dt (s). */
  badWhy: Impossible = Impossible.None;
  badDt = 0;
  /** Speed above which each joint is over speed (rad/s | m/s): overspeedFactor × its velocity limit, Infinity without one. */
  private readonly overspeedAt: Float64Array;
  /** Good position bounds: the limits widened by positionMargin. */
  readonly loOk: Float64Array;
  readonly hiOk: Float64Array;
  /** Largest speed (rad/s | m/s) a position change between readings may imply: jumpFactor × velocity limit, Infinity when off. */
  readonly jumpAt: Float64Array;
  /** Stamp (s) of joint i's last good reading. */
  private readonly goodAt: Float64Array;
  /** update() refused a finite position of the current observation (the first one is in bad*). */
  private _refused = false;

  constructor(
    spec: RobotSpec,
    private readonly lim: JointLimits,
    /** Anything with a magnitude above this is bad (SafetyConfig.badValue). */
    private readonly bad: number,
    /** SafetyConfig.overspeedFactor (Infinity: off). */
    overspeedFactor = Infinity,
    /** Resolved SafetyConfig.positionMargin (Infinity: off). */
    private readonly positionMargin = Infinity,
    /** Resolved SafetyConfig.jumpFactor (Infinity: off). */
    private readonly jumpFactor = Infinity,
    /** Tick period (s): the shortest dt a jump is measured over. */
    private readonly period = 0,
  ) {
    const n = lim.n;
    this.pose = new Float64Array(n);
    this.known = new Uint8Array(n);
    this.goodAt = new Float64Array(n);
    this.loOk = new Float64Array(n);
    this.hiOk = new Float64Array(n);
    const vl = (j: RobotSpec['joints'][number]) => Number.isFinite(j.velocityLimit) && j.velocityLimit > 0;
    this.overspeedAt = Float64Array.from(spec.joints, (j) => (vl(j) ? overspeedFactor * j.velocityLimit : Infinity));
    this.jumpAt = Float64Array.from(spec.joints, (j) => (vl(j) ? jumpFactor * j.velocityLimit : Infinity));
    for (let i = 0; i < n; i++) {
      const d = Number.isFinite(spec.joints[i].defaultPosition) ? spec.joints[i].defaultPosition : 0;
      this.pose[i] = clamp(d, lim.lo[i], lim.hi[i]);
      this.loOk[i] = lim.lo[i] - positionMargin; // -Infinity for an unbounded joint or no check
      this.hiOk[i] = lim.hi[i] + positionMargin;
    }
  }

  /** True once every joint had a good reading. */
  get allKnown(): boolean {
    return this.knownCount === this.lim.n;
  }

  /**
   * Takes the good joint positions of `obs` into `pose`; a bad one (not finite, |x| > badValue,
   * beyond its limits by the margin, or a jump from the joint's last good reading) keeps the last
   * good value, and the first such finite one goes to bad* for hasBad().
   * @param fresh false at arm: the reading is not compared with the one before (no jump check)
   */
  update(obs: Observation, fresh = true): void {
    const p = obs.jointPosition;
    const t = obs.time;
    this._refused = false;
    for (let i = 0; i < this.lim.n; i++) {
      const x = p[i];
      if (!(Math.abs(x) <= this.bad)) continue; // NaN, ±Inf, absurd: hasBad's scan names it
      let why: Impossible = Impossible.None;
      let dt = 0;
      if (x < this.loOk[i] || x > this.hiOk[i]) why = Impossible.Range;
      else if (fresh && this.known[i] === 1 && this.jumpAt[i] < Infinity) {
        dt = t - this.goodAt[i];
        if (!(dt > this.period)) dt = this.period; // also NaN stamps
        // Plus one period: a stamp is taken when a read completes, not when the servo sampled, so
        // a host pause before a stamp shrinks the next dt (docs/safety.md).
        if (Math.abs(x - this.pose[i]) > this.jumpAt[i] * (dt + this.period)) why = Impossible.Jump;
      }
      if (why === Impossible.None) {
        this.pose[i] = x;
        this.goodAt[i] = t;
        if (this.known[i] === 0) {
          this.known[i] = 1;
          this.knownCount++;
        }
      } else if (!this._refused) {
        this._refused = true;
        this.badField = 'jointPosition';
        this.badIndex = i;
        this.badValue = x;
        this.badWhy = why;
        this.badDt = dt;
      }
    }
  }

  /** True when every joint position of `obs` is good (finite, within the margin; no jump check): what arming needs. */
  positionsGood(obs: Observation): boolean {
    const p = obs.jointPosition;
    for (let i = 0; i < this.lim.n; i++) {
      const x = p[i];
      if (!(Math.abs(x) <= this.bad) || x < this.loOk[i] || x > this.hiOk[i]) return false;
    }
    return true;
  }

  /**
   * True when a joint position/velocity or IMU value is bad, or update() refused a position of
   * this observation; the field goes to badField/badIndex/badValue (badWhy, badDt for an
   * impossible position). Call after update(obs).
   */
  hasBad(obs: Observation): boolean {
    const n = this.lim.n;
    if (this._badIn(obs.jointPosition, n, 'jointPosition')) {
      this.badWhy = Impossible.None; // a non-finite or absurd position comes first
      return true;
    }
    if (this._refused) return true; // a finite but impossible position update() refused: bad* say which
    this.badWhy = Impossible.None;
    if (this._badIn(obs.jointVelocity, n, 'jointVelocity')) return true;
    const imu = obs.imu;
    if (imu === undefined) return false;
    return this._badIn(imu.orientation, 4, 'imu.orientation') || this._badIn(imu.angularVelocity, 3, 'imu.angularVelocity') || this._badIn(imu.linearAcceleration, 3, 'imu.linearAcceleration');
  }

  /** Why the value hasBad() found is bad, for its event (allocates: only on an event). */
  badReason(): string {
    const i = this.badIndex;
    const x = this.badValue;
    if (this.badWhy === Impossible.Range) {
      const lo = this.lim.lo[i];
      const hi = this.lim.hi[i];
      return `outside [${lo}, ${hi}] by ${(x < lo ? lo - x : x - hi).toFixed(3)} (more than the ${this.positionMargin} margin: impossible)`;
    }
    if (this.badWhy === Impossible.Jump) {
      const from = this.pose[i];
      return `jumped ${Math.abs(x - from).toFixed(3)} from ${from.toFixed(4)} in ${this.badDt.toFixed(3)} s (over ${this.jumpFactor} × its velocity limit ${this.jumpAt[i] / this.jumpFactor}: impossible)`;
    }
    return `not finite or |x| > ${this.bad}`;
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
