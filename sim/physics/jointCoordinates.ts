import { Body, Quaternion, Vec3 } from 'cannon-es';
import type { JointInfo } from '../build/index.ts';

/**
 * A moving joint in joint coordinates, over its two cannon-es bodies (maximal coordinates): its
 * position and rate read from the bodies, its actuator effort applied to them, and how far its
 * constraint is from holding. Used by SimRobot at every physics step.
 *
 * Real-time rules: nothing here allocates (module scratch, style 3).
 */

const _v1 = new Vec3();
const _v2 = new Vec3();
const _v3 = new Vec3();
const _v4 = new Vec3();
const _v5 = new Vec3();
const _q1 = new Quaternion();
const _q2 = new Quaternion();
const _q3 = new Quaternion();

/**
 * Joint angle: relative rotation conj(qA)·qB times the inverse zero-pose relative rotation,
 * angle = 2·atan2(dot(xyz, axis), w) in (-π, π] (revolute and continuous joints both wrap).
 * Rate = dot(ωB − ωA, world axis). Slider: displacement of B's anchor from A's along the world
 * axis, and its time derivative. Writes q[i] (rad | m) and qd[i] (rad/s | m/s).
 */
export function readJoint(j: JointInfo, q: Float64Array, qd: Float64Array, i: number): void {
  const A = j.bodyA;
  const B = j.bodyB;
  A.quaternion.vmult(j.axisA, _v1); // world axis
  if (!j.prismatic) {
    A.quaternion.conjugate(_q1);
    _q1.mult(B.quaternion, _q2);
    _q2.mult(j.rel0Inv, _q3);
    let s = _q3.x * j.axisA.x + _q3.y * j.axisA.y + _q3.z * j.axisA.z;
    let w = _q3.w;
    if (w < 0) {
      s = -s;
      w = -w;
    }
    q[i] = 2 * Math.atan2(s, w);
    qd[i] =
      (B.angularVelocity.x - A.angularVelocity.x) * _v1.x +
      (B.angularVelocity.y - A.angularVelocity.y) * _v1.y +
      (B.angularVelocity.z - A.angularVelocity.z) * _v1.z;
  } else {
    A.quaternion.vmult(j.pivotA, _v2); // rA
    B.quaternion.vmult(j.pivotB, _v3); // rB
    // d = anchorB - anchorA
    _v4.set(B.position.x + _v3.x - A.position.x - _v2.x, B.position.y + _v3.y - A.position.y - _v2.y, B.position.z + _v3.z - A.position.z - _v2.z);
    q[i] = _v4.dot(_v1);
    // d/dt(d·axis) = (vB + ωB×rB − vA − ωA×rA)·axis + d·(ωA×axis)
    B.angularVelocity.cross(_v3, _v5);
    let rate = (B.velocity.x + _v5.x) * _v1.x + (B.velocity.y + _v5.y) * _v1.y + (B.velocity.z + _v5.z) * _v1.z;
    A.angularVelocity.cross(_v2, _v5);
    rate -= (A.velocity.x + _v5.x) * _v1.x + (A.velocity.y + _v5.y) * _v1.y + (A.velocity.z + _v5.z) * _v1.z;
    A.angularVelocity.cross(_v1, _v5);
    rate += _v4.dot(_v5);
    qd[i] = rate;
  }
}

/**
 * Applies a joint effort (N·m | N) for the next world step: a hinge's torque about the world axis
 * to B and its reaction to A (when A moves); a slider's force along the axis at B's anchor and
 * its reaction on A at the same world point.
 */
export function applyJointEffort(j: JointInfo, effort: number): void {
  const A = j.bodyA;
  const B = j.bodyB;
  A.quaternion.vmult(j.axisA, _v1); // world axis
  if (j.prismatic) {
    // Force along the axis at B's anchor; the reaction on A at the same world point.
    B.quaternion.vmult(j.pivotB, _v2); // anchor relative to B's centre
    _v3.set(_v1.x * effort, _v1.y * effort, _v1.z * effort);
    B.applyForce(_v3, _v2);
    _v4.set(B.position.x + _v2.x - A.position.x, B.position.y + _v2.y - A.position.y, B.position.z + _v2.z - A.position.z);
    _v3.negate(_v3);
    A.applyForce(_v3, _v4);
  } else {
    const tx = _v1.x * effort;
    const ty = _v1.y * effort;
    const tz = _v1.z * effort;
    B.torque.x += tx;
    B.torque.y += ty;
    B.torque.z += tz;
    if (A.type === Body.DYNAMIC) {
      A.torque.x -= tx;
      A.torque.y -= ty;
      A.torque.z -= tz;
    }
  }
}

/**
 * How far a joint's constraint is from holding: distance (m) between the joint anchors in the
 * two bodies (for a slider: the part perpendicular to the axis) into out[0], and angle (rad)
 * between the two bodies' copies of the joint axis into out[1].
 */
export function constraintError(j: JointInfo, out: Float64Array): Float64Array {
  j.bodyA.quaternion.vmult(j.pivotA, _v1);
  _v1.vadd(j.bodyA.position, _v1);
  j.bodyB.quaternion.vmult(j.pivotB, _v2);
  _v2.vadd(j.bodyB.position, _v2);
  _v2.vsub(_v1, _v3);
  j.bodyA.quaternion.vmult(j.axisA, _v4);
  j.bodyB.quaternion.vmult(j.axisB, _v5);
  if (j.prismatic) {
    const s = _v3.dot(_v4);
    _v3.set(_v3.x - s * _v4.x, _v3.y - s * _v4.y, _v3.z - s * _v4.z);
  }
  out[0] = _v3.length();
  out[1] = Math.acos(Math.min(1, Math.max(-1, _v4.dot(_v5))));
  return out;
}
