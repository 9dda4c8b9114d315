import type { ActuatorJointSettings, PdIntegration } from './actuators/Actuators.ts';
import type { MeshCollisionMode } from './mesh/meshCollision.ts';
import type { SimSensorNoise } from './sensors/SensorNoise.ts';

/** Per-joint settings the URDF does not carry, and actuator settings that replace the URDF's. */
export interface SimJointDefaults extends ActuatorJointSettings {
  /** Pose the robot starts in and holds when safe-stopped (rad | m); default 0 (clamped into the limits). */
  readonly defaultPosition?: number;
  /** Position-mode gains (N·m/rad | N/m, N·m·s/rad | N·s/m); default 0. */
  readonly kp?: number;
  readonly kd?: number;
}

/** How `new SimRobot(model, options)` builds and runs a URDF robot. */
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
   * Other links whose orientation (world, x y z w) and angular velocity (link frame, rad/s)
   * observe() writes into Observation.extras (src/core/robot.ts linkFrameKeys), noise-free: the
   * frames of IMU terms a manifest reads elsewhere than the IMU (a term's `link`). Reported in
   * RobotSpec.sensors.imuFrames.
   */
  readonly imuFrames?: readonly string[];
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
   * ground z = 0 (a floating robot whose initial pose changes, e.g. randomised knees). 'lift': only
   * when that shape is below the ground, raise the robot so it touches z = 0; a robot above it
   * stays where placed (the CLI's rule for a stated floating base, docs/urdf.md "Start pose").
   * Default false.
   */
  readonly spawnOnGround?: boolean | 'lift';
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

/** SimRobotOptions.contactMargin with pd 'implicit' (m). */
export const DEFAULT_CONTACT_MARGIN = 0.002;
