import { AxonError } from '../../src/core/errors.ts';
import type { ControlMode } from '../../src/core/robot.ts';
import { checkJointValues } from '../InitialJointState.ts';

/**
 * How the PD law of a position (or velocity) command is integrated.
 * - explicit: torque from the state at the start of the physics step, applied as a force. Stable
 *   only while Σ kd·dt / I over the joints on the lightest link stays below about 2
 *   (docs/simulation.md): at 200 Hz a 1e-5 kg·m² wrist with kd 2 is far past it.
 * - implicit: the torque is solved together with the next step's velocity, as Isaac Lab's
 *   ImplicitActuator (PhysX drive) does: τ = kp·(q* − q − dt·v⁺) + kd·(v* − v⁺) + τff, with the
 *   armature I_a as inertia of the joint coordinate. Stable for any kp, kd ≥ 0 and any link inertia.
 */
export type PdIntegration = 'implicit' | 'explicit';

/** Per-joint actuator and joint-dynamics settings, as training pipelines define them. */
export interface ActuatorJointSettings {
  /** Reflected rotor inertia (kg·m² | kg), on the joint coordinate. Default 0. */
  readonly armature?: number;
  /** Viscous damping (N·m·s/rad | N·s/m). Default: the URDF's <dynamics damping>. */
  readonly damping?: number;
  /** Coulomb friction (N·m | N). Default: the URDF's <dynamics friction>. */
  readonly friction?: number;
  /** Effort limit (N·m | N), replacing the URDF's. 0 = passive joint. */
  readonly effortLimit?: number;
  /** Velocity limit (rad/s | m/s), replacing the URDF's (reported in the spec; the state watchdog uses it). */
  readonly velocityLimit?: number;
}

/** Coulomb friction is smoothed as friction·tanh(qdot / FRICTION_VELOCITY) in explicit mode (rad/s | m/s). */
export const FRICTION_VELOCITY = 0.01;

/**
 * The actuators of a simulated robot as plain arrays (robot joint order), with the control law:
 * no physics engine here. Every physics step the simulator calls `compute(i, ...)` per joint and
 * then applies, per joint, either `explicitEffort[i]` as a torque (or force), or, in implicit
 * mode, a velocity-level constraint row built from `rowTarget[i]`, `rowCompliance[i]` and
 * `rowBound[i]` (sim/physics/JointDrive.ts), which the solver meets together with the joints and
 * contacts:
 *
 *     v⁺ = rowTarget − rowCompliance · λ,   |λ| ≤ rowBound   (λ: the row's impulse, N·m·s)
 *
 * With c = dt·kp + kd + damping, f0 = kp·(q* − q) + kd·v* + τff and I_a the armature (0 when
 * the simulator carries it in the child body's inertia, `armatureInRow`):
 *     rowTarget = (dt·f0 + I_a·v) / (dt·c + I_a),   rowCompliance = 1 / (dt·c + I_a)
 * which is the impulse λ = dt·(f0 − c·v⁺) − I_a·(v⁺ − v) of an implicit PD plus the rotor.
 * The effort limit bounds λ/dt (the torque the joint transmits, rotor reaction included).
 *
 * Real-time rules: compute() and effortAfter() allocate nothing.
 */
export class Actuators {
  readonly n: number;
  readonly integration: PdIntegration;
  /** Physics step (s). */
  readonly dt: number;
  readonly armature: Float64Array;
  readonly damping: Float64Array;
  readonly friction: Float64Array;
  /** Nominal effort limit (N·m | N) and velocity limit (rad/s | m/s). */
  readonly effortLimit: Float64Array;
  readonly velocityLimit: Float64Array;
  /** Per-episode strength multipliers of kp, kd and the effort limit (randomisation), 1 = nominal. */
  readonly kpScale: Float64Array;
  readonly kdScale: Float64Array;
  readonly effortScale: Float64Array;
  /** Outputs of compute(): explicit effort to apply (N·m | N), implicit row, NaN flags. */
  readonly explicitEffort: Float64Array;
  readonly rowActive: Uint8Array;
  readonly rowTarget: Float64Array;
  readonly rowCompliance: Float64Array;
  readonly rowBound: Float64Array;
  /** Motor law of the last compute(), for the effort report: τ = motorBias − motorGain·v⁺. */
  private readonly motorBias: Float64Array;
  private readonly motorGain: Float64Array;
  /** Count of compute() calls whose command was not finite (nothing applied instead). */
  badCommandCount = 0;

  /**
   * Implicit mode: whether the row carries the armature (the rotor on the joint coordinate, exact
   * as in a reduced-coordinate engine) or the simulator has put it into the child body's inertia
   * (SimRobotOptions.armatureModel; then I_a = 0 in the row, the body's inertia does it).
   */
  readonly armatureInRow: boolean;

  constructor(
    n: number,
    dt: number,
    integration: PdIntegration,
    base: { effortLimit: ArrayLike<number>; velocityLimit: ArrayLike<number>; damping: ArrayLike<number>; friction: ArrayLike<number> },
    armatureInRow = true,
  ) {
    if (!(dt > 0)) throw new AxonError('SIM_OPTION', 'physicsDt', `is ${dt}`, 'a step > 0 s');
    this.n = n;
    this.dt = dt;
    this.integration = integration;
    this.armatureInRow = armatureInRow;
    this.armature = new Float64Array(n);
    this.damping = Float64Array.from(base.damping);
    this.friction = Float64Array.from(base.friction);
    this.effortLimit = Float64Array.from(base.effortLimit);
    this.velocityLimit = Float64Array.from(base.velocityLimit);
    this.kpScale = new Float64Array(n).fill(1);
    this.kdScale = new Float64Array(n).fill(1);
    this.effortScale = new Float64Array(n).fill(1);
    this.explicitEffort = new Float64Array(n);
    this.rowActive = new Uint8Array(n);
    this.rowTarget = new Float64Array(n);
    this.rowCompliance = new Float64Array(n);
    this.rowBound = new Float64Array(n);
    this.motorBias = new Float64Array(n);
    this.motorGain = new Float64Array(n);
  }

  /** Applies per-joint settings (robot joint order); `where` names the option in errors. */
  configure(i: number, s: ActuatorJointSettings, where: string): void {
    const put = (v: number | undefined, out: Float64Array, field: string, positive: boolean) => {
      if (v === undefined) return;
      if (!(Number.isFinite(v) && (positive ? v > 0 : v >= 0))) throw new AxonError('SIM_OPTION', `${where}.${field}`, `is ${v}`, positive ? 'a finite number > 0' : 'a finite number >= 0');
      out[i] = v;
    };
    put(s.armature, this.armature, 'armature', false);
    put(s.damping, this.damping, 'damping', false);
    put(s.friction, this.friction, 'friction', false);
    put(s.effortLimit, this.effortLimit, 'effortLimit', false);
    put(s.velocityLimit, this.velocityLimit, 'velocityLimit', true);
  }

  /**
   * The control law of joint i for this physics step, from the held command and the joint's state
   * (q, v at the step's start). `err` is the position error q* − q (already wrapped for a
   * continuous joint). Writes explicitEffort[i] or the implicit row of joint i.
   */
  compute(i: number, mode: ControlMode, target: number, err: number, kp: number, kd: number, ff: number, v: number): void {
    const h = this.dt;
    const lim = this.effortLimit[i] * this.effortScale[i];
    let gain: number; // motor's velocity gain (N·m·s/rad)
    let bias: number; // motor's torque at v⁺ = 0 (N·m)
    if (mode === 'position') {
      const p = this.kpScale[i] * kp;
      const d = this.kdScale[i] * kd;
      bias = p * err + ff;
      gain = this.integration === 'implicit' ? h * p + d : d;
      if (this.integration === 'explicit') bias -= d * v;
    } else if (mode === 'velocity') {
      const d = this.kdScale[i] * kd;
      bias = d * target + ff;
      gain = d;
      if (this.integration === 'explicit') bias -= d * v;
    } else {
      bias = target;
      gain = 0;
    }
    if (!(Math.abs(bias) <= 1e10 && Math.abs(gain) <= 1e10)) {
      bias = 0;
      gain = 0;
      this.badCommandCount++;
    }
    if (lim === 0) {
      bias = 0; // passive joint
      gain = 0;
    }
    if (this.integration === 'explicit') {
      if (bias > lim) bias = lim;
      else if (bias < -lim) bias = -lim;
      this.explicitEffort[i] = bias;
      this.motorBias[i] = bias;
      this.motorGain[i] = 0;
      this.rowActive[i] = 0;
      return;
    }
    const c = gain + this.damping[i];
    const ia = this.armatureInRow ? this.armature[i] : 0;
    const denom = h * c + ia;
    this.motorBias[i] = bias;
    this.motorGain[i] = gain;
    if (!(denom > 0)) {
      // Nothing implicit to solve (pure torque, no damping, no rotor): an explicit effort.
      this.explicitEffort[i] = bias > lim ? lim : bias < -lim ? -lim : bias;
      this.rowActive[i] = 0;
      return;
    }
    this.explicitEffort[i] = 0;
    this.rowActive[i] = 1;
    this.rowTarget[i] = (h * bias + ia * v) / denom;
    this.rowCompliance[i] = 1 / denom;
    this.rowBound[i] = lim === 0 ? Infinity : h * lim;
  }

  /** The motor's effort (N·m | N) over the step just taken, given the joint velocity after it. */
  effortAfter(i: number, vNext: number): number {
    const lim = this.effortLimit[i] * this.effortScale[i];
    const t = this.motorBias[i] - this.motorGain[i] * vNext;
    return t > lim ? lim : t < -lim ? -lim : t;
  }

  /** Explicit-mode passive torque: viscous damping and smoothed Coulomb friction (N·m | N). */
  passiveExplicit(i: number, v: number): number {
    return -this.damping[i] * v - this.friction[i] * Math.tanh(v / FRICTION_VELOCITY);
  }

  /**
   * Actuator strength: per joint multipliers of kp, kd and the effort limit (robot joint order; one
   * number applies to every joint), each a finite scale >= 0 (else AxonError SIM_OPTION).
   */
  setScales(kp: number | ArrayLike<number>, kd: number | ArrayLike<number>, effort: number | ArrayLike<number>): void {
    const put = (v: number | ArrayLike<number>, out: Float64Array, where: string) => {
      if (typeof v === 'number') {
        if (!(v >= 0 && Number.isFinite(v))) throw new AxonError('SIM_OPTION', where, `is ${v}`, 'a finite scale >= 0');
        out.fill(v);
        return;
      }
      checkJointValues(v, this.n, where);
      for (let i = 0; i < out.length; i++) {
        if (!(v[i] >= 0)) throw new AxonError('SIM_OPTION', `${where}[${i}]`, `is ${v[i]}`, 'a finite scale >= 0');
        out[i] = v[i];
      }
    };
    put(kp, this.kpScale, 'kpScale');
    put(kd, this.kdScale, 'kdScale');
    put(effort, this.effortScale, 'effortScale');
  }

  /** Back to nominal strength (reset(seed)). */
  resetScales(): void {
    this.kpScale.fill(1);
    this.kdScale.fill(1);
    this.effortScale.fill(1);
  }
}
