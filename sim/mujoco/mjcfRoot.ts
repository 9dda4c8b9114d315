/**
 * Which body under an MJCF's worldbody is the robot (compileMjcf.ts, createMujocoMjcfRobot.ts): a
 * scene declares its table, a mocap target or a loose cube wherever it likes, often before the
 * robot, so "the first body under the world" is not the robot. The robot's root is the first body
 * under the world whose tree holds a hinge or slide joint (something axon drives); jointless and
 * mocap bodies (static scenery) and trees whose only joints are free or ball joints (loose objects)
 * are skipped. Where no tree has a hinge or slide, the first tree with any joint, else the first
 * body that is not mocap, else the first body.
 *
 * Configure time only.
 */
import type { MainModule, MjModel } from '@mujoco/mujoco';

/** The robot's root body and what was passed over, as body ids of the compiled model. */
export interface MjcfRoot {
  /** The root body (a child of the world). */
  readonly root: number;
  /** Bodies under the world before the root that are not the robot (scenery, mocap, loose objects). */
  readonly skipped: readonly number[];
  /** Other bodies under the world whose trees hold hinge or slide joints too (the root is the first of them). */
  readonly rivals: readonly number[];
}

/** The robot's root body of `m` (see the module comment); undefined when the world has no body. */
export function mjcfRoot(mj: MainModule, m: MjModel): MjcfRoot | undefined {
  const parent = m.body_parentid as Int32Array;
  const tree = m.body_rootid as Int32Array;
  const mocap = m.body_mocapid as Int32Array;
  const jointBody = m.jnt_bodyid as Int32Array;
  const type = m.jnt_type as Int32Array;
  const HINGE = mj.mjtJoint.mjJNT_HINGE.value;
  const SLIDE = mj.mjtJoint.mjJNT_SLIDE.value;
  const tops: number[] = [];
  for (let b = 1; b < m.nbody; b++) if (parent[b] === 0) tops.push(b);
  if (tops.length === 0) return undefined;
  const moving = new Set<number>();
  const jointed = new Set<number>();
  for (let j = 0; j < m.njnt; j++) {
    const t = tree[jointBody[j]];
    jointed.add(t);
    if (type[j] === HINGE || type[j] === SLIDE) moving.add(t);
  }
  const qualifying = tops.filter((b) => moving.has(b));
  const root = qualifying[0] ?? tops.find((b) => jointed.has(b)) ?? tops.find((b) => mocap[b] < 0) ?? tops[0];
  return { root, skipped: tops.slice(0, tops.indexOf(root)), rivals: qualifying.filter((b) => b !== root) };
}

/** Whether the tree of world child `top` holds any joint (a loose object when it is not the robot's). */
export function treeHasJoint(m: MjModel, top: number): boolean {
  const tree = m.body_rootid as Int32Array;
  const jointBody = m.jnt_bodyid as Int32Array;
  for (let j = 0; j < m.njnt; j++) if (tree[jointBody[j]] === top) return true;
  return false;
}
