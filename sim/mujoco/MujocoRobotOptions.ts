import type { JointSpec, JointType } from '../../src/core/robot.ts';
import type { SimSensorNoise } from '../sensors/SensorNoise.ts';
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
  /** A follower (URDF <mimic>, an MJCF's <equality><joint>: JointSpec.mimic): its actuator applies nothing, a joint equality moves it. */
  readonly mimic?: JointSpec['mimic'];
  /**
   * A follower's joint equality in the compiled model (its index): an MJCF's own, the one
   * sim/mujoco/mjcfMimic.ts chose (a model may list others on the same two joints, inactive ones).
   * Absent: compileUrdf.ts's, named axon_mimic_<joint>.
   */
  readonly mimicEquality?: number;
  /**
   * The joint's limit was made as hard as MuJoCo allows (a URDF's, compileUrdf.ts): its reference
   * is scaled before each step by what the implicit step divides it by (sim/mujoco/MujocoHardLimits.ts).
   */
  readonly hardLimit?: boolean;
}

/** How `new MujocoRobot(mj, model, options)` runs a compiled model (sim/mujoco/createMujocoRobot.ts builds both). */
export interface MujocoRobotOptions {
  readonly name: string;
  /** Physics step (s): the model's timestep. */
  readonly physicsDt: number;
  readonly joints: readonly MujocoJointDesc[];
  /** Link (body) names: the base (root of the tree) and, by name, the IMU and contact sensors. */
  readonly rootLink: string;
  readonly floating: boolean;
  readonly imuLink?: string;
  /** Other links (bodies) whose orientation and angular velocity observe() writes into extras (sim/SimRobotOptions.ts imuFrames). */
  readonly imuFrames?: readonly string[];
  readonly contactSensors?: readonly string[];
  /** Moving bodies in the order randomisation draws their mass scales (the cannon-es side's body order). */
  readonly bodyLinks: readonly string[];
  /** World gravity (m/s²). */
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
  /** As SimRobotOptions.spawnOnGround: true puts the lowest collision geometry on z = 0 at every reset, 'lift' only raises a robot below it. */
  readonly spawnOnGround?: boolean | 'lift';
  readonly sensorNoise?: SimSensorNoise;
  /** Link frames whose world position observe() writes into extras, by extras name. */
  readonly framePositions?: Readonly<Record<string, string>>;
  readonly notes?: readonly UrdfNote[];
}
