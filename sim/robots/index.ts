import { AxonError } from '../../src/core/errors.ts';
import type { RobotSpec, SimulatedRobot } from '../../src/core/robot.ts';
import type { Task } from '../../src/core/task.ts';
import { Rng } from '../../src/core/rng.ts';
import { SimRobot, type SimJointDefaults, type SimRobotOptions } from '../SimRobot.ts';
import { CartpoleTask } from '../tasks/cartpole.ts';
import { PendulumTask } from '../tasks/pendulum.ts';
import { BalanceTask } from '../tasks/humanoid.ts';
import { ReachTask } from '../tasks/arm.ts';
import { armJointDefaults, armOptions, drawArmTarget, randomizeArm } from './arm.ts';
import { humanoidJointDefaults, humanoidOptions, randomizeHumanoid, type HumanoidRandomization } from './humanoid.ts';
import { isRandomizable, type RandomizableRobot } from './RandomizableRobot.ts';
import { loadUrdf } from '../urdf/loadUrdf.ts';
import type { UrdfModel } from '../urdf/parseUrdf.ts';

/**
 * The robots shipped with the simulator, by name: their URDF, joint defaults and randomisation.
 *
 * cartpole: joints [slider (m, effort-driven, ±30 N), hinge (rad, passive, 0 = upright)].
 * pendulum: joints [joint (rad, ±2 N·m, 0 = upright, starts hanging at π)].
 * humanoid: 16 joints, floating base, IMU on the pelvis, foot contacts (sim/robots/humanoid.ts).
 * arm: 6 joints, fixed base, tool position in extras.ee_pos, a target per episode in
 *   extras.target_pos drawn from the seed at every reset(seed) (sim/robots/arm.ts).
 */

/** Randomisation ranges; every value is a half-width of a uniform draw unless named a range. */
export interface RandomizeConfig {
  /** Initial pole / pendulum angle offset (rad), uniform ±; cartpole default 0.1, pendulum 0.1. */
  readonly angle?: number;
  /** Initial cart position (m), uniform ±; default 0.05 (cartpole only). */
  readonly cartPosition?: number;
  /** Initial joint velocities, uniform ± (m/s for the cart, rad/s for poles); default 0.05. */
  readonly velocity?: number;
  /** Pole mass scale range [lo, hi], uniform; default [0.8, 1.2]. */
  readonly massScale?: readonly [number, number];
  /** Humanoid: overrides of humanoidRandomization (sim/robots/humanoid.ts). */
  readonly humanoid?: Partial<HumanoidRandomization>;
}

export interface CreateSimRobotOptions {
  /** Physics step (s); default 0.002. */
  readonly physicsDt?: number;
  readonly solverIterations?: number;
  /** Resets with this seed once built (reset(seed)); with `randomize`, the first episode is randomised. */
  readonly seed?: number;
  /** Install the robot's randomizer so that every reset(seed) randomises (true: default ranges). */
  readonly randomize?: boolean | RandomizeConfig;
}

export { isRandomizable, type RandomizableRobot } from './RandomizableRobot.ts';

interface RobotEntry {
  readonly urdf: string;
  readonly jointDefaults: Readonly<Record<string, SimJointDefaults>>;
  readonly options?: Partial<SimRobotOptions>;
  /** Draws an episode's initial state and parameters; returns what it drew, by name. */
  readonly randomize: (robot: RandomizableRobot, rng: Rng, config: RandomizeConfig) => Record<string, number>;
  /** What every episode draws from its seed, randomised or not (the arm's target): run at each reset(seed). */
  readonly episode?: (robot: RandomizableRobot, rng: Rng) => Record<string, number>;
}

const ROBOTS: Readonly<Record<string, RobotEntry>> = {
  cartpole: {
    urdf: 'cartpole.urdf',
    jointDefaults: { slider: { defaultPosition: 0, kp: 0, kd: 0 }, hinge: { defaultPosition: 0, kp: 0, kd: 0 } },
    randomize: (robot, rng, c) => {
      const a = c.angle ?? 0.1;
      const x = c.cartPosition ?? 0.05;
      const v = c.velocity ?? 0.05;
      const [lo, hi] = c.massScale ?? [0.8, 1.2];
      const cartX = rng.uniform(-x, x);
      const poleAngle = rng.uniform(-a, a);
      const cartVelocity = rng.uniform(-v, v);
      const poleVelocity = rng.uniform(-v, v);
      const poleMassScale = rng.uniform(lo, hi);
      robot.setEpisodeInitialState([cartX, poleAngle], [cartVelocity, poleVelocity]);
      robot.setLinkMass('pole', robot.nominalLinkMass('pole') * poleMassScale);
      return { cartX, poleAngle, cartVelocity, poleVelocity, poleMassScale };
    },
  },
  pendulum: {
    urdf: 'pendulum.urdf',
    jointDefaults: { joint: { defaultPosition: Math.PI, kp: 10, kd: 1 } },
    randomize: (robot, rng, c) => {
      const a = c.angle ?? 0.1;
      const v = c.velocity ?? 0.05;
      const [lo, hi] = c.massScale ?? [0.8, 1.2];
      const angle = Math.PI + rng.uniform(-a, a);
      const velocity = rng.uniform(-v, v);
      const poleMassScale = rng.uniform(lo, hi);
      robot.setEpisodeInitialState([angle], [velocity]);
      robot.setLinkMass('pole', robot.nominalLinkMass('pole') * poleMassScale);
      return { angle, velocity, poleMassScale };
    },
  },
  humanoid: {
    urdf: 'humanoid.urdf',
    jointDefaults: humanoidJointDefaults,
    options: humanoidOptions,
    randomize: (robot, rng, c) => randomizeHumanoid(robot, rng, c.humanoid),
  },
  arm: {
    urdf: 'arm.urdf',
    jointDefaults: armJointDefaults,
    options: armOptions,
    randomize: (robot, rng) => randomizeArm(robot, rng),
    episode: drawArmTarget,
  },
};

/** Seed of the per-episode draw (arm target), apart from the randomizer's stream. */
const EPISODE_SALT = 0x7a3b91c5;

const models = new Map<string, UrdfModel>();

/** Names of the shipped robots. */
export function robotNames(): string[] {
  return Object.keys(ROBOTS);
}

function entry(name: string): RobotEntry {
  const e = Object.hasOwn(ROBOTS, name) ? ROBOTS[name] : undefined;
  if (e === undefined) {
    throw new AxonError('UNKNOWN_ROBOT', `robot "${name}"`, 'is not a shipped robot', `one of ${robotNames().join(', ')}`);
  }
  return e;
}

/** The parsed URDF of a shipped robot (parsed once, then cached). */
export function robotModel(name: string): UrdfModel {
  const e = entry(name);
  let model = models.get(name);
  if (model === undefined) {
    model = loadUrdf(new URL(`./${e.urdf}`, import.meta.url));
    models.set(name, model);
  }
  return model;
}

/**
 * What every episode of a shipped robot draws from its seed, randomised or not (the arm's
 * target, from a stream apart from the randomizer's), for either engine to run at each
 * reset(seed); undefined for a robot that draws nothing.
 */
export function shippedEpisode(name: string): ((robot: RandomizableRobot, seed: number) => void) | undefined {
  const episode = entry(name).episode;
  return episode ? (robot, seed) => void episode(robot, new Rng((seed ^ EPISODE_SALT) >>> 0)) : undefined;
}

/** The link a shipped robot's IMU is on (its options' imuLink), undefined for one without. Unknown name: AxonError UNKNOWN_ROBOT. */
export function shippedImuLink(name: string): string | undefined {
  return entry(name).options?.imuLink;
}

/** Builds a shipped robot in simulation. Unknown name: AxonError UNKNOWN_ROBOT. */
export function createSimRobot(name: string, opts: CreateSimRobotOptions = {}): SimRobot {
  const e = entry(name);
  const robot = new SimRobot(robotModel(name), {
    ...e.options,
    name,
    jointDefaults: e.jointDefaults,
    ...(opts.physicsDt !== undefined ? { physicsDt: opts.physicsDt } : {}),
    ...(opts.solverIterations !== undefined ? { solverIterations: opts.solverIterations } : {}),
  });
  const episode = shippedEpisode(name);
  if (opts.randomize !== undefined && opts.randomize !== false) {
    const config = opts.randomize === true ? {} : opts.randomize;
    robot.setRandomizer((r, seed) => {
      episode?.(r, seed);
      e.randomize(r, new Rng(seed), config);
    });
  } else if (episode !== undefined) {
    robot.setRandomizer(episode);
  }
  // The first episode's draw exists before any reset(seed) (seed 0 unless one is given).
  if (opts.seed === undefined && episode !== undefined) robot.reset(0);
  if (opts.seed !== undefined) robot.reset(opts.seed);
  return robot;
}

/**
 * Randomises a shipped robot's episode (initial state drawn from `rng`, pole mass scaled from the
 * URDF's) and resets it into that state, in either engine (a RandomizableRobot: the cannon-es
 * SimRobot or the MuJoCo robot). Returns the values drawn, by name (for the episode record). Call
 * after reset(seed), which restores the nominal robot.
 */
export function randomize(robot: SimulatedRobot, rng: Rng, config: RandomizeConfig = {}): Record<string, number> {
  if (!isRandomizable(robot)) {
    throw new AxonError('SIM_RANDOMIZE', `robot "${robot.spec.name}"`, 'cannot be randomised (it lacks the simulator\'s randomisation methods)', 'a shipped robot built by createSimRobot or by the MuJoCo backend');
  }
  const drawn = entry(robot.spec.name).randomize(robot, rng, config);
  robot.reset();
  return drawn;
}

export interface CreateTaskOptions {
  /** Episode length (s); default 10. */
  readonly episodeS?: number;
  /** When given, joint indices are looked up by name in it (otherwise the shipped joint order). */
  readonly spec?: RobotSpec;
}

/** The task that goes with a shipped robot: cartpole -> balance, pendulum -> swing up and hold, humanoid -> stand (BalanceTask), arm -> reach (ReachTask). */
export function createTask(name: string, opts: CreateTaskOptions = {}): Task {
  entry(name);
  const index = (joint: string, fallback: number): number => {
    if (opts.spec === undefined) return fallback;
    const i = opts.spec.joints.findIndex((j) => j.name === joint);
    if (i < 0) throw new AxonError('TASK_JOINT', `robot "${opts.spec.name}"`, `has no joint "${joint}"`, `a robot with the ${name} joints`);
    return i;
  };
  const episode = opts.episodeS !== undefined ? { episodeS: opts.episodeS } : {};
  if (name === 'humanoid') return new BalanceTask(episode);
  if (name === 'arm') return new ReachTask(episode);
  if (name === 'cartpole') return new CartpoleTask({ ...episode, cartIndex: index('slider', 0), poleIndex: index('hinge', 1) });
  return new PendulumTask({ ...episode, jointIndex: index('joint', 0) });
}
