import type { MjModel } from '@mujoco/mujoco';
import type { CommandHold } from '../CommandHold.ts';
import type { MujocoJointDesc } from './MujocoRobotOptions.ts';
import type { MujocoViews } from './MujocoViews.ts';
import { wrapAngle } from '../physics/frames.ts';
import { MujocoMimicGroups } from './MujocoMimicGroups.ts';

const NBIAS = 10; // mjNBIAS

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
 * continuous-joint wrap, latency); a command whose torque would pass the effort limit is applied
 * as the saturated torque ±limit with no velocity term (a saturated motor has none). Armature,
 * damping and Coulomb friction are MuJoCo's joint armature, damping and frictionloss (exact, on
 * the joint coordinate).
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
  /** Each joint's law of the last apply() as MuJoCo runs it: force = lawForce + lawDamp·q̇ (N·m | N; 0 + 0·q̇ for a follower). */
  private readonly lawForce: Float64Array;
  private readonly lawDamp: Float64Array;

  constructor(
    model: MjModel,
    joints: readonly MujocoJointDesc[],
    private readonly qadr: Int32Array,
    private readonly vadr: Int32Array,
    private readonly implicitPd: boolean,
    /** Physics step (s). */
    private readonly h: number,
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
    this.lawForce = new Float64Array(n);
    this.lawDamp = new Float64Array(n);
    this.kpScale = new Float64Array(n).fill(1);
    this.kdScale = new Float64Array(n).fill(1);
    this.effortScale = new Float64Array(n).fill(1);
  }

  /** Writes every actuator's ctrl and bias from the held command, for the next physics step. */
  apply(hold: CommandHold, views: MujocoViews): void {
    const qpos = views.qpos;
    const qvel = views.qvel;
    const ctrl = views.ctrl;
    const bias = views.biasprm;
    const mode = hold.mode;
    const target = hold.target;
    const kp = hold.kp;
    const kd = hold.kd;
    const ffs = hold.ff;
    const h = this.h;
    for (let i = 0; i < this.n; i++) {
      const q = qpos[this.qadr[i]];
      const v = qvel[this.vadr[i]];
      const lim = this.effortLimit[i] * this.effortScale[i];
      const t = target[i];
      const ff = ffs[i];
      let c = 0; // ctrl
      let b1 = 0;
      let b2 = 0;
      let f = 0; // the torque the law asks for at v (for the saturation test)
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
      if (this.mimic.follower[i] === 1) {
        c = b1 = b2 = 0; // a follower (URDF <mimic>): no motor, its command ignored; its damping share below
      } else if (!(Math.abs(c) <= 1e10 && Math.abs(b1) <= 1e10 && Math.abs(b2) <= 1e10 && Math.abs(f) <= 1e10)) {
        c = b1 = b2 = 0;
        this.badCount++;
      } else if (lim === 0) {
        c = b1 = b2 = 0; // passive joint
      } else if (f > lim || f < -lim) {
        c = f > 0 ? lim : -lim; // saturated: constant torque
        b1 = b2 = 0;
      }
      ctrl[i] = c;
      this.lawForce[i] = c + b1 * q;
      this.lawDamp[i] = b2;
      bias[i * NBIAS + 1] = b1;
      bias[i * NBIAS + 2] = this.mimic.any ? -this.mimic.leaderDamping(i, -b2) : b2;
    }
    if (this.mimic.any) {
      for (let i = 0; i < this.n; i++) if (this.mimic.follower[i] === 1) bias[i * NBIAS + 2] = -this.mimic.followerDamping(i);
      this.mimic.scaleEqualities(views.eqSolref, h);
    }
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
   * motor).
   */
  efforts(qvel: Float64Array, out: Float32Array): void {
    for (let i = 0; i < this.n; i++) out[i] = this.lawForce[i] + this.lawDamp[i] * qvel[this.vadr[i]];
  }
}
