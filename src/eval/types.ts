import type { FaultOptions, SimSessionOptions } from '../session/types.ts';

/**
 * Everything that decides an eval's outcome, and nothing else: serialisable, so that a worker
 * thread, a queue worker on another machine or a shard rebuilds exactly the same episodes.
 * Episode k's result is a pure function of (spec, k).
 */
export interface EvalSpec {
  readonly session: SimSessionOptions;
  readonly randomize: boolean;
  /** Episode length (s); default the task's. */
  readonly durationS?: number;
  readonly seed: number;
  readonly episodes: number;
}

/** One episode's result, keyed by its index so that retries and shards never count twice. */
export interface EpisodeOutcome {
  readonly index: number;
  readonly seed: number;
  readonly success: boolean;
  readonly return: number;
  readonly steps: number;
  /** Safety events by kind (only kinds that fired). */
  readonly events: Readonly<Record<string, number>>;
}

export interface EvalSummary {
  command: 'eval';
  robot: string;
  policy: string;
  episodes: number;
  success_rate: number;
  /** 1 − success_rate: the share of episodes that failed. */
  failure_rate: number;
  mean_return: number;
  mean_steps: number;
  seed: number;
  randomize: boolean;
  safety_events: Record<string, number>;
  /** The engine, when it is not the default cannon-es (`--physics mujoco`). */
  physics?: 'mujoco';
  /** The perturbations and world model the episodes ran with, in every mode (src/eval/episodes.ts describeSpec). */
  action_noise?: number;
  fault?: FaultOptions;
  world_model?: SpecWorldModel;
}

/**
 * The world model as every mode names it; a local eval adds its timings and planner or shield
 * settings. Shield vetoes come from the episodes' `shield_veto` events, so they add up the same
 * however the episodes were spread.
 */
export interface SpecWorldModel {
  model: string;
  mode: string;
  shield?: { vetoes: number; episodes_with_veto: number };
}
