import type { Observation } from '../../src/core/robot.ts';
import type { Task } from '../../src/core/task.ts';

export interface BalanceTaskOptions {
  /** Episode length (s); default 20. */
  readonly episodeS?: number;
  /** Fallen when the pelvis is lower than this (m, world z); default 0.55 (standing: about 0.73). */
  readonly minBaseHeight?: number;
  /** Fallen when the pelvis z axis tilts more than this from vertical (rad); default 0.7 (40°). */
  readonly maxTilt?: number;
}

/**
 * Stand: keep the pelvis up and upright.
 *
 * Reward per tick (not scaled by dt): 1 for being alive + an uprightness term 1 − tilt/maxTilt
 * (1 when the pelvis is level, 0 at the limit), so a perfect 20 s episode at 50 Hz scores 2000.
 * Terminates (step returns true) when the pelvis height < minBaseHeight or tilt > maxTilt
 * (either is a fall; NaN is a fall too). Success: at least one tick scored and never fallen.
 *
 * Reads the privileged base pose (Observation.base, simulation) and falls back to the IMU
 * orientation for the tilt where a robot has no base pose (height is then not checked).
 */
export class BalanceTask implements Task {
  readonly name = 'humanoid-balance';
  readonly episodeS: number;
  readonly minBaseHeight: number;
  readonly maxTilt: number;
  private reward = 0;
  private ticks = 0;
  private terminated = false;
  /** Tilt (rad) and pelvis height (m) at the last step (NaN before any). */
  tilt = Number.NaN;
  height = Number.NaN;

  constructor(options: BalanceTaskOptions = {}) {
    this.episodeS = options.episodeS ?? 20;
    this.minBaseHeight = options.minBaseHeight ?? 0.55;
    this.maxTilt = options.maxTilt ?? 0.7;
  }

  reset(_obs: Observation): void {
    this.reward = 0;
    this.ticks = 0;
    this.terminated = false;
    this.tilt = Number.NaN;
    this.height = Number.NaN;
  }

  step(obs: Observation, _dt: number): boolean {
    if (this.terminated) return true;
    const q = obs.base?.orientation ?? obs.imu?.orientation;
    // z axis of the base in the world: its z component is 1 − 2(x² + y²).
    const upZ = q === undefined ? Number.NaN : 1 - 2 * (q[0] * q[0] + q[1] * q[1]);
    const tilt = Math.acos(Math.min(1, Math.max(-1, upZ)));
    const height = obs.base !== undefined ? obs.base.position[2] : Infinity;
    this.tilt = tilt;
    this.height = height;
    if (!(tilt <= this.maxTilt && height >= this.minBaseHeight)) {
      this.terminated = true;
      return true;
    }
    this.reward += 1 + (1 - tilt / this.maxTilt);
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
