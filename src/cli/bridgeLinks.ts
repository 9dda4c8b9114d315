/**
 * A bridge client's drawing of the served robot (bridgeDrawing.ts) and the links its policy's IMU
 * terms are read in, derived through the same file (linkTree.ts; docs/byom.md, an IMU term's
 * `link`). Part of the composition root, kept out of commands/sim.ts.
 *
 * Where links are derived, the client's `--urdf`/`--mjcf` drives the policy's observations, not
 * only the drawing: a copy that is not the served file is refused (bridgeDrawing's `derives`),
 * and the chain starts at the link the server says its IMU is on (hello.frame.imuLink) or the
 * manifest's `imu_link`, never at a guess (imuLinkOf). The recording keeps the served IMU's link
 * as `axon.run`'s `imu_link`, so `axon replay --policy P --urdf FILE` starts there too.
 */
import { helloImuLink, type BridgeRobot } from '../../hardware/bridge/index.ts';
import type { Robot } from '../core/robot.ts';
import { loadModelFolder } from '../model/manifest.ts';
import { linksToDerive } from '../model/withLinkFrames.ts';
import { bridgeDrawing, type BridgeDrawing, type DrawingMjcf, type DrawingUrdf } from './bridgeDrawing.ts';
import { imuLinkOf, mjcfLinkFrames, urdfLinkFrames } from './linkTree.ts';

export interface BridgeLinksOptions {
  /** The server's URL (names the hello in errors). */
  readonly url: string;
  /** The policy folder. */
  readonly policy: string;
  readonly urdf?: DrawingUrdf;
  readonly mjcf?: DrawingMjcf;
  /** The shipped robot served by name, if any (drawn by it without a file). */
  readonly shipped?: string;
  readonly say: (line: string) => void;
}

/**
 * Configure time, once connected: the drawing, the robot the loop runs (with the derived links, or
 * the bridge robot itself) and the `axon.run` fields a recording adds. On a refusal (a file that
 * is not the served one, an IMU link nobody names or two that disagree, a chain that cannot be
 * followed) the drawing and the link are closed and the typed error thrown (exit 2).
 */
export async function bridgeDrawingAndLinks(robot: BridgeRobot, o: BridgeLinksOptions): Promise<{ drawing: BridgeDrawing; controlled: Robot }> {
  const manifestFile = `${o.policy}/manifest.json`;
  const m = loadModelFolder(o.policy).manifest;
  const derives = (o.urdf !== undefined || o.mjcf !== undefined) && robot.spec.sensors.imu && linksToDerive(m, robot.spec).length > 0;
  let drawing: BridgeDrawing;
  try {
    drawing = bridgeDrawing({
      spec: robot.spec,
      robotFile: robot.robotFile,
      ...(robot.robotFileProblem !== undefined ? { robotFileProblem: robot.robotFileProblem } : {}),
      sim: robot.hello.sim,
      ...(o.shipped ? { shipped: o.shipped } : {}),
      ...(o.urdf ? { urdf: o.urdf } : {}),
      ...(o.mjcf ? { mjcf: o.mjcf } : {}),
      posedByBase: robot.hello.frame.base,
      say: o.say,
      derives,
    });
  } catch (e) {
    await robot.close();
    throw e;
  }
  let controlled: Robot = robot;
  let told: string | null = null;
  try {
    // Read only here: a malformed field costs a client that derives nothing no link.
    told = robot.spec.sensors.imu ? helloImuLink(robot.hello, o.url) : null;
    if (derives) {
      const imuLink = imuLinkOf(told, m, `${o.url} hello.frame.imuLink`, manifestFile);
      const derived = o.urdf ? urdfLinkFrames(robot, m, o.urdf.model, o.urdf.file, imuLink) : mjcfLinkFrames(robot, m, o.mjcf!.drawing, o.mjcf!.file, imuLink);
      controlled = derived.robot;
      if (derived.line !== undefined) o.say(`axon sim: ${derived.line}`);
    }
  } catch (e) {
    if (derives) {
      await drawing.close();
      await robot.close();
      throw e;
    }
    told = null; // drawing only: an unusable imuLink is not recorded, and costs nothing else
  }
  // Where the served IMU is, for a replay that derives a link from the recorded IMU.
  return { drawing: told !== null ? { ...drawing, run: { ...drawing.run, imu_link: told } } : drawing, controlled };
}
