/**
 * What `axon sim --robot ws://...` draws the served robot with (`--view`) and keeps of its model
 * (`--record`). Part of the composition root: it knows sim/ and the bridge's hello.
 *
 * The server names the robot file it serves in its hello (hello.robotFile, hardware/PROTOCOL.md
 * section 4): the file name and sha256, never its path, with the set-up that places the root. The
 * client draws from its own copy, given with `--urdf FILE`:
 *  - its moving joints must be the served robot's (BRIDGE_DRAWING naming the joint, exit 2: it
 *    could not be posed);
 *  - its sha256 is checked against the hello's: a different file is drawn with one warning line
 *    (the drawing is the operator's view, not the control: a file that differs only in its visuals
 *    is still worth drawing, and a refusal would stop a run for what it cannot affect); a server
 *    that names no file (one from before the field, a shipped robot) leaves it unchecked, said in one
 *    line.
 * Without `--urdf`, a shipped robot is drawn by name as before; any other robot is not drawn, and
 * one line says which file would draw it (the hello's name and sha256), or that the server names none.
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
import type { RobotSpec } from '../core/robot.ts';
import type { HelloRobotFile } from '../../hardware/bridge/index.ts';
import { drawingMeta, servedFileProblem, servedModelText, type ServedModel } from '../record/index.ts';
import type { ViewerRobot } from '../viewer/index.ts';
import { loadUrdf, robotModel } from '../../sim/index.ts';
import { refuseJointMismatch, setupOf, urdfRobot, type ReplayRobot } from './replayDrawing.ts';

export interface BridgeDrawingOptions {
  /** The served spec (the client's, from the hello). */
  readonly spec: RobotSpec;
  /** The hello's robotFile (BridgeRobot.robotFile); null when the server names none. */
  readonly robotFile: HelloRobotFile | null;
  /** The shipped robot served by name (shippedRobotServed), drawn as such without --urdf. */
  readonly shipped?: string;
  /** `--urdf FILE`: the client's copy of the served URDF. */
  readonly urdf?: string;
  /** `--urdf-package-path`: folders searched for its package:// meshes. */
  readonly packagePaths?: readonly string[];
  /** State frames carry the base pose (hello.frame.base): the drawing is put at it. */
  readonly posedByBase: boolean;
  /** Where the one-line notes go (stderr). */
  readonly say: (line: string) => void;
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

/** The hello's robotFile as `axon.run`'s served_model. */
export function servedModelOf(f: HelloRobotFile): ServedModel {
  const p = f.basePosition;
  const q = f.baseOrientation;
  return { format: f.format, name: f.name, sha256: f.sha256, bytes: f.bytes, fixed_base: f.fixedBase, base_position: [p[0], p[1], p[2]], base_orientation: [q[0], q[1], q[2], q[3]] };
}

/**
 * Configure time, once connected: loads `--urdf FILE` and checks it against the served robot
 * (joints: BRIDGE_DRAWING; the file: one line, see the file's comment). Throws the URDF's own
 * typed error for a file that cannot be read or parsed.
 */
export function bridgeDrawing(o: BridgeDrawingOptions): BridgeDrawing {
  const served = o.robotFile ? servedModelOf(o.robotFile) : undefined;
  const servedRun = served ? { served_model: served } : {};
  let drawn: ReplayRobot | undefined;
  if (o.urdf === undefined) {
    return {
      served,
      run: servedRun,
      viewRobot() {
        if (o.shipped !== undefined) return { spec: o.spec, model: robotModel(o.shipped) };
        o.say(
          `axon sim: robot "${o.spec.name}": ` +
            (served ? `the server serves it from ${servedModelText(served)}: give your copy of that file with --urdf FILE to draw it` : 'the server names no URDF it serves (a server from before hello.robotFile, or an MJCF): give its URDF with --urdf FILE to draw it') +
            ': panels only',
        );
        return { spec: o.spec };
      },
      close: async () => {},
    };
  }
  const file = o.urdf;
  const model = loadUrdf(file, { packagePaths: o.packagePaths ?? [], collisionMeshes: 'optional' });
  refuseJointMismatch(model, o.spec, file, 'BRIDGE_DRAWING', 'the served robot');
  if (served) {
    const problem = servedFileProblem(served, file, `--urdf ${file}`);
    if (problem) o.say(`axon sim: warning: ${problem}: drawn anyway, the drawing may not match the robot`);
  } else {
    o.say(`axon sim: note: the server names no URDF it serves (${o.shipped !== undefined ? `it serves the shipped robot "${o.shipped}"` : 'a server from before hello.robotFile, or an MJCF'}): --urdf ${file} is drawn unchecked`);
  }
  const setup = served ? setupOf(served) : {};
  return {
    served,
    run: {
      ...servedRun,
      // The client's file by its path here, with the served set-up: what `axon replay --view` draws.
      ...drawingMeta(file, { fixedBase: served?.fixed_base ?? false, ...(served ? { basePosition: served.base_position, baseOrientation: served.base_orientation } : {}), packagePaths: o.packagePaths ?? [] }),
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
