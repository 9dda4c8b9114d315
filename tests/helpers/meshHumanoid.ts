/**
 * A mesh-based humanoid of ~30 joints, generated into a temp dir from sim/robots/humanoid.urdf
 * (issue 10: "a mesh-based humanoid of about 30 joints and 30+ meshes loads in under 2 s").
 *
 * Derived from the shipped humanoid: same links, inertials, joints and limits, with
 *  - every link's visual and collision geometry replaced by a binary STL of the same shape
 *    (box: 12 triangles; cylinder: 32 segments; sphere: 12 rings x 24 segments), one file per
 *    link referenced by package://mesh_humanoid_description/meshes/LINK.stl. Every link collides
 *    (the shipped intermediate links have no collision shape; here they get their mesh's hull),
 *    so the load computes one hull per link. Each file is unique (the tessellation is turned by a
 *    per-link phase), so the file-hash cache does not hide the cost of mirrored parts;
 *  - 15 extra actuated joints: waist yaw/roll/pitch (replacing torso_fixed), neck yaw/pitch
 *    (replacing head_fixed), shoulder roll/yaw and wrist yaw/pitch/roll per arm, each with a
 *    light child link carrying 0.01-0.02 kg·m² (a motor's reflected armature, docs/simulation.md).
 * Result: 31 actuated joints, 32 links, 32 mesh files, 32.9 kg.
 *
 * Gains: the new arm, neck and wrist joints hold 0 at kp 40 / kd 1 (the arm servo class). The waist
 * carries the torso, head and arms (~15 kg, CoM ~0.2 m up): an inverted pendulum needing kp > m·g·l
 * ≈ 30 N·m/rad, so kp 40 would barely hold it; the waist gets the leg gains, kp 250 / kd 5.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseUrdf } from '../../sim/index.ts';
import type { SimJointDefaults, SimRobotOptions, UrdfGeometry, UrdfInertial, UrdfJoint, UrdfLink, UrdfOrigin } from '../../sim/index.ts';
import { HUMANOID_ARM_KD, HUMANOID_ARM_KP, HUMANOID_LEG_KD, HUMANOID_LEG_KP, humanoidJointDefaults, humanoidOptions } from '../../sim/robots/humanoid.ts';

const HUMANOID_URDF = join(import.meta.dirname, '../../sim/robots/humanoid.urdf');
export const MESH_HUMANOID_PACKAGE = 'mesh_humanoid_description';

type Tri = readonly number[]; // 9 numbers

/** Binary STL bytes of `tris`. */
export function binaryStl(tris: readonly Tri[], header = 'axon mesh humanoid'): Buffer {
  const b = Buffer.alloc(84 + 50 * tris.length);
  b.write(header.padEnd(80, ' ').slice(0, 80), 0, 'latin1');
  b.writeUInt32LE(tris.length, 80);
  tris.forEach((t, i) => {
    // facet normal
    const ux = t[3] - t[0], uy = t[4] - t[1], uz = t[5] - t[2];
    const vx = t[6] - t[0], vy = t[7] - t[1], vz = t[8] - t[2];
    const nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
    const n = Math.hypot(nx, ny, nz) || 1;
    b.writeFloatLE(nx / n, 84 + 50 * i);
    b.writeFloatLE(ny / n, 84 + 50 * i + 4);
    b.writeFloatLE(nz / n, 84 + 50 * i + 8);
    t.forEach((v, k) => b.writeFloatLE(v, 84 + 50 * i + 12 + 4 * k));
  });
  return b;
}

/** Box of full extents (sx, sy, sz) centred at the origin: 12 triangles, outward. */
export function boxTris(sx: number, sy: number, sz: number): Tri[] {
  const [x, y, z] = [sx / 2, sy / 2, sz / 2];
  const v = (i: number) => [i & 1 ? x : -x, i & 2 ? y : -y, i & 4 ? z : -z];
  const quads = [[0, 2, 3, 1], [4, 5, 7, 6], [0, 1, 5, 4], [2, 6, 7, 3], [0, 4, 6, 2], [1, 3, 7, 5]];
  return quads.flatMap(([a, b, c, d]) => [[...v(a), ...v(b), ...v(c)], [...v(a), ...v(c), ...v(d)]]);
}

/** Cylinder (radius r, length l along z, centred): `segments` around, 4·segments triangles. */
export function cylinderTris(r: number, l: number, segments = 32, phase = 0): Tri[] {
  const h = l / 2;
  const p = (j: number, z: number) => {
    const a = phase + (2 * Math.PI * j) / segments;
    return [r * Math.cos(a), r * Math.sin(a), z];
  };
  const tris: Tri[] = [];
  for (let j = 0; j < segments; j++) {
    tris.push([...p(j, -h), ...p(j + 1, -h), ...p(j + 1, h)], [...p(j, -h), ...p(j + 1, h), ...p(j, h)]);
    tris.push([0, 0, h, ...p(j, h), ...p(j + 1, h)], [0, 0, -h, ...p(j + 1, -h), ...p(j, -h)]);
  }
  return tris;
}

/** UV sphere (radius r, centred): `rings` x `segments`, no degenerate pole triangles. */
export function sphereTris(r: number, rings = 12, segments = 24, phase = 0): Tri[] {
  const p = (i: number, j: number) => {
    const th = (Math.PI * i) / rings, ph = phase + (2 * Math.PI * j) / segments;
    return [r * Math.sin(th) * Math.cos(ph), r * Math.sin(th) * Math.sin(ph), r * Math.cos(th)];
  };
  const tris: Tri[] = [];
  for (let i = 0; i < rings; i++) for (let j = 0; j < segments; j++) {
    if (i > 0) tris.push([...p(i, j), ...p(i + 1, j), ...p(i + 1, j + 1)]);
    if (i < rings - 1) tris.push([...p(i, j), ...p(i + 1, j + 1), ...p(i, j + 1)]);
  }
  return tris;
}

type Prim = Exclude<UrdfGeometry, { kind: 'mesh' }>;

function primTris(g: Prim, phase: number): Tri[] {
  if (g.kind === 'box') return boxTris(...g.size);
  if (g.kind === 'cylinder') return cylinderTris(g.radius, g.length, 32, phase);
  return sphereTris(g.radius, 12, 24, phase);
}

const O = (xyz: [number, number, number] = [0, 0, 0]): UrdfOrigin => ({ xyz, rpy: [0, 0, 0] });

/** A light link: its own shape, mass, and an armature-like inertia (kg·m², each axis). */
interface NewLink {
  readonly name: string;
  readonly mass: number;
  readonly inertia: number;
  readonly com: [number, number, number];
  readonly shape: Prim;
  readonly shapeOrigin: [number, number, number];
}

interface LinkOut {
  readonly name: string;
  readonly inertial: UrdfInertial;
  readonly shape: Prim;
  readonly origin: UrdfOrigin;
  readonly color: readonly number[];
}

interface JointOut {
  readonly name: string;
  readonly type: 'revolute' | 'fixed';
  readonly parent: string;
  readonly child: string;
  readonly origin: UrdfOrigin;
  readonly axis: readonly number[];
  readonly lower: number;
  readonly upper: number;
  readonly effort: number;
  readonly velocity: number;
  readonly damping: number;
}

export interface MeshHumanoid {
  /** Temp dir holding mesh_humanoid_description/{urdf,meshes}; pass it as a package path. */
  readonly dir: string;
  readonly urdfFile: string;
  readonly meshFiles: readonly string[];
  readonly jointNames: readonly string[];
  /** Joint defaults: the shipped humanoid's, plus hold-0 for the new joints. */
  readonly jointDefaults: Readonly<Record<string, SimJointDefaults>>;
  /** SimRobot options that make it stand (the shipped humanoid's: spawnOnGround, Coulomb friction, IMU, foot contacts), without sensor noise. */
  readonly options: Partial<SimRobotOptions>;
  readonly totalMass: number;
}

const f = (v: number) => String(+v.toFixed(6));
const v3 = (v: readonly number[]) => v.map(f).join(' ');

/** Writes the mesh humanoid into a new temp dir (or `dir`) and returns where, with its defaults. */
export function generateMeshHumanoid(dir = mkdtempSync(join(tmpdir(), 'axon-mesh-humanoid-'))): MeshHumanoid {
  const src = parseUrdf(readFileSync(HUMANOID_URDF, 'utf8'));
  const root = join(dir, MESH_HUMANOID_PACKAGE);
  mkdirSync(join(root, 'urdf'), { recursive: true });
  mkdirSync(join(root, 'meshes'), { recursive: true });

  const links: LinkOut[] = [];
  const joints: JointOut[] = [];
  const defaults: Record<string, SimJointDefaults> = { ...humanoidJointDefaults };
  const dark = [0.25, 0.27, 0.3, 1];

  const fromSource = (l: UrdfLink): LinkOut => {
    const s = l.visuals[0] ?? l.collisions[0];
    if (s === undefined || s.geometry.kind === 'mesh') throw new Error(`humanoid link ${l.name}: expected one primitive visual`);
    return { name: l.name, inertial: l.inertial!, shape: s.geometry, origin: s.origin, color: s.color ?? dark };
  };
  const addNew = (n: NewLink) =>
    links.push({
      name: n.name,
      inertial: { origin: O(n.com), mass: n.mass, ixx: n.inertia, iyy: n.inertia, izz: n.inertia, ixy: 0, ixz: 0, iyz: 0 },
      shape: n.shape,
      origin: O(n.shapeOrigin),
      color: dark,
    });
  const copyJoint = (j: UrdfJoint, over: Partial<JointOut> = {}): JointOut => ({
    name: j.name, type: j.type === 'fixed' ? 'fixed' : 'revolute', parent: j.parent, child: j.child, origin: j.origin,
    axis: j.axis, lower: j.lower, upper: j.upper, effort: j.effort, velocity: j.velocity, damping: j.damping, ...over,
  });
  const QDD = { effort: 33.5, velocity: 21, damping: 0.05 };
  const SERVO = { effort: 10.6, velocity: 4.8, damping: 0.05 };
  const newJoint = (name: string, parent: string, child: string, xyz: [number, number, number], axis: number[], lower: number, upper: number, cls: typeof QDD, kp: number, kd: number) => {
    joints.push({ name, type: 'revolute', parent, child, origin: O(xyz), axis, lower, upper, ...cls });
    defaults[name] = { defaultPosition: 0, kp, kd };
  };

  for (const l of src.links) links.push(fromSource(l));

  for (const j of src.joints) {
    if (j.name === 'torso_fixed') {
      // pelvis -> waist_yaw_link -> waist_roll_link -> torso
      addNew({ name: 'waist_yaw_link', mass: 0.5, inertia: 0.02, com: [0, 0, 0.02], shape: { kind: 'cylinder', radius: 0.05, length: 0.04 }, shapeOrigin: [0, 0, 0.02] });
      addNew({ name: 'waist_roll_link', mass: 0.5, inertia: 0.02, com: [0, 0, 0], shape: { kind: 'sphere', radius: 0.05 }, shapeOrigin: [0, 0, 0] });
      newJoint('waist_yaw', 'pelvis', 'waist_yaw_link', j.origin.xyz as [number, number, number], [0, 0, 1], -1, 1, QDD, HUMANOID_LEG_KP, HUMANOID_LEG_KD);
      newJoint('waist_roll', 'waist_yaw_link', 'waist_roll_link', [0, 0, 0], [1, 0, 0], -0.5, 0.5, QDD, HUMANOID_LEG_KP, HUMANOID_LEG_KD);
      newJoint('waist_pitch', 'waist_roll_link', 'torso', [0, 0, 0], [0, 1, 0], -0.5, 1, QDD, HUMANOID_LEG_KP, HUMANOID_LEG_KD);
    } else if (j.name === 'head_fixed') {
      // torso -> neck_link -> head (the head centre stays 0.42 m above the torso frame)
      addNew({ name: 'neck_link', mass: 0.2, inertia: 0.01, com: [0, 0, 0.03], shape: { kind: 'cylinder', radius: 0.025, length: 0.06 }, shapeOrigin: [0, 0, 0.03] });
      newJoint('neck_yaw', 'torso', 'neck_link', [0, 0, 0.34], [0, 0, 1], -1.2, 1.2, SERVO, HUMANOID_ARM_KP, HUMANOID_ARM_KD);
      newJoint('neck_pitch', 'neck_link', 'head', [0, 0, 0.08], [0, 1, 0], -0.6, 0.6, SERVO, HUMANOID_ARM_KP, HUMANOID_ARM_KD);
    } else if (/_shoulder_pitch$/.test(j.name)) {
      // torso -> shoulder_pitch_link -> shoulder_roll_link -> upper_arm
      const s = j.name.replace(/_shoulder_pitch$/, '');
      const sign = s === 'left' ? 1 : -1;
      addNew({ name: `${s}_shoulder_pitch_link`, mass: 0.2, inertia: 0.01, com: [0, 0, 0], shape: { kind: 'sphere', radius: 0.04 }, shapeOrigin: [0, 0, 0] });
      addNew({ name: `${s}_shoulder_roll_link`, mass: 0.2, inertia: 0.01, com: [0, 0, -0.02], shape: { kind: 'cylinder', radius: 0.035, length: 0.04 }, shapeOrigin: [0, 0, -0.02] });
      joints.push(copyJoint(j, { child: `${s}_shoulder_pitch_link` }));
      newJoint(`${s}_shoulder_roll`, `${s}_shoulder_pitch_link`, `${s}_shoulder_roll_link`, [0, 0, 0], [1, 0, 0], sign > 0 ? -0.5 : -2.5, sign > 0 ? 2.5 : 0.5, SERVO, HUMANOID_ARM_KP, HUMANOID_ARM_KD);
      newJoint(`${s}_shoulder_yaw`, `${s}_shoulder_roll_link`, `${s}_upper_arm`, [0, 0, 0], [0, 0, 1], -1.5, 1.5, SERVO, HUMANOID_ARM_KP, HUMANOID_ARM_KD);
    } else if (/_elbow$/.test(j.name)) {
      // forearm -> wrist_yaw_link -> wrist_pitch_link -> hand
      const s = j.name.replace(/_elbow$/, '');
      joints.push(copyJoint(j));
      addNew({ name: `${s}_wrist_yaw_link`, mass: 0.1, inertia: 0.01, com: [0, 0, 0], shape: { kind: 'cylinder', radius: 0.025, length: 0.03 }, shapeOrigin: [0, 0, 0] });
      addNew({ name: `${s}_wrist_pitch_link`, mass: 0.1, inertia: 0.01, com: [0, 0, 0], shape: { kind: 'sphere', radius: 0.025 }, shapeOrigin: [0, 0, 0] });
      addNew({ name: `${s}_hand`, mass: 0.3, inertia: 0.01, com: [0, 0, -0.06], shape: { kind: 'box', size: [0.03, 0.08, 0.1] }, shapeOrigin: [0, 0, -0.06] });
      newJoint(`${s}_wrist_yaw`, `${s}_forearm`, `${s}_wrist_yaw_link`, [0, 0, -0.22], [0, 0, 1], -1.5, 1.5, SERVO, HUMANOID_ARM_KP, HUMANOID_ARM_KD);
      newJoint(`${s}_wrist_pitch`, `${s}_wrist_yaw_link`, `${s}_wrist_pitch_link`, [0, 0, 0], [0, 1, 0], -1, 1, SERVO, HUMANOID_ARM_KP, HUMANOID_ARM_KD);
      newJoint(`${s}_wrist_roll`, `${s}_wrist_pitch_link`, `${s}_hand`, [0, 0, 0], [1, 0, 0], -1, 1, SERVO, HUMANOID_ARM_KP, HUMANOID_ARM_KD);
    } else {
      joints.push(copyJoint(j));
    }
  }

  // One unique binary STL per link (visual and collision share it).
  const meshFiles: string[] = [];
  links.forEach((l, i) => {
    const file = join(root, 'meshes', `${l.name}.stl`);
    writeFileSync(file, binaryStl(primTris(l.shape, 0.001 * (i + 1)), `axon mesh humanoid ${l.name}`));
    meshFiles.push(file);
  });

  const xml: string[] = ['<?xml version="1.0"?>', '<!-- generated by tests/helpers/meshHumanoid.ts from sim/robots/humanoid.urdf -->', '<robot name="mesh_humanoid">'];
  for (const l of links) {
    const i = l.inertial;
    const geom = `<geometry><mesh filename="package://${MESH_HUMANOID_PACKAGE}/meshes/${l.name}.stl"/></geometry>`;
    const org = `<origin xyz="${v3(l.origin.xyz)}" rpy="${v3(l.origin.rpy)}"/>`;
    xml.push(
      `  <link name="${l.name}">`,
      `    <inertial><origin xyz="${v3(i.origin.xyz)}" rpy="${v3(i.origin.rpy)}"/><mass value="${f(i.mass)}"/>` +
        `<inertia ixx="${f(i.ixx)}" ixy="${f(i.ixy)}" ixz="${f(i.ixz)}" iyy="${f(i.iyy)}" iyz="${f(i.iyz)}" izz="${f(i.izz)}"/></inertial>`,
      `    <visual>${org}${geom}<material name="${l.name}_mat"><color rgba="${v3(l.color)}"/></material></visual>`,
      `    <collision>${org}${geom}</collision>`,
      '  </link>',
    );
  }
  for (const j of joints) {
    xml.push(`  <joint name="${j.name}" type="${j.type}">`, `    <parent link="${j.parent}"/><child link="${j.child}"/>`, `    <origin xyz="${v3(j.origin.xyz)}" rpy="${v3(j.origin.rpy)}"/>`);
    if (j.type !== 'fixed') {
      xml.push(`    <axis xyz="${v3(j.axis)}"/>`, `    <limit lower="${f(j.lower)}" upper="${f(j.upper)}" effort="${f(j.effort)}" velocity="${f(j.velocity)}"/>`, `    <dynamics damping="${f(j.damping)}" friction="0"/>`);
    }
    xml.push('  </joint>');
  }
  xml.push('</robot>', '');
  const urdfFile = join(root, 'urdf', 'mesh_humanoid.urdf');
  writeFileSync(urdfFile, xml.join('\n'));

  const { sensorNoise: _noise, ...options } = humanoidOptions;
  return {
    dir,
    urdfFile,
    meshFiles,
    jointNames: joints.filter((j) => j.type !== 'fixed').map((j) => j.name),
    jointDefaults: defaults,
    options,
    totalMass: links.reduce((m, l) => m + l.inertial.mass, 0),
  };
}
