/**
 * A local e-stop that reaches a robot keeping a stop of its own (Robot.estop: a bridge client
 * latches the served robot's e-stop, hardware/PROTOCOL.md section 7). The live runners forward
 * every 'estop' event of their supervisor (a signal, the viewer's E-STOP or disarm, teleop's
 * --estop-at drill) with its reason, except the e-stop a robot's own fault made before arming (the
 * robot already reports its stop: a bridge's served robot is in it); the call is made on the next event-loop
 * turn, never on the tick, and its failure (a link already down) is dropped: the local stop
 * already holds the robot. A stop still waiting for its turn when the loop ends is sent by
 * flush(), before the robot is closed, so that the close cannot overtake it.
 */
import type { Robot } from '../core/robot.ts';
import type { SafetySupervisor } from '../safety/SafetySupervisor.ts';

/** Latches `robot`'s own stop with `reason`, fire and forget, on the next event-loop turn; a robot without Robot.estop: nothing. */
export function estopRobot(robot: Robot, reason: string): void {
  if (!robot.estop) return;
  setImmediate(() => send(robot, reason));
}

function send(robot: Robot, reason: string): void {
  robot.estop!(reason).catch(() => {});
}

export interface EstopForward {
  /** Sends the e-stop still waiting for its event-loop turn, now (the loop has ended: call it before closing the robot). */
  flush(): void;
  unsubscribe(): void;
}

/**
 * Forwards each e-stop of `safety` to `robot`; undefined when the robot has no Robot.estop.
 * `skip`: read as each e-stop comes (events$ is synchronous), true for one not to forward.
 */
export function forwardEstop(safety: SafetySupervisor, robot: Robot, skip: () => boolean = () => false): EstopForward | undefined {
  if (!robot.estop) return undefined;
  let pending: string | undefined;
  let turn: NodeJS.Immediate | undefined;
  const go = () => {
    turn = undefined;
    const reason = pending;
    pending = undefined;
    if (reason !== undefined) send(robot, reason);
  };
  const sub = safety.events$.subscribe((e) => {
    if (e.kind !== 'estop' || skip()) return;
    pending = e.reason; // several before the turn: one request, the latest reason
    turn ??= setImmediate(go);
  });
  return {
    flush() {
      if (turn !== undefined) clearImmediate(turn);
      go();
    },
    unsubscribe() {
      sub.unsubscribe();
      if (turn !== undefined) clearImmediate(turn);
      turn = undefined;
    },
  };
}
