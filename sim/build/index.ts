/** Building a URDF robot's cannon-es bodies and joints (used by sim/SimRobot.ts). */
export { DEFAULT_LINK_INERTIAL, makeLinks, groupLinks, groupMass, settleInertials } from './links.ts';
export type { LinkInfo, BodyInfo, LinkGroup } from './links.ts';
export { computeCom, applyMassProperties } from './massProperties.ts';
export type { ArmatureModel, ArmatureJoint } from './massProperties.ts';
export { buildBodies, addGround, GROUP_GROUND, GROUP_ROBOT } from './buildBodies.ts';
export type { BuildBodiesOptions } from './buildBodies.ts';
export { jointSpec, makeJoint, updateLimitGains } from './makeJoint.ts';
export { makeWorld } from './makeWorld.ts';
export { makeJoints } from './makeJoints.ts';
export { followerDefaults, mimicOfJoint, MimicJoints } from './mimicJoints.ts';
export type { JointInfo } from './makeJoint.ts';
export { LinkMasses } from './LinkMasses.ts';
