import { simGainBounds } from '../../src/safety/gainBounds.ts';
import { BehaviorSubject } from 'rxjs';
import { Vec3, type Body } from 'cannon-es';
import type { MainModule, MjData, MjModel } from '@mujoco/mujoco';
import { AxonError } from '../../src/core/errors.ts';
import type { JointCommand, JointSpec, Observation, RobotHealth, RobotSpec, SimulatedRobot } from '../../src/core/robot.ts';
import { CommandHold } from '../CommandHold.ts';
import { Pushes, type SimPushConfig } from '../perturb/Pushes.ts';
import type { SimSensorNoise } from '../sensors/SensorNoise.ts';
import type { UrdfNote } from '../urdf/parseUrdf.ts';
import { floatingBase, type FloatingBase } from './floatingBase.ts';
import { MujocoActuators } from './MujocoActuators.ts';
import { MujocoHardLimits } from './MujocoHardLimits.ts';
import { MujocoStepState } from './MujocoStepState.ts';
import { MujocoWarnings } from './MujocoWarnings.ts';
import { wrapAngle } from '../physics/frames.ts';
import { MujocoMasses } from './MujocoMasses.ts';
import { MujocoPlacement } from './MujocoPlacement.ts';
import type { MujocoRobotOptions } from './MujocoRobotOptions.ts';
import { MujocoSensors } from './MujocoSensors.ts';
import { MujocoViews } from './MujocoViews.ts';
import { MimicJoints } from '../build/mimicJoints.ts';
import { mujocoName } from './loadMujoco.ts';

export type { MujocoJointDesc, MujocoRobotOptions } from './MujocoRobotOptions.ts';

/** Called by reset(seed) before the state is placed (randomisation), as SimRobot's. */
export type MujocoRandomizer = (robot: MujocoRobot, seed: number) => void;

/**
 * A robot in MuJoCo (the official WebAssembly build), behind the same SimulatedRobot contract as
 * the cannon-es SimRobot: tasks, randomisation (the same draws), sensor noise, pushes and the state
 * watchdog are shared; only building, stepping and reading state are MuJoCo's.
 *
 * Actuation (sim/mujoco/MujocoActuators.ts): axon's PD law written into one MuJoCo "general"
 * actuator per joint every physics step, so that MuJoCo's implicitfast integrator solves the
 * damping term; armature, damping and Coulomb friction are MuJoCo's joint ones. Velocity limits are
 * reported in the spec (the state watchdog uses them), as the cannon-es side.
 *
 * Sensors (sim/mujoco/MujocoSensors.ts): joint position/velocity from qpos/qvel (continuous joints
 * wrapped to (−π, π]); effort = what each actuator applied over the last step; IMU, contacts, link frames
 * and the base (pose, velocity, centre of mass) as the cannon-es side. Reset placement (base pose,
 * spawn on the ground): sim/mujoco/MujocoPlacement.ts; mass randomisation:
 * sim/mujoco/MujocoMasses.ts.
 *
 * Real-time rules: observe(), command() and step() allocate nothing (the array views into the
 * WebAssembly heap, sim/mujoco/MujocoViews.ts, are fetched again only when the heap has grown,
 * which detaches them).
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
  /** Per-episode strength multipliers of kp, kd and the effort limit (1 = nominal; the actuators'). */
  readonly kpScale: Float64Array;
  readonly kdScale: Float64Array;
  readonly effortScale: Float64Array;
  /** Joint positions and velocities after the last step (rad | m; robot joint order). */
  readonly q: Float64Array;
  readonly qd: Float64Array;
  /** Joint efforts after the last step (N·m | N; robot joint order), for observe(). */
  private readonly effort: Float32Array;

  private readonly o: MujocoRobotOptions;
  private readonly n: number;
  private readonly qadr: Int32Array;
  private readonly vadr: Int32Array;
  /** Where the floating base sits in qpos / qvel (a free joint, or slides and a ball); undefined on a fixed base. */
  readonly floatingBase: FloatingBase | undefined;
  private readonly bodyIndex = new Map<string, number>();
  /** Body masses apart from the compiled model's (sim/mujoco/MujocoMasses.ts). */
  private readonly masses: MujocoMasses;
  /** The observation and its sensors: joints, IMU, contacts, frames, base, noise (sim/mujoco/MujocoSensors.ts). */
  private readonly sensors: MujocoSensors;
  /** Puts the state at the episode's initial one at reset (sim/mujoco/MujocoPlacement.ts). */
  private readonly placement: MujocoPlacement;
  /** The PD law and joint dynamics written into MuJoCo (sim/mujoco/MujocoActuators.ts). */
  private readonly actuators: MujocoActuators;
  // Held command and action latency (sim/CommandHold.ts, shared with SimRobot).
  private readonly hold: CommandHold;
  private substeps = 0;
  /** Steps taken again by the effort guard (guardStepCount), and the state each step starts from, kept to take it again. */
  private guardSteps = 0;
  private readonly before: MujocoStepState;
  /** MuJoCo's reset on a bad qpos, qvel or qacc, read after every mj_step (sim/mujoco/MujocoWarnings.ts). */
  private readonly warnings: MujocoWarnings;
  // Initial state.
  private readonly configuredPositions: Float64Array;
  private readonly initialPositions: Float64Array;
  private readonly initialVelocities: Float64Array;
  /** Joints that follow another (URDF <mimic>): placed from their leaders at reset. */
  private readonly mimic: MimicJoints;
  private randomizer: MujocoRandomizer | undefined;
  private episodeDraw: MujocoRandomizer | undefined;
  // Pushes, friction.
  private readonly pushes: Pushes;
  private readonly pushBody = { force: new Vec3() };
  private pushBodyId = -1;
  private frictionNow: number;
  /** Array views into the WebAssembly heap, all refreshed together when the heap grows (sim/mujoco/MujocoViews.ts). */
  private readonly views: MujocoViews;

  constructor(mj: MainModule, model: MjModel, o: MujocoRobotOptions) {
    this.mj = mj;
    this.model = model;
    this.o = o;
    this.physicsDt = o.physicsDt;
    this.notes = [...(o.notes ?? [])];
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
    for (let b = 0; b < model.nbody; b++) this.bodyIndex.set(mujocoName(mj, model, OBJ_BODY, b), b);
    this.bodyIndex.delete(''); // unnamed bodies: no name to find them by
    this.qadr = new Int32Array(n);
    this.vadr = new Int32Array(n);
    const jq = model.jnt_qposadr as Int32Array;
    const jv = model.jnt_dofadr as Int32Array;
    o.joints.forEach((j, i) => {
      const id = mj.mj_name2id(model, OBJ_JOINT, j.name);
      if (id < 0) throw new AxonError('MUJOCO_MODEL', j.name, `is not a joint of the compiled ${o.name}`, 'every moving joint of the URDF');
      this.qadr[i] = jq[id];
      this.vadr[i] = jv[id];
      // Actuator i must drive joint i (the loader adds them in joint order), or for a <mimic> follower
      // riding on its group's joints the tendon compileUrdf.ts made for it, over the joint first.
      const t = (model.actuator_trnid as Int32Array)[2 * i];
      if ((model.actuator_trntype as Int32Array)[i] !== mj.mjtTrn.mjTRN_TENDON.value) {
        if (t !== id) throw new AxonError('MUJOCO_MODEL', j.name, `actuator ${i} drives another joint`, 'actuators in joint order');
      } else if (j.mimic === undefined || mujocoName(mj, model, mj.mjtObj.mjOBJ_TENDON.value, t) !== `axon_mimic_${j.name}` || (model.wrap_objid as Int32Array)[(model.tendon_adr as Int32Array)[t]] !== id)
        throw new AxonError('MUJOCO_MODEL', j.name, `actuator ${i} drives tendon ${mujocoName(mj, model, mj.mjtObj.mjOBJ_TENDON.value, t) || t}`, `actuators in joint order, on a tendon only for a <mimic> follower (axon_mimic_${j.name}, over the joint)`);
    });
    const rootBody = body(o.rootLink, 'rootLink');
    const fb = o.floating ? floatingBase(mj, model, rootBody, o.name) : undefined;
    if (o.floating && !fb) throw new AxonError('MUJOCO_MODEL', o.rootLink, 'has no free joint (nor three slides and a ball)', 'a floating base');
    this.floatingBase = fb;
    const imuBody = o.imuLink === undefined ? -1 : body(o.imuLink, 'imuLink');
    const contactBodies = (o.contactSensors ?? []).map((name) => body(name, 'contactSensors'));
    const framePositions = Object.entries(o.framePositions ?? {}).map(([name, link]) => ({ name, body: body(link, `framePositions.${name}`) }));
    const imuFrames = [...new Set(o.imuFrames ?? [])].map((link) => ({ name: link, body: body(link, 'imuFrames') }));
    this.masses = new MujocoMasses(model);

    // Joint dynamics (by the actuators) and the contact filter, written into the compiled model.
    const limits = new MujocoHardLimits(mj, model, o.joints, o.physicsDt);
    this.actuators = new MujocoActuators(model, o.joints, this.qadr, this.vadr, o.pd === 'implicit', o.physicsDt, limits.count > 0 ? limits : undefined);
    const gb = model.geom_bodyid as Int32Array;
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
    this.actuators.mimic.bind(mj, model);
    this.actuators.bind(mj, model, this.data);
    this.views = new MujocoViews(model, this.data);
    this.before = new MujocoStepState(model);
    this.warnings = new MujocoWarnings(mj, this.data);

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
      // The gains a command may carry (src/safety/gainBounds.ts; docs/safety.md, "Gain bounds").
      ...simGainBounds(j),
      ...(j.mimic ? { mimic: j.mimic } : {}),
    }));
    this.spec = {
      name: o.name,
      joints: specs,
      sensors: { imu: imuBody >= 0, contacts: [...(o.contactSensors ?? [])], baseVelocity: true, baseCom: true, ...(imuFrames.length > 0 ? { imuFrames: imuFrames.map((f) => f.name) } : {}) },
      controlModes: ['position', 'velocity', 'effort'],
    };
    this.kpScale = this.actuators.kpScale;
    this.kdScale = this.actuators.kdScale;
    this.effortScale = this.actuators.effortScale;
    this.q = new Float64Array(n);
    this.qd = new Float64Array(n);
    this.effort = new Float32Array(n);
    this.hold = new CommandHold(specs, o.name);
    this.configuredPositions = Float64Array.from(specs, (j) => j.defaultPosition);
    this.initialPositions = Float64Array.from(specs, (j) => j.defaultPosition);
    this.initialVelocities = new Float64Array(n);
    this.mimic = new MimicJoints(specs);
    this.pushes = new Pushes(o.physicsDt);
    this.sensors = new MujocoSensors(this.spec, mj, model, this.data, this.views, o, { root: rootBody, imu: imuBody, contacts: contactBodies, frames: framePositions, imuFrames }, this.pushes.obs);
    this.placement = new MujocoPlacement(mj, model, this.data, this.views, { qadr: this.qadr, vadr: this.vadr, base: this.floatingBase }, o);
    this.reset();
  }

  // ---- Robot ---------------------------------------------------------------------------------

  async connect(): Promise<void> {}

  async close(): Promise<void> {
    this.health$.next({ connected: false, stale: false, faults: [] });
  }

  /** Frees the MuJoCo model and data (the robot is unusable after). */
  dispose(): void {
    this.actuators.dispose();
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
    this.views.refreshIfDetached();
    for (let k = 0; k < count; k++) this.substep();
    this.sensors.afterSteps();
    this.readJoints();
  }

  observe(): Observation {
    // Effort: each law at the velocity after the last step, what MuJoCo's implicit step applied (sim/mujoco/MujocoActuators.ts).
    if (this.substeps > 0) this.actuators.efforts(this.views.qvel, this.effort);
    return this.sensors.read(this.substeps, this.q, this.qd, this.effort);
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
      this.masses.restore();
      this.kpScale.fill(1);
      this.kdScale.fill(1);
      this.effortScale.fill(1);
      this.hold.setLatency(0);
      this.sensors.restoreNoise(seed);
      this.pushes.set(undefined, undefined);
      this.pushBodyId = -1;
      if (this.o.friction !== undefined) this.applyFriction(this.o.friction);
      this.episodeDraw?.(this, seed);
      if (this.randomizer !== undefined) this.randomizer(this, seed);
      mj.mj_setConst(m, d);
    }
    mj.mj_resetData(m, d);
    this.views.refresh();
    // mj_resetData zeroes ctrl but not the model's actuator bias (b1, b2) or the mimic equalities'
    // per-step solref: the placement's forward pass would run the last episode's law and the first
    // step read its forces as the other forces on each joint. An episode is a function of (config,
    // index, seed) alone (docs/eval.md).
    this.actuators.reset(this.views);
    this.mimic.project(this.initialPositions, this.initialVelocities); // followers start on their equality
    this.placement.reset(this.initialPositions, this.initialVelocities);
    this.substeps = 0;
    this.sensors.obs.diverged = undefined;
    this.warnings.cleared();
    this.hold.reset();
    this.pushes.reset();
    this.sensors.reset();
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
    this.sensors.setNoise(noise, seed);
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
    this.masses.scaleWelded(this.requireBody(linkName, 'setBodyMassScale'), scale);
  }

  linkMass(linkName: string): number {
    return this.masses.mass(this.requireBody(linkName, 'linkMass'));
  }

  nominalLinkMass(linkName: string): number {
    return this.masses.nominal(this.requireBody(linkName, 'nominalLinkMass'));
  }

  /** Sets one link's mass (kg), inertia scaled with it; takes effect at once. */
  setLinkMass(linkName: string, kg: number): void {
    const b = this.requireBody(linkName, 'setLinkMass');
    this.masses.setMass(b, kg, `setLinkMass.${linkName}`);
    this.mj.mj_setConst(this.model, this.data);
  }

  setExtra(name: string, values: ArrayLike<number>): void {
    const extras = this.sensors.obs.extras;
    const out = extras[name] ?? (extras[name] = new Float32Array(values.length));
    for (let i = 0; i < out.length; i++) out[i] = values[i];
  }

  get stepCount(): number {
    return this.substeps;
  }

  /** How far (m) the last reset moved the base up to put the robot on the ground (spawnOnGround; negative: down; 0: not moved). */
  get groundLift(): number {
    return this.placement.lift;
  }

  /** Physics steps taken again by the effort guard since the robot was made (a joint's effort had passed its limit: sim/mujoco/MujocoActuators.ts overLimit()). */
  get guardStepCount(): number {
    return this.guardSteps;
  }

  /** Commands that were not finite (nothing applied for them). */
  get badCommandCount(): number {
    return this.actuators.badCount;
  }

  jointIndex(name: string): number {
    const i = this.spec.joints.findIndex((j) => j.name === name);
    if (i < 0) throw new AxonError('SIM_OPTION', `joint "${name}"`, 'is not a moving joint', this.spec.joints.map((j) => j.name).join(', '));
    return i;
  }

  // ---- internals -----------------------------------------------------------------------------

  private substep(): void {
    if (this.hold.pending > 0) this.hold.applyDue(this.substeps);
    const views = this.views;
    // <mimic> groups: the leaders' damping spread by M before the step (sim/mujoco/MujocoMimicGroups.ts).
    if (this.actuators.mimic.any) this.actuators.mimic.update(this.mj, this.model, this.data, views.wrapPrm);
    this.actuators.apply(this.hold, views);
    if (this.pushBodyId >= 0) {
      const pf = this.pushBody.force;
      pf.set(0, 0, 0);
      this.pushes.apply(this.substeps);
      const k = this.pushBodyId * 6;
      views.xfrc[k] = pf.x;
      views.xfrc[k + 1] = pf.y;
      views.xfrc[k + 2] = pf.z;
    }
    // The effort guard: a step in which a joint's effort passed its limit (a limit or contact it could not
    // foresee engaging) is taken again with those joints at ±limit, at most once per joint (sim/mujoco/MujocoActuators.ts overLimit()).
    this.before.save(views, this.data);
    this.mj.mj_step(this.model, this.data);
    this.checkReset();
    for (let k = 0; k < this.n && this.actuators.overLimit(views.qvel) > 0; k++) {
      this.before.restore(views, this.data);
      this.actuators.saturateOver(views);
      this.mj.mj_step(this.model, this.data);
      this.checkReset();
      this.guardSteps++;
    }
    this.substeps++;
    this.pushes.advance(this.substeps);
  }

  /** After an mj_step: MuJoCo's reset (a bad qpos, qvel or qacc) becomes the observation's `diverged`, which the state watchdog reports; the first is kept until reset(). */
  private checkReset(): void {
    const why = this.warnings.take((this.substeps + 1) * this.physicsDt);
    const obs = this.sensors.obs;
    if (why !== undefined && obs.diverged === undefined) obs.diverged = why;
  }

  private readJoints(): void {
    const qpos = this.views.qpos;
    const qvel = this.views.qvel;
    const continuous = this.actuators.continuous;
    for (let i = 0; i < this.n; i++) {
      const q = qpos[this.qadr[i]];
      this.q[i] = continuous[i] === 1 ? wrapAngle(q) : q;
      this.qd[i] = qvel[this.vadr[i]];
    }
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
}
