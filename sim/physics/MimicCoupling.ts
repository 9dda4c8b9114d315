import { Constraint, Equation, Vec3, type Body, type World } from 'cannon-es';
import type { JointInfo } from '../build/makeJoint.ts';
import { MimicErrors, type MimicJoints } from '../build/mimicJoints.ts';

const _axis = new Vec3();
const _rB = new Vec3();
const _anchor = new Vec3();
const _t = new Vec3();

/**
 * Fraction of a coupling's position error (rad | m) removed per physics step. With split impulse
 * (sim/physics/WarmStartSolver.ts, pd 'implicit') it is removed by the position pass, which moves
 * the bodies without adding momentum; without, it is a Baumgarte term of the velocity solve.
 * 0.2, 0.5 and 1 compared on the Robotiq gripper (tests/bench/mimicFigures.ts; docs/simulation.md, "Mimic joints").
 */
export const MIMIC_ERP = 0.5;

/**
 * One URDF `<mimic>` in cannon-es: a rigid velocity-level row coupling two joint coordinates,
 *
 *     rate(follower) − m · rate(leader) = −MIMIC_ERP · (q_f − m·q_l − o) / h
 *
 * solved by the Gauss-Seidel solver with the joints, drives and contacts (MuJoCo's joint equality,
 * PhysX's mimic joint, Drake's coupler constraint). It acts on up to four bodies (each joint's
 * parent and child; shared ones merged), so both joints carry it: the leader's drive moves the
 * follower and feels its inertia, weight and contacts, as a linkage or gear does. The impulse is
 * unbounded: the mechanism, not a motor, holds the coupling. A leader that is a fixed joint holds
 * the follower at o. The joint rate on its bodies is JointRowEquation's (sim/physics/JointDrive.ts).
 *
 * Real-time rules: computeB() and the solver's calls allocate nothing.
 */
export class MimicEquation extends Equation {
  /** q_f − m·q_l − o (rad | m), written before each physics step. */
  error = 0;
  /** Fraction of the error removed per step: MIMIC_ERP (tests/bench/mimicFigures.ts varies it). */
  erp = MIMIC_ERP;
  private readonly bodies: Body[] = [];
  private readonly spatial: Vec3[] = [];
  private readonly rotational: Vec3[] = [];

  constructor(
    private readonly follower: JointInfo,
    private readonly leader: JointInfo | undefined,
    /** m: follower units per leader unit. */
    private readonly gear: number,
  ) {
    super(follower.bodyA, follower.bodyB, -Infinity, Infinity);
    for (const b of [follower.bodyA, follower.bodyB, leader?.bodyA, leader?.bodyB])
      if (b !== undefined && !this.bodies.includes(b)) {
        this.bodies.push(b);
        this.spatial.push(new Vec3());
        this.rotational.push(new Vec3());
      }
    this.eps = 0; // rigid
    this.b = 1; // the row aims at the velocity itself (split impulse reads −b·G·v as its velocity part)
  }

  override computeB(h: number): number {
    for (let k = 0; k < this.bodies.length; k++) {
      this.spatial[k].setZero();
      this.rotational[k].setZero();
    }
    this.addJoint(this.follower, 1);
    if (this.leader !== undefined) this.addJoint(this.leader, -this.gear);
    return (-this.erp * this.error) / h - this.computeGW() - h * this.computeGiMf();
  }

  /** Adds s × the joint's rate Jacobian (JointRowEquation.computeB's) to the rows of its bodies. */
  private addJoint(j: JointInfo, s: number): void {
    const A = j.bodyA;
    const B = j.bodyB;
    const a = this.bodies.indexOf(A);
    const b = this.bodies.indexOf(B);
    A.quaternion.vmult(j.axisA, _axis);
    if (j.prismatic) {
      B.quaternion.vmult(j.pivotB, _rB);
      _anchor.set(B.position.x + _rB.x - A.position.x, B.position.y + _rB.y - A.position.y, B.position.z + _rB.z - A.position.z);
      this.spatial[a].addScaledVector(-s, _axis, this.spatial[a]);
      _anchor.cross(_axis, _t);
      this.rotational[a].addScaledVector(-s, _t, this.rotational[a]);
      this.spatial[b].addScaledVector(s, _axis, this.spatial[b]);
      _rB.cross(_axis, _t);
      this.rotational[b].addScaledVector(s, _t, this.rotational[b]);
    } else {
      this.rotational[a].addScaledVector(-s, _axis, this.rotational[a]);
      this.rotational[b].addScaledVector(s, _axis, this.rotational[b]);
    }
  }

  override computeGW(): number {
    let r = 0;
    for (let k = 0; k < this.bodies.length; k++) r += this.spatial[k].dot(this.bodies[k].velocity) + this.rotational[k].dot(this.bodies[k].angularVelocity);
    return r;
  }

  override computeGWlambda(): number {
    let r = 0;
    for (let k = 0; k < this.bodies.length; k++) r += this.spatial[k].dot(this.bodies[k].vlambda) + this.rotational[k].dot(this.bodies[k].wlambda);
    return r;
  }

  override computeGiMf(): number {
    let r = 0;
    for (let k = 0; k < this.bodies.length; k++) {
      const B = this.bodies[k];
      r += B.invMassSolve * this.spatial[k].dot(B.force);
      B.invInertiaWorldSolve.vmult(B.torque, _t);
      r += this.rotational[k].dot(_t);
    }
    return r;
  }

  override computeGiMGt(): number {
    let r = 0;
    for (let k = 0; k < this.bodies.length; k++) {
      const B = this.bodies[k];
      const sp = this.spatial[k];
      r += B.invMassSolve * sp.dot(sp);
      B.invInertiaWorldSolve.vmult(this.rotational[k], _t);
      r += _t.dot(this.rotational[k]);
    }
    return r;
  }

  override addToWlambda(deltalambda: number): void {
    for (let k = 0; k < this.bodies.length; k++) {
      const B = this.bodies[k];
      B.vlambda.addScaledVector(B.invMassSolve * deltalambda, this.spatial[k], B.vlambda);
      B.invInertiaWorldSolve.vmult(this.rotational[k], _t);
      B.wlambda.addScaledVector(deltalambda, _t, B.wlambda);
    }
  }
}

/** One coupling as a cannon-es constraint (update() does nothing: MimicCouplings writes the error). */
class MimicConstraint extends Constraint {
  constructor(eq: MimicEquation) {
    super(eq.bi, eq.bj, { collideConnected: true, wakeUpBodies: false });
    this.equations.push(eq);
  }

  override update(): void {}
}

/**
 * A robot's mimic couplings as cannon-es constraints, one MimicEquation per follower, added to the
 * world. update() writes each coupling's error (MimicErrors: on unwrapped hinge angles, since
 * cannon-es reads a hinge's angle in (−π, π], sim/physics/jointCoordinates.ts) from the joint
 * positions before a physics step.
 */
export class MimicCouplings {
  private readonly equations: MimicEquation[] = [];
  private readonly errors: MimicErrors;

  constructor(
    joints: readonly JointInfo[],
    private readonly mimics: MimicJoints,
    world: World,
  ) {
    this.errors = new MimicErrors(mimics, Uint8Array.from(joints, (j) => (j.prismatic ? 0 : 1)));
    for (const i of mimics.followers) {
      const l = mimics.leader[i];
      const eq = new MimicEquation(joints[i], l < 0 ? undefined : joints[l], mimics.multiplier[i]);
      world.addConstraint(new MimicConstraint(eq));
      this.equations.push(eq);
    }
  }

  /**
   * At reset, before the bodies are placed: the followers put where their leaders say
   * (MimicJoints.project, in place, robot joint order), and the unwrapped angles taken from that
   * pose (rad | m; a continuous joint may start past ±π).
   */
  start(positions: Float64Array, velocities: Float64Array): void {
    this.mimics.project(positions, velocities);
    this.errors.start(positions);
  }

  /** Before a physics step: each coupling's error from the joint positions q as read (rad | m, robot joint order). */
  update(q: Float64Array): void {
    this.errors.update(q);
    for (let k = 0; k < this.equations.length; k++) this.equations[k].error = this.errors.error[k];
  }
}
