import { AxonError } from '../src/core/errors.ts';

/** Checks a per-joint vector: `n` finite values (robot joint order), else AxonError SIM_OPTION naming `where`. */
export function checkJointValues(values: ArrayLike<number>, n: number, where: string): void {
  if (values.length !== n) throw new AxonError('SIM_OPTION', where, `has ${values.length} values`, `${n}, one per joint`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) throw new AxonError('SIM_OPTION', `${where}[${i}]`, `is ${values[i]}`, 'a finite number');
  }
}

/**
 * A simulated robot's initial joint state: the configured positions (options, setInitialPositions)
 * that every new episode starts from, and this episode's positions and velocities (rad | m,
 * rad/s | m/s, robot joint order), which a randomiser may replace. Configure time only.
 */
export class InitialJointState {
  readonly configured: Float64Array;
  readonly positions: Float64Array;
  readonly velocities: Float64Array;

  constructor(defaults: ArrayLike<number>) {
    this.configured = Float64Array.from(defaults);
    this.positions = Float64Array.from(defaults);
    this.velocities = new Float64Array(defaults.length);
  }

  /** New configured positions, also this episode's. */
  configure(positions: ArrayLike<number>): void {
    checkJointValues(positions, this.positions.length, 'initialPositions');
    for (let i = 0; i < this.positions.length; i++) {
      this.configured[i] = positions[i];
      this.positions[i] = positions[i];
    }
  }

  /** This episode's positions and, when given, velocities. */
  setEpisode(positions: ArrayLike<number>, velocities?: ArrayLike<number>): void {
    checkJointValues(positions, this.positions.length, 'initialPositions');
    for (let i = 0; i < this.positions.length; i++) this.positions[i] = positions[i];
    if (velocities !== undefined) {
      checkJointValues(velocities, this.velocities.length, 'initialVelocities');
      for (let i = 0; i < this.velocities.length; i++) this.velocities[i] = velocities[i];
    }
  }

  /** A new episode (reset(seed)): the configured positions, at rest. */
  restore(): void {
    this.positions.set(this.configured);
    this.velocities.fill(0);
  }
}
