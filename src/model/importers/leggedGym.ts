/**
 * A manifest from a legged_gym config, dumped as JSON or YAML with legged_gym's own
 * `class_to_dict(env_cfg)`. legged_gym's observation is fixed in code (LeggedRobot.compute_observations):
 *   base_lin_vel·lin_vel, base_ang_vel·ang_vel, projected_gravity, commands[:3]·(lin_vel, lin_vel, ang_vel),
 *   (dof_pos − default)·dof_pos, dof_vel·dof_vel, actions — clipped at clip_observations.
 * Fields read: normalization.obs_scales.{lin_vel, ang_vel, dof_pos, dof_vel},
 *   normalization.clip_observations, normalization.clip_actions, control.action_scale,
 *   control.decimation, control.stiffness, control.damping (per joint-name substring),
 *   init_state.default_joint_angles, sim.dt, terrain.measure_heights (must be false: no height scan).
 * Joint order: the asset's DOF order (gym.get_asset_dof_names), which the config does not hold.
 * It is required: default_joint_angles is a dictionary whose order is the config author's, and
 * taking it would silently permute a legged robot's actions.
 */
import type { ModelManifest } from '../manifest.ts';
import { validateManifest } from '../manifest.ts';
import { ImportError, isObj, need, num, perJoint, type Obj } from './common.ts';

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
  const s = (k: string) => num(need(cfg, `normalization.obs_scales.${k}`, file), `${file}: normalization.obs_scales.${k}`);
  const clipObs = num(need(cfg, 'normalization.clip_observations', file), `${file}: normalization.clip_observations`);
  const clipAct = num(need(cfg, 'normalization.clip_actions', file), `${file}: normalization.clip_actions`);
  const dt = num(need(cfg, 'sim.dt', file), `${file}: sim.dt`);
  const decimation = num(need(cfg, 'control.decimation', file), `${file}: control.decimation`);
  if (isObj(cfg.terrain) && cfg.terrain.measure_heights === true)
    throw new ImportError(`${file}: terrain.measure_heights`, 'is true: the policy takes a height scan, which axon robots do not provide', 'false');
  const defaults = joints.map((j) => {
    if (!(j in angles)) throw new ImportError(`${file}: init_state.default_joint_angles`, `has no angle for joint "${j}"`);
    return num(angles[j], `${file}: init_state.default_joint_angles.${j}`);
  });
  const control = isObj(cfg.control) ? cfg.control : {};
  const kp = control.stiffness !== undefined ? perJoint(control.stiffness, joints, `${file}: control.stiffness`) : undefined;
  const kd = control.damping !== undefined ? perJoint(control.damping, joints, `${file}: control.damping`) : undefined;
  const linVel = s('lin_vel'), angVel = s('ang_vel');
  return validateManifest(
    {
      schema: 'axon.model/1',
      name: o.name,
      kind: 'policy',
      robot: o.robot,
      joints: [...joints],
      default_joint_pos: defaults,
      control_hz: 1 / (dt * decimation),
      decimation,
      onnx: o.onnx ?? { file: 'policy.onnx', input: 'obs', output: 'actions' },
      observation: {
        terms: [
          { term: 'base_lin_vel', scale: linVel, clip: clipObs },
          { term: 'base_ang_vel', scale: angVel, clip: clipObs },
          { term: 'projected_gravity', clip: clipObs },
          { term: 'velocity_commands', scale: [linVel, linVel, angVel], clip: clipObs },
          { term: 'joint_pos_rel', scale: s('dof_pos'), clip: clipObs },
          { term: 'joint_vel', scale: s('dof_vel'), clip: clipObs },
          { term: 'last_action', clip: clipObs },
        ],
      },
      action: { type: 'joint_position', scale: num(need(cfg, 'control.action_scale', file), `${file}: control.action_scale`), clip: clipAct },
      ...(kp && kd ? { pd: { kp, kd } } : {}),
      provenance: { command: `axon manifest from-legged-gym ${file}` },
    },
    `manifest (from ${file})`,
  );
}
