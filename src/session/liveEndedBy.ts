/**
 * How a live run ended (`axon run` on a servo bus or a bridge, `axon teleop`), in the run
 * summary's words: one rule, called by runSessionLive and runTeleop, as episodeEndedBy
 * (src/session/episode.ts) is for a simulated episode. The exit code each gets is the CLI's
 * (src/cli/exitCodes.ts `failLiveRun`): fault 1, safe_stop 5, signal and duration 0.
 */

/** How a live run ended: its duration, an operator's signal, a robot fault, or held in the supervisor's own safe stop. */
export type LiveEndedBy = 'duration' | 'signal' | 'fault' | 'safe_stop';

/** What the rule reads at the end of a live run. */
export interface LiveEnd {
  /** A robot (the robot, teleop's leader or follower) reported a fault (health$.faults) at any time in the run. */
  readonly faulted: boolean;
  /** Ctrl-C / SIGTERM came (an operator's e-stop). */
  readonly signalled: boolean;
  /** The supervisor's own stop it is held in at the end (SafetySupervisor.ownStop; cleared by an operator's re-arm). */
  readonly ownStop: unknown;
}

/**
 * docs/safety.md "How a run ends": a robot fault first (also when a signal or the supervisor's own
 * stop came before or after it: the robot is not fine), then a stop the supervisor latched by
 * itself and still holds at the end (also under a later signal: the first stop is the one named),
 * then an operator's signal, else the run's duration (also a run the operator re-armed after a
 * stop and that then ran to its end).
 */
export function liveEndedBy(e: LiveEnd): LiveEndedBy {
  return e.faulted ? 'fault' : e.ownStop !== undefined ? 'safe_stop' : e.signalled ? 'signal' : 'duration';
}
