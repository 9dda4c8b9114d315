/**
 * The first read at connect, checked against the config's joint limits before a bus robot
 * (DynamixelRobot, FeetechRobot) arms or hands its pose to a loop. The safety supervisor soft-starts
 * from the observed pose (walking a joint outside its limits back at the rate limit); a joint that
 * reads far outside them is either really there (moved by hand, slumped with the power off) or
 * reads a turn off, and either way a goal inside the limits would drive it there the long way
 * round (a whole turn, for a servo that reads a turn off). Mid-run the supervisor treats such a
 * reading as a bad observation with the same margin (SafetyConfig.positionMargin). So connect refuses it, naming the joint, what it reads and the likely
 * cause, and nothing is armed.
 *
 * Why a servo reads a turn off: a Dynamixel X keeps no turn count across a power-up (e-Manual,
 * Present Position(132): reset "to an absolute position value of one full rotation" when the
 * power is turned off in Extended Position Control Mode): it then reads its one-turn position +
 * Homing Offset, ticks h..h+4095 (docs/hardware.md, "A Koch that LeRobot calibrated"); a joint
 * powered up outside that window reads 4096 ticks off, and keeps doing so as it is moved (the
 * count is continuous from there) until the servos are powered up with the joint inside it. A
 * Feetech STS's present position wraps at 0/4095 (after its Homing Offset): a joint past that
 * point reads a turn off until it is moved back.
 */
import { AxonError } from '../../src/core/errors.ts';
import { LIVE_POSITION_MARGIN } from '../../src/safety/types.ts';

/**
 * How far outside its limits (rad) a joint may read at connect: 0.1 rad (5.7°, 65 ticks of a
 * 4096-tick servo). A joint resting on a limit, or a hair past it (a gripper closed on a stop,
 * encoder noise), passes; a turn off does not: a joint inside limits that span less than a servo
 * turn (2π / gear_ratio at the joint) less 0.1 rad (6.18 rad ungeared; the widest shipped span,
 * the Koch's wrist_roll, is 5.24) reads more than that outside them when it reads a turn off.
 */
export const START_POSE_MARGIN_RAD = LIVE_POSITION_MARGIN; // the same margin the supervisor allows mid-run on a live robot (docs/safety.md)

/** A joint read outside its limits at connect: one line per joint. */
export class StartPoseError extends AxonError {
  constructor(
    where: string,
    readonly diff: readonly string[],
  ) {
    super(
      'HW_START_POSE',
      where,
      `joints read outside their limits at connect, refusing to arm:\n  ${diff.join('\n  ')}`,
      `every joint within its limits (±${START_POSE_MARGIN_RAD} rad) when the robot connects`,
    );
  }
}

export interface StartPoseJoint {
  readonly name: string;
  readonly id: number;
  readonly lower: number;
  readonly upper: number;
}

/**
 * One line per joint whose first read `pos` (rad, joint order) is more than
 * START_POSE_MARGIN_RAD outside its limits; `cause(i)` says what to do for joint i.
 */
export function startPoseIssues(joints: readonly StartPoseJoint[], pos: ArrayLike<number>, cause: (i: number) => string): string[] {
  const out: string[] = [];
  joints.forEach((j, i) => {
    const x = pos[i];
    const below = j.lower - x, above = x - j.upper;
    if (Number.isFinite(x) && below <= START_POSE_MARGIN_RAD && above <= START_POSE_MARGIN_RAD) return;
    const how = !Number.isFinite(x) ? 'not a number' : below > 0 ? `${below.toFixed(3)} rad below` : `${above.toFixed(3)} rad above`;
    out.push(`joint ${j.name} (id ${j.id}) reads ${Number.isFinite(x) ? x.toFixed(4) : String(x)} rad, ${how} its limits [${j.lower}, ${j.upper}] rad: ${cause(i)}`);
  });
  return out;
}

/** What to do about a Dynamixel joint that reads outside its limits. */
export const DYNAMIXEL_START_POSE_CAUSE =
  'it is out there, or it reads a turn off (a Dynamixel keeps no turn count across a power-up: it reads one turn from its Homing Offset). Move the joint back by hand within its range; if it still reads this far off, it reads a turn off: with the joint inside its range, power the servos off and on';

/** What to do about a Feetech joint that reads outside its limits. */
export const FEETECH_START_POSE_CAUSE =
  'it is out there, or it is past 0/4095 where the present position wraps, and so reads a turn off. Move the joint back by hand within its range';
