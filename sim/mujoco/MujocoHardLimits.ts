import type { MainModule, MjData, MjModel } from '@mujoco/mujoco';
import { MujocoLimitCoupling } from './MujocoLimitCoupling.ts';
import type { MujocoDofInertia } from './MujocoDofInertia.ts';
import type { MujocoJointDesc } from './MujocoRobotOptions.ts';
import { NBIAS, type MujocoViews } from './MujocoViews.ts';

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
 * strictly past it: MuJoCo's distance under the margin, 0; on it, no stop) gets MuJoCo's direct solref (−stiffness, −damping) of its compiled one times
 * s = 1 + h·(b + d) / m: b the damping its actuator applies this step, d its joint damping, m its
 * inertia with the rest of the robot free (1 / (M⁻¹)ᵢᵢ). That is exactly the division with only
 * the joint's own damping (Sherman–Morrison: (M + h·b·eᵢeᵢᵀ)⁻¹ᵢᵢ = 1 / (m + h·b)), for one limit
 * active alone; the other joints' damping divides it more. Several active at once on a robot
 * (their forces reach each other's dofs through M) are scaled together instead
 * (sim/mujoco/MujocoLimitCoupling.ts): one by one, their gain reached 1.65 on the heavy arm at 50
 * Hz and the arm diverged. A limit that is not active is not written: MuJoCo reads no solref for it, so a run that never
 * reaches a limit is the run it was.
 *
 * Each step, for MujocoActuators.apply: press() says how each joint's law meets its stop (held
 * there, moving into it, next to it: JointStops), stiffen() scales the limits the step will find
 * active once the laws' damping is written.
 *
 * Real-time rules: press(), stiffen(), update(), side(), wasActive(), write() and reset() allocate nothing
 * (bind() sizes the coupling's buffers).
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
  /** Each robot joint's own damping as written into the model (N·m·s/rad | N·s/m), part of what the step divides a limit by. */
  private readonly jointDamping: Float64Array;

  /**
   * Per hard limit, from the last stiffen() (kept for retake()): the active ones' indices, dofs,
   * the scales written and each one's inertia m (NaN where not read); `na` of them.
   */
  private readonly activeK: Int32Array;
  private readonly activeDof: Int32Array;
  private readonly activeS: Float64Array;
  private readonly activeM: Float64Array;
  private na = 0;
  /** Per dof: the joint damping as compiled, and scratch for the implicit step's damping (stiffen()). */
  private readonly dofDamping: Float64Array;
  private readonly damp: Float64Array;
  private readonly n: number;
  /** Scratch, per dof in stiffen(): the forces besides the limits (N·m | N); per hard limit: the active ones' compiled references (rad/s² | m/s²). */
  private readonly force: Float64Array;
  private readonly aref: Float64Array;
  /** True where each joint's actuator acts on its own dof alone (no <mimic> group's tendon): the forces F are then known per dof. */
  private readonly ownActuators: boolean;
  /** Several active limits scaled together (bind()). */
  private coupling: MujocoLimitCoupling | undefined;

  constructor(
    mj: MainModule,
    model: MjModel,
    joints: readonly MujocoJointDesc[],
    /** Physics step (s). */
    private readonly h: number,
  ) {
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
    this.jointDamping = Float64Array.from(joints, (j) => j.damping);
    this.activeK = new Int32Array(hard.length);
    this.activeDof = new Int32Array(hard.length);
    this.activeS = new Float64Array(hard.length);
    this.activeM = new Float64Array(hard.length);
    this.dofDamping = new Float64Array(model.nv);
    this.damp = new Float64Array(model.nv);
    this.n = joints.length;
    this.force = new Float64Array(model.nv);
    this.aref = new Float64Array(hard.length);
    this.ownActuators = !joints.some((j) => j.mimic !== undefined);
  }

  /** Configure time, once the joint damping is written into the model: the dense solves of several active limits (MujocoLimitCoupling). */
  bind(mj: MainModule, model: MjModel, data: MjData): void {
    if (this.count < 2 || this.coupling !== undefined) return;
    this.dofDamping.set(model.dof_damping as Float64Array);
    this.coupling = new MujocoLimitCoupling(mj, model, data);
  }

  /** Frees bind()'s buffers. */
  dispose(): void {
    this.coupling?.dispose();
    this.coupling = undefined;
  }

  /**
   * How robot joint `i`'s law meets its hard limit this step, at position `q` and velocity `v`
   * (rad | m, rad/s | m/s), the law f = `f` at v with damping −`b2`, effort limit `lim`; `load(i)`
   * the other forces on it in the last step without constraints (N·m | N, read only when asked).
   * Writes `stops` at i: near (the limit active now or at the last step: the saturation test leaves
   * its constraint force out), stopAcc (on an active limit and moving into it, or held there: the
   * stop's acceleration, which the whole-robot solve gives its dof) and clampAt (held: its effort
   * reported within ±lim). True where it is held: pressed into an active limit by a damped law that
   * held() says the stop holds; the law then applies unsaturated (held() says why).
   */
  press(i: number, q: number, v: number, f: number, b2: number, lim: number, load: (i: number) => number, stops: JointStops): boolean {
    const side = this.side(i, q);
    stops.near[i] = side !== 0 || this.wasActive(i) ? 1 : 0;
    // On an active hard limit and moving into it: the stop sets its acceleration this step (the whole-robot solve's, not the laws').
    stops.stopAcc[i] = side !== 0 && v * side > 0 ? this.stopAcceleration(i, side, q, v) : NaN;
    const atRest = f - b2 * v;
    if (!(side !== 0 && b2 < 0 && atRest * side > 0 && held(atRest, lim, side, load(i)))) return false;
    stops.clampAt[i] = lim; // the law as it is, its effort reported within the limit
    stops.stopAcc[i] = this.stopAcceleration(i, side, q, v);
    return true;
  }

  /**
   * Once the step's laws are written (`views.biasprm`, `views.ctrl`), each hard limit that the
   * step will find active: its reference s = 1 + h·(b + d) / m times stiffer (b its actuator's
   * damping, d the joint's damping, m its inertia with the rest of the robot free, `inertia`), what
   * the implicit step will divide it by; several active at once, the scales MujocoLimitCoupling
   * finds for them together (F: the last step's forces without constraints and the laws at the
   * step's start; D: the laws' damping and the joint damping). `qadr` / `vadr`: each robot joint's
   * qpos / qvel address.
   */
  stiffen(views: MujocoViews, qadr: Int32Array, vadr: Int32Array, inertia: MujocoDofInertia): void {
    const qpos = views.qpos;
    const bias = views.biasprm;
    let na = 0;
    for (let k = 0; k < this.count; k++) {
      const i = this.joint[k];
      if (!this.update(k, qpos[qadr[i]])) continue;
      const b = -bias[i * NBIAS + 2] + this.jointDamping[i];
      let s = 1;
      let m = Number.NaN;
      if (b > 0) {
        m = inertia.of(vadr[i], views);
        if (m > 0 && m < Infinity) s = 1 + (this.h * b) / m;
      }
      this.activeK[na] = k;
      this.activeDof[na] = vadr[i];
      this.activeS[na] = s;
      this.activeM[na] = m;
      na++;
    }
    this.na = na;
    const coupling = this.coupling;
    if (na > 1 && coupling !== undefined) {
      // Several at once: scaled together (MujocoLimitCoupling), from the implicit step's damping D and the forces F besides the limits.
      const qvel = views.qvel;
      const damp = this.damp;
      const force = this.force;
      damp.set(this.dofDamping);
      for (let k = 0; k < force.length; k++) force[k] = views.qfrcSmooth[k] - views.qfrcActuator[k];
      for (let i = 0; i < this.n; i++) {
        const d = vadr[i];
        damp[d] -= bias[i * NBIAS + 2];
        force[d] += views.ctrl[i] + bias[i * NBIAS + 1] * qpos[qadr[i]] + bias[i * NBIAS + 2] * qvel[d];
      }
      for (let a = 0; a < na; a++) {
        const i = this.joint[this.activeK[a]];
        const q = qpos[qadr[i]];
        this.aref[a] = this.stopAcceleration(i, this.side(i, q), q, qvel[vadr[i]]);
      }
      coupling.scale(this.activeDof, this.aref, force, na, damp, this.h, this.activeS, this.ownActuators);
    }
    for (let a = 0; a < na; a++) this.write(this.activeK[a], this.activeS[a], views.jntSolref);
  }

  /**
   * Before a physics step is taken again by the effort guard (MujocoActuators.saturateOver, the
   * state restored to the one stiffen() read): the limits stiffen() found active keep the scales it
   * wrote, but for a joint marked in `marked` (per robot joint, ±1: now driven at the constant ±limit,
   * its law's damping gone), whose own active limit gets the one-limit scale without that damping,
   * s = 1 + h·d / m (d its joint damping, m the inertia stiffen() read; 1 where d is 0). Why not
   * stiffen() again: a consistency choice, not stale data. The restored state's M and forces are
   * the ones stiffen() read (qM and qfrc_bias equal a fresh mj_forward's, difference 0 over 32
   * retakes), but stiffen() again gives every active limit another s, unmarked ones included (the
   * marked laws' damping leaves D, their constant ±limit changes F, and the coupling passes that to
   * every stop), so the retaken step would differ from the first in more than the laws the guard
   * changed (docs/mujoco.md "The effort limit"). Why the marked joint's own scale changes: kept, its stop stays stiffened
   * for a damping its constant law no longer applies, and the undivided stop threw the heavy arm's
   * shoulder out of it at 104 rad/s at 50 Hz, the arm then diverging (a trial, not kept).
   * Allocates nothing.
   */
  retake(marked: Int8Array, solref: Float64Array): void {
    for (let a = 0; a < this.na; a++) {
      const k = this.activeK[a];
      const i = this.joint[k];
      if (marked[i] === 0) continue;
      const d = this.jointDamping[i];
      const m = this.activeM[a];
      this.write(k, d > 0 && m > 0 && m < Infinity ? 1 + (this.h * d) / m : 1, solref);
    }
  }

  /** Whether hard limit `k` will be active at joint position `q` (rad | m) this step; recorded for wasActive() at the next. */
  update(k: number, q: number): boolean {
    // Strictly past (MuJoCo: dist < margin): a joint exactly on its limit has no stop this step. NaN: not active.
    const on = q < this.lower[k] || q > this.upper[k];
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
    return q < this.lower[k] ? -1 : q > this.upper[k] ? 1 : 0;
  }

  /**
   * Before an episode's first forward pass (MujocoActuators.reset): every reference back to the
   * compiled one in `solref` (the model's jnt_solref view; write() left the last episode's scaled
   * one there, which a forward pass at a limit reads) and no limit active at the last step.
   */
  reset(solref: Float64Array): void {
    this.was.fill(0);
    this.na = 0;
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

/**
 * Per robot joint, how the coming step meets its hard limit (MujocoHardLimits.press(); a robot
 * without hard limits keeps the initial values): what MujocoActuators' saturation test and
 * efforts() read.
 */
export class JointStops {
  /** 1 where its hard limit is active or was at the last step (judged without the constraint forces on it). */
  readonly near: Uint8Array;
  /** The acceleration its active hard limit gives it where held there or moving into it (rad/s² | m/s²), NaN elsewhere. */
  readonly stopAcc: Float64Array;
  /** Its effort limit where it is held at a hard limit this step (its effort reported within it), Infinity elsewhere. */
  readonly clampAt: Float64Array;

  constructor(n: number) {
    this.near = new Uint8Array(n);
    this.stopAcc = new Float64Array(n).fill(Number.NaN);
    this.clampAt = new Float64Array(n).fill(Infinity);
  }

  /** Before a step's press()es: no joint held. */
  begin(): void {
    this.clampAt.fill(Infinity);
  }

  /** At an episode's reset: nothing of the last step kept. */
  reset(): void {
    this.near.fill(0);
    this.stopAcc.fill(Number.NaN);
    this.clampAt.fill(Infinity);
  }
}
