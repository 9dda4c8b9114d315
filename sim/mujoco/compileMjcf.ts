/**
 * An MJCF as robot makers ship it (`--mjcf FILE`): every file under the model's folder, and the
 * files it names outside it, go into MuJoCo's virtual file system (relative paths kept,
 * mjcfFolder.ts), so `<include>`s, meshes and textures resolve; the model's own actuators are read
 * (effort limits, position gains, which joints they move) and replaced by axon's.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { MainModule, MjModel, MjSpec } from '@mujoco/mujoco';
import { AxonError } from '../../src/core/errors.ts';
import type { JointSpec } from '../../src/core/robot.ts';
import type { UrdfNote } from '../urdf/parseUrdf.ts';
import { baseJointExtras, floatingBase } from './floatingBase.ts';
import { addMjcfFiles, whyMissing, type MjcfFiles } from './mjcfFolder.ts';
import { mjcfDigest, type MjcfDigest } from './mjcfDigest.ts';
import { actuatedJoints, groupTendonActuators, mjcfActuators, type ActuatorLimited, type MjcfActuatorInfo } from './mjcfActuators.ts';
import { mjcfMimics } from './mjcfMimic.ts';
import { mjcfRoot } from './mjcfRoot.ts';
import { checkCompiledNumbers, checkMjcfNumbers } from './mjcfNumbers.ts';
import { addActuator, addGround, addMimicTendon, compileSpec, loadXml, mujocoName, parseSpec, type CompiledMujoco } from './loadMujoco.ts';

/** An MJCF compiled with axon's actuators: joints in model order, and what the model's own actuators said, by joint. */
export interface CompiledMjcf extends CompiledMujoco {
  readonly joints: string[];
  /** The model file's bytes as read from disk, before any change (MjcfFiles.source): what it was compiled from. */
  readonly source: Uint8Array;
  /** The model file and the files it includes, as read from disk and compiled, hashed (mjcfDigest.ts): what a served MJCF is named by. */
  readonly digest: MjcfDigest;
  readonly actuators: Readonly<Record<string, MjcfActuatorInfo>>;
  /**
   * Joints the model's own actuators do not move (when it has actuators): springs, the joints of a
   * closed linkage. They stay passive (effort limit 0, no PD of axon's), as in the model; one that
   * follows a driven joint (`mimic`) moves with it.
   */
  readonly passive: ReadonlySet<string>;
  /** A floating base of slides and a ball: what its joints carry that a free joint has none of (floatingBase.ts `baseJointExtras`), one phrase per joint. */
  readonly baseExtras: readonly string[];
  /** Joints that follow another through the model's linear <equality><joint> (mjcfMimic.ts): JointSpec.mimic, by name. */
  readonly mimic: ReadonlyMap<string, NonNullable<JointSpec['mimic']>>;
  /** Each follower's equality, its index in `model` (MujocoJointDesc.mimicEquality), by name. */
  readonly mimicEquality: ReadonlyMap<string, number>;
  /**
   * The joints MuJoCo limits (read from the spec: limited="true", or "auto" with a range under
   * autolimits; the compiled jnt_limited is a bool array this build cannot read). A joint with
   * limited="false" may still get finite bounds from its position actuator's ctrlrange (OP3's legs,
   * createMujocoMjcfRobot.ts), which no stop holds.
   */
  readonly limited: ReadonlySet<string>;
  /**
   * Each joint's force range as the model gives it (its actuatorfrcrange: the larger bound's
   * magnitude, N·m | N), by name; absent where the model gives none. Read before the range is
   * switched off in the compiled model (below, compileMjcf): an effort limit, not a clamp.
   */
  readonly jointForce: ReadonlyMap<string, number>;
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
    // Of the bytes MuJoCo gets (no second read); a missing include is named here with the file that includes it.
    const digest = mjcfDigest(file, (p) => files.sources.get(p) ?? readFileSync(p));
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
    // The robot's root is the first body under the world whose tree holds a hinge or slide joint
    // (mjcfRoot.ts: a table, a mocap target or a loose cube declared before it is not the robot); a
    // free joint there makes it floating, or three slides and a ball (humanoid-gym's XBot-L), which
    // are then not the robot's joints.
    let base;
    let baseExtras: string[] = [];
    try {
      const root = mjcfRoot(mj, probe)?.root;
      base = root !== undefined ? floatingBase(mj, probe, root, where) : undefined;
      if (base) baseExtras = baseJointExtras(mj, probe, spec, base);
    } catch (e) {
      probe.delete();
      throw e;
    }
    const ofBase = new Set(base?.jointIds ?? []);
    const unnamedOn: string[] = []; // bodies of unnamed hinge/slide joints
    const jointForce = new Map<string, number>();
    const frc = probe.jnt_actfrcrange as Float64Array;
    for (let j = 0; j < probe.njnt; j++) {
      const t = probe.jnt_type[j];
      if (t !== mj.mjtJoint.mjJNT_HINGE.value && t !== mj.mjtJoint.mjJNT_SLIDE.value) continue;
      if (ofBase.has(j)) continue;
      const name = mujocoName(mj, probe, mj.mjtObj.mjOBJ_JOINT.value, j);
      const body = (probe.jnt_bodyid as Int32Array)[j];
      const bodyName = mujocoName(mj, probe, mj.mjtObj.mjOBJ_BODY.value, body);
      if (name === '') unnamedOn.push(bodyName !== '' ? `"${bodyName}"` : `#${body} (unnamed)`);
      joints.push(name);
      // actuatorfrclimited="false" with a range bounds nothing (read from the spec, as `limited` below).
      if (frc[2 * j] < frc[2 * j + 1] && specFlag(mj, spec, name, 'actfrclimited', frc[2 * j] < frc[2 * j + 1])) jointForce.set(name, Math.max(Math.abs(frc[2 * j]), Math.abs(frc[2 * j + 1])));
    }
    let hasPlane = false;
    for (let g = 0; g < probe.ngeom; g++) if (probe.geom_type[g] === mj.mjtGeom.mjGEOM_PLANE.value) hasPlane = true;
    const floating = base !== undefined;
    const nu = probe.nu;
    if (unnamedOn.length > 0) {
      probe.delete();
      throw new AxonError('MUJOCO_MJCF_JOINT', where, `has ${unnamedOn.length} unnamed hinge or slide joint(s), on body ${unnamedOn.join(', ')}`, 'every moving joint named (axon addresses joints by name)');
    }
    const actLimited = specActuatorLimits(mj, spec, probe);
    const actuators: Record<string, MjcfActuatorInfo> = mjcfActuators(mj, probe, actLimited);
    const moved = actuatedJoints(mj, probe);
    // Passive only where every actuator says which joints it moves: a site or body actuator may move any of them.
    const passive = new Set(nu > 0 && moved.unresolved.length === 0 ? joints.filter((n) => !moved.byJoint.has(n) && !moved.byTendon.has(n)) : []);
    // Linear joint couplings onto a driven joint: followers, as a URDF <mimic> (mjcfMimic.ts).
    let mimic;
    let byGroup;
    try {
      mimic = mjcfMimics(mj, probe, spec, joints, passive, o.timestep, notes, where);
      byGroup = groupTendonActuators(mj, probe, mimic.followers, actLimited);
    } finally {
      probe.delete();
    }
    // A group's tendon actuator is its leader's (a joint actuator of the model on the leader goes first).
    for (const [leader, info] of byGroup) if (actuators[leader] === undefined) actuators[leader] = info;
    if (nu > 0) {
      let a = mj.mjs_firstElement(spec, mj.mjtObj.mjOBJ_ACTUATOR);
      while (a) {
        const next = mj.mjs_nextElement(spec, a);
        mj.mjs_delete(spec, a);
        a = next;
      }
      // A keyframe's act= (the state of the model's stateful actuators: intvelocity, filters, muscles)
      // sizes what is gone: MuJoCo would refuse the file it accepted ("invalid act size"). axon's
      // actuators have no state, so it is cleared. (Its ctrl= is tolerated as it stands.)
      for (let k = mj.mjs_firstElement(spec, mj.mjtObj.mjOBJ_KEY); k; k = mj.mjs_nextElement(spec, k)) {
        const key = mj.mjs_asKey(k);
        if (key && key.act.size() > 0) key.act.resize(0, 0);
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
      // A follower has no PD of its own (passive in the model or not): it moves with its leader (MUJOCO_MJCF_MIMIC).
      const driven = joints.filter((n) => !passive.has(n) && !mimic.followers.has(n)).length;
      const kept = [...passive].filter((n) => !mimic.followers.has(n));
      const carried = [...passive].filter((n) => mimic.followers.has(n));
      notes.push({ code: 'MUJOCO_MJCF_ACTUATORS', where, message: `${nu} actuator(s) of the model replaced by axon's PD actuators on the ${driven} joint(s) they move${mimic.followers.size > 0 ? ` (and ${mimic.followers.size} follower(s) moved by their leaders, with no PD of their own)` : ''}` });
      // (Each actuator once: XBot-L has an actuatorpos, actuatorvel and actuatorfrc on each of its 12.)
      if (gone.length > 0) notes.push({ code: 'MUJOCO_MJCF_SENSORS', where, message: `${gone.length} sensor(s) on the model's actuators removed with them (on ${[...new Set(gone)].join(', ')})` });
      if (passive.size > 0)
        notes.push({
          code: 'MUJOCO_MJCF_PASSIVE',
          where,
          message: [
            kept.length > 0 ? `${kept.length} joint(s) no actuator of the model moves, kept passive as in the model (springs, closed linkages): ${kept.join(', ')}` : '',
            carried.length > 0 ? `${carried.length} joint(s) no actuator of the model moves follow a driven joint through the model's <equality><joint> (MUJOCO_MJCF_MIMIC): ${carried.join(', ')}` : '',
          ].filter((x) => x !== '').join('; '),
        });
      if (moved.unresolved.length > 0)
        notes.push({ code: 'MUJOCO_MJCF_TRANSMISSION', where, message: `${moved.unresolved.join(', ')}: an actuator on a site, body, slider-crank or spatial tendon, which axon does not read: every hinge/slide joint gets axon's PD, none is taken as passive` });
      const tendonNote = tendonNoteOf([...moved.byTendon], mimic.followers, actuators);
      if (tendonNote !== undefined) notes.push({ code: 'MUJOCO_MJCF_TENDON', where, message: tendonNote });
    }
    const limited = new Set(joints.filter((name) => specLimited(mj, spec!, name)));
    const own = spec.option.timestep;
    if (Math.abs(own - o.timestep) > 1e-12)
      notes.push({ code: 'MUJOCO_MJCF_TIMESTEP', where, message: `the model's own timestep ${+own.toPrecision(6)} s (${+(1 / own).toPrecision(6)} Hz) replaced by ${+o.timestep.toPrecision(6)} s (${+(1 / o.timestep).toPrecision(6)} Hz, --physics-hz)${own < o.timestep ? ': a model tuned at the finer step may need it (--physics-hz ' + Math.round(1 / own) + ')' : ''}` });
    spec.option.timestep = o.timestep;
    spec.option.integrator = mj.mjtIntegrator.mjINT_IMPLICITFAST.value;
    // Island sleeping off: the state it keeps (which trees are asleep, their timers) is not in MuJoCo's
    // mjSTATE_INTEGRATION, so the effort guard could not take a step again from the state it began in
    // (sim/mujoco/MujocoStepState.ts; docs/mujoco.md, "The effort limit"). A speed feature, not the model's physics.
    const SLEEP = mj.mjtEnableBit.mjENBL_SLEEP.value;
    if ((spec.option.enableflags & SLEEP) !== 0) {
      spec.option.enableflags &= ~SLEEP;
      notes.push({ code: 'MUJOCO_MJCF_SLEEP', where, message: "the model's island sleeping (<option><flag sleep=\"enable\">) switched off: axon's effort guard takes a physics step again from the state it began in, and MuJoCo's sleep state is not part of that state; every body is simulated at every step" });
    }
    // A floating model without a plane stands on axon's ground; a fixed one (a hand, an arm) hangs where the model puts it.
    const addedGround = o.ground && !hasPlane && floating;
    if (addedGround) {
      addGround(mj, spec);
      notes.push({ code: 'MUJOCO_MJCF_GROUND', where, message: "the model has no plane: axon's ground added at z = 0 under its floating base" });
    }
    for (const name of joints) {
      // The joint's force range off, as compileUrdf.ts does for a URDF: MuJoCo clamps qfrc_actuator to it, while axon
      // applies, reports and guards its own law within the effort limit it took from that range (jointForce): left on, an
      // effort scale above 1 or a manifest limit past the range had MuJoCo apply less than axon reported (review finding F2).
      const el = mj.mjs_findElement(spec, mj.mjtObj.mjOBJ_JOINT, name);
      const joint = el ? mj.mjs_asJoint(el) : undefined;
      if (joint) joint.actfrclimited = mj.mjtLimited.mjLIMITED_FALSE;
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
    return { model, notes, joints, source: files.source, digest, actuators, passive, baseExtras, mimic: mimic.followers, mimicEquality: mimic.equalities, limited, jointForce };
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
/** Whether MuJoCo limits joint `name` of `spec`: limited="true", or "auto" with a range given under autolimits (as floatingBase.ts baseJointExtras reads it). */
function specLimited(mj: MainModule, spec: MjSpec, name: string): boolean {
  const el = mj.mjs_findElement(spec, mj.mjtObj.mjOBJ_JOINT, name);
  const j = el ? mj.mjs_asJoint(el) : undefined;
  if (!j) return false;
  const value = (x: unknown) => (x as { value: number }).value;
  const r = j.range as Float64Array;
  const given = r[0] !== 0 || r[1] !== 0;
  return value(j.limited) === value(mj.mjtLimited.mjLIMITED_TRUE) || (value(j.limited) === value(mj.mjtLimited.mjLIMITED_AUTO) && spec.compiler.autolimits && given);
}

/** A joint's `flag` (limited, actfrclimited) as MuJoCo decides it: "true", or "auto" with the range given (`given`) under autolimits. */
function specFlag(mj: MainModule, spec: MjSpec, name: string, flag: 'actfrclimited', given: boolean): boolean {
  const el = mj.mjs_findElement(spec, mj.mjtObj.mjOBJ_JOINT, name);
  const j = el ? mj.mjs_asJoint(el) : undefined;
  if (!j) return given;
  return limitedOn(mj, spec, j[flag], given);
}

function limitedOn(mj: MainModule, spec: MjSpec, v: unknown, given: boolean): boolean {
  const value = (x: unknown) => (x as { value: number }).value;
  return value(v) === value(mj.mjtLimited.mjLIMITED_TRUE) || (value(v) === value(mj.mjtLimited.mjLIMITED_AUTO) && spec.compiler.autolimits && given);
}

/**
 * Whether each actuator of `m` (compiled from `spec`, in the spec's order) is force- and ctrl-limited
 * (mjcfActuators.ts ActuatorLimited): forcelimited="false" or ctrllimited="false" with a range given
 * bounds nothing in MuJoCo, and so in axon. Undefined when the two do not line up.
 */
function specActuatorLimits(mj: MainModule, spec: MjSpec, m: MjModel): ActuatorLimited | undefined {
  const out: { force: boolean; ctrl: boolean }[] = [];
  const fr = m.actuator_forcerange as Float64Array;
  const cr = m.actuator_ctrlrange as Float64Array;
  for (let e = mj.mjs_firstElement(spec, mj.mjtObj.mjOBJ_ACTUATOR); e; e = mj.mjs_nextElement(spec, e)) {
    const a = mj.mjs_asActuator(e);
    const i = out.length;
    if (!a || i >= m.nu) return undefined;
    out.push({ force: limitedOn(mj, spec, a.forcelimited, fr[2 * i] < fr[2 * i + 1]), ctrl: limitedOn(mj, spec, a.ctrllimited, cr[2 * i] < cr[2 * i + 1]) });
  }
  return out.length === m.nu ? out : undefined;
}

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
 * MUJOCO_MJCF_TENDON: the joints the model moved through a tendon (`byTendon`), by what axon made
 * of it: a leader whose group's tendon actuator it read (MjcfActuatorInfo.tendon: its gains and
 * force range on the coupled motion), a follower (no PD of its own), any other joint (axon's PD
 * on its own, default gains, no effort limit from the model). Undefined when there is none.
 */
function tendonNoteOf(byTendon: readonly string[], followers: ReadonlyMap<string, NonNullable<JointSpec['mimic']>>, actuators: Readonly<Record<string, MjcfActuatorInfo>>): string | undefined {
  const f = (x: number) => String(+x.toPrecision(6));
  const read = byTendon.filter((n) => actuators[n]?.tendon !== undefined);
  const following = byTendon.filter((n) => followers.has(n));
  const alone = byTendon.filter((n) => !followers.has(n) && actuators[n]?.tendon === undefined);
  const parts = [
    ...read.map((n) => {
      const a = actuators[n];
      const t = a.tendon!;
      const law = [a.kp !== undefined ? `kp ${f(a.kp)}, kv ${f(a.kd ?? 0)}` : 'no position gains', a.effortLimit !== undefined ? `effort limit ${f(a.effortLimit)}` : 'no force range'].join(', ');
      return `${n} and its followers are moved by the model's actuator ${t.actuator} through tendon ${t.tendon}: ${n}'s PD takes that actuator's gains and force range on the coupled motion (${law}: the tendon moves ${f(t.factor)} per unit of ${n} and the actuator's gear is ${f(t.gear)}, so gains × ${f(t.gear * t.factor)}², force range × ${f(Math.abs(t.gear * t.factor))})`;
    }),
    alone.length > 0 ? `${alone.join(', ')}: moved by the model through a tendon, whose actuator axon does not read: each gets axon's PD on its own (default gains, no effort limit from the model)` : '',
    following.length > 0
      ? `${following.join(', ')} on that tendon follow${following.length === 1 ? 's' : ''} ${[...new Set(following.map((n) => followers.get(n)!.joint))].join(', ')} (<equality><joint>) with no PD of ${following.length === 1 ? 'its' : 'their'} own`
      : '',
  ].filter((x) => x !== '');
  return parts.length > 0 ? parts.join('; ') : undefined;
}
