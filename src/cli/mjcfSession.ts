/**
 * A user's MJCF in simulation (`axon sim --mjcf FILE`, checked by `axon inspect MODEL --mjcf FILE`),
 * set up as the training pipeline had it, the way urdfSession.ts sets up a URDF: a policy's
 * manifest gives the default pose (`default_joint_pos`), the action joints' PD gains (`pd`), the
 * actuators (`actuators`: armature, damping, friction, effort and velocity limits, PD integration),
 * the IMU body (`imu_link`) and the base height (`base_height`), over what the model file says (its
 * keyframe or qpos0, its actuators, its joints' attributes), and the flags (`--init-pose`,
 * `--kp/--kd`, `--imu-link`) go over the manifest. The model file decides the base (a free joint
 * on its root body): a manifest `fixed_base` that says otherwise is a difference. Part of the
 * composition root (src/cli): it knows sim/, and imports MuJoCo's side only when called.
 */
import type { SimJointDefaults } from '../../sim/SimRobotOptions.ts';
import { UsageError } from '../core/errors.ts';
import { mimicActionJoints, termLinkFrames, type ModelIssue } from '../model/checkModel.ts';
import { ManifestError, imuTerms, type ModelManifest } from '../model/manifest.ts';
import { defaultGains, DEFAULT_GAINS_RULE } from './defaultGains.ts';
import { refuseNoJoints } from './refuseNoJoints.ts';
import { printable } from '../core/printable.ts';
import { readFileSync } from 'node:fs';

// Types only, written inline so that nothing here imports sim/mujoco (MuJoCo stays unloaded until mjcfRobot runs).
type MujocoSide = typeof import('../../sim/mujoco/createMujocoRobot.ts');
type MjcfSetup = import('../../sim/mujoco/createMujocoRobot.ts').MjcfSetup;
type MjcfModelInfo = import('../../sim/mujoco/createMujocoRobot.ts').MjcfModelInfo;
type MjcfManifestSetUp = import('../../sim/mujoco/createMujocoRobot.ts').MjcfManifestSetUp;
type MjcfRobotInstance = Awaited<ReturnType<MujocoSide['createMujocoMjcfRobot']>>;

/** `--mjcf FILE` and the set-up flags that apply to it. */
export interface MjcfRobotFlags {
  readonly file: string;
  readonly imuLink?: string;
  /** `--init-pose`: joint positions by name (rad | m), over the manifest's and the model's. */
  readonly initPose?: Readonly<Record<string, number>>;
  /** `--kp`/`--kd`: one gain for every joint, over the manifest's pd and the model's actuators. */
  readonly kp?: number;
  readonly kd?: number;
}

/** What the set-up decided (sim's robot_setup): the robot's, and the manifest fields it applied. */
export interface MjcfSessionSetup extends MjcfSetup {
  /** Manifest fields applied to the robot (`default_joint_pos`, `pd`, `actuators.armature`, ...). */
  readonly manifest: readonly string[];
}

/**
 * `--mjcf` given a URDF (root element <robot>): MuJoCo would take it through its own URDF importer,
 * skipping axon's (parseUrdf's checks, its inertials, one actuator per moving joint; docs/mujoco.md)
 * and naming the robot after its first body. Refused, pointing to --urdf. A file that cannot be
 * read is left to the loader, which names it.
 */
export function refuseUrdfAsMjcf(file: string): void {
  let head: string;
  try {
    head = readFileSync(file, 'utf8').slice(0, 65536);
  } catch {
    return;
  }
  // The first element after the XML declaration, processing instructions, comments and a DOCTYPE.
  const root = /^(?:\s|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>)*<([A-Za-z_][\w:.-]*)/.exec(head.replace(/^\uFEFF/, ''))?.[1];
  if (root === 'robot')
    throw new UsageError('--mjcf', `${printable(file)} is a URDF (its root element is <robot>, an MJCF's is <mujoco>)`, `an MJCF file, or --urdf ${printable(file)} (with --physics mujoco to run it in MuJoCo)`);
}

/**
 * The MJCF robot as `axon sim --mjcf` runs it under manifest `m` (undefined: no policy), and the
 * differences its manifest and flags make with the model file (an `imu_link` or `--imu-link` naming
 * no body, a `fixed_base` the model does not have): `axon sim` refuses them (refuseMjcfIssues),
 * `axon inspect` lists them. Joints the model lacks are left to the model check, which names them.
 */
export async function mjcfRobot(flags: MjcfRobotFlags, m: ModelManifest | undefined, physicsDt: number): Promise<{ robot: MjcfRobotInstance; setup: MjcfSessionSetup; issues: ModelIssue[] }> {
  refuseUrdfAsMjcf(flags.file);
  const { createMujocoMjcfRobot } = await import('../../sim/mujoco/createMujocoRobot.ts');
  let applied: string[] = [];
  const issues: ModelIssue[] = [];
  const robot = await createMujocoMjcfRobot(flags.file, {
    physicsDt,
    ...(flags.kp !== undefined ? { kp: flags.kp } : {}),
    ...(flags.kd !== undefined ? { kd: flags.kd } : {}),
    ...(flags.initPose ? { defaultPositions: flags.initPose } : {}),
    defaultGains,
    manifest: (model) => {
      const r = mjcfManifestSetUp(m, flags, model);
      applied = r.applied;
      issues.push(...r.issues);
      return r.setUp;
    },
  });
  return { robot, setup: { ...robot.mjcfSetup, manifest: applied }, issues };
}

/**
 * The MJCF robot as `axon sim --mjcf` and `axon bridge --mjcf` open it: mjcfRobot, then the
 * differences with the manifest and a model with no moving joint refused (the robot disposed
 * first); the build's notes go to stderr.
 */
export async function openMjcfRobot(flags: MjcfRobotFlags, m: ModelManifest | undefined, physicsDt: number, manifestFile: string): Promise<{ robot: MjcfRobotInstance; setup: MjcfSessionSetup }> {
  const { robot, setup, issues } = await mjcfRobot(flags, m, physicsDt);
  try {
    refuseMjcfIssues(issues, flags, manifestFile);
    refuseNoJoints(robot.spec.joints.length, robot.spec.name, flags.file);
  } catch (e) {
    robot.dispose();
    throw e;
  }
  for (const n of robot.notes) process.stderr.write(`axon: note ${n.code}: ${n.where}: ${n.message}\n`);
  // Action joints that follow another (the model's <equality><joint>): their targets are ignored (docs/mujoco.md, "Mimic joints").
  if (m) for (const w of mimicActionJoints(m, robot.spec)) process.stderr.write(`axon: note SIM_MIMIC_ACTION: ${manifestFile}#${w.where}: ${w.line}\n`);
  return { robot, setup };
}

/** `--mjcf FILE` and the set-up flags that apply to it, as commander parsed them (what was not given stays absent). */
export function mjcfFlags(file: string, o: Omit<MjcfRobotFlags, 'file'>): MjcfRobotFlags {
  return {
    file,
    ...(o.imuLink ? { imuLink: o.imuLink } : {}),
    ...(o.initPose ? { initPose: o.initPose } : {}),
    ...(o.kp !== undefined ? { kp: o.kp } : {}),
    ...(o.kd !== undefined ? { kd: o.kd } : {}),
  };
}

/**
 * What to try when a floating MJCF robot falls: joints that ran on axon's default gain rule (the
 * model has no position actuator for them, and neither the flags nor a manifest's pd gave any) may
 * be why; undefined when every joint's gains are the flags', the manifest's or the model's own.
 */
export function mjcfFallHint(ms: Pick<MjcfSessionSetup, 'floating' | 'gains'>): string | undefined {
  if (!ms.floating || ms.gains.default === 0) return undefined;
  return `${ms.gains.default} joint(s) ran on axon's default gains (${DEFAULT_GAINS_RULE}): the model has no position actuator for them and no --kp/--kd or manifest pd gave any, and a robot may not stand on the rule; give the gains it was trained or tuned with`;
}

/** What the set-up decided, in one line (`axon sim`, `axon bridge`: "floating base, IMU at ..., default pose from ..., PD ... with gains from ..."). */
export function mjcfSetupLine(ms: MjcfSessionSetup): string {
  return `${ms.floating ? 'floating base' : 'fixed base'}, IMU ${ms.imuLink ? `at ${ms.imuLink} (${ms.imuWhy})` : 'none'}, default pose from the ${ms.pose}, PD ${ms.pd} with gains from the flags (${ms.gains.flags} joints), the manifest's pd (${ms.gains.manifest}), the model's position actuators (${ms.gains.model}), the stated default (${ms.gains.default}: ${DEFAULT_GAINS_RULE})${ms.gains.passive > 0 ? `, ${ms.gains.passive} passive joint(s)` : ''}${ms.gains.followers > 0 ? `, ${ms.gains.followers} follower(s) moved by their leaders` : ''}${ms.manifest.length > 0 ? `; from the manifest: ${ms.manifest.join(', ')}` : ''}`;
}

/** What the set-up decided, for a JSON summary's `robot_setup`. */
export function mjcfSetupSummary(ms: MjcfSessionSetup) {
  return { base: ms.floating ? 'floating' : 'fixed', imu_link: ms.imuLink, imu_why: ms.imuWhy, pose: ms.pose, pd: ms.pd, gains: ms.gains, default_gains: DEFAULT_GAINS_RULE, armature: ms.armature, effort_limited_joints: ms.effortLimited, manifest: ms.manifest };
}

/**
 * Throws for the differences mjcfRobot found: a UsageError for `--imu-link`, else one
 * ManifestError listing them (as the model check does).
 */
export function refuseMjcfIssues(issues: readonly ModelIssue[], flags: MjcfRobotFlags, manifestFile: string): void {
  if (issues.length === 0) return;
  const flag = issues.find((x) => x.where.includes('--imu-link'));
  if (flag) throw new UsageError('--imu-link', `names "${flags.imuLink}", which is not a body of ${flags.file}`, flag.robot);
  // Joint and body names come from the user's MJCF and manifest: made printable (src/core/printable.ts).
  const diff = issues.map((x) => `  ${manifestFile}#${x.where}: model ${printable(x.model)} | robot ${printable(x.robot)}`).join('\n');
  throw new ManifestError('MODEL_ROBOT_MISMATCH', manifestFile, `does not fit the MJCF ${printable(flags.file)} (${issues.length} difference${issues.length > 1 ? 's' : ''}):\n${diff}`);
}

/**
 * The manifest's set-up of a compiled MJCF (MjcfRobotOptions.manifest), the fields it applied, and
 * what does not fit. A value for a joint the model lacks is left out (the model check names the
 * joint); `--imu-link` decides the IMU over `imu_link`.
 */
export function mjcfManifestSetUp(m: ModelManifest | undefined, flags: Pick<MjcfRobotFlags, 'imuLink'>, model: MjcfModelInfo): { setUp: MjcfManifestSetUp; applied: string[]; issues: ModelIssue[] } {
  const issues: ModelIssue[] = [];
  const applied: string[] = [];
  const bodies = new Set(model.bodies);
  const noBody = (name: string) => `no body "${name}" in the model (bodies: ${model.bodies.join(', ')})`;
  let imu: MjcfManifestSetUp['imu'];
  if (flags.imuLink !== undefined) {
    if (bodies.has(flags.imuLink)) imu = { link: flags.imuLink, why: '--imu-link' };
    else issues.push({ where: '/imu_link (from --imu-link)', model: `"${flags.imuLink}"`, robot: noBody(flags.imuLink) });
  } else if (m?.imu_link !== undefined) {
    if (bodies.has(m.imu_link)) {
      imu = { link: m.imu_link, why: 'manifest imu_link' };
      applied.push('imu_link');
    } else issues.push({ where: '/imu_link', model: `"${m.imu_link}"`, robot: noBody(m.imu_link) });
  } else if (!model.floating && m?.observation.terms.some((t) => imuTerms.has(t.term)))
    // As for a URDF on a fixed base: the IMU at the root reads gravity and no rotation.
    imu = { link: model.root, why: 'root body of the fixed base (the model reads IMU terms)' };
  if (!m) return { setUp: imu ? { imu } : {}, applied, issues };
  if (m.fixed_base !== undefined && m.fixed_base === model.floating)
    issues.push({
      where: '/fixed_base',
      model: String(m.fixed_base),
      robot: model.floating ? `a floating base: the MJCF's root body "${model.root}" has a free joint (the model file decides the base)` : `a fixed base: the MJCF's root body "${model.root}" has no free joint (the model file decides the base)`,
    });
  const names = new Set(model.joints);
  const jd: Record<string, { -readonly [K in keyof SimJointDefaults]: SimJointDefaults[K] }> = {};
  const put = (joint: string, field: keyof SimJointDefaults, v: number): boolean => {
    if (!names.has(joint)) return false;
    (jd[joint] ??= {})[field] = v;
    return true;
  };
  const use = (field: string, any: boolean) => {
    if (any) applied.push(field);
  };
  use('default_joint_pos', (m.default_joint_pos ?? []).map((v, i) => put(m.joints[i], 'defaultPosition', v)).some(Boolean));
  const act = m.action.joints ?? m.joints;
  const held = Object.entries(m.pd?.held ?? {}).flatMap(([j, g]) => [put(j, 'kp', g.kp), put(j, 'kd', g.kd)]);
  use('pd', [...(m.pd?.kp ?? []).map((v, i) => put(act[i], 'kp', v)), ...(m.pd?.kd ?? []).map((v, i) => put(act[i], 'kd', v)), ...held].some(Boolean));
  const perJoint = (field: string, v: number | number[] | undefined, key: keyof SimJointDefaults) => {
    if (v !== undefined) use(field, m.joints.map((j, i) => put(j, key, Array.isArray(v) ? v[i] : v)).some(Boolean));
  };
  const a = m.actuators;
  perJoint('actuators.armature', a?.armature, 'armature');
  perJoint('actuators.damping', a?.damping, 'damping');
  perJoint('actuators.friction', a?.friction, 'friction');
  perJoint('actuators.effort_limit', a?.effort_limit, 'effortLimit');
  perJoint('actuators.velocity_limit', a?.velocity_limit, 'velocityLimit');
  if (a?.pd !== undefined) applied.push('actuators.pd');
  const baseHeight = model.floating ? m.base_height : undefined;
  if (baseHeight !== undefined) applied.push('base_height');
  // IMU terms read in another body than the IMU's (a term's `link`): the robot reports those bodies too.
  const frames = termLinkFrames(m, model.bodies, 'body');
  issues.push(...frames.issues);
  return {
    setUp: { jointDefaults: jd, ...(imu ? { imu } : {}), ...(frames.frames.length > 0 ? { imuFrames: frames.frames } : {}), ...(a?.pd !== undefined ? { pd: a.pd } : {}), ...(baseHeight !== undefined ? { baseHeight } : {}) },
    applied,
    issues,
  };
}
