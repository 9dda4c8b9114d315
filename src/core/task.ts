import type { Observation } from './robot.ts';

/**
 * What an episode is for: reward, termination and success, judged from observations.
 * A task lives beside the robot it is about (sim/tasks); the loop and eval only see this.
 * `step` runs on the tick: no allocation.
 */
export interface Task {
  readonly name: string;
  /** Episode length when nothing terminates it (s). */
  readonly episodeS: number;
  /** Called at episode start, after the robot is reset. */
  reset(obs: Observation): void;
  /** Scores one tick; returns true when the episode must end (a failure). */
  step(obs: Observation, dt: number): boolean;
  /** Sum of rewards since reset. */
  readonly totalReward: number;
  /** Whether the episode so far meets the task's success definition. */
  readonly success: boolean;
  /** Task-specific figures for the episode summary (e.g. a stand task's base height), off the tick. */
  metrics?(): Record<string, unknown> | undefined;
}
