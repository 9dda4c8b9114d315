/**
 * A manifest from a humanoid-gym config (roboterax/humanoid-gym, a legged_gym fork), dumped as JSON
 * or YAML with `class_to_dict(env_cfg)` as legged_gym's is (a W&B run config holds one).
 * humanoid-gym's observation is fixed in code (humanoid/envs/custom/humanoid_env.py,
 * compute_observations; humanoid/scripts/sim2sim.py builds the same for deployment):
 *   a frame of sin and cos of the gait phase, commands[:3]·(lin_vel, lin_vel, ang_vel),
 *   (dof_pos − default)·dof_pos, dof_vel·dof_vel, actions, base_ang_vel·ang_vel, base_euler_xyz·quat,
 *   env.frame_stack frames of it, oldest first, zeros before the stack has filled (the deque is
 *   zeroed at every reset), every value clipped at clip_observations.
 * The phase is episode_length_buf · dt / rewards.cycle_time, 0 on the first step after a reset
 * (gait_phase with count_from 0).
 * Fields read besides legged_gym's (leggedGym.ts readLeggedGymCommon): env.frame_stack,
 *   env.num_single_obs (checked against the layout, 5 + 3n + 6), env.num_observations (checked:
 *   frame_stack × num_single_obs), rewards.cycle_time, normalization.obs_scales.quat.
 * env.use_ref_actions true (a reference gait action added to the output) is refused.
 * The privileged critic's frames (c_frame_stack, single_num_privileged_obs) are not the policy's.
 */
import type { ModelManifest } from '../manifest.ts';
import { validateManifest } from '../manifest.ts';
import { ImportError, isObj, need, num, type Obj } from './common.ts';
import { readLeggedGymCommon, type LeggedGymOptions } from './leggedGym.ts';

export function manifestFromHumanoidGym(cfg: Obj, o: LeggedGymOptions, file: string): ModelManifest {
  const env = isObj(cfg.env) ? cfg.env : {};
  const n = o.joints.length;
  const frame = 5 + 3 * n + 6;
  const single = num(env.num_single_obs, `${file}: env.num_single_obs`);
  if (single !== frame)
    throw new ImportError(
      `${file}: env.num_single_obs`,
      `is ${single}, but humanoid-gym's frame for ${n} joints is ${frame} values (gait phase sin, cos 2, commands 3, dof_pos ${n}, dof_vel ${n}, actions ${n}, base_ang_vel 3, base_euler_xyz 3): this config's robot builds its own observation`,
      'the stock XBot-L layout, or a manifest whose observation terms are written by hand (docs/byom.md)',
    );
  const stack = num(env.frame_stack, `${file}: env.frame_stack`);
  if (!Number.isInteger(stack) || stack < 1) throw new ImportError(`${file}: env.frame_stack`, `is ${stack}`, 'a whole number >= 1');
  if (env.num_observations !== undefined) {
    const declared = num(env.num_observations, `${file}: env.num_observations`);
    if (declared !== stack * single) throw new ImportError(`${file}: env.num_observations`, `is ${declared}`, `env.frame_stack × env.num_single_obs = ${stack * single}`);
  }
  // use_ref_actions adds the gait's reference action to the policy's output before it is applied
  // (humanoid_env.py step()): the action a manifest maps would not be the one the training applied.
  if (env.use_ref_actions === true)
    throw new ImportError(`${file}: env.use_ref_actions`, 'is true: the training added a reference gait action (ref_action) to the policy output, which axon does not compute', 'false (XBotLCfg\'s), or a policy trained without it');
  const period = num(need(cfg, 'rewards.cycle_time', file), `${file}: rewards.cycle_time`);
  if (!(period > 0)) throw new ImportError(`${file}: rewards.cycle_time`, `is ${period}`, 'the gait cycle in seconds (> 0)');
  const c = readLeggedGymCommon(cfg, o, file);
  const { s, clipObs: clip } = c;
  const linVel = s('lin_vel'), angVel = s('ang_vel');
  const history = stack;
  c.note('observation', `humanoid-gym's frame stack: ${stack} frames of ${frame} values, oldest first, zeros until it has filled; the gait phase reads 0 on the first step (count_from 0), period ${period} s (rewards.cycle_time)`);
  return validateManifest(
    {
      ...c.head,
      observation: {
        history_layout: 'per_frame',
        history_order: 'oldest_first',
        history_fill: 'zeros',
        terms: [
          { term: 'gait_phase', period, count_from: 0, clip, history },
          { term: 'velocity_commands', scale: [linVel, linVel, angVel], clip, history },
          { term: 'joint_pos_rel', scale: s('dof_pos'), clip, history },
          { term: 'joint_vel', scale: s('dof_vel'), clip, history },
          { term: 'last_action', clip, history },
          { term: 'base_ang_vel', scale: angVel, clip, history },
          { term: 'base_euler_xyz', scale: s('quat'), clip, history },
        ],
      },
      ...c.tail,
      provenance: { command: `axon manifest from-legged-gym ${file}` },
    },
    `manifest (from ${file})`,
  );
}
