/**
 * A compiled MJCF's body tree as src/model/linkFrames.ts takes it (plain data): each body hangs from
 * its parent by its joints in order (a body with two hinges becomes two joints through a virtual
 * link `body#1`), the first carrying the body's quat (MuJoCo: xquat = parent's · body_quat · the
 * joints' rotations about their local axes, in order, as mj_kinematics composes them); a body
 * without joints is fixed to its parent. Hinges turn, slides are prismatic, a free joint is
 * floating, a ball is a ball (both refused on a chain). A hinge's `ref` is its zero (the model's
 * qpos0 at its address): MuJoCo turns the body by qpos − qpos0 and the robot reports qpos. Followers of an <equality><joint> (the
 * robot's JointSpec.mimic) carry the joint they follow. Names: the model's (body 0 is "world"), `#N`
 * for an unnamed one.
 */
import type { LinkJoint, LinkJointType, LinkTree } from '../../src/model/linkFrames.ts';
import type { MujocoRobot } from './MujocoRobot.ts';
import { mujocoName } from './loadMujoco.ts';

export function mjcfLinkTree(robot: MujocoRobot, source: string): LinkTree {
  const { mj, model: m } = robot;
  const OBJ_BODY = mj.mjtObj.mjOBJ_BODY.value, OBJ_JOINT = mj.mjtObj.mjOBJ_JOINT.value, T = mj.mjtJoint;
  const parent = m.body_parentid as Int32Array, jntadr = m.body_jntadr as Int32Array, jntnum = m.body_jntnum as Int32Array;
  const bq = m.body_quat as Float64Array, jtype = m.jnt_type as Int32Array, axis = m.jnt_axis as Float64Array;
  const qposadr = m.jnt_qposadr as Int32Array, qpos0 = m.qpos0 as Float64Array;
  const follows = new Map(robot.spec.joints.filter((j) => j.mimic !== undefined).map((j) => [j.name, j.mimic!.joint]));
  const body = (b: number) => (b === 0 ? 'world' : mujocoName(mj, m, OBJ_BODY, b) || `#body${b}`);
  const kind = (t: number): LinkJointType => (t === T.mjJNT_HINGE.value ? 'revolute' : t === T.mjJNT_SLIDE.value ? 'prismatic' : t === T.mjJNT_BALL.value ? 'ball' : 'floating');
  const joints: LinkJoint[] = [];
  for (let b = 1; b < m.nbody; b++) {
    const name = body(b), up = body(parent[b]);
    const quat = [bq[4 * b + 1], bq[4 * b + 2], bq[4 * b + 3], bq[4 * b]] as const; // MuJoCo's w x y z -> x y z w
    const n = jntnum[b];
    if (n === 0) {
      joints.push({ name: `${name} (fixed to ${up})`, type: 'fixed', parent: up, child: name, origin: quat, axis: [0, 0, 1] });
      continue;
    }
    for (let k = 0; k < n; k++) {
      const j = jntadr[b] + k;
      const jname = mujocoName(mj, m, OBJ_JOINT, j) || `#joint${j}`;
      const mimic = follows.get(jname);
      const hinge = jtype[j] === T.mjJNT_HINGE.value;
      joints.push({
        name: jname,
        type: kind(jtype[j]),
        parent: k === 0 ? up : `${name}#${k}`,
        child: k === n - 1 ? name : `${name}#${k + 1}`,
        origin: k === 0 ? quat : [0, 0, 0, 1],
        axis: [axis[3 * j], axis[3 * j + 1], axis[3 * j + 2]],
        ...(mimic !== undefined ? { mimic } : {}),
        ...(hinge && qpos0[qposadr[j]] !== 0 ? { zero: qpos0[qposadr[j]] } : {}),
      });
    }
  }
  return { source, joints };
}
