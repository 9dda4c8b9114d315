/**
 * A URDF that states its free base: `<link name="world"/>` and a `<joint type="floating">` from it to
 * the robot's base (the URDF spec's 6-DoF joint). axon's default for a URDF robot is a floating
 * base already (docs/urdf.md, its opening paragraph), so such a joint from a geometry-free, massless root is read
 * as that: the root link and the joint are left out and the joint's child is the root, the same
 * robot axon builds without them (note URDF_FLOATING_BASE). The joint's `<origin>` is where the
 * base starts (statedBasePose; docs/urdf.md, "Start pose"): a vendor file that puts the pelvis at
 * z = 0.93 with it starts there. Anywhere else a floating joint is refused by parseJoint, with
 * what to do.
 */
import type { UrdfOrigin } from './parseUrdf.ts';
import { attr, child, children, parseOrigin, type Fail, type Note, type XmlNode } from './urdfXml.ts';

export interface StatedFloatingBase {
  /** The root link left out (usually "world"). */
  readonly link: string;
  /** The floating joint left out. */
  readonly joint: string;
  /** Its child, the robot's root from here on. */
  readonly child: string;
  /** The joint's <origin>: the child's pose in the world at the joint's zero (zero when it has none). */
  readonly origin: UrdfOrigin;
}

/** A start pose of the base: position (m, world) and orientation (x y z w). */
export interface BasePose {
  readonly position: readonly [number, number, number];
  readonly orientation: readonly [number, number, number, number];
}

/** The stated floating base, if the file has one that can be read as axon's (and a note), else undefined. */
export function statedFloatingBase(robot: XmlNode, note: Note, fail: Fail): StatedFloatingBase | undefined {
  const joints = children(robot, 'joint');
  const floating = joints.filter((j) => attr(j, 'type') === 'floating');
  if (floating.length !== 1) return undefined;
  const j = floating[0];
  const parent = attr(child(j, 'parent') ?? {}, 'link');
  const childLink = attr(child(j, 'child') ?? {}, 'link');
  const name = attr(j, 'name');
  if (parent === undefined || childLink === undefined || name === undefined || parent === childLink) return undefined;
  if (!bareRoot(robot, joints, parent)) return undefined;
  const originNode = child(j, 'origin');
  const origin = parseOrigin(originNode, `<joint name="${name}"> <origin>`, fail);
  const pose = originNode === undefined ? '' : `; its <origin> (xyz ${origin.xyz.join(' ')}, rpy ${origin.rpy.join(' ')}) is the base's start pose`;
  note('URDF_FLOATING_BASE', `<joint name="${name}">`, `type "floating" from the geometry-free, massless root <link name="${parent}">: read as axon's floating base on <link name="${childLink}">, the root from here on; the link and the joint are left out${pose}`);
  return { link: parent, joint: name, child: childLink, origin };
}

/**
 * The start pose a URDF states for its floating base: its floating joint's <origin> (roll, pitch,
 * yaw about fixed x, y, z: R = Rz·Ry·Rx), or undefined when it states no floating base. A
 * simulator starts a floating base there unless told otherwise (startPose).
 */
export function statedBasePose(model: { readonly floatingBase?: StatedFloatingBase }): BasePose | undefined {
  const o = model.floatingBase?.origin;
  if (o === undefined) return undefined;
  const [r, p, y] = o.rpy;
  const cr = Math.cos(r / 2), sr = Math.sin(r / 2);
  const cp = Math.cos(p / 2), sp = Math.sin(p / 2);
  const cy = Math.cos(y / 2), sy = Math.sin(y / 2);
  return {
    position: [o.xyz[0], o.xyz[1], o.xyz[2]],
    orientation: [sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy, cr * cp * cy + sr * sp * sy],
  };
}

/**
 * A simulator's base pose options (SimRobotOptions basePosition / baseOrientation): each as given,
 * and in its absence, on a floating base, the stated one (statedBasePose). Both engines start a URDF
 * robot through this. Configure time.
 */
export function startPose(
  given: { readonly basePosition?: readonly [number, number, number]; readonly baseOrientation?: readonly [number, number, number, number] },
  model: { readonly floatingBase?: StatedFloatingBase },
  floating: boolean,
): { basePosition?: readonly [number, number, number]; baseOrientation?: readonly [number, number, number, number] } {
  const stated = floating ? statedBasePose(model) : undefined;
  const basePosition = given.basePosition ?? stated?.position;
  const baseOrientation = given.baseOrientation ?? stated?.orientation;
  return { ...(basePosition ? { basePosition } : {}), ...(baseOrientation ? { baseOrientation } : {}) };
}

/** `name` is a root (no joint's child), has no geometry and no mass, and only one joint leaves it. */
function bareRoot(robot: XmlNode, joints: readonly XmlNode[], name: string): boolean {
  const link = children(robot, 'link').filter((l) => attr(l, 'name') === name);
  if (link.length !== 1) return false;
  const l = link[0];
  if (children(l, 'visual').length > 0 || children(l, 'collision').length > 0) return false;
  const inertial = child(l, 'inertial');
  if (inertial !== undefined) {
    const mass = Number(attr(child(inertial, 'mass') ?? {}, 'value'));
    if (!(mass === 0)) return false;
  }
  if (joints.some((j) => attr(child(j, 'child') ?? {}, 'link') === name)) return false;
  return joints.filter((j) => attr(child(j, 'parent') ?? {}, 'link') === name).length === 1;
}
