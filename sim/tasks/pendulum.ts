import type { Observation } from '../../src/core/robot.ts';
import type { Task } from '../../src/core/task.ts';
import { wrapAngle } from '../physics/frames.ts';
import { HoldWindow } from './HoldWindow.ts';

export interface PendulumTaskOptions {
  /** Episode length (s); default 10. */
  readonly episodeS?: number;
  /** Index of the pendulum joint; default 0. */
  readonly jointIndex?: number;
  /** Upright band (rad) for success; default 0.2. */
  readonly holdAngle?: number;
  /** Fraction of episodeS the pole must end inside the band; default 0.2 (the last 20%). */
  readonly holdFraction?: number;
}

/**
 * Swing up and hold upright (angle 0 = upright, wrapped to (-π, π]).
 *
 * Reward per tick: −(angle² + 0.1·velocity²)·dt (angle rad, velocity rad/s), so totalReward is a
 * time integral independent of the control rate; never terminates. Success: the pole has stayed
 * within |angle| < holdAngle for the last holdFraction·episodeS seconds (2 s of a 10 s episode)
 * up to now, i.e. over the last 20% of a full episode.
 */
export class PendulumTask implements Task {
  readonly name = 'pendulum-swingup';
  readonly episodeS: number;
  private readonly jointIndex: number;
  private readonly holdAngle: number;
  private readonly window: HoldWindow;
  private reward = 0;
  private t0 = 0;

  constructor(options: PendulumTaskOptions = {}) {
    this.episodeS = options.episodeS ?? 10;
    this.jointIndex = options.jointIndex ?? 0;
    this.holdAngle = options.holdAngle ?? 0.2;
    this.window = new HoldWindow((options.holdFraction ?? 0.2) * this.episodeS);
  }

  reset(obs: Observation): void {
    this.reward = 0;
    this.t0 = obs.time;
    this.window.reset();
  }

  step(obs: Observation, dt: number): boolean {
    const angle = wrapAngle(obs.jointPosition[this.jointIndex]);
    const vel = obs.jointVelocity[this.jointIndex];
    this.reward -= (angle * angle + 0.1 * vel * vel) * dt;
    this.window.update(obs.time - this.t0, Math.abs(angle) < this.holdAngle);
    return false;
  }

  get totalReward(): number {
    return this.reward;
  }

  get success(): boolean {
    return this.window.held;
  }
}
