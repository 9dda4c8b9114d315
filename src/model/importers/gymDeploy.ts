/**
 * A manifest from unitree_rl_gym's own deploy configs (deploy/deploy_mujoco/configs/*.yaml, read by
 * deploy_mujoco.py; deploy/deploy_real/configs/*.yaml, read by deploy_real.py). The file holds
 * numbers only; the scripts build the observation in code, for the G1, H1 and H1_2 alike:
 *
 *   obs = [ω·ang_vel_scale (3), gravity in the base frame (3), cmd·cmd_scale (3),
 *          (q − default_angles)·dof_pos_scale (n), q̇·dof_vel_scale (n), action (n),
 *          sin 2πφ, cos 2πφ]                                  num_obs = 9 + 3·num_actions + 2
 *   φ = (count·dt % 0.8) / 0.8, count·dt the time at the policy step (the first step reads one
 *       control period: the scripts advance before they read), 0.8 s a constant of the scripts
 *   target = action·action_scale + default_angles; τ = kps·(target − q) − kds·q̇
 *
 * deploy_mujoco: the policy period is simulation_dt · control_decimation, the joints are the MJCF's
 * (qpos[7:]) in order; `cmd_init` is the command it runs with. deploy_real: the period is
 * control_dt; the policy's joints go to motors leg_joint2motor_idx of the robot's SDK numbering
 * (the joints in order are a URDF's first num_actions, or those motors of a motor-order list); the
 * command is the remote's sticks (±1) × max_cmd, so max_cmd bounds it; the other motors
 * (arm_waist_joint2motor_idx) are held at arm_waist_target with arm_waist_kps/kds, which a manifest
 * does not carry (axon holds a robot's joints outside the model at their default pose with the
 * robot's gains: noted). Neither file names a joint: the caller gives a URDF (its actuated joints
 * in file order) or a list of names. Any other num_obs is another script's observation: refused,
 * naming what the size shows.
 */
import type { ModelManifest, ObservationTerm } from '../manifest.ts';
import { validateManifest } from '../manifest.ts';
import { ImportError, num, numList, type DeployImport, type DeployImportOptions, type Obj } from './common.ts';

/** Keys of unitree_rl_gym's deploy_mujoco and deploy_real configs that deploy_mujoco.py and deploy_real.py read alike. */
const GYM_DEPLOY_KEYS = ['policy_path', 'kps', 'kds', 'default_angles', 'ang_vel_scale', 'dof_pos_scale', 'dof_vel_scale', 'action_scale', 'cmd_scale', 'num_actions', 'num_obs'];
/** The scripts' gait cycle (s): `period = 0.8` in deploy_mujoco.py and deploy_real.py (and the training envs g1_env.py, h1_env.py, h1_2_env.py). */
export const GYM_GAIT_PERIOD_S = 0.8;
/** Keys the scripts read that a manifest has no place for, and why each is left. */
const IGNORED: Record<string, string> = {
  policy_path: 'the policy is the --onnx given',
  xml_path: "the robot is the one axon runs; the MJCF's joint order is the order given",
  simulation_duration: 'the run length is the command\'s --duration',
  msg_type: "the SDK's message type (read only to check leg_joint2motor_idx against a URDF: an \"hg\" robot's motors follow its URDF's order)",
  lowcmd_topic: "the SDK's DDS topic",
  lowstate_topic: "the SDK's DDS topic",
  weak_motor: "the SDK's motor mode",
};
const ARM_WAIST = ['arm_waist_joint2motor_idx', 'arm_waist_kps', 'arm_waist_kds', 'arm_waist_target'];

/** The file is one of unitree_rl_gym's deploy configs (and no deploy.yaml of unitree_rl_lab's). */
export function isGymDeploy(cfg: Obj): boolean {
  if ('joint_ids_map' in cfg || 'observations' in cfg || 'actions' in cfg) return false;
  return GYM_DEPLOY_KEYS.filter((k) => k in cfg).length >= 6;
}

function kindOf(cfg: Obj): { kind: string; script: string } {
  if ('xml_path' in cfg || 'simulation_dt' in cfg) return { kind: 'deploy_mujoco', script: 'deploy_mujoco.py' };
  if ('control_dt' in cfg || 'msg_type' in cfg) return { kind: 'deploy_real', script: 'deploy_real.py' };
  return { kind: 'deploy', script: 'its deploy script' };
}

/**
 * Throws, naming what num_obs shows, when the config's observation is not the one the scripts build
 * (9 + 3·num_actions + 2): it is then another script's, which the file does not describe. Call it
 * before asking for the joint order.
 */
export function checkGymDeployLayout(cfg: Obj, file: string): void {
  const { kind, script } = kindOf(cfg);
  const n = cfg.num_actions, obs = cfg.num_obs;
  const what = `is unitree_rl_gym's ${kind} config (policy_path, kps, default_angles, num_obs, ...)`;
  if (!Number.isInteger(n) || !((n as number) >= 1)) throw new ImportError(`${file}: num_actions`, `is ${JSON.stringify(n)}`, 'the policy\'s action count, a whole number >= 1');
  if (!Number.isInteger(obs)) throw new ImportError(`${file}: num_obs`, `is ${JSON.stringify(obs)}`, 'the policy\'s observation size, a whole number');
  const a = n as number, o = obs as number;
  if (o === 9 + 3 * a + 2) return;
  const stock = o === 12 + 3 * a;
  throw new ImportError(
    file,
    `${what}, and its num_obs ${o} is not the ${9 + 3 * a + 2} (= 9 + 3 × ${a} + 2) of the observation ${script} builds for ${a} actions${stock ? `: ${o} = 12 + 3 × ${a} is legged_gym's stock observation, which another script built` : ': another script built it, and the file does not describe it'}`,
    stock
      ? "for this policy, axon manifest from-legged-gym on its training config (legged_gym's class_to_dict of the env cfg) with --joints in the asset's DOF order"
      : `a manifest written by hand from that script's observation and joint order (docs/byom.md)`,
  );
}

const list = (cfg: Obj, key: string, n: number, file: string): number[] => numList(cfg[key], `${file}: ${key}`, n, 'one per action (num_actions)');

function scalar(cfg: Obj, key: string, file: string): number {
  if (!(key in cfg)) throw new ImportError(`${file}: ${key}`, 'is missing', 'a number');
  return num(cfg[key], `${file}: ${key}`);
}

/** Builds a manifest from a unitree_rl_gym deploy config (module doc). */
export function manifestFromGymDeploy(cfg: Obj, o: DeployImportOptions, file: string): DeployImport {
  checkGymDeployLayout(cfg, file);
  const { kind, script } = kindOf(cfg);
  const notes: string[] = [];
  const n = cfg.num_actions as number;

  // --- joints: the file's lists follow the policy's joint order, its MJCF's (qpos[7:]) ---
  // deploy_mujoco's MJCF has exactly the policy's joints, in the order its robot's URDF lists
  // them. deploy_real drives a robot with more motors: leg_joint2motor_idx sends action i to motor
  // idx[i] of the SDK numbering, which names the joints only against a motor-order list
  // (--sdk-joints); against a URDF the policy's joints are its first num_actions actuated joints
  // (unitree_rl_gym's robots list the legs first), since a URDF's file order is the motor order on
  // the G1 and H1_2 ("hg": idx 0..n-1) but not on the H1 ("go": idx [7, 3, 4, 5, 10, 8, 0, 1, 2, 11]).
  const named = o.sdkJoints.filter((j) => j !== '');
  const real = 'leg_joint2motor_idx' in cfg;
  const idx = real ? list(cfg, 'leg_joint2motor_idx', n, file) : undefined;
  let joints: string[];
  let jointOrder: string;
  if (idx !== undefined && !o.fromUrdf) {
    joints = idx.map((m, i) => {
      const w = `${file}: leg_joint2motor_idx[${i}]`;
      if (!Number.isInteger(m) || m < 0 || m >= o.sdkJoints.length) throw new ImportError(w, `is ${m}`, `a motor index 0..${o.sdkJoints.length - 1} of the ${o.sdkJoints.length} joints of ${o.sdkSource}`);
      if (o.sdkJoints[m] === '') throw new ImportError(w, `is motor ${m}, a slot ${o.sdkSource} gives no joint name`, 'a motor with a joint');
      return o.sdkJoints[m];
    });
    jointOrder = `motors leg_joint2motor_idx of the SDK order from ${o.sdkSource}`;
  } else if (idx !== undefined) {
    if (named.length < n) throw new ImportError(`${file}: num_actions`, `is ${n}, but ${o.sdkSource} has ${named.length} actuated joints`, `the robot the policy drives: its URDF lists the policy's ${n} joints first`);
    // An "hg" robot numbers its motors in URDF order: its indices must then be the first n.
    if (cfg.msg_type === 'hg' && idx.some((m, i) => m !== i))
      throw new ImportError(`${file}: leg_joint2motor_idx`, `is [${idx.join(', ')}] on an "hg" robot, whose motors follow its URDF's order, so the policy's joints are not ${o.sdkSource}'s first ${n}`, 'motor-order joint names with --sdk-joints');
    joints = named.slice(0, n);
    jointOrder = `the first ${n} actuated joints of ${o.sdkSource} in file order: the policy's order, legs first as unitree_rl_gym's robots list them`;
    if (named.length > n) notes.push(`${file}: the policy's ${n} joints are taken as ${o.sdkSource}'s first ${n} actuated joints (${joints.join(', ')}), as unitree_rl_gym's robots list the legs first; the others hold their default pose`);
  } else if (o.fromUrdf && named.length > n) {
    // deploy_mujoco against the robot's full URDF (G1: g1_29dof.urdf for the 12-joint policy of
    // g1_12dof.xml): its first n actuated joints are the MJCF's, as for deploy_real above.
    joints = named.slice(0, n);
    jointOrder = `the first ${n} actuated joints of ${o.sdkSource} in file order: ${script}'s MJCF (qpos[7:]), legs first as unitree_rl_gym's robots list them`;
    notes.push(`${file}: the policy's ${n} joints are taken as ${o.sdkSource}'s first ${n} actuated joints (${joints.join(', ')}), as unitree_rl_gym's robots list the legs first; the others hold their default pose`);
  } else {
    if (named.length !== n)
      throw new ImportError(`${file}: num_actions`, `is ${n}, but ${o.sdkSource} names ${named.length} joints`, `the ${n} joints ${script} drives, in the order of its MJCF (qpos[7:]): that robot's URDF (--urdf) or --sdk-joints`);
    joints = named;
    jointOrder = `${o.sdkSource}, as ${script}'s MJCF (qpos[7:])`;
  }
  const dup = joints.find((j, i) => joints.indexOf(j) !== i);
  if (dup !== undefined) throw new ImportError(`${file}: leg_joint2motor_idx`, `maps two actions to ${dup}`, 'each action to its own motor');

  // --- rate ---
  let controlHz: number;
  let decimation: number | undefined;
  if (kind === 'deploy_real' || 'control_dt' in cfg) {
    const dt = scalar(cfg, 'control_dt', file);
    if (!(dt > 0)) throw new ImportError(`${file}: control_dt`, `is ${dt}`, 'the policy period (s), > 0');
    controlHz = 1 / dt;
  } else {
    const dt = scalar(cfg, 'simulation_dt', file);
    const dec = scalar(cfg, 'control_decimation', file);
    if (!(dt > 0)) throw new ImportError(`${file}: simulation_dt`, `is ${dt}`, 'the physics step (s), > 0');
    if (!Number.isInteger(dec) || dec < 1) throw new ImportError(`${file}: control_decimation`, `is ${dec}`, 'a whole number >= 1');
    controlHz = 1 / (dt * dec);
    decimation = dec;
  }
  controlHz = Number(controlHz.toPrecision(12));

  // --- observation, as the scripts build it ---
  const cmdScale = list(cfg, 'cmd_scale', 3, file);
  const terms: ObservationTerm[] = [
    { term: 'base_ang_vel', scale: scalar(cfg, 'ang_vel_scale', file) },
    { term: 'projected_gravity' },
    { term: 'velocity_commands', scale: cmdScale },
    { term: 'joint_pos_rel', scale: scalar(cfg, 'dof_pos_scale', file) },
    { term: 'joint_vel', scale: scalar(cfg, 'dof_vel_scale', file) },
    { term: 'last_action' },
    { term: 'gait_phase', period: GYM_GAIT_PERIOD_S },
  ];

  // --- commands ---
  let commandRanges: ModelManifest['command_ranges'];
  if ('max_cmd' in cfg) {
    const [x, y, z] = list(cfg, 'max_cmd', 3, file).map(Math.abs);
    commandRanges = { lin_vel_x: [-x, x], lin_vel_y: [-y, y], ang_vel_z: [-z, z] };
  }
  if ('cmd_init' in cfg) {
    const c = Array.isArray(cfg.cmd_init) ? cfg.cmd_init.join(',') : JSON.stringify(cfg.cmd_init);
    notes.push(`${file}: cmd_init: ${script} runs with this command: give it with --command ${c}`);
  }

  // --- where the IMU terms are read: deploy_real.py's transform_imu_data turns a torso IMU's reading into the pelvis frame ---
  let imuLink: string | undefined;
  if (cfg.imu_type === 'torso' && o.torsoImu !== undefined) {
    imuLink = o.torsoImu.link;
    terms[0].link = o.torsoImu.root;
    terms[1].link = o.torsoImu.root;
    notes.push(`${file}: imu_type: torso: imu_link "${o.torsoImu.link}" (the URDF's imu* link behind ${o.torsoImu.behind}) and base_ang_vel, projected_gravity read in "${o.torsoImu.root}" (its root), as ${script}'s transform_imu_data turns the torso IMU's reading into the pelvis frame; a bridge client derives it with --urdf FILE (docs/byom.md)`);
  } else if (cfg.imu_type === 'torso')
    notes.push(`${file}: imu_type: torso: not mapped (${script} turns a torso IMU's reading into the pelvis frame; with --urdf naming the torso's imu* link, the manifest would say imu_link and read both IMU terms in the root: here they read the IMU at the robot's imu link)`);
  else if ('imu_type' in cfg) notes.push(`${file}: imu_type: ignored (${JSON.stringify(cfg.imu_type)}: the IMU terms read the robot's IMU, on the pelvis)`);

  // --- what a manifest does not carry ---
  for (const [k, why] of Object.entries(IGNORED)) if (k in cfg) notes.push(`${file}: ${k}: ignored (${why})`);
  const armWaist = ARM_WAIST.filter((k) => k in cfg);
  if (armWaist.length > 0)
    notes.push(`${file}: ${armWaist.join(', ')}: not carried (${script} holds these motors at arm_waist_target with their own gains; axon holds a robot's joints outside the model at the robot's default pose with its gains)`);
  const known = new Set([...GYM_DEPLOY_KEYS, ...Object.keys(IGNORED), ...ARM_WAIST, 'imu_type', 'leg_joint2motor_idx', 'control_dt', 'simulation_dt', 'control_decimation', 'max_cmd', 'cmd_init']);
  for (const k of Object.keys(cfg)) if (!known.has(k)) notes.push(`${file}: ${k}: ignored`);

  const manifest = validateManifest(
    {
      schema: 'axon.model/1',
      name: o.name,
      kind: 'policy',
      robot: o.robot,
      joints,
      default_joint_pos: list(cfg, 'default_angles', n, file),
      control_hz: controlHz,
      ...(decimation !== undefined ? { decimation } : {}),
      onnx: o.onnx,
      ...(imuLink !== undefined ? { imu_link: imuLink } : {}),
      observation: { terms },
      action: { type: 'joint_position', scale: scalar(cfg, 'action_scale', file) },
      pd: { kp: list(cfg, 'kps', n, file), kd: list(cfg, 'kds', n, file) },
      ...(commandRanges ? { command_ranges: commandRanges } : {}),
      provenance: {
        command: `axon manifest from-deploy ${file}`,
        joint_order: jointOrder,
        observation: `${script}'s, built in code: [ω·ang_vel_scale, gravity, cmd·cmd_scale, (q − default)·dof_pos_scale, q̇·dof_vel_scale, action, sin, cos of a ${GYM_GAIT_PERIOD_S} s gait phase]`,
      },
    },
    `manifest (from ${file})`,
  );
  return { manifest, notes, jointOrder };
}
