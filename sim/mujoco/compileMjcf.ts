/**
 * An MJCF as robot makers ship it (`--mjcf FILE`): every file under the model's folder, and the
 * files it names outside it, go into MuJoCo's virtual file system (relative paths kept,
 * mjcfFolder.ts), so `<include>`s, meshes and textures resolve; the model's own actuators are read
 * (effort limits, position gains, which joints they move) and replaced by axon's.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { MainModule, MjModel, MjSpec } from '@mujoco/mujoco';
import { AxonError } from '../../src/core/errors.ts';
import type { JointSpec } from '../../src/core/robot.ts';
import type { UrdfNote } from '../urdf/parseUrdf.ts';
import { baseJointExtras, floatingBase } from './floatingBase.ts';
import { addMjcfFiles, whyMissing, type MjcfFiles } from './mjcfFolder.ts';
import { addMimicTendon, mjcfMimics } from './mjcfMimic.ts';
import { checkCompiledNumbers, checkMjcfNumbers } from './mjcfNumbers.ts';
import { addActuator, addGround, compileSpec, loadXml, mujocoName, parseSpec, type CompiledMujoco } from './loadMujoco.ts';

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
  /** A floating base of slides and a ball: what its joints carry that a free joint has none of (floatingBase.ts `baseJointExtras`), one phrase per joint. */
  readonly baseExtras: readonly string[];
  /** Joints that follow another through the model's linear <equality><joint> (mjcfMimic.ts): JointSpec.mimic, by name. */
  readonly mimic: ReadonlyMap<string, NonNullable<JointSpec['mimic']>>;
  /** Each follower's equality, its index in `model` (MujocoJointDesc.mimicEquality), by name. */
  readonly mimicEquality: ReadonlyMap<string, number>;
}

/**
 * An MJCF file as a robot maker ships it: every file under its folder (skipping dot-folders) and
 * the files it names outside it (its includes, its assets' files under meshdir/texturedir/assetdir),
 * up to 200 MB, go into the virtual file system under their paths relative to the folder, so
 * `<include file>`, meshdir/texturedir and asset paths resolve as they would on disk (mjcfFolder.ts). A floating base is a free joint on the root body or three slides and a
 * ball there (floatingBase.ts), whose joints are not among `joints`. Adds axon's
 * ground plane only when `ground` and the model has no plane of its own; its own actuators are
 * removed, with the sensors on them (axon drives the joints they moved with its own PD actuator, one
 * per hinge/slide joint added here in joint order; a joint none of them moved stays passive).
 */
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
  // Before MuJoCo reads it: it takes nan and inf as numbers (mjcfNumbers.ts).
  checkMjcfNumbers(file);
  const vfs = new mj.MjVFS();
  let spec: MjSpec | undefined;
  const notes: UrdfNote[] = [];
  try {
    // The model's folder, and the files it names outside it (meshdir="../meshes/"), as on disk (mjcfFolder.ts).
    const files = addMjcfFiles(vfs, file, notes);
    const where = file; // as given, as every other note names it
    // Parse through the VFS (includes resolve there), then edit as a spec.
    let first;
    try {
      first = loadXml(mj, basename(file), vfs, where);
    } catch (e) {
      throw whereLooked(e, file, files);
    }
    first.delete();
    spec = parseSpec(mj, files.main, where, vfs);
    const joints: string[] = [];
    // Joints in model (depth-first) order: compile once to read them.
    const probe = compileSpec(mj, spec, vfs, where);
    try {
      checkCompiledNumbers(mj, probe, where);
    } catch (e) {
      probe.delete();
      throw e;
    }
    // The robot's root is the first body under the world; a free joint there makes it floating, or
    // three slides and a ball (humanoid-gym's XBot-L), which are then not the robot's joints.
    let base;
    let baseExtras: string[] = [];
    try {
      base = probe.nbody > 1 ? floatingBase(mj, probe, 1, where) : undefined;
      if (base) baseExtras = baseJointExtras(mj, probe, spec, base);
    } catch (e) {
      probe.delete();
      throw e;
    }
    const ofBase = new Set(base?.jointIds ?? []);
    const unnamedOn: string[] = []; // bodies of unnamed hinge/slide joints
    for (let j = 0; j < probe.njnt; j++) {
      const t = probe.jnt_type[j];
      if (t !== mj.mjtJoint.mjJNT_HINGE.value && t !== mj.mjtJoint.mjJNT_SLIDE.value) continue;
      if (ofBase.has(j)) continue;
      const name = mujocoName(mj, probe, mj.mjtObj.mjOBJ_JOINT.value, j);
      const body = (probe.jnt_bodyid as Int32Array)[j];
      const bodyName = mujocoName(mj, probe, mj.mjtObj.mjOBJ_BODY.value, body);
      if (name === '') unnamedOn.push(bodyName !== '' ? `"${bodyName}"` : `#${body} (unnamed)`);
      joints.push(name);
    }
    let hasPlane = false;
    for (let g = 0; g < probe.ngeom; g++) if (probe.geom_type[g] === mj.mjtGeom.mjGEOM_PLANE.value) hasPlane = true;
    const floating = base !== undefined;
    const nu = probe.nu;
    if (unnamedOn.length > 0) {
      probe.delete();
      throw new AxonError('MUJOCO_MJCF_JOINT', where, `has ${unnamedOn.length} unnamed hinge or slide joint(s), on body ${unnamedOn.join(', ')}`, 'every moving joint named (axon addresses joints by name)');
    }
    const actuators = mjcfActuators(mj, probe);
    const moved = actuatedJoints(mj, probe);
    // Passive only where every actuator says which joints it moves: a site or body actuator may move any of them.
    const passive = new Set(nu > 0 && moved.unresolved.length === 0 ? joints.filter((n) => !moved.byJoint.has(n) && !moved.byTendon.has(n)) : []);
    // Linear joint couplings between driven joints: followers, as a URDF <mimic> (mjcfMimic.ts).
    let mimic;
    try {
      mimic = mjcfMimics(mj, probe, spec, joints, passive, o.timestep, notes, where);
    } finally {
      probe.delete();
    }
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
      // (Each actuator once: XBot-L has an actuatorpos, actuatorvel and actuatorfrc on each of its 12.)
      if (gone.length > 0) notes.push({ code: 'MUJOCO_MJCF_SENSORS', where, message: `${gone.length} sensor(s) on the model's actuators removed with them (on ${[...new Set(gone)].join(', ')})` });
      if (passive.size > 0)
        notes.push({ code: 'MUJOCO_MJCF_PASSIVE', where, message: `${passive.size} joint(s) no actuator of the model moves, kept passive as in the model (springs, closed linkages): ${[...passive].join(', ')}` });
      if (moved.unresolved.length > 0)
        notes.push({ code: 'MUJOCO_MJCF_TRANSMISSION', where, message: `${moved.unresolved.join(', ')}: an actuator on a site, body, slider-crank or spatial tendon, which axon does not read: every hinge/slide joint gets axon's PD, none is taken as passive` });
      // (A follower among them moves with its leader: MUJOCO_MJCF_MIMIC.)
      const byTendon = [...moved.byTendon].filter((n) => !mimic.followers.has(n));
      const following = [...moved.byTendon].filter((n) => mimic.followers.has(n));
      if (byTendon.length > 0)
        notes.push({
          code: 'MUJOCO_MJCF_TENDON',
          where,
          message: `${byTendon.join(', ')}: moved by the model through a tendon, whose actuator axon does not read: each gets axon's PD on its own (default gains, no effort limit from the model)${following.length > 0 ? `; ${following.join(', ')} on that tendon follow${following.length === 1 ? 's' : ''} ${[...new Set(following.map((n) => mimic.followers.get(n)!.joint))].join(', ')} (<equality><joint>) with no PD of ${following.length === 1 ? 'its' : 'their'} own` : ''}`,
        });
    }
    const own = spec.option.timestep;
    if (Math.abs(own - o.timestep) > 1e-12)
      notes.push({ code: 'MUJOCO_MJCF_TIMESTEP', where, message: `the model's own timestep ${+own.toPrecision(6)} s (${+(1 / own).toPrecision(6)} Hz) replaced by ${+o.timestep.toPrecision(6)} s (${+(1 / o.timestep).toPrecision(6)} Hz, --physics-hz)${own < o.timestep ? ': a model tuned at the finer step may need it (--physics-hz ' + Math.round(1 / own) + ')' : ''}` });
    spec.option.timestep = o.timestep;
    spec.option.integrator = mj.mjtIntegrator.mjINT_IMPLICITFAST.value;
    // A floating model without a plane stands on axon's ground; a fixed one (a hand, an arm) hangs where the model puts it.
    const addedGround = o.ground && !hasPlane && floating;
    if (addedGround) {
      addGround(mj, spec);
      notes.push({ code: 'MUJOCO_MJCF_GROUND', where, message: "the model has no plane: axon's ground added at z = 0 under its floating base" });
    }
    for (const name of joints) {
      const along = mimic.tendons.get(name);
      addActuator(mj, spec, name, along ? addMimicTendon(mj, spec, name, along) : undefined);
    }
    const model = compileSpec(mj, spec, vfs, where);
    if (addedGround && !touchesGround(model)) {
      model.delete();
      throw new AxonError(
        'MUJOCO_MJCF_NO_CONTACT',
        where,
        "has no geom that can touch axon's ground (every geom of the robot has contype and conaffinity 0: its contacts are the explicit <contact><pair>s of a scene file), so the robot would fall through it",
        "the scene file that pairs the robot's geoms with its floor (mujoco_menagerie: scene.xml beside the robot file), or collision geoms with contype or conaffinity set",
      );
    }
    return { model, notes, joints, actuators, passive, baseExtras, mimic: mimic.followers, mimicEquality: mimic.equalities };
  } finally {
    spec?.delete();
    vfs.delete();
  }
}

/**
 * MuJoCo's "Error opening file '../meshes/base_link.STL'" with the path on disk it stands for and
 * why it was not there (mjcfFolder.ts `whyMissing`: no such file, a folder, unreadable, or on disk
 * but named nowhere axon looks): a model moved out of its repository's layout (humanoid-gym's
 * XBot-L.xml without the meshes folder beside its mjcf/ folder) names a folder the user can look at.
 */
function whereLooked(e: unknown, file: string, files: MjcfFiles): unknown {
  if (!(e instanceof AxonError) || e.code !== 'MUJOCO_COMPILE') return e;
  const name = /Error opening file '([^']+)'/.exec(e.detail)?.[1];
  if (name === undefined) return e;
  return new AxonError(e.code, e.where, `${e.detail} (${whyMissing(name, file, files)})`, e.expected);
}

/**
 * Whether some geom of the robot (not on the world body) can collide with axon's ground, which has
 * every collision bit: one with a contype or conaffinity bit. apptronik_apollo.xml has none (its
 * default class sets both 0 and its scene.xml makes the feet touch the floor through <contact><pair>).
 */
function touchesGround(m: MjModel): boolean {
  const body = m.geom_bodyid as Int32Array;
  const contype = m.geom_contype as Int32Array;
  const conaffinity = m.geom_conaffinity as Int32Array;
  for (let g = 0; g < m.ngeom; g++) if (body[g] !== 0 && (contype[g] !== 0 || conaffinity[g] !== 0)) return true;
  return false;
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
    const joint = mujocoName(mj, m, mj.mjtObj.mjOBJ_JOINT.value, trnid[2 * a]);
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
      // (ctrlrange="-inf inf" bounds nothing.)
      if (ctrlrange[2 * a] < ctrlrange[2 * a + 1] && (Number.isFinite(ctrlrange[2 * a]) || Number.isFinite(ctrlrange[2 * a + 1]))) {
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
  const actuator = (a: number) => mujocoName(mj, m, mj.mjtObj.mjOBJ_ACTUATOR.value, a) || `#${a}`;
  for (let a = 0; a < m.nu; a++) {
    const t = trntype[a];
    if (t === mj.mjtTrn.mjTRN_JOINT.value || t === mj.mjtTrn.mjTRN_JOINTINPARENT.value) byJoint.add(mujocoName(mj, m, JOINT, trnid[2 * a]));
    else if (t === mj.mjtTrn.mjTRN_TENDON.value) {
      const tendon = trnid[2 * a];
      const adr = (m.tendon_adr as Int32Array)[tendon];
      const num = (m.tendon_num as Int32Array)[tendon];
      for (let w = adr; w < adr + num; w++) {
        if ((m.wrap_type as Int32Array)[w] === mj.mjtWrap.mjWRAP_JOINT.value) byTendon.add(mujocoName(mj, m, JOINT, (m.wrap_objid as Int32Array)[w]));
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
