import { Quaternion, Vec3, type Body } from 'cannon-es';
import { composePose, quatFromRpy } from '../physics/frames.ts';
import { oneNotePer, UrdfError, type UrdfInertial, type UrdfLink, type UrdfModel, type UrdfNote } from '../urdf/parseUrdf.ts';

/**
 * What a moving link without <inertial> gets when not strict: 0.1 kg (a small bracket or an
 * unmodelled motor) with 1e-3 kg·m² about each axis at the link origin: a rotor-like inertia that
 * keeps the solver's mass/inertia ratios sane (docs/simulation.md item 2).
 */
export const DEFAULT_LINK_INERTIAL: Omit<UrdfInertial, 'origin'> = { mass: 0.1, ixx: 1e-3, ixy: 0, ixz: 0, iyy: 1e-3, iyz: 0, izz: 1e-3 };

/** A URDF link in the simulator: which body it rides on and where. */
export interface LinkInfo {
  readonly urdf: UrdfLink;
  readonly index: number;
  /** Index of the body the link belongs to (links joined by fixed joints share one). */
  body: number;
  /** Link frame in the body's group-root link frame. */
  readonly inGroupPos: Vec3;
  readonly inGroupQuat: Quaternion;
  /** Link frame in the body frame (body frame = group-root link orientation, origin at the centre of mass). */
  readonly offsetPos: Vec3;
  readonly offsetQuat: Quaternion;
  /** Mass currently used (kg); 0 without <inertial>. */
  mass: number;
  /** The URDF's <inertial>, or the default given to a moving link without one. */
  inertial: UrdfInertial | undefined;
}

/** One cannon-es body: a group of links joined by fixed joints. */
export interface BodyInfo {
  readonly body: Body;
  readonly rootLink: number;
  readonly links: number[];
  /** Centre of mass in the group-root link frame (m). */
  readonly com: Vec3;
  readonly isStatic: boolean;
}

/** Links joined by fixed joints, by index into the links; the root's group first. */
export interface LinkGroup {
  readonly rootLink: number;
  readonly links: number[];
}

/** The model's links (mass and inertial from the URDF, not yet placed) and their index by name. */
export function makeLinks(model: UrdfModel): { links: LinkInfo[]; linkIndex: Map<string, number> } {
  const links = model.links.map((urdf, index) => ({
    urdf,
    index,
    body: -1,
    inGroupPos: new Vec3(),
    inGroupQuat: new Quaternion(),
    offsetPos: new Vec3(),
    offsetQuat: new Quaternion(),
    mass: urdf.inertial?.mass ?? 0,
    inertial: urdf.inertial,
  }));
  const linkIndex = new Map<string, number>();
  links.forEach((l) => linkIndex.set(l.urdf.name, l.index));
  return { links, linkIndex };
}

/**
 * Groups the links joined by fixed joints (tree order): sets each link's body index and its pose
 * in the group root's frame. Group 0 is the root link's.
 */
export function groupLinks(model: UrdfModel, links: LinkInfo[], linkIndex: ReadonlyMap<string, number>): LinkGroup[] {
  const groups: LinkGroup[] = [];
  const rootIndex = linkIndex.get(model.root)!;
  groups.push({ rootLink: rootIndex, links: [rootIndex] });
  links[rootIndex].body = 0;
  const jointQuat = new Quaternion();
  const jointPos = new Vec3();
  for (const joint of model.treeOrder) {
    const parent = links[linkIndex.get(joint.parent)!];
    const child = links[linkIndex.get(joint.child)!];
    if (joint.type === 'fixed') {
      child.body = parent.body;
      groups[parent.body].links.push(child.index);
      jointPos.set(...joint.origin.xyz);
      quatFromRpy(joint.origin.rpy, jointQuat);
      composePose(parent.inGroupPos, parent.inGroupQuat, jointPos, jointQuat, child.inGroupPos, child.inGroupQuat);
    } else {
      child.body = groups.length;
      groups.push({ rootLink: child.index, links: [child.index] });
    }
  }
  return groups;
}

/** Total mass (kg) of a group's links. */
export function groupMass(group: { readonly links: readonly number[] }, links: readonly LinkInfo[]): number {
  let m = 0;
  for (const li of group.links) m += links[li].mass;
  return m;
}

/**
 * Decides the base and gives every moving group without mass the default inertial (one note per
 * link; refused when strict). Returns whether the base is fixed: as asked, else when the URDF fixes
 * the robot to the world (root "world") or the root's group has no mass (a note says so).
 */
export function settleInertials(
  model: UrdfModel,
  links: LinkInfo[],
  groups: readonly LinkGroup[],
  options: { readonly fixedBase?: boolean; readonly strict?: boolean },
  notes: UrdfNote[],
): boolean {
  if (options.strict) {
    const standIn = model.links.find((l) => l.inertial?.massless);
    if (standIn) throw new UrdfError('URDF_MASS', `<link name="${standIn.name}"> <inertial> <mass>`, 'mass is 0 on a link that moves', 'a mass > 0 kg (or leave out --strict: a stand-in of 1 g with a note)');
    const repaired = model.notes.find((n) => n.code === 'URDF_INERTIA_REPAIRED');
    if (repaired) throw new UrdfError('URDF_INERTIA', repaired.where, repaired.message.split(':')[0], 'a positive-definite inertia (kg·m²): ixx > 0, ixx·iyy − ixy² > 0, det > 0 (or leave out --strict: repaired with a note)');
    const defaulted = model.notes.find((n) => n.code === 'URDF_LIMIT_DEFAULTED' || n.code === 'URDF_LIMIT_ZERO');
    if (defaulted) throw new UrdfError('URDF_ATTRIBUTE', defaulted.where, defaulted.message.split(':')[0], 'an actuator\'s effort and velocity (> 0) on every <limit>, as the URDF spec requires (or leave out --strict: taken as unlimited)');
  }
  const fixedBase = options.fixedBase ?? (model.root === 'world' || !(groupMass(groups[0], links) > 0));
  if (options.fixedBase === undefined && fixedBase && model.root !== 'world') {
    notes.push({ code: 'SIM_FIXED_BASE', where: `<link name="${model.root}">`, message: 'the root has no mass (no <inertial> on it or the links fixed to it): fixed to the world' });
  }
  groups.forEach((g, gi) => {
    if ((gi === 0 && fixedBase) || groupMass(g, links) > 0) return;
    const link = links[g.rootLink];
    const where = `<link name="${link.urdf.name}">`;
    const moved = g.links.length > 1 ? ` (nor the ${g.links.length - 1} link(s) fixed to it)` : '';
    if (options.strict) {
      throw new UrdfError('URDF_NO_INERTIAL', where, `the link moves (child of <joint name="${model.parentJoint.get(link.urdf.name)?.name ?? '-'}">) but has no <inertial>${moved}`, 'an <inertial> with mass and inertia on every moving link (or leave out --strict for a default)');
    }
    link.inertial = { origin: { xyz: [0, 0, 0], rpy: [0, 0, 0] }, ...DEFAULT_LINK_INERTIAL };
    link.mass = DEFAULT_LINK_INERTIAL.mass;
    notes.push({ code: 'URDF_NO_INERTIAL', where, message: `moving link has no <inertial>${moved}: given ${DEFAULT_LINK_INERTIAL.mass} kg, ${DEFAULT_LINK_INERTIAL.ixx} kg·m² per axis at its origin` });
  });
  notes.splice(0, notes.length, ...oneNotePer(notes, 'URDF_NO_INERTIAL', 'moving links')); // a hand exported without inertials: one note, not 16
  return fixedBase;
}
