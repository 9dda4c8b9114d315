/**
 * The exit codes of every axon command, in one place: 0 a run that did what it was asked (an eval
 * below its bar is still 0: its figures say so, and an episode the supervisor stopped counts as
 * failed there), and otherwise one of these. When several apply, the first of: usage (2), a robot
 * fault (1), an invalid simulation (3), a safe stop (5), dropped frames (4).
 */
import type { LiveEndedBy } from '../session/index.ts';

/** A run that failed: sim2sim's engines disagreeing, a command's own failure. */
export const EXIT_FAILED = 1;
/** Bad input: a flag, a file, a manifest field, a URDF element (one line naming it). */
export const EXIT_USAGE = 2;
/** A run the state watchdog ended (the simulation blew up): sim, and the simulation a bridge served. */
export const EXIT_INVALID_RUN = 3;
/** A run whose recording (MCAP or dataset) dropped frames, unless --allow-drops. */
export const EXIT_DROPPED = 4;
/**
 * A run that ended held in a safe stop the supervisor latched by itself (a stale or bad
 * observation, a policy or world-model deadline, an overspeed, bad commands, a world-model stop):
 * `ended_by: "safe_stop"`, the reason in `safety.stop`. Not a robot fault (1): the robot is fine
 * and held; the policy, the models or the link did not keep up. An operator's stop (e-stop,
 * disarm, Ctrl-C) is not one, and the state at the end decides: re-armed and run to the end is 0.
 * axon run, axon sim (local and over the bridge); docs/safety.md, "How a run ends".
 */
export const EXIT_SAFE_STOPPED = 5;

/**
 * A run held at its end in a stop its supervisor latched by itself: one line naming it, and
 * EXIT_SAFE_STOPPED (after the summary was printed; a robot fault or an invalid run has already
 * failed it with its own code).
 */
export function failIfSafeStopped(safety: { readonly ownStop?: { readonly kind: string; readonly reason: string; readonly time: number } | undefined }): void {
  const c = safety.ownStop;
  if (c === undefined) return;
  process.stderr.write(`axon: the run ended held in a safe stop the supervisor latched at ${c.time.toFixed(3)} s (${c.kind}): ${c.reason}\n`);
  process.exitCode = EXIT_SAFE_STOPPED;
}

/**
 * The end of a live run (`axon run`, `axon teleop`, `axon sim` over the bridge), after its summary
 * was printed, by how it ended (src/session/liveEndedBy.ts, the rule they share): 'fault' throws
 * `faultMessage(faults)` (exit EXIT_FAILED; `faults`: the robots' fault reasons), 'safe_stop' is
 * EXIT_SAFE_STOPPED with one line naming the stop, 'signal' and 'duration' leave the exit code as
 * it is. A fault the robot's own event log holds fails the run also when none reached the loop.
 */
export function failLiveRun(r: { readonly endedBy: LiveEndedBy; readonly safety: Parameters<typeof failIfSafeStopped>[0] }, faults: readonly string[], faultMessage: (faults: string) => string): void {
  if (r.endedBy === 'fault' || faults.length > 0) throw new Error(faultMessage(faults.join('; ')));
  if (r.endedBy === 'safe_stop') failIfSafeStopped(r.safety);
}
