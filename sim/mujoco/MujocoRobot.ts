import { BehaviorSubject } from 'rxjs';
import { Quaternion, Vec3, type Body } from 'cannon-es';
import type { MainModule, MjData, MjModel } from '@mujoco/mujoco';
import { AxonError } from '../../src/core/errors.ts';
import {
  createObservation,
  type JointCommand,
  type JointSpec,
  type JointType,
  type Observation,
  type RobotHealth,
  type RobotSpec,
  type SimulatedRobot,
} from '../../src/core/robot.ts';
import { Rng } from '../../src/core/rng.ts';
import { CommandHold } from '../CommandHold.ts';
import { Pushes, type SimPushConfig } from '../perturb/Pushes.ts';
import { addNoise, perturbOrientation, type SimSensorNoise } from '../sensors/SensorNoise.ts';
import type { UrdfNote } from '../urdf/parseUrdf.ts';

/** One moving joint as the robot is built with it (robot joint order). */
export interface MujocoJointDesc {
  readonly name: string;
  readonly type: JointType;
  /** rad | m; ±Infinity for a continuous joint. */
  readonly lower: number;
  readonly upper: number;
  readonly velocityLimit: number; // rad/s | m/s
  readonly effortLimit: number; // N·m | N; 0 = passive
  readonly damping: number; // N·m·s/rad | N·s/m
  readonly friction: number; // N·m | N (Coulomb: MuJoCo's frictionloss)
  readonly armature: number; // kg·m² | kg
  readonly defaultPosition: number;
  readonly kp: number;
  readonly kd: number;
}

export interface MujocoRobotOptions {
  readonly name: string;
  /** Physics step (s): the model's timestep. */
  readonly physicsDt: number;
  readonly joints: readonly MujocoJointDesc[];
  /** Link (body) names: the base (root of the tree) and, by name, the IMU and contact sensors. */
  readonly rootLink: string;
  readonly floating: boolean;
  readonly imuLink?: string;
  readonly contactSensors?: readonly string[];
  /** Moving bodies in the order randomisation draws their mass scales (the cannon-es side's body order). */
  readonly bodyLinks: readonly string[];
  /** Nominal link masses (kg) by link name, for setLinkMass / nominalLinkMass. */
  readonly gravity: readonly [number, number, number];
  /**
   * 'implicit': the PD's velocity term includes dt·kp (τ = kp·(q* − q − dt·v⁺) + kd·(v* − v⁺), the
   * cannon-es implicit row, Isaac Lab's implicit actuator); 'explicit': τ = kp·(q* − q) − kd·v⁺
   * (the damping still solved with the next velocity by MuJoCo's implicitfast integrator).
   */
  readonly pd: 'implicit' | 'explicit';
  /** Ground and robot friction coefficient; absent: the model's own (an MJCF). */
  readonly friction?: number;
  /** Robot geoms meet the ground and world geoms, never each other (axon's URDF rule); default true. Off for an MJCF (its own contype/conaffinity). */
  readonly contactFilter?: boolean;
  readonly basePosition?: readonly [number, number, number];
  readonly baseOrientation?: readonly [number, number, number, number]; // x y z w
  readonly spawnOnGround?: boolean;
  readonly sensorNoise?: SimSensorNoise;
  /** Link frames whose world position observe() writes into extras, by extras name. */
  readonly framePositions?: Readonly<Record<string, string>>;
  readonly notes?: readonly UrdfNote[];
}

/** Called by reset(seed) before the state is placed (randomisation), as SimRobot's. */
export type MujocoRandomizer = (robot: MujocoRobot, seed: number) => void;

const NBIAS = 10; // mjNBIAS

const _v = new Vec3();
const _q = new Quaternion();
const _q2 = new Quaternion();
const _acc = new Vec3();

/**
 * A robot in MuJoCo (the official WebAssembly build), behind the same SimulatedRobot contract as
 * the cannon-es SimRobot: tasks, randomisation (the same draws), sensor noise, pushes and the state
 * watchdog are shared; only building, stepping and reading state are MuJoCo's.
 *
 * Actuation (why): one MuJoCo "general" actuator per joint, force = ctrl + b1·q + b2·q̇, whose
 * ctrl and bias are written from axon's command every physics step: ctrl = kp·q* + τff, b1 = −kp,
 * b2 = −(kd + dt·kp) with pd 'implicit' (−kd with 'explicit'). That is MuJoCo's position actuator
 * (kp, kv) with axon's gains, so MuJoCo's implicitfast integrator solves the damping term with the
 * next velocity: the only way light links (1e-5 kg·m²) with kd up to 10 stay stable at 200 Hz
 * (explicit axon torques blow up there, docs/simulation.md), and the same law as the cannon-es
 * implicit row. axon still owns the law (per-command gains, randomised kp/kd/effort scales,
 * continuous-joint wrap, latency); a command whose torque would pass the effort limit is applied
 * as the saturated torque ±limit with no velocity term (a saturated motor has none). Armature,
 * damping and Coulomb friction are MuJoCo's joint armature, damping and frictionloss (exact, on
 * the joint coordinate). Velocity limits are reported in the spec (the state watchdog uses them),
 * as the cannon-es side.
 *
 * Sensors: joint position/velocity from qpos/qvel (continuous joints wrapped to (−π, π]); effort =
 * the actuator force of the last step; IMU at the named link (orientation, gyro in the link frame,
 * accelerometer = finite difference of the link origin's velocity over the last physics step minus
 * gravity, as the cannon-es side); contacts: normal force = world-z of the external (contact)
 * force on the sensor link's welded bodies (mj_rnePostConstraint); base = the root link's pose and
 * velocity.
 *
 * Real-time rules: observe(), command() and step() allocate nothing (the model's array views are
 * fetched again only when the WebAssembly heap has grown, which detaches them).
 */
export class MujocoRobot implements SimulatedRobot {
  readonly spec: RobotSpec;
  readonly physicsDt: number;
  readonly health$ = new BehaviorSubject<RobotHealth>({ connected: true, stale: false, faults: [] });
  readonly notes: UrdfNote[];
  /** Which engine this is (summaries, viewer). */
  readonly engine = 'mujoco';
  readonly mj: MainModule;
  readonly model: MjModel;
  readonly data: MjData;
  /** Per-episode strength multipliers of kp, kd and the effort limit (1 = nominal). */
  readonly kpScale: Float64Array;
  readonly kdScale: Float64Array;
  readonly effortScale: Float64Array;
  /** Joint positions and velocities after the last step (rad | m; robot joint order). */
  readonly q: Float64Array;
  readonly qd: Float64Array;

  private readonly o: MujocoRobotOptions;
  private readonly n: number;
  private readonly qadr: Int32Array;
  private readonly vadr: Int32Array;
  private readonly continuous: Uint8Array;
  private readonly effortLimit: Float64Array;
  private readonly implicitPd: boolean;
  private readonly rootBody: number;
  private readonly rootQadr: number; // freejoint qpos address, -1 when fixed
  private readonly rootVadr: number;
  private readonly imuBody: number;
  private readonly contactGroups: Int32Array[];
  private readonly bodyIndex = new Map<string, number>();
  private readonly nominalMass: Float64Array; // per body
  private readonly nominalInertia: Float64Array; // per body × 3
  private readonly robotGeoms: Int32Array;
  private readonly frames: { readonly body: number; readonly out: Float32Array }[];
  private readonly obs: Observation;
  private readonly baseObs: NonNullable<Observation['base']>;
  private readonly imuPrevVel = new Float64Array(3);
  private readonly imuAccWorld = new Float64Array(3);
  // Held command.
  // Held command and action latency (sim/CommandHold.ts, shared with SimRobot); the arrays are the hold's.
  private readonly hold: CommandHold;
  private readonly cmdTarget: Float64Array;
  private readonly cmdKp: Float64Array;
  private readonly cmdKd: Float64Array;
  private readonly cmdFf: Float64Array;
  // Latency ring.
  private substeps = 0;
  // Initial state.
  private readonly configuredPositions: Float64Array;
  private readonly initialPositions: Float64Array;
  private readonly initialVelocities: Float64Array;
  private randomizer: MujocoRandomizer | undefined;
  private episodeDraw: MujocoRandomizer | undefined;
  // Noise, pushes, friction.
  private readonly configuredNoise: SimSensorNoise;
  private noise: SimSensorNoise;
  private noiseSeed = 0;
  private noiseRng = new Rng(0);
  private readonly pushes: Pushes;
  private readonly pushBody = { force: new Vec3() };
  private pushBodyId = -1;
  private frictionNow: number;
  // Array views into the WebAssembly heap (refreshed when the heap grows).
  private qpos!: Float64Array;
  private qvel!: Float64Array;
  private ctrl!: Float64Array;
  private biasprm!: Float64Array;
  private xfrc!: Float64Array;
  private xpos!: Float64Array;
  private xipos!: Float64Array;
  private bodyMass!: Float64Array;
  private xquat!: Float64Array;
  private cvel!: Float64Array;
  private subtreeCom!: Float64Array;
  private cfrcExt!: Float64Array;
  private actForce!: Float64Array;
  private readonly bodyRoot: Int32Array;
  /** Bodies welded to the base body (no joint between them): its centre of mass is theirs. */
  private readonly baseGroup: Int32Array;
  private badCount = 0;

  constructor(mj: MainModule, model: MjModel, o: MujocoRobotOptions) {
    this.mj = mj;
    this.model = model;
    this.o = o;
    this.physicsDt = o.physicsDt;
    this.notes = [...(o.notes ?? [])];
    this.implicitPd = o.pd === 'implicit';
    if (Math.abs(model.opt.timestep - o.physicsDt) > 1e-12) throw new AxonError('SIM_OPTION', 'physicsDt', `is ${o.physicsDt} but the model's timestep is ${model.opt.timestep}`, 'the same step');
    const n = (this.n = o.joints.length);
    if (model.nu !== n) throw new AxonError('MUJOCO_MODEL', o.name, `has ${model.nu} actuators for ${n} joints`, 'one axon actuator per moving joint');
    const OBJ_BODY = mj.mjtObj.mjOBJ_BODY.value;
    const OBJ_JOINT = mj.mjtObj.mjOBJ_JOINT.value;
    const body = (name: string, where: string): number => {
      const id = mj.mj_name2id(model, OBJ_BODY, name);
      if (id < 0) throw new AxonError('SIM_OPTION', where, `names "${name}", which is not a link (body) of ${o.name}`, 'a link of the robot');
      return id;
    };
    for (let b = 0; b < model.nbody; b++) this.bodyIndex.set(mj.mj_id2name(model, OBJ_BODY, b), b);
    this.qadr = new Int32Array(n);
    this.vadr = new Int32Array(n);
    this.continuous = Uint8Array.from(o.joints, (j) => (j.type === 'continuous' ? 1 : 0));
    const jq = model.jnt_qposadr as Int32Array;
    const jv = model.jnt_dofadr as Int32Array;
    o.joints.forEach((j, i) => {
      const id = mj.mj_name2id(model, OBJ_JOINT, j.name);
      if (id < 0) throw new AxonError('MUJOCO_MODEL', j.name, `is not a joint of the compiled ${o.name}`, 'every moving joint of the URDF');
      this.qadr[i] = jq[id];
      this.vadr[i] = jv[id];
      // Actuator i must drive joint i (the loader adds them in joint order).
      if ((model.actuator_trnid as Int32Array)[2 * i] !== id) throw new AxonError('MUJOCO_MODEL', j.name, `actuator ${i} drives another joint`, 'actuators in joint order');
    });
    this.rootBody = body(o.rootLink, 'rootLink');
    let rootQ = -1;
    let rootV = -1;
    if (o.floating) {
      const jadr = (model.body_jntadr as Int32Array)[this.rootBody];
      if (jadr < 0 || (model.jnt_type as Int32Array)[jadr] !== mj.mjtJoint.mjJNT_FREE.value) throw new AxonError('MUJOCO_MODEL', o.rootLink, 'has no free joint', 'a floating base');
      rootQ = jq[jadr];
      rootV = jv[jadr];
    }
    this.rootQadr = rootQ;
    this.rootVadr = rootV;
    this.imuBody = o.imuLink === undefined ? -1 : body(o.imuLink, 'imuLink');
    const weld = model.body_weldid as Int32Array;
    this.bodyRoot = Int32Array.from(model.body_rootid as Int32Array);
    const baseGroup: number[] = [];
    for (let b = 1; b < model.nbody; b++) if (weld[b] === weld[this.rootBody]) baseGroup.push(b);
    this.baseGroup = Int32Array.from(baseGroup);
    this.contactGroups = (o.contactSensors ?? []).map((name) => {
      const w = weld[body(name, 'contactSensors')];
      const ids: number[] = [];
      for (let b = 1; b < model.nbody; b++) if (weld[b] === w) ids.push(b);
      return Int32Array.from(ids);
    });
    this.frames = Object.entries(o.framePositions ?? {}).map(([name, link]) => ({ body: body(link, `framePositions.${name}`), out: new Float32Array(3) }));
    this.nominalMass = Float64Array.from(model.body_mass as Float64Array);
    this.nominalInertia = Float64Array.from(model.body_inertia as Float64Array);
    const gb = model.geom_bodyid as Int32Array;
    const rg: number[] = [];
    for (let g = 0; g < model.ngeom; g++) if (gb[g] !== 0) rg.push(g);
    this.robotGeoms = Int32Array.from(rg);

    // Joint dynamics and the contact filter, written into the compiled model.
    const armature = model.dof_armature as Float64Array;
    const damping = model.dof_damping as Float64Array;
    const frictionloss = model.dof_frictionloss as Float64Array;
    o.joints.forEach((j, i) => {
      armature[this.vadr[i]] = j.armature;
      damping[this.vadr[i]] = j.damping;
      frictionloss[this.vadr[i]] = j.friction;
    });
    const contype = model.geom_contype as Int32Array;
    const conaff = model.geom_conaffinity as Int32Array;
    // The robot meets the ground (and the world's geoms), never itself (as the cannon-es side).
    if (o.contactFilter ?? true) for (let g = 0; g < model.ngeom; g++) {
      if (gb[g] === 0) {
        contype[g] = 1;
        conaff[g] = 2;
      } else {
        contype[g] = 2;
        conaff[g] = 1;
      }
    }
    this.frictionNow = o.friction ?? (model.geom_friction as Float64Array)[0];
    if (o.friction !== undefined) this.applyFriction(o.friction);
    const g = model.opt.gravity as Float64Array;
    g[0] = o.gravity[0];
    g[1] = o.gravity[1];
    g[2] = o.gravity[2];
    this.data = new mj.MjData(model);
    mj.mj_setConst(model, this.data);

    const specs: JointSpec[] = o.joints.map((j) => ({
      name: j.name,
      type: j.type,
      lower: j.lower,
      upper: j.upper,
      velocityLimit: j.velocityLimit,
      effortLimit: j.effortLimit,
      defaultPosition: Math.min(j.upper, Math.max(j.lower, j.defaultPosition)),
      kp: j.kp,
      kd: j.kd,
    }));
    this.spec = {
      name: o.name,
      joints: specs,
      sensors: { imu: this.imuBody >= 0, contacts: [...(o.contactSensors ?? [])], baseVelocity: true, baseCom: true },
      controlModes: ['position', 'velocity', 'effort'],
    };
    this.effortLimit = Float64Array.from(o.joints, (j) => j.effortLimit);
    this.kpScale = new Float64Array(n).fill(1);
    this.kdScale = new Float64Array(n).fill(1);
    this.effortScale = new Float64Array(n).fill(1);
    this.q = new Float64Array(n);
    this.qd = new Float64Array(n);
    this.hold = new CommandHold(specs, o.name);
    this.cmdTarget = this.hold.target;
    this.cmdKp = this.hold.kp;
    this.cmdKd = this.hold.kd;
    this.cmdFf = this.hold.ff;
    this.configuredPositions = Float64Array.from(specs, (j) => j.defaultPosition);
    this.initialPositions = Float64Array.from(specs, (j) => j.defaultPosition);
    this.initialVelocities = new Float64Array(n);
    this.configuredNoise = o.sensorNoise ?? {};
    this.noise = this.configuredNoise;
    this.pushes = new Pushes(o.physicsDt);
    this.baseObs = { position: new Float32Array(3), orientation: new Float32Array([0, 0, 0, 1]), linearVelocity: new Float32Array(3), angularVelocity: new Float32Array(3), comPosition: new Float32Array(3), comLinearVelocity: new Float32Array(3) };
    this.obs = { ...createObservation(this.spec), base: this.baseObs };
    this.obs.extras.push_force = this.pushes.obs;
    Object.keys(o.framePositions ?? {}).forEach((name, k) => (this.obs.extras[name] = this.frames[k].out));
    this.refreshViews();
    this.reset();
  }

  // ---- Robot ---------------------------------------------------------------------------------

  async connect(): Promise<void> {}

  async close(): Promise<void> {
    this.health$.next({ connected: false, stale: false, faults: [] });
  }

  /** Frees the MuJoCo model and data (the robot is unusable after). */
  dispose(): void {
    this.data.delete();
    this.model.delete();
  }

  /** Holds `cmd` until the next one (copied), as SimRobot.command: absent gains = the spec's. */
  command(cmd: JointCommand): void {
    this.hold.command(cmd, this.substeps);
  }

  /** Advances sim time by dt (s): round(dt / physicsDt) physics steps, the PD law at each. */
  step(dt: number): void {
    const count = Math.round(dt / this.physicsDt);
    if (count <= 0) return;
    this.checkViews();
    for (let k = 0; k < count; k++) this.substep();
    this.afterSteps();
  }

  observe(): Observation {
    const obs = this.obs;
    obs.time = this.substeps * this.physicsDt;
    obs.seq = this.substeps;
    const nz = this.noise;
    const rng = this.noiseRng;
    const qStd = nz.jointPosition ?? 0;
    const qdStd = nz.jointVelocity ?? 0;
    for (let i = 0; i < this.n; i++) {
      obs.jointPosition[i] = qStd > 0 ? this.q[i] + qStd * rng.normal() : this.q[i];
      obs.jointVelocity[i] = qdStd > 0 ? this.qd[i] + qdStd * rng.normal() : this.qd[i];
      obs.jointEffort[i] = this.substeps > 0 ? this.actForce[i] : 0;
    }
    if (obs.imu !== undefined) {
      const b = this.imuBody;
      this.bodyQuat(b, _q); // link in world
      _q.conjugate(_q2);
      this.bodyAngVel(b, _v);
      _q2.vmult(_v, _v);
      addNoise(_v, nz.imuAngularVelocity ?? 0, nz.gyroBias, rng);
      writeVec(_v, obs.imu.angularVelocity);
      _acc.set(this.imuAccWorld[0], this.imuAccWorld[1], this.imuAccWorld[2]);
      _q2.vmult(_acc, _v);
      addNoise(_v, nz.imuLinearAcceleration ?? 0, nz.accelBias, rng);
      writeVec(_v, obs.imu.linearAcceleration);
      perturbOrientation(_q, nz.imuOrientation ?? 0, rng);
      obs.imu.orientation[0] = _q.x;
      obs.imu.orientation[1] = _q.y;
      obs.imu.orientation[2] = _q.z;
      obs.imu.orientation[3] = _q.w;
    }
    if (obs.contacts !== undefined) {
      for (let s = 0; s < this.contactGroups.length; s++) {
        const ids = this.contactGroups[s];
        let f = 0;
        if (this.substeps > 0) for (let k = 0; k < ids.length; k++) f += this.cfrcExt[ids[k] * 6 + 5];
        obs.contacts[s] = f > 0 ? f : 0;
      }
    }
    for (const fr of this.frames) {
      fr.out[0] = this.xpos[fr.body * 3];
      fr.out[1] = this.xpos[fr.body * 3 + 1];
      fr.out[2] = this.xpos[fr.body * 3 + 2];
    }
    const r = this.rootBody;
    const bo = this.baseObs;
    bo.position[0] = this.xpos[r * 3];
    bo.position[1] = this.xpos[r * 3 + 1];
    bo.position[2] = this.xpos[r * 3 + 2];
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

  /**
   * Back to the episode's initial state (SimRobot.reset's rules): reset(seed) restores the
   * configured pose, nominal masses, strengths, noise, friction and no pushes, then runs the
   * randomizer with the seed; reset() replays the current episode's initial state.
   */
  reset(seed?: number): void {
    const mj = this.mj;
    const m = this.model;
    const d = this.data;
    if (seed !== undefined) {
      this.initialPositions.set(this.configuredPositions);
      this.initialVelocities.fill(0);
      (m.body_mass as Float64Array).set(this.nominalMass);
      (m.body_inertia as Float64Array).set(this.nominalInertia);
      this.kpScale.fill(1);
      this.kdScale.fill(1);
      this.effortScale.fill(1);
      this.hold.setLatency(0);
      this.noise = this.configuredNoise;
      this.noiseSeed = (seed ^ 0x5bd1e995) >>> 0;
      this.pushes.set(undefined, undefined);
      this.pushBodyId = -1;
      if (this.o.friction !== undefined) this.applyFriction(this.o.friction);
      this.episodeDraw?.(this, seed);
      if (this.randomizer !== undefined) this.randomizer(this, seed);
      mj.mj_setConst(m, d);
    }
    mj.mj_resetData(m, d);
    this.refreshViews();
    const qpos = this.qpos;
    const qvel = this.qvel;
    if (this.rootQadr >= 0) {
      const p = this.o.basePosition ?? [0, 0, 0];
      const bo = this.o.baseOrientation ?? [0, 0, 0, 1];
      const a = this.rootQadr;
      qpos[a] = p[0];
      qpos[a + 1] = p[1];
      qpos[a + 2] = p[2];
      const norm = Math.hypot(bo[0], bo[1], bo[2], bo[3]) || 1;
      qpos[a + 3] = bo[3] / norm;
      qpos[a + 4] = bo[0] / norm;
      qpos[a + 5] = bo[1] / norm;
      qpos[a + 6] = bo[2] / norm;
    }
    for (let i = 0; i < this.n; i++) {
      qpos[this.qadr[i]] = this.initialPositions[i];
      qvel[this.vadr[i]] = this.initialVelocities[i];
    }
    mj.mj_forward(m, d);
    if (this.o.spawnOnGround && this.rootQadr >= 0) {
      qpos[this.rootQadr + 2] -= this.lowestPoint();
      mj.mj_forward(m, d);
    }
    this.substeps = 0;
    this.hold.reset();
    this.noiseRng = new Rng(this.noiseSeed);
    this.pushes.reset();
    if (this.imuBody >= 0) {
      this.pointVel(this.imuBody, _v);
      this.imuPrevVel[0] = _v.x;
      this.imuPrevVel[1] = _v.y;
      this.imuPrevVel[2] = _v.z;
      const g = this.o.gravity;
      this.imuAccWorld[0] = -g[0];
      this.imuAccWorld[1] = -g[1];
      this.imuAccWorld[2] = -g[2];
    }
    this.readJoints();
  }

  // ---- configuration and randomisation (the SimRobot API the shared randomizers call) ----------

  setRandomizer(randomizer: MujocoRandomizer | undefined): void {
    this.randomizer = randomizer;
  }

  /** What every episode draws from its seed, randomised or not (the arm's target): run at each reset(seed), before the randomizer, whichever randomizer is set. */
  setEpisodeDraw(draw: MujocoRandomizer | undefined): void {
    this.episodeDraw = draw;
  }

  setInitialPositions(positions: ArrayLike<number>): void {
    this.checkLength(positions, 'initialPositions');
    for (let i = 0; i < this.n; i++) this.configuredPositions[i] = this.initialPositions[i] = positions[i];
  }

  setEpisodeInitialState(positions: ArrayLike<number>, velocities?: ArrayLike<number>): void {
    this.checkLength(positions, 'initialPositions');
    for (let i = 0; i < this.n; i++) this.initialPositions[i] = positions[i];
    if (velocities !== undefined) {
      this.checkLength(velocities, 'initialVelocities');
      for (let i = 0; i < this.n; i++) this.initialVelocities[i] = velocities[i];
    }
  }

  getInitialPositions(out: Float64Array = new Float64Array(this.n)): Float64Array {
    out.set(this.initialPositions);
    return out;
  }

  setActuatorScale(kp: number | ArrayLike<number>, kd: number | ArrayLike<number>, effort: number | ArrayLike<number>): void {
    for (let i = 0; i < this.n; i++) {
      this.kpScale[i] = typeof kp === 'number' ? kp : kp[i];
      this.kdScale[i] = typeof kd === 'number' ? kd : kd[i];
      this.effortScale[i] = typeof effort === 'number' ? effort : effort[i];
    }
  }

  setActionLatency(steps: number): void {
    this.hold.setLatency(steps);
  }

  get actionLatencySteps(): number {
    return this.hold.latencySteps;
  }

  setSensorNoise(noise: SimSensorNoise, seed: number): void {
    this.noise = noise;
    this.noiseSeed = seed >>> 0;
  }

  /** Ground and robot friction coefficient (MuJoCo takes the larger of a pair's: both get mu). */
  setFriction(mu: number): void {
    if (!(mu >= 0 && Number.isFinite(mu))) throw new AxonError('SIM_OPTION', 'friction', `is ${mu}`, 'a coefficient >= 0');
    this.applyFriction(mu);
  }

  get friction(): number {
    return this.frictionNow;
  }

  /** Pushes from the next reset on, at the centre of mass of the link's body (xfrc_applied). */
  setPushes(config: SimPushConfig | undefined): void {
    const id = config === undefined ? -1 : this.requireBody(config.link, 'pushes.link');
    this.pushes.set(config, config === undefined ? undefined : (this.pushBody as unknown as Body));
    this.pushBodyId = id;
  }

  get pushCount(): number {
    return this.pushes.count;
  }

  /** Moving bodies (weld groups) by their first link, in the cannon-es side's order. */
  bodyLinkNames(): string[] {
    return [...this.o.bodyLinks];
  }

  /** Scales the mass and inertia of every link welded to `linkName`'s body (nominal × scale). */
  setBodyMassScale(linkName: string, scale: number): void {
    const weld = this.model.body_weldid as Int32Array;
    const w = weld[this.requireBody(linkName, 'setBodyMassScale')];
    for (let b = 1; b < this.model.nbody; b++) if (weld[b] === w) this.scaleBody(b, scale);
  }

  linkMass(linkName: string): number {
    return (this.model.body_mass as Float64Array)[this.requireBody(linkName, 'linkMass')];
  }

  nominalLinkMass(linkName: string): number {
    return this.nominalMass[this.requireBody(linkName, 'nominalLinkMass')];
  }

  /** Sets one link's mass (kg), inertia scaled with it; takes effect at once. */
  setLinkMass(linkName: string, kg: number): void {
    const b = this.requireBody(linkName, 'setLinkMass');
    if (!(kg > 0 && Number.isFinite(kg))) throw new AxonError('SIM_OPTION', `setLinkMass.${linkName}`, `is ${kg}`, 'a mass > 0 kg');
    this.scaleBody(b, kg / this.nominalMass[b]);
    this.mj.mj_setConst(this.model, this.data);
  }

  setExtra(name: string, values: ArrayLike<number>): void {
    const out = this.obs.extras[name] ?? (this.obs.extras[name] = new Float32Array(values.length));
    for (let i = 0; i < out.length; i++) out[i] = values[i];
  }

  get stepCount(): number {
    return this.substeps;
  }

  /** Commands that were not finite (nothing applied for them). */
  get badCommandCount(): number {
    return this.badCount;
  }

  jointIndex(name: string): number {
    const i = this.spec.joints.findIndex((j) => j.name === name);
    if (i < 0) throw new AxonError('SIM_OPTION', `joint "${name}"`, 'is not a moving joint', this.spec.joints.map((j) => j.name).join(', '));
    return i;
  }

  // ---- internals -----------------------------------------------------------------------------

  private substep(): void {
    if (this.hold.pending > 0) this.hold.applyDue(this.substeps);
    const qpos = this.qpos;
    const qvel = this.qvel;
    const ctrl = this.ctrl;
    const bias = this.biasprm;
    const mode = this.hold.mode;
    const h = this.physicsDt;
    for (let i = 0; i < this.n; i++) {
      const q = qpos[this.qadr[i]];
      const v = qvel[this.vadr[i]];
      const lim = this.effortLimit[i] * this.effortScale[i];
      const t = this.cmdTarget[i];
      const ff = this.cmdFf[i];
      let c = 0; // ctrl
      let b1 = 0;
      let b2 = 0;
      let f = 0; // the torque the law asks for at v (for the saturation test)
      if (mode === 'position') {
        const p = this.kpScale[i] * this.cmdKp[i];
        const dd = this.kdScale[i] * this.cmdKd[i];
        const err = this.continuous[i] === 1 ? wrap(t - q) : t - q;
        const damp = this.implicitPd ? dd + h * p : dd;
        c = p * (q + err) + ff;
        b1 = -p;
        b2 = -damp;
        f = p * err + ff - damp * v;
      } else if (mode === 'velocity') {
        const dd = this.kdScale[i] * this.cmdKd[i];
        c = dd * t + ff;
        b2 = -dd;
        f = dd * (t - v) + ff;
      } else {
        c = t;
        f = t;
      }
      if (!(Math.abs(c) <= 1e10 && Math.abs(b1) <= 1e10 && Math.abs(b2) <= 1e10 && Math.abs(f) <= 1e10)) {
        c = b1 = b2 = 0;
        this.badCount++;
      } else if (lim === 0) {
        c = b1 = b2 = 0; // passive joint
      } else if (f > lim || f < -lim) {
        c = f > 0 ? lim : -lim; // saturated: constant torque
        b1 = b2 = 0;
      }
      ctrl[i] = c;
      bias[i * NBIAS + 1] = b1;
      bias[i * NBIAS + 2] = b2;
    }
    if (this.pushBodyId >= 0) {
      const pf = this.pushBody.force;
      pf.set(0, 0, 0);
      this.pushes.apply(this.substeps);
      const k = this.pushBodyId * 6;
      this.xfrc[k] = pf.x;
      this.xfrc[k + 1] = pf.y;
      this.xfrc[k + 2] = pf.z;
    }
    this.mj.mj_step(this.model, this.data);
    this.substeps++;
    this.pushes.advance(this.substeps);
  }

  /**
   * After the last physics step of a step(dt): mj_step leaves the kinematics of the state the step
   * started from. The contact forces of that step (cfrc_ext) come from them; the IMU's velocity
   * then is the "before" of its finite difference; then the kinematics and velocities of the new
   * state are computed (no collision or constraint work).
   */
  private afterSteps(): void {
    const mj = this.mj;
    const m = this.model;
    const d = this.data;
    if (this.contactGroups.length > 0) mj.mj_rnePostConstraint(m, d);
    if (this.imuBody >= 0) {
      this.pointVel(this.imuBody, _v);
      this.imuPrevVel[0] = _v.x;
      this.imuPrevVel[1] = _v.y;
      this.imuPrevVel[2] = _v.z;
    }
    mj.mj_kinematics(m, d);
    mj.mj_comPos(m, d);
    mj.mj_comVel(m, d);
    if (this.imuBody >= 0) {
      this.pointVel(this.imuBody, _v);
      const inv = 1 / this.physicsDt;
      const g = this.o.gravity;
      this.imuAccWorld[0] = (_v.x - this.imuPrevVel[0]) * inv - g[0];
      this.imuAccWorld[1] = (_v.y - this.imuPrevVel[1]) * inv - g[1];
      this.imuAccWorld[2] = (_v.z - this.imuPrevVel[2]) * inv - g[2];
    }
    this.readJoints();
  }

  private readJoints(): void {
    for (let i = 0; i < this.n; i++) {
      const q = this.qpos[this.qadr[i]];
      this.q[i] = this.continuous[i] === 1 ? wrap(q) : q;
      this.qd[i] = this.qvel[this.vadr[i]];
    }
  }

  /** Body b's orientation (world), as a cannon-es quaternion. */
  private bodyQuat(b: number, out: Quaternion): void {
    const x = this.xquat;
    out.set(x[b * 4 + 1], x[b * 4 + 2], x[b * 4 + 3], x[b * 4]);
  }

  /** Body b's angular velocity (world frame, rad/s). */
  private bodyAngVel(b: number, out: Vec3): void {
    const c = this.cvel;
    out.set(c[b * 6], c[b * 6 + 1], c[b * 6 + 2]);
  }

  /** Velocity (world, m/s) of body b's frame origin. */
  private pointVel(b: number, out: Vec3): void {
    this.pointVelAt(b, this.xpos[b * 3], this.xpos[b * 3 + 1], this.xpos[b * 3 + 2], out);
  }

  /** Position (world, m) and velocity (world, m/s) of the base body's centre of mass, the bodies welded to it included. */
  private baseCom(position: Float32Array, velocity: Vec3): void {
    const g = this.baseGroup, mass = this.bodyMass, p = this.xipos;
    let m = 0, x = 0, y = 0, z = 0;
    for (let k = 0; k < g.length; k++) {
      const b = g[k], mb = mass[b];
      m += mb;
      x += mb * p[b * 3];
      y += mb * p[b * 3 + 1];
      z += mb * p[b * 3 + 2];
    }
    const r = this.rootBody;
    if (m > 0) {
      x /= m;
      y /= m;
      z /= m;
    } else {
      x = this.xpos[r * 3];
      y = this.xpos[r * 3 + 1];
      z = this.xpos[r * 3 + 2];
    }
    position[0] = x;
    position[1] = y;
    position[2] = z;
    this.pointVelAt(r, x, y, z, velocity);
  }

  /** Velocity (world, m/s) of the point (x, y, z) (world) moving with body b: cvel is at the subtree centre of mass of b's tree root. */
  private pointVelAt(b: number, x: number, y: number, z: number, out: Vec3): void {
    const c = this.cvel;
    const r = this.bodyRoot[b];
    const px = x - this.subtreeCom[r * 3];
    const py = y - this.subtreeCom[r * 3 + 1];
    const pz = z - this.subtreeCom[r * 3 + 2];
    const wx = c[b * 6], wy = c[b * 6 + 1], wz = c[b * 6 + 2];
    out.set(c[b * 6 + 3] + wy * pz - wz * py, c[b * 6 + 4] + wz * px - wx * pz, c[b * 6 + 5] + wx * py - wy * px);
  }

  /** Lowest z (m) of the robot's collision geometry in the current pose (mesh vertices, primitives exactly). */
  private lowestPoint(): number {
    const mj = this.mj;
    const m = this.model;
    const type = m.geom_type as Int32Array;
    const size = m.geom_size as Float64Array;
    const gx = this.data.geom_xpos as Float64Array;
    const gm = this.data.geom_xmat as Float64Array;
    const dataid = m.geom_dataid as Int32Array;
    const vadr = m.mesh_vertadr as Int32Array;
    const vnum = m.mesh_vertnum as Int32Array;
    const vert = m.mesh_vert as Float32Array;
    const aabb = m.geom_aabb as Float64Array;
    const T = mj.mjtGeom;
    let low = Infinity;
    for (let k = 0; k < this.robotGeoms.length; k++) {
      const g = this.robotGeoms[k];
      const cz = gx[g * 3 + 2];
      const r0 = gm[g * 9 + 6], r1 = gm[g * 9 + 7], r2 = gm[g * 9 + 8]; // world z row
      const t = type[g];
      let z: number;
      if (t === T.mjGEOM_SPHERE.value) z = cz - size[g * 3];
      else if (t === T.mjGEOM_CAPSULE.value) z = cz - Math.abs(r2) * size[g * 3 + 1] - size[g * 3];
      else if (t === T.mjGEOM_CYLINDER.value) z = cz - Math.abs(r2) * size[g * 3 + 1] - size[g * 3] * Math.sqrt(Math.max(0, 1 - r2 * r2));
      else if (t === T.mjGEOM_BOX.value) z = cz - Math.abs(r0) * size[g * 3] - Math.abs(r1) * size[g * 3 + 1] - Math.abs(r2) * size[g * 3 + 2];
      else if (t === T.mjGEOM_MESH.value && dataid[g] >= 0) {
        const mesh = dataid[g];
        z = Infinity;
        for (let v = vadr[mesh]; v < vadr[mesh] + vnum[mesh]; v++) {
          const vz = cz + r0 * vert[v * 3] + r1 * vert[v * 3 + 1] + r2 * vert[v * 3 + 2];
          if (vz < z) z = vz;
        }
      } else {
        // Anything else: its bounding box (centre and half sizes in the geom frame).
        const a = g * 6;
        z = cz + r0 * aabb[a] + r1 * aabb[a + 1] + r2 * aabb[a + 2] - Math.abs(r0) * aabb[a + 3] - Math.abs(r1) * aabb[a + 4] - Math.abs(r2) * aabb[a + 5];
      }
      if (z < low) low = z;
    }
    return Number.isFinite(low) ? low : 0;
  }

  private scaleBody(b: number, scale: number): void {
    (this.model.body_mass as Float64Array)[b] = this.nominalMass[b] * scale;
    const inertia = this.model.body_inertia as Float64Array;
    for (let k = 0; k < 3; k++) inertia[b * 3 + k] = this.nominalInertia[b * 3 + k] * scale;
  }

  private applyFriction(mu: number): void {
    this.frictionNow = mu;
    const f = this.model.geom_friction as Float64Array;
    for (let g = 0; g < this.model.ngeom; g++) f[g * 3] = mu;
  }

  private requireBody(name: string, where: string): number {
    const b = this.bodyIndex.get(name);
    if (b === undefined || b === 0) throw new AxonError('SIM_OPTION', where, `names "${name}", which is not a link of ${this.spec.name}`, 'a link of the robot');
    return b;
  }

  private checkLength(values: ArrayLike<number>, where: string): void {
    if (values.length !== this.n) throw new AxonError('SIM_OPTION', where, `has ${values.length} values`, `${this.n}, one per joint`);
  }

  /** Re-fetches the heap views when a heap growth detached them (a cheap length test per step). */
  private checkViews(): void {
    if (this.qpos.length === 0 && this.model.nq > 0) this.refreshViews();
  }

  private refreshViews(): void {
    const d = this.data;
    this.qpos = d.qpos;
    this.qvel = d.qvel;
    this.ctrl = d.ctrl;
    this.biasprm = this.model.actuator_biasprm;
    this.xfrc = d.xfrc_applied;
    this.xpos = d.xpos;
    this.xipos = d.xipos;
    this.bodyMass = this.model.body_mass;
    this.xquat = d.xquat;
    this.cvel = d.cvel;
    this.subtreeCom = d.subtree_com;
    this.cfrcExt = d.cfrc_ext;
    this.actForce = d.actuator_force;
  }
}

function wrap(a: number): number {
  return a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
}

function writeVec(v: Vec3, out: Float32Array): void {
  out[0] = v.x;
  out[1] = v.y;
  out[2] = v.z;
}
