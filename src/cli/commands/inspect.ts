import { Command, Option } from '@commander-js/extra-typings';
import * as ort from 'onnxruntime-node';
import { createSimRobot, loadUrdf, robotModel, robotNames, type MeshCollisionMode } from '../../../sim/index.ts';
import type { UrdfModel } from '../../../sim/urdf/parseUrdf.ts';
import { urdfFixedByDefault } from '../../../sim/urdf/rootBody.ts';
import { followerDefaults, mimicOfJoint } from '../../../sim/build/mimicJoints.ts';
import { AxonError, UsageError } from '../../core/errors.ts';
import type { JointSpec, RobotSpec } from '../../core/robot.ts';
import { loadModelFolder, observationSize, actionSize, outputSize, termWidth, imuTerms, type ModelFolder, type ModelManifest } from '../../model/manifest.ts';
import { ObservationBuilder } from '../../model/ObservationBuilder.ts';
import { ActionMapper } from '../../model/ActionMapper.ts';
import { OnnxPolicy, onnxLoadError, ORT_LOG_SEVERITY } from '../../policy/OnnxPolicy.ts';
import { checkModel, mimicActionJoints, termLinkFrames, type ModelIssue } from '../../model/checkModel.ts';
import { affixNote, suggestJointNames } from '../../model/suggestJointNames.ts';
import { positiveNumber, repeated, physicsRate } from '../args.ts';
import { defaultGains, DEFAULT_GAINS_RULE } from '../defaultGains.ts';
import { mjcfRobot } from '../mjcfSession.ts';
import { refuseOrphans, type Companion } from '../companions.ts';
import { refuseNoCollision } from '../refuseNoCollision.ts';
import { existsSync } from 'node:fs';
import { printable } from '../../core/printable.ts';
import { isaacLabImuWarning, isaacLabOrderWarning } from '../isaacLabUrdfChecks.ts';
import { inspectBareOnnx } from './inspectBareOnnx.ts';

/**
 * A model that does not fit the robot it was checked against: `axon inspect` has printed the
 * report; the CLI exits 1 (a check that failed, not bad input).
 */
export class ModelDoesNotFit extends Error {
  readonly code = 'MODEL_ROBOT_MISMATCH';
  constructor(
    message: string,
    readonly issues: readonly ModelIssue[],
  ) {
    super(message);
    this.name = 'ModelDoesNotFit';
  }
}

/** The robot a model is checked against, as inspect sees it. */
export interface InspectTarget {
  /** Printed name: the shipped robot's name, or `FILE (robot NAME)`. */
  readonly label: string;
  readonly source: 'robot' | 'urdf' | 'mjcf';
  readonly spec: RobotSpec;
  /** Rate the robot is commanded at (Hz): the simulator's physics rate. */
  readonly robotHz: number;
  /** Base fixed to the world (true), floating (false). */
  readonly fixedBase: boolean;
  /** Link carrying the IMU and why that one; null without an IMU. For a shipped robot the link is its own (not named here). */
  readonly imu: { readonly link: string | null; readonly why: string } | null;
  /** Differences the robot's description itself makes (an imu_link that names no link). */
  readonly issues: readonly ModelIssue[];
  /** Worth reading, not refused: manifest limits above the URDF's. */
  readonly warnings: readonly string[];
  /** URDF only: the file's own effort/velocity limits of joints whose limit the manifest replaces (spec holds what the run applies). */
  readonly fileLimits?: ReadonlyMap<string, { readonly effort: number; readonly velocity: number }>;
}

/**
 * Whether a URDF robot's base is fixed, as `axon sim --urdf` decides (src/cli/urdfSession.ts): the
 * manifest's `fixed_base`, else a root link named "world" (a URDF fixed to the world) or a root body
 * without mass (sim/urdf/rootBody.ts).
 */
export function urdfFixedBase(model: UrdfModel, m: Pick<ModelManifest, 'fixed_base'>): boolean {
  return m.fixed_base ?? urdfFixedByDefault(model);
}

/**
 * The link a URDF robot's IMU sits on, by the simulator's rule: the manifest's `imu_link`; else a
 * link whose name starts with "imu" (any case), one fixed to the root body without rotation first
 * (one fixed but rotated gives way to the root of a floating base), then the first in document
 * order; else the root link of a
 * floating base; else, for a fixed base, the root link when the model reads IMU terms (the IMU then
 * reads the world's gravity and no rotation); else none. An `imu_link` naming no link is an issue.
 */
export function urdfImuLink(model: UrdfModel, m: ModelManifest, fixedBase: boolean): { imu: InspectTarget['imu']; issue?: ModelIssue } {
  if (m.imu_link !== undefined) {
    if (model.linkByName.has(m.imu_link)) return { imu: { link: m.imu_link, why: 'manifest imu_link' } };
    return { imu: null, issue: { where: '/imu_link', model: `"${m.imu_link}"`, robot: `no such link (links: ${model.links.map((l) => l.name).join(', ')})` } };
  }
  // Among links named imu*, one rigidly on the root body first (what Isaac Lab's base_ang_vel and
  // projected_gravity read: a vendor humanoid has imu_in_pelvis and imu_in_torso), then file order.
  // Named imu* (imu_link, imu_in_pelvis), or with imu as a word of the name (PAL's base_imu_link).
  const imus = model.links.filter((l) => /^imu|(^|[_\-.])imu([_\-.]|$)/i.test(l.name));
  const onRoot = (link: string): boolean => {
    for (let j = model.parentJoint.get(link); j !== undefined; j = model.parentJoint.get(j.parent)) if (j.type !== 'fixed') return false;
    return true;
  };
  // Rotated against the root (legged_gym's anymal_c.urdf: imu_joint rpy 0 0 1.5708), an IMU reads
  // base_ang_vel and projected_gravity in its own axes, not the base's that the training used.
  const rotated = (link: string): boolean => {
    for (let j = model.parentJoint.get(link); j !== undefined; j = model.parentJoint.get(j.parent)) if (j.origin.rpy.some((a) => Math.abs(a) > 1e-9)) return true;
    return false;
  };
  const rooted = imus.find((l) => onRoot(l.name) && !rotated(l.name));
  if (rooted) return { imu: { link: rooted.name, why: 'link named imu* fixed to the base' } };
  const turned = imus.find((l) => onRoot(l.name));
  if (turned) {
    if (!fixedBase) return { imu: { link: model.root, why: `root link of the floating base: ${turned.name} is fixed to it but rotated, and the IMU terms read the base's axes (--imu-link ${turned.name} reads its own)` } };
    // a fixed base: the root, by the rules below
  } else if (imus.length > 0) {
    // Behind a moving joint (Unitree H1-2's imu_link is on torso_link, behind torso_joint): the IMU terms read it there, not at the base.
    let behind = '';
    for (let j = model.parentJoint.get(imus[0].name); j !== undefined && behind === ''; j = model.parentJoint.get(j.parent)) if (j.type !== 'fixed') behind = j.name;
    return { imu: { link: imus[0].name, why: `first link whose name starts with "imu"; it sits behind joint ${behind} (not fixed to the base): the IMU terms read it there; --imu-link (or the manifest's imu_link) names another` } };
  }
  if (!fixedBase) return { imu: { link: model.root, why: 'root link of the floating base' } };
  if (m.observation.terms.some((t) => imuTerms.has(t.term))) return { imu: { link: model.root, why: 'root link of the fixed base (the model reads IMU terms)' } };
  return { imu: null };
}

/**
 * The RobotSpec a URDF gives in simulation, read from the parsed file without building a physics
 * world: moving joints in the simulator's (tree) order with the URDF's limits, default pose 0
 * clamped into the limits, no gains of its own (the manifest's `pd` gives them), the IMU by
 * urdfImuLink, the simulator's base state (base velocity known), all control modes.
 */
export function urdfTarget(
  file: string,
  model: UrdfModel,
  m: ModelManifest,
  physicsHz: number,
  flags: { readonly fixedBase?: boolean; readonly imuLink?: string; readonly meshCollision?: MeshCollisionMode } = {},
): InspectTarget {
  // `--fixed-base` / `--imu-link` (as on `axon sim --urdf`) win over the manifest's fields.
  const robotSide = { ...m, ...(flags.fixedBase ? { fixed_base: true } : {}), ...(flags.imuLink !== undefined ? { imu_link: flags.imuLink } : {}) };
  const fixedBase = urdfFixedBase(model, robotSide);
  const found = urdfImuLink(model, robotSide, fixedBase);
  const imu = found.imu;
  const issue = found.issue && flags.imuLink !== undefined ? { ...found.issue, where: '/imu_link (from --imu-link)' } : found.issue;
  // The gains `axon sim --urdf` gives a joint the manifest's pd does not: the default rule.
  const robot = { mass: model.links.reduce((sum, l) => sum + (l.inertial?.mass ?? 0), 0), floating: !fixedBase };
  // A <mimic> follower's default from its leader's, as the simulators place it (sim/build/mimicJoints.ts).
  const joints: JointSpec[] = followerDefaults(model.treeOrder
    .filter((j) => j.type !== 'fixed')
    .map((j) => {
      const lower = j.type === 'continuous' ? -Infinity : j.lower;
      const upper = j.type === 'continuous' ? Infinity : j.upper;
      return { name: j.name, type: j.type as JointSpec['type'], lower, upper, velocityLimit: j.velocity, effortLimit: j.effort, defaultPosition: Math.min(upper, Math.max(lower, 0)), kp: 0, kd: 0, ...(j.mimic ? { mimic: mimicOfJoint(j) } : {}) };
    }), () => undefined, []);
  // IMU terms read in another link (a term's `link`): `axon sim --urdf` reports it, or refuses a link the URDF lacks.
  const frames = termLinkFrames(m, model.links.map((l) => l.name), 'link');
  const sensors = { imu: imu !== null, contacts: [], baseVelocity: true, baseCom: true, ...(frames.frames.length > 0 ? { imuFrames: frames.frames } : {}) };
  const warnings = limitWarnings(m, { name: model.name, joints, sensors, controlModes: [] });
  // As urdfSetup: the manifest's actuators.effort_limit / velocity_limit replace the URDF's (kept in
  // fileLimits for the table), the gains are pd.held's or the rule on the effective effort limit.
  const at = (v: number | number[] | undefined, k: number) => (k < 0 || v === undefined ? undefined : Array.isArray(v) ? v[k] : v);
  const fileLimits = new Map<string, { effort: number; velocity: number }>();
  const effective = joints.map((j) => {
    const k = m.joints.indexOf(j.name);
    const effortLimit = at(m.actuators?.effort_limit, k) ?? j.effortLimit;
    const velocityLimit = at(m.actuators?.velocity_limit, k) ?? j.velocityLimit;
    if (effortLimit !== j.effortLimit || velocityLimit !== j.velocityLimit) fileLimits.set(j.name, { effort: j.effortLimit, velocity: j.velocityLimit });
    const held = m.pd?.held?.[j.name];
    return { ...j, effortLimit, velocityLimit, ...(held ? { kp: held.kp, kd: held.kd } : defaultGains(effortLimit, robot)) };
  });
  const spec: RobotSpec = { name: model.name, joints: effective, sensors, controlModes: ['position', 'velocity', 'effort'] };
  // Action joints that follow another (URDF <mimic>): their targets are ignored (docs/urdf.md, "Mimic joints").
  for (const w of mimicActionJoints(m, spec)) warnings.push(`SIM_MIMIC_ACTION: manifest.json#${w.where}: ${w.line}`);
  const order = isaacLabOrderWarning(m, model);
  if (order !== undefined) warnings.push(`ISAACLAB_JOINT_ORDER: ${order}`);
  const imuAt = isaacLabImuWarning(m, model, imu?.link ?? undefined);
  if (imuAt !== undefined) warnings.push(`ISAACLAB_IMU_LINK: ${imuAt}`);
  // What `axon sim --urdf` refuses with these flags (a floating robot with no collision shape, or none left under --mesh-collision none) is said here.
  try {
    refuseNoCollision(model, flags.meshCollision, fixedBase, file);
  } catch (e) {
    if (!(e instanceof AxonError)) throw e;
    warnings.push(`${e.code}: axon sim --urdf refuses this robot: ${e.detail}`);
  }
  if (m.pd === undefined && (m.action.type === 'joint_position' || m.action.type === 'joint_position_abs'))
    warnings.push(`manifest.json#/pd: absent, so axon sim --urdf runs the policy on its default gains (${DEFAULT_GAINS_RULE}), not on those it was trained with: set pd to the training's`);
  return { label: `${file} (robot ${model.name})`, source: 'urdf', spec, robotHz: physicsHz, fixedBase, imu, issues: [...(issue ? [issue] : []), ...frames.issues], warnings, fileLimits };
}

/**
 * An MJCF robot as `axon sim --mjcf FILE --policy MODEL` sets it up (src/cli/mjcfSession.ts: the
 * same function, so the two cannot disagree): MuJoCo compiles the model (its module loaded only
 * here), the manifest is applied over the model's own values, and the robot's spec is checked.
 * What the manifest replaced (MUJOCO_MJCF_MANIFEST), a default clamped into its range and limits the
 * motors can press well past (MUJOCO_MJCF_SOFT_LIMIT, sim/mujoco/limitPenetration.ts) are warnings.
 */
async function mjcfTarget(file: string, m: ModelManifest, physicsHz: number, imuLink: string | undefined): Promise<InspectTarget> {
  const { robot, setup, issues } = await mjcfRobot({ file, ...(imuLink !== undefined ? { imuLink } : {}) }, m, 1 / physicsHz);
  try {
    const spec = robot.spec;
    const warnings = robot.notes.filter((n) => n.code === 'MUJOCO_MJCF_MANIFEST' || n.code === 'SIM_DEFAULT_OUTSIDE_LIMITS' || n.code === 'MUJOCO_MJCF_SOFT_LIMIT').map((n) => `${n.code}: ${n.where}: ${n.message}`);
    if (m.pd === undefined && (m.action.type === 'joint_position' || m.action.type === 'joint_position_abs'))
      warnings.push(
        `manifest.json#/pd: absent, so axon sim --mjcf runs the policy on the model's position-actuator gains (${setup.gains.model} joints) and its default gains (${setup.gains.default} joints: ${DEFAULT_GAINS_RULE}), not necessarily those it was trained with: set pd to the training's`,
      );
    // Action joints that follow another (the model's <equality><joint>, as a URDF <mimic>): their targets are ignored.
    for (const w of mimicActionJoints(m, spec)) warnings.push(`SIM_MIMIC_ACTION: manifest.json#${w.where}: ${w.line}`);
    const imu = setup.imuLink !== null ? { link: setup.imuLink, why: setup.imuWhy } : null;
    return { label: `${file} (robot ${spec.name})`, source: 'mjcf', spec, robotHz: physicsHz, fixedBase: !setup.floating, imu, issues, warnings };
  } finally {
    robot.dispose();
  }
}

/** A shipped robot as the simulator builds it (`--robot NAME`). */
async function shippedTarget(name: string, m: ModelManifest, physicsHz: number): Promise<InspectTarget> {
  const robot = createSimRobot(name, { physicsDt: 1 / physicsHz });
  const fixedBase = !robot.bodyLinkNames().includes(robotModel(name).root);
  await robot.close();
  // The simulator's privileged base state: base velocity is known (zero for a fixed base).
  const spec: RobotSpec = { ...robot.spec, sensors: { ...robot.spec.sensors, baseVelocity: true, baseCom: true } };
  const imu = spec.sensors.imu ? { link: null, why: "the robot's own" } : null;
  return { label: name, source: 'robot', spec, robotHz: physicsHz, fixedBase, imu, issues: [], warnings: limitWarnings(m, spec) };
}

/** Manifest actuator limits above the robot's own (a warning: the robot's limits still bind). */
function limitWarnings(m: ModelManifest, spec: RobotSpec): string[] {
  const out: string[] = [];
  const at = (v: number | number[] | undefined, i: number) => (v === undefined ? undefined : Array.isArray(v) ? v[i] : v);
  for (const [i, n] of m.joints.entries()) {
    const j = spec.joints.find((x) => x.name === n);
    if (!j) continue;
    const e = at(m.actuators?.effort_limit, i);
    const v = at(m.actuators?.velocity_limit, i);
    if (e !== undefined && e > j.effortLimit) out.push(`manifest.json#/actuators/effort_limit: ${n} ${e} exceeds the robot's ${j.effortLimit}`);
    if (v !== undefined && v > j.velocityLimit) out.push(`manifest.json#/actuators/velocity_limit: ${n} ${v} exceeds the robot's ${j.velocityLimit}`);
  }
  return out;
}

type TensorIo = { name: string; type: string; shape: (number | string)[] };

/** The model's tensor sizes against the ONNX graph's (numeric dimensions after the batch). */
function shapeIssues(m: ModelManifest, inputs: TensorIo[], outputs: TensorIo[]): ModelIssue[] {
  const issues: ModelIssue[] = [];
  const check = (list: TensorIo[], kind: 'input' | 'output', name: string, want: number, where: string) => {
    const t = list.find((x) => x.name === name);
    if (!t) return issues.push({ where, model: `${kind} "${name}"`, robot: `not in the ONNX graph (${kind}s: ${list.map((x) => x.name).join(', ')})` });
    // After the batch dimension; an input fed in its own rank ([N], [1, 1, N]: OnnxPolicy) by its last.
    const lead = t.shape.slice(0, -1);
    const dims = lead.every((d) => d === 1 || typeof d !== 'number') ? t.shape.slice(-1) : t.shape.slice(1);
    if (dims.every((d) => typeof d === 'number')) {
      const last = dims[dims.length - 1] as number;
      const all = (dims as number[]).reduce((a, b) => a * b, 1);
      if (last !== want && all !== want) issues.push({ where, model: `${want} values`, robot: `ONNX ${kind} ${name} [${t.shape.join(', ')}]` });
    }
    return 0;
  };
  check(inputs, 'input', m.onnx.input, observationSize(m), '/onnx/input');
  if (m.kind === 'world-model') {
    check(outputs, 'output', m.onnx.output, observationSize(m), '/onnx/output');
    if (m.onnx.action_input) check(inputs, 'input', m.onnx.action_input, actionSize(m), '/onnx/action_input');
  } else check(outputs, 'output', m.onnx.output, m.action.chunk ? outputSize(m) : actionSize(m), '/onnx/output');
  return issues;
}

/** Everything inspect checks between a model and a robot: checkModel, the robot's own issues, the ONNX shapes, the loop's stages. */
async function checkTarget(folder: ModelFolder, t: InspectTarget, inputs: TensorIo[], outputs: TensorIo[]): Promise<ModelIssue[]> {
  const m = folder.manifest;
  // A term whose link the robot file lacks is named once, by the target (not again as a link the robot does not report).
  const model = checkModel(m, t.spec, { robotHz: t.robotHz, requireGains: true }).filter((x) => !t.issues.some((y) => y.where === `${x.where}/link`));
  const issues = [...t.issues, ...model, ...shapeIssues(m, inputs, outputs)];
  if (issues.length > 0) return issues;
  // The stages a run builds refuse what checkModel might not see; their errors become issues.
  try {
    new ObservationBuilder(m, t.spec);
    new ActionMapper(m, t.spec);
  } catch (e) {
    issues.push({ where: '/', model: m.name, robot: (e as Error).message });
  }
  return issues;
}

/**
 * A bare .onnx has no manifest to check against a robot, and a model folder has its manifest
 * already: the robot flags need a folder, --draft a bare file (src/cli/companions.ts).
 */
const INSPECT_COMPANIONS: readonly Companion<{ bare: boolean; urdf?: string; draft?: string }>[] = [
  { flag: '--draft', needs: 'a bare .onnx file as <model>', ok: (o) => o.bare, instead: () => 'a model folder has its manifest.json already' },
  // With --draft, an mjlab export's IMU and root bodies come from the MJCF (inspectBareOnnx.ts).
  {
    flag: '--mjcf',
    needs: 'a model folder as <model>, or --draft with a bare .onnx',
    ok: (o) => !o.bare || o.draft !== undefined,
    instead: () => 'a bare .onnx has no manifest to check against a robot: write one with --draft first (--mjcf then reads an mjlab export\'s IMU and root bodies)',
  },
  ...['--robot', '--urdf', '--fixed-base', '--imu-link', '--physics-hz', '--urdf-package-path', '--mesh-collision'].map((flag) => ({
    flag,
    needs: 'a model folder as <model>',
    ok: (o: { bare: boolean }) => !o.bare,
    instead: () => 'a bare .onnx has no manifest to check against a robot: write one with --draft first',
  })),
  { flag: '--urdf-package-path', needs: '--urdf FILE', ok: (o) => o.urdf !== undefined },
  { flag: '--mesh-collision', needs: '--urdf FILE', ok: (o) => o.urdf !== undefined },
];

export function inspectCommand() {
  return new Command('inspect')
    .description(
      "Print a model folder's manifest and ONNX inputs/outputs, and check it against a robot (shipped, --urdf or --mjcf) before anything runs: joints, limits, default pose, PD gains, " +
        'the sensor behind every observation term (IMU link), tensor sizes, control rate. Exit code 1 with the differences listed when it does not fit.',
    )
    .argument('<model>', 'model folder with manifest.json and model.onnx, or a bare .onnx file')
    .option('--robot <name>', "check the model against this simulated robot (cartpole, pendulum, arm, humanoid; default: the manifest's robot when shipped)")
    .option('--urdf <file>', 'check the model against this URDF robot, as `axon sim --urdf` would simulate it (read without building a physics world)')
    .option('--urdf-package-path <dir>', 'with --urdf: folders searched for package://PKG mesh paths; $ROS_PACKAGE_PATH is added (repeat the flag for more)', repeated, [] as string[])
    .addOption(
      new Option('--mesh-collision <mode>', 'with --urdf: as `axon sim --mesh-collision`; none reads the URDF without its collision mesh files (the check does not use them)').choices([
        'hull',
        'box',
        'capsule',
        'none',
      ] as const),
    )
    .option('--mjcf <file>', "check the model against this MJCF model, as `axon sim --mjcf` would set it up from the manifest (MuJoCo compiles it); with a bare mjlab .onnx and --draft: the robot's MJCF, whose imu site's body and root body the draft's imu_link and projected_gravity link are read from")
    .option('--fixed-base', 'with --urdf: the root link is fixed to the world (as `axon sim --fixed-base`; default: the manifest\'s fixed_base, else a root named "world")', false)
    .option('--imu-link <link>', "with --urdf or --mjcf: the link (an MJCF's body) carrying the IMU (as `axon sim --imu-link`; default: the manifest's imu_link, else an imu* link by the rules in docs/your-robot.md (one fixed to the base without rotation first), else the root)")
    .option('--physics-hz <hz>', 'the simulator rate checked against the model rate (as `axon sim --physics-hz`)', physicsRate, 500)
    .option('--draft <file>', 'for a bare .onnx file: write a manifest draft here (joint names and terms to fill in)')
    .option('--json', 'print one JSON summary object on the last line of stdout', false)
    .action(async (dir, o, cmd) => {
      const bare = dir.endsWith('.onnx');
      refuseOrphans(cmd, { ...o, bare }, INSPECT_COMPANIONS);
      if (bare) return inspectBareOnnx(dir, o.draft, o.json, o.mjcf);
      const given = [o.robot !== undefined ? '--robot' : '', o.urdf !== undefined ? '--urdf' : '', o.mjcf !== undefined ? '--mjcf' : ''].filter((x) => x !== '');
      if (given.length > 1) throw new UsageError(given[1], `cannot be used with ${given[0]}`, 'one robot to check against: --robot NAME, --urdf FILE or --mjcf FILE');
      if (o.robot !== undefined && !robotNames().includes(o.robot)) throw new UsageError('--robot', `unknown robot "${o.robot}"`, `one of ${robotNames().join(', ')}`);
      if (o.mjcf !== undefined && o.fixedBase) throw new UsageError('--fixed-base', 'does not apply to an MJCF model', 'the model file itself: a free joint on its root body floats it');
      // --fixed-base acts on a URDF alone (an MJCF's file decides its base, refused above); --imu-link on either.
      if (o.urdf === undefined && o.mjcf === undefined && o.fixedBase) throw new UsageError('--fixed-base', 'is only for a URDF robot', '--urdf FILE as well (an MJCF model\'s own file decides its base)');
      if (o.urdf === undefined && o.mjcf === undefined && o.imuLink !== undefined) throw new UsageError('--imu-link', 'is only for a URDF or MJCF robot', '--urdf FILE or --mjcf FILE as well');
      if (o.urdf !== undefined && !existsSync(o.urdf)) throw new UsageError('--urdf', `no such file ${o.urdf}`, 'a URDF file');
      if (o.mjcf !== undefined && !existsSync(o.mjcf)) throw new UsageError('--mjcf', `no such file ${o.mjcf}`, 'an MJCF model file');
      const folder = loadModelFolder(dir);
      const m = folder.manifest;
      // A --physics-hz the user gave is checked as `axon sim` checks it (sim/session/SimSession.ts), by
      // that flag's name: built first, a rate of 10 Hz or less failed inside the simulator as "physicsDt".
      const decimation = o.physicsHz / m.control_hz;
      if (cmd.getOptionValueSource('physicsHz') === 'cli' && (Math.abs(decimation - Math.round(decimation)) > 1e-6 || decimation < 1))
        throw new UsageError('--physics-hz', `${o.physicsHz} Hz is not a whole multiple of the model's control rate ${m.control_hz} Hz`, `a multiple of ${m.control_hz}`);
      let session: ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(folder.onnxPath, { logSeverityLevel: ORT_LOG_SEVERITY });
      } catch (e) {
        throw onnxLoadError(folder.onnxPath, e);
      }
      const io = (meta: readonly ort.InferenceSession.ValueMetadata[]): TensorIo[] =>
        meta.map((v) => (v.isTensor ? { name: v.name, type: v.type, shape: [...v.shape] } : { name: v.name, type: 'non-tensor', shape: [] }));
      const inputs = io(session.inputMetadata);
      const outputs = io(session.outputMetadata);
      await session.release();
      // The model against its own manifest, as every command that runs it loads it (OnnxPolicy.load:
      // tensor shapes, an undeclared action chunk, a first inference on zeros): MODEL_SHAPE or
      // ONNX_LOAD, exit 2, whatever robot it is checked against (not a robot difference, exit 1).
      if (m.kind === 'policy') await (await OnnxPolicy.load(folder)).close();

      let offset = 0;
      const terms = m.observation.terms.map((t) => {
        const width = termWidth(m, t.term) * (t.history ?? 1);
        const row = { term: t.term, offset, width, scale: t.scale ?? 1, clip: t.clip ?? null, history: t.history ?? 1, ...(t.point ? { point: t.point } : {}), ...(t.link ? { link: t.link } : {}), ...(t.before_clip ? { before_clip: true } : {}), ...(t.period !== undefined ? { period: t.period } : {}), ...(t.bias !== undefined ? { bias: t.bias } : {}) };
        offset += width;
        return row;
      });

      const robotName = o.robot ?? (o.urdf === undefined && o.mjcf === undefined && robotNames().includes(m.robot) ? m.robot : undefined);
      const target =
        o.urdf !== undefined
          ? urdfTarget(o.urdf, loadUrdf(o.urdf, { packagePaths: o.urdfPackagePath, collisionMeshes: o.meshCollision === 'none' ? 'optional' : 'required' }), m, o.physicsHz, {
              fixedBase: o.fixedBase,
              ...(o.imuLink !== undefined ? { imuLink: o.imuLink } : {}),
              ...(o.meshCollision !== undefined ? { meshCollision: o.meshCollision } : {}),
            })
          : o.mjcf !== undefined
            ? await mjcfTarget(o.mjcf, m, o.physicsHz, o.imuLink)
            : robotName
              ? await shippedTarget(robotName, m, o.physicsHz)
              : undefined;
      const issues = target ? await checkTarget(folder, target, inputs, outputs) : [];
      const file = `${dir}/manifest.json`;
      const check = target ? report(m, target, issues, inputs, outputs) : null;

      const summary = {
        command: 'inspect',
        model: dir,
        name: m.name,
        kind: m.kind,
        trained_for: m.robot,
        control_hz: m.control_hz,
        joints: m.joints,
        observation: { size: observationSize(m), history_order: m.observation.history_order ?? 'oldest_first', terms },
        action: { ...m.action, size: actionSize(m) },
        onnx: { file: m.onnx.file, inputs, outputs },
        provenance: m.provenance ?? null,
        check: check && { ...check.json, issues: issues.map((x) => ({ ...x, where: `${file}#${x.where}` })) },
      };
      if (o.json) console.log(JSON.stringify(summary));
      else {
        // The manifest's, the robot file's and a bridge server's names are free text: escaped on the terminal (src/core/printable.ts), raw in the JSON.
        const say = (line: string) => console.log(printable(line));
        say(`${m.name} (${m.kind}) for ${m.robot}, ${m.control_hz} Hz`);
        say(`joints (model order): ${m.joints.join(', ')}`);
        say(`observation: ${summary.observation.size} values, history ${summary.observation.history_order}`);
        for (const t of terms)
          say(
            `  [${t.offset}..${t.offset + t.width - 1}] ${t.term} scale ${JSON.stringify(t.scale)} clip ${t.clip ?? '-'} history ${t.history}` +
              (t.point === 'com' ? ", at the base body's centre of mass" : '') +
              (t.before_clip ? ', fed back before the action clip' : '') +
              (t.bias !== undefined ? `, ${t.bias} added before the scale` : '') +
              (t.period !== undefined ? `, sin and cos of a ${t.period} s gait cycle` : ''),
          );
        const tc = m.action.target_clip;
        const targetClip = !tc ? '' : tc.every(([lo, hi]) => lo === tc[0][0] && hi === tc[0][1]) ? `, target clip [${tc[0].join(', ')}] on every joint` : `, target clip per joint ${JSON.stringify(tc)}`;
        say(`action: ${m.action.type} on ${(m.action.joints ?? m.joints).join(', ')}, scale ${JSON.stringify(m.action.scale ?? 1)}, clip ${m.action.clip ?? '-'}${targetClip}`);
        say(`onnx ${m.onnx.file}:`);
        for (const v of inputs) say(`  input  ${v.name} ${v.type} [${v.shape.join(', ')}]`);
        for (const v of outputs) say(`  output ${v.name} ${v.type} [${v.shape.join(', ')}]`);
        if (m.provenance?.eval) say(`eval: ${JSON.stringify(m.provenance.eval)}`);
        if (!check) say('no robot to check against (pass --robot NAME, --urdf FILE or --mjcf FILE)');
        else {
          for (const line of check.lines) say(line);
          say(issues.length === 0 ? `check against ${target!.label}: ok (joint names, limits, gains, sensors, tensor shapes, rate)` : `check against ${target!.label}: DOES NOT FIT (${issues.length} difference${issues.length > 1 ? 's' : ''})`);
        }
      }
      // The differences are in the report on stdout (text or JSON); stderr gets one line, not the same list again.
      if (issues.length > 0) {
        const where = o.json ? 'check.issues of the JSON on stdout' : 'listed in the report on stdout';
        throw new ModelDoesNotFit(`model "${printable(m.name)}" does not fit robot "${printable(target!.spec.name)}": ${issues.length} difference${issues.length > 1 ? 's' : ''} (${where})`, issues);
      }
    });
}

/** The check's report: one line per subject, and the same as JSON. */
function report(m: ModelManifest, t: InspectTarget, issues: readonly ModelIssue[], inputs: TensorIo[], outputs: TensorIo[]): { lines: string[]; json: Record<string, unknown> } {
  const fmt = (v: number) => (Number.isFinite(v) ? String(+v.toFixed(4)) : v > 0 ? 'inf' : '-inf');
  const spec = t.spec;
  const robotJoints = spec.joints.map((j) => j.name);
  const missing = m.joints.filter((n) => !robotJoints.includes(n));
  const actJoints = m.action.joints ?? m.joints;
  const lines: string[] = [`check against ${t.label}:`];
  lines.push(`  base: ${t.fixedBase ? 'fixed' : 'floating'}; control ${m.control_hz} Hz policy, ${t.robotHz} Hz robot (${fmt(t.robotHz / m.control_hz)} steps per policy step)`);
  if (missing.length === 0) lines.push(`  joints: all ${m.joints.length} model joints found in the robot (${spec.joints.length} robot joints)`);
  else lines.push(`  joints: MISSING ${missing.join(', ')}; the robot's joints are ${robotJoints.join(', ')}`);
  // Which robot joint each missing one likely is goes on its difference line; an affix common to them, once here.
  const names = suggestJointNames(m.joints, robotJoints);
  const note = affixNote(names);
  if (note) lines.push(`  joints: ${note}`);
  lines.push(`  action joints (${m.action.type}): ${actJoints.join(', ')}`);
  const position = m.action.type === 'joint_position' || m.action.type === 'joint_position_abs';
  const rows = m.joints.map((n, i) => {
    const j = spec.joints.find((x) => x.name === n);
    if (!j) return { joint: n, found: false };
    const a = actJoints.indexOf(n);
    const def = m.default_joint_pos?.[i] ?? j.defaultPosition;
    // A model joint outside the action is held at its default pose, with pd.held's gains where given.
    const held = a < 0 ? m.pd?.held?.[n] : undefined;
    const kp = a >= 0 ? (m.pd?.kp[a] ?? j.kp) : (held?.kp ?? null);
    const kd = a >= 0 ? (m.pd?.kd[a] ?? j.kd) : (held?.kd ?? null);
    const file = t.fileLimits?.get(n);
    return { joint: n, found: true, lower: j.lower, upper: j.upper, effort_limit: j.effortLimit, velocity_limit: j.velocityLimit, ...(file ? { urdf_effort_limit: file.effort, urdf_velocity_limit: file.velocity } : {}), default: def, default_within_limits: def >= j.lower && def <= j.upper, kp, kd, ...(held ? { held: true } : {}) };
  });
  lines.push('  limits, default pose and gains (model order):');
  for (const r of rows) {
    if (!('default' in r)) continue;
    const gains = r.kp === null ? '' : `, kp ${fmt(r.kp!)} kd ${fmt(r.kd!)}${r.held ? ' (held, pd.held)' : ''}${position && !(r.kp! > 0) ? ' (NO POSITION GAIN)' : ''}`;
    // The limits the run applies; the URDF's beside them where the manifest's actuators replace them.
    const lim = (v: number, f: number | undefined) => `${fmt(v)}${f !== undefined && f !== v ? ` (manifest; URDF ${fmt(f)})` : ''}`;
    lines.push(`    ${r.joint}: [${fmt(r.lower!)}, ${fmt(r.upper!)}] effort ${lim(r.effort_limit!, r.urdf_effort_limit)} velocity ${lim(r.velocity_limit!, r.urdf_velocity_limit)}, default ${fmt(r.default!)}${r.default_within_limits ? '' : ' (OUTSIDE THE LIMITS)'}${gains}`);
  }
  const noPd = t.source === 'urdf' ? `axon's default rule (${DEFAULT_GAINS_RULE})` : t.source === 'mjcf' ? `the model's position actuators, else axon's default rule (${DEFAULT_GAINS_RULE})` : "the robot's defaults";
  if (position) lines.push(`  PD gains for position actions: ${m.pd ? 'from the manifest (pd)' : noPd}`);
  // A term with its own link (not imu_link) is read there, not on the IMU: said on its own line.
  const own = (x: (typeof m.observation.terms)[number]) => x.link !== undefined && x.link !== m.imu_link;
  const readByImu = m.observation.terms.filter((x) => imuTerms.has(x.term) && !own(x)).map((x) => x.term);
  const imuLine = t.imu === null ? 'none' : t.imu.link === null ? `yes (${t.imu.why})` : `${t.imu.link} (${t.imu.why})`;
  lines.push(`  IMU link: ${imuLine}${readByImu.length > 0 ? ` — read by ${readByImu.join(', ')}` : ''}`);
  for (const x of m.observation.terms) if (imuTerms.has(x.term) && own(x)) lines.push(`  ${x.term} read in link ${x.link} (the term's link), not on the IMU`);
  const bad = new Map(issues.filter((x) => x.where.startsWith('/observation/terms/')).map((x) => [Number(x.where.split('/')[3]), x.robot]));
  const termRows = m.observation.terms.map((x, i) => ({ term: x.term, provided: !bad.has(i), ...(bad.has(i) ? { lacks: bad.get(i) } : {}) }));
  lines.push(`  observation terms: ${termRows.map((r) => (r.provided ? r.term : `${r.term} (NOT PROVIDED: ${r.lacks})`)).join(', ')}`);
  const shape = (list: TensorIo[], name: string, where: string) => {
    const x = list.find((v) => v.name === name);
    return `${name} [${x ? x.shape.join(', ') : 'absent'}]${issues.some((i) => i.where === where) ? ' (MISMATCH)' : ''}`;
  };
  lines.push(`  sizes: observation ${observationSize(m)} -> onnx input ${shape(inputs, m.onnx.input, '/onnx/input')}; ${m.kind === 'policy' ? `action ${outputSize(m)}` : `next state ${observationSize(m)}`} <- onnx output ${shape(outputs, m.onnx.output, '/onnx/output')}`);
  for (const w of t.warnings) lines.push(`  warning: ${w}`);
  for (const x of issues) lines.push(`  difference: manifest.json#${x.where}: model ${x.model} | robot ${x.robot}`);
  const json = {
    robot: t.label,
    source: t.source,
    ok: issues.length === 0,
    fixed_base: t.fixedBase,
    robot_hz: t.robotHz,
    imu: t.imu,
    missing_joints: missing,
    joint_suggestions: Object.fromEntries([...names.suggestions].filter((e): e is [string, string] => e[1] !== null)),
    joint_name_affix: names.affix && { side: names.affix.side, text: names.affix.text, robot_adds: names.affix.robotAdds, count: names.affix.count, note },
    robot_joints: robotJoints,
    action_joints: actJoints,
    joints: rows,
    terms: termRows,
    warnings: t.warnings,
  };
  return { lines, json };
}
