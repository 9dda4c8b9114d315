export { openSimSession, sessions } from './SimSession.ts';
export type { PrebuiltRobot } from './SimSession.ts';
export { WeakMotors } from './WeakMotors.ts';
