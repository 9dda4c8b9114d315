import type { JointCommand, Observation } from '../core/robot.ts';
import type { RolloutTrace } from './RolloutTrace.ts';

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
  /** A call has run past its deadline and still not answered (a guarded session, src/policy/guardedSession.ts). */
  readonly stuck?: boolean;
}

/**
 * The loop stage between the policy and the action mapper. It sees the observation, the model
 * input and the policy's raw action and returns the raw action to send on: the same one
 * (pass-through, monitor), a planned one (plan) or a safer one (shield).
 */
export interface WorldModelHook {
  readonly mode: 'pass' | 'plan' | 'shield' | 'monitor';
  reset(): void;
  /** `seq` is the loop tick's sequence number (for events). */
  apply(obs: Observation, input: Float32Array, action: Float32Array, seq?: number): Float32Array | Promise<Float32Array>;
  /**
   * What the hook saw this tick, copied into the tick record by the loop: the normalised
   * one-step prediction error (monitor; NaN when there is none yet), the planned trajectory's
   * cost (plan), and whether the shield replaced the command (shield).
   */
  readonly tick?: WorldModelTickInfo;
  /**
   * Hooks that roll the world model forward (plan, shield) can keep each tick's rollouts for a
   * viewer: about `rows` of them (row 0 the predicted trajectory). Off until called.
   */
  enableTrace?(rows: number): RolloutTrace;
  /**
   * The command the robot was actually sent this tick, after the safety supervisor (soft start,
   * rate limit, clamps, a hold): called by the loop right after the robot's command(), every tick
   * (also the ticks the hook did not run). A monitor predicts from it, not from its proposal.
   * Must not allocate or throw.
   */
  commanded?(sent: JointCommand): void;
}

/**
 * Observation.extras key of a robot whose commands take effect some time after they are sent (a
 * bridged robot, hardware/bridge/BridgeRobot.ts): [0] = how long (s) before the observation's
 * sample the newest command sent had been in effect, NaN when it had not yet taken effect. A robot
 * that applies a command at once, before the step it is sent for, does not report it.
 */
export const COMMAND_AGE_KEY = 'command_age';

/** Per-tick world-model values, reused by the hook (the loop copies them into the TickRecord). */
export interface WorldModelTickInfo {
  /** Normalised one-step prediction error (RMS over state elements in units of error_std); NaN when none. */
  surprise: number;
  /**
   * Plan: cost of the plan as the tick began (its warm start rolled out from this tick's state).
   * Shield: the worst predicted constraint violation of the command sent (0 = predicted safe).
   * NaN when none.
   */
  cost: number;
  /** The shield replaced the proposed command this tick. */
  vetoed: boolean;
}

/**
 * A tick the hook did not run (the supervisor holds a stop, no fresh policy action): its values are
 * cleared, so the tick record (MCAP, viewer) shows no veto, surprise or cost the hook did not make
 * that tick; the hook's own `tick` object keeps the last run's otherwise. No allocation.
 */
export function clearWorldModelTick(t: WorldModelTickInfo | undefined): void {
  if (!t) return;
  t.surprise = Number.NaN;
  t.cost = Number.NaN;
  t.vetoed = false;
}

/**
 * Where a hook reports what it did: the safety supervisor implements it (reportWorldModel), so a
 * veto or a surprise is a safety event with its reason, and a persistent surprise can degrade and
 * safe-stop. Never throws.
 */
export interface WorldModelEventSink {
  /**
   * @param kind 'shield_veto' | 'surprise'
   * @param level 'info' keeps the state, 'degrade' moves running -> degraded for the tick, 'stop' latches safe-stop
   * @param value the offending figure (predicted violation, surprise)
   */
  reportWorldModel(kind: 'shield_veto' | 'surprise', level: 'info' | 'degrade' | 'stop', reason: string, now: number, seq: number, value?: number): void;
}

/** No world model: the policy's action goes on unchanged. */
export class PassThroughHook implements WorldModelHook {
  readonly mode = 'pass' as const;
  reset(): void {}
  apply(_obs: Observation, _input: Float32Array, action: Float32Array): Float32Array {
    return action;
  }
}
