/**
 * A link's orientation and angular velocity derived from the IMU's and the joints between them:
 * what a real robot computes when its policy reads an IMU term in another link than the IMU's
 * (docs/byom.md, an IMU term's `link`). unitree_rl_gym's deploy_real.py does it for the H1 and H1_2
 * (`imu_type: torso`): the torso IMU's quaternion and gyro turned back through the waist yaw into
 * the pelvis. Here any chain of the robot's tree, walked up and down from the IMU's link:
 *
 *   R_world_L = R_world_IMU · Π R_step,    R_step = R_origin · Rot(axis, q − zero) down a joint, its inverse up
 *   ω_L       = ω_IMU + Σ (±axis · q̇),     each step's frame change applied, ω in the link's own frame
 *
 * Revolute and continuous joints turn; fixed joints add their origin's rotation only; prismatic
 * joints their origin's rotation and nothing else. A floating, planar or ball joint, or a mimic joint, on
 * the chain is refused (LinkChainError naming it): its motion is not a measured joint's. The model
 * is plain data (src/ parses no robot file: the CLI's wiring converts a URDF into it), with the
 * fixed model apart from the state (style 2): everything is sized at construction; update()
 * allocates nothing.
 */
import { AxonError } from '../core/errors.ts';
import { printable } from '../core/printable.ts';

/** A joint kind of a robot description; only revolute, continuous, prismatic and fixed can be on a chain. */
export type LinkJointType = 'revolute' | 'continuous' | 'prismatic' | 'fixed' | 'floating' | 'planar' | 'ball';

/** One joint of a robot's tree, as much as rotations need: a URDF `<joint>` without its translation. */
export interface LinkJoint {
  readonly name: string;
  readonly type: LinkJointType;
  readonly parent: string;
  readonly child: string;
  /** The joint frame's rotation in the parent link's frame, a unit quaternion x y z w (a URDF origin's rpy: quatFromRpy). */
  readonly origin: readonly [number, number, number, number];
  /** Unit axis in the joint frame (= the child link's frame): the rotation axis of a revolute or continuous joint. */
  readonly axis: readonly [number, number, number];
  /** The joint it follows (a URDF `<mimic>`): refused on a chain. */
  readonly mimic?: string;
  /**
   * The reported position (rad) at which the joint frame is its origin, 0 when absent (a URDF's
   * joints). An MJCF hinge's `ref` (MuJoCo's qpos0): MuJoCo turns the body by qpos − qpos0, while
   * the robot reports qpos itself, so the chain turns by q − zero.
   */
  readonly zero?: number;
}

/** A robot's tree of joints, and where it came from (a file name, for errors). */
export interface LinkTree {
  readonly source: string;
  readonly joints: readonly LinkJoint[];
}

/**
 * A chain from the IMU's link to a term's link that cannot be followed: a link not in the tree, a
 * floating, planar or mimic joint on it, or a moving joint the robot does not report. `where` is
 * the file and the joint (or link); the code says which.
 */
export class LinkChainError extends AxonError {}

/** Quaternion x y z w of URDF rpy (rad): R = Rz(yaw)·Ry(pitch)·Rx(roll). */
export function quatFromRpy(roll: number, pitch: number, yaw: number): [number, number, number, number] {
  const cr = Math.cos(roll / 2), sr = Math.sin(roll / 2);
  const cp = Math.cos(pitch / 2), sp = Math.sin(pitch / 2);
  const cy = Math.cos(yaw / 2), sy = Math.sin(yaw / 2);
  return [sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy, cr * cp * cy + sr * sp * sy];
}

// Scratch (style 3): the running orientation, the joint's rotation, the running angular velocity.
const _q = new Float64Array(4);
const _j = new Float64Array(4);
const _t = new Float64Array(4);
const _w = new Float64Array(3);

/** out = a ⊗ b (Hamilton, x y z w); out may alias neither. */
function mul(ax: number, ay: number, az: number, aw: number, bx: number, by: number, bz: number, bw: number, out: Float64Array): void {
  out[0] = aw * bx + ax * bw + ay * bz - az * by;
  out[1] = aw * by - ax * bz + ay * bw + az * bx;
  out[2] = aw * bz + ax * by - ay * bx + az * bw;
  out[3] = aw * bw - ax * bx - ay * by - az * bz;
}

/** v (in _w) ← R(q)·v, or R(q)ᵀ·v when `inverse`. */
function rotateW(q: Float64Array, inverse: boolean): void {
  const x = inverse ? -q[0] : q[0], y = inverse ? -q[1] : q[1], z = inverse ? -q[2] : q[2], w = q[3];
  const vx = _w[0], vy = _w[1], vz = _w[2];
  const tx = 2 * (y * vz - z * vy), ty = 2 * (z * vx - x * vz), tz = 2 * (x * vy - y * vx);
  _w[0] = vx + w * tx + (y * tz - z * ty);
  _w[1] = vy + w * ty + (z * tx - x * tz);
  _w[2] = vz + w * tz + (x * ty - y * tx);
}

/**
 * The frame of one link derived from the IMU's (configure time: the chain found, its joints mapped
 * to the robot's joint order). `update` is called on the tick and allocates nothing.
 */
export class LinkFrame {
  /** The joints walked from the IMU's link to the term's link, in order (names, for a report). */
  readonly path: readonly string[];
  private readonly down: Uint8Array; // 1: parent -> child (down the tree), 0: child -> parent
  private readonly origin: Float64Array; // 4 per step
  private readonly axis: Float64Array; // 3 per step
  private readonly index: Int32Array; // robot joint index of a turning joint, -1 for one that does not turn
  private readonly zero: Float64Array; // the reported position at which a turning joint's rotation is none (rad)

  /**
   * @param imuLink the link the IMU is on (its orientation and angular velocity are Observation.imu's)
   * @param link the link to derive
   * @param jointNames the robot's joints in its own order (RobotSpec.joints): where q and q̇ are read
   */
  constructor(tree: LinkTree, readonly imuLink: string, readonly link: string, jointNames: readonly string[]) {
    const parentOf = new Map<string, LinkJoint>();
    const links = new Set<string>();
    for (const j of tree.joints) {
      parentOf.set(j.child, j);
      links.add(j.parent).add(j.child);
    }
    const known = [...links].map((l) => printable(l)).join(', ');
    for (const l of [imuLink, link])
      if (!links.has(l)) throw new LinkChainError('LINK_CHAIN_NO_LINK', `${tree.source}: link "${printable(l)}"`, 'is not a link of the robot description', `one of its links: ${known}`);
    // Up from each end to the root; the chain turns at the first link both share.
    const up = (from: string): LinkJoint[] => {
      const out: LinkJoint[] = [];
      for (let j = parentOf.get(from); j !== undefined; j = parentOf.get(j.parent)) {
        if (out.length > tree.joints.length) throw new LinkChainError('LINK_CHAIN_LOOP', `${tree.source}: joint "${printable(j.name)}"`, 'closes a loop in the tree', 'a tree: each link the child of one joint');
        out.push(j);
      }
      return out;
    };
    const fromImu = up(imuLink), fromLink = up(link);
    // The links met going up from each end (the end itself first); the chain turns at the first shared.
    const imuLinks = [imuLink, ...fromImu.map((j) => j.parent)];
    const linkLinks = [link, ...fromLink.map((j) => j.parent)];
    const turn = linkLinks.findIndex((l) => imuLinks.includes(l));
    if (turn < 0) throw new LinkChainError('LINK_CHAIN_NO_PATH', `${tree.source}: links "${printable(imuLink)}" and "${printable(link)}"`, 'are in different trees', "one robot tree holding the IMU's link and the term's link");
    const upPart = fromImu.slice(0, imuLinks.indexOf(linkLinks[turn]));
    const downPart = fromLink.slice(0, turn).reverse();
    const steps = [...upPart.map((j) => ({ j, down: false })), ...downPart.map((j) => ({ j, down: true }))];
    const n = steps.length;
    this.path = steps.map((s) => s.j.name);
    this.down = new Uint8Array(n);
    this.origin = new Float64Array(4 * n);
    this.axis = new Float64Array(3 * n);
    this.index = new Int32Array(n).fill(-1);
    this.zero = new Float64Array(n);
    for (const [k, { j, down }] of steps.entries()) {
      const where = `${tree.source}: joint "${printable(j.name)}"`;
      const between = `on the chain from "${printable(imuLink)}" (the IMU's link) to "${printable(link)}"`;
      if (j.type === 'floating' || j.type === 'planar' || j.type === 'ball')
        throw new LinkChainError('LINK_CHAIN_FREE_JOINT', where, `is a ${j.type} joint ${between}: its motion is not a measured joint's`, `revolute, continuous, prismatic or fixed joints between the two links (an IMU on the term's link, or the term without link)`);
      if (j.mimic !== undefined)
        throw new LinkChainError('LINK_CHAIN_MIMIC', where, `mimics "${printable(j.mimic)}" ${between}: a follower's angle is not measured`, 'no mimic joint between the two links');
      this.down[k] = down ? 1 : 0;
      const o = j.origin, norm = Math.hypot(o[0], o[1], o[2], o[3]);
      for (let i = 0; i < 4; i++) this.origin[4 * k + i] = o[i] / norm;
      if (j.type === 'revolute' || j.type === 'continuous') {
        const a = j.axis, an = Math.hypot(a[0], a[1], a[2]);
        if (!(an > 0)) throw new LinkChainError('LINK_CHAIN_AXIS', where, `has axis (${a.join(' ')})`, 'a non-zero axis');
        for (let i = 0; i < 3; i++) this.axis[3 * k + i] = a[i] / an;
        const index = jointNames.indexOf(j.name);
        if (index < 0) throw new LinkChainError('LINK_CHAIN_UNMEASURED', where, `turns ${between}, and the robot reports no joint of that name`, `a joint of the robot: ${jointNames.map((x) => printable(x)).join(', ')}`);
        this.index[k] = index;
        const zero = j.zero ?? 0;
        if (!Number.isFinite(zero)) throw new LinkChainError('LINK_CHAIN_ZERO', where, `has zero position ${zero}`, 'a finite reference position (rad)');
        this.zero[k] = zero;
      }
    }
  }

  /**
   * Writes the link's orientation in the world (x y z w) and its angular velocity in its own frame
   * (rad/s) from the IMU's (orientation in the world, angular velocity in the IMU's frame) and the
   * robot's joint positions (rad) and velocities (rad/s) in robot order. Allocates nothing.
   */
  update(imuOrientation: ArrayLike<number>, imuAngularVelocity: ArrayLike<number>, q: ArrayLike<number>, qd: ArrayLike<number>, outOrientation: Float32Array, outAngularVelocity: Float32Array): void {
    for (let i = 0; i < 4; i++) _q[i] = imuOrientation[i];
    for (let i = 0; i < 3; i++) _w[i] = imuAngularVelocity[i];
    const n = this.down.length;
    for (let k = 0; k < n; k++) {
      const o = 4 * k, a = 3 * k, idx = this.index[k];
      // The joint's rotation, parent -> child: origin ⊗ Rot(axis, q).
      const angle = idx >= 0 ? q[idx] - this.zero[k] : 0;
      const rate = idx >= 0 ? qd[idx] : 0;
      const s = Math.sin(angle / 2), c = Math.cos(angle / 2);
      mul(this.origin[o], this.origin[o + 1], this.origin[o + 2], this.origin[o + 3], this.axis[a] * s, this.axis[a + 1] * s, this.axis[a + 2] * s, idx >= 0 ? c : 1, _j);
      if (this.down[k] === 1) {
        // Parent -> child: ω_child = R_jᵀ · ω_parent + axis · q̇ (the axis is the same in the joint and child frames).
        mul(_q[0], _q[1], _q[2], _q[3], _j[0], _j[1], _j[2], _j[3], _t);
        rotateW(_j, true);
        _w[0] += this.axis[a] * rate;
        _w[1] += this.axis[a + 1] * rate;
        _w[2] += this.axis[a + 2] * rate;
      } else {
        // Child -> parent: ω_parent = R_j · (ω_child − axis · q̇).
        mul(_q[0], _q[1], _q[2], _q[3], -_j[0], -_j[1], -_j[2], _j[3], _t);
        _w[0] -= this.axis[a] * rate;
        _w[1] -= this.axis[a + 1] * rate;
        _w[2] -= this.axis[a + 2] * rate;
        rotateW(_j, false);
      }
      for (let i = 0; i < 4; i++) _q[i] = _t[i];
    }
    const qn = Math.hypot(_q[0], _q[1], _q[2], _q[3]);
    for (let i = 0; i < 4; i++) outOrientation[i] = _q[i] / qn;
    for (let i = 0; i < 3; i++) outAngularVelocity[i] = _w[i];
  }
}
