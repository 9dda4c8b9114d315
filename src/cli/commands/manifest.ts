import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { parseUrdf } from '../../../sim/urdf/parseUrdf.ts';
import { UsageError } from '../../core/errors.ts';
import { checkInputFile, checkOutputDir, checkOutputFile } from '../preflight.ts';
import { nameList } from './nameList.ts';
import { copyOnnxWithExternalData, onnxExternalDataFiles } from '../../model/onnxExternalData.ts';
import { ORT_LOG_SEVERITY } from '../../policy/OnnxPolicy.ts';
import { ImportError, isObj } from '../../model/importers/common.ts';
import { manifestFromDeploy, parseDeployYaml, refuseBoosterDeploy } from '../../model/importers/deploy.ts';
import { checkGymDeployLayout, isGymDeploy } from '../../model/importers/gymDeploy.ts';
import { parsePythonYaml } from '../../model/importers/pythonYaml.ts';
import { unwrapWandbConfig } from '../../model/importers/wandbConfig.ts';
import { checkTensorIo, recurrentStates } from '../../model/onnxIo.ts';
import { readOnnxMetadata } from '../../model/onnxMetadata.ts';
import { isMjlabMetadata } from '../../model/importers/mjlab.ts';
import { actionSize, imuTerms, observationSize, validateManifest } from '../../model/manifest.ts';
import { isaacLabOrderWarning } from '../isaacLabUrdfChecks.ts';
import { manifestFromIsaacLab } from '../../model/importers/isaaclab.ts';
import { manifestFromLeggedGym } from '../../model/importers/leggedGym.ts';
import type { ModelManifest } from '../../model/manifest.ts';
import { makeDirs } from '../../core/makeDirs.ts';

/**
 * A pipeline's config file (YAML as PyYAML dumps it, Python tags tolerated, or JSON; a Weights &
 * Biases run config is read as the env config it wraps); its notes are printed before the manifest.
 */
function readConfig(file: string, notes: string[]): Record<string, unknown> {
  checkInputFile(file, '<config>', 'a config file (YAML or JSON)');
  // The config classes themselves (legged_gym's h1_config.py, an Isaac Lab env_cfg.py) are code that
  // inherits from base classes: their values are known only once Python runs them, which axon does not.
  if (/\.py$/i.test(file))
    throw new ImportError(
      basename(file),
      "is Python source (config classes, whose values come from the base classes they inherit and exist only once Python runs them): axon reads a config as data and does not run Python",
      "the config as the training run dumped it: Isaac Lab's logs/.../params/env.yaml, or legged_gym's class_to_dict(env_cfg) written as JSON or YAML (a Weights & Biases run's config.yaml holds it)",
    );
  const { cfg, notes: yamlNotes } = parsePythonYaml(readFileSync(file, 'utf8'), basename(file), 'a mapping at the top'); // YAML is a superset of JSON
  notes.push(...yamlNotes);
  return unwrapWandbConfig(cfg, basename(file), notes);
}

/** `--joints` of from-isaaclab / from-legged-gym: one name per joint (a copy-paste slip named here, not as the config's error). */
const joints = (v: string) => {
  const names = nameList(v, '--joints').filter(Boolean);
  // An empty list (`--joints ''`, a shell variable that was not set) is named here, not met later as a config field it made look missing.
  if (names.length === 0) throw new UsageError('--joints', 'names no joint', "joint names in the articulation's (DOF) order, comma-separated or as Python prints a list (['a', 'b'])");
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new UsageError('--joints', `names "${dup}" twice`, "each joint once, in the articulation's (DOF) order");
  return names;
};
/**
 * SDK (motor) slots: an empty entry is a slot without a joint (Isaac Lab's joint_sdk_names writes
 * '' for motors a model variant does not have), kept so that the motor indices after it hold.
 */
const sdkSlots = (v: string) => {
  const slots = nameList(v, '--sdk-joints');
  if (slots.length > 1 && slots[slots.length - 1] === '') slots.pop(); // a trailing comma
  return slots;
};

function emit(m: ModelManifest, out: string | undefined, notes: readonly string[]): void {
  // On stderr: stdout may be the manifest itself.
  for (const n of notes) console.error(`not mapped: ${n}`);
  const text = JSON.stringify(m, null, 2) + '\n';
  if (out) {
    makeDirs(dirname(resolve(out)));
    writeFileSync(out, text);
    console.log(`wrote ${out}: ${m.joints.length} joints, ${m.observation.terms.length} observation terms, ${m.control_hz} Hz; put it beside the ONNX file and check it with axon inspect`);
  } else process.stdout.write(text);
}

/** `--out FILE` of from-isaaclab and from-legged-gym, checked before the config is read; its folder is made now when missing. */
function checkManifestOut(out: string | undefined): void {
  if (out === undefined) return;
  // A model folder given for the file (as from-deploy takes one): refused, naming the flag, rather than EISDIR.
  if (existsSync(out) && statSync(out).isDirectory())
    throw new UsageError('--out', `is ${out}, a folder`, `the manifest's file path, e.g. ${join(out, 'manifest.json')} (beside the policy's ONNX file)`);
  checkOutputFile(out, '--out', "the manifest's file path");
}

export function manifestCommand() {
  const cmd = new Command('manifest').description('Write a model manifest from a training pipeline\'s own config files.');
  cmd
    .command('from-isaaclab')
    .description('From an Isaac Lab run\'s params/env.yaml (observation terms, scales, clip, history, action, default pose, rates).')
    .argument('<config>', 'params/env.yaml of the run')
    .requiredOption('--joints <names>', 'joint names in the articulation\'s order, comma-separated or as Python prints env.scene["robot"].joint_names ([\'a\', \'b\', ...])', joints)
    .option('--name <name>', 'model name', 'isaaclab-policy')
    .option('--robot <name>', 'robot the policy is for (default: the --urdf robot\'s name, else "unknown")')
    .option('--urdf <file>', "the robot's URDF: --joints checked against its joints (and a warning when they are in its file order, not Isaac Lab's), imu_link set to its root link (Isaac Lab's base_ang_vel and projected_gravity read the root), and its velocity limits for the joints of an actuator group without velocity_limit_sim when others have one")
    .option('--onnx <file>', 'ONNX file name in the model folder', 'policy.onnx')
    .option('--out <file>', 'write the manifest here (default: stdout)')
    .exitOverride()
    .action((file, o) => {
      checkManifestOut(o.out);
      const urdf = o.urdf === undefined ? undefined : urdfForIsaacLab(o.urdf, o.joints);
      const notes: string[] = [];
      // A group's null velocity_limit_sim was the USD's, which Isaac Lab's URDF importer writes from <limit velocity>.
      const urdfVelocityLimits = urdf && new Map(urdf.joints.filter((j) => j.type !== 'fixed' && Number.isFinite(j.velocity) && j.velocity > 0).map((j) => [j.name, j.velocity]));
      let m = manifestFromIsaacLab(readConfig(file, notes), { joints: o.joints, name: o.name, robot: o.robot ?? urdf?.name ?? 'unknown', onnx: { file: o.onnx, input: 'obs', output: 'actions' }, notes, ...(urdfVelocityLimits ? { urdfVelocityLimits } : {}) }, basename(file));
      // Isaac Lab reads base_ang_vel and projected_gravity in the root link (root_ang_vel_b,
      // projected_gravity_b): without this a URDF whose imu* link sits behind a joint (an H1's
      // torso IMU) would have them read there (R21 F7).
      if (urdf && m.imu_link === undefined && m.observation.terms.some((t) => imuTerms.has(t.term))) m = { ...m, imu_link: urdf.root };
      const order = urdf && isaacLabOrderWarning(m, urdf);
      emit(m, o.out, notes);
      if (order) console.error(`warning: ${order}`);
    });
  cmd
    .command('from-legged-gym')
    .description('From a legged_gym config dumped with class_to_dict (JSON or YAML).')
    .argument('<config>', 'the dumped env config')
    .requiredOption('--joints <names>', 'joint names in the asset\'s DOF order, comma-separated or as Python prints gym.get_asset_dof_names ([\'a\', \'b\', ...]; the order of default_joint_angles is not it)', joints)
    .option('--name <name>', 'model name', 'legged-gym-policy')
    .option('--robot <name>', 'robot the policy is for', 'unknown')
    .option('--onnx <file>', 'ONNX file name in the model folder', 'policy.onnx')
    .option('--out <file>', 'write the manifest here (default: stdout)')
    .exitOverride()
    .action((file, o) => {
      checkManifestOut(o.out);
      const notes: string[] = [];
      const m = manifestFromLeggedGym(readConfig(file, notes), { joints: o.joints, name: o.name, robot: o.robot, onnx: { file: o.onnx, input: 'obs', output: 'actions' }, notes }, basename(file));
      emit(m, o.out, notes);
    });
  cmd
    .command('from-deploy')
    .description("From the deploy.yaml a training pipeline (unitree_rl_lab) writes beside policy.onnx (or unitree_rl_mjlab ships by hand), or unitree_rl_gym's deploy_mujoco / deploy_real config (G1, H1, H1_2): writes DIR/manifest.json and a copy of the ONNX file.")
    .argument('<deploy>', "params/deploy.yaml of the run, or unitree_rl_gym's deploy/deploy_mujoco|deploy_real/configs/ROBOT.yaml")
    .requiredOption('--onnx <file>', "the exported policy (exported/policy.onnx); an mjlab export's metadata_props (unitree_rl_mjlab) give the gait clock's standing gate and are compared with the deploy file")
    .requiredOption('--out <dir>', 'model folder to write (manifest.json + the ONNX copy)')
    .option('--urdf <file>', "the vendor URDF: the model's joint order is checked against its tree, and without --sdk-joints or an env.yaml its actuated joints in file order are taken as the SDK (motor) order")
    .option('--sdk-joints <names>', "joint names in the SDK (motor) order, comma-separated or as Python prints a list (['a', 'b']); an empty entry (a,,b or '') is a motor slot without a joint", sdkSlots)
    .option('--env <file>', "the run's params/env.yaml (unitree_rl_lab): its scene.robot.joint_sdk_names is the SDK (motor) order; read without the flag when an env.yaml sits beside the deploy.yaml")
    .option('--name <name>', 'model name (default: the folder name)')
    .option('--robot <name>', 'robot the policy is for (default: the URDF\'s robot name)')
    .option('--armature <kg·m²>', "the training's joint armature (Isaac Lab actuator cfg; deploy.yaml does not carry it), one value for every joint: written as actuators.armature", (v: string) => {
      const x = Number(v);
      if (v.trim() === '' || !(x >= 0) || !Number.isFinite(x)) throw new InvalidArgumentError(`--armature must be a finite number >= 0 (kg·m²), got "${v}"`);
      return x;
    })
    .exitOverride()
    .action((file, o) => fromDeploy(file, o));
  return cmd;
}

/**
 * from-isaaclab's `--urdf`: the URDF (joint names only; meshes are not resolved), every `--joints`
 * name one of its moving joints (else a usage error naming the joint and the URDF's).
 */
function urdfForIsaacLab(file: string, joints: readonly string[]): ReturnType<typeof parseUrdf> {
  checkInputFile(file, '--urdf', 'a URDF file');
  const model = parseUrdf(readFileSync(file, 'utf8'), { source: file });
  const moving = model.joints.filter((j) => j.type !== 'fixed').map((j) => j.name);
  const missing = joints.filter((n) => !moving.includes(n));
  if (missing.length > 0)
    throw new UsageError('--joints', `names ${missing.map((n) => `"${n}"`).join(', ')}, not a moving joint of ${basename(file)}`, `the articulation's joint names (env.scene["robot"].joint_names); ${basename(file)}'s are ${moving.join(', ')}`);
  return model;
}

/**
 * A URDF's first link named imu* (the rule of src/cli/commands/inspect.ts urdfImuLink) that sits
 * behind a moving joint, with the nearest such joint up its chain, and the root: a torso IMU behind
 * the waist (unitree_rl_gym's deploy_real `imu_type: torso`). Undefined when every imu* link is
 * fixed to the root.
 */
function imuBehindJoint(model: ReturnType<typeof parseUrdf>): { link: string; root: string; behind: string } | undefined {
  for (const l of model.links) {
    if (!/^imu|(^|[_\-.])imu([_\-.]|$)/i.test(l.name)) continue;
    for (let j = model.parentJoint.get(l.name); j !== undefined; j = model.parentJoint.get(j.parent))
      if (j.type !== 'fixed') return { link: l.name, root: model.root, behind: j.name };
  }
  return undefined;
}

/** A URDF's joint names, read for from-deploy (joint names only: meshes are not resolved, so a URDF copied without its meshes still names its joints). */
function deployUrdf(file: string): ReturnType<typeof parseUrdf> {
  if (!existsSync(file)) throw new UsageError('--urdf', `no such file ${file}`);
  const model = parseUrdf(readFileSync(file, 'utf8'), { source: file });
  if (!model.joints.some((j) => j.type !== 'fixed')) throw new UsageError('--urdf', `${file} has no revolute, prismatic or continuous joint`);
  return model;
}

/** The SDK slots a list names, checked: one name per slot, '' for a slot without a joint. */
function checkSlots(slots: readonly string[], flag: string, where: string): void {
  if (slots.every((n) => n === '')) throw new UsageError(flag, `${where} names no joint`, 'joint names in the SDK (motor) order');
  const dup = slots.find((n, i) => n !== '' && slots.indexOf(n) !== i);
  if (dup !== undefined) throw new UsageError(flag, `${where} names "${dup}" twice`, 'each joint once, in the SDK (motor) order');
}

/**
 * unitree_rl_lab's robot cfg (UnitreeArticulationCfg) carries the motor order as
 * `joint_sdk_names`, and its training dumps it into params/env.yaml beside deploy.yaml
 * (scene.robot.joint_sdk_names, '' for a motor slot without a joint). Undefined when the file
 * holds none (a plain Isaac Lab robot cfg); `explicit` (--env) makes that an error.
 */
function envSdkJoints(file: string, explicit: boolean): string[] | undefined {
  const { cfg } = parsePythonYaml(readFileSync(file, 'utf8'), basename(file), 'an Isaac Lab env.yaml mapping (scene, observations, actions, ...)');
  const scene = cfg.scene, robot = isObj(scene) ? scene.robot : undefined;
  const names = isObj(robot) ? robot.joint_sdk_names : undefined;
  if (names === undefined || names === null) {
    if (explicit) throw new UsageError('--env', `${file} has no scene.robot.joint_sdk_names`, "the run's params/env.yaml from unitree_rl_lab (its robot cfg's joint_sdk_names), or --sdk-joints in the motor order");
    return undefined;
  }
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))
    throw new ImportError(`${basename(file)}: scene.robot.joint_sdk_names`, `is ${JSON.stringify(names).slice(0, 200)}`, "a list of joint names in the SDK (motor) order ('' for a slot without a joint)");
  checkSlots(names as string[], explicit ? '--env' : '<deploy>', `${file}'s scene.robot.joint_sdk_names`);
  return names as string[];
}

/**
 * The SDK (motor) order, in order of precedence: --sdk-joints; the run's env.yaml
 * (scene.robot.joint_sdk_names: --env, else params/env.yaml beside a unitree_rl_lab deploy.yaml);
 * a URDF's non-fixed joints in document order. The URDF, when given, is also returned for the
 * articulation-order check (checkArticulationOrder), the robot's name and a torso IMU.
 */
function sdkJoints(o: { urdf?: string; sdkJoints?: string[]; env?: string }, deployFile: string, gym: boolean): { names: string[]; source: string; fromUrdf: boolean; line?: string; urdf?: ReturnType<typeof parseUrdf>; robot?: string; note?: string; torsoImu?: { link: string; root: string; behind: string } } {
  if (o.env !== undefined && gym) throw new UsageError('--env', `is given for ${basename(deployFile)}, a unitree_rl_gym deploy config`, "no --env: its joints are the URDF's first num_actions or --sdk-joints");
  if (o.env !== undefined) checkInputFile(o.env, '--env', "the run's params/env.yaml");
  const model = o.urdf === undefined ? undefined : deployUrdf(o.urdf);
  const torsoImu = model && imuBehindJoint(model);
  const fromModel = { ...(model ? { urdf: model, robot: model.name } : {}), ...(torsoImu ? { torsoImu } : {}) };
  if (o.sdkJoints !== undefined) {
    checkSlots(o.sdkJoints, '--sdk-joints', 'it');
    return { names: o.sdkJoints, source: '--sdk-joints', fromUrdf: false, ...fromModel };
  }
  const beside = join(dirname(deployFile), 'env.yaml');
  const envFile = o.env ?? (!gym && existsSync(beside) ? beside : undefined);
  const fromEnv = envFile === undefined ? undefined : envSdkJoints(envFile, o.env !== undefined);
  if (fromEnv && envFile) {
    const source = `${basename(envFile)} scene.robot.joint_sdk_names`;
    return { names: fromEnv, source, fromUrdf: false, line: `SDK (motor) order from ${envFile} scene.robot.joint_sdk_names (${fromEnv.length} slots), as unitree_rl_lab's exporter built joint_ids_map from it${o.urdf ? `; --urdf ${basename(o.urdf)}'s file order is not used` : ''}`, ...fromModel };
  }
  if (model === undefined || o.urdf === undefined)
    throw new UsageError('--urdf', 'or --sdk-joints is required: the deploy file holds no joint names', "the robot's motor order: --sdk-joints a,b,..., --env params/env.yaml (unitree_rl_lab's scene.robot.joint_sdk_names), or the vendor URDF whose actuated joints are in SDK order");
  const names = model.joints.filter((j) => j.type !== 'fixed').map((j) => j.name);
  const tree = model.treeOrder.filter((j) => j.type !== 'fixed').map((j) => j.name);
  const source = `--urdf ${basename(o.urdf)}`;
  // Vendors that write deploy.yaml list joints in motor order; a file written leaf first (SO-101's lists the gripper first) may not be.
  const note = tree.some((n, i) => n !== names[i])
    ? `${source}: the SDK (motor) order is taken as the file's joint order (${names.join(', ')}), which is not its tree order (${tree.join(', ')}); if the robot numbers its motors otherwise, pass --sdk-joints in motor order`
    : undefined;
  return { names, source, fromUrdf: true, ...(note ? { note } : {}), ...fromModel };
}

/**
 * The model (articulation) order checked against the URDF's tree: Isaac Lab's joints are PhysX's
 * articulation order, and MuJoCo's and Isaac Gym's are their body order, all of which list a
 * joint after its parent joint (the nearest moving joint up its chain that the model has). A joint
 * listed before its parent means the SDK order the joints were looked up in is not the robot's
 * motor order (a URDF whose file order is not it): refused, naming the first such pair.
 * Breadth-first against depth-first is not checked (src/cli/isaacLabUrdfChecks.ts: BFS is only an
 * estimate of PhysX's order).
 */
function checkArticulationOrder(joints: readonly string[], model: ReturnType<typeof parseUrdf>, urdfFile: string, source: string, deployFile: string): void {
  const at = new Map(joints.map((j, i) => [j, i]));
  const missing = joints.filter((j) => (model.jointByName.get(j)?.type ?? 'fixed') === 'fixed');
  if (missing.length > 0)
    throw new UsageError('--urdf', `${basename(urdfFile)} has no moving joint ${missing.map((n) => `"${n}"`).join(', ')}, which the model order (${source} by joint_ids_map) names`, `the URDF of the robot ${source} describes`);
  for (const [i, name] of joints.entries()) {
    for (let j = model.parentJoint.get(model.jointByName.get(name)!.parent); j !== undefined; j = model.parentJoint.get(j.parent)) {
      const k = at.get(j.name);
      if (j.type === 'fixed' || k === undefined) continue;
      if (k > i)
        throw new ImportError(
          `${deployFile}: joint_ids_map`,
          `with the SDK (motor) order from ${source} gives a model order with ${name} (model joint ${i}) before its parent joint ${j.name} (model joint ${k}) in ${basename(urdfFile)}'s tree; an Isaac Lab (PhysX) articulation lists every joint after its parent, so that is not the robot's motor order and every joint would get another's default pose, gains and action`,
          "the motor order: --sdk-joints a,b,... or --env params/env.yaml (unitree_rl_lab's scene.robot.joint_sdk_names)",
        );
      break;
    }
  }
}

async function fromDeploy(file: string, o: { onnx: string; out: string; urdf?: string; sdkJoints?: string[]; env?: string; name?: string; robot?: string; armature?: number }): Promise<void> {
  checkInputFile(file, '<deploy>', 'a deploy.yaml file');
  checkInputFile(o.onnx, '--onnx', 'an ONNX file');
  // Before the work: a file where the model folder goes, or a folder that cannot be made, names --out (not EEXIST, exit 1).
  checkOutputDir(o.out, '--out', { keep: false, expected: 'a model folder to write (made if missing)' });
  const { cfg, notes: yamlNotes } = parseDeployYaml(readFileSync(file, 'utf8'), basename(file));
  // Before asking for the joint order: a unitree_rl_gym config whose observation no script of that
  // repository builds is named as such, whatever the flags.
  const gym = isGymDeploy(cfg);
  if (gym) checkGymDeployLayout(cfg, basename(file));
  else refuseBoosterDeploy(cfg, basename(file));
  const sdk = sdkJoints(o, file, gym);
  // Tensors the file keeps beside it (torch.onnx.export's policy.onnx.data): checked now, copied with it.
  const external = onnxExternalDataFiles(o.onnx);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(o.onnx, { logSeverityLevel: ORT_LOG_SEVERITY });
  } catch (e) {
    throw new UsageError('--onnx', `${o.onnx} cannot be loaded by onnxruntime (${(e as Error).message.split('\n')[0]})`, 'an ONNX model');
  }
  try {
    const onnxFile = basename(o.onnx);
    const recurrent = recurrentStates(session, o.onnx, '--onnx');
    // An mjlab export describes itself (unitree_rl_mjlab's runner): its metadata says which controller reads the deploy file.
    const metadata = readOnnxMetadata(o.onnx);
    const { manifest: imported, notes, jointOrder, differences } = manifestFromDeploy(
      cfg,
      {
        sdkJoints: sdk.names,
        sdkSource: sdk.source,
        fromUrdf: sdk.fromUrdf,
        ...(sdk.torsoImu ? { torsoImu: sdk.torsoImu } : {}),
        name: o.name ?? basename(resolve(o.out)),
        robot: o.robot ?? sdk.robot ?? 'unknown',
        onnx: { file: onnxFile, input: session.inputNames[0], output: session.outputNames[0] },
        ...(isMjlabMetadata(metadata) ? { mjlabMetadata: metadata } : {}),
      },
      basename(file),
    );
    const manifest =
      o.armature === undefined && recurrent.length === 0
        ? imported
        : validateManifest(
            { ...imported, ...(o.armature !== undefined ? { actuators: { ...imported.actuators, armature: o.armature } } : {}), ...(recurrent.length > 0 ? { recurrent } : {}) },
            `manifest (from ${basename(file)})`,
          );
    if (sdk.urdf && o.urdf !== undefined) checkArticulationOrder(manifest.joints, sdk.urdf, o.urdf, sdk.source, basename(file));
    if (sdk.line) console.log(`note: ${sdk.line}`);
    if (recurrent.length > 0)
      console.log(`recurrent: ${recurrent.map((r) => `${r.input} -> ${r.output} [${r.shape.join(', ')}]`).join(', ')} (${onnxFile}'s inputs after the observation, fed from its outputs after the action in order, as rsl_rl exports an LSTM or GRU policy; zeros at each episode start)`);
    if (o.armature === undefined && imported.actuators?.armature === undefined)
      notes.push(`${basename(file)}: no armature (the file does not carry it): if the training set one (Isaac Lab's actuator cfg \`armature\`, legged_gym's asset \`armature\`), pass --armature or set actuators.armature; light links need it to be simulated at the trained rate`);
    // Before the tensor checks: what was not mapped often explains a size that does not match.
    if (sdk.note) console.log(`note: ${sdk.note}`);
    for (const n of [...yamlNotes, ...notes]) console.log(`not mapped: ${n}`);
    for (const d of differences ?? []) console.log(`warning: ${d}`);
    checkTensorIo(session, 'input', 'input', manifest.onnx.input, observationSize(manifest), onnxFile);
    checkTensorIo(session, 'output', 'output', manifest.onnx.output, actionSize(manifest), onnxFile);
    makeDirs(o.out);
    const target = copyOnnxWithExternalData(o.onnx, o.out, external);
    writeFileSync(join(o.out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    const sidecars = external.length > 0 ? ` (with its external data ${external.map((f) => join(o.out, f.location)).join(', ')})` : '';
    console.log(
      `wrote ${join(o.out, 'manifest.json')} and ${target}${sidecars}: ${manifest.joints.length} joints (model order: ${jointOrder}), ` +
        `${manifest.observation.terms.length} observation terms (${observationSize(manifest)} values), ${manifest.control_hz} Hz; check it with axon inspect ${o.out}`,
    );
  } finally {
    await session.release();
  }
}
