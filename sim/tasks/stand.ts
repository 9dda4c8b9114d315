import type { Observation } from '../../src/core/robot.ts';
import type { Task } from '../../src/core/task.ts';

/**
 * The default task of a floating-base robot that has none (a user's URDF): stand. It never ends
 * the episode; it watches the base (the simulator's privileged base state):
 * - fell: the base dropped below `fallFraction` × its start height and at least `minFallDrop`
 *   below it, or tilted more than `fallTiltRad` from its start orientation's up axis;
 * - base_height_min (m), base_displacement (x, y in the start frame, m), tilt_max (rad).
 * The height is that of the base body's centre of mass when the robot reports it, else of the
 * base link's origin: an exporter may put the origin anywhere (onshape-to-robot puts every link's
 * at the assembly origin, by the feet, below the ground once the robot stands on it), while the
 * centre of mass is inside the body.
 * Success = not fallen. step() allocates nothing.
 */
/**
 * The least drop (m) of the base that counts as a fall. A base whose centre of mass starts at
 * ground level (a base_link with its origin on its underside and an <inertial> without origin, as
 * exporters leave it) has half its start height at ~0: the micrometres of contact settling read as
 * a fall at t = 0.04 s. A standing robot's base moves far less than 5 cm: the vendor humanoid's
 * sags at most 16 mm over 20 s (docs/simulation.md, the armature table), Booster's T1 at most
 * 1.0 mm over 3 s (docs/urdf.md); a fall of a robot whose base starts lower than 10 cm is its
 * tilt, which is checked apart.
 */
export const MIN_FALL_DROP = 0.05;

export class StandTask implements Task {
  readonly name = 'stand';
  readonly episodeS: number;
  private readonly fallFraction: number;
  private readonly fallTiltRad: number;
  private readonly minFallDrop: number;
  /** Height (m) below which the base has fallen: min(fallFraction · start, start − minFallDrop). */
  private fallZ = 0;
  private startX = 0;
  private startY = 0;
  private startZ = 0;
  private startYaw = 0;
  private heightMin = Infinity;
  private tiltMax = 0;
  private dx = 0;
  private dy = 0;
  private fellAt = Number.NaN;
  private time = 0;

  constructor(options: { readonly episodeS?: number; readonly fallFraction?: number; readonly fallTiltRad?: number; readonly minFallDrop?: number } = {}) {
    this.episodeS = options.episodeS ?? 10;
    this.fallFraction = options.fallFraction ?? 0.5;
    this.fallTiltRad = options.fallTiltRad ?? 1.0;
    this.minFallDrop = options.minFallDrop ?? MIN_FALL_DROP;
  }

  reset(obs: Observation): void {
    const b = obs.base;
    this.startX = b ? b.position[0] : 0;
    this.startY = b ? b.position[1] : 0;
    this.startZ = b ? height(b) : 0;
    this.startYaw = b ? yaw(b.orientation) : 0;
    this.fallZ = Math.min(this.fallFraction * this.startZ, this.startZ - this.minFallDrop);
    this.heightMin = this.startZ;
    this.tiltMax = 0;
    this.dx = this.dy = 0;
    this.fellAt = Number.NaN;
    this.time = 0;
  }

  step(obs: Observation, dt: number): boolean {
    this.time += dt;
    const b = obs.base;
    if (b === undefined) return false;
    const z = height(b);
    if (z < this.heightMin) this.heightMin = z;
    const ex = b.position[0] - this.startX;
    const ey = b.position[1] - this.startY;
    const c = Math.cos(this.startYaw);
    const s = Math.sin(this.startYaw);
    this.dx = c * ex + s * ey;
    this.dy = -s * ex + c * ey;
    const t = tilt(b.orientation);
    if (t > this.tiltMax) this.tiltMax = t;
    if (Number.isNaN(this.fellAt) && (z < this.fallZ || t > this.fallTiltRad)) this.fellAt = this.time;
    return false;
  }

  get totalReward(): number {
    return 0;
  }

  get success(): boolean {
    return Number.isNaN(this.fellAt);
  }

  metrics(): Record<string, unknown> {
    const r = (x: number) => Math.round(x * 1e4) / 1e4;
    return {
      fell: !Number.isNaN(this.fellAt),
      ...(Number.isNaN(this.fellAt) ? {} : { fell_at_s: r(this.fellAt) }),
      base_height_start: r(this.startZ),
      base_height_min: r(this.heightMin),
      base_displacement: [r(this.dx), r(this.dy)],
      tilt_max_rad: r(this.tiltMax),
    };
  }
}

/** Height (m) of the base's centre of mass, or of its origin when the robot does not report the centre. */
function height(b: NonNullable<Observation['base']>): number {
  return b.comPosition !== undefined ? b.comPosition[2] : b.position[2];
}

/** Angle (rad) between the body's up axis and the world's up, from a quaternion x y z w. */
function tilt(q: ArrayLike<number>): number {
  const [x, y] = [q[0], q[1]];
  // z component of R·(0,0,1) = 1 − 2(x² + y²)
  const up = 1 - 2 * (x * x + y * y);
  return Math.acos(up > 1 ? 1 : up < -1 ? -1 : up);
}

function yaw(q: ArrayLike<number>): number {
  const [x, y, z, w] = [q[0], q[1], q[2], q[3]];
  return Math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z));
}
