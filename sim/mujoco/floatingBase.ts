/**
 * A MuJoCo model's floating base, as axon reads and places it: a free joint on the root body, or
 * the same six degrees of freedom written as humanoid-gym's XBot-L writes them (resources/robots/
 * XBot/mjcf/XBot-L.xml): three slide joints along the body's x, y and z, then a ball joint. Their
 * qpos is a free joint's layout (x y z, then the quaternion w x y z) and so is their qvel (linear
 * velocity in the world frame, then angular velocity in the body frame), so the base is placed and
 * read at the same addresses; only the position differs: a slide counts from the body's own `pos`
 * (its qpos0), a free joint from the world origin. sim2sim.py reads the robot's joints as
 * `qpos[-12:]`, after these 7.
 *
 * Configure time only.
 */
import type { MainModule, MjModel, MjSpec, MjsJoint } from '@mujoco/mujoco';
import { AxonError } from '../../src/core/errors.ts';
import { mujocoName } from './loadMujoco.ts';

/** Where a floating base sits in qpos / qvel, and what it is made of. */
export interface FloatingBase {
  /** A free joint, or three slides and a ball (humanoid-gym's XBot-L). */
  readonly kind: 'free' | 'slides+ball';
  /** qpos address of the base's x y z (m), followed by its orientation w x y z. */
  readonly qadr: number;
  /** qvel address of its linear velocity (world, m/s), followed by its angular velocity (body frame, rad/s). */
  readonly vadr: number;
  /**
   * World position (m) of the base when its qpos x y z are 0: the world origin for a free joint;
   * for slides the body's `pos` less the slides' `ref` (MuJoCo moves a slide's body by qpos − qpos0).
   */
  readonly origin: readonly [number, number, number];
  /** The joints it is made of (ids in the compiled model): not the robot's moving joints. */
  readonly jointIds: readonly number[];
}

const AXES = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];

/**
 * The floating base on `body` (the robot's root), or undefined for a fixed one. Slides and a ball
 * in the one arrangement that makes a free base (three slides along x, y, z in that order, then the
 * ball at the body's origin, on a body not rotated from the world) are that base, named or not. In
 * any other arrangement they are what they were before floating bases of slides were read: named,
 * the slides are driven joints on a fixed base and the ball a passive joint (undefined here); with
 * an unnamed hinge or slide among them (refused before as an unnamed joint) they are refused,
 * MUJOCO_MJCF_BASE naming the body, its joints and the arrangement expected. `where` names the model file.
 */
export function floatingBase(mj: MainModule, m: MjModel, body: number, where: string): FloatingBase | undefined {
  const jadr = (m.body_jntadr as Int32Array)[body];
  const jnum = (m.body_jntnum as Int32Array)[body];
  if (jadr < 0 || jnum === 0) return undefined;
  const type = m.jnt_type as Int32Array;
  const qadr = m.jnt_qposadr as Int32Array;
  const vadr = m.jnt_dofadr as Int32Array;
  const T = mj.mjtJoint;
  if (type[jadr] === T.mjJNT_FREE.value) return { kind: 'free', qadr: qadr[jadr], vadr: vadr[jadr], origin: [0, 0, 0], jointIds: [jadr] };
  const ids = Array.from({ length: jnum }, (_, k) => jadr + k);
  const slides = ids.filter((j) => type[j] === T.mjJNT_SLIDE.value);
  const ball = ids.filter((j) => type[j] === T.mjJNT_BALL.value);
  if (slides.length === 0 || ball.length === 0) return undefined; // a planar base, a passive ball: ordinary joints
  const axis = m.jnt_axis as Float64Array;
  const jpos = m.jnt_pos as Float64Array;
  // A ball turns the body about its pos: only one at the body's origin turns it in place, as a free joint does.
  const centred = (j: number) => Math.hypot(jpos[3 * j], jpos[3 * j + 1], jpos[3 * j + 2]) <= 1e-9;
  const bq = (m.body_quat as Float64Array).subarray(4 * body, 4 * body + 4);
  const bodyName = mujocoName(mj, m, mj.mjtObj.mjOBJ_BODY.value, body);
  const typeName = (j: number) => (type[j] === T.mjJNT_SLIDE.value ? 'slide' : type[j] === T.mjJNT_BALL.value ? 'ball' : type[j] === T.mjJNT_HINGE.value ? 'hinge' : 'free');
  const describe = (j: number) => {
    const n = mujocoName(mj, m, mj.mjtObj.mjOBJ_JOINT.value, j);
    const a = type[j] === T.mjJNT_SLIDE.value || type[j] === T.mjJNT_HINGE.value ? ` axis ${fmt(axis[3 * j])} ${fmt(axis[3 * j + 1])} ${fmt(axis[3 * j + 2])}` : '';
    const at = type[j] === T.mjJNT_BALL.value && !centred(j) ? ` pos ${fmt(jpos[3 * j])} ${fmt(jpos[3 * j + 1])} ${fmt(jpos[3 * j + 2])}` : '';
    return `${typeName(j)}${n ? ` "${n}"` : ''}${a}${at}`;
  };
  const shape = ids.length === 4 && ids.slice(0, 3).every((j) => type[j] === T.mjJNT_SLIDE.value) && type[ids[3]] === T.mjJNT_BALL.value;
  const along = shape && ids.slice(0, 3).every((j, k) => AXES[k].every((c, i) => Math.abs(axis[3 * j + i] - c) <= 1e-9)) && centred(ids[3]);
  const unrotated = Math.abs(Math.abs(bq[0]) - 1) <= 1e-9;
  const named = ids.every((j) => (type[j] !== T.mjJNT_SLIDE.value && type[j] !== T.mjJNT_HINGE.value) || mujocoName(mj, m, mj.mjtObj.mjOBJ_JOINT.value, j) !== '');
  if ((!shape || !along || !unrotated) && named) return undefined; // driven slides, a passive ball, as before
  if (!shape || !along || !unrotated)
    throw new AxonError(
      'MUJOCO_MJCF_BASE',
      `${where}: <body name="${bodyName || `#${body}`}">`,
      `is the robot's root and has slide and ball joints (${ids.map(describe).join(', ')})${shape && along && !unrotated ? `, on a body rotated from the world (quat ${Array.from(bq, fmt).join(' ')})` : ''}, which are not a floating base axon can read`,
      "a <freejoint/>, or three slide joints along the body's x, y and z in that order and then one ball joint at the body's origin (a free base as humanoid-gym's XBot-L writes it), on a body not rotated from the world",
    );
  const p = (m.body_pos as Float64Array).subarray(3 * body, 3 * body + 3);
  const q0 = m.qpos0 as Float64Array;
  return {
    kind: 'slides+ball',
    qadr: qadr[ids[0]],
    vadr: vadr[ids[0]],
    origin: [p[0] - q0[qadr[ids[0]]], p[1] - q0[qadr[ids[1]]], p[2] - q0[qadr[ids[2]]]],
    jointIds: ids,
  };
}

/**
 * What the base's joints carry that a <freejoint/> has none of, one phrase per joint that has any:
 * damping, stiffness, armature, frictionloss (a free joint written `<joint type="free">` inside a
 * childclass takes its class's), and for slides and a ball being limited (read from the spec: the
 * compiled jnt_limited is a bool array this build cannot read). MuJoCo keeps them (axon writes only
 * its own joints' dynamics): the base is held, sprung or slowed by them. `spec` is the model's, `m` compiled from it.
 */
export function baseJointExtras(mj: MainModule, m: MjModel, spec: MjSpec, base: FloatingBase): string[] {
  const type = m.jnt_type as Int32Array;
  const dofadr = m.jnt_dofadr as Int32Array;
  const stiffness = m.jnt_stiffness as Float64Array;
  const per = { damping: m.dof_damping as Float64Array, armature: m.dof_armature as Float64Array, frictionloss: m.dof_frictionloss as Float64Array };
  if (base.kind === 'free') {
    // A <joint type="free"> takes its class's damping, armature and frictionloss (a <freejoint/> does
    // not): MuJoCo applies them to the base's 6 dofs, one value each (x y z, then rotation).
    const j = base.jointIds[0];
    const has: string[] = [];
    for (const [what, arr] of Object.entries(per)) {
      const v = Array.from(arr.subarray(dofadr[j], dofadr[j] + 6));
      if (v.some((x) => x !== 0)) has.push(`${what} ${v.every((x) => x === v[0]) ? fmt(v[0]) : `[${v.map(fmt).join(' ')}]`}`);
    }
    if (stiffness[j] !== 0) has.push(`stiffness ${fmt(stiffness[j])}`);
    const n = mujocoName(mj, m, mj.mjtObj.mjOBJ_JOINT.value, j);
    return has.length > 0 ? [`free joint${n ? ` "${n}"` : ''}: ${has.join(', ')}`] : [];
  }
  // The root body in the spec (the base's body: the world's k-th child in the spec, as it is the
  // k-th in the compiled model, mjcfRoot.ts) and its joints, in order.
  const parent = m.body_parentid as Int32Array;
  const top = (m.jnt_bodyid as Int32Array)[base.jointIds[0]];
  let k = 0;
  for (let b = 1; b < top; b++) if (parent[b] === 0) k++;
  const world = mj.mjs_findBody(spec, 'world');
  let rootEl = world ? mj.mjs_firstChild(world, mj.mjtObj.mjOBJ_BODY, 0) : undefined;
  for (let i = 0; i < k && rootEl && world; i++) rootEl = mj.mjs_nextChild(world, rootEl, 0);
  const root = rootEl ? mj.mjs_asBody(rootEl) : undefined;
  const specJoints: MjsJoint[] = [];
  for (let e = root ? mj.mjs_firstChild(root, mj.mjtObj.mjOBJ_JOINT, 0) : undefined; e && root; e = mj.mjs_nextChild(root, e, 0)) {
    const j = mj.mjs_asJoint(e);
    if (j) specJoints.push(j);
  }
  const value = (x: unknown) => (x as { value: number }).value;
  const limited = (k: number): string | undefined => {
    const j = specJoints.length === base.jointIds.length ? specJoints[k] : undefined;
    if (!j) return undefined;
    const r = (m.jnt_range as Float64Array).subarray(2 * base.jointIds[k], 2 * base.jointIds[k] + 2);
    const given = r[0] !== 0 || r[1] !== 0;
    const on = value(j.limited) === value(mj.mjtLimited.mjLIMITED_TRUE) || (value(j.limited) === value(mj.mjtLimited.mjLIMITED_AUTO) && spec.compiler.autolimits && given);
    if (!on) return undefined;
    return type[base.jointIds[k]] === mj.mjtJoint.mjJNT_BALL.value ? `limited to ${fmt(r[1])} rad` : `limited to [${fmt(r[0])}, ${fmt(r[1])}] m`;
  };
  const out: string[] = [];
  base.jointIds.forEach((j, k) => {
    const ball = type[j] === mj.mjtJoint.mjJNT_BALL.value;
    const has: string[] = [];
    const lim = limited(k);
    if (lim) has.push(lim);
    for (const [what, arr] of Object.entries(per)) if (arr[dofadr[j]] !== 0) has.push(`${what} ${fmt(arr[dofadr[j]])}`);
    if (stiffness[j] !== 0) has.push(`stiffness ${fmt(stiffness[j])}`);
    const n = mujocoName(mj, m, mj.mjtObj.mjOBJ_JOINT.value, j);
    if (has.length > 0) out.push(`${ball ? 'ball' : `slide ${'xyz'[k]}`}${n ? ` "${n}"` : ''}: ${has.join(', ')}`);
  });
  return out;
}

function fmt(x: number): string {
  return String(+x.toPrecision(6));
}
