/**
 * The root body of a URDF robot: the root link with the links fixed to it, which both simulators
 * merge into one body. Both decide a fixed base the same way when not told (urdfFixedByDefault).
 */
import type { UrdfModel } from './parseUrdf.ts';

/** Mass (kg) of `link` and the links fixed to it; a link without <inertial> adds nothing. */
export function fixedGroupMass(model: UrdfModel, link: string = model.root): number {
  let m = model.linkByName.get(link)?.inertial?.mass ?? 0;
  for (const j of model.childJoints.get(link) ?? []) if (j.type === 'fixed') m += fixedGroupMass(model, j.child);
  return m;
}

/**
 * A fixed base unless told otherwise: the URDF fixes the robot to the world (root link "world"), or
 * its root body has no mass (no <inertial>, or mass 0 as pybullet writes a static base, on the root
 * and the links fixed to it): nothing to simulate as a floating body.
 */
export function urdfFixedByDefault(model: UrdfModel): boolean {
  return model.root === 'world' || !(fixedGroupMass(model) > 0);
}
