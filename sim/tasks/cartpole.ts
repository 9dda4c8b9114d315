import type { Observation } from '../../src/core/robot.ts';
import type { Task } from '../../src/core/task.ts';

export interface CartpoleTaskOptions {
  /** Episode length (s); default 10. */
  readonly episodeS?: number;
  /** Joint indices in the robot's order; default slider 0, hinge 1 (sim/robots/cartpole.urdf). */
  readonly cartIndex?: number;
  readonly poleIndex?: number;
  /** Failure thresholds: |pole angle| (rad, default 12° = 0.2094) and |cart x| (m, default 2.4). */
  readonly angleLimit?: number;
  readonly positionLimit?: number;
}

/**
 * Balance the pole (classic cart-pole, Barto et al. 1983 thresholds).
 *
 * Reward: 1 per tick that ends inside the thresholds (gym's CartPole), not scaled by dt: totalReward
 * is the number of ticks balanced (500 for 10 s at 50 Hz). Terminates (step returns
 * true) when |pole angle| > angleLimit or |cart x| > positionLimit. Success: at least one tick
 * scored and never terminated (the episode's length is the caller's: episodeS by default).
 */
export class CartpoleTask implements Task {
  readonly name = 'cartpole-balance';
  readonly episodeS: number;
  private readonly cartIndex: number;
  private readonly poleIndex: number;
  private readonly angleLimit: number;
  private readonly positionLimit: number;
  private reward = 0;
  private ticks = 0;
  private terminated = false;

  constructor(options: CartpoleTaskOptions = {}) {
    this.episodeS = options.episodeS ?? 10;
    this.cartIndex = options.cartIndex ?? 0;
    this.poleIndex = options.poleIndex ?? 1;
    this.angleLimit = options.angleLimit ?? (12 * Math.PI) / 180;
    this.positionLimit = options.positionLimit ?? 2.4;
  }

  reset(_obs: Observation): void {
    this.reward = 0;
    this.ticks = 0;
    this.terminated = false;
  }

  step(obs: Observation, _dt: number): boolean {
    if (this.terminated) return true;
    const x = obs.jointPosition[this.cartIndex];
    const angle = obs.jointPosition[this.poleIndex];
    // NaN fails the test below and terminates too.
    if (!(Math.abs(angle) <= this.angleLimit && Math.abs(x) <= this.positionLimit)) {
      this.terminated = true;
      return true;
    }
    this.reward += 1;
    this.ticks++;
    return false;
  }

  get totalReward(): number {
    return this.reward;
  }

  get success(): boolean {
    return this.ticks > 0 && !this.terminated;
  }
}
