import { Body, Constraint, ContactEquation, RotationalEquation, Vec3 } from 'cannon-es';

const _rA = new Vec3();
const _rB = new Vec3();
const _d = new Vec3();
const _axis = new Vec3();
const _t1 = new Vec3();
const _t2 = new Vec3();

/**
 * A slider joint for cannon-es (it has none): bodyB's anchor stays on the line through bodyA's
 * anchor along `axisA`, and the relative rotation of the two bodies is locked.
 *
 * Two bilateral ContactEquations hold the anchors together along the two world directions
 * perpendicular to the axis (as PointToPointConstraint does with three); three
 * RotationalEquations keep body axes perpendicular as LockConstraint does, using the bodies'
 * orientations when the constraint is built (build it in the zero pose).
 */
export class PrismaticConstraint extends Constraint {
  /** Anchor in bodyA's frame (m, from its centre of mass). */
  readonly pivotA: Vec3;
  /** Anchor in bodyB's frame (m); equals pivotA's world point at zero joint position. */
  readonly pivotB: Vec3;
  /** Unit slide axis in bodyA's frame. */
  readonly axisA: Vec3;
  readonly equationT1: ContactEquation;
  readonly equationT2: ContactEquation;
  readonly rotationalEquations: readonly [RotationalEquation, RotationalEquation, RotationalEquation];
  private readonly xA: Vec3;
  private readonly yA: Vec3;
  private readonly zA: Vec3;
  private readonly xB: Vec3;
  private readonly yB: Vec3;
  private readonly zB: Vec3;

  constructor(bodyA: Body, bodyB: Body, options: { pivotA: Vec3; pivotB: Vec3; axisA: Vec3; maxForce?: number }) {
    super(bodyA, bodyB, { collideConnected: false });
    const maxForce = options.maxForce ?? 1e6;
    this.pivotA = options.pivotA.clone();
    this.pivotB = options.pivotB.clone();
    this.axisA = options.axisA.clone();
    this.axisA.normalize();
    const t1 = (this.equationT1 = new ContactEquation(bodyA, bodyB, maxForce));
    const t2 = (this.equationT2 = new ContactEquation(bodyA, bodyB, maxForce));
    t1.minForce = t2.minForce = -maxForce;
    this.xA = bodyA.vectorToLocalFrame(Vec3.UNIT_X);
    this.yA = bodyA.vectorToLocalFrame(Vec3.UNIT_Y);
    this.zA = bodyA.vectorToLocalFrame(Vec3.UNIT_Z);
    this.xB = bodyB.vectorToLocalFrame(Vec3.UNIT_X);
    this.yB = bodyB.vectorToLocalFrame(Vec3.UNIT_Y);
    this.zB = bodyB.vectorToLocalFrame(Vec3.UNIT_Z);
    const r1 = new RotationalEquation(bodyA, bodyB, { maxForce });
    const r2 = new RotationalEquation(bodyA, bodyB, { maxForce });
    const r3 = new RotationalEquation(bodyA, bodyB, { maxForce });
    this.rotationalEquations = [r1, r2, r3];
    this.equations.push(t1, t2, r1, r2, r3);
  }

  override update(): void {
    const bodyA = this.bodyA;
    const bodyB = this.bodyB;
    bodyA.quaternion.vmult(this.pivotA, _rA);
    bodyB.quaternion.vmult(this.pivotB, _rB);
    bodyA.quaternion.vmult(this.axisA, _axis);
    // d = anchorB - anchorA; the point of A's line nearest anchorB is anchorA + (d·axis)·axis.
    _d.x = bodyB.position.x + _rB.x - bodyA.position.x - _rA.x;
    _d.y = bodyB.position.y + _rB.y - bodyA.position.y - _rA.y;
    _d.z = bodyB.position.z + _rB.z - bodyA.position.z - _rA.z;
    const s = _d.dot(_axis);
    _axis.tangents(_t1, _t2);
    const e1 = this.equationT1;
    const e2 = this.equationT2;
    e1.ri.set(_rA.x + s * _axis.x, _rA.y + s * _axis.y, _rA.z + s * _axis.z);
    e1.rj.copy(_rB);
    e1.ni.copy(_t1);
    e2.ri.copy(e1.ri);
    e2.rj.copy(_rB);
    e2.ni.copy(_t2);
    const [r1, r2, r3] = this.rotationalEquations;
    bodyA.vectorToWorldFrame(this.xA, r1.axisA);
    bodyB.vectorToWorldFrame(this.yB, r1.axisB);
    bodyA.vectorToWorldFrame(this.yA, r2.axisA);
    bodyB.vectorToWorldFrame(this.zB, r2.axisB);
    bodyA.vectorToWorldFrame(this.zA, r3.axisA);
    bodyB.vectorToWorldFrame(this.xB, r3.axisB);
  }
}
