import type { MainModule, MjModel } from '@mujoco/mujoco';
import type { MujocoJointDesc } from './MujocoRobotOptions.ts';

/**
 * Time constant (s) of a hard joint limit, in physics steps: MuJoCo's smallest safe one (its
 * refsafe flag clamps a solref time constant to 2 steps; MuJoCo's "Solver parameters": "timeconst
 * should be at least two times larger than the simulation time step"), as a mimic equality's
 * (compileUrdf.ts MIMIC_TIMECONST_STEPS), damping ratio 1 (critical: no bounce). Ratio 0.5, in
 * theory a stop in one step and 4 × stiffer at rest, made the tests/helpers/saturation.ts jaw
 * chatter in and out of its limit (a trial, not kept: docs/mujoco.md, "Joint limits").
 */
export const LIMIT_TIMECONST_STEPS = 2;
/**
 * Impedance of a hard joint limit: as hard as MuJoCo allows (its mjMAXIMP, 0.9999), constant over
 * the penetration. A stop, not a spring: MuJoCo's penetration at rest is a·(1 − d)·τ² (a the
 * acceleration the forces on the joint would give it free), so a constant 0.5 N·m on the
 * tests/helpers/saturation.ts jaw (1e-6 kg·m²) presses it 5e-3 rad in at 200 Hz, where MuJoCo's
 * default (0.9 0.95, 0.02 s) let its motor through to −4.99 rad (docs/mujoco.md, "Joint limits").
 */
export const LIMIT_SOLIMP = [0.9999, 0.9999, 0.001, 0.5, 2] as const;

/**
 * Hard joint limits in MuJoCo: the limited joints whose limits compileUrdf.ts made as hard as
 * MuJoCo allows (LIMIT_TIMECONST_STEPS, LIMIT_SOLIMP), and their reference stiffness and damping,
 * made stiffer before each physics step by what the implicit step will divide them by.
 *
 * Why: MuJoCo computes a limit's force with the mass matrix M, before its implicit integrator adds
 * the actuators' and joints' damping D (qacc = (M + h·D)⁻¹·(f + Jᵀλ)), as it does an equality's
 * (sim/mujoco/MujocoMimicGroups.ts). axon's PD damping on a light link is h·D ≫ M (the
 * tests/helpers/saturation.ts jaw: h·kd / I = 0.005 × 2.5 / 1e-6 = 12,500), so the step divided the
 * limit's correction by that much: with the hard values alone (a trial, not kept) the jaw driven at
 * −5 rad/s ran 1.55 rad past its limit and, once its motor saturated (no damping), the undivided
 * limit threw it back at 72 rad/s (docs/mujoco.md, "Joint limits"). Before each step a limit that will be active (the joint
 * at or past it) gets MuJoCo's direct solref (−stiffness, −damping) of its compiled one times
 * s = 1 + h·(b + d) / m: b the damping its actuator applies this step, d its joint damping, m its
 * inertia with the rest of the robot free (1 / (M⁻¹)ᵢᵢ). That is exactly the division with only
 * the joint's own damping (Sherman–Morrison: (M + h·b·eᵢeᵢᵀ)⁻¹ᵢᵢ = 1 / (m + h·b)); the other joints'
 * damping divides it more, never less, so the limit is never made stiffer than MuJoCo's 2 steps.
 * A limit that is not active is not written: MuJoCo reads no solref for it, so a run that never
 * reaches a limit is the run it was.
 *
 * Real-time rules: update(), side(), wasActive(), write() and reset() allocate nothing.
 */
export class MujocoHardLimits {
  /** How many joints have a hard limit. */
  readonly count: number;
  /** Per hard limit: the robot joint index, MuJoCo's joint id, where it is active (its range less its margin: rad | m). */
  readonly joint: Int32Array;
  /** Per robot joint: its hard limit's index, −1 for none. */
  private readonly of: Int32Array;
  /** Per hard limit: 1 where it was active at the last step (update()). */
  private readonly was: Uint8Array;
  private readonly jnt: Int32Array;
  private readonly lower: Float64Array;
  private readonly upper: Float64Array;
  /** Per hard limit: its compiled solref (2 per limit, MuJoCo's standard form τ, ζ), restored at reset(). */
  private readonly ref0: Float64Array;
  /** The compiled reference, MuJoCo's direct form (1/s², 1/s): 1 / τ², 2 / τ for τ = 2 steps, damping ratio 1. */
  private readonly k: number;
  private readonly b: number;

  constructor(mj: MainModule, model: MjModel, joints: readonly MujocoJointDesc[], h: number) {
    const JOINT = mj.mjtObj.mjOBJ_JOINT.value;
    const range = model.jnt_range as Float64Array;
    const margin = model.jnt_margin as Float64Array;
    const hard = joints.flatMap((j, i) => (j.hardLimit ? [i] : []));
    this.count = hard.length;
    this.joint = Int32Array.from(hard);
    this.of = new Int32Array(joints.length).fill(-1);
    hard.forEach((i, k) => (this.of[i] = k));
    this.was = new Uint8Array(hard.length);
    this.jnt = Int32Array.from(hard, (i) => mj.mj_name2id(model, JOINT, joints[i].name));
    // Active where the distance to the limit is under the margin (MuJoCo's engine_core_constraint.c, mj_instantiateLimit).
    this.lower = Float64Array.from(this.jnt, (id) => range[2 * id] + margin[id]);
    this.upper = Float64Array.from(this.jnt, (id) => range[2 * id + 1] - margin[id]);
    const solref = model.jnt_solref as Float64Array;
    this.ref0 = new Float64Array(2 * hard.length);
    this.jnt.forEach((id, k) => this.ref0.set([solref[2 * id], solref[2 * id + 1]], 2 * k));
    const tau = LIMIT_TIMECONST_STEPS * h;
    this.k = 1 / (tau * tau);
    this.b = 2 / tau;
  }

  /** Whether hard limit `k` will be active at joint position `q` (rad | m) this step; recorded for wasActive() at the next. */
  update(k: number, q: number): boolean {
    const on = !(q > this.lower[k] && q < this.upper[k]);
    this.was[k] = on ? 1 : 0;
    return on;
  }

  /** Whether robot joint `i`'s hard limit was active at the last step (before this step's update()). */
  wasActive(i: number): boolean {
    const k = this.of[i];
    return k >= 0 && this.was[k] === 1;
  }

  /** Which of robot joint `i`'s hard limits is active at position `q` (rad | m): −1 the lower, 1 the upper, 0 none (or no hard limit). */
  side(i: number, q: number): number {
    const k = this.of[i];
    if (k < 0) return 0;
    return q <= this.lower[k] ? -1 : q >= this.upper[k] ? 1 : 0;
  }

  /**
   * Before an episode's first forward pass (MujocoActuators.reset): every reference back to the
   * compiled one in `solref` (the model's jnt_solref view; write() left the last episode's scaled
   * one there, which a forward pass at a limit reads) and no limit active at the last step.
   */
  reset(solref: Float64Array): void {
    this.was.fill(0);
    for (let k = 0; k < this.count; k++) {
      const id = this.jnt[k];
      solref[2 * id] = this.ref0[2 * k];
      solref[2 * id + 1] = this.ref0[2 * k + 1];
    }
  }

  /**
   * The acceleration (rad/s² | m/s²) robot joint `i`'s active hard limit on `side` (side()) gives
   * it at position `q` and velocity `v`: MuJoCo's reference, −b·v − k·(q − limit) with the compiled
   * k = 1/τ², b = 2/τ (impedance 0.9999 makes the constraint's acceleration that; the per-step
   * scaling only undoes what the implicit damping divides it by).
   */
  stopAcceleration(i: number, side: number, q: number, v: number): number {
    const k = this.of[i];
    return -this.b * v - this.k * (q - (side < 0 ? this.lower[k] : this.upper[k]));
  }

  /** Writes hard limit `k`'s reference, `s` times stiffer and more damped, into `solref` (the model's jnt_solref view). */
  write(k: number, s: number, solref: Float64Array): void {
    const id = this.jnt[k];
    solref[2 * id] = -s * this.k;
    solref[2 * id + 1] = -s * this.b;
  }
}

/**
 * Whether a joint whose law at rest (`atRest`, N·m | N) presses it into an active hard limit
 * (`side`: −1 the lower, 1 the upper) is held there: its motor, saturated at `lim` or not, and the
 * other forces on it without constraints (`load`) still press it in. Then the law applies as it is,
 * with its damping, past `lim` too, and its effort is reported within ±lim: the motor and the stop
 * act on the same joint, so only their sum moves anything and the stop takes the excess (MuJoCo's
 * hard limit moves the joint by its reference alone, the forces leaking in by 1 − 0.9999). What it
 * gains: the damping makes the step divide the stop's correction by what its stiffness was
 * multiplied by (MujocoHardLimits above), where a constant ±lim with no damping presses
 * MuJoCo's stiffest limit in by lim / inertia × 1e-4 × (2 steps)²: 0.079 rad for
 * tests/helpers/limitStops.ts's 5 N·m finger (6.3e-7 kg·m² about its axis) at 200 Hz (docs/mujoco.md,
 * "Joint limits").
 */
export function held(atRest: number, lim: number, side: number, load: number): boolean {
  return Math.min(Math.abs(atRest), lim) + side * load > 0;
}
