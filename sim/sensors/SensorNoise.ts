import { Quaternion, Vec3 } from 'cannon-es';
import type { Observation } from '../../src/core/robot.ts';
import { Rng } from '../../src/core/rng.ts';

// Module scratch (style 3): nothing here allocates on the tick.
const _axis = new Vec3();
const _dq = new Quaternion();
const _q = new Quaternion();
const _toImu = new Quaternion();
const _r = new Vec3();

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

/**
 * The sensor noise in effect and its generator, seeded per episode (reproducible): the robot's
 * configured noise, replaced for an episode by set() (randomisation) until restore() at the next
 * reset(seed). Both engines' sensors (sim/sensors/SimSensors.ts, sim/mujoco/MujocoSensors.ts).
 */
export class EpisodeNoise {
  /** The noise in effect. */
  noise: SimSensorNoise;
  /** Its generator, restarted from the episode's seed by restart() (reset). */
  rng = new Rng(0);
  private seed = 0;

  constructor(private readonly configured: SimSensorNoise) {
    this.noise = configured;
  }

  /** This episode's noise; its generator is seeded by `seed` from the next restart(). */
  set(noise: SimSensorNoise, seed: number): void {
    this.noise = noise;
    this.seed = seed >>> 0;
  }

  /** A new episode (reset(seed)): the configured noise, its generator seeded from the episode's seed from the next restart(). */
  restore(seed: number): void {
    this.noise = this.configured;
    this.seed = (seed ^ 0x5bd1e995) >>> 0;
  }

  /** The generator starts again from the episode's seed (reset time). */
  restart(): void {
    this.rng = new Rng(this.seed);
  }
}

/**
 * Joint readings with noise into outPosition / outVelocity (robot joint order): position (rad | m)
 * and velocity (rad/s | m/s), each plus a normal draw × its standard deviation where that is > 0
 * (drawn joint by joint, position then velocity).
 */
export function noisyJointReadings(q: ArrayLike<number>, qd: ArrayLike<number>, noise: SimSensorNoise, rng: Rng, outPosition: Float32Array, outVelocity: Float32Array): void {
  const qStd = noise.jointPosition ?? 0;
  const qdStd = noise.jointVelocity ?? 0;
  for (let i = 0; i < q.length; i++) {
    outPosition[i] = qStd > 0 ? q[i] + qStd * rng.normal() : q[i];
    outVelocity[i] = qdStd > 0 ? qd[i] + qdStd * rng.normal() : qd[i];
  }
}

/**
 * An IMU's reading with noise into `out` (Observation.imu), from the IMU link's world orientation
 * (x y z w; perturbed in place), angular velocity (rad/s) and acceleration minus gravity (m/s²),
 * both in world axes: gyro and accelerometer in the IMU frame with noise and bias, then the
 * perturbed orientation (drawn in that order).
 */
export function noisyImuReading(orientation: Quaternion, angularVelocity: Vec3, acceleration: Vec3, noise: SimSensorNoise, rng: Rng, out: NonNullable<Observation['imu']>): void {
  orientation.conjugate(_toImu);
  _toImu.vmult(angularVelocity, _r);
  addNoise(_r, noise.imuAngularVelocity ?? 0, noise.gyroBias, rng);
  out.angularVelocity[0] = _r.x;
  out.angularVelocity[1] = _r.y;
  out.angularVelocity[2] = _r.z;
  _toImu.vmult(acceleration, _r);
  addNoise(_r, noise.imuLinearAcceleration ?? 0, noise.accelBias, rng);
  out.linearAcceleration[0] = _r.x;
  out.linearAcceleration[1] = _r.y;
  out.linearAcceleration[2] = _r.z;
  perturbOrientation(orientation, noise.imuOrientation ?? 0, rng);
  out.orientation[0] = orientation.x;
  out.orientation[1] = orientation.y;
  out.orientation[2] = orientation.z;
  out.orientation[3] = orientation.w;
}
