/**
 * A 3-joint wrist arm as small vendors' URDF exports come (for `axon bridge --urdf` and `axon sim
 * --urdf` tests), with the awkward properties of real files:
 *  - the joints are declared before the links and leaf first (wrist, a fixed frame, shoulder,
 *    elbow), so the file order is not the tree order (shoulder, elbow, wrist) a simulator serves;
 *  - a frame link `flange_frame` fixed to the base with `<mass value="0"/>` and a zero inertia
 *    tensor (a massless frame, merged into its parent);
 *  - tiny inertias on the moving links (the hand's 1e-7 to 2e-7 kg·m², the arm links' 2e-6 to
 *    3e-6 about their long axis), light bodies by LIGHT_LINK_INERTIA (src/cli/urdfSession.ts);
 *  - a root link that carries mass and no `world` link: the base is fixed only when told
 *    (`--fixed-base` or the manifest's fixed_base), as an arm bolted to a table.
 * The shoulder turns about z (no gravity torque), the elbow and wrist about y.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Actuated joints in the tree order a simulator serves them in. */
export const WRIST_TREE_JOINTS = ['shoulder_joint', 'elbow_joint', 'wrist_joint'] as const;
/** Actuated joints in the order the file declares them. */
export const WRIST_FILE_JOINTS = ['wrist_joint', 'shoulder_joint', 'elbow_joint'] as const;
/** Effort (N·m) and velocity (rad/s) limits by joint, as the file writes them. */
export const WRIST_LIMITS: Readonly<Record<string, { effort: number; velocity: number }>> = {
  shoulder_joint: { effort: 5, velocity: 4 },
  elbow_joint: { effort: 5, velocity: 4 },
  wrist_joint: { effort: 2, velocity: 6 },
};

/** Writes DIR/acme_wrist.urdf and returns its path. */
export function writeVendorWrist(dir: string): string {
  const file = join(dir, 'acme_wrist.urdf');
  writeFileSync(file, URDF);
  return file;
}

const URDF = `<?xml version="1.0"?>
<robot name="acme_wrist">
  <!-- joints before links, leaf first: the file order is not the tree order -->
  <joint name="wrist_joint" type="revolute">
    <parent link="fore_link"/><child link="hand_link"/>
    <origin xyz="0 0 0.1" rpy="0 0 0"/><axis xyz="0 1 0"/>
    <limit lower="-1.5" upper="1.5" effort="2" velocity="6"/>
  </joint>
  <joint name="flange_frame_joint" type="fixed">
    <parent link="base_link"/><child link="flange_frame"/>
    <origin xyz="0 0 0.02" rpy="0 0 0"/>
  </joint>
  <joint name="shoulder_joint" type="revolute">
    <parent link="base_link"/><child link="upper_link"/>
    <origin xyz="0 0 0.05" rpy="0 0 0"/><axis xyz="0 0 1"/>
    <limit lower="-2" upper="2" effort="5" velocity="4"/>
  </joint>
  <joint name="elbow_joint" type="revolute">
    <parent link="upper_link"/><child link="fore_link"/>
    <origin xyz="0 0 0.1" rpy="0 0 0"/><axis xyz="0 1 0"/>
    <limit lower="-2" upper="2" effort="5" velocity="4"/>
  </joint>
  <link name="hand_link">
    <inertial><origin xyz="0 0 0.02"/><mass value="0.01"/><inertia ixx="2e-7" ixy="0" ixz="0" iyy="2e-7" iyz="0" izz="1e-7"/></inertial>
    <collision><origin xyz="0 0 0.02"/><geometry><box size="0.02 0.02 0.04"/></geometry></collision>
  </link>
  <link name="flange_frame">
    <inertial><mass value="0"/><inertia ixx="0" ixy="0" ixz="0" iyy="0" iyz="0" izz="0"/></inertial>
  </link>
  <link name="base_link">
    <inertial><origin xyz="0 0 0.02"/><mass value="0.5"/><inertia ixx="1e-4" ixy="0" ixz="0" iyy="1e-4" iyz="0" izz="1e-4"/></inertial>
    <collision><origin xyz="0 0 0.02"/><geometry><box size="0.08 0.08 0.04"/></geometry></collision>
  </link>
  <link name="upper_link">
    <inertial><origin xyz="0 0 0.05"/><mass value="0.05"/><inertia ixx="4e-5" ixy="0" ixz="0" iyy="4e-5" iyz="0" izz="3e-6"/></inertial>
    <collision><origin xyz="0 0 0.05"/><geometry><box size="0.03 0.03 0.1"/></geometry></collision>
  </link>
  <link name="fore_link">
    <inertial><origin xyz="0 0 0.05"/><mass value="0.03"/><inertia ixx="3e-5" ixy="0" ixz="0" iyy="3e-5" iyz="0" izz="2e-6"/></inertial>
    <collision><origin xyz="0 0 0.05"/><geometry><box size="0.025 0.025 0.1"/></geometry></collision>
  </link>
</robot>
`;
