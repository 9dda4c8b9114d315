import type { MainModule, MjData, MjModel } from '@mujoco/mujoco';
import type { CommandHold } from '../CommandHold.ts';
import type { MujocoJointDesc } from './MujocoRobotOptions.ts';
import type { MujocoViews } from './MujocoViews.ts';
import { wrapAngle } from '../physics/frames.ts';
import { MujocoImplicitSolve } from './MujocoImplicitSolve.ts';
import { MujocoActiveSet } from './MujocoActiveSet.ts';
import { JointStops, type MujocoHardLimits } from './MujocoHardLimits.ts';
import { MujocoDofInertia } from './MujocoDofInertia.ts';
import { MujocoMimicGroups } from './MujocoMimicGroups.ts';
import { NBIAS } from './MujocoViews.ts';
/** How far (relative) an effort may pass its limit before the effort guard takes the step again (overLimit()): rounding, not physics. */
export const GUARD_TOLERANCE = 1e-9;

/**
 * A MujocoRobot's actuation: axon's PD law written into MuJoCo's actuators at every physics step,
 * and the joint dynamics written into the compiled model.
 *
 * Why: one MuJoCo "general" actuator per joint, force = ctrl + b1·q + b2·q̇, whose ctrl and bias
 * are written from axon's command every physics step: ctrl = kp·q* + τff, b1 = −kp,
 * b2 = −(kd + dt·kp) with pd 'implicit' (−kd with 'explicit'). That is MuJoCo's position actuator
 * (kp, kv) with axon's gains, so MuJoCo's implicitfast integrator solves the damping term with the
 * next velocity: the only way light links (1e-5 kg·m²) with kd up to 10 stay stable at 200 Hz
 * (explicit axon torques blow up there, docs/simulation.md), and the same law as the cannon-es
 * implicit row. axon still owns the law (per-command gains, randomised kp/kd/effort scales,
 * continuous-joint wrap, latency). Armature, damping and Coulomb friction are MuJoCo's joint
 * armature, damping and frictionloss (exact, on the joint coordinate).
 *
 * Saturation: a joint is saturated when the force its law will apply over the step passes the
 * effort limit, and then gets the constant ±limit (no position or velocity term). That force is
 * the law with its damping taken at the next velocity (the whole robot's implicit step,
 * solveStep(), a <mimic> group one coordinate in it), not the law at the present velocity: on a
 * light link the damping stops the link within the step (a law asking 150 N·m at rest applies
 * 0.15), and judged at the present velocity the constant ±limit with no damping threw such links
 * to thousands of rad/s and back (bang-bang). The other forces are the last step's, so on the step
 * where a joint limit or a contact engages a law can pass its limit: the effort guard (overLimit(),
 * saturateOver()) has that step taken again with those joints at ±limit. Not MuJoCo's forcerange
 * clamp: 3.x's implicit step still takes a clamped actuator's damping (mjd_actuator_vel). Figures
 * and the alternatives measured: docs/mujoco.md, "The effort limit".
 *
 * Hard limits (a URDF's, sim/mujoco/MujocoHardLimits.ts): before each step an active one is made
 * as much stiffer as the implicit step will divide it by (MujocoHardLimits.stiffen), and a damped law that
 * presses a joint into one applies unsaturated, its effort reported within the limit (MujocoHardLimits.press, held()).
 * In the whole-robot solve a joint on an active hard limit, held there or moving into it, gets the
 * stop's acceleration (MujocoHardLimits.stopAcceleration), not one solved from the laws; the
 * one-joint fallback (stepForce(), before MuJoCo's first M) has no such term (docs/mujoco.md, "Joint limits").
 *
 * Joints are in robot joint order; `qadr` / `vadr` are each joint's qpos / qvel address.
 *
 * Real-time rules: apply() allocates nothing and never throws: a non-finite law (MuJoCo's
 * mju_isBad test, style 4) applies nothing for that joint and is counted.
 */
export class MujocoActuators {
  /** Per-episode strength multipliers of kp, kd and the effort limit (1 = nominal). */
  readonly kpScale: Float64Array;
  readonly kdScale: Float64Array;
  readonly effortScale: Float64Array;
  /** Commands that were not finite (nothing applied for them). */
  badCount = 0;

  /** 1 where the joint is continuous (its position wrapped to (−π, π]), per joint. */
  readonly continuous: Uint8Array;
  /** URDF <mimic> groups: followers apply no force of their own, the leader's damping spread over the group. */
  readonly mimic: MujocoMimicGroups;

  private readonly n: number;
  private readonly effortLimit: Float64Array;
  /** Per joint: a follower's leader (−1: none, or not a moving joint) and its multiplier. */
  private readonly leaderOf: Int32Array;
  private readonly followU: Float64Array;
  /** Each joint's own damping (N·m·s/rad | N·s/m); a leader's, the sum over its group along the coupling (Σ u²·d). */
  private readonly damping: Float64Array;
  /** A dof's inertia with the rest of the robot free (the one-joint test, the hard limits' stiffening). */
  private readonly inertia: MujocoDofInertia;
  /** Each joint's law of the last apply() as MuJoCo runs it: force = lawForce + lawDamp·q̇ (N·m | N; 0 + 0·q̇ for a follower). */
  private readonly lawForce: Float64Array;
  private readonly lawDamp: Float64Array;
  /** Per joint, this step: how it meets its hard limit (held, moving into it, next to it: MujocoHardLimits.press). */
  private readonly stops: JointStops;
  /** Scratch, per dof: the force on it besides the actuators (N·m | N) and the same without constraint forces. */
  private readonly rest: Float64Array;
  private readonly free: Float64Array;
  /** Scratch, per joint, between apply()'s passes: the law (ctrl, b1, b2, f), its limit (0: no law to saturate) and the step's force τ. */
  private readonly ctrlOf: Float64Array;
  private readonly b1Of: Float64Array;
  private readonly b2Of: Float64Array;
  private readonly fOf: Float64Array;
  private readonly limOf: Float64Array;
  private readonly tauOf: Float64Array;
  /** The saturated set of the whole-robot step (solveStep()), on the arrays above. */
  private readonly activeSet: MujocoActiveSet;
  /** Per joint, this step: the side (±1) the effort guard saturates it at, after a step that passed its limit (overLimit()); 0: not. */
  private readonly overSign: Int8Array;
  /** loadOn(i, free), made once: MujocoHardLimits.press reads it only for a joint pressed into its stop. */
  private readonly loadOnFree = (i: number): number => this.loadOn(i, this.free);
  /** The whole robot's implicit step (bind()), each <mimic> group folded into its leader's coordinate. */
  private solver: MujocoImplicitSolve | undefined;

  constructor(
    model: MjModel,
    joints: readonly MujocoJointDesc[],
    private readonly qadr: Int32Array,
    private readonly vadr: Int32Array,
    private readonly implicitPd: boolean,
    /** Physics step (s). */
    private readonly h: number,
    /** The joints whose limits are hard (a URDF's), scaled before each step (sim/mujoco/MujocoHardLimits.ts). */
    private readonly limits?: MujocoHardLimits,
  ) {
    const n = (this.n = joints.length);
    this.continuous = Uint8Array.from(joints, (j) => (j.type === 'continuous' ? 1 : 0));
    this.mimic = new MujocoMimicGroups(joints, vadr);
    // Joint dynamics, written into the compiled model.
    const armature = model.dof_armature as Float64Array;
    const damping = model.dof_damping as Float64Array;
    const frictionloss = model.dof_frictionloss as Float64Array;
    joints.forEach((j, i) => {
      armature[vadr[i]] = j.armature;
      damping[vadr[i]] = j.damping;
      frictionloss[vadr[i]] = j.friction;
    });
    this.effortLimit = Float64Array.from(joints, (j) => j.effortLimit);
    const index = new Map(joints.map((j, i) => [j.name, i]));
    this.damping = Float64Array.from(joints, (j) => j.damping);
    this.leaderOf = new Int32Array(n).fill(-1);
    this.followU = new Float64Array(n);
    joints.forEach((j, i) => {
      const l = j.mimic && index.get(j.mimic.joint);
      if (!j.mimic || l === undefined) return;
      this.damping[l] += j.mimic.multiplier ** 2 * j.damping;
      this.leaderOf[i] = l;
      this.followU[i] = j.mimic.multiplier;
    });
    this.inertia = new MujocoDofInertia(model);
    this.lawForce = new Float64Array(n);
    this.lawDamp = new Float64Array(n);
    this.stops = new JointStops(n);
    this.rest = new Float64Array(model.nv);
    this.free = new Float64Array(limits === undefined ? 0 : model.nv);
    this.ctrlOf = new Float64Array(n);
    this.b1Of = new Float64Array(n);
    this.b2Of = new Float64Array(n);
    this.fOf = new Float64Array(n);
    this.limOf = new Float64Array(n);
    this.tauOf = new Float64Array(n);
    this.activeSet = new MujocoActiveSet({ n, h, vadr, leaderOf: this.leaderOf, stops: this.stops, rest: this.rest, free: this.free, fOf: this.fOf, b2Of: this.b2Of, limOf: this.limOf, tauOf: this.tauOf });
    this.overSign = new Int8Array(n);
    this.kpScale = new Float64Array(n).fill(1);
    this.kdScale = new Float64Array(n).fill(1);
    this.effortScale = new Float64Array(n).fill(1);
  }

  /** The whole-robot saturation test's solver (configure time, once, after the joint damping is written): each follower's dof moves with its leader's (a follower of no moving joint held). */
  bind(mj: MainModule, model: MjModel, data: MjData): void {
    this.limits?.bind(mj, model, data);
    if (this.solver !== undefined) return;
    const to = new Int32Array(model.nv).fill(-1);
    const u = new Float64Array(model.nv);
    for (let i = 0; i < this.n; i++) {
      if (this.mimic.follower[i] !== 1) continue;
      const l = this.leaderOf[i];
      to[this.vadr[i]] = l >= 0 ? this.vadr[l] : -2;
      u[this.vadr[i]] = this.followU[i];
    }
    this.solver = new MujocoImplicitSolve(mj, model, data, { to, u });
  }

  /** Frees the solver's buffer and the groups'. */
  dispose(): void {
    this.solver?.dispose();
    this.solver = undefined;
    this.limits?.dispose();
    this.mimic.dispose();
  }

  /**
   * Before an episode's first forward pass (MujocoRobot.reset, after mj_resetData): no law in the
   * model (b1 = b2 = 0; ctrl is already 0), the mimic equalities and hard limits as compiled (no
   * limit active at the last step), nothing kept of the last step, so that an episode does not
   * depend on the one before.
   */
  reset(views: MujocoViews): void {
    const bias = views.biasprm;
    for (let i = 0; i < this.n; i++) {
      bias[i * NBIAS + 1] = 0;
      bias[i * NBIAS + 2] = 0;
    }
    this.lawForce.fill(0);
    this.lawDamp.fill(0);
    this.rest.fill(0);
    this.inertia.reset();
    this.free.fill(0);
    this.stops.reset();
    this.mimic.reset(views.eqSolref, views.wrapPrm);
    this.limits?.reset(views.jntSolref);
  }

  /**
   * Writes every actuator's ctrl and bias from the held command, for the next physics step: the
   * last step's other forces read, each joint's law and how it meets its hard limit, the force
   * each law will apply over the step (solved where one may saturate), the laws written (saturated
   * ones at ±limit), then the mimic groups' damping and the active hard limits scaled to it.
   */
  apply(hold: CommandHold, views: MujocoViews): void {
    this.readLoads(views);
    this.stops.begin();
    const candidates = this.laws(hold, views);
    if (candidates) this.solveStep(views);
    this.overSign.fill(0);
    this.writeStep(views);
  }

  /**
   * The effort guard, after a physics step (`qvel` the velocities after it): each joint whose effort
   * (efforts()) passed its limit by more than GUARD_TOLERANCE is marked to be driven at the constant
   * ±limit at that sign (its effort then the limit exactly) when the step is taken again
   * (saturateOver(), MujocoRobot.substep). Returns how many were marked; 0: the step stands. Why: the
   * saturation test takes the last step's constraint forces, so on the step a stop or a contact
   * engages a law ran past its limit (docs/mujoco.md, "The effort limit"). A held joint (press()) is not judged.
   */
  overLimit(qvel: Float64Array): number {
    let count = 0;
    const clampAt = this.stops.clampAt;
    for (let i = 0; i < this.n; i++) {
      const lim = this.limOf[i];
      if (!(lim > 0) || clampAt[i] < Infinity || this.overSign[i] !== 0) continue;
      const e = this.lawForce[i] + this.lawDamp[i] * qvel[this.vadr[i]];
      const bound = lim * (1 + GUARD_TOLERANCE);
      if (e > bound || e < -bound) {
        this.overSign[i] = e > 0 ? 1 : -1;
        count++;
      }
    }
    return count;
  }

  /** Before the step is taken again (overLimit()): the marked joints at ±limit, the groups' damping from the laws, the hard limits as apply() scaled them but a marked joint's own (MujocoHardLimits.retake). */
  saturateOver(views: MujocoViews): void {
    for (let i = 0; i < this.n; i++) if (this.overSign[i] !== 0) this.tauOf[i] = this.overSign[i] * Infinity;
    this.writeLaws(views);
    this.writeGroups(views);
    this.limits?.retake(this.overSign, views.jntSolref);
  }

  /** The laws into ctrl and bias (writeLaws()), the mimic groups' damping and equalities, the active hard limits stiffened to the damping written. */
  private writeStep(views: MujocoViews): void {
    this.writeLaws(views);
    this.writeGroups(views);
    this.limits?.stiffen(views, this.qadr, this.vadr, this.inertia);
  }

  /** After writeLaws(): each follower's damping share of its leader's law, and the equalities scaled to it. */
  private writeGroups(views: MujocoViews): void {
    if (!this.mimic.any) return;
    const bias = views.biasprm;
    for (let i = 0; i < this.n; i++) if (this.mimic.follower[i] === 1) bias[i * NBIAS + 2] = -this.mimic.followerDamping(i);
    this.mimic.scaleEqualities(views.eqSolref, this.h);
  }

  /** Per dof, what the last step applied besides the actuators (`rest`: gravity and Coriolis, passive, pushes, constraints; `free`: the same without constraints). */
  private readLoads(views: MujocoViews): void {
    const rest = this.rest;
    const smooth = views.qfrcSmooth;
    const constraint = views.qfrcConstraint;
    const actuator = views.qfrcActuator;
    for (let k = 0; k < rest.length; k++) rest[k] = smooth[k] + constraint[k] - actuator[k];
    const free = this.free;
    for (let k = 0; k < free.length; k++) free[k] = smooth[k] - actuator[k];
  }

  /**
   * Each joint's law from the held command (`ctrlOf`, `b1Of`, `b2Of`, `fOf`, `limOf`; `tauOf` = f
   * until solved) and how it meets its hard limit (`stops`). True where a joint's law or load passes
   * its limit, or a stop moves it: the step's forces must be solved for.
   */
  private laws(hold: CommandHold, views: MujocoViews): boolean {
    const qpos = views.qpos;
    const qvel = views.qvel;
    const mode = hold.mode;
    const target = hold.target;
    const kp = hold.kp;
    const kd = hold.kd;
    const ffs = hold.ff;
    const h = this.h;
    const rest = this.rest;
    const free = this.free;
    const limits = this.limits;
    const stops = this.stops;
    let candidates = false;
    for (let i = 0; i < this.n; i++) {
      const q = qpos[this.qadr[i]];
      const v = qvel[this.vadr[i]];
      const lim = this.effortLimit[i] * this.effortScale[i];
      const t = target[i];
      const ff = ffs[i];
      let c = 0; // ctrl
      let b1 = 0;
      let b2 = 0;
      let f = 0; // the law at the present velocity v (the step's force is taken from it)
      if (mode === 'position') {
        const p = this.kpScale[i] * kp[i];
        const dd = this.kdScale[i] * kd[i];
        const err = this.continuous[i] === 1 ? wrapAngle(t - q) : t - q;
        const damp = this.implicitPd ? dd + h * p : dd;
        c = p * (q + err) + ff;
        b1 = -p;
        b2 = -damp;
        f = p * err + ff - damp * v;
      } else if (mode === 'velocity') {
        const dd = this.kdScale[i] * kd[i];
        c = dd * t + ff;
        b2 = -dd;
        f = dd * (t - v) + ff;
      } else {
        c = t;
        f = t;
      }
      let active = lim;
      if (this.mimic.follower[i] === 1) {
        c = b1 = b2 = f = active = 0; // a follower (URDF <mimic>): no motor, its command ignored; its damping share in apply()
      } else if (!(Math.abs(c) <= 1e10 && Math.abs(b1) <= 1e10 && Math.abs(b2) <= 1e10 && Math.abs(f) <= 1e10)) {
        c = b1 = b2 = f = active = 0;
        this.badCount++;
      } else if (lim === 0) {
        c = b1 = b2 = f = 0; // passive joint
      } else if (limits === undefined || !limits.press(i, q, v, f, b2, lim, this.loadOnFree, stops)) {
        // Not held at a hard limit (MujocoHardLimits.press: held, the law applies as it is): the force the
        // step will apply decides; next to a hard limit without the constraint forces on the joint (the
        // limit pushes only while pressed, so its force of the last step is no load to judge by: taken as
        // one, it saturated the fixture's jaw as the jaw left its limit and threw it to 2488 rad/s in a
        // step; docs/mujoco.md, "Joint limits").
        const load = this.loadOn(i, stops.near[i] === 1 ? free : rest);
        if (f > lim || f < -lim || stops.stopAcc[i] === stops.stopAcc[i] || (-b2 > 0 && !(Math.abs(load) <= lim))) candidates = true;
      }
      this.ctrlOf[i] = c;
      this.b1Of[i] = b1;
      this.b2Of[i] = b2;
      this.fOf[i] = f;
      this.limOf[i] = active;
      this.tauOf[i] = f;
    }
    return candidates;
  }

  /** Writes each joint's law into ctrl and bias: as it is, or the constant ±limit where its step force `tauOf` passes the limit (and it is not held at a hard limit). */
  private writeLaws(views: MujocoViews): void {
    const qpos = views.qpos;
    const ctrl = views.ctrl;
    const bias = views.biasprm;
    const groups = this.mimic.any;
    const clampAt = this.stops.clampAt;
    for (let i = 0; i < this.n; i++) {
      const q = qpos[this.qadr[i]];
      const lim = this.limOf[i];
      const tau = this.tauOf[i];
      let c = this.ctrlOf[i];
      let b1 = this.b1Of[i];
      let b2 = this.b2Of[i];
      if (lim > 0 && clampAt[i] === Infinity && (tau > lim || tau < -lim)) {
        c = tau > 0 ? lim : -lim; // saturated: constant torque
        b1 = b2 = 0;
      }
      ctrl[i] = c;
      this.lawForce[i] = c + b1 * q;
      this.lawDamp[i] = b2;
      bias[i * NBIAS + 1] = b1;
      bias[i * NBIAS + 2] = groups ? -this.mimic.leaderDamping(i, -b2) : b2;
    }
  }

  /** The force on joint i besides its actuator in the last step, from per-dof `f` (a <mimic> leader's group along its coupling). */
  private loadOn(i: number, f: Float64Array): number {
    return this.mimic.any ? this.mimic.coupledForce(i, f) : f[this.vadr[i]];
  }

  /**
   * Each joint's effort over the physics step just taken (N·m | N; robot joint order, into `out`),
   * from the velocities after it (`qvel`, MuJoCo's): its law at the new velocity, what MuJoCo's
   * implicit step applied (the actuator force at the step's start plus b2 times the velocity
   * change), as the cannon-es side reports its row (sim/actuators/Actuators.ts effortAfter). Not
   * MuJoCo's actuator force, the law at the step's start: on a light link that is the law at rest,
   * and the fixture's wrist (tests/helpers/saturation.ts, 1e-5 kg·m²) stepped 0.1 rad at kp 100
   * reported 10 N·m where the step applied 0.0103 (tests/sim/mujocoSaturation.test.ts). A <mimic>
   * leader's is its law on the coupled motion (the group's damping applies it), a follower's 0 (no
   * motor). A joint held at a hard limit past its effort limit reports ±limit (held()).
   */
  efforts(qvel: Float64Array, out: Float32Array): void {
    for (let i = 0; i < this.n; i++) {
      const e = this.lawForce[i] + this.lawDamp[i] * qvel[this.vadr[i]];
      const c = this.stops.clampAt[i];
      out[i] = e > c ? c : e < -c ? -c : e;
    }
  }

  /**
   * The force (N·m | N) joint i's law f = c + b1·q + b2·q̇ (at the present velocity) gives over the
   * coming step once MuJoCo's implicit step has taken its damping b = −b2 at the next velocity:
   * f − b·h·q̈, with q̈ = (f + r) / (m + h·(b + d)) for the joint alone (the fallback of solveStep()
   * where there is no factor: before MuJoCo's first M, or a bad one): m its inertia with the rest
   * of the robot free (1 / (M⁻¹)ᵢᵢ, a lower bound: too large, a light link is called saturated and
   * bang-bangs; a <mimic> leader's group along its coupling, uᵀMu, the rest locked), d its joint
   * damping, r the other forces on it in the last step (`rest` per dof, without constraints next
   * to a hard limit: without r a light law holds any load, the fixture's boom at 2.45 × its limit).
   * A weighted mean of f and −r, so within the limit when both are (no inertia needed then).
   */
  private stepForce(i: number, f: number, b: number, lim: number, views: MujocoViews, rest: Float64Array): number {
    if (!(b > 0)) return f;
    const groups = this.mimic.any; // i may lead a <mimic> group
    const r = groups ? this.mimic.coupledForce(i, rest) : rest[this.vadr[i]];
    if (f <= lim && f >= -lim && r <= lim && r >= -lim) return f;
    let m = groups ? this.mimic.coupledInertia(i) : 0;
    if (!(m > 0)) m = this.inertia.of(this.vadr[i], views);
    if (!(m > 0 && m < Infinity)) return f;
    const hb = this.h * b;
    const tau = f - (hb * (f + r)) / (m + hb + this.h * this.damping[i]);
    // A non-finite force on the joint last step (r): judged on the law itself, as before the implicit force, not passed unsaturated.
    return Math.abs(tau) < Infinity ? tau : f;
  }

  /** `tauOf` of each joint with a law not held at a hard limit, one by one (stepForce(); next to a hard limit without the constraint forces). */
  private eachStepForce(views: MujocoViews): void {
    for (let i = 0; i < this.n; i++)
      if (this.limOf[i] > 0 && this.stops.clampAt[i] === Infinity) this.tauOf[i] = this.stepForce(i, this.fOf[i], -this.b2Of[i], this.limOf[i], views, this.stops.near[i] === 1 ? this.free : this.rest);
  }

  /**
   * The force each joint's law applies over the coming step (`tauOf`) with the whole robot's
   * implicit step and the saturated set found by a small active-set iteration
   * (sim/mujoco/MujocoActiveSet.ts); no factor (no M yet): the one-joint estimate (eachStepForce()).
   */
  private solveStep(views: MujocoViews): void {
    const s = this.solver;
    if (s === undefined || !this.activeSet.solve(s)) this.eachStepForce(views);
  }
}
