import { BehaviorSubject } from 'rxjs';
import type { Body, Vec3, World } from 'cannon-es';
import { AxonError } from '../src/core/errors.ts';
import type { JointCommand, JointSpec, Observation, RobotHealth, RobotSpec, SimulatedRobot } from '../src/core/robot.ts';
import { CommandHold } from './CommandHold.ts';
import { WarmStartSolver } from './physics/WarmStartSolver.ts';
import type { RobotNarrowphase } from './physics/RobotNarrowphase.ts';
import { constraintError, readJoint } from './physics/jointCoordinates.ts';
import { checkPushConfig, Pushes, type SimPushConfig } from './perturb/Pushes.ts';
import type { SimSensorNoise } from './sensors/SensorNoise.ts';
import { linkWorldPoseInto, resolveSensors, SimSensors } from './sensors/SimSensors.ts';
import { RobotPlacement } from './kinematics/RobotPlacement.ts';
import { Actuators, type PdIntegration } from './actuators/Actuators.ts';
import { JointEfforts } from './actuators/JointEfforts.ts';
import { InitialJointState } from './InitialJointState.ts';
import type { UrdfModel, UrdfNote } from './urdf/parseUrdf.ts';
import { startPose } from './urdf/floatingBase.ts';
import type { MeshCollisionReport } from './mesh/meshCollision.ts';
import { addGround, buildBodies, groupLinks, LinkMasses, makeJoints, makeLinks, makeWorld, MimicJoints, settleInertials, type BodyInfo, type JointInfo, type LinkInfo } from './build/index.ts';
import { MimicCouplings } from './physics/MimicCoupling.ts';
import type { SimRobotOptions } from './SimRobotOptions.ts';

export type { SimPushConfig } from './perturb/Pushes.ts';
export type { SimSensorNoise } from './sensors/SensorNoise.ts';
export type { SimJointDefaults, SimRobotOptions } from './SimRobotOptions.ts';
export { DEFAULT_CONTACT_MARGIN } from './SimRobotOptions.ts';
export { DEFAULT_LINK_INERTIAL } from './build/index.ts';

/** Called by reset(seed) before the bodies are placed: sets initial positions, masses, ... */
export type SimRandomizer = (robot: SimRobot, seed: number) => void;

export { MAX_LATENCY_STEPS } from './CommandHold.ts';

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
  /** Configured initial joint state (options / setInitialPositions) and this episode's (may be randomised). */
  private readonly initial: InitialJointState;
  /** Link masses apart from the URDF's (sim/build/LinkMasses.ts). */
  private readonly masses: LinkMasses;
  /** The observation and its sensors: joints, IMU, contacts, frames, base, noise (sim/sensors/SimSensors.ts). */
  private readonly sensors: SimSensors;
  /** Held command and action latency (sim/CommandHold.ts, shared with the MuJoCo robot). */
  private readonly hold: CommandHold;
  /** Each joint's effort or solver rows at a physics step (sim/actuators/JointEfforts.ts). */
  private readonly efforts: JointEfforts;
  private substeps = 0;
  private randomizer: SimRandomizer | undefined;
  // Actuator strength (per joint multipliers of kp, kd and the effort limit), 1 = nominal: the actuators' arrays.
  readonly kpScale: Float64Array;
  readonly kdScale: Float64Array;
  readonly effortScale: Float64Array;
  private readonly pdMode: PdIntegration;
  private readonly armatureModel: 'isotropic' | 'axis' | 'joint';
  // Pushes.
  private readonly pushes: Pushes;
  // Contacts, friction.
  private readonly configuredFriction: number;
  private readonly narrowphase: RobotNarrowphase | undefined;
  /** Puts the bodies at the episode's initial state or a recorded pose (sim/kinematics/RobotPlacement.ts). */
  private readonly placement: RobotPlacement;
  /** Joints that follow another (URDF <mimic>) and their couplings. */
  private readonly mimic: MimicJoints;
  private readonly couplings: MimicCouplings;

  constructor(model: UrdfModel, options: SimRobotOptions = {}) {
    this.model = model;
    const h = (this.physicsDt = options.physicsDt ?? 0.002);
    if (!(h > 0 && h < 0.1)) throw new AxonError('SIM_OPTION', 'physicsDt', `is ${h}`, 'a step in (0, 0.1) s');
    this.pushes = new Pushes(h);
    this.pdMode = options.pd ?? 'explicit';
    this.notes = [...(model.notes ?? [])];
    this.armatureModel = options.armatureModel ?? (this.pdMode === 'implicit' ? 'isotropic' : 'axis');
    if (this.armatureModel === 'joint' && this.pdMode !== 'implicit') throw new AxonError('SIM_OPTION', 'armatureModel', "is 'joint' with pd 'explicit'", "'isotropic' or 'axis' (only an implicit drive row can carry the armature)");
    ({ world: this.world, gravity: this.gravity, narrowphase: this.narrowphase } = makeWorld(options, this.pdMode === 'implicit', h));
    const world = this.world;
    this.configuredFriction = world.defaultContactMaterial.friction;

    // ---- links, fixed-joint groups, base, bodies (sim/build) -----------------------------------
    ({ links: this.links, linkIndex: this.linkIndex } = makeLinks(model));
    this.rootLink = this.linkIndex.get(model.root)!;
    const groups = groupLinks(model, this.links, this.linkIndex);
    this.fixedBase = settleInertials(model, this.links, groups, options, this.notes);
    this.bodies = buildBodies(model, this.links, groups, world, { ...options, fixedBase: this.fixedBase }, this.meshReports, this.notes);
    if (options.ground ?? !this.fixedBase) addGround(world);
    // A stated floating base's <origin> is where the base starts, unless the options say (docs/urdf.md, "Start pose").
    this.placement = new RobotPlacement(model, this.linkIndex, this.bodies, { ...options, ...startPose(options, model, !this.fixedBase) });

    // ---- joints, spec ------------------------------------------------------------------------
    this.placement.place(undefined);
    const { specs: jointSpecs, joints } = makeJoints(model, options, { links: this.links, linkIndex: this.linkIndex, bodies: this.bodies, world, physicsDt: h, implicit: this.pdMode === 'implicit' }, this.notes);
    this.joints = joints;
    // <mimic> followers: coupled to their leaders, never driven (sim/physics/MimicCoupling.ts).
    this.mimic = new MimicJoints(jointSpecs);
    this.couplings = new MimicCouplings(joints, this.mimic, world);
    const sensorsAt = resolveSensors(options, this.bodies, (name, where) => this.requireLink(name, where));
    this.spec = { name: options.name ?? model.name, joints: jointSpecs, sensors: sensorsAt.spec, controlModes: ['position', 'velocity', 'effort'] };

    const n = jointSpecs.length;
    this.actuators = new Actuators(n, h, this.pdMode, {
      effortLimit: jointSpecs.map((j) => j.effortLimit),
      velocityLimit: jointSpecs.map((j) => j.velocityLimit),
      damping: this.joints.map((j) => j.urdf.damping),
      friction: this.joints.map((j) => j.urdf.friction),
    }, this.armatureModel === 'joint');
    this.joints.forEach((j, i) => this.actuators.configure(i, options.jointDefaults?.[j.urdf.name] ?? {}, `jointDefaults.${j.urdf.name}`));
    this.masses = new LinkMasses(this.links, this.bodies, this.joints, { model: this.armatureModel, values: this.actuators.armature }, h);
    if (this.armatureModel !== 'joint' && this.actuators.armature.some((a) => a > 0)) for (const b of this.bodies) this.masses.applyMassProperties(b);
    this.q = new Float64Array(n);
    this.qd = new Float64Array(n);
    this.actuatorEffort = new Float64Array(n);
    this.hold = new CommandHold(jointSpecs, this.spec.name);
    this.efforts = new JointEfforts(this.joints, this.actuators, this.mimic, this.actuatorEffort);
    this.initial = new InitialJointState(jointSpecs.map((j) => j.defaultPosition));
    if (options.initialPositions !== undefined) this.setInitialPositions(options.initialPositions);
    this.kpScale = this.actuators.kpScale;
    this.kdScale = this.actuators.kdScale;
    this.effortScale = this.actuators.effortScale;
    if (this.narrowphase !== undefined) for (const b of this.bodies) if (!b.isStatic) this.narrowphase.load.set(b.body, { normal: 0, count: 0 });
    this.sensors = new SimSensors(this.spec, {
      links: this.links,
      bodies: this.bodies,
      world,
      gravity: this.gravity,
      physicsDt: h,
      rootLink: this.rootLink,
      ...sensorsAt.at,
      pushForce: this.pushes.obs,
      noise: options.sensorNoise ?? {},
    });
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
    this.readJoints();
    this.efforts.readImplicit(this.qd); // pd 'implicit': the effort the last step's motor did
    return this.sensors.read(this.substeps, this.q, this.qd, this.actuatorEffort);
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
      this.initial.restore();
      this.masses.restore();
      this.actuators.resetScales();
      this.hold.setLatency(0);
      this.sensors.restoreNoise(seed);
      this.pushes.set(undefined, undefined);
      this.world.defaultContactMaterial.friction = this.configuredFriction;
      if (this.randomizer !== undefined) this.randomizer(this, seed);
    }
    if (this.world.solver instanceof WarmStartSolver) this.world.solver.forget();
    this.couplings.start(this.initial.positions, this.initial.velocities); // followers start where their leaders put them
    this.placement.reset(this.initial.positions, this.initial.velocities);
    this.world.contacts.length = 0;
    this.world.time = 0;
    this.substeps = 0;
    this.hold.reset();
    this.pushes.reset();
    this.narrowphase?.clearLoads();
    this.actuatorEffort.fill(0);
    this.sensors.reset();
    this.readJoints();
  }

  // ---- configuration and randomisation -------------------------------------------------------

  /**
   * The robot's configured initial joint positions (rad | m), robot joint order: used by every
   * reset from now on (also this episode's). Takes effect at the next reset.
   */
  setInitialPositions(positions: ArrayLike<number>): void {
    this.initial.configure(positions);
  }

  /**
   * This episode's initial joint positions (rad | m) and optionally velocities (rad/s | m/s), e.g.
   * randomised; kept by reset(), replaced by the configured ones at reset(seed). Takes effect at
   * the next reset.
   */
  setEpisodeInitialState(positions: ArrayLike<number>, velocities?: ArrayLike<number>): void {
    this.initial.setEpisode(positions, velocities);
  }

  getInitialPositions(out: Float64Array = new Float64Array(this.initial.positions.length)): Float64Array {
    out.set(this.initial.positions);
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
    this.actuators.setScales(kp, kd, effort);
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
    this.sensors.setNoise(noise, seed);
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
    this.masses.scaleBody(this.requireLink(linkName, 'setBodyMassScale'), scale);
  }

  /**
   * A constant vector in Observation.extras (configure time: copies once, e.g. a reach target in
   * m); later calls with the same name overwrite the values in place.
   */
  setExtra(name: string, values: ArrayLike<number>): void {
    const extras = this.sensors.obs.extras;
    const cur = extras[name];
    if (cur !== undefined && cur.length === values.length) cur.set(Array.from(values));
    else extras[name] = Float32Array.from(values);
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

  /** Mass (kg) the simulation uses for a link (0 for a link without <inertial>). */
  linkMass(linkName: string): number {
    return this.requireLink(linkName, 'linkMass').mass;
  }

  /** The URDF's mass for a link (kg). */
  nominalLinkMass(linkName: string): number {
    return this.masses.nominalMass(this.requireLink(linkName, 'nominalLinkMass'));
  }

  /**
   * Sets a link's mass (kg), scaling its inertia by the same factor and keeping its centre of
   * mass. Supported for a link that is the only massive link of its body (not merged by fixed
   * joints with other massive links). Takes effect at once; call between episodes.
   */
  setLinkMass(linkName: string, kg: number): void {
    this.masses.setLinkMass(this.requireLink(linkName, 'setLinkMass'), kg);
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
    readJoint(this.joints[i], this.q, this.qd, i);
    out[0] = this.q[i];
    out[1] = this.qd[i];
    return out;
  }

  /**
   * Places the bodies at joint positions (robot joint order) and, for a floating base, a base link
   * pose (position m, orientation x y z w): for drawing a recorded run. Not a physics step:
   * velocities and forces are left alone, and the configured spawn pose is restored afterwards.
   */
  showPose(positions: ArrayLike<number>, basePosition?: ArrayLike<number>, baseOrientation?: ArrayLike<number>): void {
    this.placement.showPose(positions, basePosition, baseOrientation);
  }

  /** How far (m) the last reset moved the base up to put the robot on the ground (spawnOnGround; negative: down; 0: not moved). */
  get groundLift(): number {
    return this.placement.lift;
  }

  /** World pose of a link frame: position (m) into pos[0..2], orientation x y z w into quat[0..3]. */
  linkPose(linkName: string, pos: Float64Array, quat: Float64Array): void {
    linkWorldPoseInto(this.bodies, this.requireLink(linkName, 'linkPose'), pos, quat);
  }

  /**
   * How far joint i's constraint is from holding: distance (m) between the joint anchors in the
   * two bodies (for a slider: the part perpendicular to the axis), and angle (rad) between the two
   * bodies' copies of the joint axis.
   */
  jointError(i: number, out: Float64Array = new Float64Array(2)): Float64Array {
    return constraintError(this.joints[i], out);
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
    this.efforts.apply(this.hold, this.q, this.qd);
    this.couplings.update(this.q);
    this.pushes.apply(this.substeps);
    this.world.step(this.physicsDt);
    this.substeps++;
    this.pushes.advance(this.substeps);
    if (this.narrowphase?.coulomb) this.narrowphase.measureLoads(this.world.contacts);
    this.sensors.afterStep();
  }

  /** Joint positions and velocities from the bodies into q, qd (sim/physics/jointCoordinates.ts). */
  private readJoints(): void {
    for (let i = 0; i < this.joints.length; i++) readJoint(this.joints[i], this.q, this.qd, i);
  }

  // ---- construction helpers ------------------------------------------------------------------

  private requireLink(name: string, where: string): LinkInfo {
    const i = this.linkIndex.get(name);
    if (i === undefined) {
      throw new AxonError('SIM_UNKNOWN_LINK', `${where}: "${name}"`, `robot ${this.model.name} has no such link`, this.links.map((l) => l.urdf.name).join(', '));
    }
    return this.links[i];
  }
}
