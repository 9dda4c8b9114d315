/** The cannon-es simulator: URDF import, simulated robots, shipped robots and their tasks. */
export { parseUrdf, UrdfError } from './urdf/parseUrdf.ts';
export type {
  UrdfErrorCode,
  UrdfModel,
  UrdfSource,
  UrdfLink,
  UrdfFrameLink,
  UrdfJoint,
  UrdfJointType,
  UrdfInertial,
  UrdfShape,
  UrdfGeometry,
  UrdfOrigin,
  ParseUrdfOptions,
} from './urdf/parseUrdf.ts';
export type { UrdfNote } from './urdf/parseUrdf.ts';
export { statedBasePose, startPose } from './urdf/floatingBase.ts';
export type { BasePose, StatedFloatingBase } from './urdf/floatingBase.ts';
export { loadUrdf } from './urdf/loadUrdf.ts';
export type { LoadUrdfOptions } from './urdf/loadUrdf.ts';
export { resolveMeshPath, defaultPackagePaths } from './urdf/resolveMeshPath.ts';
export type { MeshPathOptions, MeshPathResult } from './urdf/resolveMeshPath.ts';
export { chainTo, linkPositionFk } from './urdf/kinematics.ts';
export type { FkChain } from './urdf/kinematics.ts';
export { meshCollisionShapes, clearMeshCache, DEFAULT_MAX_HULL_VERTICES } from './mesh/meshCollision.ts';
export type { MeshCollisionMode, MeshCollisionReport } from './mesh/meshCollision.ts';
export { convexHull } from './mesh/convexHull.ts';
export { createUrdfSimRobot, describeRobot } from './describeRobot.ts';
export type { UrdfSimRobotOptions } from './describeRobot.ts';
export { SimRobot, DEFAULT_LINK_INERTIAL } from './SimRobot.ts';
export type { SimRobotOptions, SimJointDefaults, SimRandomizer, SimSensorNoise, SimPushConfig } from './SimRobot.ts';
export { PrismaticConstraint } from './physics/PrismaticConstraint.ts';
export { Rng } from '../src/core/rng.ts';
export { CartpoleTask } from './tasks/cartpole.ts';
export type { CartpoleTaskOptions } from './tasks/cartpole.ts';
export { PendulumTask } from './tasks/pendulum.ts';
export type { PendulumTaskOptions } from './tasks/pendulum.ts';
export { BalanceTask } from './tasks/humanoid.ts';
export type { BalanceTaskOptions } from './tasks/humanoid.ts';
export { ReachTask } from './tasks/arm.ts';
export { FreeRunTask } from './tasks/freeRun.ts';
export type { ReachTaskOptions } from './tasks/arm.ts';
export { ARM_JOINTS, ARM_TARGET_REGION, ArmReachController, drawArmTarget, randomizeArm } from './robots/arm.ts';
export { humanoidRandomization, randomizeHumanoid, HUMANOID_LEG_JOINTS, HUMANOID_ARM_JOINTS } from './robots/humanoid.ts';
export type { HumanoidRandomization } from './robots/humanoid.ts';
export { robotNames, robotModel, createSimRobot, createTask, randomize, shippedImuLink } from './robots/index.ts';
export type { CreateSimRobotOptions, CreateTaskOptions, RandomizeConfig } from './robots/index.ts';
export { wrapAngle } from './physics/frames.ts';
