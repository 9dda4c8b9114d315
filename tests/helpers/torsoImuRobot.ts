import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * An H1_2-like robot (Unitree H1_2 as unitree_rl_mjlab's h1_2.xml and the vendor URDF have it):
 * the root `pelvis` floats, `torso_link` sits behind `torso_joint` (waist yaw, z axis) and carries
 * the IMU (the URDF's zero-inertia frame link `imu_in_torso`; the MJCF's site `imu`), two legs.
 * Vendor awkwardness kept: thighs and torso of 1e-5 kg·m², the IMU a frame link without inertial,
 * joints in the file (SDK) order legs then torso, which the manifests below list in another order.
 */
export const TORSO_IMU_JOINTS = ['left_hip_pitch_joint', 'right_hip_pitch_joint', 'torso_joint'];
/** A model order differing from the file's. */
export const TORSO_IMU_MODEL_JOINTS = ['torso_joint', 'right_hip_pitch_joint', 'left_hip_pitch_joint'];

const URDF = `<?xml version="1.0"?>
<robot name="h1_2_like">
  <link name="pelvis">
    <inertial><origin xyz="0 0 0"/><mass value="5"/><inertia ixx="0.05" iyy="0.05" izz="0.05" ixy="0" ixz="0" iyz="0"/></inertial>
    <collision><geometry><box size="0.2 0.2 0.1"/></geometry></collision>
  </link>
  <joint name="left_hip_pitch_joint" type="revolute">
    <parent link="pelvis"/><child link="left_thigh"/><origin xyz="0 0.1 -0.1"/><axis xyz="0 1 0"/>
    <limit lower="-1.5" upper="1.5" effort="50" velocity="10"/>
  </joint>
  <link name="left_thigh">
    <inertial><origin xyz="0 0 -0.1"/><mass value="0.5"/><inertia ixx="1e-5" iyy="1e-5" izz="1e-5" ixy="0" ixz="0" iyz="0"/></inertial>
    <collision><origin xyz="0 0 -0.2"/><geometry><sphere radius="0.03"/></geometry></collision>
  </link>
  <joint name="right_hip_pitch_joint" type="revolute">
    <parent link="pelvis"/><child link="right_thigh"/><origin xyz="0 -0.1 -0.1"/><axis xyz="0 1 0"/>
    <limit lower="-1.5" upper="1.5" effort="50" velocity="10"/>
  </joint>
  <link name="right_thigh">
    <inertial><origin xyz="0 0 -0.1"/><mass value="0.5"/><inertia ixx="1e-5" iyy="1e-5" izz="1e-5" ixy="0" ixz="0" iyz="0"/></inertial>
    <collision><origin xyz="0 0 -0.2"/><geometry><sphere radius="0.03"/></geometry></collision>
  </link>
  <joint name="torso_joint" type="revolute">
    <parent link="pelvis"/><child link="torso_link"/><origin xyz="0 0 0.1"/><axis xyz="0 0 1"/>
    <limit lower="-2.35" upper="2.35" effort="200" velocity="10"/>
  </joint>
  <link name="torso_link">
    <inertial><origin xyz="0 0 0.1"/><mass value="2"/><inertia ixx="1e-5" iyy="1e-5" izz="1e-5" ixy="0" ixz="0" iyz="0"/></inertial>
    <collision><origin xyz="0 0 0.1"/><geometry><box size="0.1 0.1 0.2"/></geometry></collision>
  </link>
  <joint name="imu_in_torso_joint" type="fixed">
    <parent link="torso_link"/><child link="imu_in_torso"/><origin xyz="0 0 0.2"/>
  </joint>
  <link name="imu_in_torso"/>
</robot>
`;

/** The pelvis pitched by `pitch` (rad) about y in the MJCF's own pose (qpos0). */
function mjcf(pitch: number): string {
  const q = `${Math.cos(pitch / 2)} 0 ${Math.sin(pitch / 2)} 0`;
  return `<mujoco model="h1_2_like">
  <compiler angle="radian"/>
  <worldbody>
    <body name="pelvis" pos="0 0 1.2" quat="${q}">
      <freejoint/>
      <inertial pos="0 0 0" mass="5" diaginertia="0.05 0.05 0.05"/>
      <geom type="box" size="0.1 0.1 0.05"/>
      <body name="left_thigh" pos="0 0.1 -0.1">
        <joint name="left_hip_pitch_joint" axis="0 1 0" range="-1.5 1.5"/>
        <inertial pos="0 0 -0.1" mass="0.5" diaginertia="1e-5 1e-5 1e-5"/>
        <geom type="sphere" size="0.03" pos="0 0 -0.2"/>
      </body>
      <body name="right_thigh" pos="0 -0.1 -0.1">
        <joint name="right_hip_pitch_joint" axis="0 1 0" range="-1.5 1.5"/>
        <inertial pos="0 0 -0.1" mass="0.5" diaginertia="1e-5 1e-5 1e-5"/>
        <geom type="sphere" size="0.03" pos="0 0 -0.2"/>
      </body>
      <body name="torso_link" pos="0 0 0.1">
        <joint name="torso_joint" axis="0 0 1" range="-2.35 2.35"/>
        <inertial pos="0 0 0.1" mass="2" diaginertia="1e-5 1e-5 1e-5"/>
        <geom type="box" size="0.05 0.05 0.1" pos="0 0 0.1"/>
        <site name="imu" pos="0 0 0.2"/>
      </body>
    </body>
  </worldbody>
</mujoco>
`;
}

/** Writes h1_2_like.urdf and h1_2_like.xml into `dir` (the MJCF's pelvis pitched by `pitch` rad). */
export function writeTorsoImuRobot(dir: string, pitch: number): { urdf: string; mjcf: string } {
  const urdf = join(dir, 'h1_2_like.urdf');
  const xml = join(dir, 'h1_2_like.xml');
  writeFileSync(urdf, URDF);
  writeFileSync(xml, mjcf(pitch));
  return { urdf, mjcf: xml };
}

/**
 * An H1_2-like robot with a two-joint waist, vendor-shaped (tests/sim/derivedLinkFrames.test.ts,
 * tests/hardware/torsoImuBridge.test.ts): pelvis (floating root) -> waist_yaw_joint (origin rpy
 * 0 0.05 0) -> waist_yaw_link -> fixed waist_frame_joint (rpy 0.2 0 0.1) -> waist_frame (a
 * zero-inertia frame link without <inertial>) -> waist_roll_joint (rpy 0 0 -0.3) -> torso_link ->
 * fixed imu_in_torso_joint (rpy 0 0 π/2: the IMU turned on the torso) -> imu_in_torso; two hips,
 * the left one on a tilted axis. Tiny inertia tensors (1e-5 kg·m²) with centres of mass off the
 * joint axes (a light body on an axis through its centre of mass diverges under PD), joints in
 * the file (SDK) order right hip, waist roll, left hip, waist yaw: neither the tree's nor a model's.
 */
export const WAIST_CHAIN_JOINTS = ['right_hip_pitch_joint', 'waist_roll_joint', 'left_hip_pitch_joint', 'waist_yaw_joint'];

const WAIST_CHAIN_URDF = `<?xml version="1.0"?>
<robot name="h1_2_vendorish">
  <link name="pelvis">
    <inertial><origin xyz="0 0 0"/><mass value="5"/><inertia ixx="0.05" iyy="0.05" izz="0.05" ixy="0" ixz="0" iyz="0"/></inertial>
    <collision><geometry><box size="0.2 0.2 0.1"/></geometry></collision>
  </link>
  <joint name="right_hip_pitch_joint" type="revolute">
    <parent link="pelvis"/><child link="right_thigh"/><origin xyz="0 -0.1 -0.1" rpy="-0.1 0 0"/><axis xyz="0 1 0"/>
    <limit lower="-1.5" upper="1.5" effort="50" velocity="10"/>
  </joint>
  <link name="right_thigh">
    <inertial><origin xyz="0 0 -0.1"/><mass value="0.5"/><inertia ixx="1e-5" iyy="1e-5" izz="1e-5" ixy="0" ixz="0" iyz="0"/></inertial>
  </link>
  <joint name="waist_roll_joint" type="revolute">
    <parent link="waist_frame"/><child link="torso_link"/><origin xyz="0 0 0.05" rpy="0 0 -0.3"/><axis xyz="1 0 0"/>
    <limit lower="-0.5" upper="0.5" effort="100" velocity="10"/>
  </joint>
  <joint name="left_hip_pitch_joint" type="revolute">
    <parent link="pelvis"/><child link="left_thigh"/><origin xyz="0 0.1 -0.1" rpy="0.1 0 0.05"/><axis xyz="0 0.6 0.8"/>
    <limit lower="-1.5" upper="1.5" effort="50" velocity="10"/>
  </joint>
  <link name="left_thigh">
    <inertial><origin xyz="0 0 -0.1"/><mass value="0.5"/><inertia ixx="1e-5" iyy="1e-5" izz="1e-5" ixy="0" ixz="0" iyz="0"/></inertial>
  </link>
  <joint name="waist_yaw_joint" type="revolute">
    <parent link="pelvis"/><child link="waist_yaw_link"/><origin xyz="0 0 0.1" rpy="0 0.05 0"/><axis xyz="0 0 1"/>
    <limit lower="-2.35" upper="2.35" effort="200" velocity="10"/>
  </joint>
  <link name="waist_yaw_link">
    <inertial><origin xyz="0.03 0 0.02"/><mass value="0.3"/><inertia ixx="1e-5" iyy="1e-5" izz="1e-5" ixy="0" ixz="0" iyz="0"/></inertial>
  </link>
  <joint name="waist_frame_joint" type="fixed">
    <parent link="waist_yaw_link"/><child link="waist_frame"/><origin xyz="0 0 0.03" rpy="0.2 0 0.1"/>
  </joint>
  <link name="waist_frame"/>
  <link name="torso_link">
    <inertial><origin xyz="0.05 0 0.1"/><mass value="2"/><inertia ixx="1e-5" iyy="1e-5" izz="1e-5" ixy="0" ixz="0" iyz="0"/></inertial>
  </link>
  <joint name="imu_in_torso_joint" type="fixed">
    <parent link="torso_link"/><child link="imu_in_torso"/><origin xyz="0 0 0.2" rpy="0 0 1.5707963"/>
  </joint>
  <link name="imu_in_torso"/>
</robot>
`;

/** Writes h1_2_waist_chain.urdf into `dir`; returns its path. */
export function writeWaistChainRobot(dir: string): string {
  const file = join(dir, 'h1_2_waist_chain.urdf');
  writeFileSync(file, WAIST_CHAIN_URDF);
  return file;
}
