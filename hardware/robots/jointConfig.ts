/** What the Dynamixel and Feetech robot configs say alike about a joint. */
import type { JointSpec } from '../../src/core/robot.ts';

/** The joint fields both configs have (the schemas add the servo's own). */
export interface BusJointFields {
  readonly name: string;
  readonly lower: number;
  readonly upper: number;
  readonly velocity_limit: number;
  readonly effort_limit: number;
  readonly default_position?: number;
  readonly kp?: number;
  readonly kd?: number;
}

/** The RobotSpec joints of a bus robot's config joints (all revolute). */
export function jointSpecsOf(joints: readonly BusJointFields[]): JointSpec[] {
  return joints.map((j) => ({
    name: j.name,
    type: 'revolute',
    lower: j.lower,
    upper: j.upper,
    velocityLimit: j.velocity_limit,
    effortLimit: j.effort_limit,
    defaultPosition: j.default_position ?? 0,
    kp: j.kp ?? 0,
    kd: j.kd ?? 0,
  }));
}
