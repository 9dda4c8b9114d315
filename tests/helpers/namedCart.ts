/** A cart-pole URDF whose two joints carry the names given (names a terminal would act on, in the tests that print them). */
export function namedCartUrdf(slider: string, hinge: string): string {
  return `<robot name="cart">
  <link name="world"/>
  <joint name="${slider}" type="prismatic"><parent link="world"/><child link="cart"/><axis xyz="1 0 0"/><limit lower="-2" upper="2" effort="20" velocity="4"/></joint>
  <link name="cart"><inertial><mass value="1"/><inertia ixx="1e-3" ixy="0" ixz="0" iyy="1e-3" iyz="0" izz="1e-3"/></inertial></link>
  <joint name="${hinge}" type="continuous"><parent link="cart"/><child link="pole"/><axis xyz="0 1 0"/><limit effort="0" velocity="20"/></joint>
  <link name="pole"><inertial><origin xyz="0 0 0.3"/><mass value="0.1"/><inertia ixx="3e-3" ixy="0" ixz="0" iyy="3e-3" iyz="0" izz="1e-6"/></inertial></link>
</robot>
`;
}
