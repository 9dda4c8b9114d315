/**
 * What `axon replay --view` draws a recording's robot with (part of the composition root: it
 * knows sim/). In order:
 *  1. `--urdf FILE`: that URDF, whatever the recording says; its moving joints must be exactly the
 *     recorded ones (REPLAY_MODEL naming the joint that is missing or extra, exit 2).
 *  2. `--mjcf FILE`: that MJCF in MuJoCo, whatever the recording says; its joints must be the
 *     recorded ones (REPLAY_MODEL, exit 2).
 *  3. A URDF the recording names (`axon.run` drawing: `sim --urdf`, `run`, `teleop`, a bridged run
 *     given `--urdf`; or the bare `urdf` path of an older `run` recording), if the file is still
 *     there and, where a sha256 was kept, still the same bytes.
 *  4. An MJCF the recording names (`mjcf`: `sim --mjcf F`, or the client's `--mjcf FILE` copy of a
 *     served robot, checked against `served_model`), in MuJoCo, whatever engine the server ran (a
 *     real robot's server names an MJCF too), and before any shipped robot of the same name.
 *  5. A shipped simulated robot by name (`run.robot`; a run over the bridge names the served robot
 *     there, its URL in `run.bridge`), when the recorded joints are its joints.
 *  6. Nothing: the panels alone.
 * Whenever a recorded model cannot be used, one line on stderr names the path and what differs,
 * and the panels are shown alone. A run over the bridge keeps the served robot's file by name and
 * sha256 (`served_model`, src/record/drawingMeta.ts): the file drawn is checked against it (a
 * different file is drawn with one warning line), and with no file to draw the line names it.
 * Names from the recording (the server's robot name) are printed escaped (src/core/printable.ts).
 *
 * A URDF is posed as `sim --urdf --view` poses it: a SimRobot of that URDF put at each tick's
 * recorded joint positions and base pose (SimRobot.showPose), its link poses in the frames. A run
 * whose ticks carry no base pose (a real robot) is posed by the page from the joints, its root at
 * the origin, as its live view was. A bridged robot's live view (src/cli/bridgeDrawing.ts) is drawn
 * by the same urdfRobot, posed from the newest observation at each viewer frame.
 */
import { existsSync } from 'node:fs';
import type { RobotSpec } from '../core/robot.ts';
import { AxonError } from '../core/errors.ts';
import { drawingFileProblem, drawingOnRecord, rootOnRecord, servedFileProblem, servedModelOnRecord, servedModelText, type DrawingOnRecord, type Recording, type ServedModel } from '../record/index.ts';
import type { ViewerRobot } from '../viewer/index.ts';
import { createSimRobot, loadUrdf, robotModel, robotNames, SimRobot, type UrdfModel } from '../../sim/index.ts';
import { printable } from '../core/printable.ts';
import { movingJoints } from './urdfSession.ts';

/** A robot the playback poses and the viewer draws. */
export interface ReplayRobot extends ViewerRobot {
  showPose(positions: ArrayLike<number>, basePosition?: ArrayLike<number>, baseOrientation?: ArrayLike<number>): void;
  close(): Promise<void>;
}

export interface ReplayDrawingOptions {
  /** `replay --urdf FILE`. */
  readonly urdf?: string;
  /** `replay --mjcf FILE`. */
  readonly mjcf?: string;
  /** Where the one-line reasons go (stderr). */
  readonly say: (line: string) => void;
}

/**
 * The robot a recording names: `run.robot`, else the recorded spec's name. A run over the bridge
 * names the served robot there (its URL in `run.bridge`); one recorded before it did kept the URL
 * as `run.robot` too, and is named by its spec (the served robot's name, from the hello).
 */
export function recordedRobotName(rec: Recording, spec: RobotSpec): string {
  const r = rec.run.robot;
  return typeof r === 'string' && r !== rec.run.bridge ? r : spec.name;
}

/** The robot to draw `rec` with (see the file's comment); throws REPLAY_MODEL only for a `--urdf` that does not fit. */
export async function replayRobot(rec: Recording, spec: RobotSpec, name: string, o: ReplayDrawingOptions): Promise<ReplayRobot> {
  const panelsOnly = (why: string): ReplayRobot => panelsSaying(spec, name, why, o.say);
  const posedByBase = rec.ticks[0]?.observation.base !== undefined;
  // The drawing and the served file are read apart: a served_model that cannot be read costs its check, not the drawing.
  let d: DrawingOnRecord | undefined;
  let unreadable: string | undefined;
  try {
    d = drawingOnRecord(rec.run, rec.file);
  } catch (e) {
    unreadable = (e as Error).message;
  }
  let served: ServedModel | undefined;
  let servedUnreadable: string | undefined;
  try {
    served = servedModelOnRecord(rec.run, rec.file);
  } catch (e) {
    servedUnreadable = (e as Error).message;
  }
  // A file drawn for a bridged run that is not the one the server served: drawn, with one line.
  const checkServed = (source: Parameters<typeof servedFileProblem>[1], label: string, format: 'urdf' | 'mjcf' = 'urdf') => {
    if (servedUnreadable !== undefined) o.say(`axon replay: note: ${servedUnreadable}: ${label} is drawn unchecked`);
    const problem = served && servedFileProblem(served, source, label, format);
    if (problem) o.say(`axon replay: warning: ${problem}`);
  };
  if (o.urdf !== undefined) {
    // The recorded set-up (the moved file's, usually; else the served file's) still applies: package paths, base.
    const recorded = d && !d.legacy ? d : undefined;
    const model = loadUrdf(o.urdf, { packagePaths: recorded?.package_paths ?? [], collisionMeshes: 'optional' });
    refuseJointMismatch(model, spec, o.urdf);
    checkServed(model.source ?? o.urdf, `--urdf ${o.urdf}`);
    return urdfRobot(model, spec, posedByBase, recorded ? rootOnRecord(recorded) : served ? rootOnRecord(served) : {}, o.say);
  }
  if (o.mjcf !== undefined) {
    // As --urdf: drawn whatever the recording names, its joints the recorded ones, checked against the served file.
    if (!existsSync(o.mjcf)) throw new AxonError('REPLAY_MODEL', `--mjcf ${o.mjcf}`, 'is not here', 'an MJCF file (your copy of the recorded robot\'s)');
    // The model and its includes, as the served sha256 covers them (a missing include: MJCF_INCLUDE naming it and its includer).
    // Loaded only here: sim/mujoco is never imported statically outside it (MuJoCo only when asked).
    const { mjcfDigest } = await import('../../sim/mujoco/mjcfDigest.ts');
    checkServed(mjcfDigest(o.mjcf), `--mjcf ${o.mjcf}`, 'mjcf');
    const { createMujocoReplayRobot } = await import('../../sim/mujoco/mujocoView.ts');
    return createMujocoReplayRobot(o.mjcf, spec, `--mjcf ${o.mjcf}`);
  }
  if (unreadable !== undefined) return panelsOnly(unreadable);
  if (d !== undefined) {
    const problem = drawingFileProblem(d);
    if (problem) return panelsOnly(`${problem}; give the file with --urdf FILE`);
    try {
      const model = loadUrdf(d.urdf, { packagePaths: d.legacy ? [] : d.package_paths, collisionMeshes: 'optional' });
      // The robot may have joints the URDF does not move (as the live view allowed), never the other way.
      const names = new Set(spec.joints.map((j) => j.name));
      const unknown = movingJoints(model).filter((j) => !names.has(j.name)).map((j) => j.name);
      if (unknown.length > 0) return panelsOnly(`its URDF ${d.urdf} moves joint${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}, which the recording does not have`);
      checkServed(model.source ?? d.urdf, `its URDF ${d.urdf}`);
      return urdfRobot(model, spec, posedByBase, d.legacy ? {} : rootOnRecord(d), o.say);
    } catch (e) {
      return panelsOnly((e as Error).message);
    }
  }
  // An MJCF the run was drawn with (sim --mjcf, or a bridged client's --mjcf copy): drawn in MuJoCo
  // again whatever the server's engine, before a shipped robot of the same name is considered.
  if (typeof rec.run.mjcf === 'string') {
    const file = rec.run.mjcf;
    const { mjcfDigest } = await import('../../sim/mujoco/mjcfDigest.ts');
    if (existsSync(file)) checkServed(() => mjcfDigest(file), `its MJCF ${file}`, 'mjcf');
    else if (servedUnreadable !== undefined) o.say(`axon replay: note: ${servedUnreadable}: its MJCF ${file} is drawn unchecked`);
    return mujocoDrawing(file, spec, name, o.say);
  }
  if (served) return panelsOnly(`it was served over the bridge from ${servedModelText(served)}: give your copy of that file with --${served.format === 'mjcf' ? 'mjcf' : 'urdf'} FILE`);
  if (servedUnreadable !== undefined) return panelsOnly(servedUnreadable);
  if (robotNames().includes(name)) {
    // A robot that only bears a shipped robot's name (a bridged URDF robot called "cartpole", say) is not drawn as it.
    const own = movingJoints(robotModel(name)).map((j) => j.name);
    if (own.length === spec.joints.length && own.every((n, i) => n === spec.joints[i].name)) return createSimRobot(name);
    return panelsOnly(`the shipped robot "${printable(name)}" moves joints ${own.join(', ')}, not the recorded ${printable(spec.joints.map((j) => j.name).join(', '))} (give its drawing with --urdf FILE or --mjcf FILE)`);
  }
  return panelsOnly('no drawing model recorded (give one with --urdf FILE or --mjcf FILE)');
}

/**
 * `code` (REPLAY_MODEL) when the URDF's moving joints are not the robot's: a joint of the robot it
 * lacks (which could not be drawn), or a moving joint the robot lacks (which could not be posed).
 * `whose`: the robot as the user knows it (`the recording`, `the served robot`).
 */
export function refuseJointMismatch(model: UrdfModel, spec: RobotSpec, file: string, code = 'REPLAY_MODEL', whose = 'the recording'): void {
  const moving = movingJoints(model).map((j) => j.name);
  const have = new Set(moving);
  const recorded = spec.joints.map((j) => j.name);
  const lacking = recorded.filter((n) => !have.has(n));
  const adj = whose === 'the recording' ? 'recorded' : "robot's";
  const want = `a URDF moving the ${adj} joints: ${recorded.join(', ')}`;
  if (lacking.length > 0) throw new AxonError(code, `--urdf ${file}`, `has no moving joint ${lacking.map((n) => `"${n}"`).join(', ')} of ${whose}`, want);
  const rec = new Set(recorded);
  const extra = moving.filter((n) => !rec.has(n));
  if (extra.length > 0) throw new AxonError(code, `--urdf ${file}`, `moves joint${extra.length > 1 ? 's' : ''} ${extra.map((n) => `"${n}"`).join(', ')}, which ${whose} does not have`, want);
}

/**
 * The URDF drawn for a recording of `spec` (or a bridged robot's live view). With base poses in the
 * ticks: a SimRobot of the URDF placed at each tick (collision meshes not read: only visuals are
 * drawn), its joints taken from the recording by name; without: the model alone, posed by the page.
 * `who` begins the notes' lines (`axon replay`, `axon sim`).
 */
export function urdfRobot(
  model: UrdfModel,
  spec: RobotSpec,
  posedByBase: boolean,
  setup: { fixedBase?: boolean; basePosition?: readonly [number, number, number]; baseOrientation?: readonly [number, number, number, number] },
  say: (line: string) => void,
  who = 'axon replay',
): ReplayRobot {
  for (const n of model.notes) if (n.code === 'URDF_VISUAL_MESH_MISSING') say(`${who}: note ${n.code}: ${n.where}: ${n.message}`);
  if (!posedByBase) return { spec, model, showPose() {}, async close() {} };
  const sim = new SimRobot(model, { meshCollision: 'none', ground: false, ...setup });
  // Recorded joint i is the drawing robot's joint order[i] (-1: not in the URDF, left at 0).
  const order = spec.joints.map((j) => sim.spec.joints.findIndex((s) => s.name === j.name));
  const q = new Float64Array(sim.spec.joints.length);
  return {
    spec,
    model,
    linkPose: (link, pos, quat) => sim.linkPose(link, pos, quat),
    showPose(positions, basePosition, baseOrientation) {
      for (let i = 0; i < order.length; i++) if (order[i] >= 0) q[order[i]] = positions[i];
      sim.showPose(q, basePosition, baseOrientation);
    },
    close: () => sim.close(),
  };
}

/** An MJCF run (`axon sim --mjcf F --record`, or a bridged run drawn with `--mjcf F`): F loaded in MuJoCo again and posed at each tick; the panels alone, said why, when it cannot be. */
async function mujocoDrawing(file: string, spec: RobotSpec, name: string, say: (line: string) => void): Promise<ReplayRobot> {
  const panelsOnly = (why: string) => panelsSaying(spec, name, why, say);
  if (!existsSync(file)) return panelsOnly(`its MJCF ${file} is not here; give the file with --mjcf FILE`);
  const { createMujocoReplayRobot } = await import('../../sim/mujoco/mujocoView.ts');
  return createMujocoReplayRobot(file, spec).catch((e: unknown) => panelsOnly(`${(e as Error).message}; give the file with --mjcf FILE`));
}

/** The panels alone, with the one line that says why (the robot's name, free text from a server, escaped: docs/bridge.md). */
function panelsSaying(spec: RobotSpec, name: string, why: string, say: (line: string) => void): ReplayRobot {
  say(`axon replay: robot "${printable(name)}": ${why}: panels only`);
  return { spec, showPose() {}, async close() {} };
}
