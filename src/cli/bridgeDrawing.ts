/**
 * What `axon sim --robot ws://...` draws the served robot with (`--view`) and keeps of its model
 * (`--record`). Part of the composition root: it knows sim/ and the bridge's hello.
 *
 * The server names the robot file it serves in its hello (hello.robotFile, hardware/PROTOCOL.md
 * section 4): the file name and sha256, never its path, with the set-up that places the root. The
 * client draws from its own copy, given with `--urdf FILE`:
 *  - it is read and parsed before the client connects (loadDrawingUrdf), and its moving joints are
 *    checked against the hello's robot before auth (refuseServedJoints, BridgeRobotOptions
 *    acceptHello): a file that cannot be read, parsed or posed (BRIDGE_DRAWING naming the joint)
 *    is refused, exit 2, before the client's sim reset touches the shared simulation;
 *  - the sha256 of the bytes parsed is checked against the hello's: a different file is drawn with
 *    one warning line (the drawing is the operator's view, not the control: a file that differs
 *    only in its visuals is still worth drawing, and a refusal would stop a run for what it cannot
 *    affect); the same file but for its line endings is said in a shorter line; a server that names
 *    no file leaves it unchecked, said in one line. Where links the policy reads are derived through
 *    the file (`derives`, src/cli/bridgeLinks.ts) it drives the policy's observations: a different
 *    file is refused (LINK_CHAIN_FILE, exit 2, both sha256 named), and the line for a server that
 *    names none says the derivation is unchecked too.
 * Without `--urdf`, a shipped robot is drawn by name as before; any other robot is not drawn, and
 * one line says which file would draw it (the hello's name and sha256), or that the server names none.
 * A robotFile the client cannot use is taken as none, said in one note (the link is not refused for
 * it: it only draws). After a reconnect to a server that names another file, one warning line says
 * that what is drawn and recorded is of the first (watchServedFile).
 *
 * The drawing is replayDrawing.ts's urdfRobot, the one a replay draws with: a SimRobot of the URDF
 * put at the newest tick's joints and base (state frames carry the base of a simulated robot) each
 * time the viewer builds a frame, off the tick (ViewerRobot.poseFrom); without base frames, the page
 * poses it from the joints, its root at the origin.
 *
 * A recording keeps `served_model` (the hello's file, src/record/drawingMeta.ts), and with `--urdf
 * FILE` that file's `drawing` (its absolute path, sha256 and the served set-up), so that `axon
 * replay --view` draws it again or says which file it needs.
 */
import { resolve } from 'node:path';
import type { Subscription } from 'rxjs';
import type { RobotSpec } from '../core/robot.ts';
import { printable } from '../core/printable.ts';
import type { BridgeClientEvent, HelloRobotFile } from '../../hardware/bridge/index.ts';
import { AxonError } from '../core/errors.ts';
import { drawingMeta, rootOnRecord, servedFileProblem, servedFileRefusal, servedModelOf, servedModelText, type FileBytes, type ServedModel } from '../record/index.ts';
import { LinkChainError } from '../model/linkFrames.ts';
import type { ViewerRobot } from '../viewer/index.ts';
import { loadUrdf, robotModel, type UrdfModel } from '../../sim/index.ts';
import { refuseJointMismatch, urdfRobot, type ReplayRobot } from './replayDrawing.ts';
type MjcfDigest = import('../../sim/mujoco/mjcfDigest.ts').MjcfDigest;
/** MuJoCo loads only when asked (the module is imported where an MJCF is drawn): its type alone here. */
type MujocoDrawing = Awaited<ReturnType<typeof import('../../sim/mujoco/mujocoView.ts').createMujocoDrawing>>;

/** `--urdf FILE` over the bridge: the client's copy of the served robot's URDF, read and parsed once. */
export interface DrawingUrdf {
  readonly file: string;
  readonly model: UrdfModel;
  /** `--urdf-package-path`: folders searched for its package:// meshes. */
  readonly packagePaths: readonly string[];
}

/** `--mjcf FILE` over the bridge: the client's copy of the served MJCF, its files read once (the model and its includes, hashed as the server hashes its own) and the model compiled in MuJoCo (to draw only). */
export interface DrawingMjcf {
  readonly file: string;
  /** The model file and its includes as MuJoCo read and compiled them, hashed as the server hashes its own (sim/mujoco/mjcfDigest.ts; meshes are not in it, as the server's are not): checked against the hello's sha256. */
  readonly bytes: MjcfDigest;
  readonly drawing: MujocoDrawing;
}

export interface BridgeDrawingOptions {
  /** The served spec (the client's, from the hello). */
  readonly spec: RobotSpec;
  /** The hello's robotFile (BridgeRobot.robotFile); null when the server names none or names it in a way that cannot be used. */
  readonly robotFile: HelloRobotFile | null;
  /** Why the hello's robotFile was taken as none (BridgeRobot.robotFileProblem): said in one note. */
  readonly robotFileProblem?: string;
  /** The hello's `sim`: a real robot's server names no file, and the lines say so. */
  readonly sim: boolean;
  /** The shipped robot served by name (shippedRobotServed), drawn as such without --urdf. */
  readonly shipped?: string;
  /** `--urdf FILE` as loadDrawingUrdf read it. */
  readonly urdf?: DrawingUrdf;
  /** `--mjcf FILE` as loadDrawingMjcf read it. */
  readonly mjcf?: DrawingMjcf;
  /** State frames carry the base pose (hello.frame.base): the drawing is put at it. */
  readonly posedByBase: boolean;
  /** Where the one-line notes go (stderr). */
  readonly say: (line: string) => void;
  /** Links the policy's IMU terms read are derived through the file: a copy that is not the served file is refused, not drawn with a warning. */
  readonly derives?: boolean;
}

export interface BridgeDrawing {
  /** The served file as a recording keeps it; undefined when the server names none. */
  readonly served: ServedModel | undefined;
  /** The `axon.run` fields of a recording: `served_model`, and with --urdf FILE its `urdf` and `drawing`. */
  readonly run: Record<string, unknown>;
  /** The robot the viewer draws (called with --view only; says in one line why nothing is drawn). */
  viewRobot(): ViewerRobot;
  /** Frees the drawing's SimRobot, if one was made. */
  close(): Promise<void>;
}

/**
 * Reads and parses `--urdf FILE` (configure time, before connecting: a file that cannot be read or
 * parsed is refused with its URDF error before the served robot is touched).
 */
export function loadDrawingUrdf(file: string, packagePaths: readonly string[]): DrawingUrdf {
  return { file, model: loadUrdf(file, { packagePaths, collisionMeshes: 'optional' }), packagePaths };
}

/**
 * Reads `--mjcf FILE` and compiles it in MuJoCo (configure time, before connecting: a file that
 * cannot be read or compiled is refused with its MuJoCo error before the served robot is touched).
 */
export async function loadDrawingMjcf(file: string): Promise<DrawingMjcf> {
  const { createMujocoDrawing } = await import('../../sim/mujoco/mujocoView.ts');
  const drawing = await createMujocoDrawing(file);
  // The bytes MuJoCo compiled are the ones checked: the file is not read again (it may be saved anew meanwhile).
  return { file, bytes: drawing.source, drawing };
}

/**
 * BRIDGE_DRAWING when the MJCF's joints are not the served robot's (it could not be posed): the
 * acceptHello check. Their order may differ, as a URDF's may: the drawing is posed by name.
 */
export function refuseServedMjcfJoints(m: DrawingMjcf, spec: RobotSpec): void {
  const want = spec.joints.map((j) => j.name);
  if (!m.drawing.fits(want))
    throw new AxonError('BRIDGE_DRAWING', `--mjcf ${m.file}`, `has joints [${printable(m.drawing.joints.join(', '))}]`, `the served robot's joints, in any order: [${printable(want.join(', '))}]`);
}

/** BRIDGE_DRAWING naming the joint when the file's moving joints are not the served robot's (it could not be posed): the acceptHello check. */
export function refuseServedJoints(u: DrawingUrdf, spec: RobotSpec): void {
  refuseJointMismatch(u.model, spec, u.file, 'BRIDGE_DRAWING', 'the served robot');
}

/** Why the server names no robot file, in words that hold for what it serves. */
function noFileWhy(o: BridgeDrawingOptions): string {
  if (o.shipped !== undefined) return `it serves the shipped robot "${o.shipped}"`;
  if (o.robotFileProblem !== undefined) return 'its hello.robotFile cannot be used';
  if (!o.sim) return 'it serves a real robot';
  // The client cannot tell these apart: an older server (before hello.robotFile, or before it named an MJCF), or a file name the hello cannot carry (the server's log says so).
  return 'a server from before hello.robotFile named its file, or one whose file name the hello cannot carry';
}

/**
 * Configure time, once connected: checks `--urdf FILE` (loaded by loadDrawingUrdf, its joints
 * checked against the hello by refuseServedJoints) against the served file (one line, see the
 * file's comment), and says in one note why a robotFile the server sent is taken as none.
 */
export function bridgeDrawing(o: BridgeDrawingOptions): BridgeDrawing {
  if (o.robotFileProblem !== undefined) o.say(`axon sim: note: ${printable(o.robotFileProblem)}: taken as naming no file (it only draws the robot)`);
  const served = o.robotFile ? servedModelOf(o.robotFile) : undefined;
  const servedRun = served ? { served_model: served } : {};
  const name = printable(o.spec.name);
  let drawn: ReplayRobot | undefined;
  if (o.mjcf !== undefined) return mjcfDrawing(o, o.mjcf, served, servedRun);
  if (o.urdf === undefined) {
    return {
      served,
      run: servedRun,
      viewRobot() {
        if (o.shipped !== undefined) return { spec: o.spec, model: robotModel(o.shipped) };
        o.say(
          `axon sim: robot "${name}": ` +
            (served ? `the server serves it from ${servedModelText(served)}: give your copy of that file with --${served.format === 'mjcf' ? 'mjcf' : 'urdf'} FILE to draw it` : `the server names no file it serves (${noFileWhy(o)}): give its URDF with --urdf FILE, or its MJCF with --mjcf FILE, to draw it`) +
            ': panels only',
        );
        return { spec: o.spec };
      },
      close: async () => {},
    };
  }
  const { file, model, packagePaths } = o.urdf;
  refuseServedJoints(o.urdf, o.spec);
  // The bytes parsed are the ones checked and recorded: a file saved meanwhile is not read again.
  checkServedCopy(o, served, model.source ?? file, `--urdf ${file}`, 'urdf');
  const setup = served ? rootOnRecord(served) : {};
  return {
    served,
    run: {
      ...servedRun,
      // The client's file by its path here, with the served set-up: what `axon replay --view` draws.
      ...drawingMeta(file, { ...(served ? rootOnRecord(served) : { fixedBase: false }), packagePaths }, model.source),
    },
    viewRobot() {
      const r = (drawn ??= urdfRobot(model, o.spec, o.posedByBase, setup, o.say, 'axon sim'));
      // Put at the newest tick's joints and base when the viewer builds a frame (off the tick).
      return r.linkPose ? { spec: r.spec, model: r.model, linkPose: r.linkPose, poseFrom: (obs) => r.showPose(obs.jointPosition, obs.base?.position, obs.base?.orientation) } : { spec: r.spec, model: r.model };
    },
    close: async () => {
      await drawn?.close();
    },
  };
}

/**
 * The client's copy (`label`) against the file the server serves: one warning line where it
 * differs, one note where the server names none. With `derives`, a copy that is not the served
 * file (but for line endings) is LinkChainError LINK_CHAIN_FILE naming both sha256.
 */
function checkServedCopy(o: BridgeDrawingOptions, served: ServedModel | undefined, source: string | FileBytes, label: string, format: 'urdf' | 'mjcf'): void {
  if (served) {
    const refusal = o.derives === true ? servedFileRefusal(served, source, 'this copy', format) : undefined;
    if (refusal !== undefined)
      throw new LinkChainError('LINK_CHAIN_FILE', label, `${refusal}: the links the policy's IMU terms are read in would be derived through its joints`, `your copy of the served file (the same sha256, or the same bytes but for line endings)`);
    const problem = servedFileProblem(served, source, label, format);
    if (problem) o.say(`axon sim: warning: ${problem}`);
  } else {
    o.say(`axon sim: note: the server names no file it serves (${noFileWhy(o)}): ${label} is drawn unchecked${o.derives === true ? ", and the links the policy's IMU terms are read in are derived through it unchecked" : ''}`);
  }
}

/** bridgeDrawing with `--mjcf FILE`: checked against the served file like --urdf, drawn from MuJoCo's bodies, kept as the recording's `mjcf`. */
function mjcfDrawing(o: BridgeDrawingOptions, m: DrawingMjcf, served: ServedModel | undefined, servedRun: Record<string, unknown>): BridgeDrawing {
  try {
    refuseServedMjcfJoints(m, o.spec);
    checkServedCopy(o, served, m.bytes, `--mjcf ${m.file}`, 'mjcf');
  } catch (e) {
    m.drawing.dispose();
    throw e;
  }
  let drawn: ReturnType<DrawingMjcf['drawing']['robot']> | undefined;
  return {
    served,
    // The client's file by its path here: what `axon replay --view` draws (in MuJoCo, as an --mjcf run's).
    run: { ...servedRun, mjcf: resolve(m.file) },
    viewRobot() {
      const r = (drawn ??= m.drawing.robot(o.spec));
      // Put at the newest tick's joints and base when the viewer builds a frame (off the tick).
      return { spec: r.spec, model: r.model, linkPose: r.linkPose, poseFrom: (obs) => r.showPose(obs.jointPosition, obs.base?.position, obs.base?.orientation) };
    },
    close: async () => {
      if (drawn) await drawn.close();
      else m.drawing.dispose();
    },
  };
}

/** A served file in words, or that there is none. */
const fileText = (f: HelloRobotFile | null) => (f ? servedModelText(servedModelOf(f)) : 'no file');

/**
 * One warning line each time a reconnect finds the server naming another robot file (or set-up)
 * than it did when the run began (BridgeRobot's robot_file_changed: a server restarted on another
 * revision of the URDF, the same joints): the drawing, its sha256 check and a recording's
 * served_model are of the first. Said once for each file it changes to.
 */
export function watchServedFile(robot: { readonly spec: RobotSpec; readonly events$: { subscribe(fn: (e: BridgeClientEvent) => void): Subscription } }, say: (line: string) => void): Subscription {
  const said = new Set<string>();
  return robot.events$.subscribe((e) => {
    if (e.kind !== 'robot_file_changed') return;
    const key = JSON.stringify(e.now);
    if (said.has(key)) return;
    said.add(key);
    const setupOnly = e.first && e.now && e.first.sha256 === e.now.sha256 ? ' with another set-up' : '';
    say(
      `axon sim: warning: after a reconnect the server serves robot "${printable(robot.spec.name)}" from ${fileText(e.now)}${setupOnly}, ` +
        `not from ${fileText(e.first)} as when the run began: what is drawn and recorded (served_model) is of the first`,
    );
  });
}
