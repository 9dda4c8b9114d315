/**
 * What a session is built from, as plain data: serialisable, so that an eval worker thread, a
 * queue worker on another machine or a shard rebuilds exactly the same session.
 */
import type { PlannerOptions } from '../worldmodel/Planner.ts';
import type { ShieldOptions } from '../worldmodel/ShieldHook.ts';
import type { MonitorOptions } from '../worldmodel/MonitorHook.ts';

export type WmMode = 'plan' | 'shield' | 'monitor';

/** `--world-model DIR --wm-mode ...` and the planner / shield / monitor flags. */
export interface WorldModelOptions {
  readonly dir: string;
  readonly mode: WmMode;
  readonly planner?: 'mppi' | 'cem';
  /** Planner overrides (K, H, iterations, noise, temperature, elite fraction). */
  readonly plan?: Partial<Pick<PlannerOptions, 'samples' | 'horizon' | 'iterations' | 'noiseStd' | 'temperature' | 'eliteFraction'>>;
  readonly shield?: Partial<Pick<ShieldOptions, 'horizon' | 'samples' | 'noiseStd'>> & { readonly continuation?: 'policy' | 'hold' };
  readonly monitor?: Partial<Pick<MonitorOptions, 'threshold' | 'ticks' | 'stopTicks' | 'degradeScale'>>;
}

/** Fault injection at a sim time: pole mass × factor, or the motors' strength × factor (simulation only). */
export interface FaultOptions {
  readonly kind: 'mass' | 'motor';
  readonly factor: number;
  /** s of sim time after the episode start */
  readonly atS: number;
  /** Link whose mass changes (mass faults); default 'pole'. */
  readonly link?: string;
}

/** What any session is built with, whatever the robot: policy, world model, noise, command. */
export interface SessionOptions {
  /** Policy folder; optional only with a world model in plan mode (planning alone), or a hold-pose folder given by the caller. */
  readonly policy?: string;
  /** Replace the model's output by zeros (the do-nothing baseline). */
  readonly zeroPolicy?: boolean;
  readonly worldModel?: WorldModelOptions;
  /** Gaussian noise (std, raw action units) added to the policy's output: a degraded policy. */
  readonly actionNoise?: number;
  /** Load the world model but keep the loop's hook pass-through (baselines: e.g. random actions instead of planning). */
  readonly hookOff?: boolean;
  /**
   * Every onnxruntime call of the run (policy, world model, shield continuation) on a worker thread
   * that the loop waits for with the stage's budget (src/policy/guardedSession.ts): a call that never
   * returns is a deadline miss (hold, then safe-stop) instead of a frozen loop. `axon run --guard-onnx`.
   */
  readonly guardOnnx?: boolean;
  /** Run the policy in a worker thread (the loop never waits); a request older than this is a stall (s). */
  readonly asyncStallS?: number;
  /** Initial velocity command (vx m/s, vy m/s, wz rad/s; `--command`), clamped to the manifest's command_ranges. */
  readonly velocityCommand?: readonly [number, number, number];
  /** false: no policy warm-up shortly before each tick of a paced clock (Policy.prewarm). Default true. */
  readonly prewarm?: boolean;
  /**
   * `--kp`/`--kd` on a user's robot (`sim --urdf | --mjcf`): one position gain (N·m/rad | N/m) /
   * damping gain (N·m·s/rad | N·s/m) for every action joint, over the manifest's `pd` in each
   * command, as the flags' help says (the robot's own gains carry them for the other joints).
   */
  readonly gains?: { readonly kp?: number; readonly kd?: number };
}

/** A session on a shipped simulated robot, by name (what eval specs carry). */
export interface SimSessionOptions extends SessionOptions {
  readonly robot: string;
  /** Physics rate (Hz); the policy rate comes from the manifest. */
  readonly physicsHz: number;
  readonly fault?: FaultOptions;
  /** Physics engine: cannon-es (default) or MuJoCo's WebAssembly build (`--physics mujoco`, loaded only then). */
  readonly physics?: 'cannon' | 'mujoco';
}
