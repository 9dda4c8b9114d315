import type { Observation } from '../../src/core/robot.ts';
import type { Task } from '../../src/core/task.ts';

/**
 * The task of a robot that has none (a user's URDF in `axon sim --urdf`): run for episodeS,
 * reward 0, never terminates; success while every joint position and velocity has stayed finite
 * (the simulation did not blow up).
 */
export class FreeRunTask implements Task {
  readonly name = 'free-run';
  readonly episodeS: number;
  private ticks = 0;
  private bad = false;

  constructor(options: { readonly episodeS?: number } = {}) {
    this.episodeS = options.episodeS ?? 10;
  }

  reset(_obs: Observation): void {
    this.ticks = 0;
    this.bad = false;
  }

  step(obs: Observation, _dt: number): boolean {
    this.ticks++;
    for (let i = 0; i < obs.jointPosition.length; i++) {
      if (!(Math.abs(obs.jointPosition[i]) < 1e10 && Math.abs(obs.jointVelocity[i]) < 1e10)) this.bad = true;
    }
    return false;
  }

  get totalReward(): number {
    return 0;
  }

  get success(): boolean {
    return this.ticks > 0 && !this.bad;
  }
}
