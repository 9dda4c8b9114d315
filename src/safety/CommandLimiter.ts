import type { JointCommand, RobotSpec } from '../core/robot.ts';
import type { JointLimits } from './JointLimits.ts';
import type { ObservationCheck } from './ObservationCheck.ts';
import type { SafetyEvents } from './SafetyEvents.ts';
import type { SafetyConfig, SafetyState } from './types.ts';

/** Relative error of a number rounded to float32 (2⁻²⁴), doubled: a target this close beyond a position limit is the limit itself. */
const F32_ROUNDING = 2 ** -23;

/**
 * The safety supervisor's checks on the command itself, on a tick where nothing else holds it:
 * a command with a bad number (NaN, ±Inf, |x| > badValue) or an unsupported mode is rejected as
 * a whole (rejects()); a clean one has its targets clamped to the joint limits, blended from the
 * arm pose (the measured one, outside the limits too) during soft start, its position steps rate
 * limited (from the measured pose on the first tick) and its gains clamped to
 * [0, kpMax / kdMax] (limit()); a last net replaces anything non-finite (finiteNet()). Each
 * intervention is an event.
 *
 * Keeps the last position target sent: the next tick's rate-limit reference, and the pose the
 * degraded hold keeps (HoldCommand).
 *
 * Real-time rules: allocates only for events; SafetySupervisor.check() catches what a malformed
 * argument throws.
 */
export class CommandLimiter {
  /** Last position target sent (rad | m), valid while havePrev. */
  readonly prevTarget: Float64Array;
  havePrev = false;
  private readonly _armPose: Float64Array;
  private _armTime = 0; // s, loop time at arm
  private _softStartAnnounced = false;

  constructor(
    private readonly spec: RobotSpec,
    private readonly lim: JointLimits,
    private readonly config: SafetyConfig,
    private readonly events: SafetyEvents,
    private readonly observed: ObservationCheck,
  ) {
    this.prevTarget = new Float64Array(lim.n);
    this._armPose = new Float64Array(lim.n);
  }

  /**
   * Commanding (re)starts at `now` (s, loop time) from the observed pose as it is, outside the
   * limits too: soft start begins, no target sent yet. The policy's targets are clamped into the
   * limits, and the soft start and rate limit bring the joint there from where it is.
   */
  arm(now: number): void {
    this._armPose.set(this.observed.pose);
    this._armTime = now;
    this._softStartAnnounced = false;
    this.havePrev = false;
  }

  /**
   * True (and one 'non_finite' event, whose state is `rejectState`) when the command must be
   * rejected as a whole: a mode the robot does not support, or a bad number in an array.
   */
  rejects(cmd: JointCommand, rejectState: SafetyState, now: number, seq: number): boolean {
    const mode = cmd.mode;
    if ((mode !== 'position' && mode !== 'velocity' && mode !== 'effort') || !this.spec.controlModes.includes(mode)) {
      this.events.emit('non_finite', now, seq, `mode '${String(mode)}' is not supported by robot ${this.spec.name}: command rejected`, rejectState);
      return true;
    }
    return (
      this._rejectsArray(cmd.target, 'target', rejectState, now, seq) ||
      this._rejectsArray(cmd.kp, 'kp', rejectState, now, seq) ||
      this._rejectsArray(cmd.kd, 'kd', rejectState, now, seq) ||
      this._rejectsArray(cmd.feedforward, 'feedforward', rejectState, now, seq)
    );
  }

  /** Clamps, soft start and rate limit a clean command into `out`; events carry `state`. */
  limit(cmd: JointCommand, state: SafetyState, now: number, seq: number, out: JointCommand): void {
    const lim = this.lim;
    const n = lim.n;
    const names = this.spec.joints;
    const mode = cmd.mode;
    out.mode = mode;

    let alpha = 1;
    if (this.config.softStartS > 0) {
      alpha = (now - this._armTime) / this.config.softStartS;
      if (!(alpha > 0)) alpha = 0; // also NaN: stay at the arm pose
      else if (alpha > 1) alpha = 1;
      if (alpha < 1 && !this._softStartAnnounced) {
        this._softStartAnnounced = true;
        this.events.emit('soft_start', now, seq, `targets blended from the arm pose over ${this.config.softStartS} s`, state);
      }
    }

    for (let i = 0; i < n; i++) {
      const el = lim.eLim[i];
      let t = cmd.target[i];
      if (mode === 'position') {
        const lo = lim.lo[i];
        const hi = lim.hi[i];
        if (t < lo || t > hi) {
          // A target at the limit that went through float32 (a model's output, a pose read as float32) may lie one rounding beyond it: held at the limit without an event.
          if (t < lo - Math.abs(lo) * F32_ROUNDING || t > hi + Math.abs(hi) * F32_ROUNDING)
            this.events.emit('position_clamp', now, seq, `target ${t} outside [${lo}, ${hi}]`, state, names[i].name, t);
          t = t < lo ? lo : hi;
        }
        if (alpha < 1) t = this._armPose[i] + alpha * (t - this._armPose[i]);
        const prev = this.havePrev ? this.prevTarget[i] : this.observed.pose[i]; // the measured pose, not clamped: no step to the limit
        const d = t - prev;
        const ms = lim.maxStep[i];
        if (d > ms || d < -ms) {
          this.events.emit('rate_limit', now, seq, `step ${d} beyond ${ms} per tick`, state, names[i].name, d);
          t = d > 0 ? prev + ms : prev - ms;
        }
        this.prevTarget[i] = t;
      } else if (mode === 'velocity') {
        const vl = lim.vLim[i];
        if (t > vl || t < -vl) {
          this.events.emit('velocity_clamp', now, seq, `velocity target ${t} beyond ±${vl}`, state, names[i].name, t);
          t = t > 0 ? vl : -vl;
        }
        t *= alpha;
      } else {
        if (t > el || t < -el) {
          this.events.emit('effort_clamp', now, seq, `effort target ${t} beyond ±${el}`, state, names[i].name, t);
          t = t > 0 ? el : -el;
        }
        t *= alpha;
      }
      out.target[i] = t + 0; // +0: no -0 in the output

      let ff = cmd.feedforward ? cmd.feedforward[i] : 0;
      if (ff > el || ff < -el) {
        this.events.emit('effort_clamp', now, seq, `feedforward ${ff} beyond ±${el}`, state, names[i].name, ff);
        ff = ff > 0 ? el : -el;
      }
      if (out.feedforward) out.feedforward[i] = mode === 'effort' ? 0 : ff * alpha + 0;

      const passive = el === 0 || mode === 'effort';
      if (out.kp) out.kp[i] = passive ? 0 : cmd.kp ? this._gain(cmd.kp[i], lim.kpMax[i], 'kp', state, now, seq, i) : lim.kp[i];
      if (out.kd) out.kd[i] = passive ? 0 : cmd.kd ? this._gain(cmd.kd[i], lim.kdMax[i], 'kd', state, now, seq, i) : lim.kd[i];
    }
    this.havePrev = mode === 'position';
  }

  /** Last line of defence: no non-finite number ever leaves the supervisor. */
  finiteNet(out: JointCommand): void {
    for (let i = 0; i < this.lim.n; i++) {
      if (!Number.isFinite(out.target[i])) {
        out.target[i] = out.mode === 'position' ? this.observed.pose[i] : 0;
      }
      if (out.kp && !Number.isFinite(out.kp[i])) out.kp[i] = 0;
      if (out.kd && !Number.isFinite(out.kd[i])) out.kd[i] = 0;
      if (out.feedforward && !Number.isFinite(out.feedforward[i])) out.feedforward[i] = 0;
    }
  }

  private _rejectsArray(a: Float64Array | undefined, field: string, rejectState: SafetyState, now: number, seq: number): boolean {
    if (a === undefined) return false;
    const bad = this.config.badValue;
    for (let i = 0; i < this.lim.n; i++) {
      const x = a[i]; // undefined past a short array: rejected below
      if (!(Math.abs(x) <= bad) || !Number.isFinite(x)) {
        const joint = this.spec.joints[i].name;
        this.events.emit(
          'non_finite',
          now,
          seq,
          `${field}[${i}] (${joint}) = ${x}: not finite or |x| > ${bad}, whole command rejected`,
          rejectState,
          joint,
          typeof x === 'number' ? x : Number.NaN,
        );
        return true;
      }
    }
    return false;
  }

  /** A commanded gain bounded to [0, max] ('gain_clamp' when it was outside). */
  private _gain(g: number, max: number, which: 'kp' | 'kd', state: SafetyState, now: number, seq: number, i: number): number {
    if (g >= 0 && g <= max) return g;
    const to = g > max ? max : 0;
    this.events.emit('gain_clamp', now, seq, `${which} ${g} outside [0, ${max}]: ${to} sent`, state, this.spec.joints[i].name, g);
    return to;
  }
}
