import type { Observation } from '../../src/core/robot.ts';
import type { Task } from '../../src/core/task.ts';
import { HoldWindow } from './HoldWindow.ts';

export interface ReachTaskOptions {
  /** Episode length (s); default 5. */
  readonly episodeS?: number;
  /** Success radius (m); default 0.02. */
  readonly tolerance?: number;
  /** How long the end effector must have stayed inside the radius at the end (s); default 1. */
  readonly holdS?: number;
  /** Observation.extras names of the end-effector position and the target (m, world frame). */
  readonly eeKey?: string;
  readonly targetKey?: string;
}

/**
 * Reach: bring the end effector to a target and keep it there.
 *
 * Reads `extras.ee_pos` (the tool frame's world position, written by the SimRobot each observe)
 * and `extras.target_pos` (drawn per episode from the seed, sim/robots/arm.ts). Reward per tick:
 * −distance·dt (m·s), a time integral independent of the control rate; never terminates.
 * Success: the distance has stayed below `tolerance` (2 cm) for the last `holdS` (1 s) up to now.
 * Missing or non-finite positions count as outside.
 */
export class ReachTask implements Task {
  readonly name = 'arm-reach';
  readonly episodeS: number;
  readonly tolerance: number;
  private readonly window: HoldWindow;
  private readonly eeKey: string;
  private readonly targetKey: string;
  private reward = 0;
  private t0 = 0;
  /** End-effector distance to the target at the last step (m; NaN before any). */
  distance = Number.NaN;

  constructor(options: ReachTaskOptions = {}) {
    this.episodeS = options.episodeS ?? 5;
    this.tolerance = options.tolerance ?? 0.02;
    this.window = new HoldWindow(options.holdS ?? 1);
    this.eeKey = options.eeKey ?? 'ee_pos';
    this.targetKey = options.targetKey ?? 'target_pos';
  }

  reset(obs: Observation): void {
    this.reward = 0;
    this.t0 = obs.time;
    this.window.reset();
    this.distance = Number.NaN;
  }

  step(obs: Observation, dt: number): boolean {
    const e = obs.extras[this.eeKey];
    const t = obs.extras[this.targetKey];
    const d = e === undefined || t === undefined ? Number.NaN : Math.hypot(e[0] - t[0], e[1] - t[1], e[2] - t[2]);
    this.distance = d;
    this.reward -= (Number.isFinite(d) ? d : 1) * dt;
    this.window.update(obs.time - this.t0, d < this.tolerance);
    return false;
  }

  get totalReward(): number {
    return this.reward;
  }

  /** Seconds the tool must stay within tolerance at the end of the episode. */
  get holdS(): number {
    return this.window.holdS;
  }

  get success(): boolean {
    return this.window.held;
  }
}
