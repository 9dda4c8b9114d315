/**
 * A from-isaaclab manifest whose joints are a URDF's in the file's (or depth-first) order: Isaac
 * Lab's articulation order for a URDF-imported robot is PhysX's, breadth-first over the tree (the
 * G1: left_hip_pitch, right_hip_pitch, waist_yaw, left_hip_roll, ...), which env.yaml does not
 * hold, and a user with only the vendor's files tends to paste the URDF's order to --joints. Every
 * check then passes and the policy drives the wrong joints, so `inspect --urdf` and `sim --urdf`
 * warn (R21 F4). A warning, not a refusal: breadth-first here is an estimate of PhysX's order
 * (fixed joints merged away, children in file order); `env.scene["robot"].joint_names` is the truth.
 */
import type { UrdfModel } from '../../sim/index.ts';
import type { ModelManifest } from '../model/manifest.ts';

/** The URDF's moving joints breadth-first from the root, children in file order, fixed joints merged into their parent. */
export function breadthFirstJoints(model: UrdfModel): string[] {
  const below = (link: string): string[] =>
    (model.childJoints.get(link) ?? []).flatMap((j) => (j.type === 'fixed' ? below(j.child) : [j.name]));
  const out: string[] = [];
  for (let level = below(model.root); level.length > 0; level = level.flatMap((n) => below(model.jointByName.get(n)!.child))) out.push(...level);
  return out;
}

/** The warning line, or undefined when the manifest is not from-isaaclab's or its order is not the URDF's file / depth-first one. */
export function isaacLabOrderWarning(m: ModelManifest, model: UrdfModel): string | undefined {
  if (!(m.provenance?.command ?? '').startsWith('axon manifest from-isaaclab')) return undefined;
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const file = model.joints.filter((j) => j.type !== 'fixed').map((j) => j.name);
  const depth = model.treeOrder.filter((j) => j.type !== 'fixed').map((j) => j.name);
  const bfs = breadthFirstJoints(model);
  const which = same(m.joints, file) ? "the URDF's file order" : same(m.joints, depth) ? "the URDF's depth-first order" : undefined;
  if (which === undefined || same(m.joints, bfs)) return undefined;
  return `manifest.json#/joints: are in ${which}, and the manifest is from an Isaac Lab env.yaml (${m.provenance!.command}): Isaac Lab's articulation order, the policy's, is PhysX's breadth-first one, likely ${bfs.join(', ')}; check it with env.scene["robot"].joint_names and re-import with that --joints, or the policy drives the wrong joints`;
}
