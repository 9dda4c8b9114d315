/**
 * What `axon sim --robot ws://...` checks in the server's hello before it authenticates, so before
 * its `sim_reset` or any command touches the served robot (docs/bridge.md, "Before the client
 * connects"; hardware/PROTOCOL.md sections 4, 6 and 7):
 *
 * - a served robot in `safe-stop` or `e-stopped` is refused, BRIDGE_ROBOT_STOPPED: leaving a latched
 *   stop is an operator's reset, and the client's `sim_reset` must not clear it on the way in;
 * - a policy whose control period is more than half the server's command deadman
 *   (`hello.commandTimeoutS`) is refused, BRIDGE_RATE: the server would safe-stop the robot between
 *   two of its commands, right after the first armed it.
 *
 * Both are AxonErrors: one line naming the thing, exit 2, nothing sent but the handshake.
 */
import { AxonError } from '../core/errors.ts';
import { printable } from '../core/printable.ts';
import type { HelloMessage } from '../../hardware/bridge/index.ts';

/** The served robot's latched stop, named with its cause: BRIDGE_ROBOT_STOPPED (the same error after connect, should it stop meanwhile). */
export function robotStoppedError(url: string, state: string, cause?: string | null, reason?: string): AxonError {
  const why = cause ? ` (${printable(cause)}${reason ? `: ${printable(reason)}` : ''})` : '';
  return new AxonError('BRIDGE_ROBOT_STOPPED', url, `the served robot is ${state}${why}; this client neither resets nor arms it`, "an operator reset on the server first ('r' in axon bridge)");
}

/** Refuses a hello whose robot is in a latched stop. */
export function refuseStoppedRobot(hello: HelloMessage, url: string): void {
  if (hello.robotState === 'safe-stop' || hello.robotState === 'e-stopped') throw robotStoppedError(url, hello.robotState, hello.stateCause, hello.stateReason);
}

/**
 * Refuses a policy that cannot keep the server's deadman fed: its period (1 / control_hz) must be
 * at most half of hello.commandTimeoutS (the other half is for the loop's and the link's jitter).
 */
export function refuseSlowPolicy(hello: HelloMessage, url: string, policy: string, controlHz: number): void {
  const period = 1 / controlHz;
  const deadman = hello.commandTimeoutS;
  if (period <= deadman / 2) return;
  throw new AxonError(
    'BRIDGE_RATE',
    `${policy} control_hz ${controlHz}`,
    `the policy's control period ${+period.toFixed(6)} s is not shorter than half the served robot's command deadman, ${deadman} s (hello.commandTimeoutS of ${url}): the server would safe-stop the robot between two commands`,
    `control_hz of at least ${+(2 / deadman).toFixed(6)}, or a server started with --command-timeout of at least ${+(2 * period).toFixed(6)} s`,
  );
}
