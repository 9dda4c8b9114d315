import type { Observation } from '../../src/core/robot.ts';
import type { Task } from '../../src/core/task.ts';

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
  readonly holdS: number;
  private readonly eeKey: string;
  private readonly targetKey: string;
  private reward = 0;
  private t0 = 0;
  private elapsed = 0;
  private lastOutside = 0;
  private ticks = 0;
  /** End-effector distance to the target at the last step (m; NaN before any). */
  distance = Number.NaN;

  constructor(options: ReachTaskOptions = {}) {
    this.episodeS = options.episodeS ?? 5;
    this.tolerance = options.tolerance ?? 0.02;
    this.holdS = options.holdS ?? 1;
    this.eeKey = options.eeKey ?? 'ee_pos';
    this.targetKey = options.targetKey ?? 'target_pos';
  }

  reset(obs: Observation): void {
    this.reward = 0;
    this.t0 = obs.time;
    this.elapsed = 0;
    this.lastOutside = 0;
    this.ticks = 0;
    this.distance = Number.NaN;
  }

  step(obs: Observation, dt: number): boolean {
    const e = obs.extras[this.eeKey];
    const t = obs.extras[this.targetKey];
    const d = e === undefined || t === undefined ? Number.NaN : Math.hypot(e[0] - t[0], e[1] - t[1], e[2] - t[2]);
    this.distance = d;
    this.ticks++;
    this.elapsed = obs.time - this.t0;
    this.reward -= (Number.isFinite(d) ? d : 1) * dt;
    if (!(d < this.tolerance)) this.lastOutside = this.elapsed;
    return false;
  }

  get totalReward(): number {
    return this.reward;
  }

  get success(): boolean {
    return this.ticks > 0 && this.elapsed - this.lastOutside >= this.holdS - 1e-9;
  }
}
