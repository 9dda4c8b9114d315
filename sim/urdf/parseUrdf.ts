import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AxonError } from '../../src/core/errors.ts';
import { parseShape } from './urdfShape.ts';
import { parseInertial, settleInertial, type PendingInertial } from './urdfInertial.ts';
import { statedFloatingBase, type StatedFloatingBase } from './floatingBase.ts';
import { attr, child, children, numbers, requireAttr, type XmlNode } from './urdfXml.ts';
import { firstXacroMark } from './xacro.ts';
import { readMimic, resolveMimics, type RawMimic, type UrdfMimic } from './urdfMimic.ts';
import { mergeNotes } from './urdfNotes.ts';
import { parseJoint } from './urdfJoint.ts';

/**
 * URDF import: XML text -> a typed, checked model with the kinematic tree built from the joints'
 * parent/child links (never from file order). Units are the URDF's: m, kg, kg·m², rad.
 * Frames: every origin is in the parent frame (a joint's origin in its parent link's frame; a
 * visual/collision/inertial origin in its link's frame); z-up world.
 */

export { FRAME_LINK_MASS } from './urdfInertial.ts';
export { oneNotePer } from './urdfNotes.ts';
export type { UrdfMimic } from './urdfMimic.ts';

/** Codes a UrdfError carries; each names what is wrong with the file. */
export type UrdfErrorCode =
  | 'URDF_XML'
  | 'URDF_MISSING_LINK'
  /** A xacro file (macros, properties, `${...}` substitutions) given as a URDF: expand it with ROS's xacro first. */
  | 'URDF_XACRO'
  | 'URDF_JOINT_TYPE'
  | 'URDF_CYCLE'
  | 'URDF_TWO_PARENTS'
  | 'URDF_NUMBER'
  | 'URDF_ATTRIBUTE'
  | 'URDF_DUPLICATE'
  | 'URDF_LIMIT'
  | 'URDF_MASS'
  | 'URDF_ROOT'
  /** A link no joint connects to the tree (a second root beside the one holding the joints). */
  | 'URDF_UNREACHABLE'
  /**
   * An inertia tensor that is not positive definite, on a link that moves (or the root), under
   * --strict; otherwise repaired with a note (URDF_INERTIA_REPAIRED). On a fixed joint it is
   * accepted: a massless frame or a point mass (note URDF_FRAME_LINK).
   */
  | 'URDF_INERTIA'
  /** A link that moves but has no <inertial> (refused in strict mode; otherwise a default and a note). */
  | 'URDF_NO_INERTIAL'
  /** A mesh file that is not where the filename points (the error lists every place looked). */
  | 'URDF_MESH_NOT_FOUND'
  /** A mesh filename with a scheme axon cannot read (http://, ...). */
  | 'URDF_MESH_PATH'
  /** A mesh file that cannot be read as its format (truncated STL, bad OBJ index, ...). */
  | 'URDF_MESH'
  /** A `<mimic joint>` that names no joint of the robot. */
  | 'URDF_MIMIC_JOINT'
  /** A joint that mimics itself, or mimics that form a loop (a -> b -> a). */
  | 'URDF_MIMIC_CYCLE';

/** Bad URDF input. `where` names the element, e.g. `<joint name="hinge"> <limit>`. */
export class UrdfError extends AxonError {
  declare readonly code: UrdfErrorCode;
  constructor(code: UrdfErrorCode, where: string, message: string, expected?: string) {
    super(code, where, message, expected);
  }
}

export type Vec3Tuple = [number, number, number];

/** A rigid transform: translation (m) then roll-pitch-yaw (rad, fixed axes x, y, z: R = Rz·Ry·Rx). */
export interface UrdfOrigin {
  readonly xyz: Vec3Tuple;
  readonly rpy: Vec3Tuple;
}

export type UrdfGeometry =
  | { readonly kind: 'box'; readonly size: Vec3Tuple /* m, full extents */ }
  | { readonly kind: 'cylinder'; readonly radius: number; readonly length: number /* m, along the frame's z */ }
  | { readonly kind: 'sphere'; readonly radius: number /* m */ }
  | {
      readonly kind: 'mesh';
      /** As written in the URDF (package://, file://, or a path). */
      readonly filename: string;
      readonly scale: Vec3Tuple;
      /** The file on this machine, when the URDF was parsed with a baseDir (loadUrdf does). */
      readonly path?: string;
    };

export interface UrdfShape {
  readonly name: string | undefined;
  readonly origin: UrdfOrigin;
  readonly geometry: UrdfGeometry;
  /** RGBA in 0..1 when the visual names a material with a color (inline or defined at robot level). */
  readonly color: [number, number, number, number] | undefined;
}

export interface UrdfInertial {
  /** Centre of mass and principal-axes frame, in the link frame. */
  readonly origin: UrdfOrigin;
  /**
   * kg, > 0. The tensor below is positive definite, except on a link hanging on a fixed joint
   * whose file gave a zero or degenerate tensor with a real mass: kept as a point mass (zeros).
   */
  readonly mass: number;
  /** Inertia about the centre of mass in the inertial frame (kg·m²). */
  readonly ixx: number;
  readonly ixy: number;
  readonly ixz: number;
  readonly iyy: number;
  readonly iyz: number;
  readonly izz: number;
  /** The file's tensor was not positive definite on a moving link: this one stands in (note URDF_INERTIA_REPAIRED). */
  readonly repaired?: true;
  /** The file wrote mass 0 on a moving link with mass below it: a stand-in (note URDF_MASS_STAND_IN; also `repaired`). */
  readonly massless?: true;
}

export interface UrdfLink {
  readonly name: string;
  /**
   * Undefined when the file has no <inertial>, or when a link on a fixed joint has a mass of at
   * most FRAME_LINK_MASS or a zero tensor with mass 0 (a tool, IMU or logo frame exported with
   * `mass 1e-9` / zeros): it is a massless frame, merged into its parent body (note URDF_FRAME_LINK).
   */
  readonly inertial: UrdfInertial | undefined;
  readonly visuals: readonly UrdfShape[];
  readonly collisions: readonly UrdfShape[];
  /**
   * Set when the file's <inertial> made this link a frame merged into its parent (note
   * URDF_FRAME_LINK): a simulator that reads the file itself (MuJoCo's URDF compiler) gives it the
   * same inertial as `inertial` here. Absent on a link without <inertial> (massless as written).
   */
  readonly frameLink?: UrdfFrameLink;
}

/** A link on a fixed joint whose <inertial> parseUrdf did not take as written: merged into its parent. */
export interface UrdfFrameLink {
  /**
   * 'massless': mass at most FRAME_LINK_MASS (or 0 with a zero tensor), dropped with its tensor
   * (`inertial` undefined); 'point-mass': a real mass with a zero or degenerate tensor, kept at its
   * centre of mass with the tensor zeroed.
   */
  readonly as: 'massless' | 'point-mass';
  /** The fixed joint it hangs on. */
  readonly joint: string;
  /** The link it is merged into (that joint's parent; itself perhaps merged further up). */
  readonly into: string;
}

export type UrdfJointType = 'revolute' | 'continuous' | 'prismatic' | 'fixed';

export interface UrdfJoint {
  readonly name: string;
  readonly type: UrdfJointType;
  readonly parent: string;
  readonly child: string;
  /** Joint frame in the parent link frame; the child link frame equals it at zero position. */
  readonly origin: UrdfOrigin;
  /** Unit axis in the joint frame (default 1 0 0). */
  readonly axis: Vec3Tuple;
  /** Position limits (rad or m): ±Infinity for continuous and fixed joints. */
  readonly lower: number;
  readonly upper: number;
  /** Effort limit (N·m or N) and velocity limit (rad/s or m/s); Infinity when the URDF gives none. */
  readonly effort: number;
  readonly velocity: number;
  /** <dynamics>: viscous damping (N·m·s/rad | N·s/m) and Coulomb friction (N·m | N); 0 when absent. */
  readonly damping: number;
  readonly friction: number;
  /** A moving joint's `<mimic>`, resolved: it follows another joint (sim/urdf/urdfMimic.ts). Absent otherwise. */
  readonly mimic?: UrdfMimic;
}

/** Something the import decided or ignored, said once (never an error). */
export interface UrdfNote {
  readonly code: string;
  readonly where: string;
  readonly message: string;
}

export interface UrdfModel {
  readonly name: string;
  /** Links and joints in file order. */
  readonly links: readonly UrdfLink[];
  readonly joints: readonly UrdfJoint[];
  /** The single link that is no joint's child. */
  readonly root: string;
  readonly linkByName: ReadonlyMap<string, UrdfLink>;
  readonly jointByName: ReadonlyMap<string, UrdfJoint>;
  /** Joints whose parent is the link, in file order. */
  readonly childJoints: ReadonlyMap<string, readonly UrdfJoint[]>;
  /** The joint whose child is the link (absent for the root). */
  readonly parentJoint: ReadonlyMap<string, UrdfJoint>;
  /** Every joint, depth-first from the root, children in file order. */
  readonly treeOrder: readonly UrdfJoint[];
  /**
   * The file gives the root an <inertial> of mass 0 (or at most FRAME_LINK_MASS with a zero
   * tensor), taken as a root without <inertial> (note URDF_ROOT_MASSLESS): its `inertial` is
   * undefined, and a simulator that reads the file itself drops the file's tensor too.
   */
  readonly rootMassless: boolean;
  /**
   * The file stated its free base (a floating joint from a bare root, "world"): that link and joint
   * are not in `links` or `joints`, and a simulator that reads the file itself leaves them out too.
   */
  readonly floatingBase?: StatedFloatingBase;
  /**
   * What was ignored or approximated (extension elements, <mimic>, inertia oddities), one note
   * each: words for people, free to change. What the import made of a file's inertial is typed
   * too (`frameLink`, `inertial.repaired`, `rootMassless`): a simulator acts on those, not on a note.
   */
  readonly notes: readonly UrdfNote[];
  /**
   * The bytes the model was parsed from and their sha256 (hex), when it was read from a file
   * (loadUrdf): what a robot file is named by (hello.robotFile, a recording's drawing) and what
   * MuJoCo compiles, so that neither reads the file again after it may have been saved anew.
   */
  readonly source?: UrdfSource;
}

/** A URDF file's bytes as loadUrdf read them once (UrdfModel.source). */
export interface UrdfSource {
  readonly data: Buffer;
  /** sha256 of `data`, lower-case hex. */
  readonly sha256: string;
  /** data.byteLength. */
  readonly bytes: number;
}

export interface ParseUrdfOptions {
  /** File name, put in front of every error's `where`. */
  readonly source?: string;
  /**
   * Folder the URDF's relative mesh paths start from. When given, every <mesh filename> is
   * resolved (resolveMeshPath.ts) and must exist (URDF_MESH_NOT_FOUND lists where it looked);
   * the geometry then carries `path`. Without it meshes are kept unresolved.
   */
  readonly baseDir?: string;
  /** Folders searched for package://PKG (see MeshPathOptions); $ROS_PACKAGE_PATH is added. */
  readonly packagePaths?: readonly string[];
  /**
   * 'optional' when nothing will read the collision meshes (`--mesh-collision none`): a missing
   * one is left out with a note (URDF_COLLISION_MESH_MISSING) instead of URDF_MESH_NOT_FOUND.
   * Default 'required'.
   */
  readonly collisionMeshes?: 'required' | 'optional';
}


/** Elements of <robot> the import reads; anything else is an extension (ignored, one note). */
const KNOWN_ROBOT_TAGS = new Set(['link', 'joint', 'material']);
/** Elements of <link> the import reads; others are noted once for the robot. */
const KNOWN_LINK_TAGS = new Set(['inertial', 'visual', 'collision']);

const ARRAY_TAGS = new Set(['link', 'joint', 'visual', 'collision', 'material']);

/** Parses URDF XML text into a checked UrdfModel; throws UrdfError on bad input. */
export function parseUrdf(xml: string, options: ParseUrdfOptions = {}): UrdfModel {
  const prefix = options.source === undefined ? '' : `${options.source}: `;
  const fail = (code: UrdfErrorCode, where: string, message: string, expected?: string): never => {
    throw new UrdfError(code, prefix + where, message, expected);
  };

  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    fail('URDF_XML', `line ${valid.err.line}`, `XML is not well-formed: ${valid.err.msg}`, 'a well-formed URDF document');
  }
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseAttributeValue: false,
    parseTagValue: false,
    // Numeric character references (`xyz="0&#x20;0&#32;0.1"`, an exporter's escaped spaces) are
    // XML, decoded as any XML reader does; the parser decodes them only with its HTML entity set.
    htmlEntities: true,
    isArray: (tagName: string) => ARRAY_TAGS.has(tagName),
  });
  const doc = parser.parse(xml) as XmlNode;
  const robot = doc['robot'];
  if (robot === undefined || robot === null || typeof robot !== 'object' || Array.isArray(robot)) {
    // An MJCF given where a URDF goes (describe, --urdf): say what it is and where it goes.
    if (doc['mujoco'] !== undefined) fail('URDF_XML', '<mujoco>', 'is an MJCF model, not a URDF', 'a URDF (<robot name="...">); run an MJCF with `axon sim --mjcf FILE`');
    fail('URDF_XML', '<document>', 'no single <robot> element at the top', 'a <robot name="..."> root element');
  }
  const robotNode = robot as XmlNode;
  const xacro = firstXacroMark(robotNode);
  if (xacro !== undefined) fail('URDF_XACRO', xacro, 'is xacro: the file is a xacro source, not yet expanded to URDF', 'a URDF: expand it first with ROS\'s xacro (`xacro robot.urdf.xacro > robot.urdf`, or `ros2 run xacro xacro ...`)');
  const robotName = requireAttr(robotNode, 'name', '<robot>', fail);
  const notes: UrdfNote[] = [];
  const note = (code: string, where: string, message: string) => notes.push({ code, where: prefix + where, message });
  const ignored = new Map<string, number>();
  for (const [tag, v] of Object.entries(robotNode)) {
    if (tag.startsWith('@_') || tag === '#text' || KNOWN_ROBOT_TAGS.has(tag)) continue;
    ignored.set(tag, (ignored.get(tag) ?? 0) + (Array.isArray(v) ? v.length : 1));
  }
  if (ignored.size > 0) {
    const list = [...ignored].map(([t, n]) => `<${t}>${n > 1 ? ` x${n}` : ''}`).join(', ');
    note('URDF_EXTENSION_IGNORED', `<robot name="${robotName}">`, `ignored extension elements: ${list}`);
  }
  const meshResolve = options.baseDir === undefined ? undefined : { baseDir: options.baseDir, packagePaths: options.packagePaths ?? [], optionalCollisionMeshes: options.collisionMeshes === 'optional' };

  // Named materials defined at robot level.
  const namedColors = new Map<string, [number, number, number, number]>();
  for (const m of children(robotNode, 'material')) {
    const name = attr(m, 'name');
    const color = child(m, 'color');
    if (name !== undefined && color !== undefined) {
      namedColors.set(name, numbers(requireAttr(color, 'rgba', `<material name="${name}"> <color>`, fail), 4, `<material name="${name}"> <color>`, 'rgba', fail) as [number, number, number, number]);
    }
  }

  const links: UrdfLink[] = [];
  const linkIgnored = new Map<string, number>();
  const linkByName = new Map<string, UrdfLink>();
  /** Inertials whose verdict waits for the joints (degenerate tensor, zero or tiny mass). */
  const pending = new Map<string, PendingInertial>();
  const floatingBase = statedFloatingBase(robotNode, note, fail);
  for (const l of children(robotNode, 'link')) {
    if (floatingBase !== undefined && attr(l, 'name') === floatingBase.link) continue;
    const name = requireAttr(l, 'name', '<link>', fail);
    const where = `<link name="${name}">`;
    if (linkByName.has(name)) fail('URDF_DUPLICATE', where, `link name "${name}" is used twice`, 'unique link names');
    const parsed = parseInertial(l, where, fail, note);
    if (parsed !== undefined && 'pending' in parsed) pending.set(name, parsed);
    // Elements of <link> the import does not read (Bullet's <contact>: restitution, lateral friction).
    for (const [tag, v] of Object.entries(l))
      if (!tag.startsWith('@_') && tag !== '#text' && !KNOWN_LINK_TAGS.has(tag)) linkIgnored.set(tag, (linkIgnored.get(tag) ?? 0) + (Array.isArray(v) ? v.length : 1));
    const link: UrdfLink = {
      name,
      inertial: parsed !== undefined && 'pending' in parsed ? undefined : parsed,
      visuals: children(l, 'visual').flatMap((v, i) => parseShape('visual', v, `${where} <visual> #${i + 1}`, namedColors, fail, note, meshResolve) ?? []),
      collisions: children(l, 'collision').map((c, i) => parseShape('collision', c, `${where} <collision> #${i + 1}`, namedColors, fail, note, meshResolve)!),
    };
    links.push(link);
    linkByName.set(name, link);
  }

  if (linkIgnored.size > 0)
    note('URDF_EXTENSION_IGNORED', `<robot name="${robotName}"> <link>`, `ignored elements inside links: ${[...linkIgnored].map(([t, n]) => `<${t}>${n > 1 ? ` x${n}` : ''}`).join(', ')}`);
  let joints: UrdfJoint[] = [];
  const jointByName = new Map<string, UrdfJoint>();
  const mimics = new Map<string, RawMimic>();
  for (const j of children(robotNode, 'joint')) {
    if (floatingBase !== undefined && attr(j, 'name') === floatingBase.joint) continue;
    const name = requireAttr(j, 'name', '<joint>', fail);
    const where = `<joint name="${name}">`;
    if (jointByName.has(name)) fail('URDF_DUPLICATE', where, `joint name "${name}" is used twice`, 'unique joint names');
    const joint = parseJoint(j, name, where, linkByName, fail, note);
    // A fixed joint does not move whatever its <mimic> says (unitree_rl_gym's h1_2_12dof.urdf fixes its mimicking finger joints): nothing to read.
    const mimic = joint.type === 'fixed' ? undefined : readMimic(j, where, fail);
    if (mimic !== undefined) mimics.set(name, mimic);
    joints.push(joint);
    jointByName.set(name, joint);
  }
  // Followers resolved once every joint is known (a leader may come later in the file).
  joints = resolveMimics(joints, mimics, fail, note);
  for (const joint of joints) jointByName.set(joint.name, joint);

  // Tree from parent/child.
  const parentJoint = new Map<string, UrdfJoint>();
  const childJoints = new Map<string, UrdfJoint[]>();
  for (const link of links) childJoints.set(link.name, []);
  for (const joint of joints) {
    const where = `<joint name="${joint.name}">`;
    if (joint.parent === joint.child) {
      fail('URDF_CYCLE', where, `link "${joint.child}" is its own parent`, 'parent and child to be different links');
    }
    const previous = parentJoint.get(joint.child);
    if (previous !== undefined) {
      fail('URDF_TWO_PARENTS', where, `link "${joint.child}" is already the child of <joint name="${previous.name}">`, 'each link to have at most one parent joint');
    }
    parentJoint.set(joint.child, joint);
    childJoints.get(joint.parent)!.push(joint);
  }
  // Zero, tiny or degenerate inertials: frames (or point masses) on fixed joints, refused elsewhere.
  let rootMassless = false;
  /** Mass (kg) of the links below `name`, as the file writes it (a cycle is caught below; `seen` stops the walk on one). */
  const massBelow = (name: string, seen = new Set<string>()): number => {
    let m = 0;
    for (const j of childJoints.get(name) ?? []) {
      if (seen.has(j.child)) continue;
      seen.add(j.child);
      m += (linkByName.get(j.child)?.inertial?.mass ?? pending.get(j.child)?.inertial.mass ?? 0) + massBelow(j.child, seen);
    }
    return m;
  };
  for (const [i, link] of links.entries()) {
    const p = pending.get(link.name);
    if (p === undefined) continue;
    const settled = settleInertial(p, link.name, parentJoint.get(link.name), fail, note, p.inertial.mass === 0 ? massBelow(link.name) : 0);
    if (settled.rootMassless) rootMassless = true;
    if (settled.inertial === undefined && settled.frameLink === undefined) continue;
    links[i] = { ...link, inertial: settled.inertial, ...(settled.frameLink ? { frameLink: settled.frameLink } : {}) };
    linkByName.set(link.name, links[i]);
  }
  if (links.length === 0) fail('URDF_ROOT', `<robot name="${robotName}">`, 'the robot has no <link>', 'at least one link');
  const roots = links.filter((l) => !parentJoint.has(l.name));
  if (roots.length === 0) {
    // Every link has a parent: with at most one parent each, the graph is a set of cycles.
    fail('URDF_CYCLE', `<robot name="${robotName}">`, `the joints form a cycle (${describeCycle(links[0].name, parentJoint)})`, 'a tree of links');
  }
  if (roots.length > 1) {
    // One root holds the joints and the others are loose links: name them as unreachable.
    const withJoints = roots.filter((r) => childJoints.get(r.name)!.length > 0);
    if (withJoints.length === 1) {
      const stray = roots.filter((r) => r !== withJoints[0]).map((r) => `"${r.name}"`);
      fail(
        'URDF_UNREACHABLE',
        `<link name="${roots.find((r) => r !== withJoints[0])!.name}">`,
        `link${stray.length > 1 ? 's' : ''} ${stray.join(', ')} ${stray.length > 1 ? 'are' : 'is'} not reachable from the root "${withJoints[0].name}": no joint has ${stray.length > 1 ? 'them' : 'it'} as <child>`,
        'every link to be the child of a joint, except the root',
      );
    }
    fail('URDF_ROOT', `<robot name="${robotName}">`, `${roots.length} links have no parent joint: ${roots.map((r) => `"${r.name}"`).join(', ')}`, 'exactly one root link');
  }
  const root = roots[0].name;
  const treeOrder: UrdfJoint[] = [];
  const seen = new Set<string>([root]);
  // Depth-first, children in file order.
  const visit = (linkName: string): void => {
    for (const joint of childJoints.get(linkName)!) {
      treeOrder.push(joint);
      seen.add(joint.child);
      visit(joint.child);
    }
  };
  visit(root);
  if (seen.size !== links.length) {
    const stray = links.find((l) => !seen.has(l.name))!;
    fail('URDF_CYCLE', `<link name="${stray.name}">`, `link is not reachable from the root "${root}": the joints form a cycle (${describeCycle(stray.name, parentJoint)})`, 'a tree of links');
  }

  return { name: robotName, links, joints, root, linkByName, jointByName, childJoints, parentJoint, treeOrder, rootMassless, ...(floatingBase ? { floatingBase } : {}), notes: mergeNotes(notes) };
}


function describeCycle(start: string, parentJoint: ReadonlyMap<string, UrdfJoint>): string {
  const path: string[] = [];
  const seen = new Set<string>();
  let link: string | undefined = start;
  while (link !== undefined && !seen.has(link)) {
    seen.add(link);
    path.push(link);
    link = parentJoint.get(link)?.parent;
  }
  if (link !== undefined) path.push(link);
  return path.reverse().join(' -> ');
}
