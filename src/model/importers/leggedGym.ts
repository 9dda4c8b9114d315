/**
 * A manifest from a legged_gym config, dumped as JSON or YAML with legged_gym's own
 * `class_to_dict(env_cfg)`. legged_gym's observation is fixed in code (LeggedRobot.compute_observations):
 *   base_lin_vel·lin_vel, base_ang_vel·ang_vel, projected_gravity, commands[:3]·(lin_vel, lin_vel, ang_vel),
 *   (dof_pos − default)·dof_pos, dof_vel·dof_vel, actions — clipped at clip_observations.
 * Fields read: normalization.obs_scales.{lin_vel, ang_vel, dof_pos, dof_vel},
 *   normalization.clip_observations, normalization.clip_actions, control.action_scale,
 *   control.decimation, control.control_type (must be "P": position targets),
 *   control.stiffness, control.damping (per joint, as LeggedRobot._init_buffers: the LAST key that
 *   is a substring of the joint's name wins, and damping is read under that same key),
 *   init_state.default_joint_angles, sim.dt,
 *   env.num_observations (or a fork's num_obs; checked against the fixed layout: a fork that builds
 *   its own observation is refused, not misread),
 *   terrain.measure_heights with terrain.measured_points_{x,y}: legged_gym then appends a height scan,
 *   which axon robots do not provide, and num_observations counts it (235 = 48 + 17 × 11 for
 *   legged_gym's A1 and Anymal): refused. unitree_rl_gym leaves measure_heights true in its base
 *   config, but its compute_observations appends no scan and its num_observations is the blind size
 *   (48 for 12 joints): accepted, with a note. True with no num_observations to tell: refused.
 *   commands.ranges.{lin_vel_x, lin_vel_y, ang_vel_yaw} -> command_ranges,
 *   asset.armature -> actuators.armature (legged_gym passes it to Isaac Gym's AssetOptions.armature,
 *   every DOF's; 0 is written too: the training had none), asset.fix_base_link true -> fixed_base
 *   (false writes nothing: a floating base, axon's default for a URDF whose root is not "world").
 * control.use_actuator_network (legged_gym's Anymal: an actuator net, not PD) is noted: the pd
 * written is then not the training's.
 * Other keys under control and normalization (a fork's per-joint action bounds, say) are not
 * read and are listed in `notes`; so is commands.heading_command (axon commands a yaw rate).
 * The other asset keys (file, name, contact bodies, density, body damping, ...) and the sections
 * noise, domain_rand, rewards, viewer and sim.physx are not read, and not listed one by one.
 * base_lin_vel gets point "com": legged_gym reads root_states[:, 7:10], Isaac Gym's root state,
 *   whose velocity PhysX gives at the root body's centre of mass (PxArticulationRootLinkData: "with
 *   respect to the center of mass (COM) of the root link"; docs/byom.md). The root body is the root
 *   link with the links fixed to it (asset.collapse_fixed_joints, true by default); a config that
 *   turns that off is noted.
 * A humanoid-gym config (env.frame_stack and env.num_single_obs present) has its own observation:
 * humanoidGym.ts reads it.
 * Joint order: the asset's DOF order (gym.get_asset_dof_names), which the config does not hold.
 * It is required: default_joint_angles is a dictionary whose order is the config author's, and
 * taking it would silently permute a legged robot's actions.
 */
import type { ModelManifest } from '../manifest.ts';
import { validateManifest } from '../manifest.ts';
import { ImportError, isObj, need, num, range, type Obj } from './common.ts';
import { manifestFromHumanoidGym } from './humanoidGym.ts';

export interface LeggedGymOptions {
  /** Joint names in the asset's DOF order (the policy's order). */
  readonly joints: readonly string[];
  readonly name: string;
  readonly robot: string;
  readonly onnx?: { file: string; input: string; output: string };
  /** What was read but not mapped, one line each, appended here. */
  readonly notes?: string[];
}

export function manifestFromLeggedGym(cfg: Obj, o: LeggedGymOptions, file = 'config'): ModelManifest {
  const angles = need(cfg, 'init_state.default_joint_angles', file);
  if (!isObj(angles)) throw new ImportError(`${file}: init_state.default_joint_angles`, 'is not a mapping', '{joint: angle}');
  const joints = o.joints;
  if (joints.length === 0)
    throw new ImportError('--joints', 'is empty', `the joint names in the asset's DOF order (gym.get_asset_dof_names), e.g. ${Object.keys(angles).join(',')} in the right order`);
  const layout = `base_lin_vel 3, base_ang_vel 3, projected_gravity 3, commands 3, dof_pos ${joints.length}, dof_vel ${joints.length}, actions ${joints.length}`;
  const size = 12 + 3 * joints.length;
  // legged_gym appends the height scan when terrain.measure_heights is true; unitree_rl_gym leaves
  // measure_heights true in its base config but its compute_observations appends no scan, and its
  // num_observations (48 for 12 joints) is the blind size. num_observations tells the two apart.
  const terrain = isObj(cfg.terrain) ? cfg.terrain : {};
  const heights = terrain.measure_heights === true;
  const { measured_points_x: px, measured_points_y: py } = terrain;
  const scan = Array.isArray(px) && Array.isArray(py) ? px.length * py.length : undefined;
  const scanWhat = scan !== undefined ? `${scan} heights (measured_points_x × measured_points_y)` : 'a height scan';
  const env = isObj(cfg.env) ? cfg.env : {};
  // humanoid-gym (roboterax), a legged_gym fork: a frame stack of its own observation and a gait clock.
  if (env.frame_stack !== undefined && env.num_single_obs !== undefined) return manifestFromHumanoidGym(cfg, o, file);
  let blind: string | undefined;
  for (const key of ['num_observations', 'num_obs']) {
    const n = env[key];
    if (n === undefined) continue;
    const declared = num(n, `${file}: env.${key}`);
    if (declared === size) {
      blind ??= `env.${key}`;
      continue;
    }
    if (heights && declared > size && (scan === undefined || declared === size + scan))
      throw new ImportError(
        `${file}: terrain.measure_heights`,
        `is true and env.${key} is ${declared}, legged_gym's ${size} values for ${joints.length} joints plus ${scan !== undefined ? scanWhat : `${declared - size} more`}: the policy takes a height scan, which axon robots do not provide`,
        `false, or an env.${key} of ${size}, a blind observation as in unitree_rl_gym, whose compute_observations appends no scan`,
      );
    // 9 + 3n + 2: no base_lin_vel, and a gait clock (sin, cos of a phase), as unitree_rl_gym's G1 and H1
    // (compute_observations) and booster_gym's T1 (gravity first, the clock before the joints) build it.
    // The two place the clock differently, and the size cannot tell them apart: unitree_rl_gym's
    // deploy configs say whose script it is (from-deploy reads them).
    const clock = declared === 11 + 3 * joints.length ? ` (${declared} = 9 + 3 × ${joints.length} + 2: no base_lin_vel and a 2-value gait clock, as unitree_rl_gym's G1 and H1 and booster_gym's T1 build it, in different orders the size cannot tell apart)` : '';
    throw new ImportError(
      `${file}: env.${key}`,
      `is ${declared}, but legged_gym's observation for ${joints.length} joints is ${size} values (${layout})${heights && scan !== undefined ? `, ${size + scan} with ${scanWhat}` : ''}: this config's robot builds its own observation${clock}`,
      clock
        ? "the stock layout; for a unitree_rl_gym G1, H1 or H1_2 policy, axon manifest from-deploy on its deploy/deploy_mujoco or deploy_real config (the gait_phase term); otherwise a manifest written by hand (docs/byom.md)"
        : 'the stock layout, or a manifest whose observation terms are written by hand (docs/byom.md)',
    );
  }
  const note = (path: string, what: string) => o.notes?.push(`${file}: ${path}: ${what}`);
  if (heights && blind === undefined)
    throw new ImportError(`${file}: terrain.measure_heights`, `is true and the config has no env.num_observations to tell whether the policy takes a height scan (legged_gym appends ${scanWhat}), which axon robots do not provide`, `false, or env.num_observations (${size}, the blind size for ${joints.length} joints)`);
  if (heights) note('terrain.measure_heights', `is true, but ${blind} is ${size}, the blind size for ${joints.length} joints: the height scan is not in the observation (as in unitree_rl_gym, whose compute_observations appends none), so none is read`);
  // Read after the size check: a config whose robot builds its own observation (booster_gym's T1) lacks
  // some of these keys, and "is missing" would send its user after keys that would not make it fit.
  const c = readLeggedGymCommon(cfg, o, file);
  const { s, clipObs } = c;
  const linVel = s('lin_vel'), angVel = s('ang_vel');
  return validateManifest(
    {
      ...c.head,
      observation: {
        terms: [
          { term: 'base_lin_vel', scale: linVel, clip: clipObs, point: 'com' },
          { term: 'base_ang_vel', scale: angVel, clip: clipObs },
          { term: 'projected_gravity', clip: clipObs },
          { term: 'velocity_commands', scale: [linVel, linVel, angVel], clip: clipObs },
          { term: 'joint_pos_rel', scale: s('dof_pos'), clip: clipObs },
          { term: 'joint_vel', scale: s('dof_vel'), clip: clipObs },
          { term: 'last_action', clip: clipObs },
        ],
      },
      ...c.tail,
      provenance: { command: `axon manifest from-legged-gym ${file}` },
    },
    `manifest (from ${file})`,
  );
}

/**
 * What every legged_gym-based config gives the same way: joints, default pose, rate, action, gains,
 * armature, fixed base and command ranges (`head` goes before the observation, `tail` after), the
 * observation scales (`s`) and clip. `read` names further keys of control and normalization that the
 * caller reads (not listed as unread).
 */
export function readLeggedGymCommon(cfg: Obj, o: LeggedGymOptions, file: string, read: { control?: string[]; normalization?: string[] } = {}) {
  const joints = o.joints;
  const angles = need(cfg, 'init_state.default_joint_angles', file);
  if (!isObj(angles)) throw new ImportError(`${file}: init_state.default_joint_angles`, 'is not a mapping', '{joint: angle}');
  const s = (k: string) => num(need(cfg, `normalization.obs_scales.${k}`, file), `${file}: normalization.obs_scales.${k}`);
  const clipObs = num(need(cfg, 'normalization.clip_observations', file), `${file}: normalization.clip_observations`);
  const clipAct = num(need(cfg, 'normalization.clip_actions', file), `${file}: normalization.clip_actions`);
  const dt = num(need(cfg, 'sim.dt', file), `${file}: sim.dt`);
  const decimation = num(need(cfg, 'control.decimation', file), `${file}: control.decimation`);
  const note = (path: string, what: string) => o.notes?.push(`${file}: ${path}: ${what}`);
  const defaults = joints.map((j) => {
    if (!(j in angles)) throw new ImportError(`${file}: init_state.default_joint_angles`, `has no angle for joint "${j}"`);
    return num(angles[j], `${file}: init_state.default_joint_angles.${j}`);
  });
  const control = isObj(cfg.control) ? cfg.control : {};
  if (control.control_type !== undefined && control.control_type !== 'P')
    throw new ImportError(`${file}: control.control_type`, `is ${JSON.stringify(control.control_type)}: the actions are not position targets`, '"P" (legged_gym\'s position control)');
  const gains = control.stiffness !== undefined || control.damping !== undefined ? leggedGymGains(control, joints, file, note) : undefined;
  // legged_gym's Anymal configs drive the joints through an LSTM actuator net (_compute_torques), not kp/kd.
  if (control.use_actuator_network === true)
    note('control.use_actuator_network', `is true: the training turned targets into torques with an actuator network${typeof control.actuator_net_file === 'string' ? ` (${control.actuator_net_file})` : ''}, not PD; the pd written is the config's stiffness and damping, which that training never used, so the policy meets other joint dynamics here`);
  const known = {
    control: ['control_type', 'stiffness', 'damping', 'action_scale', 'decimation', 'use_actuator_network', 'actuator_net_file', ...(read.control ?? [])],
    normalization: ['obs_scales', 'clip_observations', 'clip_actions', ...(read.normalization ?? [])],
  };
  for (const [section, keys] of Object.entries(known)) {
    const v = cfg[section];
    if (isObj(v)) for (const k of Object.keys(v)) if (!keys.includes(k)) note(`${section}.${k}`, 'not read (not part of legged_gym\'s stock policy input or output)');
  }
  const commands = isObj(cfg.commands) ? cfg.commands : {};
  const ranges = isObj(commands.ranges) ? commands.ranges : {};
  const commandRanges: Record<string, [number, number]> = {};
  for (const [from, to] of [['lin_vel_x', 'lin_vel_x'], ['lin_vel_y', 'lin_vel_y'], ['ang_vel_yaw', 'ang_vel_z']] as const)
    if (ranges[from] !== undefined) commandRanges[to] = range(ranges[from], `${file}: commands.ranges.${from}`);
  // update_command_curriculum widens lin_vel_x by 0.5 m/s steps up to ±max_curriculum: the
  // trained policy has seen that, as Isaac Lab's limit_ranges (which from-isaaclab takes).
  if (commands.curriculum === true && commandRanges.lin_vel_x !== undefined && typeof commands.max_curriculum === 'number') {
    const m = Math.abs(commands.max_curriculum);
    const [lo, hi] = commandRanges.lin_vel_x;
    commandRanges.lin_vel_x = [Math.min(lo, -m), Math.max(hi, m)];
    note('commands.curriculum', `is true: lin_vel_x is [${commandRanges.lin_vel_x.join(', ')}], the widest max_curriculum ${m} lets the curriculum reach (commands.ranges holds its start)`);
  }
  const asset = isObj(cfg.asset) ? cfg.asset : {};
  // legged_gym hands asset.armature to Isaac Gym (AssetOptions.armature), which gives it to every DOF:
  // the joints' reflected inertia, as Isaac Lab's actuator armature that from-isaaclab writes.
  let armature: number | undefined;
  if (asset.armature !== undefined && asset.armature !== null) {
    armature = num(asset.armature, `${file}: asset.armature`);
    if (armature < 0) throw new ImportError(`${file}: asset.armature`, `is ${armature}`, 'a number >= 0 (kg·m²)');
  }
  if (asset.fix_base_link !== undefined && typeof asset.fix_base_link !== 'boolean')
    throw new ImportError(`${file}: asset.fix_base_link`, `is ${JSON.stringify(asset.fix_base_link)}`, 'true or false');
  const fixedBase = asset.fix_base_link === true;
  if (asset.collapse_fixed_joints === false)
    note('asset.collapse_fixed_joints', "is false: the training's root body was the root link alone, while axon's centre of mass for base_lin_vel is that of the root link and the links fixed to it");
  if (commands.heading_command === true) note('commands.heading_command', 'is true: the training turned a heading into the yaw rate; axon commands the yaw rate (ang_vel_yaw) directly');
  return {
    s,
    clipObs,
    note,
    head: {
      schema: 'axon.model/1' as const,
      name: o.name,
      kind: 'policy' as const,
      robot: o.robot,
      joints: [...joints],
      default_joint_pos: defaults,
      control_hz: 1 / (dt * decimation),
      decimation,
      onnx: o.onnx ?? { file: 'policy.onnx', input: 'obs', output: 'actions' },
    },
    tail: {
      action: { type: 'joint_position' as const, scale: num(need(cfg, 'control.action_scale', file), `${file}: control.action_scale`), clip: clipAct },
      ...(gains ? { pd: gains } : {}),
      ...(armature !== undefined ? { actuators: { armature } } : {}),
      ...(fixedBase ? { fixed_base: true } : {}),
      ...(Object.keys(commandRanges).length > 0 ? { command_ranges: commandRanges } : {}),
    },
  };
}

/**
 * PD gains per joint as LeggedRobot._init_buffers sets them: for each joint, every stiffness key
 * that is a substring of its name matches and the last one wins (no break in the loop), and the
 * damping is read under that same key. One number applies to every joint.
 */
function leggedGymGains(control: Obj, joints: readonly string[], file: string, note: (path: string, what: string) => void): { kp: number[]; kd: number[] } {
  const { stiffness, damping } = control;
  if (typeof stiffness === 'number' && typeof damping === 'number') return { kp: joints.map(() => stiffness), kd: joints.map(() => damping) };
  if (!isObj(stiffness)) throw new ImportError(`${file}: control.stiffness`, `is ${JSON.stringify(stiffness)}`, 'a {joint-name substring: value} map');
  if (!isObj(damping)) throw new ImportError(`${file}: control.damping`, `is ${JSON.stringify(damping)}`, 'a {joint-name substring: value} map with the stiffness keys');
  const kp: number[] = [];
  const kd: number[] = [];
  for (const j of joints) {
    const keys = Object.keys(stiffness).filter((k) => j.includes(k));
    const key = keys.at(-1);
    if (keys.length > 1 && keys.some((k) => stiffness[k] !== stiffness[key!] || damping[k] !== damping[key!]))
      note('control.stiffness', `keys ${keys.map((k) => `"${k}"`).join(', ')} all match joint "${j}" and differ: the last in the file's order ("${key}") is taken, as legged_gym takes the last in the config class's order; a dump that sorted the keys would change which`);
    if (key === undefined) throw new ImportError(`${file}: control.stiffness`, `has no key in joint "${j}"'s name (legged_gym would give it no gain)`, `a key that is part of every joint name (${Object.keys(stiffness).join(', ')})`);
    if (!(key in damping)) throw new ImportError(`${file}: control.damping`, `has no key "${key}" (legged_gym reads the damping under the stiffness key that matched joint "${j}")`, 'the same keys as control.stiffness');
    kp.push(num(stiffness[key], `${file}: control.stiffness.${key}`));
    kd.push(num(damping[key], `${file}: control.damping.${key}`));
  }
  return { kp, kd };
}
