/**
 * MuJoCo's official WebAssembly build (`@mujoco/mujoco`), loaded only when a MuJoCo robot is asked
 * for (dynamic import: the cannon-es paths never pay its ~10 MB compile), and the two ways a robot
 * becomes an mjModel:
 *
 * - a URDF through MuJoCo's own URDF compiler (mj parse of the URDF text, `<mujoco><compiler>`
 *   options injected: discardvisual, fusestatic off so that every link stays a body (IMU frames,
 *   feet), balanceinertia, strippath), then edited through the mjSpec API before compiling: axon's
 *   floating base (a freejoint on the root link), a ground plane, one actuator per moving joint
 *   (gains written per step by MujocoRobot), moving links without mass given axon's default
 *   inertial, and links without <inertial> kept massless (MuJoCo would weigh their collision
 *   geoms; cannon-es and the URDF do not); collision meshes through the virtual file system (by file name: MuJoCo strips paths);
 * - an MJCF as robot makers ship it (`--mjcf FILE`): every file under the model's folder goes into
 *   the virtual file system (relative paths kept), so `<include>`s, meshes and textures resolve.
 *
 * After compiling, armature, damping, friction loss and the contact filter are written into the
 * model's arrays (MujocoRobot). Configure time only: nothing here runs on the tick.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { MainModule, MjModel, MjSpec, MjVFS } from '@mujoco/mujoco';
import { AxonError } from '../../src/core/errors.ts';
import { oneNotePer, type UrdfModel, type UrdfNote } from '../urdf/parseUrdf.ts';
import { fixedGroupMass } from '../urdf/rootBody.ts';
import { isBinaryStl, readStl } from '../mesh/readStl.ts';
import { POINT_CONTACT_RADIUS } from '../urdf/urdfShape.ts';

/** What a moving link without mass gets (as the cannon-es side: SimRobot DEFAULT_LINK_INERTIAL). */
const DEFAULT_MASS = 0.1; // kg
const DEFAULT_INERTIA = 1e-3; // kg·m² per axis

let modulePromise: Promise<MainModule> | undefined;

/** The MuJoCo WebAssembly module, instantiated once per process (first call ~0.6 s). */
export function loadMujocoModule(): Promise<MainModule> {
  modulePromise ??= import('@mujoco/mujoco').then((m) => m.default() as Promise<MainModule>);
  return modulePromise;
}

/** The version string of the loaded build (e.g. "3.14.0"). */
export async function mujocoVersion(): Promise<string> {
  const mj = await loadMujocoModule();
  return mj.mj_versionString();
}

export interface CompiledMujoco {
  readonly model: MjModel;
  /** What the import decided (options replaced, defaults given), one line each. */
  readonly notes: UrdfNote[];
}

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
}

/** Our compiler options; a vendor's own `<mujoco>` block is replaced (noted). */
const COMPILER = '<mujoco><compiler discardvisual="true" fusestatic="false" balanceinertia="true" strippath="true" angle="radian"/></mujoco>';

/**
 * A URDF (its text, and axon's parse of it for the tree, masses and resolved mesh paths) through
 * MuJoCo's URDF compiler, with axon's floating base, ground and one actuator per moving joint in
 * axon's joint order (the URDF tree order). Throws AxonError MUJOCO_COMPILE with MuJoCo's message.
 */
export function compileUrdf(mj: MainModule, urdfText: string, urdf: UrdfModel, o: UrdfCompileOptions): CompiledMujoco {
  const notes: UrdfNote[] = [];
  const where = `<robot name="${urdf.name}">`;
  // Comments out: a <mujoco> block the vendor commented out is not theirs to replace.
  let text = urdfText.replace(/<\?xml[^>]*\?>/, '').replace(/<!--[\s\S]*?-->/g, '');
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
    const bad = urdf.links.find((l) => l.inertial?.repaired);
    if (bad) throw new AxonError('URDF_INERTIA', `<link name="${bad.name}"> <inertial> <inertia>`, 'the tensor is not positive definite', 'a positive-definite inertia (or leave out --strict: repaired with a note)');
  }
  // A point contact (a collision sphere of radius 0, as Drake writes them): the size parseUrdf gives it.
  text = text.replace(/<collision\b[^>]*(?<!\/)>[\s\S]*?<\/collision>/g, (block) =>
    block.replace(/(<sphere\b[^>]*\bradius\s*=\s*)(["'])([^"']*)\2/, (m, head: string, q: string, v: string) => (v.trim() !== '' && Number(v) === 0 ? `${head}${q}${POINT_CONTACT_RADIUS}${q}` : m)),
  );
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
    editSpec(mj, spec, urdf, o, notes);
    const model = compileSpec(mj, spec, vfs, where);
    return { model, notes };
  } finally {
    spec?.delete();
    vfs.delete();
  }
}

/**
 * An MJCF file as a robot maker ships it: every file under its folder (up to 200 MB, skipping
 * dot-folders) goes into the virtual file system under its path relative to the folder, so
 * `<include file>`, meshdir/texturedir and asset paths resolve as they would on disk. Adds axon's
 * ground plane only when `ground` and the model has no plane of its own; its own actuators are
 * removed, with the sensors on them (axon drives the joints they moved with its own PD actuator, one
 * per hinge/slide joint added here in joint order; a joint none of them moved stays passive).
 */
/** What an MJCF's own actuator on a joint said, kept when axon replaces it (effort limit, position gains). */
export interface MjcfActuatorInfo {
  /** N·m | N: the actuator's force range, or a motor's control range × gear. */
  readonly effortLimit?: number;
  /** A position actuator's stiffness (N·m/rad) and damping (N·m·s/rad), over its gear. */
  readonly kp?: number;
  readonly kd?: number;
  /** A position actuator's ctrlrange over its gear: the joint targets MuJoCo accepts (rad | m). */
  readonly targetRange?: readonly [number, number];
}

/** An MJCF compiled with axon's actuators: joints in model order, and what the model's own actuators said, by joint. */
export interface CompiledMjcf extends CompiledMujoco {
  readonly joints: string[];
  readonly actuators: Readonly<Record<string, MjcfActuatorInfo>>;
  /**
   * Joints the model's own actuators do not move (when it has actuators): springs, the joints of a
   * closed linkage. They stay passive (effort limit 0), as in the model.
   */
  readonly passive: ReadonlySet<string>;
}

export function compileMjcf(mj: MainModule, file: string, o: { readonly ground: boolean; readonly timestep: number }): CompiledMjcf {
  // The file itself first: a missing one is named as such, before its folder is read (a missing
  // /tmp/robot.xml had all of /tmp read into the virtual file system, refused as over 200 MB).
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (e) {
    throw new AxonError('MUJOCO_MJCF_FILE', file, `cannot be read: ${(e as Error).message}`, 'a readable MJCF model file');
  }
  if (!isFile) throw new AxonError('MUJOCO_MJCF_FILE', file, 'is not a file', 'an MJCF model file (a folder\'s scene.xml or robot file)');
  const root = dirname(file);
  const vfs = new mj.MjVFS();
  let spec: MjSpec | undefined;
  const notes: UrdfNote[] = [];
  try {
    let bytes = 0;
    const walk = (dir: string) => {
      for (const e of readdirSync(dir)) {
        if (e.startsWith('.')) continue;
        const p = join(dir, e);
        const st = statSync(p);
        if (st.isDirectory()) walk(p);
        else if (st.isFile()) {
          bytes += st.size;
          if (bytes > 200e6) throw new AxonError('MUJOCO_MJCF_FOLDER', root, 'holds more than 200 MB of files', 'an MJCF model folder (the model, its includes and assets)');
          vfs.addBuffer(relative(root, p).split(sep).join('/'), meshBytesForMujoco(p, p));
        }
      }
    };
    walk(root);
    const where = file; // as given, as every other note names it
    // Parse through the VFS (includes resolve there), then edit as a spec.
    const first = loadXml(mj, basename(file), vfs, where);
    first.delete();
    spec = parseSpec(mj, readFileSync(file, 'utf8'), where, vfs);
    const joints: string[] = [];
    // Joints in model (depth-first) order: compile once to read them.
    const probe = compileSpec(mj, spec, vfs, where);
    for (let j = 0; j < probe.njnt; j++) {
      const t = probe.jnt_type[j];
      if (t === mj.mjtJoint.mjJNT_HINGE.value || t === mj.mjtJoint.mjJNT_SLIDE.value) joints.push(mj.mj_id2name(probe, mj.mjtObj.mjOBJ_JOINT.value, j));
    }
    let hasPlane = false;
    for (let g = 0; g < probe.ngeom; g++) if (probe.geom_type[g] === mj.mjtGeom.mjGEOM_PLANE.value) hasPlane = true;
    // The robot's root is the first body under the world; a free joint there makes it floating.
    const rootJnt = probe.nbody > 1 ? (probe.body_jntadr as Int32Array)[1] : -1;
    const floating = rootJnt >= 0 && probe.jnt_type[rootJnt] === mj.mjtJoint.mjJNT_FREE.value;
    const nu = probe.nu;
    const actuators = mjcfActuators(mj, probe);
    const moved = actuatedJoints(mj, probe);
    probe.delete();
    if (joints.some((n) => !n)) throw new AxonError('MUJOCO_MJCF_JOINT', where, 'has an unnamed hinge or slide joint', 'every moving joint named (axon addresses joints by name)');
    // Passive only where every actuator says which joints it moves: a site or body actuator may move any of them.
    const passive = new Set(nu > 0 && moved.unresolved.length === 0 ? joints.filter((n) => !moved.byJoint.has(n) && !moved.byTendon.has(n)) : []);
    if (nu > 0) {
      let a = mj.mjs_firstElement(spec, mj.mjtObj.mjOBJ_ACTUATOR);
      while (a) {
        const next = mj.mjs_nextElement(spec, a);
        mj.mjs_delete(spec, a);
        a = next;
      }
      // Sensors on those actuators (actuatorpos, actuatorvel, actuatorfrc) would name nothing: out with them.
      const gone: string[] = [];
      let e = mj.mjs_firstElement(spec, mj.mjtObj.mjOBJ_SENSOR);
      while (e) {
        const next = mj.mjs_nextElement(spec, e);
        const sensor = mj.mjs_asSensor(e);
        if (sensor && sensor.objtype === mj.mjtObj.mjOBJ_ACTUATOR) {
          gone.push(sensor.objname);
          mj.mjs_delete(spec, e);
        }
        e = next;
      }
      const driven = joints.length - passive.size;
      notes.push({ code: 'MUJOCO_MJCF_ACTUATORS', where, message: `${nu} actuator(s) of the model replaced by axon's PD actuators on the ${driven} joint(s) they move` });
      if (gone.length > 0) notes.push({ code: 'MUJOCO_MJCF_SENSORS', where, message: `${gone.length} sensor(s) on the model's actuators removed with them (on ${gone.join(', ')})` });
      if (passive.size > 0)
        notes.push({ code: 'MUJOCO_MJCF_PASSIVE', where, message: `${passive.size} joint(s) no actuator of the model moves, kept passive as in the model (springs, closed linkages): ${[...passive].join(', ')}` });
      if (moved.unresolved.length > 0)
        notes.push({ code: 'MUJOCO_MJCF_TRANSMISSION', where, message: `${moved.unresolved.join(', ')}: an actuator on a site, body, slider-crank or spatial tendon, which axon does not read: every hinge/slide joint gets axon's PD, none is taken as passive` });
      if (moved.byTendon.size > 0)
        notes.push({ code: 'MUJOCO_MJCF_TENDON', where, message: `${[...moved.byTendon].join(', ')}: moved by the model through a tendon, whose actuator axon does not read: each gets axon's PD on its own (default gains, no effort limit from the model)` });
    }
    const own = spec.option.timestep;
    if (Math.abs(own - o.timestep) > 1e-12)
      notes.push({ code: 'MUJOCO_MJCF_TIMESTEP', where, message: `the model's own timestep ${+own.toPrecision(6)} s (${+(1 / own).toPrecision(6)} Hz) replaced by ${+o.timestep.toPrecision(6)} s (${+(1 / o.timestep).toPrecision(6)} Hz, --physics-hz)${own < o.timestep ? ': a model tuned at the finer step may need it (--physics-hz ' + Math.round(1 / own) + ')' : ''}` });
    spec.option.timestep = o.timestep;
    spec.option.integrator = mj.mjtIntegrator.mjINT_IMPLICITFAST.value;
    // A floating model without a plane stands on axon's ground; a fixed one (a hand, an arm) hangs where the model puts it.
    if (o.ground && !hasPlane && floating) {
      addGround(mj, spec);
      notes.push({ code: 'MUJOCO_MJCF_GROUND', where, message: "the model has no plane: axon's ground added at z = 0 under its floating base" });
    }
    for (const name of joints) addActuator(mj, spec, name);
    const model = compileSpec(mj, spec, vfs, where);
    return { model, notes, joints, actuators, passive };
  } finally {
    spec?.delete();
    vfs.delete();
  }
}

/**
 * The model's own joint actuators: an effort limit from forcerange (forcelimited), else from a
 * motor's ctrlrange × gear; a position actuator's kp (gain) and kv (−bias[2]) over gear², and its
 * ctrlrange / gear as the joint targets it accepts. Others
 * (tendons, sites, muscles) say nothing here.
 */
function mjcfActuators(mj: MainModule, m: MjModel): Record<string, MjcfActuatorInfo> {
  const out: Record<string, { effortLimit?: number; kp?: number; kd?: number; targetRange?: [number, number] }> = {};
  const trntype = m.actuator_trntype as Int32Array;
  const trnid = m.actuator_trnid as Int32Array;
  const gear = m.actuator_gear as Float64Array;
  const gaintype = m.actuator_gaintype as Int32Array;
  const gainprm = m.actuator_gainprm as Float64Array;
  const biastype = m.actuator_biastype as Int32Array;
  const biasprm = m.actuator_biasprm as Float64Array;
  // (The build cannot read its bool arrays, forcelimited/ctrllimited: a range lo < hi is taken as limited, as the compiler's "auto" does.)
  const forcerange = m.actuator_forcerange as Float64Array;
  const ctrlrange = m.actuator_ctrlrange as Float64Array;
  const NGAIN = gainprm.length / Math.max(1, m.nu);
  const NB = biasprm.length / Math.max(1, m.nu);
  for (let a = 0; a < m.nu; a++) {
    if (trntype[a] !== mj.mjtTrn.mjTRN_JOINT.value) continue;
    const joint = mj.mj_id2name(m, mj.mjtObj.mjOBJ_JOINT.value, trnid[2 * a]);
    if (!joint) continue;
    const g = Math.abs(gear[6 * a]) || 1;
    const info: { effortLimit?: number; kp?: number; kd?: number; targetRange?: [number, number] } = { ...out[joint] };
    const fixedGain = gaintype[a] === mj.mjtGain.mjGAIN_FIXED.value;
    // The force range bounds the actuator's force; the joint gets gear × that.
    if (forcerange[2 * a] < forcerange[2 * a + 1]) info.effortLimit = Math.max(Math.abs(forcerange[2 * a]), Math.abs(forcerange[2 * a + 1])) * g;
    else if (fixedGain && biastype[a] === mj.mjtBias.mjBIAS_NONE.value && ctrlrange[2 * a] < ctrlrange[2 * a + 1])
      info.effortLimit = Math.max(Math.abs(ctrlrange[2 * a]), Math.abs(ctrlrange[2 * a + 1])) * Math.abs(gainprm[NGAIN * a]) * g;
    // <position kp kv>: gain kp, bias [0, −kp, −kv]; on the joint, ×gear².
    if (fixedGain && biastype[a] === mj.mjtBias.mjBIAS_AFFINE.value && gainprm[NGAIN * a] > 0 && Math.abs(biasprm[NB * a + 1] + gainprm[NGAIN * a]) < 1e-9 * gainprm[NGAIN * a]) {
      info.kp = gainprm[NGAIN * a] * g * g;
      info.kd = -biasprm[NB * a + 2] * g * g;
      // force = kp·(ctrl − gear·q): the target is ctrl / gear, bounded by ctrlrange / gear.
      const gs = gear[6 * a] || 1;
      if (ctrlrange[2 * a] < ctrlrange[2 * a + 1]) {
        const [lo, hi] = [ctrlrange[2 * a] / gs, ctrlrange[2 * a + 1] / gs];
        info.targetRange = lo < hi ? [lo, hi] : [hi, lo];
      }
    }
    out[joint] = info;
  }
  return out;
}

/**
 * The joints the model's own actuators move: through a joint transmission, or through a fixed
 * tendon that wraps them. `unresolved` names the actuators whose transmission does not say which
 * joints they move (site, body, slider-crank, a spatial tendon): with any of them, no joint can be
 * called passive.
 */
function actuatedJoints(mj: MainModule, m: MjModel): { byJoint: Set<string>; byTendon: Set<string>; unresolved: string[] } {
  const byJoint = new Set<string>();
  const byTendon = new Set<string>();
  const unresolved: string[] = [];
  const trntype = m.actuator_trntype as Int32Array;
  const trnid = m.actuator_trnid as Int32Array;
  const JOINT = mj.mjtObj.mjOBJ_JOINT.value;
  const actuator = (a: number) => mj.mj_id2name(m, mj.mjtObj.mjOBJ_ACTUATOR.value, a) || `#${a}`;
  for (let a = 0; a < m.nu; a++) {
    const t = trntype[a];
    if (t === mj.mjtTrn.mjTRN_JOINT.value || t === mj.mjtTrn.mjTRN_JOINTINPARENT.value) byJoint.add(mj.mj_id2name(m, JOINT, trnid[2 * a]));
    else if (t === mj.mjtTrn.mjTRN_TENDON.value) {
      const tendon = trnid[2 * a];
      const adr = (m.tendon_adr as Int32Array)[tendon];
      const num = (m.tendon_num as Int32Array)[tendon];
      for (let w = adr; w < adr + num; w++) {
        if ((m.wrap_type as Int32Array)[w] === mj.mjtWrap.mjWRAP_JOINT.value) byTendon.add(mj.mj_id2name(m, JOINT, (m.wrap_objid as Int32Array)[w]));
        else {
          unresolved.push(actuator(a));
          break;
        }
      }
    } else unresolved.push(actuator(a));
  }
  for (const j of byJoint) byTendon.delete(j);
  return { byJoint, byTendon, unresolved };
}

function loadXml(mj: MainModule, name: string, vfs: MjVFS, where: string): MjModel {
  try {
    return mj.MjModel.from_xml_path(name, vfs);
  } catch (e) {
    throw new AxonError('MUJOCO_COMPILE', where, `MuJoCo refused it: ${errText(mj, e)}`, 'a model MuJoCo 3.14 compiles');
  }
}

function parseSpec(mj: MainModule, text: string, where: string, vfs?: MjVFS): MjSpec {
  try {
    // An MJCF parses against the VFS so that its <include>s resolve there.
    return vfs ? mj.parseXMLString(text, vfs) : mj.parseXMLString(text);
  } catch (e) {
    throw new AxonError('MUJOCO_PARSE', where, `MuJoCo could not parse it: ${errText(mj, e)}`, 'a URDF or MJCF MuJoCo 3.14 reads');
  }
}

function compileSpec(mj: MainModule, spec: MjSpec, vfs: MjVFS, where: string): MjModel {
  let model: MjModel | undefined;
  try {
    model = mj.mj_compile(spec, vfs);
  } catch (e) {
    throw new AxonError('MUJOCO_COMPILE', where, `MuJoCo's compiler refused it: ${errText(mj, e)}${specError(mj, spec)}`, 'a model MuJoCo 3.14 compiles');
  }
  if (!model) throw new AxonError('MUJOCO_COMPILE', where, `MuJoCo's compiler refused it${specError(mj, spec)}`, 'a model MuJoCo 3.14 compiles');
  return model;
}

function specError(mj: MainModule, spec: MjSpec): string {
  try {
    const s = mj.mjs_getError(spec);
    return s ? `: ${s}` : '';
  } catch {
    return '';
  }
}

function errText(mj: MainModule, e: unknown): string {
  if (typeof e === 'number') {
    const getMsg = (mj as unknown as { getExceptionMessage?: (x: number) => [string, string] }).getExceptionMessage;
    if (getMsg) return getMsg(e).join(': ');
  }
  return (e as Error)?.message ?? String(e);
}

function addGround(mj: MainModule, spec: MjSpec): void {
  const world = mj.mjs_findBody(spec, 'world')!;
  const g = mj.mjs_addGeom(world, mj.mjs_getSpecDefault(spec)!)!;
  g.type = mj.mjtGeom.mjGEOM_PLANE;
  g.size.set([0, 0, 1]);
  // Every collision bit: a model's own default may say contype/conaffinity 0 and its collision
  // classes other bits (Agility Cassie's), and the ground it inherits would then touch nothing.
  g.contype = 0x7fffffff;
  g.conaffinity = 0x7fffffff;
  mj.mjs_setName(g.element, 'axon_ground');
}

/**
 * One "general" actuator on the joint: force = ctrl + b1·q + b2·q̇ (gain 1, affine bias). The
 * robot writes ctrl, b1 = −kp and b2 = −(kd + dt·kp | kd) every physics step, so MuJoCo's
 * implicitfast integrator solves the velocity term with the next velocity (as the cannon-es side's
 * implicit PD row does).
 */
function addActuator(mj: MainModule, spec: MjSpec, joint: string): void {
  const a = mj.mjs_addActuator(spec, mj.mjs_getSpecDefault(spec)!)!;
  a.trntype = mj.mjtTrn.mjTRN_JOINT;
  a.target = joint;
  a.gaintype = mj.mjtGain.mjGAIN_FIXED;
  a.biastype = mj.mjtBias.mjBIAS_AFFINE;
  a.gainprm[0] = 1;
  a.ctrllimited = mj.mjtLimited.mjLIMITED_FALSE;
  a.forcelimited = mj.mjtLimited.mjLIMITED_FALSE;
  mj.mjs_setName(a.element, `axon_${joint}`);
}

function editSpec(mj: MainModule, spec: MjSpec, urdf: UrdfModel, o: UrdfCompileOptions, notes: UrdfNote[]): void {
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
    addActuator(mj, spec, j.name);
  }
}

/**
 * A mesh file's bytes as MuJoCo reads them (a URDF's collision mesh, a file of an MJCF's folder): its STL decoder takes binary STL only, and vendors
 * ship ASCII STL too, so an ASCII STL (by size, as readStl decides) is handed over re-encoded as
 * binary, the same triangles; anything else as it is.
 */
function meshBytesForMujoco(path: string, where: string): Uint8Array {
  const bytes = readFileSync(path);
  if (!/\.stl$/i.test(path) || isBinaryStl(bytes)) return bytes;
  let m;
  try {
    m = readStl(bytes, where);
  } catch {
    return bytes; // not an STL axon reads either: MuJoCo says so if the model uses it
  }
  const n = m.indices.length / 3;
  const out = new Uint8Array(84 + 50 * n);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode('binary STL from an ASCII STL by axon'));
  view.setUint32(80, n, true);
  for (let t = 0; t < n; t++)
    for (let k = 0; k < 3; k++) {
      const v = m.indices[3 * t + k];
      for (let c = 0; c < 3; c++) view.setFloat32(84 + 50 * t + 12 + 12 * k + 4 * c, m.vertices[3 * v + c], true);
    }
  return out;
}
