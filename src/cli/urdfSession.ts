/**
 * A user's URDF in simulation, set up as the training pipeline had it: spawn pose and height,
 * fixed or floating base, IMU link, PD gains, armature, damping, friction and limits from the
 * manifest (or flags), and the "look first" mode with no policy (hold the default pose on PD).
 * Part of the composition root (src/cli): it knows sim/.
 */
import { loadUrdf, SimRobot, statedBasePose, type MeshCollisionMode, type SimJointDefaults, type SimRobotOptions, type UrdfModel } from '../../sim/index.ts';
import { UsageError } from '../core/errors.ts';
import { ManifestError, validateManifest, type ModelFolder, type ModelManifest } from '../model/manifest.ts';
import { mimicActionJoints, termLinkFrames } from '../model/checkModel.ts';
import { affixNote, suggestJointNames, withSuggestion } from '../model/suggestJointNames.ts';
import { urdfImuLink, urdfFixedBase } from './commands/inspect.ts';
import { DEFAULT_GAINS_RULE, defaultGains, KD_PER_KP } from './defaultGains.ts';
import { refuseNoCollision } from './refuseNoCollision.ts';
import { refuseNoJoints } from './refuseNoJoints.ts';
import { isaacLabImuWarning, isaacLabOrderWarning } from './isaacLabUrdfChecks.ts';
import { printable } from '../core/printable.ts';

/** `--urdf` and the robot set-up flags of `axon sim`. */
export interface UrdfRobotFlags {
  readonly file: string;
  readonly packagePaths: readonly string[];
  readonly strict: boolean;
  readonly meshCollision?: MeshCollisionMode;
  /** `--fixed-base`: fix the root link to the world (an arm on a table). */
  readonly fixedBase?: boolean;
  /** `--imu-link L`. */
  readonly imuLink?: string;
  /** `--init-pose`: joint positions by name (rad | m), over the manifest's defaults. */
  readonly initPose?: Readonly<Record<string, number>>;
  /** `--kp`/`--kd`: one gain for every joint, over the manifest's. */
  readonly kp?: number;
  readonly kd?: number;
  /** `--armature`: one value (kg·m²) for every joint, over the manifest's. */
  readonly armature?: number;
  /** `--pd implicit|explicit`, over the manifest's; default implicit. */
  readonly pd?: 'implicit' | 'explicit';
}

export { defaultGains, DEFAULT_GAINS_RULE } from './defaultGains.ts';

/** What the set-up decided, for the summary and the notes. */
export interface UrdfSetup {
  readonly model: UrdfModel;
  readonly options: SimRobotOptions;
  readonly fixedBase: boolean;
  readonly imuLink: string | undefined;
  readonly imuWhy: string;
  readonly gains: 'manifest' | 'flags' | 'default';
  readonly pd: 'implicit' | 'explicit';
  /** Where the joints' armature came from; 'none': the URDF carries none and none was given. */
  readonly armature: 'flags' | 'manifest' | 'none';
  /** Moving bodies (a link with the links fixed to it) lighter than LIGHT_LINK_INERTIA (kg·m²) about some axis. */
  readonly lightBodies: number;
  /**
   * Joints whose default position (from the flags, the manifest, else 0) lies outside their URDF
   * limits: the simulators start and hold them at the nearest limit (SIM_DEFAULT_OUTSIDE_LIMITS).
   */
  readonly heldAtLimit: readonly { readonly joint: string; readonly wanted: number; readonly held: number }[];
}

/** A link lighter than this about some axis (kg·m²) needs armature to hold on PD at 200-500 Hz in cannon-es (docs/simulation.md). */
export const LIGHT_LINK_INERTIA = 1e-4;

/**
 * What to try when a robot without armature and with light links falls, or on a fixed base does
 * not hold its pose (Unitree's G1 held up by its pelvis: the waist whirled past its limits and
 * swung the arms): the documented outcome (docs/simulation.md, "Actuators: implicit PD and
 * armature"), not the robot's.
 */
export function armatureHint(s: UrdfSetup, physics: 'cannon' | 'mujoco', stopped = false): string | undefined {
  if (s.lightBodies > 0 && s.pd === 'explicit')
    return `${s.lightBodies} moving bod${s.lightBodies === 1 ? 'y is' : 'ies are'} below ${LIGHT_LINK_INERTIA} kg·m² about some axis, and explicit PD cannot hold such bodies at 200-500 Hz (docs/simulation.md): leave out --pd explicit`;
  if (s.armature !== 'none' || s.lightBodies === 0) return undefined;
  // What the run did: the watchdog's stop, which may come before a fall, is named as itself.
  const [outcome, again] = stopped ? ['was stopped by the state watchdog', 'is stopped'] : s.fixedBase ? ['did not hold its pose', 'does not hold it'] : ['fell', 'falls'];
  const why = physics === 'cannon' ? `cannon-es does not hold such bodies on PD without it, which may be why this run ${outcome}` : `a robot trained with armature may not ${s.fixedBase ? 'hold its pose' : 'stand'} without it`;
  return `no joint armature is set (the URDF carries none) and ${s.lightBodies} moving bod${s.lightBodies === 1 ? 'y is' : 'ies are'} below ${LIGHT_LINK_INERTIA} kg·m² about some axis: ${why}. If it ${again} with armature too, look elsewhere (gains, collision shapes, the pose). Isaac Lab's actuator configs set one (Unitree's G1: 0.01); pass the training's with --armature or the manifest's actuators.armature (docs/simulation.md)`;
}

/**
 * How far a joint of a fixed-base robot with no policy may move from its default pose (rad | m)
 * before the run says it did not hold it: PD on axon's default gains holds a pose within
 * hundredths of a radian (Unitree's G1 on its pelvis with armature: 0.044 rad).
 */
export const POSE_HOLD_SLACK = 0.5;

/**
 * What to try when a floating robot falls. First the pose: joints whose default lies outside their
 * limits hold at a limit, a pose nobody designed the robot to stand in (unitree_ros's
 * go2_description.urdf: every joint's default is 0 and the calves' limits are [-2.7227, -0.83776],
 * so the calves hold at -0.838 and the dog topples with armature or without); else the armature
 * hint.
 */
export function fallHint(s: UrdfSetup, physics: 'cannon' | 'mujoco', stopped = false): string | undefined {
  if (s.fixedBase) return armatureHint(s, physics, stopped);
  if (s.heldAtLimit.length === 0) return armatureHint(s, physics, stopped) ?? gainsHint(s);
  const shown = s.heldAtLimit.slice(0, 4).map((h) => `${h.joint} ${h.wanted} -> ${+h.held.toFixed(4)}`).join(', ');
  const more = s.heldAtLimit.length > 4 ? ` and ${s.heldAtLimit.length - 4} more` : '';
  return `${s.heldAtLimit.length} joint(s) have a default position outside their limits and hold at the nearest limit (${shown}${more}): the robot holds a pose it was not designed to stand in, which is likely why it fell. Give a standing pose: --init-pose JOINT=RAD,... or the manifest's default_joint_pos (the pose the policy was trained from)`;
}

/**
 * A floating robot that fell on axon's default gains, with its pose and armature not in question:
 * the rule is a starting point for looking at a robot, not its training's gains (unitree_ros's H1
 * falls on it in either engine).
 */
function gainsHint(s: UrdfSetup): string | undefined {
  if (s.gains !== 'default') return undefined;
  return `the PD gains are axon's default rule (${DEFAULT_GAINS_RULE}), not the robot's, and a heavy robot may not stand on them: give the gains it was trained or tuned with, --kp/--kd or the manifest's pd`;
}

/**
 * Moving bodies lighter than LIGHT_LINK_INERTIA about some axis: the root and each moving joint's
 * child, each with the links fixed to it (the simulators merge them into one body). A heuristic for
 * the hint: the sum of each link's smallest diagonal inertia stands for the body's smallest
 * principal inertia (the parallel-axis terms, ignored, only add; the diagonal is taken in each
 * link's own inertial frame); a massless frame adds nothing.
 */
export function lightBodies(model: UrdfModel): number {
  const least = (name: string): number => {
    const i = model.linkByName.get(name)?.inertial;
    let sum = i !== undefined && i.mass > 0 ? Math.max(0, Math.min(i.ixx, i.iyy, i.izz)) : 0;
    for (const j of model.childJoints.get(name) ?? []) if (j.type === 'fixed') sum += least(j.child);
    return sum;
  };
  const heads = [model.root, ...model.treeOrder.filter((j) => j.type !== 'fixed').map((j) => j.child)];
  return heads.filter((h) => {
    const x = least(h);
    return x > 0 && x < LIGHT_LINK_INERTIA;
  }).length;
}

/** The moving joints of a URDF in the simulator's order (tree order), with their effort limits. */
export function movingJoints(model: UrdfModel): { name: string; effort: number }[] {
  return model.treeOrder.filter((j) => j.type !== 'fixed').map((j) => ({ name: j.name, effort: j.effort }));
}

/**
 * SimRobotOptions for a URDF under a manifest (undefined: look-first, no policy). Values come, in
 * order of precedence, from the flags, the manifest, then the stated defaults. Throws a
 * UsageError/ManifestError naming the flag or field for anything that names no joint or link.
 */
export function urdfSetup(flags: UrdfRobotFlags, m: ModelManifest | undefined, physicsDt: number, manifestFile: string, physics: 'cannon' | 'mujoco' = 'cannon'): UrdfSetup {
  const model = loadUrdf(flags.file, { packagePaths: flags.packagePaths, collisionMeshes: flags.meshCollision === 'none' ? 'optional' : 'required' });
  const joints = movingJoints(model);
  refuseNoJoints(joints.length, model.name, flags.file);
  const names = new Set(joints.map((j) => j.name));
  const jd: Record<string, { -readonly [K in keyof SimJointDefaults]: SimJointDefaults[K] }> = {};
  for (const j of joints) jd[j.name] = {};
  const put = (joint: string, field: keyof SimJointDefaults, v: number) => {
    (jd[joint] as Record<string, number>)[field] = v;
  };
  // Manifest: default pose, PD gains (action joints), actuators (model joints).
  if (m) {
    refuseMissingJoints(m, [...names], model.name, manifestFile, 'the URDF does not move');
    m.default_joint_pos?.forEach((v, i) => put(m.joints[i], 'defaultPosition', v));
    const act = m.action.joints ?? m.joints;
    m.pd?.kp.forEach((v, i) => put(act[i], 'kp', v));
    m.pd?.kd.forEach((v, i) => put(act[i], 'kd', v));
    for (const [j, g] of Object.entries(m.pd?.held ?? {})) put(j, 'kp', g.kp), put(j, 'kd', g.kd);
    const a = m.actuators;
    const perJoint = (v: number | number[] | undefined, field: keyof SimJointDefaults) => {
      if (v === undefined) return;
      m.joints.forEach((j, i) => put(j, field, Array.isArray(v) ? v[i] : v));
    };
    perJoint(a?.armature, 'armature');
    perJoint(a?.damping, 'damping');
    perJoint(a?.friction, 'friction');
    perJoint(a?.effort_limit, 'effortLimit');
    perJoint(a?.velocity_limit, 'velocityLimit');
  }
  // Flags.
  for (const [name, v] of Object.entries(flags.initPose ?? {})) {
    if (!names.has(name)) throw new UsageError('--init-pose', `names "${name}", which is not a moving joint of ${model.name}`, [...names].join(', '));
    put(name, 'defaultPosition', v);
  }
  const fromManifest = m?.pd !== undefined;
  // Not told: fixed when the URDF fixes it or its root body has no mass; the simulator decides so too, and says so.
  const told = flags.fixedBase ?? m?.fixed_base;
  const fixedBase = urdfFixedBase(model, { fixed_base: told });
  refuseNoCollision(model, flags.meshCollision, fixedBase, flags.file, physics); // the shapes the engine in use builds
  const robot = { mass: model.links.reduce((sum, l) => sum + (l.inertial?.mass ?? 0), 0), floating: !fixedBase };
  for (const j of joints) {
    const d = jd[j.name];
    if (flags.kp !== undefined) d.kp = flags.kp;
    if (flags.kd !== undefined) d.kd = flags.kd;
    if (flags.armature !== undefined) d.armature = flags.armature;
    // What is not given comes from the rule (kd = kp / 40 also for a kp given alone): never 0 by omission.
    d.kp ??= defaultGains(d.effortLimit ?? j.effort, robot).kp;
    d.kd ??= d.kp * KD_PER_KP;
  }
  const gains = flags.kp !== undefined || flags.kd !== undefined ? 'flags' : fromManifest ? 'manifest' : 'default';
  const imuManifest = { ...(m ?? ({ observation: { terms: [] } } as unknown as ModelManifest)), ...(flags.imuLink ? { imu_link: flags.imuLink } : {}) } as ModelManifest;
  const { imu, issue } = urdfImuLink(model, imuManifest, fixedBase);
  if (issue) {
    if (flags.imuLink) throw new UsageError('--imu-link', `names "${flags.imuLink}", which is not a link of ${model.name}`, model.links.map((l) => l.name).join(', '));
    throw new ManifestError('MODEL_ROBOT_MISMATCH', `${manifestFile}#/imu_link`, `names "${printable(String(m?.imu_link))}", which is not a link of ${printable(model.name)}`, printable(model.links.map((l) => l.name).join(', ')));
  }
  // A fixed base always gets an IMU at its root (it reads gravity, no rotation) so the IMU terms can be built.
  const imuLink = imu?.link ?? (fixedBase ? model.root : undefined);
  // IMU terms read in another link than the IMU's (a term's `link`): the simulator reports those links too.
  const frames = m ? termLinkFrames(m, model.links.map((l) => l.name), 'link') : { frames: [], issues: [] };
  const bad = frames.issues[0];
  if (bad) throw new ManifestError('MODEL_ROBOT_MISMATCH', `${manifestFile}#${bad.where}`, printable(`reads ${bad.model}, which is not a link of ${model.name}`), printable(model.links.map((l) => l.name).join(', ')));
  const pd = flags.pd ?? m?.actuators?.pd ?? 'implicit';
  const baseHeight = m?.base_height;
  const options: SimRobotOptions = {
    physicsDt,
    strict: flags.strict,
    ...(flags.meshCollision ? { meshCollision: flags.meshCollision } : {}),
    jointDefaults: jd,
    ...(told !== undefined ? { fixedBase: told } : {}),
    pd,
    ...(imuLink !== undefined ? { imuLink } : {}),
    ...(frames.frames.length > 0 ? { imuFrames: frames.frames } : {}),
    ...(fixedBase ? {} : floatingStart(model, baseHeight)),
  };
  const armature = flags.armature !== undefined ? 'flags' : m?.actuators?.armature !== undefined ? 'manifest' : 'none';
  const heldAtLimit = model.treeOrder
    .filter((j) => j.type !== 'fixed')
    .flatMap((j) => {
      const wanted = jd[j.name].defaultPosition ?? 0;
      return wanted < j.lower || wanted > j.upper ? [{ joint: j.name, wanted, held: wanted < j.lower ? j.lower : j.upper }] : [];
    });
  return { model, options, fixedBase, imuLink, imuWhy: imu?.why ?? (imuLink ? 'root link of the fixed base' : 'none'), gains, pd, armature, lightBodies: lightBodies(model), heldAtLimit };
}

/**
 * The manifest's joints a robot lacks: MODEL_ROBOT_MISMATCH naming them (with the robot joint each
 * clearly is, as axon inspect says: an affix common to all once, else per name) and the robot's.
 * `lacks` words the robot's side ("the URDF does not move").
 */
export function refuseMissingJoints(m: ModelManifest, names: readonly string[], robotName: string, manifestFile: string, lacks: string): void {
  const have = new Set(names);
  const missing = m.joints.filter((j) => !have.has(j));
  if (missing.length === 0) return;
  const s = suggestJointNames(m.joints, [...names]);
  const note = affixNote(s);
  const list = s.affix !== null && s.affix.count === missing.length ? missing.join(', ') : missing.map((n) => withSuggestion(n, s)).join(', ');
  // Names from a user's URDF/manifest or a bridge's hello: made printable (src/core/printable.ts).
  throw new ManifestError('MODEL_ROBOT_MISMATCH', `${manifestFile}#/joints`, printable(`names ${missing.length} joint(s) ${lacks}: ${list}${note ? `; ${note}` : ''}`), printable(`joints of ${robotName}: ${names.join(', ')}`));
}

/**
 * Where a floating URDF robot starts (docs/urdf.md, "Start pose"), first that applies: the
 * manifest's `base_height` is the base's height; a stated floating base whose <origin> is above the
 * ground (z > 0) starts there when its lowest collision geometry is at or above the ground, and is
 * raised until it touches it when not (spawnOnGround 'lift': a Gazebo spawn height or another
 * frame's z would start the legs in the ground; openUrdfRobot says so); else the robot is put down
 * with its lowest collision geometry on the ground (an <origin> at z = 0, as exporters write it by
 * habit). A stated origin's x, y and roll-pitch-yaw are kept in every case.
 */
export function floatingStart(model: UrdfModel, baseHeight: number | undefined): Pick<SimRobotOptions, 'basePosition' | 'baseOrientation' | 'spawnOnGround'> {
  const stated = statedBasePose(model);
  if (stated === undefined) return baseHeight !== undefined ? { basePosition: [0, 0, baseHeight] } : { spawnOnGround: true };
  const [x, y, z] = stated.position;
  const pose = { basePosition: [x, y, baseHeight ?? z] as const, baseOrientation: stated.orientation };
  if (baseHeight !== undefined) return pose;
  return { ...pose, spawnOnGround: z > 0 ? 'lift' : true };
}

/** Builds the robot of a setup (the URDF was parsed once, by urdfSetup). */
export function urdfRobot(s: UrdfSetup): SimRobot {
  return new SimRobot(s.model, s.options);
}

type MujocoUrdfRobot = Awaited<ReturnType<(typeof import('../../sim/mujoco/createMujocoRobot.ts'))['createMujocoUrdfRobot']>>;

/**
 * The URDF robot as `axon sim --urdf` and `axon bridge --urdf` build it under manifest `m`
 * (undefined: no manifest): set up by urdfSetup, built in cannon-es or, with physics 'mujoco',
 * through MuJoCo's URDF compiler (its module loaded only then). The build's notes go to stderr.
 */
export async function openUrdfRobot(flags: UrdfRobotFlags, m: ModelManifest | undefined, physicsDt: number, physics: 'cannon' | 'mujoco', manifestFile: string): Promise<{ robot: SimRobot | MujocoUrdfRobot; setup: UrdfSetup }> {
  const setup = urdfSetup(flags, m, physicsDt, manifestFile, physics);
  const robot = physics === 'mujoco' ? await (await import('../../sim/mujoco/createMujocoRobot.ts')).createMujocoUrdfRobot(flags.file, setup.model, setup.options) : urdfRobot(setup);
  for (const n of robot.notes) process.stderr.write(`axon: note ${n.code}: ${n.where}: ${n.message}\n`);
  const lifted = liftNote(flags.file, setup, robot.groundLift);
  if (lifted) process.stderr.write(`axon: note ${lifted.code}: ${lifted.where}: ${lifted.message}\n`);
  if (m) for (const w of mimicActionJoints(m, robot.spec)) process.stderr.write(`axon: note SIM_MIMIC_ACTION: ${manifestFile}#${w.where}: ${w.line}\n`);
  const order = m && isaacLabOrderWarning(m, setup.model);
  if (order) process.stderr.write(`axon: warning ISAACLAB_JOINT_ORDER: ${order.replace('manifest.json#', `${manifestFile}#`)}\n`);
  const imuAt = m && isaacLabImuWarning(m, setup.model, setup.imuLink);
  if (imuAt) process.stderr.write(`axon: warning ISAACLAB_IMU_LINK: ${imuAt.replace('manifest.json#', `${manifestFile}#`)}\n`);
  return { robot, setup };
}

/**
 * The note for a stated floating base whose <origin> left its lowest collision geometry below the
 * ground, so that the robot was raised onto it (floatingStart's 'lift'; `lift` m, the robot's
 * groundLift after its first reset) in `file`: the joint, the stated z and the height used. Undefined when
 * the origin was used as written (a lift under 0.1 mm is rounding, not said).
 */
export function liftNote(file: string, setup: Pick<UrdfSetup, 'model' | 'options'>, lift: number): { code: string; where: string; message: string } | undefined {
  const fb = setup.model.floatingBase;
  if (setup.options.spawnOnGround !== 'lift' || fb === undefined || !(lift > 1e-4)) return undefined;
  const z = fb.origin.xyz[2];
  const used = (setup.options.basePosition?.[2] ?? z) + lift;
  return {
    code: 'URDF_FLOATING_BASE',
    where: printable(`${file}: <joint name="${fb.joint}">`),
    message: `its <origin> z ${z} puts the lowest collision geometry ${lift.toFixed(3)} m below the ground: the base starts at z ${used.toFixed(3)} instead, on the ground (the origin's x, y and orientation kept; docs/urdf.md, "Start pose")`,
  };
}

/** The set-up flags as commander parses them (`axon sim`, `axon bridge`): UrdfRobotFlags but the file, with the package paths under the flag's name. */
export type UrdfFlagValues = Omit<UrdfRobotFlags, 'file' | 'packagePaths'> & { readonly urdfPackagePath: readonly string[] };

/** `--urdf FILE` and its set-up flags as UrdfRobotFlags (what was not given stays absent). */
export function urdfFlags(file: string, o: UrdfFlagValues): UrdfRobotFlags {
  return {
    file,
    packagePaths: o.urdfPackagePath,
    strict: o.strict,
    ...(o.meshCollision ? { meshCollision: o.meshCollision } : {}),
    ...(o.fixedBase ? { fixedBase: true } : {}),
    ...(o.imuLink ? { imuLink: o.imuLink } : {}),
    ...(o.initPose ? { initPose: o.initPose } : {}),
    ...(o.kp !== undefined ? { kp: o.kp } : {}),
    ...(o.kd !== undefined ? { kd: o.kd } : {}),
    ...(o.armature !== undefined ? { armature: o.armature } : {}),
    ...(o.pd ? { pd: o.pd } : {}),
  };
}

/** What the set-up decided, in one line (`axon sim`, `axon bridge`: "floating base, IMU at ..., PD implicit with gains from ..."). */
export function urdfSetupLine(s: UrdfSetup): string {
  return `${s.fixedBase ? 'fixed base' : 'floating base'}, IMU ${s.imuLink ? `at ${s.imuLink} (${s.imuWhy})` : 'none'}, PD ${s.pd} with gains from ${s.gains === 'default' ? `the stated default (${DEFAULT_GAINS_RULE})` : s.gains}`;
}

/** What the set-up decided, for a JSON summary's `robot_setup`. */
export function urdfSetupSummary(s: UrdfSetup) {
  return { base: s.fixedBase ? 'fixed' : 'floating', imu_link: s.imuLink ?? null, pd: s.pd, gains: s.gains === 'default' ? DEFAULT_GAINS_RULE : s.gains, armature: s.armature };
}

/**
 * The model of "look first" (`axon sim --urdf X` without `--policy`): every moving joint held at
 * its default pose on PD, at 50 Hz. Its policy is a ZeroPolicy: action 0 = the default pose.
 */
export function holdPoseFolder(robotName: string, joints: readonly string[]): ModelFolder {
  const manifest = validateManifest(
    {
      schema: 'axon.model/1',
      name: 'hold-default-pose',
      kind: 'policy',
      robot: robotName,
      joints: [...joints],
      control_hz: 50,
      onnx: { file: '(none)', input: 'obs', output: 'actions' },
      observation: { terms: [{ term: 'joint_pos' }] },
      action: { type: 'joint_position', scale: 0 },
    },
    'hold-pose manifest',
  );
  return { dir: '(no policy: holds the default pose)', manifest, onnxPath: '' };
}

/** `--init-pose name=value,...` -> joint positions by name. */
export function parseInitPose(v: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, value, extra] = part.split('=');
    const x = Number(value);
    if (!name || value === undefined || extra !== undefined || value.trim() === '' || !Number.isFinite(x))
      throw new UsageError('--init-pose', `"${part}" is not joint=value`, 'comma-separated joint=radians pairs, e.g. left_knee_joint=0.6,right_knee_joint=0.6');
    out[name.trim()] = x;
  }
  return out;
}
