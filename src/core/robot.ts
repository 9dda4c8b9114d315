import type { Observable } from 'rxjs';

/** Joint kinds a robot can actuate. Fixed joints are not part of a RobotSpec. */
export type JointType = 'revolute' | 'continuous' | 'prismatic';

/** How a JointCommand's targets are read. */
export type ControlMode = 'position' | 'velocity' | 'effort';

/** One actuated joint. Units: rad, rad/s, N·m for rotary joints; m, m/s, N for prismatic ones. */
export interface JointSpec {
  readonly name: string;
  readonly type: JointType;
  /** Position limits (rad or m); -Infinity/+Infinity for a continuous joint. */
  readonly lower: number;
  readonly upper: number;
  /** Largest speed magnitude (rad/s or m/s). */
  readonly velocityLimit: number;
  /** Largest effort magnitude (N·m or N). */
  readonly effortLimit: number;
  /** Pose the robot starts in and holds when safe-stopped (rad or m). */
  readonly defaultPosition: number;
  /** Default PD gains for position mode (N·m/rad, N·m·s/rad or N/m, N·s/m). */
  readonly kp: number;
  readonly kd: number;
  /**
   * Largest position gain the actuator may be commanded (N·m/rad or N/m); absent = no bound
   * beyond kp >= 0. The safety supervisor clamps commanded gains to it (a 'gain_clamp' event).
   */
  readonly kpMax?: number;
  /** Largest damping gain (N·m·s/rad or N·s/m); absent = no bound beyond kd >= 0. Also caps the stop damping. */
  readonly kdMax?: number;
  /**
   * In velocity mode the actuator closes its own velocity loop (a servo's Goal Velocity: a
   * Dynamixel in velocity mode): the command's kd is not used, so kd 0 still moves the joint and
   * is not refused before arming (SafetySupervisor.assertCommandable). Absent = false: velocity
   * mode is kd·(target − q̇), a simulator's or a bridge's actuator.
   */
  readonly ownVelocityLoop?: boolean;
  /**
   * A joint that follows another instead of being driven (a URDF `<mimic>`, an MJCF's linear
   * `<equality><joint>`: a gripper's second finger, the joints of a linkage): position = multiplier · position(joint) + offset (rad | m;
   * multiplier in rad/m or m/rad between a revolute and a prismatic joint). The robot moves it
   * with `joint`, ignores its entries of a command and reports it as any joint (its effort: 0, no
   * motor). `joint` is where the motion comes from (a chain of mimics resolved): a joint of this
   * spec, or a fixed joint absent from it (the follower is then held at `offset`). Absent: driven.
   */
  readonly mimic?: { readonly joint: string; readonly multiplier: number; readonly offset: number };
}

export interface RobotSpec {
  readonly name: string;
  /** Actuated joints in the robot's own order: every Float32Array/Float64Array indexed by joint uses it. */
  readonly joints: readonly JointSpec[];
  readonly sensors: {
    /** An IMU on the base link. */
    readonly imu: boolean;
    /** Names of contact sensors (e.g. feet), in the order of Observation.contacts. */
    readonly contacts: readonly string[];
    /**
     * The robot fills Observation.base with its base's linear velocity (m/s, world frame) and
     * orientation (xyzw): a simulator's state, a state estimator's, or a base fixed to the world
     * (velocity known to be zero). Absent = false: the `base_lin_vel` term would read zeros, so a
     * model that takes it is refused before arming (src/model/checkModel.ts).
     */
    readonly baseVelocity?: boolean;
    /**
     * The robot also fills Observation.base.comPosition and comLinearVelocity: the base body's
     * centre of mass (a simulator knows it; an estimator usually gives a frame's). Absent = false:
     * a `base_lin_vel` term with `point: "com"` is refused before arming.
     */
    readonly baseCom?: boolean;
    /**
     * Links other than the IMU's whose orientation and angular velocity the robot writes into
     * Observation.extras (keys from `linkFrameKeys`): a simulator reads any link; a real IMU
     * measures only where it is mounted. An IMU term whose manifest `link` is not `imu_link` reads
     * them, and is refused before arming on a robot that does not list its link.
     */
    readonly imuFrames?: readonly string[];
  };
  readonly controlModes: readonly ControlMode[];
}

/**
 * Observation.extras keys of a link frame a robot reports (RobotSpec.sensors.imuFrames): the link's
 * orientation in the world (4: x y z w) and its angular velocity in its own frame (3: rad/s), as
 * Observation.imu gives them for the IMU's link. Call at configure time (it builds strings).
 */
export function linkFrameKeys(link: string): { readonly orientation: string; readonly angularVelocity: string } {
  return { orientation: `link_orientation:${link}`, angularVelocity: `link_angular_velocity:${link}` };
}

/**
 * What a robot reports at one instant. A Robot reuses one Observation object and its arrays:
 * the values are valid until the next `observe()`; copy what must outlive the tick.
 */
export interface Observation {
  /** Monotonic time stamp of the measurement (s): sim time in simulation, a steady clock on hardware. */
  time: number;
  /** Increases by one per observe(); lets a consumer see a stale (repeated) observation. */
  seq: number;
  /** Per joint, robot joint order: rad or m. */
  readonly jointPosition: Float32Array;
  /** Per joint: rad/s or m/s. */
  readonly jointVelocity: Float32Array;
  /** Per joint, effort actually applied: N·m or N. */
  readonly jointEffort: Float32Array;
  /** IMU in the base frame, when the robot has one. Quaternion order x, y, z, w. */
  readonly imu?: {
    readonly orientation: Float32Array; // 4: x y z w, base in world
    readonly angularVelocity: Float32Array; // 3: rad/s, base frame
    readonly linearAcceleration: Float32Array; // 3: m/s², base frame, includes gravity reaction
  };
  /** Contact normal force per contact sensor (N), order of RobotSpec.sensors.contacts. */
  readonly contacts?: Float32Array;
  /**
   * Privileged base state, simulation only: position (m), orientation xyzw, velocities (world).
   * Position, orientation and linearVelocity are the base link's frame origin's.
   */
  readonly base?: {
    readonly position: Float32Array;
    readonly orientation: Float32Array;
    readonly linearVelocity: Float32Array;
    readonly angularVelocity: Float32Array;
    /**
     * Position (m, world) and velocity (m/s, world) of the base body's centre of mass, when
     * sensors.baseCom: the base link with the links fixed to it. The velocity differs from
     * linearVelocity by ω × r, r the centre of mass's offset from the link origin.
     */
    readonly comPosition?: Float32Array;
    readonly comLinearVelocity?: Float32Array;
  };
  /** Anything else a robot measures, by name. */
  readonly extras: Record<string, Float32Array>;
  /**
   * Simulation only: why the engine's state stopped being the run's (MuJoCo reset the whole
   * simulation on a bad position, velocity or acceleration: docs/mujoco.md, "MuJoCo's reset"), set
   * from that step until the robot's reset(); the state watchdog reports it as its breach.
   */
  diverged?: string;
}

/** A command for every joint of the robot, in robot joint order. */
export interface JointCommand {
  mode: ControlMode;
  /** Position (rad|m), velocity (rad/s|m/s) or effort (N·m|N) per joint, by mode. */
  readonly target: Float64Array;
  /** Position-mode gains per joint; when absent the JointSpec defaults apply. */
  readonly kp?: Float64Array;
  readonly kd?: Float64Array;
  /** Feed-forward effort added in position and velocity modes (N·m|N). */
  readonly feedforward?: Float64Array;
}

export interface RobotHealth {
  readonly connected: boolean;
  /** True when observations have stopped arriving within the robot's own deadline. */
  readonly stale: boolean;
  readonly faults: readonly string[];
  /**
   * True when every fault listed clears by the robot's own arm() (a bridge client that did not arm
   * an idle served robot: PROTOCOL.md section 6): the viewer's Arm may call it. Absent = false.
   */
  readonly armable?: boolean;
}

/**
 * A robot, simulated or real. src/ sees nothing else of it (docs/style.md 1).
 * `observe()` and `command()` are called on the tick: they must not allocate, log or block.
 */
export interface Robot {
  readonly spec: RobotSpec;
  readonly health$: Observable<RobotHealth>;
  connect(): Promise<void>;
  observe(): Observation;
  command(cmd: JointCommand): void;
  close(): Promise<void>;
  /**
   * Optional: the client's explicit decision to arm (a bridge client: its next command arms an idle
   * served robot). Clears the faults a health with `armable` lists; the viewer's Arm calls it.
   * Returns why it cannot arm (a served robot still e-stopped or safe-stopped, even by this client's
   * own stop: only the server's operator leaves it), undefined when it will.
   */
  arm?(): string | undefined;
  /**
   * Optional, for a robot that keeps its own time (hardware, a bridge): stamp observations (the
   * moment the data was read) and events on the run's clock `now` (s) from here on, so that every
   * event of a run is on one clock. The live runner calls it with its loop clock before the loop.
   */
  useClock?(now: () => number): void;
  /**
   * Optional, for a robot whose I/O runs off the tick (a servo bus cycle that command() starts):
   * resolves when the I/O in flight has finished (at once when none is). A loop that blocks its
   * thread between ticks (`axon run --clock block`) waits for it first, so that the reply is read
   * when it arrives. A failed cycle may reject: the loop only waits for it.
   */
  settle?(): Promise<void>;
  /**
   * Optional, for a robot that keeps a stop of its own beyond this process (a bridge client: the
   * served robot's latched e-stop, hardware/PROTOCOL.md section 7): latch it there too, with
   * `reason`. The live runner calls it, fire and forget and never on the tick, whenever its
   * supervisor e-stops (a signal, the viewer's E-STOP or disarm: src/session/forwardEstop.ts); a
   * robot without it is stopped by its supervisor's commands and its close() alone.
   */
  estop?(reason?: string): Promise<unknown>;
  /**
   * Optional, true for a robot whose state comes in on the event loop between ticks without being
   * asked for (a bridge client: the server streams state frames). A loop that blocks its thread
   * between ticks takes one event-loop turn just before each tick, so that observe() returns what
   * came while the thread slept; the robot stamps each observation with its arrival, not that turn.
   */
  readonly streamsState?: boolean;
}

/** A robot whose time the caller drives (lockstep): the sim clock calls step(). */
export interface SimulatedRobot extends Robot {
  /** Physics time step (s); step(dt) runs round(dt / physicsDt) substeps, PD at each. */
  readonly physicsDt: number;
  /** Advances simulated time by dt (s), holding the last command. */
  step(dt: number): void;
  /** Puts the robot back in its initial state; `seed` drives any randomisation. */
  reset(seed?: number): void;
}

export function isSimulated(robot: Robot): robot is SimulatedRobot {
  return typeof (robot as Partial<SimulatedRobot>).step === 'function';
}

/** Allocates an Observation sized for a spec (configure time, never on the tick). */
export function createObservation(spec: RobotSpec): Observation {
  const n = spec.joints.length;
  return {
    time: 0,
    seq: 0,
    jointPosition: new Float32Array(n),
    jointVelocity: new Float32Array(n),
    jointEffort: new Float32Array(n),
    ...(spec.sensors.imu
      ? {
          imu: {
            orientation: new Float32Array([0, 0, 0, 1]),
            angularVelocity: new Float32Array(3),
            linearAcceleration: new Float32Array(3),
          },
        }
      : {}),
    ...(spec.sensors.contacts.length > 0 ? { contacts: new Float32Array(spec.sensors.contacts.length) } : {}),
    extras: {},
  };
}

/** Allocates a JointCommand sized for a spec (configure time). */
export function createCommand(spec: RobotSpec, mode: ControlMode): JointCommand {
  const n = spec.joints.length;
  return { mode, target: new Float64Array(n), kp: new Float64Array(n), kd: new Float64Array(n), feedforward: new Float64Array(n) };
}

/** Copies src into dst, both allocated for the same spec. */
export function copyCommand(dst: JointCommand, src: JointCommand): void {
  dst.mode = src.mode;
  dst.target.set(src.target);
  if (dst.kp && src.kp) dst.kp.set(src.kp);
  if (dst.kd && src.kd) dst.kd.set(src.kd);
  if (dst.feedforward) {
    if (src.feedforward) dst.feedforward.set(src.feedforward);
    else dst.feedforward.fill(0);
  }
}
