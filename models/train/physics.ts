import type { PhysicsEngine } from '../../sim/session/index.ts';

/** ` --physics mujoco` for a MuJoCo run, nothing for cannon-es (the default): the commands written into provenance and READMEs. */
export const physicsFlag = (physics: PhysicsEngine): string => (physics === 'cannon' ? '' : ` --physics ${physics}`);

/** The engine in words. */
export const engineName = (physics: PhysicsEngine): string => (physics === 'mujoco' ? 'MuJoCo' : 'cannon-es');
