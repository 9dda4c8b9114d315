/**
 * What a from-isaaclab manifest gets wrong on a URDF without a word from the checks, said as
 * warnings by `inspect --urdf` and `sim --urdf`: its joint order and where its IMU terms are read.
 *
 * A from-isaaclab manifest whose joints are a URDF's in the file's (or depth-first) order: Isaac
 * Lab's articulation order for a URDF-imported robot is PhysX's, breadth-first over the tree (the
 * G1: left_hip_pitch, right_hip_pitch, waist_yaw, left_hip_roll, ...), which env.yaml does not
 * hold, and a user with only the vendor's files tends to paste the URDF's order to --joints. Every
 * check then passes and the policy drives the wrong joints, so `inspect --urdf` and `sim --urdf`
 * warn (R21 F4). A warning, not a refusal: breadth-first here is an estimate of PhysX's order
 * (fixed joints merged away, children in file order); `env.scene["robot"].joint_names` is the truth.
 */
import type { UrdfModel } from '../../sim/index.ts';
import { imuTerms, type ModelManifest } from '../model/manifest.ts';

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

/**
 * A from-isaaclab manifest whose IMU terms would be read on an IMU link behind a moving joint (a
 * torso IMU behind the waist, the shape of an H1 whose imu_link is on torso_link): Isaac Lab's
 * base_ang_vel and projected_gravity read the root link (root_ang_vel_b, projected_gravity_b), so
 * there is no choice to guess (R21 F7). One warning line naming the terms and the fix, or undefined.
 */
export function isaacLabImuWarning(m: ModelManifest, model: UrdfModel, imuLink: string | undefined): string | undefined {
  if (imuLink === undefined || !(m.provenance?.command ?? '').startsWith('axon manifest from-isaaclab')) return undefined;
  const behind = (link: string): string | undefined => {
    for (let j = model.parentJoint.get(link); j !== undefined; j = model.parentJoint.get(j.parent)) if (j.type !== 'fixed') return j.name;
    return undefined;
  };
  const joint = behind(imuLink);
  if (joint === undefined) return undefined;
  const at = m.observation.terms.flatMap((t, i) => (imuTerms.has(t.term) && behind(t.link ?? imuLink) !== undefined ? [`${t.term} (/observation/terms/${i})`] : []));
  if (at.length === 0) return undefined;
  return `manifest.json#/observation/terms: ${at.join(', ')} would be read in IMU link ${imuLink}, behind joint ${joint}; the manifest is from an Isaac Lab env.yaml, whose base_ang_vel and projected_gravity read the root link (root_ang_vel_b, projected_gravity_b): set each term's "link" to "${model.root}" (or imu_link to a link fixed to it), or the policy reads its IMU terms in another frame than it was trained on`;
}
