import { Quaternion, Vec3 } from 'cannon-es';
import type { Rng } from '../../src/core/rng.ts';

const _axis = new Vec3();
const _dq = new Quaternion();
const _q = new Quaternion();

/**
 * Measurement noise (Gaussian, standard deviations) and constant biases, applied in observe().
 * Units: rad, rad/s, m/s². Drawn from a generator seeded at reset (reproducible per episode).
 */
export interface SimSensorNoise {
  readonly jointPosition?: number;
  readonly jointVelocity?: number;
  readonly imuAngularVelocity?: number;
  readonly imuLinearAcceleration?: number;
  /** Small-angle orientation noise, per axis (rad). */
  readonly imuOrientation?: number;
  /** Constant gyro and accelerometer biases, IMU frame (rad/s, m/s²). */
  readonly gyroBias?: readonly [number, number, number];
  readonly accelBias?: readonly [number, number, number];
}

/** Adds Gaussian noise of standard deviation `std` per axis, then the constant `bias`, to v (in place). */
export function addNoise(v: Vec3, std: number, bias: readonly [number, number, number] | undefined, rng: Rng): void {
  if (std > 0) {
    v.x += std * rng.normal();
    v.y += std * rng.normal();
    v.z += std * rng.normal();
  }
  if (bias !== undefined) {
    v.x += bias[0];
    v.y += bias[1];
    v.z += bias[2];
  }
}

/**
 * Orientation noise, in place: q ← q · exp(δ/2), δ a small rotation in q's own frame with each
 * component Gaussian of standard deviation `std` (rad). Nothing drawn when std is 0.
 */
export function perturbOrientation(q: Quaternion, std: number, rng: Rng): void {
  if (!(std > 0)) return;
  _axis.set(std * rng.normal(), std * rng.normal(), std * rng.normal());
  const angle = _axis.length();
  if (!(angle > 0)) return;
  _axis.scale(1 / angle, _axis);
  _dq.setFromAxisAngle(_axis, angle);
  q.mult(_dq, _q);
  q.copy(_q);
}
