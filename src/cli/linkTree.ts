/**
 * The robot description's tree as src/model/linkFrames.ts takes it (plain data), from a URDF parsed
 * by sim/: the composition root's conversion, so that src/model reads no robot file. And the
 * wiring of a live robot that measures only its IMU (a bridge client given `--urdf FILE`) to
 * derive the links its policy's IMU terms are read in (docs/byom.md, an IMU term's `link`), and
 * of a recording of one (`axon replay --policy P --urdf FILE`). The chain starts at the link the
 * IMU is on as the server said it (hello.frame.imuLink; a recording's `imu_link`) or the manifest's
 * `imu_link`; never guessed from the file (imuLinkOf).
 */
import { linkFrameKeys, type Robot } from '../core/robot.ts';
import { printable } from '../core/printable.ts';
import { loadModelFolder, termFrameLinks, type ModelManifest } from '../model/manifest.ts';
import { LinkChainError, LinkFrame, quatFromRpy, type LinkTree } from '../model/linkFrames.ts';
import { recordedSpec, servedFileRefusal, servedModelOnRecord, type FileBytes, type Recording } from '../record/index.ts';
import { derivedLinkPaths, linksToDerive, withLinkFrames } from '../model/withLinkFrames.ts';
import type { UrdfModel } from '../../sim/index.ts';

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
 * The link the IMU is on, for a chain: `told` (the server's hello.frame.imuLink, a recording's
 * `imu_link`; null when it says nothing) or the manifest's `imu_link`. Never guessed from the file:
 * a server set up with `--imu-link` reads its IMU elsewhere than the file's rule, and a guess would
 * turn every derived frame by the joints between, silently. `where` names who told (the server's
 * URL, the recording). Throws LinkChainError LINK_CHAIN_IMU_MISMATCH when both say and differ,
 * LINK_CHAIN_IMU_UNKNOWN when neither says (exit 2).
 */
export function imuLinkOf(told: string | null, m: Pick<ModelManifest, 'imu_link'>, where: string, manifestFile: string): string {
  if (told !== null && m.imu_link !== undefined && told !== m.imu_link)
    throw new LinkChainError('LINK_CHAIN_IMU_MISMATCH', `${where} (IMU on "${printable(told)}") and ${manifestFile}#/imu_link ("${printable(m.imu_link)}")`, 'disagree on the link the IMU is on, so the links the policy reads cannot be derived', 'the policy run on a robot whose IMU is where it was trained (axon bridge --imu-link), or a manifest whose imu_link is the served one');
  const link = told ?? m.imu_link;
  if (link === undefined)
    throw new LinkChainError('LINK_CHAIN_IMU_UNKNOWN', `${where} and ${manifestFile}`, 'do not say which link the IMU is on (the server sends no hello.frame.imuLink, the manifest has no imu_link), so the links the policy reads cannot be derived from it', "the manifest's imu_link, or a server that names the IMU's link (axon bridge does)");
  return link;
}

/**
 * `robot` (a bridge client) reporting the links the manifest's IMU terms are read in, derived from
 * its IMU on `imuLink` (imuLinkOf) through the URDF's joints, with one line for the operator saying
 * which (undefined when nothing is derived). Throws LinkChainError (exit 2) for a chain that
 * cannot be followed: a mimic or floating joint on it, a moving joint the robot does not report.
 */
export function urdfLinkFrames(robot: Robot, m: ModelManifest, model: UrdfModel, file: string, imuLink: string): { robot: Robot; line?: string } {
  if (linksToDerive(m, robot.spec).length === 0 || !robot.spec.sensors.imu) return { robot };
  return linkFramesFrom(robot, m, urdfLinkTree(model, file), imuLink, file);
}

/** As urdfLinkFrames, from an MJCF compiled in MuJoCo (`--mjcf FILE` over the bridge: the drawing's body tree, sim/mujoco/mjcfLinkTree.ts); `imuLink` a body. */
export function mjcfLinkFrames(robot: Robot, m: ModelManifest, drawing: { linkTree(): LinkTree }, file: string, imuLink: string): { robot: Robot; line?: string } {
  if (linksToDerive(m, robot.spec).length === 0 || !robot.spec.sensors.imu) return { robot };
  return linkFramesFrom(robot, m, drawing.linkTree(), imuLink, file);
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
 * Offline: allocates per tick. The IMU's link: the recording's `imu_link` (where the run's IMU
 * was: the hello's, or a local run's set-up) or the manifest's, by imuLinkOf's rule and refusals;
 * `recFile` names the recording in them. A bridged recording's served file (`served_model`) must
 * be FILE (but for line endings): another is LinkChainError LINK_CHAIN_FILE naming both sha256.
 */
export function urdfRecordedLinks(rec: Recording, m: ModelManifest, model: UrdfModel, file: string, recFile = 'the recording', manifestFile = 'the manifest'): { rec: Recording; line?: string } {
  return recordedLinks(rec, m, { flag: '--urdf', file, format: 'urdf', bytes: model.source ?? file, tree: () => urdfLinkTree(model, file) }, recFile, manifestFile);
}

/**
 * As urdfRecordedLinks, through an MJCF compiled in MuJoCo (`axon replay --policy P --mjcf FILE`:
 * the drawing's body tree, sim/mujoco/mjcfLinkTree.ts; `bytes` the file MuJoCo compiled, checked
 * against a bridged recording's served MJCF).
 */
export function mjcfRecordedLinks(rec: Recording, m: ModelManifest, mjcf: { linkTree(): LinkTree; readonly source: FileBytes }, file: string, recFile = 'the recording', manifestFile = 'the manifest'): { rec: Recording; line?: string } {
  return recordedLinks(rec, m, { flag: '--mjcf', file, format: 'mjcf', bytes: mjcf.source, tree: () => mjcf.linkTree() }, recFile, manifestFile);
}

interface TreeSource {
  readonly flag: '--urdf' | '--mjcf';
  readonly file: string;
  readonly format: 'urdf' | 'mjcf';
  /** What is checked against a bridged recording's served file. */
  readonly bytes: string | FileBytes;
  tree(): LinkTree;
}

function recordedLinks(rec: Recording, m: ModelManifest, src: TreeSource, recFile: string, manifestFile: string): { rec: Recording; line?: string } {
  const file = src.file;
  const spec = recordedSpec(rec);
  const links = linksToDerive(m, spec);
  if (links.length === 0 || !spec.sensors.imu) return { rec };
  const served = servedModelOnRecord(rec.run, recFile);
  const refusal = served ? servedFileRefusal(served, src.bytes, 'this copy', src.format) : undefined;
  if (refusal !== undefined) throw new LinkChainError('LINK_CHAIN_FILE', `${src.flag} ${file}`, `${refusal} (the recording's served_model): the links the policy's IMU terms are read in would be derived through its joints`, 'your copy of the served file (the same sha256, or the same bytes but for line endings)');
  const told = typeof rec.run.imu_link === 'string' ? rec.run.imu_link : null;
  const imuLink = imuLinkOf(told, m, `${recFile} metadata "axon.run" imu_link`, manifestFile);
  const tree = src.tree();
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
