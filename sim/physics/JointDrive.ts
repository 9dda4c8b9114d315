import { Constraint, Equation, Vec3, type Body } from 'cannon-es';

const _axis = new Vec3();
const _rA = new Vec3();
const _rB = new Vec3();
const _anchor = new Vec3();

/**
 * One velocity-level row on a joint's coordinate, solved by cannon-es's Gauss-Seidel solver with
 * the joints and contacts: at convergence  G·v⁺ = target − compliance·λ  with λ in [minForce,
 * maxForce] (an impulse, N·m·s | N·s). G is the joint rate: for a hinge axis·(ωB − ωA); for a
 * slider the rate of B's anchor along the axis relative to A (the derivative readJoint in
 * sim/physics/jointCoordinates.ts computes). Unlike cannon's motor equations it takes no SPOOK
 * parameters: b = 1, eps is the compliance. sim/actuators/Actuators.ts sets target, compliance and
 * bounds every step.
 */
export class JointRowEquation extends Equation {
  target = 0;
  /**
   * Whether the joint's command is the same as in the previous physics step (set by the
   * simulator): the warm start (sim/physics/WarmStartSolver.ts) then trusts last step's impulse in
   * full, else in part.
   */
  commandHeld = false;

  constructor(
    bodyA: Body,
    bodyB: Body,
    /** Joint axis in A's body frame. */
    private readonly axisA: Vec3,
    private readonly prismatic: boolean,
    /** Anchor in B's body frame (sliders). */
    private readonly pivotB: Vec3,
  ) {
    super(bodyA, bodyB, -Infinity, Infinity);
    this.eps = 0;
  }

  override computeB(h: number): number {
    const A = this.bi;
    const B = this.bj;
    const GA = this.jacobianElementA;
    const GB = this.jacobianElementB;
    A.quaternion.vmult(this.axisA, _axis);
    if (this.prismatic) {
      // Force along the axis at B's anchor, its reaction on A at the same point.
      B.quaternion.vmult(this.pivotB, _rB);
      _anchor.set(B.position.x + _rB.x - A.position.x, B.position.y + _rB.y - A.position.y, B.position.z + _rB.z - A.position.z);
      _rA.copy(_anchor);
      GA.spatial.set(-_axis.x, -_axis.y, -_axis.z);
      _rA.cross(_axis, GA.rotational);
      GA.rotational.negate(GA.rotational);
      GB.spatial.copy(_axis);
      _rB.cross(_axis, GB.rotational);
    } else {
      GA.spatial.setZero();
      GB.spatial.setZero();
      GA.rotational.set(-_axis.x, -_axis.y, -_axis.z);
      GB.rotational.copy(_axis);
    }
    // B = target − G·v − h·G·M⁻¹·f  (b = 1: the row aims at v⁺ itself, not at a position error).
    return this.target - this.computeGW() - h * this.computeGiMf();
  }
}

/**
 * Distance from a position limit (rad | m) within which the limit row is in the solver even when
 * the joint moves away from it (speculative, as a contact margin): a row that stays in keeps its
 * warm-started impulse while the joint rests on the limit.
 */
export const LIMIT_MARGIN = 0.02;
/**
 * Fraction of a limit violation (rad | m) the limit row removes per physics step (Baumgarte): a
 * joint past its limit is pushed back at violation × LIMIT_ERP / dt, no faster.
 */
export const LIMIT_ERP = 0.2;

/**
 * The actuator rows of one joint as a cannon-es constraint: the drive (implicit PD + armature +
 * damping, sim/actuators/Actuators.ts), when the joint has Coulomb friction a friction row
 * (target velocity 0, rigid, impulse bounded by dt × friction), and a position-limit row (a hard,
 * one-sided limit as PhysX's articulation limits: see setLimit). update() does nothing: the
 * simulator writes the rows before each world.step; a row is switched off with `enabled`.
 */
export class JointDrive extends Constraint {
  readonly drive: JointRowEquation;
  readonly friction: JointRowEquation;
  readonly limit: JointRowEquation;

  constructor(bodyA: Body, bodyB: Body, axisA: Vec3, prismatic: boolean, pivotB: Vec3) {
    super(bodyA, bodyB, { collideConnected: true, wakeUpBodies: false });
    this.drive = new JointRowEquation(bodyA, bodyB, axisA, prismatic, pivotB);
    this.friction = new JointRowEquation(bodyA, bodyB, axisA, prismatic, pivotB);
    this.limit = new JointRowEquation(bodyA, bodyB, axisA, prismatic, pivotB);
    this.drive.enabled = false;
    this.friction.enabled = false;
    this.limit.enabled = false;
    this.equations.push(this.drive, this.friction, this.limit);
  }

  /** Drive row: G·v⁺ = target − compliance·λ, |λ| <= bound (impulse). */
  setDrive(target: number, compliance: number, bound: number): void {
    const e = this.drive;
    e.enabled = true;
    e.target = target;
    e.eps = compliance;
    e.minForce = -bound;
    e.maxForce = bound;
  }

  /** Friction row: holds the joint still up to an impulse of `bound` (N·m·s | N·s); 0 disables it. */
  setFriction(bound: number): void {
    const e = this.friction;
    e.enabled = bound > 0;
    e.target = 0;
    e.eps = 0;
    e.minForce = -bound;
    e.maxForce = bound;
  }

  /**
   * Limit row for a joint at q (rad | m) moving at v, limits [lower, upper], physics step h (s):
   * rigid and one-sided. Near the lower limit it asks v⁺ >= (lower − q)/h (speculative: the joint
   * may approach the limit but not cross it within the step; past it, pushed back at LIMIT_ERP of
   * the violation per step) with an impulse >= 0 only; near the upper limit the mirror image. Out
   * of the solver while the joint is farther than LIMIT_MARGIN plus this step's travel from both.
   * The impulse is unbounded: the joint's structure, not its motor, holds a limit.
   */
  setLimit(q: number, v: number, lower: number, upper: number, h: number): void {
    const e = this.limit;
    const dl = q - lower;
    const du = upper - q;
    const reach = LIMIT_MARGIN + 2 * h * Math.abs(v);
    if (dl <= du && dl < reach) {
      e.enabled = true;
      e.target = -(dl >= 0 ? dl : LIMIT_ERP * dl) / h;
      e.minForce = 0;
      e.maxForce = Infinity;
    } else if (du < dl && du < reach) {
      e.enabled = true;
      e.target = (du >= 0 ? du : LIMIT_ERP * du) / h;
      e.minForce = -Infinity;
      e.maxForce = 0;
    } else {
      e.enabled = false;
    }
    e.eps = 0;
    e.commandHeld = true;
  }

  override update(): void {}
}
