import type { JointCommand, Observation } from '../core/robot.ts';
import type { SafetyEvent, SafetyState } from '../safety/types.ts';
import type { WorldModelTickInfo } from '../worldmodel/types.ts';

/** Names of the timed stages, in pipeline order (keys of the JSON summary's `stage_us`). */
export const stageNames = ['observe', 'build', 'policy', 'world_model', 'map', 'safety', 'command'] as const;
export type StageName = (typeof stageNames)[number];

/**
 * Everything one tick saw and did. The loop reuses one record and its arrays for the whole run:
 * a subscriber to `records$` must copy what it keeps beyond its callback.
 */
export interface TickRecord {
  seq: number;
  /** Tick time on the clock's base (s). */
  time: number;
  /** How late the tick fired (s). */
  lateness: number;
  observation: Observation;
  /** The model input built from the observation. */
  input: Float32Array;
  /** The policy's raw action. */
  policyAction: Float32Array;
  /** The raw action after the world-model hook. */
  action: Float32Array;
  /** Command before safety (robot joint order). */
  proposed: JointCommand;
  /** Command after safety: what was sent to the robot. */
  sent: JointCommand;
  safetyState: SafetyState;
  /** Safety events raised on this tick (usually none). */
  events: readonly SafetyEvent[];
  /** Task return so far and whether the task ended the episode on this tick. */
  episodeReturn: number;
  terminated: boolean;
  /** Age of the policy's action in ticks (0 = computed from this tick's input; async policies lag). */
  actionAge: number;
  /** Duration of the policy's last inference (s); for inline policies the policy stage time. */
  inferenceS: number;
  /**
   * The world-model hook's values this tick (surprise, plan cost, veto), when the hook reports
   * them: a live view of the hook's own object, rewritten every tick.
   */
  worldModel?: WorldModelTickInfo;
  /** Duration of each stage this tick (s), in `stageNames` order. */
  readonly stageS: Float64Array;
}
