export { openSimSession, sessions } from './SimSession.ts';
export type { PrebuiltRobot } from './SimSession.ts';
export { WeakMotors } from './WeakMotors.ts';
export { createSessionRobot, parsePhysics, PHYSICS_ENGINES, type PhysicsEngine } from './sessionRobot.ts';
