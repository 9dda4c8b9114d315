import { BehaviorSubject } from 'rxjs';
import { Body, GSSolver, Quaternion, Vec3, World } from 'cannon-es';
import { AxonError } from '../src/core/errors.ts';
import {
  createObservation,
  type JointCommand,
  type JointSpec,
  type Observation,
  type RobotHealth,
  type RobotSpec,
  type SimulatedRobot,
} from '../src/core/robot.ts';
import { Rng } from '../src/core/rng.ts';
import { CommandHold } from './CommandHold.ts';
import { WarmStartSolver } from './physics/WarmStartSolver.ts';
import { RobotNarrowphase } from './physics/RobotNarrowphase.ts';
import { checkPushConfig, Pushes, type SimPushConfig } from './perturb/Pushes.ts';
import { addNoise, perturbOrientation, type SimSensorNoise } from './sensors/SensorNoise.ts';
import { TreeFk } from './kinematics/TreeFk.ts';

export type { SimPushConfig } from './perturb/Pushes.ts';
export type { SimSensorNoise } from './sensors/SensorNoise.ts';
import { Actuators, type ActuatorJointSettings, type PdIntegration } from './actuators/Actuators.ts';
import { composePose, wrapAngle } from './physics/frames.ts';
import type { UrdfModel, UrdfNote } from './urdf/parseUrdf.ts';
import type { MeshCollisionMode, MeshCollisionReport } from './mesh/meshCollision.ts';
import { addGround, applyMassProperties, buildBodies, groupLinks, makeJoint, makeLinks, settleInertials, updateLimitGains, type BodyInfo, type JointInfo, type LinkInfo } from './build/index.ts';

export { DEFAULT_LINK_INERTIAL } from './build/index.ts';

/** Per-joint settings the URDF does not carry, and actuator settings that replace the URDF's. */
export interface SimJointDefaults extends ActuatorJointSettings {
  /** Pose the robot starts in and holds when safe-stopped (rad | m); default 0 (clamped into the limits). */
  readonly defaultPosition?: number;
  /** Position-mode gains (N·m/rad | N/m, N·m·s/rad | N·s/m); default 0. */
  readonly kp?: number;
  readonly kd?: number;
}

export interface SimRobotOptions {
  /** Robot name in the spec; default the URDF's. */
  readonly name?: string;
  /** Physics step (s); default 0.002. */
  readonly physicsDt?: number;
  /** Gauss-Seidel iterations per physics step; default 20. */
  readonly solverIterations?: number;
  /**
   * Warm-start the Gauss-Seidel solver from each equation's impulse of the previous step
   * (sim/physics/WarmStartSolver.ts). Default: on with pd 'implicit', off with 'explicit' (the
   * shipped robots' models were trained on the cold solver).
   */
  readonly warmStart?: boolean;
  /**
   * Where a joint's armature (reflected rotor inertia) goes:
   * - 'isotropic': added to the child body's inertia about all three axes (the rotor as a body:
   *   exact about the joint axis up to the parent's rotation about it; off the axis it stands for
   *   rotor and gear mass). It keeps the solver's inertia ratios sane on links of 1e-5 kg·m², so
   *   implicit PD converges at 200 Hz (docs/simulation.md). Default with pd 'implicit'.
   * - 'axis': added to the child body's inertia about the joint axis only. Default with 'explicit'.
   * - 'joint': pd 'implicit' only; the drive row carries it on the joint coordinate (exact, as a
   *   reduced-coordinate engine does), bodies keep the URDF's inertia. A light link's other axes
   *   keep their tiny inertia and the solver does not converge on them: the 29-DoF vendor humanoid
   *   falls or explodes at 200 Hz (docs/simulation.md).
   */
  readonly armatureModel?: 'isotropic' | 'axis' | 'joint';
  /** Gravity (m/s²): a z component or a world vector; default -9.81 on z (URDF is z-up). */
  readonly gravity?: number | readonly [number, number, number];
  /** By joint name. */
  readonly jointDefaults?: Readonly<Record<string, SimJointDefaults>>;
  /** Links whose contact normal force is reported, in Observation.contacts order. */
  readonly contactSensors?: readonly string[];
  /** Link carrying the IMU; none when absent. */
  readonly imuLink?: string;
  /**
   * Fixed base (root link static) or floating. Default: floating, unless the URDF fixes the robot
   * to the world (root link named "world") or the root has no mass at all (no <inertial> on it or
   * on any link fixed to it: nothing to simulate).
   */
  readonly fixedBase?: boolean;
  /**
   * Refuse what would otherwise be fixed with a default and a note: a moving link with no
   * <inertial> (URDF_NO_INERTIAL). Default false: such a link gets DEFAULT_LINK_INERTIAL.
   */
  readonly strict?: boolean;
  /** How collision meshes become shapes (sim/mesh/meshCollision.ts); default 'hull'. */
  readonly meshCollision?: MeshCollisionMode;
  /** Hull vertex cap (larger hulls are simplified); default 64. */
  readonly maxHullVertices?: number;
  /** Where a very large mesh's one-line cost goes; default stderr. */
  readonly log?: (line: string) => void;
  /**
   * Link frames whose world position (m) observe() writes into Observation.extras, by extras
   * name, e.g. { ee_pos: 'gripper' }. Allocated here; observe() only writes.
   */
  readonly framePositions?: Readonly<Record<string, string>>;
  /** Add a ground plane z = 0. Default: only for a floating base. */
  readonly ground?: boolean;
  /** Ground friction coefficient; default 0.8. */
  readonly friction?: number;
  /** Initial joint positions (rad | m), robot joint order; default each joint's defaultPosition. */
  readonly initialPositions?: ArrayLike<number>;
  /** Root link pose at reset (m; quaternion x y z w), world frame; default origin, identity. */
  readonly basePosition?: readonly [number, number, number];
  readonly baseOrientation?: readonly [number, number, number, number];
  /**
   * At every reset, move the robot vertically so that its lowest collision shape just touches the
   * ground z = 0 (a floating robot whose initial pose changes, e.g. randomised knees). Default false.
   */
  readonly spawnOnGround?: boolean;
  /**
   * Friction limit of each robot-ground contact point: 'coulomb' = μ × the normal force that
   * point's body carried in the previous physics step, shared over its contact points (Coulomb
   * friction, one step lagged); 'mass' = cannon-es's own bound, μ·g·(reduced mass) applied to an
   * impulse, i.e. a force bound of μ·m·g/dt that does not follow the load (in practice feet never
   * slip). Default 'mass'.
   */
  readonly frictionModel?: 'coulomb' | 'mass';
  /**
   * Ground contact margin (m): a convex vertex up to this far above the ground plane keeps a
   * (speculative) contact row, so a resting foot keeps its corners and their warm-started impulses
   * step to step (sim/physics/RobotNarrowphase.ts). Default DEFAULT_CONTACT_MARGIN with pd
   * 'implicit', 0 (cannon-es's rule: only vertices at or below the plane) with 'explicit'.
   */
  readonly contactMargin?: number;
  /** Sensor noise and bias applied in observe(); default none. */
  readonly sensorNoise?: SimSensorNoise;
  /**
   * How position/velocity commands are integrated (sim/actuators/Actuators.ts): 'implicit' (PD
   * solved with the next velocity as one constraint row per joint, as Isaac Lab's implicit
   * actuators: stable on light links; see armatureModel and warmStart) or 'explicit' (torque from
   * the step's start state). Default 'explicit'.
   */
  readonly pd?: PdIntegration;
}

/** Called by reset(seed) before the bodies are placed: sets initial positions, masses, ... */
export type SimRandomizer = (robot: SimRobot, seed: number) => void;

/** SimRobotOptions.contactMargin with pd 'implicit' (m). */
export const DEFAULT_CONTACT_MARGIN = 0.002;

export { MAX_LATENCY_STEPS } from './CommandHold.ts';

// Module scratch (STYLE.md 3): never allocate on step/observe/command.
const _v1 = new Vec3();
const _v2 = new Vec3();
const _v3 = new Vec3();
const _v4 = new Vec3();
const _v5 = new Vec3();
const _q1 = new Quaternion();
const _q2 = new Quaternion();
const _q3 = new Quaternion();
const _showPos = new Vec3();
const _showQuat = new Quaternion();

/**
 * A URDF robot in cannon-es. One body per group of links joined by fixed joints (masses and
 * inertias merged, parallel axis theorem; the body keeps the diagonal of the merged inertia in the
 * group-root link's axes). Revolute/continuous joints are HingeConstraints, prismatic joints a
 * PrismaticConstraint; joint actuation is explicit effort applied at every physics step.
 *
 * Real-time rules: observe(), command() and step() do not allocate.
 */
export class SimRobot implements SimulatedRobot {
  readonly spec: RobotSpec;
  readonly physicsDt: number;
  readonly model: UrdfModel;
  readonly world: World;
  readonly health$: BehaviorSubject<RobotHealth>;
  /** Joint positions (rad | m) and velocities after the last physics step, robot joint order. */
  readonly q: Float64Array;
  readonly qd: Float64Array;
  /** Actuator effort applied in the last physics step (N·m | N), after saturation. */
  readonly actuatorEffort: Float64Array;
  /** The actuators (limits, armature, damping, friction, strength scales) as plain arrays. */
  readonly actuators: Actuators;
  /** The URDF's notes plus what this build decided (defaults given, meshes fitted), one line each. */
  readonly notes: UrdfNote[];
  /** One entry per collision mesh read (file, triangles, hull vertices, time). */
  readonly meshReports: MeshCollisionReport[] = [];

  private readonly links: LinkInfo[];
  private readonly linkIndex: Map<string, number>;
  private readonly bodies: BodyInfo[];
  private readonly joints: JointInfo[];
  private readonly gravity: Vec3;
  private readonly fixedBase: boolean;
  private readonly rootLink: number;
  private readonly basePosition: Vec3;
  private readonly baseOrientation: Quaternion;
  /** Configured initial state (options / setInitialPositions) and this episode's (may be randomised). */
  private readonly configuredPositions: Float64Array;
  private readonly initialPositions: Float64Array;
  private readonly initialVelocities: Float64Array;
  private readonly nominalMass: Float64Array;
  private readonly obs: Observation;
  private readonly baseObs: NonNullable<Observation['base']>;
  private readonly contactBodies: Body[];
  private readonly imuLink: number;
  private readonly imuPrevVel = new Vec3();
  private readonly imuAccWorld = new Vec3();
  // Held command and action latency (sim/CommandHold.ts, shared with the MuJoCo robot); the arrays are the hold's.
  private readonly hold: CommandHold;
  private readonly cmdTarget: Float64Array;
  /** Command target (rad | m | N·m) of each joint in the previous physics step: a drive row is warm started in full only while it holds. */
  private readonly prevDriveTarget: Float64Array;
  private readonly cmdKp: Float64Array;
  private readonly cmdKd: Float64Array;
  private readonly cmdFf: Float64Array;
  private substeps = 0;
  private randomizer: SimRandomizer | undefined;
  // Actuator strength (per joint multipliers of kp, kd and the effort limit), 1 = nominal: the actuators' arrays.
  readonly kpScale: Float64Array;
  readonly kdScale: Float64Array;
  readonly effortScale: Float64Array;
  private readonly pdMode: PdIntegration;
  private readonly armatureModel: 'isotropic' | 'axis' | 'joint';
  // Sensor noise.
  private readonly configuredNoise: SimSensorNoise;
  private noise: SimSensorNoise;
  private noiseSeed = 0;
  private noiseRng = new Rng(0);
  // Pushes.
  private readonly pushes: Pushes;
  // Contacts, friction.
  private readonly configuredFriction: number;
  private readonly narrowphase: RobotNarrowphase | undefined;
  private readonly spawnOnGround: boolean;
  // Per-link FK scratch, sized at construction.
  private readonly fk: TreeFk;
  private readonly framePos: { readonly link: number; readonly out: Float32Array }[];

  constructor(model: UrdfModel, options: SimRobotOptions = {}) {
    this.model = model;
    const h = (this.physicsDt = options.physicsDt ?? 0.002);
    if (!(h > 0 && h < 0.1)) throw new AxonError('SIM_OPTION', 'physicsDt', `is ${h}`, 'a step in (0, 0.1) s');
    this.pushes = new Pushes(h);
    const iterations = options.solverIterations ?? 20;
    this.pdMode = options.pd ?? 'explicit';
    const g = options.gravity ?? -9.81;
    this.gravity = typeof g === 'number' ? new Vec3(0, 0, g) : new Vec3(g[0], g[1], g[2]);
    this.notes = [...(model.notes ?? [])];
    this.basePosition = new Vec3(...(options.basePosition ?? [0, 0, 0]));
    const bo = options.baseOrientation ?? [0, 0, 0, 1];
    this.baseOrientation = new Quaternion(bo[0], bo[1], bo[2], bo[3]);
    this.baseOrientation.normalize();

    const world = (this.world = new World({ gravity: this.gravity }));
    if (options.warmStart ?? this.pdMode === 'implicit') world.solver = new WarmStartSolver();
    this.armatureModel = options.armatureModel ?? (this.pdMode === 'implicit' ? 'isotropic' : 'axis');
    if (this.armatureModel === 'joint' && this.pdMode !== 'implicit') throw new AxonError('SIM_OPTION', 'armatureModel', "is 'joint' with pd 'explicit'", "'isotropic' or 'axis' (only an implicit drive row can carry the armature)");
    (world.solver as GSSolver).iterations = iterations;
    this.configuredFriction = options.friction ?? 0.8;
    world.defaultContactMaterial.friction = this.configuredFriction;
    world.allowSleep = false;
    this.spawnOnGround = options.spawnOnGround ?? false;
    const margin = options.contactMargin ?? (this.pdMode === 'implicit' ? DEFAULT_CONTACT_MARGIN : 0);
    if (!(margin >= 0 && margin <= 0.05)) throw new AxonError('SIM_OPTION', 'contactMargin', `is ${margin}`, 'a distance in [0, 0.05] m');
    if (options.frictionModel === 'coulomb' || margin > 0) {
      const np = (this.narrowphase = new RobotNarrowphase(world));
      np.dt = h;
      np.margin = margin;
      np.coulomb = options.frictionModel === 'coulomb';
      world.narrowphase = np;
    }

    // ---- links, fixed-joint groups, base, bodies (sim/build) -----------------------------------
    ({ links: this.links, linkIndex: this.linkIndex } = makeLinks(model));
    this.fk = new TreeFk(model, this.linkIndex);
    this.rootLink = this.linkIndex.get(model.root)!;
    const groups = groupLinks(model, this.links, this.linkIndex);
    this.fixedBase = settleInertials(model, this.links, groups, options, this.notes);
    this.nominalMass = Float64Array.from(this.links, (l) => l.mass);
    this.bodies = buildBodies(model, this.links, groups, world, { ...options, fixedBase: this.fixedBase }, this.meshReports, this.notes);
    if (options.ground ?? !this.fixedBase) addGround(world);

    // ---- joints, spec ------------------------------------------------------------------------
    this.placeLinksFk(undefined);
    const jointSpecs: JointSpec[] = [];
    this.joints = [];
    for (const joint of model.treeOrder) {
      if (joint.type === 'fixed') continue;
      const d = options.jointDefaults?.[joint.name] ?? {};
      const lower = joint.type === 'continuous' ? -Infinity : joint.lower;
      const upper = joint.type === 'continuous' ? Infinity : joint.upper;
      const wanted = d.defaultPosition ?? 0;
      if (wanted < lower || wanted > upper)
        this.notes.push({
          code: 'SIM_DEFAULT_OUTSIDE_LIMITS',
          where: `<joint name="${joint.name}">`,
          message: `default position ${wanted} is outside its limits [${lower}, ${upper}]: it starts and holds at ${wanted < lower ? lower : upper} (give a pose within the limits: --init-pose or the manifest's default_joint_pos)`,
        });
      const spec: JointSpec = {
        name: joint.name,
        type: joint.type,
        lower,
        upper,
        velocityLimit: d.velocityLimit ?? joint.velocity,
        effortLimit: d.effortLimit ?? joint.effort,
        defaultPosition: Math.min(upper, Math.max(lower, wanted)),
        kp: d.kp ?? 0,
        kd: d.kd ?? 0,
      };
      jointSpecs.push(spec);
      this.joints.push(makeJoint(joint, spec, { links: this.links, linkIndex: this.linkIndex, bodies: this.bodies, world, physicsDt: h, implicit: this.pdMode === 'implicit' }));
    }
    for (const name of Object.keys(options.jointDefaults ?? {})) {
      if (!jointSpecs.some((j) => j.name === name)) {
        throw new AxonError('SIM_OPTION', `jointDefaults.${name}`, 'names no moving joint of the robot', jointSpecs.map((j) => j.name).join(', '));
      }
    }
    const contacts = options.contactSensors ?? [];
    this.contactBodies = contacts.map((name) => this.bodies[this.requireLink(name, 'contactSensors').body].body);
    this.imuLink = options.imuLink === undefined ? -1 : this.requireLink(options.imuLink, 'imuLink').index;
    this.framePos = Object.entries(options.framePositions ?? {}).map(([name, link]) => ({ link: this.requireLink(link, `framePositions.${name}`).index, out: new Float32Array(3) }));
    this.spec = {
      name: options.name ?? model.name,
      joints: jointSpecs,
      sensors: { imu: this.imuLink >= 0, contacts: [...contacts], baseVelocity: true, baseCom: true },
      controlModes: ['position', 'velocity', 'effort'],
    };

    const n = jointSpecs.length;
    this.actuators = new Actuators(n, h, this.pdMode, {
      effortLimit: jointSpecs.map((j) => j.effortLimit),
      velocityLimit: jointSpecs.map((j) => j.velocityLimit),
      damping: this.joints.map((j) => j.urdf.damping),
      friction: this.joints.map((j) => j.urdf.friction),
    }, this.armatureModel === 'joint');
    this.joints.forEach((j, i) => this.actuators.configure(i, options.jointDefaults?.[j.urdf.name] ?? {}, `jointDefaults.${j.urdf.name}`));
    if (this.armatureModel !== 'joint' && this.actuators.armature.some((a) => a > 0)) for (const b of this.bodies) this.applyMassProperties(b);
    this.q = new Float64Array(n);
    this.qd = new Float64Array(n);
    this.actuatorEffort = new Float64Array(n);
    this.hold = new CommandHold(jointSpecs, this.spec.name);
    this.cmdTarget = this.hold.target;
    this.prevDriveTarget = new Float64Array(n).fill(NaN);
    this.cmdKp = this.hold.kp;
    this.cmdKd = this.hold.kd;
    this.cmdFf = this.hold.ff;
    this.configuredPositions = Float64Array.from(jointSpecs, (j) => j.defaultPosition);
    this.initialPositions = Float64Array.from(jointSpecs, (j) => j.defaultPosition);
    this.initialVelocities = new Float64Array(n);
    if (options.initialPositions !== undefined) this.setInitialPositions(options.initialPositions);
    this.kpScale = this.actuators.kpScale;
    this.kdScale = this.actuators.kdScale;
    this.effortScale = this.actuators.effortScale;
    this.configuredNoise = options.sensorNoise ?? {};
    this.noise = this.configuredNoise;
    if (this.narrowphase !== undefined) for (const b of this.bodies) if (!b.isStatic) this.narrowphase.load.set(b.body, { normal: 0, count: 0 });
    this.baseObs = {
      position: new Float32Array(3),
      orientation: new Float32Array([0, 0, 0, 1]),
      linearVelocity: new Float32Array(3),
      angularVelocity: new Float32Array(3),
      comPosition: new Float32Array(3),
      comLinearVelocity: new Float32Array(3),
    };
    this.obs = { ...createObservation(this.spec), base: this.baseObs };
    // extras.push_force: the push acting now (N, world frame), zero between pushes.
    this.obs.extras.push_force = this.pushes.obs;
    Object.keys(options.framePositions ?? {}).forEach((name, k) => (this.obs.extras[name] = this.framePos[k].out));
    this.health$ = new BehaviorSubject<RobotHealth>({ connected: true, stale: false, faults: [] });
    this.reset();
  }

  // ---- Robot ---------------------------------------------------------------------------------

  async connect(): Promise<void> {}

  async close(): Promise<void> {
    this.health$.next({ connected: false, stale: false, faults: [] });
  }

  /**
   * Holds `cmd` until the next command (copied: the caller may reuse its arrays). Gains: a
   * command's kp/kd arrays, when present, are used as given (0 means no gain); when absent the
   * JointSpec defaults apply. Real-time safe; throws AxonError COMMAND_SHAPE only for a target
   * array of the wrong length (a wiring bug, caught on the first tick).
   */
  command(cmd: JointCommand): void {
    this.hold.command(cmd, this.substeps);
  }

  /** Advances sim time by dt (s): round(dt / physicsDt) physics steps, actuators at each. */
  step(dt: number): void {
    const count = Math.round(dt / this.physicsDt);
    for (let k = 0; k < count; k++) this.substep();
  }

  /**
   * The latest observation, written into one reused object. time = physics steps × physicsDt;
   * seq = physics steps since reset (a robot not stepped returns the same seq). Real-time safe.
   */
  observe(): Observation {
    const obs = this.obs;
    this.readJoints();
    obs.time = this.substeps * this.physicsDt;
    obs.seq = this.substeps;
    const nz = this.noise;
    const rng = this.noiseRng;
    const qStd = nz.jointPosition ?? 0;
    const qdStd = nz.jointVelocity ?? 0;
    for (let i = 0; i < this.joints.length; i++) {
      obs.jointPosition[i] = qStd > 0 ? this.q[i] + qStd * rng.normal() : this.q[i];
      obs.jointVelocity[i] = qdStd > 0 ? this.qd[i] + qdStd * rng.normal() : this.qd[i];
      if (this.pdMode === 'implicit') this.actuatorEffort[i] = this.actuators.effortAfter(i, this.qd[i]);
      obs.jointEffort[i] = this.actuatorEffort[i];
    }
    if (obs.imu !== undefined) {
      const link = this.links[this.imuLink];
      const body = this.bodies[link.body].body;
      body.quaternion.mult(link.offsetQuat, _q1); // link orientation in world
      _q1.conjugate(_q2);
      _q2.vmult(body.angularVelocity, _v1);
      addNoise(_v1, nz.imuAngularVelocity ?? 0, nz.gyroBias, rng);
      writeVec(_v1, obs.imu.angularVelocity);
      _q2.vmult(this.imuAccWorld, _v1);
      addNoise(_v1, nz.imuLinearAcceleration ?? 0, nz.accelBias, rng);
      writeVec(_v1, obs.imu.linearAcceleration);
      perturbOrientation(_q1, nz.imuOrientation ?? 0, rng);
      writeQuat(_q1, obs.imu.orientation);
    }
    if (obs.contacts !== undefined) {
      const contacts = this.world.contacts;
      for (let s = 0; s < this.contactBodies.length; s++) {
        const body = this.contactBodies[s];
        let f = 0;
        for (let c = 0; c < contacts.length; c++) {
          const eq = contacts[c];
          if (eq.bi === body || eq.bj === body) f += eq.multiplier;
        }
        obs.contacts[s] = f;
      }
    }
    for (let k = 0; k < this.framePos.length; k++) {
      this.linkWorldPose(this.links[this.framePos[k].link], _v1, _q1);
      writeVec(_v1, this.framePos[k].out);
    }
    this.baseLinkPose(_v1, _q1);
    writeVec(_v1, this.baseObs.position);
    writeQuat(_q1, this.baseObs.orientation);
    const root = this.links[this.rootLink];
    const rootBody = this.bodies[root.body].body;
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

  /**
   * Back to the episode's initial state: joint positions placed by forward kinematics, joint
   * velocities, base at its initial pose and at rest, time 0, no command (zero effort).
   *
   * `reset()` replays the current episode's initial state (including any randomisation applied
   * with setEpisodeInitialState / setLinkMass). `reset(seed)` starts a new episode: it restores
   * the configured initial positions, zero velocities and the URDF masses, then runs the
   * randomizer (setRandomizer) with the seed, if one is installed.
   */
  reset(seed?: number): void {
    if (seed !== undefined) {
      this.initialPositions.set(this.configuredPositions);
      this.initialVelocities.fill(0);
      this.restoreNominalMasses();
      this.actuators.resetScales();
      this.hold.setLatency(0);
      this.noise = this.configuredNoise;
      this.noiseSeed = (seed ^ 0x5bd1e995) >>> 0;
      this.pushes.set(undefined, undefined);
      this.world.defaultContactMaterial.friction = this.configuredFriction;
      if (this.randomizer !== undefined) this.randomizer(this, seed);
    }
    if (this.world.solver instanceof WarmStartSolver) this.world.solver.forget();
    this.placeLinksFk(this.initialPositions);
    if (this.spawnOnGround) this.dropToGround();
    this.setVelocitiesFk(this.initialVelocities);
    for (const b of this.bodies) {
      const body = b.body;
      body.force.setZero();
      body.torque.setZero();
      body.vlambda.setZero();
      body.wlambda.setZero();
      body.previousPosition.copy(body.position);
      body.interpolatedPosition.copy(body.position);
      body.previousQuaternion.copy(body.quaternion);
      body.interpolatedQuaternion.copy(body.quaternion);
      body.aabbNeedsUpdate = true;
      body.updateInertiaWorld(true);
    }
    this.world.contacts.length = 0;
    this.world.time = 0;
    this.substeps = 0;
    this.hold.reset();
    this.noiseRng = new Rng(this.noiseSeed);
    this.pushes.reset();
    if (this.narrowphase !== undefined) {
      for (const l of this.narrowphase.load.values()) {
        l.normal = 0;
        l.count = 0;
      }
    }
    this.actuatorEffort.fill(0);
    if (this.imuLink >= 0) {
      this.imuPointVelocity(this.imuPrevVel);
      this.imuAccWorld.set(-this.gravity.x, -this.gravity.y, -this.gravity.z);
    }
    this.readJoints();
  }

  // ---- configuration and randomisation -------------------------------------------------------

  /**
   * The robot's configured initial joint positions (rad | m), robot joint order: used by every
   * reset from now on (also this episode's). Takes effect at the next reset.
   */
  setInitialPositions(positions: ArrayLike<number>): void {
    this.checkLength(positions, 'initialPositions');
    for (let i = 0; i < this.initialPositions.length; i++) {
      this.configuredPositions[i] = positions[i];
      this.initialPositions[i] = positions[i];
    }
  }

  /**
   * This episode's initial joint positions (rad | m) and optionally velocities (rad/s | m/s), e.g.
   * randomised; kept by reset(), replaced by the configured ones at reset(seed). Takes effect at
   * the next reset.
   */
  setEpisodeInitialState(positions: ArrayLike<number>, velocities?: ArrayLike<number>): void {
    this.checkLength(positions, 'initialPositions');
    for (let i = 0; i < this.initialPositions.length; i++) this.initialPositions[i] = positions[i];
    if (velocities !== undefined) {
      this.checkLength(velocities, 'initialVelocities');
      for (let i = 0; i < this.initialVelocities.length; i++) this.initialVelocities[i] = velocities[i];
    }
  }

  getInitialPositions(out: Float64Array = new Float64Array(this.initialPositions.length)): Float64Array {
    out.set(this.initialPositions);
    return out;
  }

  /** Installs what reset(seed) calls to randomise the episode; undefined removes it. */
  setRandomizer(randomizer: SimRandomizer | undefined): void {
    this.randomizer = randomizer;
  }

  /**
   * Actuator strength for this episode: per joint multipliers of kp, kd and the effort limit
   * (robot joint order; one number applies to every joint). Back to 1 at reset(seed).
   */
  setActuatorScale(kp: number | ArrayLike<number>, kd: number | ArrayLike<number>, effort: number | ArrayLike<number>): void {
    const put = (v: number | ArrayLike<number>, out: Float64Array, where: string) => {
      if (typeof v === 'number') {
        if (!(v >= 0 && Number.isFinite(v))) throw new AxonError('SIM_OPTION', where, `is ${v}`, 'a finite scale >= 0');
        out.fill(v);
        return;
      }
      this.checkLength(v, where);
      for (let i = 0; i < out.length; i++) {
        if (!(v[i] >= 0)) throw new AxonError('SIM_OPTION', `${where}[${i}]`, `is ${v[i]}`, 'a finite scale >= 0');
        out[i] = v[i];
      }
    };
    put(kp, this.kpScale, 'kpScale');
    put(kd, this.kdScale, 'kdScale');
    put(effort, this.effortScale, 'effortScale');
  }

  /**
   * Action latency for this episode (physics steps, 0..MAX_LATENCY_STEPS): a command acts that
   * many physics steps after command() received it. Back to 0 at reset(seed). Call between episodes.
   */
  setActionLatency(steps: number): void {
    this.hold.setLatency(steps);
  }

  get actionLatencySteps(): number {
    return this.hold.latencySteps;
  }

  /** Sensor noise for this episode (replaces the configured one until reset(seed)); its generator is seeded by `seed`. */
  setSensorNoise(noise: SimSensorNoise, seed: number): void {
    this.noise = noise;
    this.noiseSeed = seed >>> 0;
    this.noiseRng = new Rng(this.noiseSeed);
  }

  /** Ground friction coefficient for this episode (back to the configured one at reset(seed)). */
  setFriction(mu: number): void {
    if (!(mu >= 0 && Number.isFinite(mu))) throw new AxonError('SIM_OPTION', 'friction', `is ${mu}`, 'a finite coefficient >= 0');
    this.world.defaultContactMaterial.friction = mu;
  }

  get friction(): number {
    return this.world.defaultContactMaterial.friction;
  }

  /** Random pushes for this episode (undefined: none); cleared at reset(seed). Takes effect at the next reset. */
  setPushes(config: SimPushConfig | undefined): void {
    if (config !== undefined) checkPushConfig(config);
    this.pushes.set(config, config === undefined ? undefined : this.bodies[this.requireLink(config.link, 'pushes.link').body].body);
  }

  get pushConfig(): SimPushConfig | undefined {
    return this.pushes.config;
  }

  /** Pushes started since reset. */
  get pushCount(): number {
    return this.pushes.count;
  }

  /**
   * Scales every link of the body `linkName` belongs to (the links joined to it by fixed joints)
   * by `scale` × its URDF mass; the centre of mass stays, inertias scale with the mass. Takes
   * effect at once; call between episodes. Restored at reset(seed).
   */
  setBodyMassScale(linkName: string, scale: number): void {
    const link = this.requireLink(linkName, 'setBodyMassScale');
    if (!(scale > 0 && Number.isFinite(scale))) throw new AxonError('SIM_OPTION', `setBodyMassScale("${linkName}")`, `scale ${scale}`, 'a finite scale > 0');
    const info = this.bodies[link.body];
    if (info.isStatic) throw new AxonError('SIM_OPTION', `setBodyMassScale("${linkName}")`, 'the link is part of the fixed base', 'a moving link');
    for (const li of info.links) this.links[li].mass = this.nominalMass[li] * scale;
    this.applyMassProperties(info);
    for (const j of this.joints) this.updateLimitGains(j);
  }

  /**
   * A constant vector in Observation.extras (configure time: copies once, e.g. a reach target in
   * m); later calls with the same name overwrite the values in place.
   */
  setExtra(name: string, values: ArrayLike<number>): void {
    const cur = this.obs.extras[name];
    if (cur !== undefined && cur.length === values.length) cur.set(Array.from(values));
    else this.obs.extras[name] = Float32Array.from(values);
  }

  /**
   * Links with no mass of their own that ride on a body by fixed joints (IMU, camera and tool
   * mounts): named frames for sensors (imuLink, framePositions, linkPose).
   */
  frameNames(): string[] {
    return this.links.filter((l) => l.urdf.inertial === undefined && l.mass === 0 && l.index !== this.bodies[l.body].rootLink).map((l) => l.urdf.name);
  }

  /** Names of the links that head a body (one per moving cannon-es body), root first. */
  bodyLinkNames(): string[] {
    return this.bodies.filter((b) => !b.isStatic).map((b) => this.links[b.rootLink].urdf.name);
  }

  /** Moves every body vertically so the lowest collision shape touches z = 0 (reset time). */
  private dropToGround(): void {
    let minZ = Infinity;
    for (const b of this.bodies) {
      if (b.body.shapes.length === 0) continue;
      b.body.updateAABB();
      if (b.body.aabb.lowerBound.z < minZ) minZ = b.body.aabb.lowerBound.z;
    }
    if (!Number.isFinite(minZ)) return;
    for (const b of this.bodies) b.body.position.z -= minZ;
    this.fk.shiftZ(-minZ);
  }

  private restoreNominalMasses(): void {
    let changed = false;
    for (const link of this.links) {
      if (link.mass !== this.nominalMass[link.index]) {
        link.mass = this.nominalMass[link.index];
        this.applyMassProperties(this.bodies[link.body]);
        changed = true;
      }
    }
    if (changed) for (const j of this.joints) this.updateLimitGains(j);
  }

  /** Mass (kg) the simulation uses for a link (0 for a link without <inertial>). */
  linkMass(linkName: string): number {
    return this.links[this.requireLink(linkName, 'linkMass').index].mass;
  }

  /** The URDF's mass for a link (kg). */
  nominalLinkMass(linkName: string): number {
    return this.nominalMass[this.requireLink(linkName, 'nominalLinkMass').index];
  }

  /**
   * Sets a link's mass (kg), scaling its inertia by the same factor and keeping its centre of
   * mass. Supported for a link that is the only massive link of its body (not merged by fixed
   * joints with other massive links). Takes effect at once; call between episodes.
   */
  setLinkMass(linkName: string, kg: number): void {
    const link = this.links[this.requireLink(linkName, 'setLinkMass').index];
    const where = `setLinkMass("${linkName}")`;
    if (link.inertial === undefined) throw new AxonError('SIM_OPTION', where, 'the link has no <inertial>', 'a link with mass');
    if (!(kg > 0 && Number.isFinite(kg))) throw new AxonError('SIM_OPTION', where, `mass ${kg}`, 'a finite mass > 0 kg');
    const info = this.bodies[link.body];
    if (info.isStatic) throw new AxonError('SIM_OPTION', where, 'the link is part of the fixed base', 'a moving link');
    const others = info.links.filter((li) => li !== link.index && this.links[li].mass > 0);
    if (others.length > 0) throw new AxonError('SIM_OPTION', where, 'the link is merged by fixed joints with other massive links', 'the only massive link of its body');
    link.mass = kg;
    this.applyMassProperties(info);
    for (const j of this.joints) this.updateLimitGains(j);
  }

  /** Mass (kg) of the cannon-es body a link belongs to (measured from the engine). */
  bodyMass(linkName: string): number {
    return this.bodies[this.requireLink(linkName, 'bodyMass').body].body.mass;
  }

  /** The cannon-es body a link belongs to (for tests, viewers and experiments; do not hold across rebuilds). */
  bodyOf(linkName: string): Body {
    return this.bodies[this.requireLink(linkName, 'bodyOf').body].body;
  }

  /** Index of a joint of the spec by name, -1 if none. */
  jointIndex(name: string): number {
    return this.spec.joints.findIndex((j) => j.name === name);
  }

  /** Position (rad | m) and velocity of joint i now, read from the bodies. Writes into out[0..1]. */
  jointState(i: number, out: Float64Array = new Float64Array(2)): Float64Array {
    this.readJoint(i);
    out[0] = this.q[i];
    out[1] = this.qd[i];
    return out;
  }

  /** World pose of a link frame: position (m) into pos[0..2], orientation x y z w into quat[0..3]. */
  /**
   * Places the bodies at joint positions (robot joint order) and, for a floating base, a base link
   * pose (position m, orientation x y z w): for drawing a recorded run. Not a physics step:
   * velocities and forces are left alone, and the configured spawn pose is restored afterwards.
   */
  showPose(positions: ArrayLike<number>, basePosition?: ArrayLike<number>, baseOrientation?: ArrayLike<number>): void {
    const q = (this._showScratch ??= new Float64Array(this.spec.joints.length));
    for (let i = 0; i < q.length; i++) q[i] = positions[i];
    _showPos.copy(this.basePosition);
    _showQuat.copy(this.baseOrientation);
    if (basePosition) this.basePosition.set(basePosition[0], basePosition[1], basePosition[2]);
    if (baseOrientation) this.baseOrientation.set(baseOrientation[0], baseOrientation[1], baseOrientation[2], baseOrientation[3]);
    this.placeLinksFk(q);
    this.basePosition.copy(_showPos);
    this.baseOrientation.copy(_showQuat);
  }

  private _showScratch: Float64Array | undefined;

  linkPose(linkName: string, pos: Float64Array, quat: Float64Array): void {
    const link = this.links[this.requireLink(linkName, 'linkPose').index];
    this.linkWorldPose(link, _v1, _q1);
    pos[0] = _v1.x;
    pos[1] = _v1.y;
    pos[2] = _v1.z;
    quat[0] = _q1.x;
    quat[1] = _q1.y;
    quat[2] = _q1.z;
    quat[3] = _q1.w;
  }

  /**
   * How far joint i's constraint is from holding: distance (m) between the joint anchors in the
   * two bodies (for a slider: the part perpendicular to the axis), and angle (rad) between the two
   * bodies' copies of the joint axis.
   */
  jointError(i: number, out: Float64Array = new Float64Array(2)): Float64Array {
    const j = this.joints[i];
    j.bodyA.quaternion.vmult(j.pivotA, _v1);
    _v1.vadd(j.bodyA.position, _v1);
    j.bodyB.quaternion.vmult(j.pivotB, _v2);
    _v2.vadd(j.bodyB.position, _v2);
    _v2.vsub(_v1, _v3);
    j.bodyA.quaternion.vmult(j.axisA, _v4);
    j.bodyB.quaternion.vmult(j.axisB, _v5);
    if (j.prismatic) {
      const s = _v3.dot(_v4);
      _v3.set(_v3.x - s * _v4.x, _v3.y - s * _v4.y, _v3.z - s * _v4.z);
    }
    out[0] = _v3.length();
    out[1] = Math.acos(Math.min(1, Math.max(-1, _v4.dot(_v5))));
    return out;
  }

  /** Physics steps done since reset. */
  get stepCount(): number {
    return this.substeps;
  }

  // ---- physics step --------------------------------------------------------------------------

  /** Count of physics steps whose command was not finite (nothing applied instead). */
  get badEffortCount(): number {
    return this.actuators.badCommandCount;
  }

  private substep(): void {
    if (this.hold.pending > 0) this.hold.applyDue(this.substeps);
    this.readJoints();
    const n = this.joints.length;
    const mode = this.hold.mode;
    const act = this.actuators;
    const implicit = this.pdMode === 'implicit';
    const h = this.physicsDt;
    for (let i = 0; i < n; i++) {
      const j = this.joints[i];
      const s = j.spec;
      const q = this.q[i];
      const qd = this.qd[i];
      if (implicit) this.actuatorEffort[i] = act.effortAfter(i, qd); // what the last step's motor did
      const err = mode === 'position' ? (j.continuous ? wrapAngle(this.cmdTarget[i] - q) : this.cmdTarget[i] - q) : 0;
      act.compute(i, mode, this.cmdTarget[i], err, this.cmdKp[i], this.cmdKd[i], this.cmdFf[i], qd);
      let total = act.explicitEffort[i];
      if (implicit) {
        const drive = j.drive!;
        if (act.rowActive[i] === 1) drive.setDrive(act.rowTarget[i], act.rowCompliance[i], act.rowBound[i]);
        else drive.drive.enabled = false;
        drive.drive.commandHeld = this.cmdTarget[i] === this.prevDriveTarget[i];
        this.prevDriveTarget[i] = this.cmdTarget[i];
        drive.setFriction(h * act.friction[i]);
        // Joint limits: a hard one-sided row in the solver (sim/physics/JointDrive.ts setLimit).
        drive.setLimit(q, qd, s.lower, s.upper, h);
      } else {
        this.actuatorEffort[i] = total;
        total += act.passiveExplicit(i, qd);
        // Joint limits: a spring-damper outside [lower, upper].
        if (q > s.upper) total += -j.limitK * (q - s.upper) - (qd > 0 ? j.limitD * qd : 0);
        else if (q < s.lower) total += -j.limitK * (q - s.lower) - (qd < 0 ? j.limitD * qd : 0);
      }
      if (total !== 0) this.applyJointEffort(j, total);
    }
    this.pushes.apply(this.substeps);
    this.world.step(this.physicsDt);
    this.substeps++;
    this.pushes.advance(this.substeps);
    if (this.narrowphase?.coulomb) this.updateContactLoads();
    if (this.imuLink >= 0) {
      this.imuPointVelocity(_v1);
      const inv = 1 / this.physicsDt;
      this.imuAccWorld.set(
        (_v1.x - this.imuPrevVel.x) * inv - this.gravity.x,
        (_v1.y - this.imuPrevVel.y) * inv - this.gravity.y,
        (_v1.z - this.imuPrevVel.z) * inv - this.gravity.z,
      );
      this.imuPrevVel.copy(_v1);
    }
  }

  /** Normal force and contact count per robot body in the step just taken (Coulomb friction). */
  private updateContactLoads(): void {
    const load = this.narrowphase!.load;
    const margin = this.narrowphase!.margin;
    for (const l of load.values()) {
      l.normal = 0;
      l.count = 0;
    }
    const contacts = this.world.contacts;
    for (let c = 0; c < contacts.length; c++) {
      const eq = contacts[c];
      const l = load.get(eq.bi) ?? load.get(eq.bj);
      if (l === undefined) continue;
      const f = eq.multiplier > 0 ? eq.multiplier : 0;
      if (f === 0 && margin > 0) continue; // a speculative contact (within the margin) that carried nothing
      l.normal += f;
      l.count++;
    }
  }

  private applyJointEffort(j: JointInfo, effort: number): void {
    const A = j.bodyA;
    const B = j.bodyB;
    A.quaternion.vmult(j.axisA, _v1); // world axis
    if (j.prismatic) {
      // Force along the axis at B's anchor; the reaction on A at the same world point.
      B.quaternion.vmult(j.pivotB, _v2); // anchor relative to B's centre
      _v3.set(_v1.x * effort, _v1.y * effort, _v1.z * effort);
      B.applyForce(_v3, _v2);
      _v4.set(B.position.x + _v2.x - A.position.x, B.position.y + _v2.y - A.position.y, B.position.z + _v2.z - A.position.z);
      _v3.negate(_v3);
      A.applyForce(_v3, _v4);
    } else {
      const tx = _v1.x * effort;
      const ty = _v1.y * effort;
      const tz = _v1.z * effort;
      B.torque.x += tx;
      B.torque.y += ty;
      B.torque.z += tz;
      if (A.type === Body.DYNAMIC) {
        A.torque.x -= tx;
        A.torque.y -= ty;
        A.torque.z -= tz;
      }
    }
  }

  private readJoints(): void {
    for (let i = 0; i < this.joints.length; i++) this.readJoint(i);
  }

  /**
   * Joint angle: relative rotation conj(qA)·qB times the inverse zero-pose relative rotation,
   * angle = 2·atan2(dot(xyz, axis), w) in (-π, π] (revolute and continuous joints both wrap).
   * Rate = dot(ωB − ωA, world axis). Slider: displacement of B's anchor from A's along the world
   * axis, and its time derivative.
   */
  private readJoint(i: number): void {
    const j = this.joints[i];
    const A = j.bodyA;
    const B = j.bodyB;
    A.quaternion.vmult(j.axisA, _v1); // world axis
    if (!j.prismatic) {
      A.quaternion.conjugate(_q1);
      _q1.mult(B.quaternion, _q2);
      _q2.mult(j.rel0Inv, _q3);
      let s = _q3.x * j.axisA.x + _q3.y * j.axisA.y + _q3.z * j.axisA.z;
      let w = _q3.w;
      if (w < 0) {
        s = -s;
        w = -w;
      }
      this.q[i] = 2 * Math.atan2(s, w);
      this.qd[i] =
        (B.angularVelocity.x - A.angularVelocity.x) * _v1.x +
        (B.angularVelocity.y - A.angularVelocity.y) * _v1.y +
        (B.angularVelocity.z - A.angularVelocity.z) * _v1.z;
    } else {
      A.quaternion.vmult(j.pivotA, _v2); // rA
      B.quaternion.vmult(j.pivotB, _v3); // rB
      // d = anchorB - anchorA
      _v4.set(B.position.x + _v3.x - A.position.x - _v2.x, B.position.y + _v3.y - A.position.y - _v2.y, B.position.z + _v3.z - A.position.z - _v2.z);
      this.q[i] = _v4.dot(_v1);
      // d/dt(d·axis) = (vB + ωB×rB − vA − ωA×rA)·axis + d·(ωA×axis)
      B.angularVelocity.cross(_v3, _v5);
      let rate = (B.velocity.x + _v5.x) * _v1.x + (B.velocity.y + _v5.y) * _v1.y + (B.velocity.z + _v5.z) * _v1.z;
      A.angularVelocity.cross(_v2, _v5);
      rate -= (A.velocity.x + _v5.x) * _v1.x + (A.velocity.y + _v5.y) * _v1.y + (A.velocity.z + _v5.z) * _v1.z;
      A.angularVelocity.cross(_v1, _v5);
      rate += _v4.dot(_v5);
      this.qd[i] = rate;
    }
  }

  // ---- construction helpers ------------------------------------------------------------------

  private requireLink(name: string, where: string): LinkInfo {
    const i = this.linkIndex.get(name);
    if (i === undefined) {
      throw new AxonError('SIM_UNKNOWN_LINK', `${where}: "${name}"`, `robot ${this.model.name} has no such link`, this.links.map((l) => l.urdf.name).join(', '));
    }
    return this.links[i];
  }

  private checkLength(values: ArrayLike<number>, where: string): void {
    const n = this.joints.length;
    if (values.length !== n) throw new AxonError('SIM_OPTION', where, `has ${values.length} values`, `${n}, one per joint`);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(values[i])) throw new AxonError('SIM_OPTION', `${where}[${i}]`, `is ${values[i]}`, 'a finite number');
    }
  }

  /** Mass properties of a body from its links' current masses, with the joints' armature (sim/build/massProperties.ts). */
  private applyMassProperties(info: BodyInfo): void {
    applyMassProperties(info, this.links, this.actuators === undefined ? undefined : { model: this.armatureModel, joints: this.joints, values: this.actuators.armature });
  }

  private updateLimitGains(j: JointInfo): void {
    updateLimitGains(j, this.physicsDt);
  }

  /** Places every body by forward kinematics from joint positions (undefined: zero pose). */
  private placeLinksFk(positions: Float64Array | undefined): void {
    this.fk.place(this.basePosition, this.baseOrientation, positions);
    this.fk.placeBodies(this.bodies);
  }

  /** Sets body velocities from joint velocities, propagating link twists down the tree (base at rest). */
  private setVelocitiesFk(velocities: Float64Array): void {
    this.fk.twists(velocities);
    this.fk.setBodyVelocities(this.bodies);
  }

  private linkWorldPose(link: LinkInfo, outP: Vec3, outQ: Quaternion): void {
    const body = this.bodies[link.body].body;
    composePose(body.position, body.quaternion, link.offsetPos, link.offsetQuat, outP, outQ);
  }

  private baseLinkPose(outP: Vec3, outQ: Quaternion): void {
    this.linkWorldPose(this.links[this.linkIndex.get(this.model.root)!], outP, outQ);
  }

  /** World velocity of the IMU link's origin (m/s). */
  private imuPointVelocity(out: Vec3): void {
    const link = this.links[this.imuLink];
    const body = this.bodies[link.body].body;
    body.quaternion.vmult(link.offsetPos, _v4);
    body.angularVelocity.cross(_v4, _v5);
    body.velocity.vadd(_v5, out);
  }
}

/** v += std·N(0, 1) per axis + bias (allocation-free). */
function writeVec(v: Vec3, out: Float32Array): void {
  out[0] = v.x;
  out[1] = v.y;
  out[2] = v.z;
}

function writeQuat(q: Quaternion, out: Float32Array): void {
  out[0] = q.x;
  out[1] = q.y;
  out[2] = q.z;
  out[3] = q.w;
}
