/**
 * The simulator's robot factory: a shipped robot by name in the engine asked for (cannon-es by
 * default, MuJoCo's WebAssembly build with `physics: 'mujoco'`, its module imported only then).
 * Sessions (sim, eval) and the training scripts (models/train) build their robots here, so that a
 * policy trains and is evaluated on the same robot in either engine.
 */
import type { SimulatedRobot } from '../../src/core/robot.ts';
import { UsageError } from '../../src/core/errors.ts';
import { createSimRobot } from '../robots/index.ts';

/** The physics engines behind a simulated robot (the CLI's `--physics`). */
export const PHYSICS_ENGINES = ['cannon', 'mujoco'] as const;
export type PhysicsEngine = (typeof PHYSICS_ENGINES)[number];

/** A shipped robot in `physics`; `physicsDt` (s) as the engine's default when absent. */
export async function createSessionRobot(name: string, physics: PhysicsEngine = 'cannon', o: { readonly physicsDt?: number } = {}): Promise<SimulatedRobot> {
  const dt = o.physicsDt !== undefined ? { physicsDt: o.physicsDt } : {};
  if (physics === 'mujoco') return (await import('../mujoco/createMujocoRobot.ts')).createMujocoShippedRobot(name, dt);
  return createSimRobot(name, dt);
}

/** `--physics` from a command line that has no parser of its own (the training scripts): UsageError unless one of PHYSICS_ENGINES. */
export function parsePhysics(value: string, flag = '--physics'): PhysicsEngine {
  if ((PHYSICS_ENGINES as readonly string[]).includes(value)) return value as PhysicsEngine;
  throw new UsageError(flag, `unknown physics engine "${value}"`, `one of ${PHYSICS_ENGINES.join(', ')}`);
}
