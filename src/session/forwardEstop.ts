/**
 * A local e-stop that reaches a robot keeping a stop of its own (Robot.estop: a bridge client
 * latches the served robot's e-stop, hardware/PROTOCOL.md section 7). The live runners forward
 * every 'estop' event of their supervisor (a signal, the viewer's E-STOP or disarm, a fault before
 * arming) with its reason; the call is made on the next event-loop turn, never on the tick, and
 * its failure (a link already down) is dropped: the local stop already holds the robot.
 */
import type { Subscription } from 'rxjs';
import type { Robot } from '../core/robot.ts';
import type { SafetySupervisor } from '../safety/SafetySupervisor.ts';

/** Latches `robot`'s own stop, fire and forget, off the tick; a robot without Robot.estop: nothing. */
export function estopRobot(robot: Robot, reason: string): void {
  if (!robot.estop) return;
  setImmediate(() => {
    robot.estop!(reason).catch(() => {});
  });
}

/** Forwards each e-stop of `safety` to `robot` (estopRobot); undefined when the robot has no Robot.estop. */
export function forwardEstop(safety: SafetySupervisor, robot: Robot): Subscription | undefined {
  if (!robot.estop) return undefined;
  return safety.events$.subscribe((e) => {
    if (e.kind === 'estop') estopRobot(robot, e.reason);
  });
}
