import type { Rng } from '../../src/core/rng.ts';
import type { RandomizableRobot } from './RandomizableRobot.ts';
import type { SimJointDefaults, SimRobotOptions, SimSensorNoise } from '../SimRobot.ts';

/**
 * The humanoid (sim/robots/humanoid.urdf): 29.9 kg, 1.31 m, 16 joints (12 legs on QDD-class
 * actuators, 4 arms on Dynamixel XH540-class servos). Joint order (depth-first from the pelvis;
 * the arms hang from the torso, which is fixed to the pelvis and comes first in the file):
 *   0-1   left  shoulder_pitch, elbow; 2-3 right shoulder_pitch, elbow
 *   4-9   left  hip_yaw, hip_roll, hip_pitch, knee, ankle_pitch, ankle_roll
 *   10-15 right hip_yaw, hip_roll, hip_pitch, knee, ankle_pitch, ankle_roll
 * Default pose: knees bent 0.6 rad, hips and ankles −0.3 rad (feet flat, ankles under the hips),
 * elbows −0.3 rad.
 */
export const HUMANOID_LEG_JOINTS = ['left', 'right'].flatMap((s) =>
  ['hip_yaw', 'hip_roll', 'hip_pitch', 'knee', 'ankle_pitch', 'ankle_roll'].map((j) => `${s}_${j}`),
);
export const HUMANOID_ARM_JOINTS = ['left', 'right'].flatMap((s) => ['shoulder_pitch', 'elbow'].map((j) => `${s}_${j}`));

/** Leg PD gains (N·m/rad, N·m·s/rad): kp 250 / kd 5 hold 30 kg without sag and stay stable (docs/simulation.md). */
export const HUMANOID_LEG_KP = 250;
export const HUMANOID_LEG_KD = 5;
export const HUMANOID_ARM_KP = 40;
export const HUMANOID_ARM_KD = 1;

const DEFAULT_POSE: Readonly<Record<string, number>> = { hip_pitch: -0.3, knee: 0.6, ankle_pitch: -0.3, elbow: -0.3 };

export const humanoidJointDefaults: Readonly<Record<string, SimJointDefaults>> = Object.fromEntries([
  ...HUMANOID_LEG_JOINTS.map((n) => [n, { defaultPosition: DEFAULT_POSE[n.replace(/^(left|right)_/, '')] ?? 0, kp: HUMANOID_LEG_KP, kd: HUMANOID_LEG_KD }]),
  ...HUMANOID_ARM_JOINTS.map((n) => [n, { defaultPosition: DEFAULT_POSE[n.replace(/^(left|right)_/, '')] ?? 0, kp: HUMANOID_ARM_KP, kd: HUMANOID_ARM_KD }]),
]);

/** IMU noise of a MEMS IMU class (BMI088-like gyro / accelerometer noise at 500 Hz); no bias unless randomised. */
export const humanoidSensorNoise: SimSensorNoise = {
  jointPosition: 0.001, // rad (14-bit absolute encoder after the gearbox ≈ 0.0004 rad; some margin)
  jointVelocity: 0.02, // rad/s
  imuAngularVelocity: 0.005, // rad/s
  imuLinearAcceleration: 0.05, // m/s²
  imuOrientation: 0.002, // rad
};

export const humanoidOptions: Partial<SimRobotOptions> = {
  imuLink: 'pelvis',
  contactSensors: ['left_foot', 'right_foot'],
  spawnOnGround: true,
  frictionModel: 'coulomb',
  friction: 0.8,
  sensorNoise: humanoidSensorNoise,
};

/**
 * Domain randomisation of the humanoid, one declared object (`--randomize`). Ranges [lo, hi] are
 * uniform draws; every draw comes from the episode's seed, so an episode is reproducible.
 */
export interface HumanoidRandomization {
  /** Mass scale of each body (link and the links fixed to it), drawn per body. */
  readonly massScale: readonly [number, number];
  /** Ground friction coefficient. */
  readonly friction: readonly [number, number];
  /** Motor strength, drawn per joint: kp, kd and effort-limit multipliers. */
  readonly kpScale: readonly [number, number];
  readonly kdScale: readonly [number, number];
  readonly effortScale: readonly [number, number];
  /** Sensor noise standard deviations for the episode (see SimSensorNoise), plus biases drawn per axis in ±. */
  readonly sensorNoise: SimSensorNoise;
  readonly gyroBias: number; // rad/s, ±
  readonly accelBias: number; // m/s², ±
  /** Action latency (physics steps at the robot's physicsDt), an integer drawn in [lo, hi]. */
  readonly latencySteps: readonly [number, number];
  /** Pushes on the torso: force (N) range, duration (s), gap between pushes (s) range, first push after (s). */
  readonly pushForce: readonly [number, number];
  readonly pushDurationS: number;
  readonly pushInterval: readonly [number, number];
  readonly pushFirstAfterS: number;
  /** Initial joint offset from the default pose (rad), ± per joint. */
  readonly initialJointOffset: number;
}

export const humanoidRandomization: HumanoidRandomization = {
  massScale: [0.9, 1.1],
  friction: [0.5, 1.0],
  kpScale: [0.9, 1.1],
  kdScale: [0.9, 1.1],
  effortScale: [0.85, 1.0],
  sensorNoise: { jointPosition: 0.002, jointVelocity: 0.05, imuAngularVelocity: 0.01, imuLinearAcceleration: 0.1, imuOrientation: 0.005 },
  gyroBias: 0.01,
  accelBias: 0.1,
  latencySteps: [0, 5],
  pushForce: [30, 60],
  pushDurationS: 0.1,
  pushInterval: [2, 4],
  pushFirstAfterS: 1,
  initialJointOffset: 0.02,
};

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** Draws one humanoid episode from `rng` and configures the robot for it; returns the values drawn, by name. */
export function randomizeHumanoid(robot: RandomizableRobot, rng: Rng, override: Partial<HumanoidRandomization> = {}): Record<string, number> {
  const c = { ...humanoidRandomization, ...override };
  const drawn: Record<string, number> = {};
  const u = (r: readonly [number, number]) => rng.uniform(r[0], r[1]);
  for (const link of robot.bodyLinkNames()) {
    const s = u(c.massScale);
    robot.setBodyMassScale(link, s);
    drawn[`mass_scale.${link}`] = r4(s);
  }
  const mu = u(c.friction);
  robot.setFriction(mu);
  drawn.friction = r4(mu);
  const joints = robot.spec.joints;
  const kp = joints.map(() => u(c.kpScale));
  const kd = joints.map(() => u(c.kdScale));
  const eff = joints.map(() => u(c.effortScale));
  robot.setActuatorScale(kp, kd, eff);
  joints.forEach((j, i) => {
    drawn[`kp_scale.${j.name}`] = r4(kp[i]);
    drawn[`kd_scale.${j.name}`] = r4(kd[i]);
    drawn[`effort_scale.${j.name}`] = r4(eff[i]);
  });
  const gb: [number, number, number] = [0, 0, 0].map(() => rng.uniform(-c.gyroBias, c.gyroBias)) as [number, number, number];
  const ab: [number, number, number] = [0, 0, 0].map(() => rng.uniform(-c.accelBias, c.accelBias)) as [number, number, number];
  const noiseSeed = Math.floor(rng.next() * 0x100000000);
  robot.setSensorNoise({ ...c.sensorNoise, gyroBias: gb, accelBias: ab }, noiseSeed);
  gb.forEach((v, i) => (drawn[`gyro_bias.${'xyz'[i]}`] = r4(v)));
  ab.forEach((v, i) => (drawn[`accel_bias.${'xyz'[i]}`] = r4(v)));
  const latency = c.latencySteps[0] + rng.int(c.latencySteps[1] - c.latencySteps[0] + 1);
  robot.setActionLatency(latency);
  drawn.latency_steps = latency;
  drawn.latency_s = r4(latency * robot.physicsDt);
  const pushSeed = Math.floor(rng.next() * 0x100000000);
  robot.setPushes({
    link: 'torso',
    forceMin: c.pushForce[0],
    forceMax: c.pushForce[1],
    durationS: c.pushDurationS,
    intervalMin: c.pushInterval[0],
    intervalMax: c.pushInterval[1],
    firstAfterS: c.pushFirstAfterS,
    seed: pushSeed,
  });
  drawn.push_force_min = c.pushForce[0];
  drawn.push_force_max = c.pushForce[1];
  drawn.push_duration_s = c.pushDurationS;
  drawn.push_interval_min = c.pushInterval[0];
  drawn.push_interval_max = c.pushInterval[1];
  drawn.push_seed = pushSeed;
  const q = robot.getInitialPositions();
  for (let i = 0; i < q.length; i++) {
    const off = rng.uniform(-c.initialJointOffset, c.initialJointOffset);
    q[i] = Math.min(joints[i].upper, Math.max(joints[i].lower, q[i] + off));
    drawn[`initial_offset.${joints[i].name}`] = r4(off);
  }
  robot.setEpisodeInitialState(q);
  return drawn;
}
