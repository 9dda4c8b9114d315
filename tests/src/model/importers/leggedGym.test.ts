import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { manifestFromLeggedGym } from '../../../../src/model/importers/leggedGym.ts';
import { runAxon } from '../../../helpers/cli.ts';

/** booster_gym's T1 legs, in its URDF's DOF order. */
const t1Joints = ['Left', 'Right'].flatMap((s) => ['Hip_Pitch', 'Hip_Roll', 'Hip_Yaw', 'Knee_Pitch', 'Ankle_Pitch', 'Ankle_Roll'].map((j) => `${s}_${j}`));

/**
 * booster_gym's envs/T1.yaml as the repository holds it (its own trainer's config, not a legged_gym
 * class_to_dict dump), trimmed to the sections a legged_gym reader looks at. Its awkward parts: the
 * legged_gym section names (env, init_state, control, normalization) with booster's own keys in them
 * (normalization has no obs_scales or clip_observations; commands has no ranges), a "default" key
 * among the default angles, and num_observations 47 for 12 joints: its compute_observations builds
 * gravity, ang_vel, commands, cos/sin of a gait clock, dof_pos, dof_vel, actions.
 */
const boosterT1 = `basic:
  seed: 42 # seed - set to -1 to choose random seed
env:
  num_envs: 4096
  num_observations: 47
  num_privileged_obs: 14
  num_actions: 12
sim:
  dt: 0.002
  substeps: 1
init_state:
  pos: [0.0, 0.0, 0.72] # x,y,z [m]
  default_joint_angles: {"Hip_Pitch": -0.2, "Knee_Pitch": 0.4, "Ankle_Pitch": -0.25, "default": 0.} # target angles when action = 0.0
control:
  stiffness: {"Hip": 200., "Knee": 200., "Ankle": 50.} # [N*m/rad]
  damping: {"Hip": 5., "Knee": 5., "Ankle": 1.} # [N*m*s/rad]
  action_scale: 1.
  decimation: 10
commands:
  num_commands: 3 # default: lin_vel_x, lin_vel_y, ang_vel_yaw
  lin_vel_x: [-1.0, 3.0] # min max [m/s]
  gait_frequency: [1.0, 2.0] # min max [Hz]
normalization:
  gravity: 1.0
  lin_vel: 1.0
  ang_vel: 1.0
  dof_pos: 1.0
  dof_vel: 0.1
  clip_actions: 1.
`;

describe('a config whose robot builds its own observation (booster_gym T1)', () => {
  it('is refused for its observation size, before the legged_gym keys it lacks, naming the gait clock', () => {
    const cfg = parse(boosterT1);
    const read = () => manifestFromLeggedGym(cfg, { joints: t1Joints, name: 't1', robot: 't1' }, 'T1.yaml');
    // Not "normalization.clip_observations: is missing": adding it (and obs_scales) would not make the policy fit.
    expect(read).toThrow(/^T1\.yaml: env\.num_observations: is 47, but legged_gym's observation for 12 joints is 48 values/);
    expect(read).toThrow(/47 = 9 \+ 3 × 12 \+ 2: no base_lin_vel and a 2-value gait clock, as unitree_rl_gym's G1 and H1 and booster_gym's T1 build it, in different orders the size cannot tell apart/);
    expect(read).toThrow(/expected the stock layout; for a unitree_rl_gym G1, H1 or H1_2 policy, axon manifest from-deploy on its deploy\/deploy_mujoco or deploy_real config \(the gait_phase term\)/);
  });

  it('names the count without the gait clock for another size (a fork without base_lin_vel: 9 + 3n)', () => {
    const cfg = parse(boosterT1);
    cfg.env.num_observations = 45;
    const read = () => manifestFromLeggedGym(cfg, { joints: t1Joints, name: 't1', robot: 't1' }, 'T1.yaml');
    expect(read).toThrow(/env\.num_observations: is 45, .*builds its own observation \(expected the stock layout, or a manifest whose observation terms are written by hand/);
    expect(read).not.toThrow(/gait clock/);
  });
});

describe('axon manifest from-legged-gym / from-isaaclab given Python config classes', () => {
  // unitree_rl_gym's legged_gym/envs/h1/h1_config.py, its head: classes that inherit LeggedRobotCfg's values.
  const h1Config = `from legged_gym.envs.base.legged_robot_config import LeggedRobotCfg, LeggedRobotCfgPPO

class H1RoughCfg( LeggedRobotCfg ):
    class init_state( LeggedRobotCfg.init_state ):
        pos = [0.0, 0.0, 1.0] # x,y,z [m]
        default_joint_angles = { # = target angles [rad] when action = 0.0
           'left_hip_yaw_joint' : 0. ,   
           'left_hip_pitch_joint' : -0.1,         
        }
    class env(LeggedRobotCfg.env):
        # 3 + 3 + 3 + 10 + 10 + 10 + 2 = 41
        num_observations = 41
`;
  it('refuses the .py file naming it and what to give instead, not as YAML that does not parse', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'axon-py-config-')), 'h1_config.py');
    writeFileSync(file, h1Config);
    for (const cmd of ['from-legged-gym', 'from-isaaclab']) {
      const r = runAxon(['manifest', cmd, file, '--joints', 'left_hip_yaw_joint,left_hip_pitch_joint']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).not.toContain('not valid YAML');
      expect(r.stderr).toMatch(/^axon: error \[IMPORT_CONFIG\]: h1_config\.py: is Python source .*does not run Python \(expected the config as the training run dumped it: Isaac Lab's logs\/\.\.\.\/params\/env\.yaml, or legged_gym's class_to_dict\(env_cfg\)/);
    }
  });
});
