/**
 * The robot description's tree as src/model/linkFrames.ts takes it (plain data), from a URDF parsed
 * by sim/: the composition root's conversion, so that src/model reads no robot file. And the
 * wiring of a live robot that measures only its IMU (a bridge client given `--urdf FILE`) to
 * derive the links its policy's IMU terms are read in (docs/byom.md, an IMU term's `link`), and
 * of a recording of one (`axon replay --policy P --urdf FILE`).
 */
import { linkFrameKeys, type Robot } from '../core/robot.ts';
import { printable } from '../core/printable.ts';
import { loadModelFolder, termFrameLinks, type ModelManifest } from '../model/manifest.ts';
import { LinkFrame, quatFromRpy, type LinkTree } from '../model/linkFrames.ts';
import { recordedSpec, type Recording } from '../record/index.ts';
import { derivedLinkPaths, linksToDerive, withLinkFrames } from '../model/withLinkFrames.ts';
import type { UrdfModel } from '../../sim/index.ts';
import { urdfImuLink } from './commands/inspect.ts';

/** A URDF's joints as a LinkTree: origins' rpy as quaternions, axes, mimics by name (`source`: the file, for errors). */
export function urdfLinkTree(model: UrdfModel, source: string): LinkTree {
  return {
    source,
    joints: model.joints.map((j) => ({
      name: j.name,
      type: j.type,
      parent: j.parent,
      child: j.child,
      origin: quatFromRpy(j.origin.rpy[0], j.origin.rpy[1], j.origin.rpy[2]),
      axis: [j.axis[0], j.axis[1], j.axis[2]] as const,
      ...(j.mimic ? { mimic: j.mimic.joint } : {}),
    })),
  };
}

/**
 * `robot` (a bridge client) reporting the links the manifest's IMU terms are read in, derived from
 * its IMU through the URDF's joints, with one line for the operator saying which (undefined when
 * nothing is derived). The IMU's link is the manifest's `imu_link`, else the URDF's rule (`axon sim
 * --urdf`'s: the server set its IMU up by it). Throws LinkChainError (exit 2) for a chain that
 * cannot be followed: a mimic or floating joint on it, a moving joint the robot does not report.
 */
export function urdfLinkFrames(robot: Robot, m: ModelManifest, model: UrdfModel, file: string, fixedBase: boolean): { robot: Robot; line?: string } {
  if (linksToDerive(m, robot.spec).length === 0 || !robot.spec.sensors.imu) return { robot };
  return linkFramesFrom(robot, m, urdfLinkTree(model, file), m.imu_link ?? urdfImuLink(model, m, fixedBase).imu?.link ?? model.root, file);
}

/**
 * As urdfLinkFrames, from an MJCF compiled in MuJoCo (`--mjcf FILE` over the bridge: the drawing's
 * body tree, sim/mujoco/mjcfLinkTree.ts): the IMU's body is the manifest's `imu_link`, else the
 * model's own rule (`axon sim --mjcf`'s), else its root.
 */
export function mjcfLinkFrames(robot: Robot, m: ModelManifest, drawing: { linkTree(): LinkTree; readonly imuLink: string | null }, file: string): { robot: Robot; line?: string } {
  if (linksToDerive(m, robot.spec).length === 0 || !robot.spec.sensors.imu) return { robot };
  const tree = drawing.linkTree();
  const root = tree.joints.find((j) => j.parent === 'world')?.child ?? 'world';
  return linkFramesFrom(robot, m, tree, m.imu_link ?? drawing.imuLink ?? root, file);
}

function linkFramesFrom(robot: Robot, m: ModelManifest, tree: LinkTree, imuLink: string, file: string): { robot: Robot; line: string } {
  const links = linksToDerive(m, robot.spec);
  const derived = withLinkFrames(robot, tree, imuLink, links);
  const paths = derivedLinkPaths(tree, imuLink, links, robot.spec)
    .map((p) => `"${printable(p.link)}" through ${p.joints.length === 0 ? 'no joint' : p.joints.map((j) => printable(j)).join(', ')}`)
    .join('; ');
  return { robot: derived, line: `IMU terms read in another link, derived from the IMU on "${printable(imuLink)}" and the measured joints (${file}): ${paths}` };
}

/**
 * `rec` with the links the manifest's IMU terms are read in (those the recorded robot did not
 * report) derived on every tick from the recorded IMU and joints through the URDF, and listed in its
 * spec (sensors.imuFrames): `axon replay --policy P --urdf FILE` on a run recorded without them.
 * Offline: allocates per tick. Same IMU link rule and refusals as urdfLinkFrames.
 */
export function urdfRecordedLinks(rec: Recording, m: ModelManifest, model: UrdfModel, file: string): { rec: Recording; line?: string } {
  const spec = recordedSpec(rec);
  const links = linksToDerive(m, spec);
  if (links.length === 0 || !spec.sensors.imu) return { rec };
  const imuLink = m.imu_link ?? urdfImuLink(model, m, false).imu?.link ?? model.root;
  const tree = urdfLinkTree(model, file);
  const names = spec.joints.map((j) => j.name);
  const frames = links.map((l) => ({ frame: new LinkFrame(tree, imuLink, l, names), keys: linkFrameKeys(l) }));
  const ticks = rec.ticks.map((t) => {
    const o = t.observation;
    if (o.imu === undefined) return t;
    const extras: Record<string, Float32Array> = { ...o.extras };
    for (const { frame, keys } of frames) {
      const q = new Float32Array(4), w = new Float32Array(3);
      frame.update(o.imu.orientation, o.imu.angularVelocity, o.jointPosition, o.jointVelocity, q, w);
      extras[keys.orientation] = q;
      extras[keys.angularVelocity] = w;
    }
    return { ...t, observation: { ...o, extras } };
  });
  const paths = frames.map((f) => `"${printable(f.frame.link)}" through ${f.frame.path.length === 0 ? 'no joint' : f.frame.path.map((j) => printable(j)).join(', ')}`).join('; ');
  return {
    rec: { ...rec, spec: { ...spec, sensors: { ...spec.sensors, imuFrames: [...(spec.sensors.imuFrames ?? []), ...links] } }, ticks },
    line: `IMU terms read in another link, derived on every recorded tick from the IMU on "${printable(imuLink)}" and the recorded joints (${file}): ${paths}`,
  };
}

/** The policy folder's manifest reads an IMU term in a link other than imu_link (false when it cannot be read: the run says why later). */
export function policyReadsTermLinks(policy: string | undefined): boolean {
  if (policy === undefined) return false;
  try {
    return termFrameLinks(loadModelFolder(policy).manifest).length > 0;
  } catch {
    return false;
  }
}
