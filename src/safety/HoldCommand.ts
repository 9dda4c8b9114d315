import type { ControlMode, JointCommand, Observation } from '../core/robot.ts';
import type { CommandLimiter } from './CommandLimiter.ts';
import { clamp, type JointLimits } from './JointLimits.ts';
import type { ObservationCheck } from './ObservationCheck.ts';

/**
 * The command the safety supervisor sends instead of the policy's: the degraded hold (the last
 * position target sent, else the observed pose) and the safe-stop / e-stopped stop (the pose
 * observed when the stop was entered). Both bring every driven joint to rest: a joint with a
 * position gain holds the pose with its spec gains, one without is damped with kd_stop
 * (JointLimits.kdStop; the stop-time bound is in SafetySupervisor's class comment). The pose is
 * the last good reading as measured, not clamped into the limits (a robot outside them is held
 * where it is, not pulled to the limit in one step) and never a bad one (a glitch does not become
 * the stop pose); a joint with no good reading yet has no pose to hold and is only damped (kp 0,
 * kd_stop) until it has one.
 *
 * Real-time rules: allocates nothing.
 */
export class HoldCommand {
  /** Mode of the hold / stop output: position if the robot supports it, else effort, else velocity. */
  readonly mode: ControlMode;
  /** False until the stop pose is captured: captured from the first observation check() sees. */
  stopPoseValid = false;
  private readonly _stopPose: Float64Array;
  /** 1 where _stopPose[i] was captured (joint i had a good reading). */
  private readonly _stopSet: Uint8Array;

  constructor(
    modes: readonly ControlMode[],
    private readonly lim: JointLimits,
    /** Anything with a magnitude above this is bad (SafetyConfig.badValue). */
    private readonly bad: number,
    private readonly observed: ObservationCheck,
    private readonly limiter: CommandLimiter,
  ) {
    this.mode = modes.includes('position') ? 'position' : modes.includes('effort') ? 'effort' : 'velocity';
    this._stopPose = new Float64Array(lim.n);
    this._stopSet = new Uint8Array(lim.n);
  }

  /** The pose the stop holds: the last good observed one; a joint without one is captured from its first good reading. */
  captureStopPose(): void {
    this._stopSet.fill(0);
    this._fillStopPose();
  }

  /** Captures the joints not captured yet that have a good reading now; valid once all have. */
  private _fillStopPose(): void {
    const o = this.observed;
    let all = true;
    for (let i = 0; i < this.lim.n; i++) {
      if (this._stopSet[i] === 1) continue;
      if (o.known[i] === 1) {
        this._stopPose[i] = o.pose[i];
        this._stopSet[i] = 1;
      } else all = false;
    }
    this.stopPoseValid = all;
  }

  /** Degraded hold: the last position target sent, else the observed pose; damping without position mode. */
  writeHold(obs: Observation, out: JointCommand): void {
    const limiter = this.limiter;
    if (this.mode === 'position' && !limiter.havePrev) {
      limiter.prevTarget.set(this.observed.pose);
      limiter.havePrev = this.observed.allKnown; // else taken again once every joint has a reading
    }
    this._writeSafe(obs, out, limiter.prevTarget, this.observed.known);
  }

  /** safe-stop / e-stopped: hold the pose observed when the stop was entered (or damp). */
  writeStop(obs: Observation, out: JointCommand): void {
    if (!this.stopPoseValid) this._fillStopPose();
    this._writeSafe(obs, out, this._stopPose, this._stopSet);
    if (this.mode === 'position') {
      this.limiter.prevTarget.set(this._stopPose);
      this.limiter.havePrev = true;
    }
  }

  /**
   * Position mode: hold `pose` with the spec gains; a joint with kp 0, or without a pose
   * (set[i] 0: no good reading yet), is damped to rest with kd_stop; a passive joint gets no gains. Velocity mode: target 0 with gain kd_stop. Effort
   * mode (loop rate): effort = clamp(-kd × velocity), kd the spec's when > 0, else kd_stop.
   */
  private _writeSafe(obs: Observation, out: JointCommand, pose: Float64Array, set: Uint8Array): void {
    const lim = this.lim;
    const mode = this.mode;
    out.mode = mode;
    const vel = obs.jointVelocity;
    const bad = this.bad;
    for (let i = 0; i < lim.n; i++) {
      let t = 0;
      let kp = 0;
      let kd = 0;
      if (mode === 'position') {
        t = pose[i];
        kp = set[i] === 1 ? lim.kp[i] : 0;
        kd = kp > 0 ? lim.kd[i] : lim.kdStop[i];
      } else if (mode === 'velocity') {
        kd = lim.kdStop[i];
      } else {
        const v = vel[i];
        const el = lim.eLim[i];
        const d = lim.kd[i] > 0 ? lim.kd[i] : lim.kdStop[i];
        t = Math.abs(v) <= bad ? clamp(-d * v, -el, el) : 0; // NaN, ±Inf, absurd: no effort
      }
      out.target[i] = t + 0;
      if (out.kp) out.kp[i] = kp;
      if (out.kd) out.kd[i] = kd;
      if (out.feedforward) out.feedforward[i] = 0;
    }
    if (mode !== 'position') this.limiter.havePrev = false;
  }
}
