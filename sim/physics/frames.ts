import { Quaternion, Vec3 } from 'cannon-es';

/**
 * Small rigid-transform helpers on cannon-es types. Callers pass the output (STYLE.md 3);
 * outputs must not alias inputs unless stated.
 */

const _qx = new Quaternion();
const _qy = new Quaternion();
const _qz = new Quaternion();
const _qt = new Quaternion();
const _vt = new Vec3();

/** URDF roll-pitch-yaw (rad, fixed axes): R = Rz(yaw)·Ry(pitch)·Rx(roll). */
export function quatFromRpy(rpy: readonly [number, number, number], out: Quaternion): Quaternion {
  _qx.setFromAxisAngle(Vec3.UNIT_X, rpy[0]);
  _qy.setFromAxisAngle(Vec3.UNIT_Y, rpy[1]);
  _qz.setFromAxisAngle(Vec3.UNIT_Z, rpy[2]);
  _qz.mult(_qy, _qt);
  return _qt.mult(_qx, out);
}

/** out = (p1, q1) ∘ (p2, q2): position p1 + q1·p2, orientation q1·q2. Outputs may alias inputs. */
export function composePose(
  p1: Vec3,
  q1: Quaternion,
  p2: Vec3,
  q2: Quaternion,
  outP: Vec3,
  outQ: Quaternion,
): void {
  q1.vmult(p2, _vt);
  q1.mult(q2, _qt);
  outP.set(p1.x + _vt.x, p1.y + _vt.y, p1.z + _vt.z);
  outQ.copy(_qt);
}

/** 3x3 row-major rotation matrix of a unit quaternion. */
export function rotationMatrix(q: Quaternion, out: Float64Array): Float64Array {
  const { x, y, z, w } = q;
  out[0] = 1 - 2 * (y * y + z * z);
  out[1] = 2 * (x * y - z * w);
  out[2] = 2 * (x * z + y * w);
  out[3] = 2 * (x * y + z * w);
  out[4] = 1 - 2 * (x * x + z * z);
  out[5] = 2 * (y * z - x * w);
  out[6] = 2 * (x * z - y * w);
  out[7] = 2 * (y * z + x * w);
  out[8] = 1 - 2 * (x * x + y * y);
  return out;
}

/** Wraps an angle to (-π, π]. */
export function wrapAngle(a: number): number {
  const twoPi = 2 * Math.PI;
  let r = a - twoPi * Math.floor((a + Math.PI) / twoPi);
  if (r <= -Math.PI) r += twoPi;
  return r;
}
