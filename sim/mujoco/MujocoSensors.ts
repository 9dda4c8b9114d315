import { Quaternion, Vec3 } from 'cannon-es';
import type { MainModule, MjData, MjModel } from '@mujoco/mujoco';
import { createObservation, linkFrameKeys, type Observation, type RobotSpec } from '../../src/core/robot.ts';
import { EpisodeNoise, noisyImuReading, noisyJointReadings, type SimSensorNoise } from '../sensors/SensorNoise.ts';
import type { MujocoRobotOptions } from './MujocoRobotOptions.ts';
import type { MujocoViews } from './MujocoViews.ts';

// Module scratch (style 3): never allocate in read() or afterSteps().
const _v = new Vec3();
const _q = new Quaternion();

/** The bodies a MujocoRobot's sensors read (MuJoCo body ids, resolved by the robot from its options' link names). */
export interface MujocoSensorBodies {
  /** Observation.base: the root link's body. */
  readonly root: number;
  /** The IMU link's body; -1: no IMU. */
  readonly imu: number;
  /** Observation.contacts, in order: each counts the contact force on it and the bodies welded to it. */
  readonly contacts: readonly number[];
  /** Observation.extras: frame positions, by extras name. */
  readonly frames: readonly { readonly name: string; readonly body: number }[];
  /** Observation.extras: orientation and angular velocity of these bodies (linkFrameKeys(name)). */
  readonly imuFrames?: readonly { readonly name: string; readonly body: number }[];
}

/**
 * What a MujocoRobot reports in observe(), written into one reused Observation, as the cannon-es
 * side's (sim/sensors/SimSensors.ts): joint position/velocity (continuous joints wrapped to
 * (−π, π] by the robot) with sensor noise; effort = what the actuator applied over the last step; IMU at
 * the named link (orientation, gyro in the link frame, accelerometer = finite difference of the
 * link origin's velocity over the last physics step minus gravity); contacts: normal force =
 * world-z of the external (contact) force on the sensor link's welded bodies
 * (mj_rnePostConstraint); link frame positions (extras); base = the root link's pose and
 * velocity, and the centre of mass of the bodies welded to it. Noise is drawn from a generator
 * seeded per episode (reproducible).
 *
 * Real-time rules: read() and afterSteps() allocate nothing; the observation is allocated here.
 */
export class MujocoSensors {
  readonly obs: Observation;
  private readonly baseObs: NonNullable<Observation['base']>;
  /** Sensor noise in effect and its generator (sim/sensors/SensorNoise.ts). */
  private readonly noise: EpisodeNoise;
  private readonly frames: { readonly body: number; readonly out: Float32Array }[];
  private readonly linkFrames: { readonly body: number; readonly orientation: Float32Array; readonly angularVelocity: Float32Array }[];
  private readonly contactGroups: Int32Array[];
  /** Each body's tree root (model.body_rootid): where its cvel is taken. */
  private readonly bodyRoot: Int32Array;
  /** Bodies welded to the base body (no joint between them): its centre of mass is theirs. */
  private readonly baseGroup: Int32Array;
  /** The IMU link origin's velocity (world, m/s) before the last physics step, and its acceleration over it minus gravity (world, m/s²). */
  private readonly imuPrevVel = new Vec3();
  private readonly imuAccWorld = new Vec3();

  constructor(
    spec: RobotSpec,
    private readonly mj: MainModule,
    private readonly model: MjModel,
    private readonly data: MjData,
    /** The robot's heap views: read where used, never kept (sim/mujoco/MujocoViews.ts). */
    private readonly views: MujocoViews,
    /** physicsDt (s); gravity (m/s²: the accelerometer reads acceleration minus gravity); sensorNoise (every episode's unless replaced). */
    private readonly options: Pick<MujocoRobotOptions, 'physicsDt' | 'gravity' | 'sensorNoise'>,
    private readonly bodies: MujocoSensorBodies,
    /** Observation.extras.push_force (sim/perturb/Pushes.ts). */
    pushForce: Float32Array,
  ) {
    this.noise = new EpisodeNoise(options.sensorNoise ?? {});
    this.bodyRoot = Int32Array.from(model.body_rootid as Int32Array);
    this.baseGroup = weldedBodies(model, bodies.root);
    this.contactGroups = bodies.contacts.map((b) => weldedBodies(model, b));
    this.frames = bodies.frames.map(({ body }) => ({ body, out: new Float32Array(3) }));
    this.baseObs = { position: new Float32Array(3), orientation: new Float32Array([0, 0, 0, 1]), linearVelocity: new Float32Array(3), angularVelocity: new Float32Array(3), comPosition: new Float32Array(3), comLinearVelocity: new Float32Array(3) };
    this.obs = { ...createObservation(spec), base: this.baseObs };
    this.obs.extras.push_force = pushForce;
    bodies.frames.forEach(({ name }, k) => (this.obs.extras[name] = this.frames[k].out));
    this.linkFrames = (bodies.imuFrames ?? []).map(({ name, body }) => {
      const f = { body, orientation: new Float32Array([0, 0, 0, 1]), angularVelocity: new Float32Array(3) };
      const keys = linkFrameKeys(name);
      this.obs.extras[keys.orientation] = f.orientation;
      this.obs.extras[keys.angularVelocity] = f.angularVelocity;
      return f;
    });
  }

  /** Sensor noise for this episode; its generator is seeded by `seed` at the next reset(). */
  setNoise(noise: SimSensorNoise, seed: number): void {
    this.noise.set(noise, seed);
  }

  /** A new episode (reset(seed)): the configured noise, its generator seeded from the episode's seed at reset(). */
  restoreNoise(seed: number): void {
    this.noise.restore(seed);
  }

  /** Reset time, state placed: the noise generator restarts, the IMU sees the robot at rest in gravity. */
  reset(): void {
    this.noise.restart();
    const imu = this.bodies.imu;
    if (imu >= 0) {
      const g = this.options.gravity;
      this.pointVel(imu, this.imuPrevVel);
      this.imuAccWorld.set(-g[0], -g[1], -g[2]);
    }
  }

  /**
   * After the last physics step of a step(dt): mj_step leaves the kinematics of the state the step
   * started from. The contact forces of that step (cfrc_ext) come from them; the IMU's velocity
   * then is the "before" of its finite difference; then the kinematics and velocities of the new
   * state are computed (no collision or constraint work).
   */
  afterSteps(): void {
    const { mj, model: m, data: d } = this;
    const imu = this.bodies.imu;
    if (this.contactGroups.length > 0) mj.mj_rnePostConstraint(m, d);
    if (imu >= 0) this.pointVel(imu, this.imuPrevVel);
    mj.mj_kinematics(m, d);
    mj.mj_comPos(m, d);
    mj.mj_comVel(m, d);
    if (imu >= 0) {
      this.pointVel(imu, _v);
      const inv = 1 / this.options.physicsDt;
      const g = this.options.gravity;
      const p = this.imuPrevVel;
      this.imuAccWorld.set((_v.x - p.x) * inv - g[0], (_v.y - p.y) * inv - g[1], (_v.z - p.z) * inv - g[2]);
    }
  }

  /**
   * The observation after `steps` physics steps, from joint positions and velocities q, qd
   * (rad | m, rad/s | m/s) and actuator efforts (N·m | N; sim/mujoco/MujocoActuators.ts efforts()), robot joint order.
   */
  read(steps: number, q: Float64Array, qd: Float64Array, effort: Float32Array): Observation {
    const v = this.views;
    const obs = this.obs;
    obs.time = steps * this.options.physicsDt;
    obs.seq = steps;
    const { noise: nz, rng } = this.noise;
    noisyJointReadings(q, qd, nz, rng, obs.jointPosition, obs.jointVelocity);
    for (let i = 0; i < q.length; i++) obs.jointEffort[i] = steps > 0 ? effort[i] : 0;
    if (obs.imu !== undefined) {
      const b = this.bodies.imu;
      this.bodyQuat(b, _q); // link in world
      this.bodyAngVel(b, _v);
      noisyImuReading(_q, _v, this.imuAccWorld, nz, rng, obs.imu);
    }
    if (obs.contacts !== undefined) {
      for (let s = 0; s < this.contactGroups.length; s++) {
        const ids = this.contactGroups[s];
        let f = 0;
        if (steps > 0) for (let k = 0; k < ids.length; k++) f += v.cfrcExt[ids[k] * 6 + 5];
        obs.contacts[s] = f > 0 ? f : 0;
      }
    }
    for (const fr of this.frames) {
      fr.out[0] = v.xpos[fr.body * 3];
      fr.out[1] = v.xpos[fr.body * 3 + 1];
      fr.out[2] = v.xpos[fr.body * 3 + 2];
    }
    for (const f of this.linkFrames) {
      // As the IMU's reading without noise: the body's orientation, and its angular velocity in its own frame.
      this.bodyQuat(f.body, _q);
      f.orientation[0] = _q.x;
      f.orientation[1] = _q.y;
      f.orientation[2] = _q.z;
      f.orientation[3] = _q.w;
      this.bodyAngVel(f.body, _v);
      _q.conjugate(_q);
      _q.vmult(_v, _v);
      f.angularVelocity[0] = _v.x;
      f.angularVelocity[1] = _v.y;
      f.angularVelocity[2] = _v.z;
    }
    const r = this.bodies.root;
    const bo = this.baseObs;
    bo.position[0] = v.xpos[r * 3];
    bo.position[1] = v.xpos[r * 3 + 1];
    bo.position[2] = v.xpos[r * 3 + 2];
    this.bodyQuat(r, _q);
    bo.orientation[0] = _q.x;
    bo.orientation[1] = _q.y;
    bo.orientation[2] = _q.z;
    bo.orientation[3] = _q.w;
    this.pointVel(r, _v);
    writeVec(_v, bo.linearVelocity);
    this.baseCom(bo.comPosition!, _v);
    writeVec(_v, bo.comLinearVelocity!);
    this.bodyAngVel(r, _v);
    writeVec(_v, bo.angularVelocity);
    return obs;
  }

  /** Body b's orientation (world), as a cannon-es quaternion. */
  private bodyQuat(b: number, out: Quaternion): void {
    const x = this.views.xquat;
    out.set(x[b * 4 + 1], x[b * 4 + 2], x[b * 4 + 3], x[b * 4]);
  }

  /** Body b's angular velocity (world frame, rad/s). */
  private bodyAngVel(b: number, out: Vec3): void {
    const c = this.views.cvel;
    out.set(c[b * 6], c[b * 6 + 1], c[b * 6 + 2]);
  }

  /** Velocity (world, m/s) of body b's frame origin. */
  private pointVel(b: number, out: Vec3): void {
    const p = this.views.xpos;
    this.pointVelAt(b, p[b * 3], p[b * 3 + 1], p[b * 3 + 2], out);
  }

  /** Position (world, m) and velocity (world, m/s) of the base body's centre of mass, the bodies welded to it included. */
  private baseCom(position: Float32Array, velocity: Vec3): void {
    const v = this.views;
    const g = this.baseGroup, mass = v.bodyMass, p = v.xipos;
    let m = 0, x = 0, y = 0, z = 0;
    for (let k = 0; k < g.length; k++) {
      const b = g[k], mb = mass[b];
      m += mb;
      x += mb * p[b * 3];
      y += mb * p[b * 3 + 1];
      z += mb * p[b * 3 + 2];
    }
    const r = this.bodies.root;
    if (m > 0) {
      x /= m;
      y /= m;
      z /= m;
    } else {
      x = v.xpos[r * 3];
      y = v.xpos[r * 3 + 1];
      z = v.xpos[r * 3 + 2];
    }
    position[0] = x;
    position[1] = y;
    position[2] = z;
    this.pointVelAt(r, x, y, z, velocity);
  }

  /** Velocity (world, m/s) of the point (x, y, z) (world) moving with body b: cvel is at the subtree centre of mass of b's tree root. */
  private pointVelAt(b: number, x: number, y: number, z: number, out: Vec3): void {
    const c = this.views.cvel;
    const com = this.views.subtreeCom;
    const r = this.bodyRoot[b];
    const px = x - com[r * 3];
    const py = y - com[r * 3 + 1];
    const pz = z - com[r * 3 + 2];
    const wx = c[b * 6], wy = c[b * 6 + 1], wz = c[b * 6 + 2];
    out.set(c[b * 6 + 3] + wy * pz - wz * py, c[b * 6 + 4] + wz * px - wx * pz, c[b * 6 + 5] + wx * py - wy * px);
  }
}

/** Every body welded to body b (no joint between them; b included), world body excluded. */
function weldedBodies(model: MjModel, b: number): Int32Array {
  const weld = model.body_weldid as Int32Array;
  const ids: number[] = [];
  for (let k = 1; k < model.nbody; k++) if (weld[k] === weld[b]) ids.push(k);
  return Int32Array.from(ids);
}

function writeVec(v: Vec3, out: Float32Array): void {
  out[0] = v.x;
  out[1] = v.y;
  out[2] = v.z;
}
