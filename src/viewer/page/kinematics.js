// Forward kinematics of the robot's URDF tree in the page: poses the robot at a world model's
// predicted joint positions (ghost paths and the ghost robot). Same conventions as sim/'s
// SimRobot: a joint's child frame is parent · origin(xyz, rpy) · motion(q about/along axis).
// Plain math on three's Matrix4, no DOM: tests run it in Node against the simulator's poses.
import * as THREE from 'three';

const MOVING = new Set(['revolute', 'continuous', 'prismatic']);

/**
 * kin: { root, joints: [{ name, type, parent, child, xyz, rpy, axis, index }] } in tree order
 * (parents first); index = the joint's position in the robot's joint order, −1 for fixed ones.
 * linkNames: link order of the state frame's poses.
 */
export class Kinematics {
  constructor(kin, linkNames) {
    this.linkIndex = new Map(linkNames.map((n, i) => [n, i]));
    this.root = this.linkIndex.get(kin.root) ?? 0;
    this.world = linkNames.map(() => new THREE.Matrix4());
    this.joints = kin.joints.map((j) => ({
      parent: this.linkIndex.get(j.parent),
      child: this.linkIndex.get(j.child),
      origin: new THREE.Matrix4().compose(
        new THREE.Vector3(j.xyz[0], j.xyz[1], j.xyz[2]),
        new THREE.Quaternion().setFromEuler(new THREE.Euler(j.rpy[0], j.rpy[1], j.rpy[2], 'ZYX')), // URDF: Rz(yaw) Ry(pitch) Rx(roll)
        new THREE.Vector3(1, 1, 1),
      ),
      axis: new THREE.Vector3(j.axis[0], j.axis[1], j.axis[2]).normalize(),
      type: MOVING.has(j.type) ? j.type : 'fixed',
      index: j.index,
    }));
    this._m = new THREE.Matrix4();
    this._p = new THREE.Vector3();
    this._q = new THREE.Quaternion();
    this._one = new THREE.Vector3(1, 1, 1);
  }

  /**
   * World matrix of every link (this.world, link order) for the root link at rootPos / rootQuat
   * (arrays: x y z, x y z w) and joint positions q (robot joint order; rad or m).
   */
  solve(rootPos, rootQuat, q) {
    this._p.set(rootPos[0], rootPos[1], rootPos[2]);
    this._q.set(rootQuat[0], rootQuat[1], rootQuat[2], rootQuat[3]);
    this.world[this.root].compose(this._p, this._q, this._one);
    for (const j of this.joints) {
      if (j.parent === undefined || j.child === undefined) continue;
      const w = this.world[j.child].multiplyMatrices(this.world[j.parent], j.origin);
      if (j.type === 'fixed' || j.index < 0) continue;
      const v = q[j.index] ?? 0;
      if (j.type === 'prismatic') this._m.makeTranslation(j.axis.x * v, j.axis.y * v, j.axis.z * v);
      else this._m.makeRotationAxis(j.axis, v);
      w.multiply(this._m);
    }
    return this.world;
  }
}

/**
 * The points a ghost path follows: the far end of every leaf link (a link no joint hangs from).
 * A link drawn as a rod centred halfway along it (its first visual's origin off the link frame)
 * ends at twice that origin; a link without such a visual is followed at its frame origin.
 * Returns [{ link, point: [x, y, z] }] in the link frame.
 */
export function tracedPoints(model, kin) {
  const parents = new Set(kin.joints.map((j) => j.parent));
  const movedBy = new Set(kin.joints.filter((j) => MOVING.has(j.type)).map((j) => j.child));
  // A leaf follows the joints above it; keep leaves below at least one moving joint.
  const below = new Set();
  for (const j of kin.joints) if (movedBy.has(j.child) || below.has(j.parent)) below.add(j.child);
  const out = [];
  for (const l of model.links) {
    if (parents.has(l.name) || !below.has(l.name)) continue;
    const o = l.visuals[0]?.origin.xyz ?? [0, 0, 0];
    const off = Math.hypot(o[0], o[1], o[2]) > 1e-9;
    out.push({ link: l.name, point: off ? [2 * o[0], 2 * o[1], 2 * o[2]] : [0, 0, 0] });
  }
  return out;
}
