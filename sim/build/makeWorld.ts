import { Vec3, World, type GSSolver } from 'cannon-es';
import { AxonError } from '../../src/core/errors.ts';
import { RobotNarrowphase } from '../physics/RobotNarrowphase.ts';
import { WarmStartSolver } from '../physics/WarmStartSolver.ts';
import { DEFAULT_CONTACT_MARGIN, type SimRobotOptions } from '../SimRobotOptions.ts';

/**
 * The cannon-es world a SimRobot is built in, before its bodies: gravity, the Gauss-Seidel solver
 * (warm-started by default with pd 'implicit'), ground friction, no sleeping, and the robot
 * narrowphase (sim/physics/RobotNarrowphase.ts) when Coulomb friction or a contact margin asks for
 * it. Throws SIM_OPTION for a contact margin outside [0, 0.05] m.
 */
export function makeWorld(
  options: SimRobotOptions,
  implicit: boolean,
  physicsDt: number,
): { world: World; gravity: Vec3; narrowphase: RobotNarrowphase | undefined } {
  const g = options.gravity ?? -9.81;
  const gravity = typeof g === 'number' ? new Vec3(0, 0, g) : new Vec3(g[0], g[1], g[2]);
  const world = new World({ gravity });
  if (options.warmStart ?? implicit) world.solver = new WarmStartSolver();
  (world.solver as GSSolver).iterations = options.solverIterations ?? 20;
  world.defaultContactMaterial.friction = options.friction ?? 0.8;
  world.allowSleep = false;
  const margin = options.contactMargin ?? (implicit ? DEFAULT_CONTACT_MARGIN : 0);
  if (!(margin >= 0 && margin <= 0.05)) throw new AxonError('SIM_OPTION', 'contactMargin', `is ${margin}`, 'a distance in [0, 0.05] m');
  let narrowphase: RobotNarrowphase | undefined;
  if (options.frictionModel === 'coulomb' || margin > 0) {
    const np = (narrowphase = new RobotNarrowphase(world));
    np.dt = physicsDt;
    np.margin = margin;
    np.coulomb = options.frictionModel === 'coulomb';
    world.narrowphase = np;
  }
  return { world, gravity, narrowphase };
}
