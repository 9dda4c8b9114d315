/**
 * What the Dynamixel and Feetech robot configs (hardware/robots/*.json) share: the error, reading
 * the file, the schema check's message, the joint fields every servo joint has, the checks across
 * joints, and the RobotSpec joints they give.
 */
import { readFileSync, existsSync } from 'node:fs';
import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { JointSpec } from '../../src/core/robot.ts';
import { AxonError } from '../../src/core/errors.ts';
import { schemaErrorText } from '../../src/core/schemaErrorText.ts';

export class RobotConfigError extends AxonError {
  constructor(where: string, message: string, expected?: string) {
    super('ROBOT_CONFIG', where, message, expected);
  }
}

/** The parsed JSON of a config file; `example` names a config in the error when there is no file. */
export function readConfigJson(path: string, example: string): unknown {
  if (!existsSync(path)) throw new RobotConfigError(path, 'no such file', example);
  try {
    // A byte-order mark (Windows editors write one) is not JSON; an invisible one would be named as a bad token.
    return JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new RobotConfigError(path, `not valid JSON: ${(e as Error).message}`);
  }
}

/** Throws the schema's first complaint about `raw`, at file#/json/pointer. */
export function checkSchema(schema: TSchema, raw: unknown, file: string): void {
  const first = Value.Errors(schema, raw).First();
  if (first) {
    const t = schemaErrorText(first);
    throw new RobotConfigError(`${file}#${first.path || '/'}`, t.message, t.expected);
  }
}

/**
 * Which arm of a leader-follower pair a config is: a `follower` is commanded; a `leader` arm is
 * only read (torque stays off), e.g. for teleoperation, which refuses a config of the wrong role
 * (docs/hardware.md). Optional: a config without one is commanded and is not checked.
 */
export const ArmRole = Type.Optional(Type.Union([Type.Literal('follower'), Type.Literal('leader')]));

/** +1 or -1: which way a positive joint angle turns the horn. */
export const JointDirection = Type.Optional(Type.Union([Type.Literal(1), Type.Literal(-1)]));

/** A joint's limits and gains, alike on both protocols (spread into a joint schema, in this order). */
export const JOINT_MOTION_FIELDS = {
  /** Joint limits (rad), inside the servo's own limits (Dynamixel: position limits; Feetech: the calibrated range of motion). */
  lower: Type.Number(),
  upper: Type.Number(),
  /** rad/s */
  velocity_limit: Type.Number({ exclusiveMinimum: 0 }),
  /** N·m at the joint */
  effort_limit: Type.Number({ minimum: 0 }),
  /** Pose at start and for holding (rad). */
  default_position: Type.Optional(Type.Number()),
  kp: Type.Optional(Type.Number({ minimum: 0 })),
  kd: Type.Optional(Type.Number({ minimum: 0 })),
  /**
   * Largest kp / kd a command may carry for this joint (JointSpec.kpMax / kdMax: the safety
   * supervisor clamps above it, a `gain_clamp` event); overrides the robot's `kp_max` / `kd_max`.
   * Absent on both: no bound. A servo bus sends no gains (the servo's own PID runs), so on hardware
   * they bound what a bridge client or a manifest's `pd` may ask of a served robot.
   */
  kp_max: Type.Optional(Type.Number({ minimum: 0 })),
  kd_max: Type.Optional(Type.Number({ minimum: 0 })),
};

/** The robot-wide gain bounds of a bus config: each joint's, unless the joint gives its own. */
export const ROBOT_GAIN_MAX_FIELDS = {
  kp_max: Type.Optional(Type.Number({ minimum: 0 })),
  kd_max: Type.Optional(Type.Number({ minimum: 0 })),
};

/** A bus config's robot-wide gain bounds. */
export interface RobotGainMax {
  readonly kp_max?: number;
  readonly kd_max?: number;
}

/** The joint fields both configs have (the schemas add the servo's own). */
export interface BusJointFields {
  readonly name: string;
  readonly id: number;
  readonly lower: number;
  readonly upper: number;
  readonly velocity_limit: number;
  readonly effort_limit: number;
  readonly default_position?: number;
  readonly kp?: number;
  readonly kd?: number;
  readonly kp_max?: number;
  readonly kd_max?: number;
}

/**
 * The checks across a config's joints: unique names, one servo per id, lower below upper, the
 * default position inside the limits; then `each` (the protocol's own checks) per joint. Returns
 * the joint names.
 */
export function checkJoints<J extends BusJointFields>(joints: readonly J[], file: string, each?: (j: J, at: string) => void, robot: RobotGainMax = {}): Set<string> {
  const ids = new Map<number, string>();
  const names = new Set<string>();
  joints.forEach((j, i) => {
    const at = `${file}#/joints/${i}`;
    if (names.has(j.name)) throw new RobotConfigError(`${at}/name`, `joint "${j.name}" is listed twice`, 'unique joint names');
    names.add(j.name);
    const other = ids.get(j.id);
    if (other !== undefined) throw new RobotConfigError(`${at}/id`, `id ${j.id} is already joint "${other}"`, 'one servo per joint');
    ids.set(j.id, j.name);
    if (!(j.lower < j.upper)) throw new RobotConfigError(`${at}/lower`, `lower ${j.lower} is not below upper ${j.upper}`);
    const d = j.default_position ?? 0;
    if (d < j.lower || d > j.upper) throw new RobotConfigError(`${at}/default_position`, `${d} is outside [${j.lower}, ${j.upper}]`);
    // A default gain above the bound would be clamped on every tick: say so at load instead.
    for (const g of ['kp', 'kd'] as const) {
      const max = j[`${g}_max`] ?? robot[`${g}_max`];
      const v = j[g];
      if (v !== undefined && max !== undefined && v > max)
        throw new RobotConfigError(`${at}/${g}`, `${g} ${v} is above ${g}_max ${max}${j[`${g}_max`] === undefined ? ' (the robot\'s)' : ''}`, `${g} <= ${g}_max`);
    }
    each?.(j, at);
  });
  return names;
}

/** The RobotSpec joints of a bus robot's config joints (all revolute); gain bounds the joint's, else the robot's. */
export function jointSpecsOf(joints: readonly Omit<BusJointFields, 'id'>[], robot: RobotGainMax = {}): JointSpec[] {
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
    ...gainMax('kpMax', j.kp_max ?? robot.kp_max),
    ...gainMax('kdMax', j.kd_max ?? robot.kd_max),
  }));
}

function gainMax<K extends 'kpMax' | 'kdMax'>(k: K, v: number | undefined): { [P in K]?: number } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: number };
}
