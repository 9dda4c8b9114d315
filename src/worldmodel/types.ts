import type { Observation } from '../core/robot.ts';

/** One batched prediction: B next states (and optionally rewards and termination flags). */
export interface Prediction {
  /** B × stateSize, row-major. Reused between calls. */
  readonly nextStates: Float32Array;
  /** B rewards, when the model predicts them. */
  readonly reward?: Float32Array;
  /** B termination probabilities in [0, 1], when the model predicts them. */
  readonly done?: Float32Array;
}

/**
 * A learned dynamics model: next state from (state, action), B samples per call. States and
 * actions are flat row-major buffers of B × stateSize and B × actionSize.
 */
export interface WorldModel {
  readonly stateSize: number;
  readonly actionSize: number;
  /** Step the model predicts over (s). */
  readonly dt: number;
  predict(states: Float32Array, actions: Float32Array, batch: number): Promise<Prediction>;
}

/**
 * The loop stage between the policy and the action mapper. It sees the observation, the model
 * input and the policy's raw action and returns the raw action to send on: the same one
 * (pass-through, monitor), a planned one (plan) or a safer one (shield).
 */
export interface WorldModelHook {
  readonly mode: 'pass' | 'plan' | 'shield' | 'monitor';
  reset(): void;
  apply(obs: Observation, input: Float32Array, action: Float32Array): Float32Array | Promise<Float32Array>;
}

/** No world model: the policy's action goes on unchanged. */
export class PassThroughHook implements WorldModelHook {
  readonly mode = 'pass' as const;
  reset(): void {}
  apply(_obs: Observation, _input: Float32Array, action: Float32Array): Float32Array {
    return action;
  }
}
