import { Quaternion, Vec3, type Body } from 'cannon-es';
import { quatFromRpy, rotationMatrix } from '../physics/frames.ts';
import { groupMass, type BodyInfo, type LinkInfo } from './links.ts';

/** Where a joint's armature goes (SimRobotOptions.armatureModel). */
export type ArmatureModel = 'isotropic' | 'axis' | 'joint';

/** A joint as the mass properties see it: its armature rides on the child body B. */
export interface ArmatureJoint {
  readonly bodyB: Body;
  readonly prismatic: boolean;
  /** Joint axis in B's body frame. */
  readonly axisB: Vec3;
}

// Module scratch (style 3): mass properties are recomputed between episodes (randomised masses).
const _v1 = new Vec3();
const _v2 = new Vec3();
const _q1 = new Quaternion();
const _q2 = new Quaternion();
const _m1 = new Float64Array(9);

/** Sets the group's centre of mass (group-root link frame, m) from its links' inertials; zero for a static or massless group. */
export function computeCom(info: BodyInfo, links: readonly LinkInfo[]): void {
  const total = groupMass(info, links);
  info.com.setZero();
  if (info.isStatic || !(total > 0)) return;
  for (const li of info.links) {
    const link = links[li];
    const inertial = link.inertial;
    if (inertial === undefined) continue;
    _v1.set(...inertial.origin.xyz);
    link.inGroupQuat.vmult(_v1, _v2);
    _v2.vadd(link.inGroupPos, _v2);
    info.com.x += (link.mass * _v2.x) / total;
    info.com.y += (link.mass * _v2.y) / total;
    info.com.z += (link.mass * _v2.z) / total;
  }
}

/**
 * Mass and inertia from the URDF inertials (not from the shapes): each link's tensor rotated
 * into the body axes, moved to the body's centre of mass (parallel axis), summed; the body keeps
 * the diagonal. The centre of mass is the one fixed at construction. A joint's armature rides on
 * its child body: about all three axes ('isotropic') or about the joint axis only ('axis');
 * 'joint' (or no armature given) leaves it to the drive row.
 */
export function applyMassProperties(
  info: BodyInfo,
  links: readonly LinkInfo[],
  armature?: { readonly model: ArmatureModel; readonly joints: readonly ArmatureJoint[]; readonly values: ArrayLike<number> },
): void {
  const body = info.body;
  if (info.isStatic) {
    body.mass = 0;
    body.updateMassProperties();
    return;
  }
  let M = 0;
  const I = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (const li of info.links) {
    const link = links[li];
    const inertial = link.inertial;
    if (inertial === undefined || link.mass <= 0) continue;
    const scale = link.mass / inertial.mass;
    const local = [inertial.ixx, inertial.ixy, inertial.ixz, inertial.ixy, inertial.iyy, inertial.iyz, inertial.ixz, inertial.iyz, inertial.izz].map((v) => v * scale);
    quatFromRpy(inertial.origin.rpy, _q1);
    link.inGroupQuat.mult(_q1, _q2);
    const R = rotationMatrix(_q2, _m1);
    // R·Ilocal·Rᵀ
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) s += R[r * 3 + a] * local[a * 3 + b] * R[c * 3 + b];
        I[r * 3 + c] += s;
      }
    }
    _v1.set(...inertial.origin.xyz);
    link.inGroupQuat.vmult(_v1, _v2);
    _v2.vadd(link.inGroupPos, _v2);
    _v2.vsub(info.com, _v2); // d
    const d = [_v2.x, _v2.y, _v2.z];
    const d2 = _v2.dot(_v2);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) I[r * 3 + c] += link.mass * ((r === c ? d2 : 0) - d[r] * d[c]);
    M += link.mass;
  }
  if (armature !== undefined && armature.model !== 'joint') {
    const iso = armature.model === 'isotropic';
    for (let k = 0; k < armature.joints.length; k++) {
      const j = armature.joints[k];
      const a = armature.values[k];
      if (!(a > 0) || j.bodyB !== body || j.prismatic) continue;
      I[0] += iso ? a : a * j.axisB.x * j.axisB.x;
      I[4] += iso ? a : a * j.axisB.y * j.axisB.y;
      I[8] += iso ? a : a * j.axisB.z * j.axisB.z;
    }
  }
  body.mass = M;
  body.updateMassProperties(); // sets invMass; its shape-derived inertia is overwritten below
  body.inertia.set(I[0], I[4], I[8]);
  body.invInertia.set(1 / I[0], 1 / I[4], 1 / I[8]);
  body.updateInertiaWorld(true);
}
