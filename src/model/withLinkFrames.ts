/**
 * A robot that measures only its IMU, made to report the links a manifest's IMU terms are read in
 * (RobotSpec.sensors.imuFrames, Observation.extras under linkFrameKeys) by deriving each from the
 * IMU and the joints between (LinkFrame, src/model/linkFrames.ts), as a real robot's deploy code
 * does. The pre-arm check and the observation builder then see what they see on a simulator; a
 * robot whose chain is not known keeps refusing such a term (src/model/checkModel.ts).
 */
import type { Observable } from 'rxjs';
import { linkFrameKeys, type JointCommand, type Observation, type Robot, type RobotHealth, type RobotSpec } from '../core/robot.ts';
import { termFrameLinks, type ModelManifest } from './manifest.ts';
import { LinkFrame, type LinkTree } from './linkFrames.ts';

/** The links a manifest reads IMU terms in that the robot does not report itself: what must be derived. */
export function linksToDerive(m: Pick<ModelManifest, 'observation' | 'imu_link'>, spec: RobotSpec): string[] {
  const have = spec.sensors.imuFrames ?? [];
  return termFrameLinks(m).filter((l) => !have.includes(l));
}

interface Derived {
  readonly frame: LinkFrame;
  readonly orientation: Float32Array;
  readonly angularVelocity: Float32Array;
  readonly keys: { readonly orientation: string; readonly angularVelocity: string };
}

/**
 * The robot, reporting `links` besides its IMU, each derived from the IMU on `imuLink` through the
 * tree's joints (configure time: throws LinkChainError for a chain that cannot be followed). A robot
 * with no IMU, or no link to derive, is returned as it is. Everything else is the robot's own.
 */
export function withLinkFrames(robot: Robot, tree: LinkTree, imuLink: string, links: readonly string[]): Robot {
  if (!robot.spec.sensors.imu || links.length === 0) return robot;
  const names = robot.spec.joints.map((j) => j.name);
  const derived: Derived[] = links.map((l) => ({ frame: new LinkFrame(tree, imuLink, l, names), orientation: new Float32Array([0, 0, 0, 1]), angularVelocity: new Float32Array(3), keys: linkFrameKeys(l) }));
  return new LinkFramesRobot(robot, derived);
}

/** The frames each derived link is reached through (for the operator's line): link, IMU link, joints. */
export function derivedLinkPaths(tree: LinkTree, imuLink: string, links: readonly string[], spec: RobotSpec): { link: string; joints: readonly string[] }[] {
  const names = spec.joints.map((j) => j.name);
  return links.map((l) => ({ link: l, joints: new LinkFrame(tree, imuLink, l, names).path }));
}

class LinkFramesRobot implements Robot {
  readonly spec: RobotSpec;
  readonly health$: Observable<RobotHealth>;
  readonly streamsState?: boolean;
  useClock?: (now: () => number) => void;
  settle?: () => Promise<void>;

  constructor(
    private readonly inner: Robot,
    private readonly derived: readonly Derived[],
  ) {
    const s = inner.spec;
    const frames = [...(s.sensors.imuFrames ?? []), ...derived.map((d) => d.frame.link)];
    this.spec = { ...s, sensors: { ...s.sensors, imuFrames: frames } };
    this.health$ = inner.health$;
    if (inner.streamsState !== undefined) this.streamsState = inner.streamsState;
    const { useClock, settle } = inner;
    if (useClock) this.useClock = (now) => useClock.call(inner, now);
    if (settle) this.settle = () => settle.call(inner);
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  /** The robot's observation with the derived links written into its extras (on the tick: no allocation). */
  observe(): Observation {
    const obs = this.inner.observe();
    const imu = obs.imu;
    if (imu === undefined) return obs;
    const extras = obs.extras as Record<string, Float32Array>;
    for (let i = 0; i < this.derived.length; i++) {
      const d = this.derived[i];
      d.frame.update(imu.orientation, imu.angularVelocity, obs.jointPosition, obs.jointVelocity, d.orientation, d.angularVelocity);
      // Put in once (the robot reuses its Observation); again only if the robot made a new one.
      if (extras[d.keys.orientation] !== d.orientation) extras[d.keys.orientation] = d.orientation;
      if (extras[d.keys.angularVelocity] !== d.angularVelocity) extras[d.keys.angularVelocity] = d.angularVelocity;
    }
    return obs;
  }

  command(cmd: JointCommand): void {
    this.inner.command(cmd);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
