/**
 * What the viewer draws for a MuJoCo robot: every body a "link" of the page, posed from MuJoCo's
 * own body poses (data.xpos / xquat), so that the page draws the bodies as MuJoCo moves them
 * (a floating base included).
 *
 * - An MJCF robot: the visuals are the compiled model's geoms (box, sphere, capsule, cylinder,
 *   ellipsoid; a mesh as its compiled vertices and faces, which are already in the geom's frame),
 *   in MuJoCo's default visible groups 0-2, colour from the material else the geom's rgba. Planes,
 *   height fields and SDFs are not drawn (the page has its own ground).
 * - A URDF robot (shipped or --urdf): the URDF's visuals (MuJoCo compiled the URDF with
 *   discardvisual), each link posed from the MuJoCo body of the same name (fusestatic is off, so
 *   every link is a body).
 *
 * Real-time rule: linkPose() runs off the tick (when the viewer builds a frame) and allocates
 * nothing; the model description is built once.
 */
import type { MjModel } from '@mujoco/mujoco';
import type { ViewerModel, ViewerRobot } from '../../src/viewer/attachViewer.ts';
import type { RobotSpec } from '../../src/core/robot.ts';
import { AxonError } from '../../src/core/errors.ts';
import { printable } from '../../src/core/printable.ts';
import type { MujocoRobot } from './MujocoRobot.ts';
import { mujocoName } from './loadMujoco.ts';
import { createMujocoMjcfRobot } from './createMujocoRobot.ts';
import { mjcfLinkTree } from './mjcfLinkTree.ts';

type Visual = ViewerModel['links'][number]['visuals'][number];

const OBJ_BODY = 1; // mjOBJ_BODY
// mjtGeom values (mujoco.h); the bindings' enum objects need the module, these are fixed by MuJoCo.
const GEOM_SPHERE = 2;
const GEOM_CAPSULE = 3;
const GEOM_ELLIPSOID = 4;
const GEOM_CYLINDER = 5;
const GEOM_BOX = 6;
const GEOM_MESH = 7;
/** MuJoCo's viewer shows geom groups 0, 1 and 2 by default; 3+ hold collision-only geoms by convention. */
const MAX_VISIBLE_GROUP = 2;

/** Rounds to 0.01 mm (vertex data goes to the page as JSON). */
const r5 = (x: number) => Math.round(x * 1e5) / 1e5;

/**
 * Roll, pitch, yaw (rad) of the rotation q = (w, x, y, z), with R = Rz(yaw)·Ry(pitch)·Rx(roll) as
 * URDF's rpy and the page's 'ZYX' Euler.
 */
export function quatToRpy(w: number, x: number, y: number, z: number): [number, number, number] {
  const roll = Math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y));
  const s = 2 * (w * y - z * x);
  const pitch = Math.abs(s) >= 1 ? Math.sign(s) * (Math.PI / 2) : Math.asin(s);
  const yaw = Math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z));
  return [roll, pitch, yaw];
}

/** A body's name, or `body<id>` for an unnamed one. */
function bodyName(robot: MujocoRobot, id: number): string {
  const n = mujocoName(robot.mj, robot.model, OBJ_BODY, id);
  return n !== '' ? n : `body${id}`;
}

/** One geom as the page's visual, or undefined for a geom the page does not draw. */
function geomVisual(m: MjModel, g: number): Visual | undefined {
  const type = (m.geom_type as Int32Array)[g];
  const s = (m.geom_size as Float64Array).subarray(3 * g, 3 * g + 3);
  let geometry: Visual['geometry'];
  if (type === GEOM_BOX) geometry = { kind: 'box', size: [2 * s[0], 2 * s[1], 2 * s[2]] };
  else if (type === GEOM_SPHERE) geometry = { kind: 'sphere', radius: s[0] };
  else if (type === GEOM_CAPSULE) geometry = { kind: 'capsule', radius: s[0], length: 2 * s[1] };
  else if (type === GEOM_CYLINDER) geometry = { kind: 'cylinder', radius: s[0], length: 2 * s[1] };
  else if (type === GEOM_ELLIPSOID) geometry = { kind: 'ellipsoid', radii: [s[0], s[1], s[2]] };
  else if (type === GEOM_MESH) {
    const id = (m.geom_dataid as Int32Array)[g];
    if (id < 0) return undefined;
    const va = (m.mesh_vertadr as Int32Array)[id], vn = (m.mesh_vertnum as Int32Array)[id];
    const fa = (m.mesh_faceadr as Int32Array)[id], fn = (m.mesh_facenum as Int32Array)[id];
    const vertices = Array.from((m.mesh_vert as Float32Array).subarray(3 * va, 3 * (va + vn)), r5);
    const faces = Array.from((m.mesh_face as Int32Array).subarray(3 * fa, 3 * (fa + fn)));
    geometry = { kind: 'trimesh', vertices, faces };
  } else return undefined; // plane, height field, SDF
  const mat = (m.geom_matid as Int32Array)[g];
  const rgba = mat >= 0 ? (m.mat_rgba as Float32Array).subarray(4 * mat, 4 * mat + 4) : (m.geom_rgba as Float32Array).subarray(4 * g, 4 * g + 4);
  if (rgba[3] === 0) return undefined; // invisible by the model's own choice
  const p = (m.geom_pos as Float64Array).subarray(3 * g, 3 * g + 3);
  const q = (m.geom_quat as Float64Array).subarray(4 * g, 4 * g + 4);
  return { origin: { xyz: [p[0], p[1], p[2]], rpy: quatToRpy(q[0], q[1], q[2], q[3]) }, geometry, color: Array.from(rgba, (c) => Math.round(c * 1000) / 1000) };
}

/**
 * The viewer's model of a MuJoCo robot compiled from an MJCF: one link per body but the world
 * (body 0), visuals from its geoms (see the module comment).
 */
export function mujocoViewerModel(robot: MujocoRobot): ViewerModel {
  const m = robot.model;
  const bodyOf = m.geom_bodyid as Int32Array;
  const group = m.geom_group as Int32Array;
  const links: { name: string; visuals: Visual[] }[] = [];
  for (let b = 1; b < m.nbody; b++) links.push({ name: bodyName(robot, b), visuals: [] });
  for (let g = 0; g < m.ngeom; g++) {
    const b = bodyOf[g];
    if (b === 0 || group[g] > MAX_VISIBLE_GROUP) continue;
    const v = geomVisual(m, g);
    if (v) links[b - 1].visuals.push(v);
  }
  return { name: robot.spec.name, links };
}

/**
 * A MuJoCo robot for attachViewer: its spec, the model to draw (`urdf` when the robot came from
 * a URDF, else the MJCF's geoms) and each link's pose from MuJoCo's body of that name (a link
 * without a body, or a URDF link MuJoCo dropped, stays at the origin).
 */
export function mujocoViewRobot(robot: MujocoRobot, urdf?: ViewerModel): Required<Pick<ViewerRobot, 'spec' | 'model' | 'linkPose'>> {
  const model = urdf ?? mujocoViewerModel(robot);
  const body = new Map<string, number>();
  for (let b = 1; b < robot.model.nbody; b++) body.set(bodyName(robot, b), b);
  let xpos: Float64Array = robot.data.xpos;
  let xquat: Float64Array = robot.data.xquat;
  return {
    spec: robot.spec,
    model,
    linkPose(name: string, pos: Float64Array, quat: Float64Array): void {
      if (xpos.length === 0) {
        // A heap growth detached the views: fetch them again.
        xpos = robot.data.xpos;
        xquat = robot.data.xquat;
      }
      const b = body.get(name);
      if (b === undefined) {
        pos.fill(0);
        quat[0] = quat[1] = quat[2] = 0;
        quat[3] = 1;
        return;
      }
      pos[0] = xpos[3 * b];
      pos[1] = xpos[3 * b + 1];
      pos[2] = xpos[3 * b + 2];
      // MuJoCo: w x y z; the viewer: x y z w.
      quat[0] = xquat[4 * b + 1];
      quat[1] = xquat[4 * b + 2];
      quat[2] = xquat[4 * b + 3];
      quat[3] = xquat[4 * b];
    },
  };
}

/**
 * Puts a MuJoCo robot in a recorded pose for drawing (`axon replay --view` of a MuJoCo
 * recording): joint positions in `spec`'s order (each put in the model's joint of that name), the floating base at `basePosition` /
 * `baseOrientation` (x y z w), then forward kinematics only (mj_kinematics: body poses, nothing
 * simulated). The robot is not stepped afterwards; its state is the drawing's.
 */
export function mujocoPoser(robot: MujocoRobot, spec: RobotSpec = robot.spec): { showPose(positions: ArrayLike<number>, basePosition?: ArrayLike<number>, baseOrientation?: ArrayLike<number>): void } {
  const { mj, model } = robot;
  const jq = model.jnt_qposadr as Int32Array;
  // By name: `spec` (the recorded or served robot) may list the model's joints in another order.
  const qadr = Int32Array.from(spec.joints, (j) => jq[mj.mj_name2id(model, mj.mjtObj.mjOBJ_JOINT.value, j.name)]);
  // The robot's floating base (a free joint, or slides and a ball counted from the body's pos).
  const base = robot.floatingBase;
  const free = base?.qadr ?? -1;
  return {
    showPose(positions, basePosition, baseOrientation) {
      const qpos = robot.data.qpos as Float64Array;
      for (let i = 0; i < qadr.length; i++) qpos[qadr[i]] = positions[i];
      if (base && basePosition) for (let k = 0; k < 3; k++) qpos[free + k] = basePosition[k] - base.origin[k];
      if (free >= 0 && baseOrientation) {
        qpos[free + 3] = baseOrientation[3];
        qpos[free + 4] = baseOrientation[0];
        qpos[free + 5] = baseOrientation[1];
        qpos[free + 6] = baseOrientation[2];
      }
      mj.mj_kinematics(model, robot.data);
    },
  };
}

/**
 * `axon replay --view` of a recording made with `--mjcf FILE`: the MJCF loaded in MuJoCo again,
 * drawn from its geoms and posed at each recorded tick by forward kinematics (nothing simulated).
 * The model's joints must be the recorded ones, in any order (posed by name, as a URDF is;
 * AxonError REPLAY_MODEL at `where` otherwise: the file changed, or `replay --mjcf FILE` gave
 * another robot's).
 */
export async function createMujocoReplayRobot(file: string, spec: RobotSpec, where: string = file) {
  const d = await createMujocoDrawing(file);
  const want = spec.joints.map((j) => j.name);
  if (!d.fits(want)) {
    d.dispose();
    throw new AxonError('REPLAY_MODEL', where, `has joints [${printable(d.joints.join(', '))}]`, `the recorded robot's joints, in any order: [${printable(want.join(', '))}]`);
  }
  return d.robot(spec);
}

/** The same joint names, each once, in any order (an MJCF is posed by name: mujocoPoser). */
function sameJointSet(have: readonly string[], want: readonly string[]): boolean {
  const h = new Set(have);
  return h.size === have.length && have.length === want.length && new Set(want).size === want.length && want.every((n) => h.has(n));
}

/**
 * An MJCF compiled in MuJoCo to be drawn only (a replay, a bridged robot's live view with `--mjcf
 * FILE`): its joints in MuJoCo's order, and `robot(spec)` drawing and posing it for a robot whose
 * joints are those, in any order (the caller checks with `fits`; posed by name). `dispose` frees it when it is not
 * drawn; the drawn robot's close() frees it otherwise.
 */
export async function createMujocoDrawing(file: string) {
  const robot = await createMujocoMjcfRobot(file, { physicsDt: 0.002 });
  const joints: readonly string[] = robot.spec.joints.map((j) => j.name);
  return {
    joints,
    /** The model file and its includes as MuJoCo read and compiled them (before any change of its own), hashed as a served MJCF is (mjcfDigest.ts). */
    source: robot.mjcfDigest,
    /** Whether a robot with these joint names (in any order) can be drawn and posed with it. */
    fits: (names: readonly string[]) => sameJointSet(joints, names),
    robot: (spec: RobotSpec) => ({ ...mujocoViewRobot(robot), spec, ...mujocoPoser(robot, spec), async close() { robot.dispose(); } }),
    /** The body tree as plain data (mjcfLinkTree.ts): the joints through which a policy's IMU term read in another body is derived. */
    linkTree: () => mjcfLinkTree(robot, file),
    /** The body the model's own IMU rule picks (`axon sim --mjcf`'s: createMujocoMjcfRobot), null when none. */
    imuLink: robot.mjcfSetup.imuLink,
    dispose: () => robot.dispose(),
  };
}
