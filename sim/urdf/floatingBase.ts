/**
 * A URDF that states its free base: `<link name="world"/>` and a `<joint type="floating">` from it to
 * the robot's base (the URDF spec's 6-DoF joint). axon's default for a URDF robot is a floating
 * base already (docs/urdf.md, its opening paragraph), so such a joint from a geometry-free, massless root is read
 * as that: the root link and the joint are left out and the joint's child is the root, the same
 * robot axon builds without them (note URDF_FLOATING_BASE). Anywhere else a floating joint is
 * refused by parseJoint, with what to do.
 */
import { attr, child, children, type Note, type XmlNode } from './urdfXml.ts';

export interface StatedFloatingBase {
  /** The root link left out (usually "world"). */
  readonly link: string;
  /** The floating joint left out. */
  readonly joint: string;
  /** Its child, the robot's root from here on. */
  readonly child: string;
}

/** The stated floating base, if the file has one that can be read as axon's (and a note), else undefined. */
export function statedFloatingBase(robot: XmlNode, note: Note): StatedFloatingBase | undefined {
  const joints = children(robot, 'joint');
  const floating = joints.filter((j) => attr(j, 'type') === 'floating');
  if (floating.length !== 1) return undefined;
  const j = floating[0];
  const parent = attr(child(j, 'parent') ?? {}, 'link');
  const childLink = attr(child(j, 'child') ?? {}, 'link');
  const name = attr(j, 'name');
  if (parent === undefined || childLink === undefined || name === undefined || parent === childLink) return undefined;
  if (!bareRoot(robot, joints, parent)) return undefined;
  const origin = child(j, 'origin');
  const pose = origin === undefined ? '' : ` (its <origin> ${['xyz', 'rpy'].map((k) => attr(origin, k)).filter((v) => v !== undefined).join(' / ')} is not used: the base starts where axon puts it)`;
  note('URDF_FLOATING_BASE', `<joint name="${name}">`, `type "floating" from the geometry-free, massless root <link name="${parent}">: read as axon's floating base on <link name="${childLink}">, the root from here on; the link and the joint are left out${pose}`);
  return { link: parent, joint: name, child: childLink };
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
