/**
 * The robot `axon bridge` serves: a shipped one (`--sim R`) or a user's robot file (`--urdf FILE`,
 * `--mjcf FILE`) set up by the code `axon sim` runs (urdfSession.ts, mjcfSession.ts: the flags,
 * then the manifest, then the file, then the default gain rule), optionally from a policy's
 * manifest (`--manifest`): default pose, PD gains, actuators, fixed base, IMU link, base height.
 * The server runs no policy: the manifest only sets the robot up, as `axon sim --policy` would.
 * Part of the composition root (src/cli): it knows sim/, and imports MuJoCo's side only when asked.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { helloRobotFile, type HelloRobotFile } from '../../hardware/bridge/index.ts';
import { fileDigest, rootSetup } from '../record/index.ts';
import { createSimRobot, randomize, Rng, shippedImuLink } from '../../sim/index.ts';
import { AxonError, UsageError } from '../core/errors.ts';
import { printable } from '../core/printable.ts';
import type { SimulatedRobot } from '../core/robot.ts';
import { ManifestError, readManifest, type ModelManifest } from '../model/manifest.ts';
import { mjcfFlags, mjcfSetupLine, mjcfSetupSummary, openMjcfRobot } from './mjcfSession.ts';
import { openUrdfRobot, refuseMissingJoints, urdfFlags, urdfSetupLine, urdfSetupSummary, type UrdfFlagValues } from './urdfSession.ts';

/** `axon bridge`'s robot flags, as commander parsed them. */
export interface BridgeRobotFlags extends UrdfFlagValues {
  readonly sim?: string;
  readonly urdf?: string;
  readonly mjcf?: string;
  /** `--manifest DIR|FILE`: a policy folder (or its manifest.json) that sets the robot file up. */
  readonly manifest?: string;
  readonly physics: 'cannon' | 'mujoco';
  readonly seed: number;
  readonly randomize: boolean;
}

/** The robot to serve and what its set-up decided. */
export interface ServedRobot {
  readonly robot: SimulatedRobot;
  /** The summary's `robot`: the shipped robot's name, else the file's robot name. */
  readonly name: string;
  readonly physics: 'cannon' | 'mujoco';
  /** A robot file's set-up in one line (as `axon sim` prints it), undefined for a shipped robot. */
  readonly setupLine?: string;
  /** A robot file's set-up for the JSON summary's `robot_setup`. */
  readonly setupSummary?: Record<string, unknown>;
  /**
   * A robot file's hello.robotFile (hardware/PROTOCOL.md section 4; a URDF or an MJCF, drawn by
   * the client's `--urdf FILE` or `--mjcf FILE`): its file name, never its path (the server's
   * folders are nobody's business, and no use on a client's machine), sha256, size and the set-up
   * that places its root. Undefined for a shipped robot and a file whose name the hello cannot carry
   * (robotFileNote says so).
   */
  readonly robotFile?: HelloRobotFile;
  /** Why a robot file is served without its robotFile (a file name the hello cannot carry), in one line for the operator. */
  readonly robotFileNote?: string;
  /** The link (an MJCF's body) its IMU is on, as the set-up decided (hello.frame.imuLink); undefined without an IMU. */
  readonly imuLink?: string;
}

/**
 * Builds and resets (seed) the robot to serve. Throws a UsageError naming the flag (`--physics
 * cannon` with an MJCF), a ManifestError naming the manifest field (a joint or link the file lacks).
 */
export async function openServedRobot(o: BridgeRobotFlags, physicsDt: number): Promise<ServedRobot> {
  if (o.mjcf !== undefined) {
    if (o.physics === 'cannon') throw new UsageError('--physics', 'cannon cannot load an MJCF model', '--physics mujoco (or leave it out: --mjcf implies it)');
    const { manifest, file } = setupManifest(o.manifest);
    const { robot, setup } = await openMjcfRobot(mjcfFlags(o.mjcf, o), manifest, physicsDt, file);
    try {
      // mjcfRobot leaves joints the model lacks to the model check, which a server never runs: refused here.
      if (manifest) refuseMissingJoints(manifest, robot.spec.joints.map((j) => j.name), robot.spec.name, file, `${robot.spec.name} does not have`);
    } catch (e) {
      robot.dispose();
      throw e;
    }
    robot.reset(o.seed);
    // The MJCF's root is placed by the file itself (its body's pos/quat): the set-up adds none.
    // The sha256 covers the model file and its includes, of the bytes MuJoCo compiled (read once into its virtual file system), not of a second read.
    const mjcfFile = servedRobotFile(o.mjcf, 'mjcf', robot.mjcfDigest, rootSetup({ fixedBase: !setup.floating }), '--mjcf');
    return { robot, name: robot.spec.name, physics: 'mujoco', setupLine: `MJCF, ${mjcfSetupLine(setup)}`, setupSummary: mjcfSetupSummary(setup), ...mjcfFile, ...imuOf(robot, setup.imuLink) };
  }
  if (o.urdf !== undefined) {
    const { manifest, file } = setupManifest(o.manifest);
    const { robot, setup } = await openUrdfRobot(urdfFlags(o.urdf, o), manifest, physicsDt, o.physics, file);
    robot.reset(o.seed);
    const root = rootSetup({ fixedBase: setup.fixedBase, basePosition: setup.options.basePosition, baseOrientation: setup.options.baseOrientation });
    const urdfFile = servedRobotFile(o.urdf, 'urdf', setup.model.source ?? fileDigest(o.urdf), root, '--urdf');
    return { robot, name: robot.spec.name, physics: o.physics, setupLine: urdfSetupLine(setup), setupSummary: urdfSetupSummary(setup), ...urdfFile, ...imuOf(robot, setup.imuLink) };
  }
  const name = o.sim!;
  const robot = o.physics === 'mujoco' ? await mujocoShipped(name, physicsDt, o.seed, o.randomize) : createSimRobot(name, { physicsDt, seed: o.seed, ...(o.randomize ? { randomize: true } : {}) });
  return { robot, name, physics: o.physics, ...imuOf(robot, shippedImuLink(name)) };
}

/** The served IMU's link, for the hello: only for a robot with an IMU whose link is known. */
function imuOf(robot: SimulatedRobot, link: string | null | undefined): { imuLink?: string } {
  return robot.spec.sensors.imu && typeof link === 'string' ? { imuLink: link } : {};
}

/**
 * A robot file's hello.robotFile: its file name (never its path), the sha256 and size of its bytes
 * (a URDF's as the robot was built from them, UrdfModel.source; an MJCF's, the model file and
 * every file it <include>s, as MuJoCo read them, sim/mujoco/mjcfDigest.ts: no file is read again;
 * meshes are not in the digest, as a URDF's are not), and the set-up that places its root. A name the hello cannot carry (a backslash, a
 * control character: HelloRobotFileSchema) leaves the field out, with a note saying why: the field
 * only lets a client draw the robot, and must not keep a file that served before it from being
 * served. `flag`: the client's flag that draws it from its own copy.
 */
function servedRobotFile(file: string, format: 'urdf' | 'mjcf', src: { readonly sha256: string; readonly bytes: number }, root: ReturnType<typeof rootSetup>, flag: string): { robotFile?: HelloRobotFile; robotFileNote?: string } {
  const name = basename(file);
  try {
    return { robotFile: helloRobotFile({ robotFile: { format, name, sha256: src.sha256, bytes: src.bytes, ...root } })! };
  } catch (e) {
    const want = e instanceof AxonError && e.expected !== undefined ? ` (it must be ${e.expected})` : '';
    return { robotFileNote: `the file name "${printable(name)}" cannot go in the hello's robotFile${want}: served without it, so a client draws the robot from its own ${flag} FILE unchecked` };
  }
}

/**
 * `--manifest PATH`: a model folder holding manifest.json, or the manifest file itself; only its
 * robot fields are read (the ONNX file need not be there: the server runs no policy).
 */
function setupManifest(path: string | undefined): { manifest: ModelManifest | undefined; file: string } {
  if (path === undefined) return { manifest: undefined, file: '(no --manifest)' };
  if (!existsSync(path)) throw new UsageError('--manifest', `"${path}" does not exist`, "a policy folder with manifest.json, or the manifest.json itself");
  const file = statSync(path).isDirectory() ? join(path, 'manifest.json') : path;
  if (!existsSync(file)) throw new ManifestError('MODEL_NOT_FOUND', file, 'no manifest.json in the folder given to --manifest', 'a policy folder with manifest.json');
  return { manifest: readManifest(file), file };
}

/**
 * `--sim R --physics mujoco`: the shipped robot in MuJoCo (its module imported only here), with the
 * same seeded randomisation as the cannon-es side (each sim_reset draws again).
 */
async function mujocoShipped(name: string, physicsDt: number, seed: number, randomized: boolean): Promise<SimulatedRobot> {
  const { createMujocoShippedRobot } = await import('../../sim/mujoco/createMujocoRobot.ts');
  const robot = await createMujocoShippedRobot(name, { physicsDt });
  if (randomized) robot.setRandomizer((r, s) => void randomize(r, new Rng(s)));
  robot.reset(seed);
  return robot;
}
