/**
 * A MuJoCo robot from an MJCF file as a robot maker ships it (`axon sim --mjcf FILE`, `axon inspect
 * --mjcf`, `axon describe MODEL.xml`): compileMjcf.ts compiles it with axon's actuators; this sets
 * the robot up from the model, a policy's manifest and the flags (limits, gains, default pose, IMU,
 * base), and notes what it decided.
 *
 * This module and '@mujoco/mujoco' are imported only when a MuJoCo robot is asked for.
 */
import type { MainModule, MjModel } from '@mujoco/mujoco';
import { AxonError } from '../../src/core/errors.ts';
import type { SimJointDefaults } from '../SimRobotOptions.ts';
import type { UrdfNote } from '../urdf/parseUrdf.ts';
import { defaultWithinLimits } from '../build/defaultWithinLimits.ts';
import { followerDefaults } from '../build/mimicJoints.ts';
import { mimicRangeMessage } from '../urdf/urdfMimic.ts';
import { compileMjcf } from './compileMjcf.ts';
import type { MjcfDigest } from './mjcfDigest.ts';
import { floatingBase } from './floatingBase.ts';
import { mjcfModelName } from '../mjcfModelName.ts';
import { mjcfRoot, treeHasJoint } from './mjcfRoot.ts';
import { loadMujocoModule, mujocoName } from './loadMujoco.ts';
import { softLimitNote, softLimits } from './limitPenetration.ts';
import { MujocoRobot, type MujocoJointDesc } from './MujocoRobot.ts';

/** Options of an MJCF robot (`axon sim --mjcf FILE` and its set-up flags). */
export interface MjcfRobotOptions {
  /** Physics step (s): replaces the model's timestep. */
  readonly physicsDt: number;
  /** One position gain (N·m/rad) / damping gain (N·m·s/rad) for every joint (`--kp`/`--kd`), over the manifest's and the model's. */
  readonly kp?: number;
  readonly kd?: number;
  /**
   * Gains of a joint that neither a flag, the manifest nor the model's own actuators (a `<position>`
   * actuator) give any for: the caller's rule (the CLI's default), from the joint's effort limit.
   */
  readonly defaultGains?: (effortLimit: number, robot: { readonly mass: number; readonly floating: boolean }) => { kp: number; kd: number };
  /** IMU link (body; `--imu-link`), over the manifest's; default the floating root (or the body of the model's imu site). */
  readonly imuLink?: string;
  /** Default (held) joint positions by name (`--init-pose`), over the manifest's and the model's keyframe / qpos0. */
  readonly defaultPositions?: Readonly<Record<string, number>>;
  readonly name?: string;
  /**
   * A policy's manifest, over what the model says and under the flags above (src/cli/mjcfSession.ts
   * writes it): called once the model is compiled, with its joints and bodies, so that the caller
   * keeps to the names the model has.
   */
  readonly manifest?: (model: MjcfModelInfo) => MjcfManifestSetUp;
}

/** What a compiled MJCF holds, for MjcfRobotOptions.manifest. */
export interface MjcfModelInfo {
  /** Hinge and slide joints in model order (the robot's joint order). */
  readonly joints: readonly string[];
  /** Named bodies. */
  readonly bodies: readonly string[];
  /** The robot's root body (the first under the worldbody whose tree holds a hinge or slide joint, mjcfRoot.ts), floating when it has a free joint (or three slides and a ball, floatingBase.ts). */
  readonly root: string;
  readonly floating: boolean;
}

/**
 * A manifest's set-up of an MJCF robot: each value replaces the model's own (its keyframe or qpos0,
 * its actuators' gains and force ranges, its joints' armature, damping and frictionloss).
 */
export interface MjcfManifestSetUp {
  /** By joint name: default position (rad | m), kp, kd, armature, damping, friction, effort and velocity limits. */
  readonly jointDefaults?: Readonly<Record<string, SimJointDefaults>>;
  /** The body carrying the IMU and why that one (the flag `imuLink` goes over it). */
  readonly imu?: { readonly link: string; readonly why: string };
  /** Bodies besides the IMU's whose orientation and angular velocity are reported (the manifest's IMU terms' `link`s). */
  readonly imuFrames?: readonly string[];
  /** PD integration (MujocoRobotOptions.pd); default 'implicit'. */
  readonly pd?: 'implicit' | 'explicit';
  /** A floating base's height (m) at reset instead of resting on the ground (the keyframe's x, y and orientation kept). */
  readonly baseHeight?: number;
}

/** Keyframes whose pose is taken as the default, in this order of preference; else the first keyframe, else qpos0. */
const HOME_KEYS = ['home', 'stand', 'standing', 'default', 'init'];

/** What the set-up of an MJCF robot decided, for the summary. */
export interface MjcfSetup {
  readonly floating: boolean;
  /** The root body (the first under the world whose tree holds a hinge or slide joint, mjcfRoot.ts). */
  readonly root: string;
  readonly imuLink: string | null;
  /** Why that IMU body: the flag, the manifest, the floating root, the body of the model's imu site. */
  readonly imuWhy: string;
  /**
   * Where the default pose came from: `--init-pose` and the manifest's default_joint_pos, joints
   * counted, over a keyframe by name, or qpos0 (`manifest default_joint_pos (12 joints) over keyframe "home"`).
   */
  readonly pose: string;
  /**
   * Where each joint's gains came from, joints counted: the flags, the manifest's pd, the model's
   * position actuators (a mimic group's tendon actuator for its leader), the default rule; passive
   * joints and followers (moved by their leaders, mjcfMimic.ts) have none.
   */
  readonly gains: { readonly flags: number; readonly manifest: number; readonly model: number; readonly default: number; readonly passive: number; readonly followers: number };
  readonly pd: 'implicit' | 'explicit';
  /** Where the joints' armature came from: the manifest, the model (some joint has some), or none at all. */
  readonly armature: 'manifest' | 'model' | 'none';
  /** Effort limits: from the manifest, the model's actuators (or joint actuatorfrcrange), or none (unlimited). */
  readonly effortLimited: number;
  /** Mass of the robot (kg): the bodies of the root's tree (loose bodies beside it are not counted). */
  readonly mass: number;
  /**
   * The model's `<gyro>` sensor on a site (one named imu_ang_vel, mjlab's, else the first), and the
   * body that site is welded to: where mjlab reads base_ang_vel (inspect --draft --mjcf). Absent
   * when the model has none. The simulator's IMU is still chosen by imuLink / imuWhy.
   */
  readonly gyro?: { readonly sensor: string; readonly site: string; readonly body: string };
}

/**
 * An MJCF model as a robot maker ships it (`--mjcf FILE`): joints in model order, limits from the
 * model (ranges; effort limits the smaller of its actuators' force range (or a motor's control range × gear) and
 * the joint's actuatorfrcrange (switched off in MuJoCo: compileMjcf), else unlimited), floating when the model's root body has a free
 * joint or three slides and a ball (floatingBase.ts), IMU at `imuLink` (default: the floating root). The model's own actuators are replaced by
 * axon's PD actuators (one per hinge/slide joint, the same law as every robot; a joint none of the
 * model's actuators moves is passive, effort limit 0); a `<position>`
 * actuator's kp/kv become that joint's default gains. A linear <equality><joint> between two
 * driven joints makes joint1 a follower of joint2 (JointSpec.mimic, mjcfMimic.ts). Default pose: a
 * keyframe (HOME_KEYS, else the first), else qpos0, clamped into the joint's range (noted), a
 * follower's from its leader's. `manifest` goes over all of these
 * (the training's pose, gains, actuators, IMU, base height) and `defaultPositions`, `kp`, `kd` and
 * `imuLink` (the flags) over it, as for a URDF: flags, then the manifest, then the model file, then
 * `defaultGains`.
 */
export async function createMujocoMjcfRobot(file: string, o: MjcfRobotOptions): Promise<MujocoRobot & { readonly mjcfSetup: MjcfSetup; readonly mjcfDigest: MjcfDigest }> {
  const mj = await loadMujocoModule();
  const { model, notes, joints: names, digest, actuators, passive, baseExtras, mimic, mimicEquality, limited, jointForce } = compileMjcf(mj, file, { ground: true, timestep: o.physicsDt });
  const OBJ_JOINT = mj.mjtObj.mjOBJ_JOINT.value;
  const OBJ_BODY = mj.mjtObj.mjOBJ_BODY.value;
  const range = model.jnt_range as Float64Array;
  const jtype = model.jnt_type as Int32Array;
  const dof = model.jnt_dofadr as Int32Array;
  const qadr = model.jnt_qposadr as Int32Array;
  // Default pose: a keyframe, else qpos0.
  let pose = 'qpos0';
  let q0 = model.qpos0 as Float64Array;
  if (model.nkey > 0) {
    const keys = Array.from({ length: model.nkey }, (_, k) => mujocoName(mj, model, mj.mjtObj.mjOBJ_KEY.value, k));
    const k = Math.max(0, HOME_KEYS.map((h) => keys.indexOf(h)).find((x) => x >= 0) ?? 0);
    q0 = Float64Array.from((model.key_qpos as Float64Array).subarray(k * model.nq, (k + 1) * model.nq));
    pose = `keyframe "${keys[k] || k}"`;
  }
  for (const name of Object.keys(o.defaultPositions ?? {}))
    if (!names.includes(name)) throw new AxonError('SIM_OPTION', `--init-pose ${name}`, `names no moving joint of ${file}`, names.join(', '));
  // Root: the first body under the world whose tree holds a hinge or slide joint, past scenery (a
  // table, a mocap target) and loose objects (mjcfRoot.ts); floating when it has a free joint, or
  // three slides and a ball (floatingBase.ts).
  const found = mjcfRoot(mj, model);
  if (found === undefined) throw new AxonError('MUJOCO_MJCF_BODY', file, 'has no body under the worldbody', 'a robot body');
  const root = found.root;
  const fb = floatingBase(mj, model, root, file);
  const floating = fb !== undefined;
  const rootName = mujocoName(mj, model, OBJ_BODY, root);
  if (!rootName) throw new AxonError('MUJOCO_MJCF_BODY', file, 'its root body has no name', 'a named root body');
  // The robot is the root's tree. Another tree with joints under the worldbody (anywhere in it: a
  // fixed arm's joints sit below its jointless base) is a loose object (an exporter's stray part, a
  // ball): noted, and left out of the robot's mass and gain rule.
  const treeOf = model.body_rootid as Int32Array;
  let mass = 0;
  for (let b = 1; b < model.nbody; b++) if (treeOf[b] === root) mass += (model.body_mass as Float64Array)[b];
  const bodyName = (b: number) => mujocoName(mj, model, OBJ_BODY, b) || `#${b}`;
  const loose: string[] = [];
  for (let b = 1; b < model.nbody; b++)
    if (b !== root && (model.body_parentid as Int32Array)[b] === 0 && treeHasJoint(model, b)) loose.push(bodyName(b));
  if (found.skipped.length > 0 || found.rivals.length > 0)
    notes.push({
      code: 'MUJOCO_MJCF_ROOT',
      where: file,
      message: [
        `the robot is the tree of "${rootName}", the first body under the worldbody whose tree holds a hinge or slide joint`,
        found.skipped.length > 0 ? `the bod${found.skipped.length === 1 ? 'y' : 'ies'} before it (${found.skipped.map(bodyName).join(', ')}) hold${found.skipped.length === 1 ? 's' : ''} none (scenery, mocap bodies, loose objects) and ${found.skipped.length === 1 ? 'is' : 'are'} not the robot` : '',
        found.rivals.length > 0
          ? `${found.rivals.length} more tree${found.rivals.length === 1 ? '' : 's'} with hinge or slide joints (${found.rivals.map(bodyName).join(', ')}) ${found.rivals.length === 1 ? 'is' : 'are'} not the robot: ${found.rivals.length === 1 ? 'if it is' : 'if one of them is'}, declare it first under the worldbody`
          : '',
      ].filter((x) => x !== '').join('; '),
    });
  if (loose.length > 0) {
    const jointBody = model.jnt_bodyid as Int32Array;
    const theirs = names.filter((n) => treeOf[jointBody[mj.mj_name2id(model, OBJ_JOINT, n)]] !== root);
    notes.push({
      code: 'MUJOCO_MJCF_LOOSE_BODIES',
      where: file,
      message: `${loose.length} more bod${loose.length === 1 ? 'y' : 'ies'} with joints under the worldbody (${loose.join(', ')}): not attached to the robot's root "${rootName}", simulated as loose objects and left out of its mass${theirs.length > 0 ? `; their joints (${theirs.join(', ')}) still get axon's PD` : ''}`,
    });
  }
  // A policy's manifest over the model's values, under the flags (MjcfRobotOptions.manifest).
  let setUp: MjcfManifestSetUp = {};
  if (o.manifest) {
    const bodies: string[] = [];
    for (let b = 1; b < model.nbody; b++) {
      const n = mujocoName(mj, model, OBJ_BODY, b);
      if (n) bodies.push(n);
    }
    try {
      setUp = o.manifest({ joints: names, bodies, root: rootName, floating });
    } catch (e) {
      model.delete();
      throw e;
    }
  }
  const jd = setUp.jointDefaults ?? {};
  for (const name of Object.keys(jd))
    if (!names.includes(name)) {
      model.delete();
      throw new AxonError('SIM_OPTION', `manifest joint ${name}`, `names no moving joint of ${file}`, names.join(', '));
    }
  const counts = { flags: 0, manifest: 0, model: 0, default: 0, passive: 0, followers: 0 };
  const poseFrom = { flags: 0, manifest: 0 };
  const fromCtrl: string[] = [];
  const differs = new ManifestDifferences();
  let effortLimited = 0;
  // Default positions given (flags, manifest; a keyframe's, which is the model's), and which came from the model (keyframe or qpos0).
  const given = new Map<string, { readonly q: number; readonly model: boolean }>();
  const described: MujocoJointDesc[] = names.map((name) => {
    const id = mj.mj_name2id(model, OBJ_JOINT, name);
    // An unlimited joint's range is 0 0; range="-inf inf" (a vendor's continuous hinge) is none either.
    // limited="false" with a range is no limit in MuJoCo (compileMjcf's `limited`, from the spec), nor here.
    const lim = limited.has(name) && range[2 * id] < range[2 * id + 1] && (Number.isFinite(range[2 * id]) || Number.isFinite(range[2 * id + 1]));
    // Without a range of its own, a joint whose position actuator bounds its control (OP3's legs,
    // ctrlrange ±π) takes those bounds: the targets MuJoCo accepts, so the supervisor clamps to them.
    const tr = lim || passive.has(name) ? undefined : actuators[name]?.targetRange;
    if (tr) fromCtrl.push(name);
    const slide = jtype[id] === mj.mjtJoint.mjJNT_SLIDE.value;
    const act = actuators[name] ?? {};
    const d = jd[name] ?? {};
    const isPassive = passive.has(name);
    // A joint the model does not actuate stays passive: effort limit 0, no PD, whatever the manifest says (noted).
    if (isPassive && (d.kp !== undefined || d.kd !== undefined || d.effortLimit !== undefined)) differs.passive.push(name);
    // The actuator's force range, and the joint's actuatorfrcrange, which MuJoCo clamped the joint's actuator force to
    // (compileMjcf switches that clamp off, so the smaller is the limit axon applies as the model did).
    const modelEffort = Math.min(act.effortLimit ?? Infinity, jointForce.get(name) ?? Infinity);
    const effortLimit = isPassive ? 0 : (d.effortLimit ?? modelEffort);
    if (!isPassive) differs.check('effort limit', name, modelEffort, d.effortLimit);
    if (Number.isFinite(effortLimit) && effortLimit > 0) effortLimited++;
    let kp = isPassive ? 0 : (o.kp ?? d.kp ?? act.kp);
    let kd = isPassive ? 0 : (o.kd ?? d.kd ?? act.kd);
    if (mimic.has(name)) counts.followers++;
    else if (isPassive) counts.passive++;
    else if (o.kp !== undefined || o.kd !== undefined) counts.flags++;
    else if (d.kp !== undefined || d.kd !== undefined) counts.manifest++;
    else if (act.kp !== undefined) counts.model++;
    else counts.default++;
    if (!isPassive && o.kp === undefined && o.kd === undefined && act.kp !== undefined && (d.kp !== undefined || d.kd !== undefined)) differs.check('kp/kd', name, `${fmt(act.kp)}/${fmt(act.kd ?? 0)}`, `${fmt(d.kp ?? act.kp)}/${fmt(d.kd ?? act.kd ?? 0)}`);
    if (kp === undefined || kd === undefined) {
      // What is not given comes from the rule: its kp, and kd in the rule's ratio to the kp in use
      // (`--kp 200` alone on a joint no actuator drives damps with 5, not with the rule's own kd).
      const g = o.defaultGains?.(effortLimit, { mass, floating }) ?? { kp: 0, kd: 0 };
      kd ??= kp === undefined ? g.kd : g.kp > 0 ? (kp * g.kd) / g.kp : 0;
      kp ??= g.kp;
    }
    const lower = lim ? range[2 * id] : tr ? tr[0] : -Infinity;
    const upper = lim ? range[2 * id + 1] : tr ? tr[1] : Infinity;
    // The flag, else the manifest, else the keyframe or qpos0. One outside the joint's range
    // (Allegro's thumb base: qpos0 0, range from 0.263) starts and holds at the nearest limit,
    // noted, as a URDF robot's default does.
    const flagged = o.defaultPositions?.[name];
    const wanted = flagged ?? d.defaultPosition ?? q0[qadr[id]];
    const from = flagged !== undefined ? '--init-pose' : d.defaultPosition !== undefined ? 'manifest default_joint_pos' : pose;
    if (flagged !== undefined) poseFrom.flags++;
    else if (d.defaultPosition !== undefined) poseFrom.manifest++;
    if (flagged === undefined) differs.check('default position', name, q0[qadr[id]], d.defaultPosition, pose);
    given.set(name, { q: wanted, model: flagged === undefined && d.defaultPosition === undefined });
    // A follower's default is its leader's, mapped (followerDefaults, below): its own (qpos0 is its
    // reference, `ref`) is not where it starts, so no SIM_DEFAULT_OUTSIDE_LIMITS for it.
    const defaultPosition = defaultWithinLimits(name, wanted, lower, upper, mimic.has(name) ? [] : notes, from);
    const modelDof = { damping: (model.dof_damping as Float64Array)[dof[id]], friction: (model.dof_frictionloss as Float64Array)[dof[id]], armature: (model.dof_armature as Float64Array)[dof[id]] };
    differs.check('armature', name, modelDof.armature, d.armature);
    differs.check('damping', name, modelDof.damping, d.damping);
    differs.check('frictionloss', name, modelDof.friction, d.friction);
    return {
      name,
      type: slide ? 'prismatic' : lim || tr ? 'revolute' : 'continuous',
      lower,
      upper,
      velocityLimit: d.velocityLimit ?? Infinity,
      effortLimit,
      damping: d.damping ?? modelDof.damping,
      friction: d.friction ?? modelDof.friction,
      armature: d.armature ?? modelDof.armature,
      defaultPosition,
      kp,
      kd,
      ...(mimic.has(name) ? { mimic: mimic.get(name), mimicEquality: mimicEquality.get(name) } : {}),
    };
  });
  // A follower (the model's <equality><joint>, mjcfMimic.ts) starts where its leader puts it, as a URDF <mimic>'s
  // (sim/build/mimicJoints.ts); a default given for it that differs is noted: a flag's or the manifest's, or a
  // keyframe's where its leader's came from that keyframe too (qpos0 is the equality's reference, not a pose).
  const joints = followerDefaults(
    described,
    (name) => {
      const g = given.get(name);
      const l = given.get(mimic.get(name)?.joint ?? '');
      return g === undefined || (g.model && (pose === 'qpos0' || !l?.model)) ? undefined : g.q;
    },
    notes,
    '<equality><joint>',
  );
  // Where the coupling takes a follower over its leader's range, against its own (URDF_MIMIC_RANGE's check, sim/urdf/urdfMimic.ts).
  const byName = new Map(joints.map((j) => [j.name, j]));
  for (const j of joints) {
    const l = j.mimic && byName.get(j.mimic.joint);
    const why = l && mimicRangeMessage(l.name, j.mimic!.multiplier, j.mimic!.offset, l.lower, l.upper, j.lower, j.upper, "MuJoCo's equality carries it past its limit and the limit holds its leader back through it, both soft, neither winning (it starts clamped into its limits)");
    if (why) notes.push({ code: 'MUJOCO_MJCF_MIMIC_RANGE', where: `<joint name="${j.name}">`, message: why });
  }
  const weld = model.body_weldid as Int32Array;
  const bodyLinks: string[] = [];
  for (let b = 1; b < model.nbody; b++) if (weld[b] === b && (b !== root || floating)) {
      const n = mujocoName(mj, model, OBJ_BODY, b);
      if (n !== '') bodyLinks.push(n); // an unnamed body cannot be named (randomised, pushed) by name
    }
  const g = model.opt.gravity as Float64Array;
  // The base's world pose in the keyframe or qpos0 (slides count from the body's pos).
  const base = fb ? Array.from(q0.subarray(fb.qadr, fb.qadr + 7), (x, k) => (k < 3 ? x + fb.origin[k] : x)) : undefined;
  const imu =
    o.imuLink !== undefined ? { link: o.imuLink, why: '--imu-link' } : (setUp.imu ?? (floating ? imuBody(mj, model, root, rootName, notes, file) : undefined));
  if (fb?.kind === 'slides+ball')
    notes.push({
      code: 'MUJOCO_MJCF_BASE',
      where: file,
      message: `floating base: the root body "${rootName}" moves on three slide joints and a ball joint (qpos ${fb.qadr}–${fb.qadr + 6}, as a free joint's), placed and read as a free base; they are not in axon's joint list${
        baseExtras.length > 0 ? `. They carry what a free joint has none of, and MuJoCo keeps it (the base is held, sprung or slowed by it; a <freejoint/> would not be): ${baseExtras.join('; ')}` : ''
      }`,
    });
  if (fb?.kind === 'free' && baseExtras.length > 0)
    notes.push({
      code: 'MUJOCO_MJCF_BASE',
      where: file,
      message: `floating base: the root body "${rootName}"'s free joint carries what a <freejoint/> has none of (a <joint type="free"> takes its class's defaults), and MuJoCo keeps it: the base is slowed or held by it: ${baseExtras.join('; ')}`,
    });
  loopsNote(mj, model, new Set(fb?.jointIds ?? []), notes, file);
  if (fb && setUp.baseHeight === undefined) floorNote(mj, model, notes, file);
  if (fromCtrl.length > 0) {
    const fromAct = fromCtrl.filter((n) => actuators[n]?.targetFrom === 'actrange');
    notes.push({
      code: 'MUJOCO_MJCF_CTRLRANGE',
      where: file,
      message: `${fromCtrl.length} joint(s) without a range take their position actuator's ctrlrange as position limits (the targets the model accepts): ${fromCtrl.join(', ')}${fromAct.length > 0 ? ` (${fromAct.join(', ')}: an <intvelocity>'s actrange, its ctrlrange being a velocity)` : ''}`,
    });
  }
  // A <velocity kv> alone on a joint: axon's PD there is the default rule's, not a damper (R24 F3).
  const velocityOnly = names.filter((n) => !passive.has(n) && actuators[n]?.velocityKv !== undefined);
  if (velocityOnly.length > 0)
    notes.push({
      code: 'MUJOCO_MJCF_VELOCITY',
      where: file,
      message: `${velocityOnly.map((n) => `${n} (kv ${fmt(actuators[n].velocityKv!)})`).join(', ')}: moved by the model through a <velocity> actuator alone (a damper toward a commanded speed), which axon replaces by its position PD with the gains the joints' summary shows; the kv is not used`,
    });
  differs.note(notes, file);
  const pd = setUp.pd ?? 'implicit';
  // The base: the keyframe's (or qpos0's) pose, resting on the ground, or at the manifest's base height.
  const placed = base
    ? setUp.baseHeight !== undefined
      ? { basePosition: [base[0], base[1], setUp.baseHeight] as const, spawnOnGround: false }
      : { basePosition: [base[0], base[1], base[2]] as const, spawnOnGround: true }
    : undefined;
  const modelName = mjcfModelName(file);
  const robot = new MujocoRobot(mj, model, {
    name: o.name ?? modelName ?? rootName,
    physicsDt: o.physicsDt,
    joints,
    rootLink: rootName,
    floating,
    ...(imu !== undefined ? { imuLink: imu.link } : {}),
    ...(setUp.imuFrames !== undefined ? { imuFrames: setUp.imuFrames } : {}),
    contactSensors: [],
    bodyLinks,
    gravity: [g[0], g[1], g[2]],
    pd,
    contactFilter: false,
    ...(base && placed ? { ...placed, baseOrientation: [base[4], base[5], base[6], base[3]] as const } : {}),
    notes,
  });
  robot.setInitialPositions(joints.map((j) => j.defaultPosition));
  robot.reset();
  // Limits the model keeps soft enough for the motor to press well past (limitPenetration.ts), at the default pose.
  // Only joints MuJoCo limits: one with limited="false" and bounds from its ctrlrange has no stop to press past.
  robot.notes.push(...softLimitNote(softLimits(mj, model, robot.data, joints.filter((j) => limited.has(j.name))), file));
  const over = [poseFrom.flags > 0 ? `--init-pose (${poseFrom.flags} joint${poseFrom.flags === 1 ? '' : 's'})` : '', poseFrom.manifest > 0 ? `manifest default_joint_pos (${poseFrom.manifest} joint${poseFrom.manifest === 1 ? '' : 's'})` : ''].filter((x) => x !== '');
  const armature = Object.values(jd).some((d) => d.armature !== undefined) ? 'manifest' : joints.some((j) => j.armature > 0) ? 'model' : 'none';
  const mjcfSetup: MjcfSetup = {
    floating,
    root: rootName,
    imuLink: imu?.link ?? null,
    imuWhy: imu?.why ?? 'none: a fixed base, and no --imu-link or manifest imu_link',
    pose: over.length > 0 ? `${over.join(', ')} over ${pose}` : pose,
    gains: counts,
    pd,
    armature,
    effortLimited,
    mass,
    ...gyroOf(mj, model),
  };
  return Object.assign(robot, { mjcfSetup, mjcfDigest: digest });
}

/** A number as notes print it: 6 significant digits, inf for an unlimited value. */
function fmt(x: number): string {
  return Number.isFinite(x) ? String(+x.toPrecision(6)) : x > 0 ? 'inf' : '-inf';
}

/**
 * Where a manifest's value replaced a different one the model gave (MUJOCO_MJCF_MANIFEST): the
 * policy runs on the training's values, and the note says which of the model's were set aside.
 */
class ManifestDifferences {
  private readonly byWhat = new Map<string, { from: string | undefined; list: string[] }>();
  /** Joints the manifest drives that the model does not actuate (kept passive). */
  readonly passive: string[] = [];

  /** Records `joint`'s `what` when the manifest gives a value (`theirs`) other than the model's (`ours`, from `from`). */
  check(what: string, joint: string, ours: number | string, theirs: number | string | undefined, from?: string): void {
    if (theirs === undefined) return;
    const same = typeof ours === 'number' && typeof theirs === 'number' ? ours === theirs || Math.abs(ours - theirs) <= 1e-9 * Math.max(1, Math.abs(ours)) : ours === theirs;
    if (same) return;
    const entry = this.byWhat.get(what) ?? { from, list: [] };
    entry.list.push(`${joint} ${typeof ours === 'number' ? fmt(ours) : ours} → ${typeof theirs === 'number' ? fmt(theirs) : theirs}`);
    this.byWhat.set(what, entry);
  }

  note(notes: UrdfNote[], file: string): void {
    const parts = [...this.byWhat].map(([what, { from, list }]) => `${what}${from ? ` (the model's from its ${from})` : ''} of ${list.length} joint(s): ${list.slice(0, 3).join(', ')}${list.length > 3 ? ', ...' : ''}`);
    if (this.passive.length > 0) parts.push(`gains or effort limits for ${this.passive.join(', ')}, which the model does not actuate: kept passive, as in the model`);
    if (parts.length > 0) notes.push({ code: 'MUJOCO_MJCF_MANIFEST', where: file, message: `the manifest's values replace the model's where they differ (model → manifest): ${parts.join('; ')}` });
  }
}

/** The model's gyro sensor on a site (imu_ang_vel first, as mjlab names it) and its site's (welded) body; {} without one or when unnamed. */
function gyroOf(mj: MainModule, model: MjModel): { gyro?: MjcfSetup['gyro'] } {
  const GYRO = mj.mjtSensor.mjSENS_GYRO.value;
  const OBJ_SITE = mj.mjtObj.mjOBJ_SITE.value;
  const type = model.sensor_type as Int32Array;
  const objtype = model.sensor_objtype as Int32Array;
  const objid = model.sensor_objid as Int32Array;
  const gyros: number[] = [];
  for (let i = 0; i < model.nsensor; i++) if (type[i] === GYRO && objtype[i] === OBJ_SITE) gyros.push(i);
  if (gyros.length === 0) return {};
  const name = (i: number) => mujocoName(mj, model, mj.mjtObj.mjOBJ_SENSOR.value, i);
  const s = gyros.find((i) => /(^|\/)imu_ang_vel$/.test(name(i))) ?? gyros[0];
  const site = objid[s];
  const body = mujocoName(mj, model, mj.mjtObj.mjOBJ_BODY.value, (model.body_weldid as Int32Array)[(model.site_bodyid as Int32Array)[site]]);
  if (!body) return {};
  return { gyro: { sensor: name(s), site: mujocoName(mj, model, OBJ_SITE, site), body } };
}

/**
 * The body the IMU is read on when no --imu-link is given: the floating root, unless the model
 * puts its IMU elsewhere, a site named imu* on another body (Apptronik's Apollo: on the torso,
 * behind the waist) and none on the root's body; then that site's body, with a note.
 */
function imuBody(mj: MainModule, model: MjModel, root: number, rootName: string, notes: UrdfNote[], file: string): { link: string; why: string } {
  const OBJ_SITE = mj.mjtObj.mjOBJ_SITE.value;
  const weld = model.body_weldid as Int32Array;
  const siteBody = model.site_bodyid as Int32Array;
  const sites: number[] = [];
  for (let i = 0; i < model.nsite; i++) if (/imu/i.test(mujocoName(mj, model, OBJ_SITE, i))) sites.push(i);
  const atRoot = { link: rootName, why: 'root body of the floating base' };
  if (sites.length === 0 || sites.some((i) => weld[siteBody[i]] === weld[root])) return atRoot;
  const site = sites[0];
  const body = mujocoName(mj, model, mj.mjtObj.mjOBJ_BODY.value, siteBody[site]);
  if (!body) return atRoot; // an unnamed body cannot be named as the IMU link
  const pos = (model.site_pos as Float64Array).subarray(3 * site, 3 * site + 3);
  const quat = (model.site_quat as Float64Array).subarray(4 * site, 4 * site + 4);
  const placed = pos.some((x) => Math.abs(x) > 1e-9) || Math.abs(Math.abs(quat[0]) - 1) > 1e-9;
  notes.push({
    code: 'MUJOCO_MJCF_IMU',
    where: file,
    message: `IMU read on body "${body}", which holds the model's site "${mujocoName(mj, model, OBJ_SITE, site)}" (no imu* site on the root "${rootName}")${placed ? "; in the body's frame: the site's own offset and rotation in it are not applied" : ''}; --imu-link names another body`,
  });
  return { link: body, why: `body holding the model's site "${mujocoName(mj, model, OBJ_SITE, site)}"` };
}

/**
 * MUJOCO_MJCF_FLOOR: a floating robot is placed with its lowest geom at z = 0 (MujocoPlacement.ts);
 * a model whose own floor, an upward plane on the world body, lies elsewhere (none at z = 0) has the
 * robot start in the air above it (or below it) and drop onto it, which a stand check may read as a
 * fall: said, with the floor's height.
 */
function floorNote(mj: MainModule, model: MjModel, notes: UrdfNote[], file: string): void {
  const type = model.geom_type as Int32Array;
  const body = model.geom_bodyid as Int32Array;
  const pos = model.geom_pos as Float64Array;
  const quat = model.geom_quat as Float64Array;
  const floors: { name: string; z: number }[] = [];
  for (let g = 0; g < model.ngeom; g++) {
    if (type[g] !== mj.mjtGeom.mjGEOM_PLANE.value || body[g] !== 0) continue;
    const [w, x, y] = [quat[4 * g], quat[4 * g + 1], quat[4 * g + 2]];
    if (1 - 2 * (x * x + y * y) < 1 - 1e-9 || !Number.isFinite(w)) continue; // not facing up
    floors.push({ name: mujocoName(mj, model, mj.mjtObj.mjOBJ_GEOM.value, g) || `#${g}`, z: pos[3 * g + 2] });
  }
  if (floors.length === 0 || floors.some((f) => Math.abs(f.z) <= 1e-9)) return;
  const top = floors.reduce((a, b) => (b.z > a.z ? b : a));
  notes.push({
    code: 'MUJOCO_MJCF_FLOOR',
    where: file,
    message: `the model's floor plane "${top.name}" is at z = ${fmt(top.z)}, not 0: axon places the robot with its lowest geom at z = 0, so it starts ${fmt(Math.abs(top.z))} m ${top.z < 0 ? 'above' : 'below'} its floor${top.z < 0 ? ' and drops onto it (a stand check may read that as a fall)' : ''}; the plane at z = 0 (its pos) stands the robot on it`,
  });
}

/**
 * Loop closures the model keeps (<equality><connect|weld>) and ball joints, neither of which is in
 * axon's joint list: noted. (Its joint couplings, <equality><joint>, are mjcfMimic.ts's.)
 */
function loopsNote(mj: MainModule, model: MjModel, ofBase: ReadonlySet<number>, notes: UrdfNote[], file: string): void {
  const type = model.eq_type as Int32Array;
  const a = model.eq_obj1id as Int32Array;
  const b = model.eq_obj2id as Int32Array;
  const OBJ_JOINT = mj.mjtObj.mjOBJ_JOINT.value;
  // Loop closures (Agility Cassie's four-bar rods, Robotiq's fingers): kept by MuJoCo, not seen in axon's joint list.
  const OBJ_BODY = mj.mjtObj.mjOBJ_BODY.value, OBJ_SITE = mj.mjtObj.mjOBJ_SITE.value;
  const objtype = model.eq_objtype as Int32Array | undefined;
  const loops: string[] = [];
  for (let e = 0; e < model.neq; e++) {
    const kind = type[e] === mj.mjtEq.mjEQ_CONNECT.value ? 'connect' : type[e] === mj.mjtEq.mjEQ_WELD.value ? 'weld' : undefined;
    if (kind === undefined) continue;
    const obj = objtype?.[e] === OBJ_SITE ? OBJ_SITE : OBJ_BODY;
    const name = (id: number) => (id >= 0 ? mujocoName(mj, model, obj, id) || `#${id}` : 'world');
    loops.push(`${kind} ${name(a[e])}–${name(b[e])}`);
  }
  const balls: string[] = [];
  const jtype = model.jnt_type as Int32Array;
  // (A floating base's ball, with its slides, is the base: noted as MUJOCO_MJCF_BASE.)
  for (let j = 0; j < model.njnt; j++) if (jtype[j] === mj.mjtJoint.mjJNT_BALL.value && !ofBase.has(j)) balls.push(mujocoName(mj, model, OBJ_JOINT, j) || `#${j}`);
  if (loops.length > 0 || balls.length > 0)
    notes.push({
      code: 'MUJOCO_MJCF_LOOPS',
      where: file,
      message: [
        loops.length > 0 ? `${loops.length} loop closure(s) kept from the model (<equality>): ${loops.join(', ')}` : '',
        balls.length > 0 ? `${balls.length} ball joint(s) simulated passively, not in axon's joint list (no position, velocity or command): ${balls.join(', ')}` : '',
      ].filter((x) => x !== '').join('; '),
    });
}
