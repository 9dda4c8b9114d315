/**
 * A quadruped as unitreerobotics/unitree_ros ships robots/go2_description/urdf/go2_description.urdf
 * (commit 3b6a691e72e94f2bb01551ece843af9bf1f353d6; SolidWorks-exported), cut down to what the
 * tests need and with its values: a 6.921 kg base box, four legs of hip (x), thigh (y) and calf (y)
 * joints, 23.7 / 35.55 N·m, feet as 2.2 cm spheres on fixed joints, and the awkward property that
 * every joint's default position (0, the URDF has no other) lies outside the calves' limits
 * [-2.7227, -0.83776]: the calves start and hold at -0.83776, a pose the dog cannot stand in.
 * Fixed joints carry `<axis xyz="0 0 0"/>` and `dont_collapse`, as the file writes them; the imu
 * link is a zero-mass frame.
 */
const inertial = (xyz: string, m: string, i: string) => `<inertial><origin xyz="${xyz}" rpy="0 0 0"/><mass value="${m}"/><inertia ${i}/></inertial>`;
const legs = [
  ['FL', '0.1934', '0.0465', '0.0955', '-1.5708', '3.4907'],
  ['FR', '0.1934', '-0.0465', '-0.0955', '-1.5708', '3.4907'],
  ['RL', '-0.1934', '0.0465', '0.0955', '-0.5236', '4.5379'],
  ['RR', '-0.1934', '-0.0465', '-0.0955', '-0.5236', '4.5379'],
] as const;

/** The URDF text (no meshes: every collision is a primitive). */
export function vendorQuadrupedUrdf(): string {
  const leg = ([p, x, y, ty, tlo, thi]: (typeof legs)[number]) =>
    `<link name="${p}_hip">${inertial('-0.0054 0.00194 -0.000105', '0.678', 'ixx="0.00048" ixy="-3.01E-06" ixz="1.11E-06" iyy="0.000884" iyz="-1.42E-06" izz="0.000596"')}<collision><origin rpy="1.5707963267948966 0 0" xyz="0 ${y.startsWith('-') ? '-' : ''}0.08 0"/><geometry><cylinder length="0.04" radius="0.046"/></geometry></collision></link>
  <joint name="${p}_hip_joint" type="revolute"><origin xyz="${x} ${y} 0" rpy="0 0 0"/><parent link="base"/><child link="${p}_hip"/><axis xyz="1 0 0"/><limit lower="-1.0472" upper="1.0472" effort="23.7" velocity="30.1"/></joint>
  <link name="${p}_thigh">${inertial('-0.00374 -0.0223 -0.0327', '1.152', 'ixx="0.00584" ixy="8.72E-05" ixz="-0.000289" iyy="0.0058" iyz="0.000808" izz="0.00103"')}<collision><origin rpy="0 1.5707963267948966 0" xyz="0 0 -0.1065"/><geometry><box size="0.213 0.0245 0.034"/></geometry></collision></link>
  <joint name="${p}_thigh_joint" type="revolute"><origin xyz="0 ${ty} 0" rpy="0 0 0"/><parent link="${p}_hip"/><child link="${p}_thigh"/><axis xyz="0 1 0"/><limit lower="${tlo}" upper="${thi}" effort="23.7" velocity="30.1"/></joint>
  <link name="${p}_calf">${inertial('0.00548 -0.000975 -0.115', '0.154', 'ixx="0.00108" ixy="3.4E-07" ixz="1.72E-05" iyy="0.0011" iyz="8.28E-06" izz="3.29E-05"')}<collision><origin rpy="0 -0.2 0" xyz="0.01 0 -0.06"/><geometry><cylinder length="0.12" radius="0.013"/></geometry></collision></link>
  <joint name="${p}_calf_joint" type="revolute"><origin xyz="0 0 -0.213" rpy="0 0 0"/><parent link="${p}_thigh"/><child link="${p}_calf"/><axis xyz="0 1 0"/><limit lower="-2.7227" upper="-0.83776" effort="35.55" velocity="20.07"/></joint>
  <link name="${p}_foot">${inertial('0 0 0', '0.04', 'ixx="9.6e-06" ixy="0" ixz="0" iyy="9.6e-06" iyz="0" izz="9.6e-06"')}<collision><origin rpy="0 0 0" xyz="-0.002 0 0"/><geometry><sphere radius="0.022"/></geometry></collision></link>
  <joint name="${p}_foot_joint" type="fixed" dont_collapse="true"><origin xyz="0 0 -0.213" rpy="0 0 0"/><parent link="${p}_calf"/><child link="${p}_foot"/><axis xyz="0 0 0"/></joint>`;
  return `<?xml version="1.0" encoding="utf-8"?>
<robot name="go2_description">
  <link name="base">${inertial('0.021112 0 -0.005366', '6.921', 'ixx="0.02448" ixy="0.00012166" ixz="0.0014849" iyy="0.098077" iyz="-3.12E-05" izz="0.107"')}<collision><origin rpy="0 0 0" xyz="0 0 0"/><geometry><box size="0.3762 0.0935 0.114"/></geometry></collision></link>
  ${legs.map(leg).join('\n  ')}
  <link name="imu">${inertial('0 0 0', '0', 'ixx="0" ixy="0" ixz="0" iyy="0" iyz="0" izz="0"')}</link>
  <joint name="imu_joint" type="fixed"><origin xyz="-0.02557 0 0.04232" rpy="0 0 0"/><parent link="base"/><child link="imu"/><axis xyz="0 0 0"/></joint>
</robot>
`;
}

/** A standing pose inside every limit (thighs 0.8, calves -1.5), as `--init-pose` takes it. */
export const VENDOR_QUADRUPED_STAND = legs.flatMap(([p]) => [`${p}_thigh_joint=0.8`, `${p}_calf_joint=-1.5`]).join(',');
