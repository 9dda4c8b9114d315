import { AxonError } from '../core/errors.ts';

/**
 * A model with no moving joint (every link welded: a single mesh, a prop, a URDF whose joints are
 * all fixed) has nothing to hold or command: refused by name before a robot or loop is built (a
 * policy's joints would otherwise be reported against an empty list, the hold-pose model as a schema error).
 */
export function refuseNoJoints(count: number, robotName: string, file: string): void {
  if (count === 0)
    throw new AxonError('ROBOT_NO_JOINTS', file, `robot ${robotName} has no moving joint`, 'at least one revolute, continuous or prismatic joint (hinge or slide in an MJCF) to control; axon describe shows its tree');
}
