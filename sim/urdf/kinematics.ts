import { Quaternion, Vec3 } from 'cannon-es';
import { AxonError } from '../../src/core/errors.ts';
import { composePose, quatFromRpy } from '../physics/frames.ts';
import type { UrdfJoint, UrdfModel } from './parseUrdf.ts';

const _p = new Vec3();
const _q = new Quaternion();
const _v = new Vec3();
const _r = new Quaternion();
const _a = new Vec3();

/**
 * Forward kinematics on the URDF alone (no simulator): the world position (m) of `link`'s frame
 * for joint positions `q` (rad | m) in robot joint order (non-fixed joints depth-first from the
 * root, SimRobot's order), root at the world origin. The chain is found once (`chainTo`).
 */
export function linkPositionFk(chain: FkChain, q: ArrayLike<number>, out: Float64Array): Float64Array {
  _p.set(0, 0, 0);
  _q.set(0, 0, 0, 1);
  for (const { joint, index } of chain.steps) {
    _v.set(...joint.origin.xyz);
    quatFromRpy(joint.origin.rpy, _r);
    composePose(_p, _q, _v, _r, _p, _q);
    if (index < 0) continue;
    _a.set(...joint.axis);
    if (joint.type === 'prismatic') {
      _v.set(_a.x * q[index], _a.y * q[index], _a.z * q[index]);
      _r.set(0, 0, 0, 1);
    } else {
      _v.set(0, 0, 0);
      _r.setFromAxisAngle(_a, q[index]);
    }
    composePose(_p, _q, _v, _r, _p, _q);
  }
  out[0] = _p.x;
  out[1] = _p.y;
  out[2] = _p.z;
  return out;
}

/** The joints from the root to a link, each with its index in robot joint order (-1 for fixed). */
export interface FkChain {
  readonly link: string;
  readonly steps: readonly { readonly joint: UrdfJoint; readonly index: number }[];
}

export function chainTo(model: UrdfModel, link: string): FkChain {
  if (!model.linkByName.has(link)) throw new AxonError('SIM_UNKNOWN_LINK', `"${link}"`, `robot ${model.name} has no such link`, [...model.linkByName.keys()].join(', '));
  const order = model.treeOrder.filter((j) => j.type !== 'fixed');
  const steps: { joint: UrdfJoint; index: number }[] = [];
  for (let j = model.parentJoint.get(link); j !== undefined; j = model.parentJoint.get(j.parent)) {
    steps.unshift({ joint: j, index: j.type === 'fixed' ? -1 : order.indexOf(j) });
  }
  return { link, steps };
}
