import type { JointSpec } from '../../src/core/robot.ts';
import { wrapAngle } from '../physics/frames.ts';
import type { UrdfJoint, UrdfNote } from '../urdf/parseUrdf.ts';

/**
 * Mimic joints (a URDF `<mimic>`, sim/urdf/urdfMimic.ts) as both simulators use them: the
 * JointSpec field, the followers' default pose (from their leader's), and the per-joint arrays a
 * robot projects its initial state with. No physics engine here: the coupling itself is
 * sim/physics/MimicCoupling.ts (cannon-es) and an `<equality><joint>` (sim/mujoco/compileUrdf.ts).
 */

/** The JointSpec `mimic` of a moving URDF joint (the chain resolved), or undefined when it is driven. */
export function mimicOfJoint(joint: UrdfJoint): JointSpec['mimic'] {
  const m = joint.mimic;
  return m === undefined ? undefined : { joint: m.root, multiplier: m.rootMultiplier, offset: m.rootOffset };
}

/**
 * The specs with each follower's default position set from its leader's (m·default + o, o for a
 * fixed leader), clamped into its own limits. A default given for a follower (`given`, e.g. a
 * manifest's default_joint_pos or --init-pose) that differs from its leader's is not used: note
 * SIM_MIMIC_DEFAULT. `coupling` names what couples them in the note (an MJCF's `<equality><joint>`).
 * Configure time only.
 */
export function followerDefaults<S extends JointSpec>(specs: readonly S[], given: (name: string) => number | undefined, notes: UrdfNote[], coupling = '<mimic>'): S[] {
  const index = new Map(specs.map((s, i) => [s.name, i]));
  return specs.map((s) => {
    if (s.mimic === undefined) return s;
    const leader = index.get(s.mimic.joint);
    const wanted = s.mimic.multiplier * (leader === undefined ? 0 : specs[leader].defaultPosition) + s.mimic.offset;
    const pos = Math.min(s.upper, Math.max(s.lower, wanted));
    const g = given(s.name);
    if (g !== undefined && Math.abs(g - pos) > 1e-9)
      notes.push({
        code: 'SIM_MIMIC_DEFAULT',
        where: `<joint name="${s.name}">`,
        message: `default position ${g} not used: the joint follows ${s.mimic.joint} (${coupling}) and starts at ${+pos.toPrecision(6)}, from ${s.mimic.joint}'s default; give ${s.mimic.joint}'s instead`,
      });
    return pos === s.defaultPosition ? s : { ...s, defaultPosition: pos };
  });
}

/**
 * The followers of a robot as arrays in robot joint order, for the hot path: which joints follow,
 * the index of the joint each follows (−1 for a fixed one), multiplier and offset.
 * Real-time rules: project() allocates nothing.
 */
export class MimicJoints {
  /** 1 where the joint follows another (never driven by a command). */
  readonly follower: Uint8Array;
  /** Index of the leader of each follower (−1: a fixed joint, position 0; or not a follower). */
  readonly leader: Int32Array;
  readonly multiplier: Float64Array;
  readonly offset: Float64Array;
  /** Robot joint indices of the followers. */
  readonly followers: readonly number[];
  private readonly lower: Float64Array;
  private readonly upper: Float64Array;

  /** Joints without limits (a task that only reads the coupling) project unclamped. */
  constructor(specs: readonly (Pick<JointSpec, 'name' | 'mimic'> & Partial<Pick<JointSpec, 'lower' | 'upper'>>)[]) {
    const index = new Map(specs.map((s, i) => [s.name, i]));
    this.follower = Uint8Array.from(specs, (s) => (s.mimic ? 1 : 0));
    this.leader = Int32Array.from(specs, (s) => (s.mimic ? (index.get(s.mimic.joint) ?? -1) : -1));
    this.multiplier = Float64Array.from(specs, (s) => s.mimic?.multiplier ?? 0);
    this.offset = Float64Array.from(specs, (s) => s.mimic?.offset ?? 0);
    this.lower = Float64Array.from(specs, (s) => s.lower ?? -Infinity);
    this.upper = Float64Array.from(specs, (s) => s.upper ?? Infinity);
    this.followers = specs.flatMap((s, i) => (s.mimic ? [i] : []));
  }

  /**
   * Puts every follower where its leader says (robot joint order, in place): position m·q + o
   * clamped into its limits, velocity m·v. A robot's initial state goes through it at reset, so
   * an episode starts on the coupling whatever pose it was given.
   */
  project(positions: Float64Array, velocities?: Float64Array): void {
    for (let k = 0; k < this.followers.length; k++) {
      const i = this.followers[k];
      const l = this.leader[i];
      const q = this.multiplier[i] * (l < 0 ? 0 : positions[l]) + this.offset[i];
      positions[i] = q < this.lower[i] ? this.lower[i] : q > this.upper[i] ? this.upper[i] : q;
      if (velocities !== undefined) velocities[i] = l < 0 ? 0 : this.multiplier[i] * velocities[l];
    }
  }
}

/**
 * Each follower's coupling error q_f − m·q_l − o (rad | m), on hinge angles unwrapped: the
 * simulator's coupling (sim/physics/MimicCoupling.ts) drives it to 0 and the free-run task
 * (sim/tasks/freeRun.ts) reports it. Why unwrapped: cannon-es reads every hinge's angle in
 * (−π, π] and MuJoCo a continuous joint's, and wrapping q_f − m·q_l − o only undoes a wrap for a
 * whole m: a continuous leader at m 0.5 made its follower jump π at each turn
 * (tests/sim/mimicCannon.test.ts, a wheel and its half-speed follower). Each coupled hinge keeps
 * its angle unwrapped instead, from the one it starts at plus the wrapped change of every reading
 * (exact while a joint turns less than π between readings).
 * Real-time rules: update() allocates nothing.
 */
export class MimicErrors {
  /** Robot joint index of each follower, in MimicJoints.followers' order. */
  readonly followers: Int32Array;
  /** Per follower, written by update(): q_f − m·q_l − o on unwrapped angles (rad | m). */
  readonly error: Float64Array;
  private readonly leader: Int32Array;
  private readonly multiplier: Float64Array;
  private readonly offset: Float64Array;
  /** Robot joint indices of the joints the couplings read (followers and leaders). */
  private readonly coupled: Int32Array;
  /** Per robot joint: 1 for a hinge, its position (a hinge's unwrapped) and last reading. */
  readonly hinge: Uint8Array;
  private readonly q: Float64Array;
  private readonly read: Float64Array;

  /** hinge: per robot joint, 1 where the joint turns (revolute, continuous), 0 where it slides. */
  constructor(mimics: MimicJoints, hinge: Uint8Array) {
    const f = mimics.followers;
    this.followers = Int32Array.from(f);
    this.error = new Float64Array(f.length);
    this.leader = Int32Array.from(f, (i) => mimics.leader[i]);
    this.multiplier = Float64Array.from(f, (i) => mimics.multiplier[i]);
    this.offset = Float64Array.from(f, (i) => mimics.offset[i]);
    this.coupled = Int32Array.from(new Set(f.flatMap((i) => (mimics.leader[i] < 0 ? [i] : [i, mimics.leader[i]]))));
    this.hinge = hinge;
    this.q = new Float64Array(hinge.length);
    this.read = new Float64Array(hinge.length);
  }

  /**
   * From the positions as read (robot joint order): each hinge's angle taken as the one nearest
   * `near` (the joints' default pose; absent: the reading itself, which may lie past ±π) that
   * reads the same, and the errors computed.
   */
  start(positions: ArrayLike<number>, near?: ArrayLike<number>): void {
    for (let k = 0; k < this.coupled.length; k++) {
      const i = this.coupled[k];
      const r = positions[i];
      const d = near === undefined ? r : near[i];
      this.q[i] = this.hinge[i] === 1 ? d + wrapAngle(r - d) : r;
      this.read[i] = r;
    }
    this.errors();
  }

  /** After a reading (robot joint order): the unwrapped angles moved on and the errors computed. */
  update(positions: ArrayLike<number>): void {
    const u = this.q;
    for (let k = 0; k < this.coupled.length; k++) {
      const i = this.coupled[k];
      const r = positions[i];
      u[i] = this.hinge[i] === 1 ? u[i] + wrapAngle(r - this.read[i]) : r;
      this.read[i] = r;
    }
    this.errors();
  }

  private errors(): void {
    const u = this.q;
    for (let k = 0; k < this.followers.length; k++) {
      const l = this.leader[k];
      this.error[k] = u[this.followers[k]] - this.multiplier[k] * (l < 0 ? 0 : u[l]) - this.offset[k];
    }
  }
}
