import { Quaternion, Vec3, type Body, type World } from 'cannon-es';
import { createObservation, linkFrameKeys, type Observation, type RobotSpec } from '../../src/core/robot.ts';
import { composePose } from '../physics/frames.ts';
import type { BodyInfo, LinkInfo } from '../build/index.ts';
import type { SimRobotOptions } from '../SimRobotOptions.ts';
import { EpisodeNoise, noisyImuReading, noisyJointReadings, type SimSensorNoise } from './SensorNoise.ts';

// Module scratch (style 3): never allocate in read() or afterStep().
const _v1 = new Vec3();
const _v2 = new Vec3();
const _v3 = new Vec3();
const _q1 = new Quaternion();

/** Where SimRobot's sensors sit, resolved from its options (configure time). */
export interface SimSensorsSetup {
  readonly links: readonly LinkInfo[];
  readonly bodies: readonly BodyInfo[];
  readonly world: World;
  /** World gravity (m/s²): the accelerometer reads acceleration minus gravity. */
  readonly gravity: Vec3;
  /** Physics step (s). */
  readonly physicsDt: number;
  /** Link whose pose and velocity are Observation.base. */
  readonly rootLink: number;
  /** Link carrying the IMU; -1: none. */
  readonly imuLink: number;
  /** Bodies whose contact normal force is reported, in Observation.contacts order. */
  readonly contactBodies: readonly Body[];
  /** Link frames whose world position goes into Observation.extras, by extras name. */
  readonly framePositions: readonly { readonly name: string; readonly link: number }[];
  /** Links whose orientation and angular velocity go into Observation.extras (linkFrameKeys(name)). */
  readonly imuFrames?: readonly { readonly name: string; readonly link: number }[];
  /** Observation.extras.push_force (sim/perturb/Pushes.ts). */
  readonly pushForce: Float32Array;
  /** Sensor noise of every episode unless replaced (setNoise). */
  readonly noise: SimSensorNoise;
}

/** The sensor links SimRobotOptions name, resolved (configure time), and the RobotSpec.sensors they make. */
export function resolveSensors(
  options: Pick<SimRobotOptions, 'contactSensors' | 'imuLink' | 'framePositions' | 'imuFrames'>,
  bodies: readonly BodyInfo[],
  requireLink: (name: string, where: string) => LinkInfo,
): { spec: RobotSpec['sensors']; at: Pick<SimSensorsSetup, 'imuLink' | 'contactBodies' | 'framePositions' | 'imuFrames'> } {
  const contacts = options.contactSensors ?? [];
  const contactBodies = contacts.map((name) => bodies[requireLink(name, 'contactSensors').body].body);
  const imuLink = options.imuLink === undefined ? -1 : requireLink(options.imuLink, 'imuLink').index;
  const framePositions = Object.entries(options.framePositions ?? {}).map(([name, link]) => ({ name, link: requireLink(link, `framePositions.${name}`).index }));
  const imuFrames = [...new Set(options.imuFrames ?? [])].map((link) => ({ name: link, link: requireLink(link, 'imuFrames').index }));
  return {
    spec: { imu: imuLink >= 0, contacts: [...contacts], baseVelocity: true, baseCom: true, ...(imuFrames.length > 0 ? { imuFrames: imuFrames.map((f) => f.name) } : {}) },
    at: { imuLink, contactBodies, framePositions, imuFrames },
  };
}

/** World pose of a link frame: its body's pose composed with the link's offset in the body. */
export function linkWorldPose(bodies: readonly BodyInfo[], link: LinkInfo, outP: Vec3, outQ: Quaternion): void {
  const body = bodies[link.body].body;
  composePose(body.position, body.quaternion, link.offsetPos, link.offsetQuat, outP, outQ);
}

/** World pose of a link frame: position (m) into pos[0..2], orientation x y z w into quat[0..3]. */
export function linkWorldPoseInto(bodies: readonly BodyInfo[], link: LinkInfo, pos: Float64Array, quat: Float64Array): void {
  linkWorldPose(bodies, link, _v1, _q1);
  pos[0] = _v1.x;
  pos[1] = _v1.y;
  pos[2] = _v1.z;
  quat[0] = _q1.x;
  quat[1] = _q1.y;
  quat[2] = _q1.z;
  quat[3] = _q1.w;
}

/**
 * What a SimRobot reports in observe(), written into one reused Observation: joint states with
 * sensor noise, the IMU (orientation and gyro in the IMU link frame; accelerometer = finite
 * difference of the link origin's world velocity over the last physics step minus gravity),
 * contact normal forces, link frame positions (extras) and the base (root link) pose and
 * velocity. Noise is drawn from a generator seeded per episode (reproducible).
 *
 * Real-time rules: read() and afterStep() allocate nothing; the observation is allocated here.
 */
export class SimSensors {
  readonly obs: Observation;
  private readonly baseObs: NonNullable<Observation['base']>;
  private readonly framePos: { readonly link: number; readonly out: Float32Array }[];
  private readonly linkFrames: { readonly link: number; readonly orientation: Float32Array; readonly angularVelocity: Float32Array }[];
  private readonly imuPrevVel = new Vec3();
  private readonly imuAccWorld = new Vec3();
  private readonly noise: EpisodeNoise;

  constructor(
    spec: RobotSpec,
    private readonly setup: SimSensorsSetup,
  ) {
    this.noise = new EpisodeNoise(setup.noise);
    this.framePos = setup.framePositions.map(({ link }) => ({ link, out: new Float32Array(3) }));
    this.baseObs = {
      position: new Float32Array(3),
      orientation: new Float32Array([0, 0, 0, 1]),
      linearVelocity: new Float32Array(3),
      angularVelocity: new Float32Array(3),
      comPosition: new Float32Array(3),
      comLinearVelocity: new Float32Array(3),
    };
    this.obs = { ...createObservation(spec), base: this.baseObs };
    // extras.push_force: the push acting now (N, world frame), zero between pushes.
    this.obs.extras.push_force = setup.pushForce;
    setup.framePositions.forEach(({ name }, k) => (this.obs.extras[name] = this.framePos[k].out));
    this.linkFrames = (setup.imuFrames ?? []).map(({ name, link }) => {
      const f = { link, orientation: new Float32Array([0, 0, 0, 1]), angularVelocity: new Float32Array(3) };
      const keys = linkFrameKeys(name);
      this.obs.extras[keys.orientation] = f.orientation;
      this.obs.extras[keys.angularVelocity] = f.angularVelocity;
      return f;
    });
  }

  /** Sensor noise for this episode; its generator is seeded by `seed` now and at every reset(). */
  setNoise(noise: SimSensorNoise, seed: number): void {
    this.noise.set(noise, seed);
    this.noise.restart();
  }

  /** A new episode (reset(seed)): the configured noise, its generator seeded from the episode's seed at reset(). */
  restoreNoise(seed: number): void {
    this.noise.restore(seed);
  }

  /** Reset time, bodies placed: the noise generator restarts, the IMU sees the robot at rest in gravity. */
  reset(): void {
    this.noise.restart();
    if (this.setup.imuLink >= 0) {
      this.imuPointVelocity(this.imuPrevVel);
      this.imuAccWorld.set(-this.setup.gravity.x, -this.setup.gravity.y, -this.setup.gravity.z);
    }
  }

  /** After each physics step: the IMU's acceleration (world frame, minus gravity) over the step. */
  afterStep(): void {
    if (this.setup.imuLink < 0) return;
    const g = this.setup.gravity;
    this.imuPointVelocity(_v1);
    const inv = 1 / this.setup.physicsDt;
    this.imuAccWorld.set((_v1.x - this.imuPrevVel.x) * inv - g.x, (_v1.y - this.imuPrevVel.y) * inv - g.y, (_v1.z - this.imuPrevVel.z) * inv - g.z);
    this.imuPrevVel.copy(_v1);
  }

  /**
   * The observation after `steps` physics steps, from joint positions and velocities q, qd
   * (rad | m, rad/s | m/s) and actuator efforts (N·m | N), robot joint order.
   */
  read(steps: number, q: Float64Array, qd: Float64Array, effort: Float64Array): Observation {
    const { links, bodies, contactBodies } = this.setup;
    const obs = this.obs;
    obs.time = steps * this.setup.physicsDt;
    obs.seq = steps;
    const { noise: nz, rng } = this.noise;
    noisyJointReadings(q, qd, nz, rng, obs.jointPosition, obs.jointVelocity);
    for (let i = 0; i < q.length; i++) obs.jointEffort[i] = effort[i];
    if (obs.imu !== undefined) {
      const link = links[this.setup.imuLink];
      const body = bodies[link.body].body;
      body.quaternion.mult(link.offsetQuat, _q1); // link orientation in world
      noisyImuReading(_q1, body.angularVelocity, this.imuAccWorld, nz, rng, obs.imu);
    }
    if (obs.contacts !== undefined) {
      const contacts = this.setup.world.contacts;
      for (let s = 0; s < contactBodies.length; s++) {
        const body = contactBodies[s];
        let f = 0;
        for (let c = 0; c < contacts.length; c++) {
          const eq = contacts[c];
          if (eq.bi === body || eq.bj === body) f += eq.multiplier;
        }
        obs.contacts[s] = f;
      }
    }
    for (let k = 0; k < this.framePos.length; k++) {
      linkWorldPose(bodies, links[this.framePos[k].link], _v1, _q1);
      writeVec(_v1, this.framePos[k].out);
    }
    for (let k = 0; k < this.linkFrames.length; k++) {
      // As the IMU's reading without noise: the link's orientation, and its body's angular velocity in the link frame.
      const f = this.linkFrames[k];
      const link = links[f.link];
      const body = bodies[link.body].body;
      body.quaternion.mult(link.offsetQuat, _q1);
      writeQuat(_q1, f.orientation);
      _q1.conjugate(_q1);
      _q1.vmult(body.angularVelocity, _v1);
      writeVec(_v1, f.angularVelocity);
    }
    const root = links[this.setup.rootLink];
    linkWorldPose(bodies, root, _v1, _q1);
    writeVec(_v1, this.baseObs.position);
    writeQuat(_q1, this.baseObs.orientation);
    const rootBody = bodies[root.body].body;
    rootBody.quaternion.vmult(root.offsetPos, _v2);
    rootBody.angularVelocity.cross(_v2, _v3);
    _v3.vadd(rootBody.velocity, _v3);
    writeVec(_v3, this.baseObs.linearVelocity);
    // The root's cannon body sits at the centre of mass of the root and the links fixed to it.
    writeVec(rootBody.position, this.baseObs.comPosition!);
    writeVec(rootBody.velocity, this.baseObs.comLinearVelocity!);
    writeVec(rootBody.angularVelocity, this.baseObs.angularVelocity);
    return obs;
  }

  /** World velocity of the IMU link's origin (m/s). */
  private imuPointVelocity(out: Vec3): void {
    const link = this.setup.links[this.setup.imuLink];
    const body = this.setup.bodies[link.body].body;
    body.quaternion.vmult(link.offsetPos, _v2);
    body.angularVelocity.cross(_v2, _v3);
    body.velocity.vadd(_v3, out);
  }
}

/** Copies a vector into an observation field (3 floats). */
function writeVec(v: Vec3, out: Float32Array): void {
  out[0] = v.x;
  out[1] = v.y;
  out[2] = v.z;
}

/** Copies a quaternion into an observation field (x y z w). */
function writeQuat(q: Quaternion, out: Float32Array): void {
  out[0] = q.x;
  out[1] = q.y;
  out[2] = q.z;
  out[3] = q.w;
}
