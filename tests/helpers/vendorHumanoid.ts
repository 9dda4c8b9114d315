/**
 * A 29-DoF vendor humanoid (Unitree-G1-like), written the way vendors ship it (issue 16), so the
 * tests load what users will hand axon rather than a file shaped to axon's liking:
 *  - floating base `pelvis` (no `world` link); 33.0 kg; pelvis 0.79 m above flat ground in the
 *    default pose (bent knees), 1.3 m standing height;
 *  - the 29 actuated joints listed in SDK order (VENDOR_SDK_JOINTS), fixed joints interleaved
 *    (IMU frames, head, logo, rubber hands), and every <link> listed before the joints in a
 *    shuffled (deterministic) order: file order says nothing about the tree;
 *  - the vendor's kinematics: hip roll frames pitched −0.1749 rad and the knee frames +0.1749 back,
 *    shoulder frames rolled ±0.2793, mixed axes (x, y, z; some negative on the right side);
 *  - URDF limits per group: hips 88 N·m / 32 rad/s, knees 139/20, ankles and waist roll/pitch 50/37,
 *    arms 25/37, wrist pitch/yaw 5/22; ankle pitch −0.87..0.52, ankle roll ±0.26, knee −0.09..2.9;
 *  - light links: ankle pitch and wrist roll links of ~1e-5 kg·m², wrist links of ~2e-4, hip
 *    roll/yaw links of 0.9-1.2 kg;
 *  - binary STL meshes whose 80-byte header begins with "solid" (SolidWorks exports do: a reader
 *    that trusts the first word reads them as ASCII and finds no facets). Visuals by
 *    package://g1_description/meshes/LINK.STL, collisions by the relative path meshes/LINK.STL
 *    (the same files: the URDF sits at the package root, as unitree_ros's g1_description does);
 *    feet collide through flat STL soles (0.2 x 0.07 x 0.03 m boxes), arms through primitives;
 *    every mesh sits in its link frame away from the origin (a thigh hangs below its joint);
 *  - frame links: `imu_in_pelvis`, `imu_in_torso`, `left/right_rubber_hand` with no <inertial>,
 *    `logo_link` with `<mass value="0"/>` and a zero tensor, `head_link` with a real inertial.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Quaternion, Vec3 } from 'cannon-es';
import { composePose, quatFromRpy } from '../../sim/physics/frames.ts';
import { binaryStl, boxTris, cylinderTris, sphereTris } from './meshHumanoid.ts';
import { VENDOR_SDK_JOINTS } from './vendorJoints.ts';

export const VENDOR_HUMANOID_PACKAGE = 'g1_description';

type V3 = [number, number, number];
type Tri = readonly number[];

/** Binary STL with a "solid ..." header, as SolidWorks writes it. */
export function solidHeaderStl(tris: readonly Tri[], name: string): Buffer {
  return binaryStl(tris, `solid ${name} exported by SolidWorks (binary)`);
}

/** `tris` moved by `d` (and optionally turned so that z runs along x or y first). */
export function placeTris(tris: readonly Tri[], d: V3, axis: 'x' | 'y' | 'z' = 'z'): Tri[] {
  return tris.map((t) => {
    const out: number[] = [];
    for (let k = 0; k < 9; k += 3) {
      let [x, y, z] = [t[k], t[k + 1], t[k + 2]];
      if (axis === 'x') [x, y, z] = [z, y, -x];
      else if (axis === 'y') [x, y, z] = [x, z, -y];
      out.push(x + d[0], y + d[1], z + d[2]);
    }
    return out;
  });
}

interface LinkDef {
  readonly name: string;
  /** kg; undefined: no <inertial> (a frame). */
  readonly mass?: number;
  readonly com?: V3;
  /** ixx iyy izz ixy ixz iyz (kg·m²). */
  readonly inertia?: readonly number[];
  /** Visual STL (package://), in the link frame. */
  readonly visual?: readonly Tri[];
  /** Collision: 'visual' = the same STL by a relative path; a separate STL; or a primitive element. */
  readonly collision?: 'visual' | { readonly stl: readonly Tri[]; readonly file: string } | { readonly xml: string };
}

interface JointDef {
  readonly name: string;
  readonly type: 'revolute' | 'fixed';
  readonly parent: string;
  readonly child: string;
  readonly xyz: V3;
  readonly rpy?: V3;
  readonly axis?: V3;
  readonly lower?: number;
  readonly upper?: number;
  readonly effort?: number;
  readonly velocity?: number;
}

export interface VendorHumanoid {
  /** The URDF file: DIR/g1_description/g1_29dof.urdf. */
  readonly urdf: string;
  /** The package folder (DIR/g1_description): pass its parent as a package path if needed. */
  readonly packageDir: string;
  readonly meshDir: string;
  /** Every mesh file written. */
  readonly meshFiles: readonly string[];
  /** Triangles written per mesh file (by absolute path). */
  readonly meshTriangles: Readonly<Record<string, number>>;
  /** The 29 actuated joints in SDK order (= file order of the actuated joints). */
  readonly sdkJoints: readonly string[];
  /** Default pose by joint name (rad): bent knees, elbows bent; 0 for every joint not named. */
  readonly defaultPose: Readonly<Record<string, number>>;
  /** Sum of the <mass> values written (kg). */
  readonly mass: number;
  /** Pelvis frame height (m) above the lowest sole point in the default pose. */
  readonly pelvisHeight: number;
  /** Link names as listed in the file (shuffled) and every frame link (no mass or mass 0). */
  readonly linkOrder: readonly string[];
  readonly frameLinks: readonly string[];
}

const HIP = { effort: 88, velocity: 32 };
const KNEE = { effort: 139, velocity: 20 };
const ANKLE = { effort: 50, velocity: 37 };
const ARM = { effort: 25, velocity: 37 };
const WRIST = { effort: 5, velocity: 22 };

/** Default pose (rad), Isaac Lab's G1 defaults. */
export const VENDOR_DEFAULT_POSE: Readonly<Record<string, number>> = {
  left_hip_pitch_joint: -0.312, right_hip_pitch_joint: -0.312,
  left_knee_joint: 0.669, right_knee_joint: 0.669,
  left_ankle_pitch_joint: -0.363, right_ankle_pitch_joint: -0.363,
  left_shoulder_pitch_joint: 0.2, right_shoulder_pitch_joint: 0.2,
  left_shoulder_roll_joint: 0.2, right_shoulder_roll_joint: -0.2,
  left_elbow_joint: 0.6, right_elbow_joint: 0.6,
};

/** Sole: 0.2 x 0.07 x 0.03 m box in the ankle roll frame, its bottom 0.035 m below the frame. */
const SOLE_SIZE: V3 = [0.2, 0.07, 0.03];
const SOLE_CENTRE: V3 = [0.035, 0, -0.02];

const f = (v: number) => String(+v.toPrecision(8));
const v3 = (v: readonly number[]) => v.map(f).join(' ');

/** Writes the vendor humanoid into DIR/g1_description and returns what it wrote. */
export function writeVendorHumanoid(dir: string): VendorHumanoid {
  const pkg = join(dir, VENDOR_HUMANOID_PACKAGE);
  const meshDir = join(pkg, 'meshes');
  mkdirSync(meshDir, { recursive: true });

  const links: LinkDef[] = [];
  const joints: JointDef[] = [];
  const cyl = (r: number, l: number, d: V3, axis: 'x' | 'y' | 'z' = 'z', seg = 24) => placeTris(cylinderTris(r, l, seg), d, axis);
  const box = (s: V3, d: V3) => placeTris(boxTris(...s), d);

  links.push({
    name: 'pelvis', mass: 3.813, com: [0, 0, -0.07605], inertia: [0.010549, 0.0093089, 0.0079184, 0, 0, 0],
    visual: box([0.14, 0.22, 0.12], [0, 0, -0.07]), collision: 'visual',
  });
  links.push({ name: 'imu_in_pelvis' });
  joints.push({ name: 'imu_in_pelvis_joint', type: 'fixed', parent: 'pelvis', child: 'imu_in_pelvis', xyz: [0.04525, 0, -0.08339] });

  for (const s of ['left', 'right'] as const) {
    const y = s === 'left' ? 1 : -1;
    const neg = s === 'right' ? -1 : 1; // the right side flips some axes, as mirrored CAD exports do
    links.push(
      { name: `${s}_hip_pitch_link`, mass: 1.35, com: [0.002741, 0.047791 * y, -0.02606], inertia: [0.001811, 0.0014193, 0.0012812, 0, 0, 0], visual: cyl(0.045, 0.06, [0, 0.03 * y, -0.02], 'y') },
      { name: `${s}_hip_roll_link`, mass: 0.9, com: [0.029812, 0, -0.06], inertia: [0.0012, 0.0013, 0.0008, 0, 0, 0], visual: cyl(0.045, 0.08, [0.02, 0, -0.06], 'x') },
      { name: `${s}_hip_yaw_link`, mass: 1.2, com: [-0.057709, 0, -0.08], inertia: [0.0048, 0.0053, 0.0014, 0, 0, 0], visual: cyl(0.05, 0.16, [-0.04, 0, -0.09]), collision: 'visual' },
      { name: `${s}_knee_link`, mass: 1.932, com: [0.005457, 0.003964 * y, -0.12074], inertia: [0.011329, 0.011277, 0.0015168, 0, 0, 0], visual: cyl(0.045, 0.22, [0, 0, -0.15]), collision: 'visual' },
      { name: `${s}_ankle_pitch_link`, mass: 0.074, com: [-0.007269, 0, 0.011137], inertia: [8.4e-6, 1.89e-5, 1.26e-5, 0, 0, 0], visual: cyl(0.02, 0.04, [0, 0, 0], 'y', 16) },
      {
        name: `${s}_ankle_roll_link`, mass: 0.608, com: [0.026505, 0, -0.016425], inertia: [0.0002, 0.0010, 0.0011, 0, 0, 0],
        visual: box(SOLE_SIZE, SOLE_CENTRE), collision: { stl: box(SOLE_SIZE, SOLE_CENTRE), file: `${s}_foot_sole.STL` },
      },
    );
    joints.push(
      { name: `${s}_hip_pitch_joint`, type: 'revolute', parent: 'pelvis', child: `${s}_hip_pitch_link`, xyz: [0, 0.064452 * y, -0.1027], axis: [0, 1, 0], lower: -2.5307, upper: 2.8798, ...HIP },
      { name: `${s}_hip_roll_joint`, type: 'revolute', parent: `${s}_hip_pitch_link`, child: `${s}_hip_roll_link`, xyz: [0, 0.052 * y, -0.030465], rpy: [0, -0.1749, 0], axis: [1, 0, 0], lower: y > 0 ? -0.5236 : -2.9671, upper: y > 0 ? 2.9671 : 0.5236, ...HIP },
      { name: `${s}_hip_yaw_joint`, type: 'revolute', parent: `${s}_hip_roll_link`, child: `${s}_hip_yaw_link`, xyz: [0.025001, 0, -0.12412], axis: [0, 0, neg], lower: -2.7576, upper: 2.7576, ...HIP },
      { name: `${s}_knee_joint`, type: 'revolute', parent: `${s}_hip_yaw_link`, child: `${s}_knee_link`, xyz: [-0.078273, 0.0021489 * y, -0.17734], rpy: [0, 0.1749, 0], axis: [0, 1, 0], lower: -0.087267, upper: 2.8798, ...KNEE },
      { name: `${s}_ankle_pitch_joint`, type: 'revolute', parent: `${s}_knee_link`, child: `${s}_ankle_pitch_link`, xyz: [0, -9.4445e-5 * y, -0.335], axis: [0, 1, 0], lower: -0.87267, upper: 0.5236, ...ANKLE },
      { name: `${s}_ankle_roll_joint`, type: 'revolute', parent: `${s}_ankle_pitch_link`, child: `${s}_ankle_roll_link`, xyz: [0, 0, -0.017558], axis: [1, 0, 0], lower: -0.2618, upper: 0.2618, ...ANKLE },
    );
  }

  // Waist and torso.
  links.push(
    { name: 'waist_yaw_link', mass: 0.214, com: [0.003964, 0, 0.018769], inertia: [0.00015, 0.00014, 0.0002, 0, 0, 0], visual: cyl(0.04, 0.03, [0, 0, 0.015], 'z', 16) },
    { name: 'waist_roll_link', mass: 0.086, com: [0, 0, 0], inertia: [2e-5, 2.4e-5, 2.2e-5, 0, 0, 0], visual: cyl(0.02, 0.04, [0, 0, 0], 'x', 16) },
    { name: 'torso_link', mass: 8.7, com: [0.002601, 0.000257, 0.153719], inertia: [0.12, 0.1, 0.045, 0, 0, 0], visual: box([0.14, 0.22, 0.3], [0, 0, 0.2]), collision: 'visual' },
    { name: 'head_link', mass: 1.036, com: [0.005267, 0.000299, 0.449869], inertia: [0.004085, 0.004185, 0.001807, 0, 0, 0], visual: placeTris(sphereTris(0.08, 8, 16), [0.01, 0, 0.45]), collision: 'visual' },
    { name: 'logo_link', mass: 0, com: [0, 0, 0], inertia: [0, 0, 0, 0, 0, 0], visual: box([0.002, 0.05, 0.05], [0.07, 0, 0.35]) },
    { name: 'imu_in_torso' },
  );
  joints.push(
    { name: 'waist_yaw_joint', type: 'revolute', parent: 'pelvis', child: 'waist_yaw_link', xyz: [0, 0, 0], axis: [0, 0, 1], lower: -2.618, upper: 2.618, ...HIP },
    { name: 'waist_roll_joint', type: 'revolute', parent: 'waist_yaw_link', child: 'waist_roll_link', xyz: [-0.0039635, 0, 0.035], axis: [1, 0, 0], lower: -0.52, upper: 0.52, ...ANKLE },
    { name: 'waist_pitch_joint', type: 'revolute', parent: 'waist_roll_link', child: 'torso_link', xyz: [0, 0, 0.019], axis: [0, 1, 0], lower: -0.52, upper: 0.52, ...ANKLE },
    { name: 'logo_joint', type: 'fixed', parent: 'torso_link', child: 'logo_link', xyz: [0.0039635, 0, -0.054] },
    { name: 'head_joint', type: 'fixed', parent: 'torso_link', child: 'head_link', xyz: [0.0039635, 0, -0.054] },
    { name: 'imu_in_torso_joint', type: 'fixed', parent: 'torso_link', child: 'imu_in_torso', xyz: [-0.03959, -0.00224, 0.14792] },
  );

  // Arms.
  for (const s of ['left', 'right'] as const) {
    const y = s === 'left' ? 1 : -1;
    const neg = s === 'right' ? -1 : 1;
    links.push(
      { name: `${s}_shoulder_pitch_link`, mass: 0.718, com: [0, 0.035892 * y, -0.011628], inertia: [0.0004291, 0.000453, 0.000423, 0, 0, 0], visual: cyl(0.035, 0.05, [0, 0.02 * y, 0], 'y', 16) },
      { name: `${s}_shoulder_roll_link`, mass: 0.643, com: [-0.012766, 0.002 * y, -0.041], inertia: [0.0006177, 0.0006912, 0.0003894, 0, 0, 0], visual: cyl(0.035, 0.06, [0, 0, -0.04], 'z', 16) },
      {
        name: `${s}_shoulder_yaw_link`, mass: 0.734, com: [0.01, 0, -0.08], inertia: [0.0009316, 0.0009234, 0.0003101, 0, 0, 0], visual: cyl(0.035, 0.12, [0, 0, -0.06], 'z', 16),
        collision: { xml: `<origin xyz="0 0 -0.06" rpy="0 0 0"/><geometry><cylinder radius="0.035" length="0.12"/></geometry>` },
      },
      {
        name: `${s}_elbow_link`, mass: 0.6, com: [0.064956, 0.004454 * y, -0.010062], inertia: [0.0002891, 0.0004152, 0.0004197, 0, 0, 0], visual: cyl(0.03, 0.1, [0.05, 0, -0.01], 'x', 16),
        collision: { xml: `<origin xyz="0.05 0 -0.01" rpy="0 1.5708 0"/><geometry><cylinder radius="0.03" length="0.1"/></geometry>` },
      },
      { name: `${s}_wrist_roll_link`, mass: 0.085, com: [0.017, 0.0003 * y, 0], inertia: [5.4e-6, 1.1e-5, 1.0e-5, 0, 0, 0], visual: cyl(0.025, 0.03, [0.015, 0, 0], 'x', 16) },
      { name: `${s}_wrist_pitch_link`, mass: 0.484, com: [0.0229, -0.0023 * y, -0.0018], inertia: [0.0002, 0.00025, 0.00025, 0, 0, 0], visual: cyl(0.03, 0.04, [0.02, 0, 0], 'x', 16) },
      {
        name: `${s}_wrist_yaw_link`, mass: 0.254, com: [0.0708, 0.0003 * y, 0], inertia: [0.0001, 0.0002, 0.0002, 0, 0, 0], visual: box([0.1, 0.06, 0.03], [0.07, 0, 0]),
        collision: { xml: `<origin xyz="0.07 0 0" rpy="0 0 0"/><geometry><sphere radius="0.03"/></geometry>` },
      },
      { name: `${s}_rubber_hand` },
    );
    joints.push(
      { name: `${s}_shoulder_pitch_joint`, type: 'revolute', parent: 'torso_link', child: `${s}_shoulder_pitch_link`, xyz: [0.0039563, 0.10022 * y, 0.24778], rpy: [0.27931 * y, 5.4949e-5, -0.00019159 * y], axis: [0, 1, 0], lower: -3.0892, upper: 2.6704, ...ARM },
      { name: `${s}_shoulder_roll_joint`, type: 'revolute', parent: `${s}_shoulder_pitch_link`, child: `${s}_shoulder_roll_link`, xyz: [0, 0.038 * y, -0.013831], rpy: [-0.27925 * y, 0, 0], axis: [1, 0, 0], lower: y > 0 ? -1.5882 : -2.2515, upper: y > 0 ? 2.2515 : 1.5882, ...ARM },
      { name: `${s}_shoulder_yaw_joint`, type: 'revolute', parent: `${s}_shoulder_roll_link`, child: `${s}_shoulder_yaw_link`, xyz: [0, 0.00624 * y, -0.1032], axis: [0, 0, neg], lower: -2.618, upper: 2.618, ...ARM },
      { name: `${s}_elbow_joint`, type: 'revolute', parent: `${s}_shoulder_yaw_link`, child: `${s}_elbow_link`, xyz: [0.015783, 0, -0.080518], axis: [0, 1, 0], lower: -1.0472, upper: 2.0944, ...ARM },
      { name: `${s}_wrist_roll_joint`, type: 'revolute', parent: `${s}_elbow_link`, child: `${s}_wrist_roll_link`, xyz: [0.1, 0.00188791 * y, -0.01], axis: [neg, 0, 0], lower: -1.972222, upper: 1.972222, ...ARM },
      { name: `${s}_wrist_pitch_joint`, type: 'revolute', parent: `${s}_wrist_roll_link`, child: `${s}_wrist_pitch_link`, xyz: [0.038, 0, 0], axis: [0, 1, 0], lower: -1.614430, upper: 1.614430, ...WRIST },
      { name: `${s}_wrist_yaw_joint`, type: 'revolute', parent: `${s}_wrist_pitch_link`, child: `${s}_wrist_yaw_link`, xyz: [0.046, 0, 0], axis: [0, 0, neg], lower: -1.614430, upper: 1.614430, ...WRIST },
      { name: `${s}_hand_palm_joint`, type: 'fixed', parent: `${s}_wrist_yaw_link`, child: `${s}_rubber_hand`, xyz: [0.0415, 0.003 * y, 0] },
    );
  }

  const actuated = joints.filter((j) => j.type !== 'fixed').map((j) => j.name);
  if (actuated.join() !== VENDOR_SDK_JOINTS.join()) throw new Error(`vendorHumanoid: actuated joints are not in SDK order: ${actuated.join(', ')}`);

  // Meshes: one visual STL per link that has one; collision STLs (feet) of their own.
  const meshFiles: string[] = [];
  const meshTriangles: Record<string, number> = {};
  const write = (file: string, tris: readonly Tri[], name: string) => {
    const path = join(meshDir, file);
    writeFileSync(path, solidHeaderStl(tris, name));
    meshFiles.push(path);
    meshTriangles[path] = tris.length;
  };
  for (const l of links) {
    if (l.visual !== undefined) write(`${l.name}.STL`, l.visual, l.name);
    if (l.collision !== undefined && typeof l.collision === 'object' && 'stl' in l.collision) write(l.collision.file, l.collision.stl, `${l.name}_collision`);
  }

  // Links in a deterministic shuffle (Fisher-Yates on an LCG), then the joints in SDK order.
  const order = links.slice();
  let seed = 16;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = order.length - 1; i > 0; i--) {
    const k = Math.floor(rand() * (i + 1));
    [order[i], order[k]] = [order[k], order[i]];
  }
  const xml: string[] = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<!-- This URDF was automatically created by SolidWorks to URDF Exporter! (axon test fixture: tests/helpers/vendorHumanoid.ts) -->',
    '<robot name="g1_29dof">',
    '  <mujoco><compiler meshdir="meshes" discardvisual="false"/></mujoco>',
  ];
  for (const l of order) {
    xml.push(`  <link name="${l.name}">`);
    if (l.mass !== undefined) {
      const i = l.inertia!;
      xml.push(
        '    <inertial>',
        `      <origin xyz="${v3(l.com!)}" rpy="0 0 0"/>`,
        `      <mass value="${f(l.mass)}"/>`,
        `      <inertia ixx="${f(i[0])}" ixy="${f(i[3])}" ixz="${f(i[4])}" iyy="${f(i[1])}" iyz="${f(i[5])}" izz="${f(i[2])}"/>`,
        '    </inertial>',
      );
    }
    if (l.visual !== undefined) {
      xml.push(
        '    <visual>',
        '      <origin xyz="0 0 0" rpy="0 0 0"/>',
        `      <geometry><mesh filename="package://${VENDOR_HUMANOID_PACKAGE}/meshes/${l.name}.STL"/></geometry>`,
        '      <material name="dark"><color rgba="0.2 0.2 0.2 1"/></material>',
        '    </visual>',
      );
    }
    if (l.collision === 'visual') {
      xml.push('    <collision>', '      <origin xyz="0 0 0" rpy="0 0 0"/>', `      <geometry><mesh filename="meshes/${l.name}.STL"/></geometry>`, '    </collision>');
    } else if (l.collision !== undefined && 'stl' in l.collision) {
      xml.push('    <collision>', '      <origin xyz="0 0 0" rpy="0 0 0"/>', `      <geometry><mesh filename="meshes/${l.collision.file}"/></geometry>`, '    </collision>');
    } else if (l.collision !== undefined) {
      xml.push(`    <collision>${l.collision.xml}</collision>`);
    }
    xml.push('  </link>');
  }
  for (const j of joints) {
    xml.push(`  <joint name="${j.name}" type="${j.type}">`, `    <origin xyz="${v3(j.xyz)}" rpy="${v3(j.rpy ?? [0, 0, 0])}"/>`, `    <parent link="${j.parent}"/>`, `    <child link="${j.child}"/>`);
    if (j.type === 'revolute') {
      xml.push(`    <axis xyz="${v3(j.axis!)}"/>`, `    <limit lower="${f(j.lower!)}" upper="${f(j.upper!)}" effort="${f(j.effort!)}" velocity="${f(j.velocity!)}"/>`);
    }
    xml.push('  </joint>');
  }
  xml.push('</robot>', '');
  const urdf = join(pkg, 'g1_29dof.urdf');
  writeFileSync(urdf, xml.join('\n'));

  return {
    urdf,
    packageDir: pkg,
    meshDir,
    meshFiles,
    meshTriangles,
    sdkJoints: actuated,
    defaultPose: Object.fromEntries(actuated.map((n) => [n, VENDOR_DEFAULT_POSE[n] ?? 0])),
    mass: links.reduce((m, l) => m + (l.mass ?? 0), 0),
    pelvisHeight: pelvisHeight(joints),
    linkOrder: order.map((l) => l.name),
    frameLinks: links.filter((l) => !(l.mass! > 0)).map((l) => l.name),
  };
}

/** Height (m) of the pelvis frame above the lowest sole corner in the default pose (FK on the joint list). */
function pelvisHeight(joints: readonly JointDef[]): number {
  const byChild = new Map(joints.map((j) => [j.child, j]));
  let lowest = Infinity;
  for (const s of ['left', 'right']) {
    const chain: JointDef[] = [];
    for (let j = byChild.get(`${s}_ankle_roll_link`); j !== undefined; j = byChild.get(j.parent)) chain.unshift(j);
    const p = new Vec3();
    const q = new Quaternion();
    const jp = new Vec3();
    const jq = new Quaternion();
    for (const j of chain) {
      jp.set(...j.xyz);
      quatFromRpy(j.rpy ?? [0, 0, 0], jq);
      composePose(p, q, jp, jq, p, q);
      if (j.type === 'fixed') continue;
      jq.setFromAxisAngle(new Vec3(...j.axis!), VENDOR_DEFAULT_POSE[j.name] ?? 0);
      jp.set(0, 0, 0);
      composePose(p, q, jp, jq, p, q);
    }
    for (let c = 0; c < 8; c++) {
      const corner = new Vec3(
        SOLE_CENTRE[0] + ((c & 1 ? 1 : -1) * SOLE_SIZE[0]) / 2,
        SOLE_CENTRE[1] + ((c & 2 ? 1 : -1) * SOLE_SIZE[1]) / 2,
        SOLE_CENTRE[2] + ((c & 4 ? 1 : -1) * SOLE_SIZE[2]) / 2,
      );
      lowest = Math.min(lowest, p.vadd(q.vmult(corner)).z);
    }
  }
  return -lowest;
}
