/** The cannon-es simulator: URDF import, simulated robots, shipped robots and their tasks. */
export { parseUrdf, UrdfError } from './urdf/parseUrdf.ts';
export type {
  UrdfErrorCode,
  UrdfModel,
  UrdfLink,
  UrdfJoint,
  UrdfJointType,
  UrdfInertial,
  UrdfShape,
  UrdfGeometry,
  UrdfOrigin,
  ParseUrdfOptions,
} from './urdf/parseUrdf.ts';
export { loadUrdf } from './urdf/loadUrdf.ts';
export { SimRobot } from './SimRobot.ts';
export type { SimRobotOptions, SimJointDefaults, SimRandomizer, SimSensorNoise, SimPushConfig } from './SimRobot.ts';
export { PrismaticConstraint } from './physics/PrismaticConstraint.ts';
export { Rng } from '../src/core/rng.ts';
export { CartpoleTask } from './tasks/cartpole.ts';
export type { CartpoleTaskOptions } from './tasks/cartpole.ts';
export { PendulumTask } from './tasks/pendulum.ts';
export type { PendulumTaskOptions } from './tasks/pendulum.ts';
export { BalanceTask } from './tasks/humanoid.ts';
export type { BalanceTaskOptions } from './tasks/humanoid.ts';
export { humanoidRandomization, randomizeHumanoid, HUMANOID_LEG_JOINTS, HUMANOID_ARM_JOINTS } from './robots/humanoid.ts';
export type { HumanoidRandomization } from './robots/humanoid.ts';
export { robotNames, robotModel, createSimRobot, createTask, randomize } from './robots/index.ts';
export type { CreateSimRobotOptions, CreateTaskOptions, RandomizeConfig } from './robots/index.ts';
export { wrapAngle } from './physics/frames.ts';
