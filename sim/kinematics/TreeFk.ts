import { Quaternion, Vec3, type Body } from 'cannon-es';
import { composePose, quatFromRpy } from '../physics/frames.ts';
import type { UrdfJoint, UrdfModel } from '../urdf/parseUrdf.ts';

const _v1 = new Vec3();
const _v2 = new Vec3();
const _v3 = new Vec3();
const _v4 = new Vec3();
const _q1 = new Quaternion();
const _q2 = new Quaternion();

/** A rigid body made of links joined by fixed joints, as the simulator builds it. */
export interface FkBody {
  readonly body: Body;
  /** Index of the link whose frame is the body's frame orientation. */
  readonly rootLink: number;
  /** Centre of mass in the root link's frame (m). */
  readonly com: Vec3;
  readonly isStatic: boolean;
}

/**
 * Forward kinematics of a URDF tree, in the world frame: every link frame's pose (m, quaternion)
 * from joint positions, and its twist (m/s, rad/s) from joint velocities with the base at rest,
 * then the bodies placed and set moving from them. Used at reset (initial pose, spawn on the
 * ground) and to show a recorded pose; not inside a physics step.
 *
 * Joint positions and velocities are in the model's moving-joint order (tree order, fixed joints
 * skipped), as SimRobot's joints. Real-time rules: allocates only in the constructor.
 */
export class TreeFk {
  /** Link frame poses and twists (world frame), by link index. */
  readonly pos: Vec3[];
  readonly quat: Quaternion[];
  readonly vel: Vec3[];
  readonly angVel: Vec3[];
  private readonly root: number;
  private readonly joints: readonly UrdfJoint[];
  private readonly parent: Int32Array;
  private readonly child: Int32Array;

  constructor(model: UrdfModel, linkIndex: ReadonlyMap<string, number>) {
    const n = model.links.length;
    this.pos = Array.from({ length: n }, () => new Vec3());
    this.quat = Array.from({ length: n }, () => new Quaternion());
    this.vel = Array.from({ length: n }, () => new Vec3());
    this.angVel = Array.from({ length: n }, () => new Vec3());
    this.root = linkIndex.get(model.root)!;
    this.joints = model.treeOrder;
    this.parent = Int32Array.from(this.joints, (j) => linkIndex.get(j.parent)!);
    this.child = Int32Array.from(this.joints, (j) => linkIndex.get(j.child)!);
  }

  /** Link frames from the root pose and joint positions (rad | m; undefined: the zero pose). */
  place(basePosition: Vec3, baseOrientation: Quaternion, positions: ArrayLike<number> | undefined): void {
    this.pos[this.root].copy(basePosition);
    this.quat[this.root].copy(baseOrientation);
    let k = 0;
    for (let i = 0; i < this.joints.length; i++) {
      const joint = this.joints[i];
      const p = this.parent[i];
      const c = this.child[i];
      _v1.set(...joint.origin.xyz);
      quatFromRpy(joint.origin.rpy, _q1);
      composePose(this.pos[p], this.quat[p], _v1, _q1, this.pos[c], this.quat[c]);
      if (joint.type === 'fixed') continue;
      const q = positions === undefined ? 0 : positions[k];
      k++;
      _v2.set(...joint.axis);
      if (joint.type === 'prismatic') {
        _v2.scale(q, _v3);
        _q2.set(0, 0, 0, 1);
      } else {
        _v3.setZero();
        _q2.setFromAxisAngle(_v2, q);
      }
      composePose(this.pos[c], this.quat[c], _v3, _q2, this.pos[c], this.quat[c]);
    }
  }

  /** Puts each body at its root link's frame (its centre of mass offset by `com`). */
  placeBodies(bodies: readonly FkBody[]): void {
    for (const info of bodies) {
      const r = info.rootLink;
      this.quat[r].vmult(info.com, _v1);
      info.body.position.set(this.pos[r].x + _v1.x, this.pos[r].y + _v1.y, this.pos[r].z + _v1.z);
      info.body.quaternion.copy(this.quat[r]);
    }
  }

  /**
   * Link twists from joint velocities (rad/s | m/s), the base at rest, propagated down the tree
   * from the poses of the last place(): v_c = v_p + ω_p × (p_c − p_p) (+ axis·q̇ for a slider),
   * ω_c = ω_p (+ axis·q̇ for a hinge).
   */
  twists(velocities: ArrayLike<number>): void {
    this.vel[this.root].setZero();
    this.angVel[this.root].setZero();
    let k = 0;
    for (let i = 0; i < this.joints.length; i++) {
      const joint = this.joints[i];
      const p = this.parent[i];
      const c = this.child[i];
      this.pos[c].vsub(this.pos[p], _v1);
      this.angVel[p].cross(_v1, _v2);
      this.vel[p].vadd(_v2, this.vel[c]);
      this.angVel[c].copy(this.angVel[p]);
      if (joint.type === 'fixed') continue;
      const qd = velocities[k];
      k++;
      _v3.set(...joint.axis);
      this.quat[c].vmult(_v3, _v4); // world axis (the child frame carries the joint axis)
      const out = joint.type === 'prismatic' ? this.vel[c] : this.angVel[c];
      out.set(out.x + _v4.x * qd, out.y + _v4.y * qd, out.z + _v4.z * qd);
    }
  }

  /** Sets each body's velocity from its root link's twist (static bodies at rest). */
  setBodyVelocities(bodies: readonly FkBody[]): void {
    for (const info of bodies) {
      const r = info.rootLink;
      const body = info.body;
      if (info.isStatic) {
        body.velocity.setZero();
        body.angularVelocity.setZero();
        continue;
      }
      body.position.vsub(this.pos[r], _v1);
      this.angVel[r].cross(_v1, _v2);
      this.vel[r].vadd(_v2, body.velocity);
      body.angularVelocity.copy(this.angVel[r]);
    }
  }

  /** Moves every link frame by dz (m) along world z. */
  shiftZ(dz: number): void {
    for (const p of this.pos) p.z += dz;
  }
}
