import { AxonError } from '../core/errors.ts';
import type { RobotSpec } from '../core/robot.ts';
import type { SafetyConfig } from './types.ts';

/** x within [lo, hi]; NaN stays NaN (a clamp is not a NaN guard, docs/style.md 4). */
export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** A JointSpec's kpMax / kdMax: absent = +Infinity; otherwise a number >= 0 (configure time). */
function gainMax(x: number | undefined, where: string): number {
  if (x === undefined) return Infinity;
  if (!(x >= 0)) throw new AxonError('SAFETY_CONFIG', where, `cannot use ${x}`, 'a gain maximum >= 0 (N·m/rad, N/m; N·m·s/rad, N·s/m)');
  return x;
}

/** A finite, non-negative number or `fallback` (spec sanitising, configure time). */
function nonNeg(x: number, fallback: number): number {
  return x >= 0 && !Number.isNaN(x) ? x : fallback;
}

/**
 * The per-joint limits and gains the safety supervisor enforces, sanitised from the RobotSpec
 * once (configure time, docs/style.md 2): the fixed model its checks, holds and stops read.
 */
export class JointLimits {
  readonly n: number;
  /** Position limits (rad | m); a NaN limit is unknown: unbounded. */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** Velocity and effort limits (rad/s | m/s, N·m | N); a NaN or negative limit reads 0 (the safe reading). */
  readonly vLim: Float64Array;
  readonly eLim: Float64Array;
  /** Spec gains, 0 on a passive joint (effort limit 0), capped by kpMax / kdMax. */
  readonly kp: Float64Array;
  readonly kd: Float64Array;
  /** Largest commandable gains (N·m/rad | N/m, N·m·s/rad | N·s/m), +Infinity when the spec sets none. */
  readonly kpMax: Float64Array;
  readonly kdMax: Float64Array;
  /** Damping of the hold / stop for joints without a position gain (see SafetySupervisor's class comment). */
  readonly kdStop: Float64Array;
  /** Largest change of a position target per tick (rad | m). */
  readonly maxStep: Float64Array;

  /**
   * @param period loop tick period (s)
   * @throws AxonError SAFETY_CONFIG for a kpMax / kdMax that is not a number >= 0
   */
  constructor(spec: RobotSpec, period: number, c: SafetyConfig) {
    const n = (this.n = spec.joints.length);
    this.lo = new Float64Array(n);
    this.hi = new Float64Array(n);
    this.vLim = new Float64Array(n);
    this.eLim = new Float64Array(n);
    this.kp = new Float64Array(n);
    this.kd = new Float64Array(n);
    this.kpMax = new Float64Array(n);
    this.kdMax = new Float64Array(n);
    this.kdStop = new Float64Array(n);
    this.maxStep = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const j = spec.joints[i];
      // A NaN limit is unknown: positions unbounded, speeds and efforts zero (the safe reading).
      this.lo[i] = Number.isNaN(j.lower) ? -Infinity : j.lower;
      this.hi[i] = Number.isNaN(j.upper) ? Infinity : j.upper;
      this.vLim[i] = nonNeg(j.velocityLimit, 0);
      this.eLim[i] = nonNeg(j.effortLimit, 0);
      const passive = this.eLim[i] === 0;
      this.kpMax[i] = gainMax(j.kpMax, `joint ${j.name} kpMax`);
      this.kdMax[i] = gainMax(j.kdMax, `joint ${j.name} kdMax`);
      this.kp[i] = passive || !Number.isFinite(j.kp) ? 0 : Math.min(nonNeg(j.kp, 0), this.kpMax[i]);
      this.kd[i] = passive || !Number.isFinite(j.kd) ? 0 : Math.min(nonNeg(j.kd, 0), this.kdMax[i]);
      // Unlimited effort or speed (a URDF or MJCF without them) gives no saturating damping: the spec's kd then (Inf/Inf was NaN, and a NaN kd went out as 0).
      const ratio = this.eLim[i] / (c.stopSaturationFraction * this.vLim[i]);
      const saturating = this.vLim[i] > 0 && Number.isFinite(ratio) ? ratio : 0;
      this.kdStop[i] = passive ? 0 : Math.min(Math.max(this.kd[i], saturating), this.kdMax[i]);
      this.maxStep[i] = this.vLim[i] * period * c.maxStepFraction;
    }
  }
}
