/**
 * A 6-DoF hobby arm (SO-101-like, ~1 kg), written as Onshape-to-URDF exports ship it (issue 16):
 *  - no `world` link: the root `base_link` carries mass (it is bolted to a table, so load it with
 *    fixedBase: true);
 *  - every joint axis `0 0 1`, the joint frames turned by rpy instead (Onshape's convention), with
 *    numerical noise in the rpy (4.18253e-17, 3.14159 rather than π);
 *  - binary STL meshes with a "solid" header under assets/, referenced by relative paths;
 *  - the tool frame `gripper_frame_link` on a fixed joint with `<mass value="1e-9"/>` and a zero
 *    inertia tensor (ixx = iyy = izz = 0): a massless frame that a strict inertia check refuses.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { boxTris, cylinderTris } from './meshHumanoid.ts';
import { placeTris, solidHeaderStl } from './vendorHumanoid.ts';

type V3 = [number, number, number];
type Tri = readonly number[];

export interface VendorArm {
  readonly urdf: string;
  readonly meshDir: string;
  readonly meshFiles: readonly string[];
  /** Actuated joints in file order (= tree order for this chain). */
  readonly joints: readonly string[];
  /** Default pose by joint name (rad): the arm folded, gripper closed. */
  readonly defaultPose: Readonly<Record<string, number>>;
  /** Sum of the <mass> values written (kg), the tool frame's 1e-9 included. */
  readonly mass: number;
  /** The tool frame link (mass 1e-9, zero tensor). */
  readonly toolFrame: string;
}

interface LinkDef {
  readonly name: string;
  readonly mass: number;
  readonly com: V3;
  /** ixx iyy izz ixy ixz iyz (kg·m²). */
  readonly inertia: readonly number[];
  readonly mesh?: readonly Tri[];
}

interface JointDef {
  readonly name: string;
  readonly type: 'revolute' | 'fixed';
  readonly parent: string;
  readonly child: string;
  readonly xyz: V3;
  readonly rpy: V3;
  readonly lower?: number;
  readonly upper?: number;
}

const f = (v: number) => String(v);
const v3 = (v: readonly number[]) => v.map(f).join(' ');

/** Writes the arm into DIR/so101 (URDF + assets/) and returns what it wrote. */
export function writeVendorArm(dir: string): VendorArm {
  const root = join(dir, 'so101');
  const meshDir = join(root, 'assets');
  mkdirSync(meshDir, { recursive: true });
  const cyl = (r: number, l: number, d: V3, axis: 'x' | 'y' | 'z' = 'z') => placeTris(cylinderTris(r, l, 20), d, axis);
  const box = (s: V3, d: V3) => placeTris(boxTris(...s), d);

  const links: LinkDef[] = [
    { name: 'base_link', mass: 0.35, com: [0.0137179, -5.19711e-5, 0.0334843], inertia: [4.2e-4, 5.1e-4, 4.6e-4, 1e-8, -2.5e-5, 1e-8], mesh: box([0.11, 0.09, 0.06], [0.02, 0, 0.03]) },
    { name: 'shoulder_link', mass: 0.2, com: [-0.0307604, -1.66727e-5, -0.0252713], inertia: [1.3e-4, 1.6e-4, 1.1e-4, 0, 1.2e-5, 0], mesh: box([0.06, 0.05, 0.07], [-0.03, 0, -0.03]) },
    { name: 'upper_arm_link', mass: 0.17, com: [-0.0898471, -0.00838224, 0.0184089], inertia: [5.1e-5, 4.0e-4, 4.1e-4, 0, 0, 0], mesh: cyl(0.02, 0.12, [-0.06, -0.01, 0.018], 'x') },
    { name: 'lower_arm_link', mass: 0.14, com: [-0.0980701, 0.00324376, 0.0182831], inertia: [3.2e-5, 2.9e-4, 2.9e-4, 0, 0, 0], mesh: cyl(0.018, 0.13, [-0.07, 0.003, 0.018], 'x') },
    { name: 'wrist_link', mass: 0.08, com: [-0.000103312, -0.0386143, 0.0281156], inertia: [3.4e-5, 1.8e-5, 2.8e-5, 0, 0, 0], mesh: box([0.03, 0.06, 0.04], [0, -0.035, 0.025]) },
    { name: 'gripper_link', mass: 0.09, com: [0.000213627, 0.000245138, -0.025187], inertia: [5.1e-5, 5.3e-5, 2.2e-5, 0, 0, 0], mesh: box([0.04, 0.04, 0.09], [0, 0, -0.045]) },
    { name: 'gripper_frame_link', mass: 1e-9, com: [0, 0, 0], inertia: [0, 0, 0, 0, 0, 0] },
    { name: 'moving_jaw_so101_v1_link', mass: 0.02, com: [-0.00157495, -0.0300244, 0.0192755], inertia: [6.6e-6, 4.5e-6, 3.3e-6, 0, 0, 0], mesh: box([0.015, 0.06, 0.02], [0, -0.03, 0.019]) },
  ];
  const joints: JointDef[] = [
    { name: 'shoulder_pan', type: 'revolute', parent: 'base_link', child: 'shoulder_link', xyz: [0.0388353, -8.97657e-9, 0.0624], rpy: [3.14159, 4.18253e-17, -3.14159], lower: -1.91986, upper: 1.91986 },
    { name: 'shoulder_lift', type: 'revolute', parent: 'shoulder_link', child: 'upper_arm_link', xyz: [-0.0303992, -0.0182778, -0.0542], rpy: [-1.5708, -1.5708, 0], lower: -1.74533, upper: 1.74533 },
    { name: 'elbow_flex', type: 'revolute', parent: 'upper_arm_link', child: 'lower_arm_link', xyz: [-0.11257, -0.028, 1.73763e-16], rpy: [-3.63608e-16, 8.74301e-16, 1.5708], lower: -1.69, upper: 1.69 },
    { name: 'wrist_flex', type: 'revolute', parent: 'lower_arm_link', child: 'wrist_link', xyz: [-0.1349, 0.0052, 3.62355e-17], rpy: [4.02456e-15, 8.67362e-16, -1.5708], lower: -1.65806, upper: 1.65806 },
    { name: 'wrist_roll', type: 'revolute', parent: 'wrist_link', child: 'gripper_link', xyz: [0, -0.0611, 0.0181], rpy: [1.5708, 0.0486795, 3.14159], lower: -2.74385, upper: 2.84121 },
    { name: 'gripper_frame_joint', type: 'fixed', parent: 'gripper_link', child: 'gripper_frame_link', xyz: [-0.0079, -0.000218121, -0.0981274], rpy: [0, 3.14159, 0] },
    { name: 'gripper', type: 'revolute', parent: 'gripper_link', child: 'moving_jaw_so101_v1_link', xyz: [0.0202, 0.0188, -0.0234], rpy: [1.5708, -5.24284e-8, -1.41553e-15], lower: -0.174533, upper: 1.74533 },
  ];

  const meshFiles: string[] = [];
  const xml: string[] = ['<?xml version="1.0" encoding="utf-8"?>', '<!-- Onshape export (onshape-to-robot), axon test fixture: tests/helpers/vendorArm.ts -->', '<robot name="so101_new_calib">'];
  for (const l of links) {
    const i = l.inertia;
    xml.push(
      `  <link name="${l.name}">`,
      `    <inertial><origin xyz="${v3(l.com)}" rpy="0 0 0"/><mass value="${f(l.mass)}"/>` +
        `<inertia ixx="${f(i[0])}" ixy="${f(i[3])}" ixz="${f(i[4])}" iyy="${f(i[1])}" iyz="${f(i[5])}" izz="${f(i[2])}"/></inertial>`,
    );
    if (l.mesh !== undefined) {
      const file = `${l.name.replace(/_link$/, '').replace(/_so101_v1$/, '')}_so101_v1.stl`;
      const path = join(meshDir, file);
      writeFileSync(path, solidHeaderStl(l.mesh, l.name));
      meshFiles.push(path);
      const geom = `<origin xyz="0 0 0" rpy="0 0 0"/><geometry><mesh filename="assets/${file}"/></geometry>`;
      xml.push(`    <visual>${geom}<material name="${l.name}_material"><color rgba="1 0.82 0.12 1"/></material></visual>`, `    <collision>${geom}</collision>`);
    }
    xml.push('  </link>');
  }
  for (const j of joints) {
    xml.push(`  <joint name="${j.name}" type="${j.type}">`, `    <origin xyz="${v3(j.xyz)}" rpy="${v3(j.rpy)}"/>`, `    <parent link="${j.parent}"/>`, `    <child link="${j.child}"/>`);
    if (j.type === 'revolute') xml.push('    <axis xyz="0 0 1"/>', `    <limit effort="10" velocity="10" lower="${f(j.lower!)}" upper="${f(j.upper!)}"/>`);
    xml.push('  </joint>');
  }
  xml.push('</robot>', '');
  const urdf = join(root, 'so101_new_calib.urdf');
  writeFileSync(urdf, xml.join('\n'));

  const names = joints.filter((j) => j.type !== 'fixed').map((j) => j.name);
  return {
    urdf,
    meshDir,
    meshFiles,
    joints: names,
    defaultPose: Object.fromEntries(names.map((n) => [n, 0])),
    mass: links.reduce((m, l) => m + l.mass, 0),
    toolFrame: 'gripper_frame_link',
  };
}
