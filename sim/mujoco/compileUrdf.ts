/**
 * A URDF through MuJoCo's own URDF compiler (mj parse of the URDF text, `<mujoco><compiler>`
 * options injected: discardvisual, fusestatic off so that every link stays a body (IMU frames,
 * feet), balanceinertia, strippath), then edited through the mjSpec API before compiling: axon's
 * floating base (a freejoint on the root link), a ground plane, one actuator per moving joint
 * (gains written per step by MujocoRobot), moving links without mass given axon's default
 * inertial, and links without <inertial> kept massless (MuJoCo would weigh their collision
 * geoms; cannon-es and the URDF do not); collision meshes through the virtual file system (by file name: MuJoCo strips paths);
 * each `<mimic>` one joint equality, written here from parseUrdf's reading (chains resolved, a
 * fixed leader held at its offset), not by MuJoCo's URDF parser.
 */
import { basename } from 'node:path';
import type { MainModule, MjSpec, MjsJoint } from '@mujoco/mujoco';
import { AxonError } from '../../src/core/errors.ts';
import { oneNotePer, type UrdfJoint, type UrdfModel, type UrdfNote } from '../urdf/parseUrdf.ts';
import { fixedGroupMass } from '../urdf/rootBody.ts';
import { POINT_CONTACT_RADIUS } from '../urdf/urdfShape.ts';
import { addActuator, addGround, addMimicTendon, compileSpec, meshBytesForMujoco, parseSpec, type CompiledMujoco } from './loadMujoco.ts';
import { LIMIT_SOLIMP, LIMIT_TIMECONST_STEPS } from './MujocoHardLimits.ts';
import { checkUrdfCompiledNumbers } from './urdfCompiledNumbers.ts';

/** What a moving link without mass gets (as the cannon-es side: SimRobot DEFAULT_LINK_INERTIAL). */
const DEFAULT_MASS = 0.1; // kg
const DEFAULT_INERTIA = 1e-3; // kg·m² per axis

export interface UrdfCompileOptions {
  /** Free root (a freejoint on the root link) or fixed to the world. */
  readonly floating: boolean;
  /** Add the ground plane z = 0. */
  readonly ground: boolean;
  /** Physics step (s). */
  readonly timestep: number;
  /** World gravity (m/s²). */
  readonly gravity: readonly [number, number, number];
  /** Collision meshes: MuJoCo's convex hull of each (default), or none at all. */
  readonly meshCollision?: 'hull' | 'none';
  /** Refuse a moving link without mass instead of giving it the default. */
  readonly strict?: boolean;
  /** The URDF's path, which names it in errors (default: its `<robot name>`). */
  readonly file?: string;
}

/** Our compiler options; a vendor's own `<mujoco>` block is replaced (noted). */
const COMPILER = '<mujoco><compiler discardvisual="true" fusestatic="false" balanceinertia="true" strippath="true" angle="radian"/></mujoco>';

/**
 * A URDF (its text, and axon's parse of it for the tree, masses and resolved mesh paths) through
 * MuJoCo's URDF compiler, with axon's floating base, ground and one actuator per moving joint in
 * axon's joint order (the URDF tree order). Throws AxonError MUJOCO_COMPILE with MuJoCo's message,
 * and MUJOCO_URDF_NUMBER for a finite number MuJoCo compiled to a non-finite one.
 */
export function compileUrdf(mj: MainModule, urdfText: string, urdf: UrdfModel, o: UrdfCompileOptions): CompiledMujoco & { readonly hardLimits: ReadonlySet<string> } {
  const notes: UrdfNote[] = [];
  const hardLimits = new Set<string>();
  const where = `<robot name="${urdf.name}">`;
  // Comments out: a <mujoco> block the vendor commented out is not theirs to replace.
  let text = expandDtdEntities(urdfText.replace(/<\?xml[^>]*\?>/, '').replace(/<!--[\s\S]*?-->/g, ''));
  const ownBlock = /<mujoco\b[^>]*\/>|<mujoco\b[^>]*>[\s\S]*?<\/mujoco>/g;
  const own = text.match(ownBlock);
  if (own) {
    text = text.replace(ownBlock, '');
    notes.push({ code: 'MUJOCO_URDF_EXTENSION', where, message: `the URDF's own <mujoco> block replaced by axon's compiler options (${own.join(' ').replace(/\s+/g, ' ').slice(0, 160)})` });
  }
  // Collision meshes MuJoCo cannot decode (it reads STL, OBJ and MSH; a vendor's Collada would stop
  // the compile) are left out, as cannon-es leaves them out; --mesh-collision none leaves out all.
  const dropped: string[] = [];
  const keepMesh = (filename: string) => o.meshCollision !== 'none' && /\.(stl|obj|msh)$/i.test(filename);
  text = text.replace(/<collision\b[^>]*(?<!\/)>[\s\S]*?<\/collision>/g, (block) => {
    const file = /<mesh\b[^>]*\bfilename\s*=\s*(["'])(.*?)\1/.exec(block)?.[2];
    if (file === undefined || keepMesh(file)) return block;
    dropped.push(basename(file));
    return '';
  });
  if (dropped.length > 0)
    notes.push({
      code: 'MUJOCO_MESH_DROPPED',
      where,
      message: `${dropped.length} collision mesh(es) left out (${o.meshCollision === 'none' ? '--mesh-collision none' : 'MuJoCo reads STL, OBJ and MSH only'}): ${[...new Set(dropped)].join(', ')}; those collisions do not exist`,
    });
  if (o.strict) {
    const standIn = urdf.links.find((l) => l.inertial?.massless);
    if (standIn) throw new AxonError('URDF_MASS', `<link name="${standIn.name}"> <inertial> <mass>`, 'mass is 0 on a link that moves', 'a mass > 0 kg (or leave out --strict: a stand-in of 1 g with a note)');
    const bad = urdf.links.find((l) => l.inertial?.repaired);
    if (bad) throw new AxonError('URDF_INERTIA', `<link name="${bad.name}"> <inertial> <inertia>`, 'the tensor is not positive definite', 'a positive-definite inertia (or leave out --strict: repaired with a note)');
  }
  // A point contact (a collision sphere of radius 0, as Drake writes them): the size parseUrdf gives it.
  text = text.replace(/<collision\b[^>]*(?<!\/)>[\s\S]*?<\/collision>/g, (block) =>
    block.replace(/(<sphere\b[^>]*\bradius\s*=\s*)(["'])([^"']*)\2/, (m, head: string, q: string, v: string) => (v.trim() !== '' && Number(v) === 0 ? `${head}${q}${POINT_CONTACT_RADIUS}${q}` : m)),
  );
  // A stated floating base (docs/urdf.md, its opening paragraph): axon's own freejoint stands for the file's floating joint.
  if (urdf.floatingBase) {
    const esc = (n: string) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    text = text.replace(new RegExp(`<joint\\b[^>]*\\bname\\s*=\\s*(["'])${esc(urdf.floatingBase.joint)}\\1[^>]*>[\\s\\S]*?</joint>`), '');
    text = text.replace(new RegExp(`<link\\b[^>]*?\\bname\\s*=\\s*(["'])${esc(urdf.floatingBase.link)}\\1[^>]*?(/>|>[\\s\\S]*?</link>)`), '');
  }
  // <mimic>: MuJoCo 3.14's parser writes its own equality for each (a chain left as a chain; one on
  // a fixed joint dropped with a warning). axon writes them from its own reading (addMimics below).
  text = text.replace(/<mimic\b[^>]*?(\/>|>[\s\S]*?<\/mimic>)/g, '');
  text = text.replace(/<robot\b([^>]*)>/, `<robot$1>${COMPILER}`);
  const vfs = new mj.MjVFS();
  let spec: MjSpec | undefined;
  try {
    // Collision meshes by file name (strippath); visuals are discarded before assets load.
    const seen = new Map<string, string>();
    for (const link of urdf.links)
      for (const c of link.collisions) {
        const g = c.geometry;
        if (g.kind !== 'mesh' || g.path === undefined || !keepMesh(g.filename)) continue;
        const name = basename(g.path);
        const prev = seen.get(name);
        if (prev === g.path) continue;
        if (prev !== undefined) throw new AxonError('MUJOCO_MESH_NAME', `<link name="${link.name}"> <mesh filename="${g.filename}">`, `has the same file name as ${prev} (MuJoCo's URDF compiler keeps only file names)`, 'collision meshes with distinct file names');
        seen.set(name, g.path);
        vfs.addBuffer(name, meshBytesForMujoco(g.path, `<link name="${link.name}"> <mesh filename="${g.filename}">`));
      }
    spec = parseSpec(mj, text, `${where} (MuJoCo URDF parser)`);
    editSpec(mj, spec, urdf, o, notes, hardLimits);
    const model = compileSpec(mj, spec, vfs, where);
    // A finite number MuJoCo compiled to a non-finite one, as an MJCF's (urdfCompiledNumbers.ts).
    try {
      checkUrdfCompiledNumbers(mj, model, urdf, o.file ?? where);
    } catch (e) {
      model.delete();
      throw e;
    }
    return { model, notes, hardLimits };
  } finally {
    spec?.delete();
    vfs.delete();
  }
}

function editSpec(mj: MainModule, spec: MjSpec, urdf: UrdfModel, o: UrdfCompileOptions, notes: UrdfNote[], hardLimits: Set<string>): void {
  spec.option.timestep = o.timestep;
  spec.option.integrator = mj.mjtIntegrator.mjINT_IMPLICITFAST.value;
  spec.option.gravity.set(o.gravity);
  // Inertials parseUrdf has and MuJoCo gets as parseUrdf has them (its URDF compiler read the file):
  //  - a link without an inertial: no <inertial> in the file, a massless frame link on a fixed joint
  //    (TIAGo's antennas: 1e-6 kg and a tensor that is not positive definite, which MuJoCo refuses),
  //    a root of mass 0 (pybullet's static base; MuJoCo would keep its tensor): mass 0, no tensor.
  //    Explicit, so that MuJoCo's compiler (inertiafromgeom auto) does not weigh its collision
  //    shapes at 1000 kg/m³ instead: a vendor's camera_link with a 10 cm collision box and no
  //    <inertial> is a frame in the URDF and in cannon-es, and weighed 1.0 kg here. The shapes
  //    still collide; a moving link of them gets axon's default inertial below.
  //  - a tensor repaired on a moving link (isotropic, so its frame's rotation does not matter);
  //  - a point mass (tensor zeroed).
  // Read from the parse's typed fields, not its notes: a note's wording is for people and may change.
  const weighed: string[] = [];
  for (const link of urdf.links) {
    const i = link.inertial;
    if (i !== undefined && !i.repaired && link.frameLink === undefined) continue;
    if (link.name === 'world' && link.name === urdf.root) continue; // MuJoCo's world body
    const b = mj.mjs_findBody(spec, link.name);
    if (!b) continue;
    if (i === undefined) {
      b.mass = 0;
      // No <inertial> in the file (the parser's own flag), and collision geoms MuJoCo kept.
      if (!b.explicitinertial && mj.mjs_firstChild(b, mj.mjtObj.mjOBJ_GEOM, 0)) weighed.push(link.name);
    }
    if (i?.massless) b.mass = i.mass; // a stand-in for the file's mass 0 (URDF_MASS_STAND_IN)
    b.inertia.set(i === undefined ? [0, 0, 0] : [i.ixx, i.iyy, i.izz]);
    b.fullinertia.set([NaN, 0, 0, 0, 0, 0]);
    b.explicitinertial = true;
  }
  // Moving links (and the links fixed to them) with no mass: axon's default inertial.
  const massOf = (link: string): number => fixedGroupMass(urdf, link);
  const defaulted = new Set<string>();
  const moving = [urdf.root, ...urdf.treeOrder.filter((j) => j.type !== 'fixed').map((j) => j.child)].filter((l, i) => i > 0 || o.floating);
  for (const link of moving) {
    if (link === 'world' || massOf(link) > 0) continue;
    const where = `<link name="${link}">`;
    if (o.strict) throw new AxonError('URDF_NO_INERTIAL', where, 'the link moves but has no <inertial> (nor the links fixed to it)', 'an <inertial> with mass and inertia on every moving link (or leave out --strict for a default)');
    const b = mj.mjs_findBody(spec, link);
    if (!b) continue;
    b.mass = DEFAULT_MASS;
    b.inertia.set([DEFAULT_INERTIA, DEFAULT_INERTIA, DEFAULT_INERTIA]);
    b.fullinertia.set([NaN, 0, 0, 0, 0, 0]); // the file's own tensor (a root of mass 0 has one) is dropped, as parseUrdf drops it
    b.ipos.set([0, 0, 0]);
    b.explicitinertial = true;
    notes.push({ code: 'URDF_NO_INERTIAL', where, message: `moving link has no <inertial>: given ${DEFAULT_MASS} kg, ${DEFAULT_INERTIA} kg·m² per axis at its origin` });
    defaulted.add(link);
  }
  notes.splice(0, notes.length, ...oneNotePer(notes, 'URDF_NO_INERTIAL', 'moving links'));
  const massless = weighed.filter((l) => !defaulted.has(l));
  if (massless.length > 0)
    notes.push({
      code: 'MUJOCO_GEOM_MASSLESS',
      where: `<robot name="${urdf.name}">`,
      message: `${massless.length} link(s) without <inertial> have collision shapes: they collide and carry no mass, as the URDF says and cannon-es does (MuJoCo's own compiler would weigh them at 1000 kg/m³): ${massless.join(', ')}`,
    });
  if (o.floating) {
    const root = mj.mjs_findBody(spec, urdf.root);
    if (!root) throw new AxonError('MUJOCO_COMPILE', `<link name="${urdf.root}">`, 'is not a body of the compiled model', 'the root link as a body');
    const fj = mj.mjs_addFreeJoint(root)!;
    mj.mjs_setName(fj.element, 'axon_floating_base');
  }
  if (o.ground) addGround(mj, spec);
  for (const j of urdf.treeOrder) {
    if (j.type === 'fixed') continue;
    // axon's actuator clamps the effort (its limit may replace the URDF's): no joint force range.
    const el = mj.mjs_findElement(spec, mj.mjtObj.mjOBJ_JOINT, j.name);
    const joint = el ? mj.mjs_asJoint(el) : undefined;
    if (joint) joint.actfrclimited = mj.mjtLimited.mjLIMITED_FALSE;
    // A continuous joint has no limits (the URDF spec: lower and upper are ignored; parseUrdf.ts reads them as ±Infinity,
    // cannon-es gives it no limit row), but MuJoCo's URDF importer keeps a <limit>'s range: a vendor wheel's lower="-3.14"
    // upper="3.14" stopped it at ±3.14 rad (docs/mujoco.md, "Joint limits").
    if (joint && j.type === 'continuous') joint.limited = mj.mjtLimited.mjLIMITED_FALSE;
    if (joint && hardenLimit(mj, joint, j, o.timestep)) hardLimits.add(j.name);
    addActuator(mj, spec, j.name, mimicTendon(mj, spec, urdf, j));
  }
  addMimics(mj, spec, urdf, o.timestep);
}

/**
 * A limited joint's limit as hard as MuJoCo allows at the physics step `timestep` (s): solref
 * LIMIT_TIMECONST_STEPS steps with damping ratio 1, solimp LIMIT_SOLIMP, in place of MuJoCo's
 * default (0.02 s, 0.9 0.95), whose penetration at rest scales with the force over the link's
 * inertia: a 0.5 N·m motor pushed the 1e-6 kg·m² jaw of tests/helpers/saturation.ts 2.5 rad
 * through its limit (docs/mujoco.md, "Joint limits"). MujocoRobot scales it per step
 * (sim/mujoco/MujocoHardLimits.ts). A <mimic> follower's limit keeps MuJoCo's softness (addMimics
 * says why). Whether the joint got one.
 */
function hardenLimit(mj: MainModule, joint: MjsJoint, j: UrdfJoint, timestep: number): boolean {
  if (j.mimic !== undefined) return false;
  const range = joint.range as Float64Array;
  const limited = joint.limited === mj.mjtLimited.mjLIMITED_TRUE || (joint.limited === mj.mjtLimited.mjLIMITED_AUTO && range[0] < range[1]);
  if (!limited || !(range[0] < range[1])) return false;
  (joint.solref_limit as Float64Array).set([LIMIT_TIMECONST_STEPS * timestep, 1]);
  (joint.solimp_limit as Float64Array).set(LIMIT_SOLIMP);
  return true;
}

/**
 * For a <mimic> follower that rides on another joint of its group (the Robotiq 2F-85's inner
 * fingers on their knuckles) or carries its leader (the leader downstream of it): a fixed tendon
 * over it, those joints and the leader, for its actuator, which carries the follower's share of its
 * leader's damping (sim/mujoco/MujocoMimicGroups.ts sets the coefficients from the mass matrix once
 * compiled). Undefined for any other joint: its actuator acts on the joint itself.
 */
function mimicTendon(mj: MainModule, spec: MjSpec, urdf: UrdfModel, j: UrdfJoint): string | undefined {
  const m = j.mimic;
  if (m === undefined || m.rootFixed) return undefined;
  const inGroup = (a: UrdfJoint) => a.type !== 'fixed' && (a.name === m.root || (a.mimic !== undefined && !a.mimic.rootFixed && a.mimic.root === m.root));
  const ancestors: string[] = [];
  for (let a = urdf.parentJoint.get(j.parent); a !== undefined; a = urdf.parentJoint.get(a.parent)) if (inGroup(a)) ancestors.push(a.name);
  const leader = urdf.jointByName.get(m.root);
  let carries = false;
  for (let a = leader && urdf.parentJoint.get(leader.parent); a !== undefined && !carries; a = urdf.parentJoint.get(a.parent)) carries = a === j;
  if (carries) ancestors.push(m.root);
  return ancestors.length === 0 ? undefined : addMimicTendon(mj, spec, j.name, ancestors);
}

/**
 * Time constant (s) of a mimic equality, in physics steps: MuJoCo's smallest safe one (its solref
 * is clamped to 2 steps), stiffer than its default 0.02 s.
 */
export const MIMIC_TIMECONST_STEPS = 2;
/**
 * Impedance of a mimic equality: as hard as MuJoCo allows (0.9999), a linkage, not a spring. With
 * menagerie's gripper couplings' (0.95 0.99) the Robotiq fixture's followers lagged its leader by up
 * to 9.2e-4 rad on a 2 rad/s ramp (kp 100, 200 Hz), with 0.9999 by 3.3e-5
 * (tests/bench/mimicFigures.ts; docs/mujoco.md, "Mimic joints").
 */
export const MIMIC_SOLIMP = [0.9999, 0.9999, 0.001, 0.5, 2] as const;

/**
 * One joint equality per URDF `<mimic>` (MuJoCo's `<equality><joint joint1=follower joint2=leader
 * polycoef="o m 0 0 0"/>`: q1 = o + m·q2, both from qpos0 = 0): to the root of a chain of mimics
 * with the multipliers and offsets composed, and, for a fixed leader, to no joint (q1 = o).
 */
function addMimics(mj: MainModule, spec: MjSpec, urdf: UrdfModel, timestep: number): void {
  for (const j of urdf.treeOrder) {
    const m = j.mimic;
    if (m === undefined) continue;
    const eq = mj.mjs_addEquality(spec, mj.mjs_getSpecDefault(spec)!)!;
    eq.type = mj.mjtEq.mjEQ_JOINT;
    eq.objtype = mj.mjtObj.mjOBJ_JOINT;
    eq.name1 = j.name;
    eq.name2 = m.rootFixed ? '' : m.root;
    const data = eq.data as Float64Array;
    data.fill(0);
    data[0] = m.rootOffset;
    data[1] = m.rootFixed ? 0 : m.rootMultiplier;
    eq.solref[0] = MIMIC_TIMECONST_STEPS * timestep;
    eq.solref[1] = 1;
    MIMIC_SOLIMP.forEach((v, i) => (eq.solimp[i] = v));
    // The follower's limit keeps MuJoCo's softness: where the coupling asks past it (URDF_MIMIC_RANGE)
    // the coupling wins. Made as hard as the equality (a trial, not kept), the two fought: the Robotiq
    // fixture's leader swung between 0.53 and 0.78 rad for 3 s against a follower limited to 0.5.
    mj.mjs_setName(eq.element, `axon_mimic_${j.name}`);
  }
}

/**
 * The internal DTD's entities (`<!DOCTYPE robot [ <!ENTITY len "0.1"> ]>`, `xyz="0 0 &len;"`)
 * expanded and the DOCTYPE left out: parseUrdf's reader expands them, MuJoCo's XML reader
 * (tinyxml2) does not and refused the attribute ("bad format in attribute 'xyz'"). Numeric
 * character references it decodes itself.
 */
function expandDtdEntities(text: string): string {
  const doctype = /<!DOCTYPE\b[^[>]*(\[([\s\S]*?)\])?\s*>/.exec(text);
  if (doctype === null) return text;
  const entities = new Map<string, string>();
  for (const m of (doctype[2] ?? '').matchAll(/<!ENTITY\s+([\w.:-]+)\s+(["'])([\s\S]*?)\2\s*>/g)) if (!entities.has(m[1])) entities.set(m[1], m[3]);
  const body = text.slice(0, doctype.index) + text.slice(doctype.index + doctype[0].length);
  return entities.size === 0 ? body : body.replace(/&([\w.:-]+);/g, (all, name: string) => entities.get(name) ?? all);
}
