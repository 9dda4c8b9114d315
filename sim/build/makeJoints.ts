import type { World } from 'cannon-es';
import { AxonError } from '../../src/core/errors.ts';
import type { JointSpec } from '../../src/core/robot.ts';
import type { UrdfModel, UrdfNote } from '../urdf/parseUrdf.ts';
import type { SimRobotOptions } from '../SimRobotOptions.ts';
import type { BodyInfo, LinkInfo } from './links.ts';
import { jointSpec, makeJoint, type JointInfo } from './makeJoint.ts';
import { followerDefaults } from './mimicJoints.ts';

/**
 * The moving joints of a URDF robot in cannon-es, in the tree order (the robot joint order): their
 * specs (`jointDefaults` applied; a mimic joint's default from its leader's, sim/build/mimicJoints.ts)
 * and their constraints, added to the world. Throws SIM_OPTION for a `jointDefaults` entry that
 * names no moving joint. The bodies must be in the zero pose.
 */
export function makeJoints(
  model: UrdfModel,
  options: Pick<SimRobotOptions, 'jointDefaults'>,
  ctx: { readonly links: readonly LinkInfo[]; readonly linkIndex: ReadonlyMap<string, number>; readonly bodies: readonly BodyInfo[]; readonly world: World; readonly physicsDt: number; readonly implicit: boolean },
  notes: UrdfNote[],
): { specs: JointSpec[]; joints: JointInfo[] } {
  const moving = model.treeOrder.filter((j) => j.type !== 'fixed');
  const given = (name: string) => options.jointDefaults?.[name];
  const specs = followerDefaults(
    moving.map((joint) => jointSpec(joint, given(joint.name) ?? {}, notes)),
    (name) => given(name)?.defaultPosition,
    notes,
  );
  for (const name of Object.keys(options.jointDefaults ?? {}))
    if (!specs.some((j) => j.name === name)) throw new AxonError('SIM_OPTION', `jointDefaults.${name}`, 'names no moving joint of the robot', specs.map((j) => j.name).join(', '));
  return { specs, joints: moving.map((joint, i) => makeJoint(joint, specs[i], ctx)) };
}
