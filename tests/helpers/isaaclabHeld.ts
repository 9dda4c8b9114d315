/**
 * R11's Isaac Lab fixture (docs/byom.md, from-isaaclab): an env.yaml dump as Isaac Lab writes it
 * (Python tags, regex default pose on dotted names, a per-regex action scale dict, preserve_order,
 * a joint_pos_rel history) whose actuator groups drive joints the action does not (waist.yaw in
 * `legs` with stiffness 200 / damping 5, head.* in `head` with 10 / 1), and a G1-like URDF with
 * those joints (UTF-8 BOM and CRLF when written, comments, <mujoco>/<transmission>/<gazebo> with
 * CDATA/<ros2_control>, world + floating joint, zero-mass IMU frame, 1e-7 logo link, dots and
 * dashes in joint names, a continuous joint without <limit>, effort="0" velocity="0" placeholders,
 * a mimic joint); meshes replaced by boxes so that it loads without files beside it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The articulation's joint order (`env.scene["robot"].joint_names`), as --joints takes it. */
export const HELD_ENV_JOINTS = "['left.hip-pitch_joint', 'right.hip-pitch_joint', 'waist.yaw', 'left.knee-joint', 'right.knee-joint', 'head_joint', 'head2_joint', 'left_ankle_pitch_joint', 'right_ankle_pitch_joint', 'left_ankle_roll_joint', 'right_ankle_roll_joint']";

export const HELD_ENV_YAML = String.raw`viewer:
  eye: !!python/tuple
  - 7.5
  - 7.5
  - 7.5
sim:
  physics_prim_path: /physicsScene
  device: cuda:0
  dt: 0.005
  render_interval: 4
  gravity: !!python/tuple
  - 0.0
  - 0.0
  - -9.81
ui_window_class_type: isaaclab.envs.ui.manager_based_rl_env_window:ManagerBasedRLEnvWindow
seed: 42
decimation: 4
scene:
  num_envs: 4096
  env_spacing: 2.5
  robot:
    class_type: isaaclab.assets.articulation.articulation:Articulation
    prim_path: /World/envs/env_.*/Robot
    spawn:
      func: isaaclab.sim.spawners.from_files.from_files:spawn_from_urdf
      asset_path: /home/user/g1_like.urdf
      fix_base: false
      merge_fixed_joints: true
      joint_drive:
        gains:
          stiffness: 0.0
          damping: 0.0
    init_state:
      pos: !!python/tuple
      - 0.0
      - 0.0
      - 0.8
      rot: !!python/tuple
      - 1.0
      - 0.0
      - 0.0
      - 0.0
      joint_pos:
        ".*\\.hip-pitch_joint": -0.1
        .*\.knee-joint: 0.3
        .*_ankle_pitch_joint: -0.2
      joint_vel:
        .*: 0.0
    soft_joint_pos_limit_factor: 0.9
    actuators:
      legs:
        class_type: isaaclab.actuators.actuator_pd:ImplicitActuator
        joint_names_expr:
        - .*\.hip-pitch_joint
        - .*\.knee-joint
        - waist\.yaw
        effort_limit: null
        velocity_limit: null
        effort_limit_sim: 88.0
        velocity_limit_sim: 32.0
        stiffness:
          .*\.hip-pitch_joint: 100.0
          .*\.knee-joint: 150.0
          waist\.yaw: 200.0
        damping:
          .*\.hip-pitch_joint: 2.0
          .*\.knee-joint: 4.0
          waist\.yaw: 5.0
        armature: 0.01
        friction: 0.0
      feet:
        class_type: isaaclab.actuators.actuator_pd:ImplicitActuator
        joint_names_expr:
        - .*_ankle_.*
        effort_limit: null
        velocity_limit: null
        effort_limit_sim: 50.0
        velocity_limit_sim: 37.0
        stiffness: 40.0
        damping: 2.0
        armature: 0.01
        friction: 0.0
      head:
        class_type: isaaclab.actuators.actuator_pd:ImplicitActuator
        joint_names_expr:
        - head.*
        effort_limit_sim: 5.0
        velocity_limit_sim: 3.0
        stiffness: 10.0
        damping: 1.0
        armature: null
        friction: 0.0
observations:
  policy:
    concatenate_terms: true
    enable_corruption: true
    history_length: null
    flatten_history_dim: true
    base_ang_vel:
      func: isaaclab.envs.mdp.observations:base_ang_vel
      params: {}
      modifiers: null
      noise:
        func: isaaclab.utils.noise.noise_model:uniform_noise
        operation: add
        n_min: -0.2
        n_max: 0.2
      clip: null
      scale: 0.2
      history_length: 0
      flatten_history_dim: true
    projected_gravity:
      func: isaaclab.envs.mdp.observations:projected_gravity
      params: {}
      noise: null
      clip: null
      scale: null
      history_length: 0
    velocity_commands:
      func: isaaclab.envs.mdp.observations:generated_commands
      params:
        command_name: base_velocity
      noise: null
      clip: null
      scale: null
      history_length: 0
    joint_pos_rel:
      func: isaaclab.envs.mdp.observations:joint_pos_rel
      params:
        asset_cfg:
          name: robot
          joint_names: null
          joint_ids: !!python/object/apply:builtins.slice
          - null
          - null
          - null
          body_names: null
          preserve_order: false
      noise: null
      clip: null
      scale: null
      history_length: 3
      flatten_history_dim: true
    joint_vel_rel:
      func: isaaclab.envs.mdp.observations:joint_vel_rel
      params: {}
      noise: null
      clip: null
      scale: 0.05
      history_length: 0
    actions:
      func: isaaclab.envs.mdp.observations:last_action
      params: {}
      noise: null
      clip: null
      scale: null
      history_length: 0
actions:
  joint_pos:
    class_type: isaaclab.envs.mdp.actions.joint_actions:JointPositionAction
    asset_name: robot
    debug_vis: false
    clip: null
    joint_names:
    - .*ankle.*
    - .*hip.*
    - .*knee.*
    scale:
      .*ankle.*: 0.1
      .*hip.*: 0.5
      .*knee.*: 0.25
    offset: 0.0
    preserve_order: true
    use_default_offset: true
commands:
  base_velocity:
    class_type: isaaclab.envs.mdp.commands.velocity_command:UniformVelocityCommand
    resampling_time_range: !!python/tuple
    - 10.0
    - 10.0
    debug_vis: true
    asset_name: robot
    heading_command: false
    rel_standing_envs: 0.02
    ranges:
      lin_vel_x: !!python/tuple
      - -1.0
      - 1.0
      lin_vel_y: !!python/tuple
      - -0.5
      - 0.5
      ang_vel_z: !!python/tuple
      - -1.0
      - 1.0
      heading: null
is_finite_horizon: false
episode_length_s: 20.0
`;

const HELD_URDF = String.raw`<?xml version="1.0" encoding="utf-8"?>
<!-- generated by SolidWorks-to-URDF exporter; edited by hand -->
<robot name="g1_like" xmlns:xacro="http://www.ros.org/wiki/xacro">
  <mujoco><compiler meshdir="../meshes" discardvisual="false"/></mujoco>
  <link name="world"/>
  <joint name="floating_base_joint" type="floating">
    <parent link="world"/><child link="pelvis"/><origin xyz="0 0 0.78" rpy="0 0 0"/>
  </joint>
  <link name="pelvis">
    <inertial><origin xyz="0 0 -0.07" rpy="0 0 0"/><mass value="3.8"/><inertia ixx="0.01" ixy="0" ixz="0" iyy="0.009" iyz="0" izz="0.008"/></inertial>
    <visual><geometry><box size="0.06 0.06 0.06"/></geometry></visual>
    <collision><geometry><box size="0.06 0.06 0.06"/></geometry></collision>
  </link>
  <joint name="imu_joint" type="fixed"><parent link="pelvis"/><child link="imu_in_pelvis"/><origin xyz="0.04 0 -0.08"/></joint>
  <link name="imu_in_pelvis"><inertial><mass value="0"/><inertia ixx="0" ixy="0" ixz="0" iyy="0" iyz="0" izz="0"/></inertial></link>
  <joint name="logo_joint" type="fixed"><parent link="pelvis"/><child link="logo_link"/><origin xyz="0 0 0.1" rpy="0 0 3.14159"/></joint>
  <link name="logo_link"><inertial><mass value="0.001"/><inertia ixx="1e-7" ixy="0" ixz="0" iyy="1e-7" iyz="0" izz="1e-7"/></inertial></link>

  <!-- left leg -->
  <joint name="left.hip-pitch_joint" type="revolute">
    <parent link="pelvis"/><child link="left_thigh"/>
    <origin xyz="0 0.1 -0.05" rpy="0 0 0"/><axis xyz="0 1 0"/>
    <limit lower="-1.5" upper="1.5" effort="88" velocity="32"/>
  </joint>
  <link name="left_thigh">
    <inertial><origin xyz="0 0 -0.15"/><mass value="1.5"/><inertia ixx="0.01" ixy="0" ixz="0" iyy="0.01" iyz="0" izz="0.002"/></inertial>
    <visual><geometry><box size="0.06 0.06 0.06"/></geometry></visual>
    <collision><origin xyz="0 0 -0.15"/><geometry><cylinder radius="0.04" length="0.3"/></geometry></collision>
  </link>
  <joint name="left.knee-joint" type="revolute">
    <parent link="left_thigh"/><child link="left_shin"/>
    <origin xyz="0 0 -0.3"/><axis xyz="0 1 0"/>
    <limit lower="0" upper="2.5" effort="139" velocity="20"/>
  </joint>
  <link name="left_shin">
    <inertial><origin xyz="0 0 -0.15"/><mass value="1.0"/><inertia ixx="0.008" ixy="0" ixz="0" iyy="0.008" iyz="0" izz="0.001"/></inertial>
    <visual><geometry><box size="0.06 0.06 0.06"/></geometry></visual>
    <collision><origin xyz="0 0 -0.15"/><geometry><cylinder radius="0.03" length="0.3"/></geometry></collision>
  </link>
  <joint name="left_ankle_pitch_joint" type="revolute">
    <parent link="left_shin"/><child link="left_ankle_pitch_link"/>
    <origin xyz="0 0 -0.3"/><axis xyz="0 1 0"/>
    <limit lower="-0.87" upper="0.52" effort="0" velocity="0"/>
  </joint>
  <link name="left_ankle_pitch_link">
    <inertial><mass value="0.074"/><inertia ixx="1.89e-05" ixy="0" ixz="0" iyy="1.40e-05" iyz="0" izz="1.89e-05"/></inertial>
  </link>
  <joint name="left_ankle_roll_joint" type="revolute">
    <parent link="left_ankle_pitch_link"/><child link="left_foot"/>
    <origin xyz="0 0 -0.017"/><axis xyz="1 0 0"/>
    <limit lower="-0.26" upper="0.26" effort="50" velocity="37"/>
  </joint>
  <link name="left_foot">
    <inertial><origin xyz="0.03 0 -0.02"/><mass value="0.6"/><inertia ixx="1e-3" ixy="0" ixz="0" iyy="2e-3" iyz="0" izz="2e-3"/></inertial>
    <visual><geometry><box size="0.06 0.06 0.06"/></geometry></visual>
    <collision><origin xyz="0.03 0 -0.02"/><geometry><box size="0.06 0.06 0.06"/></geometry></collision>
  </link>
  <joint name="left_foot_site_joint" type="fixed"><parent link="left_foot"/><child link="left_foot_site"/><origin xyz="0 0 -0.04"/></joint>
  <link name="left_foot_site"/>


  <!-- right leg -->
  <joint name="right.hip-pitch_joint" type="revolute">
    <parent link="pelvis"/><child link="right_thigh"/>
    <origin xyz="0 -0.1 -0.05" rpy="0 0 0"/><axis xyz="0 1 0"/>
    <limit lower="-1.5" upper="1.5" effort="88" velocity="32"/>
  </joint>
  <link name="right_thigh">
    <inertial><origin xyz="0 0 -0.15"/><mass value="1.5"/><inertia ixx="0.01" ixy="0" ixz="0" iyy="0.01" iyz="0" izz="0.002"/></inertial>
    <visual><geometry><box size="0.06 0.06 0.06"/></geometry></visual>
    <collision><origin xyz="0 0 -0.15"/><geometry><cylinder radius="0.04" length="0.3"/></geometry></collision>
  </link>
  <joint name="right.knee-joint" type="revolute">
    <parent link="right_thigh"/><child link="right_shin"/>
    <origin xyz="0 0 -0.3"/><axis xyz="0 1 0"/>
    <limit lower="0" upper="2.5" effort="139" velocity="20"/>
  </joint>
  <link name="right_shin">
    <inertial><origin xyz="0 0 -0.15"/><mass value="1.0"/><inertia ixx="0.008" ixy="0" ixz="0" iyy="0.008" iyz="0" izz="0.001"/></inertial>
    <visual><geometry><box size="0.06 0.06 0.06"/></geometry></visual>
    <collision><origin xyz="0 0 -0.15"/><geometry><cylinder radius="0.03" length="0.3"/></geometry></collision>
  </link>
  <joint name="right_ankle_pitch_joint" type="revolute">
    <parent link="right_shin"/><child link="right_ankle_pitch_link"/>
    <origin xyz="0 0 -0.3"/><axis xyz="0 1 0"/>
    <limit lower="-0.87" upper="0.52" effort="0" velocity="0"/>
  </joint>
  <link name="right_ankle_pitch_link">
    <inertial><mass value="0.074"/><inertia ixx="1.89e-05" ixy="0" ixz="0" iyy="1.40e-05" iyz="0" izz="1.89e-05"/></inertial>
  </link>
  <joint name="right_ankle_roll_joint" type="revolute">
    <parent link="right_ankle_pitch_link"/><child link="right_foot"/>
    <origin xyz="0 0 -0.017"/><axis xyz="1 0 0"/>
    <limit lower="-0.26" upper="0.26" effort="50" velocity="37"/>
  </joint>
  <link name="right_foot">
    <inertial><origin xyz="0.03 0 -0.02"/><mass value="0.6"/><inertia ixx="1e-3" ixy="0" ixz="0" iyy="2e-3" iyz="0" izz="2e-3"/></inertial>
    <visual><geometry><box size="0.06 0.06 0.06"/></geometry></visual>
    <collision><origin xyz="0.03 0 -0.02"/><geometry><box size="0.06 0.06 0.06"/></geometry></collision>
  </link>
  <joint name="right_foot_site_joint" type="fixed"><parent link="right_foot"/><child link="right_foot_site"/><origin xyz="0 0 -0.04"/></joint>
  <link name="right_foot_site"/>

  <joint name="waist.yaw" type="continuous">
    <parent link="pelvis"/><child link="torso_link"/><origin xyz="0 0 0.05"/><axis xyz="0 0 1"/>
  </joint>
  <link name="torso_link">
    <inertial><origin xyz="0 0 0.15"/><mass value="5"/><inertia ixx="0.05" ixy="0" ixz="0" iyy="0.05" iyz="0" izz="0.02"/></inertial>
    <collision><origin xyz="0 0 0.15"/><geometry><box size="0.15 0.2 0.3"/></geometry></collision>
  </link>
  <joint name="head_joint" type="revolute">
    <parent link="torso_link"/><child link="head_link"/><origin xyz="0 0 0.3"/><axis xyz="0 0 1"/>
    <limit lower="-1" upper="1" effort="5" velocity="3"/>
  </joint>
  <link name="head_link"><inertial><mass value="0.3"/><inertia ixx="1e-4" ixy="0" ixz="0" iyy="1e-4" iyz="0" izz="1e-4"/></inertial></link>
  <joint name="head2_joint" type="revolute">
    <parent link="torso_link"/><child link="head2_link"/><origin xyz="0 0 0.35"/><axis xyz="0 0 1"/>
    <limit lower="-1" upper="1" effort="5" velocity="3"/>
    <mimic joint="head_joint" multiplier="-1" offset="0"/>
  </joint>
  <link name="head2_link"><inertial><mass value="0.1"/><inertia ixx="1e-4" ixy="0" ixz="0" iyy="1e-4" iyz="0" izz="1e-4"/></inertial></link>
  <transmission name="t1"><type>transmission_interface/SimpleTransmission</type>
    <joint name="left.knee-joint"><hardwareInterface>hardware_interface/EffortJointInterface</hardwareInterface></joint>
    <actuator name="m1"><mechanicalReduction>1</mechanicalReduction></actuator></transmission>
  <gazebo reference="left_foot"><mu1>0.6</mu1><![CDATA[ <plugin name="x"> & < > ]]></gazebo>
  <ros2_control name="G1" type="system"><hardware><plugin>mock_components/GenericSystem</plugin></hardware>
    <joint name="left.knee-joint"><command_interface name="effort"/><state_interface name="position"/></joint></ros2_control>
</robot>
`;

/** Writes env.yaml and g1_like.urdf (BOM + CRLF) into `dir`; returns their paths. */
export function writeHeldFixture(dir: string): { env: string; urdf: string } {
  const env = join(dir, 'env.yaml');
  const urdf = join(dir, 'g1_like.urdf');
  writeFileSync(env, HELD_ENV_YAML);
  writeFileSync(urdf, '\uFEFF' + HELD_URDF.replace(/\n/g, '\r\n'));
  return { env, urdf };
}
