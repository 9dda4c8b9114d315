/**
 * What happens on a bridge server (BridgeServer.events$), for the CLI's log (src/cli/commands/bridge.ts)
 * and for tests: connections, roles, state changes with their cause, refused commands, pacing.
 */
import type { Role, RobotState, StateCause } from './protocol.ts';

/** What happens on the server, for the CLI's log and for tests. Times are server steady time (s). */
export type BridgeServerEvent =
  | { readonly kind: 'connect'; readonly client: number; readonly remote: string; readonly time: number }
  | { readonly kind: 'disconnect'; readonly client: number; readonly code: number; readonly reason: string; readonly time: number }
  | { readonly kind: 'role'; readonly client: number; readonly role: Role | 'observer-unauthenticated'; readonly time: number }
  | {
      readonly kind: 'state';
      readonly robotState: RobotState;
      readonly cause: StateCause;
      readonly reason: string;
      readonly time: number;
      /** Loop time (s) of the step from which the new state applies to the robot: k·dt on the server clock. */
      readonly loopTime: number;
      /** Arrival time of the last accepted command (s), NaN when none. */
      readonly lastCommandAt: number;
      readonly client?: number;
    }
  | { readonly kind: 'refused'; readonly client: number; readonly code: number; readonly name: string; readonly text: string; readonly time: number }
  /**
   * `count` refusals of that code to that client while the robot was `robotState`, not logged one
   * by one: sent at the next state change, or when the client disconnects. `more`: one refusal of
   * that stop was logged before them (a 'refused' event); false when the client's error budget
   * was spent each time, so none was. Every refusal still gets its error reply (rate-limited).
   */
  | { readonly kind: 'refusals'; readonly client: number; readonly code: number; readonly name: string; readonly count: number; readonly more: boolean; readonly robotState: RobotState; readonly time: number }
  /**
   * Upgrades refused (403 an Origin not allowed, 503 a bound on new connections), at most one
   * event a second: `count` refusals since the last one, this one (`remote`, `status`, `why`) the
   * latest. Sent again when the server closes if some were not told yet.
   */
  | { readonly kind: 'upgrades_refused'; readonly status: number; readonly remote: string; readonly why: string; readonly count: number; readonly time: number }
  /** The loop's timing thread was lost: the loop goes on, paced by a timer. */
  | { readonly kind: 'pacing'; readonly reason: string; readonly time: number };
