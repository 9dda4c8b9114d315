/**
 * The stop a robot fault makes during a live run (`axon run`, `axon teleop`): before the loop arms
 * (a robot already faulted at connect) only e-stopped keeps it from arming; once armed, a fault is
 * a protective safe-stop with the fault as its reason, latched until an operator reset, the state
 * the robot itself is in. A supervisor already stopped (a stale-observation safe-stop, an operator
 * e-stop) stays as it is, so the end state does not depend on which side noticed first.
 */
import type { SafetySupervisor } from '../safety/SafetySupervisor.ts';

export function stopOnRobotFault(safety: SafetySupervisor, reason: string, now: number, seq: number): void {
  if (!safety.armed) safety.estop(reason, now, seq);
  else if (safety.state !== 'e-stopped' && safety.state !== 'safe-stop') safety.safeStop(reason, now, seq);
}
