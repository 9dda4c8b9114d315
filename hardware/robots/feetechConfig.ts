/**
 * Feetech robot configs (hardware/robots/*.json with `"protocol": "feetech"`, schema
 * `axon.feetech-robot/1`): which STS servo drives which joint, its calibration, and how the host
 * stands in for the bus watchdog these servos do not have. One TypeBox declaration gives both the
 * JSON Schema and the TypeScript type.
 *
 * Joint angle (rad) = direction × (present ticks − 2048) × 2π/4096 + offset, where present ticks
 * already include the servo's Homing Offset (address 31), which `axon hw calibrate` sets so that
 * the calibration pose reads as the config says.
 */
import { Type, type Static } from '@sinclair/typebox';
import { FEETECH_BAUD_CODES, FEETECH_MODELS } from '../feetech/controlTable.ts';
import { ArmRole, JOINT_MOTION_FIELDS, ROBOT_GAIN_MAX_FIELDS, JointDirection, RobotConfigError, checkJoints, checkSchema, readConfigJson } from './busConfig.ts';

const ModelName = Type.Union(FEETECH_MODELS.map((m) => Type.Literal(m.name)));

export const FeetechJointSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    id: Type.Integer({ minimum: 0, maximum: 253 }),
    model: ModelName,
    direction: JointDirection,
    /** Joint angle at present tick 2048 (rad). */
    offset: Type.Optional(Type.Number()),
    ...JOINT_MOTION_FIELDS,
    /** Calibration (written by `axon hw calibrate`): the servo's Homing Offset (ticks, -2047..2047)... */
    homing_offset: Type.Optional(Type.Integer({ minimum: -2047, maximum: 2047 })),
    /** ...and the range of motion recorded by hand, in present ticks [min, max]. */
    range_ticks: Type.Optional(Type.Tuple([Type.Integer({ minimum: 0, maximum: 4095 }), Type.Integer({ minimum: 0, maximum: 4095 })])),
  },
  { additionalProperties: false },
);

export const FeetechRobotSchema = Type.Object(
  {
    schema: Type.Literal('axon.feetech-robot/1'),
    protocol: Type.Literal('feetech'),
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    /** `follower` is commanded; a `leader` arm is only read (torque stays off), e.g. for teleoperation. */
    role: ArmRole,
    /** Bus line rate (bit/s); every servo must already be set to it. */
    baud: Type.Union(Object.values(FEETECH_BAUD_CODES).map((b) => Type.Literal(b))),
    /** Default serial port (the CLI's --port overrides it). */
    port: Type.Optional(Type.String()),
    operating_mode: Type.Literal('position'),
    /** Largest kp / kd a command may carry, for every joint without its own `kp_max` / `kd_max` (docs/hardware.md). */
    ...ROBOT_GAIN_MAX_FIELDS,
    /** What a safe stop (fault, Ctrl-C, close, a failed connect after arming) does. */
    safe_stop: Type.Union([Type.Literal('hold'), Type.Literal('torque_off')]),
    /**
     * The host's stand-in for a bus watchdog (STS servos have none): no goal is sent further than
     * velocity_limit × goal_horizon_ms from the present pose, so a host that dies leaves each joint
     * at most that far from where it was (ms, 10..1000).
     */
    goal_horizon_ms: Type.Integer({ minimum: 10, maximum: 1000 }),
    /** Torque Limit (address 48) written at arming, as a fraction of the stall torque (0..1]. */
    torque_limit: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    /** Acceleration (address 41) written at arming (×100 ticks/s², 0 = the servo's maximum). */
    acceleration: Type.Optional(Type.Integer({ minimum: 0, maximum: 254 })),
    /** Part of a tick a bus read may take, retries included (0..1, default 0.6). */
    read_budget: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    /**
     * The USB adapter's latency timer (ms), when it has one (FTDI: 16 by default). The SO-101's
     * CH343 boards (/dev/ttyACM*) have none. Sets the default reply timeout to 2 × it + 2 ms.
     */
    latency_timer_ms: Type.Optional(Type.Number({ minimum: 0, maximum: 255 })),
    /** Time a reply may take beyond its wire time (ms); default 10, or 2 × latency_timer_ms + 2. Raise it for ser2net over a network. */
    reply_timeout_ms: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_000 })),
    /** Consecutive bus cycles without a complete read that make a silent-bus fault (ends a run; default 50). */
    silent_bus_cycles: Type.Optional(Type.Integer({ minimum: 2 })),
    /** The pose the operator holds the arm in for `axon hw calibrate` (rad per joint, by name; default 0). */
    calibration_pose: Type.Optional(Type.Record(Type.String(), Type.Number())),
    joints: Type.Array(FeetechJointSchema, { minItems: 1, maxItems: 253 }),
    /** URDF the viewer draws the robot with (path relative to this file). */
    urdf: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export type FeetechJointConfig = Static<typeof FeetechJointSchema>;
export type FeetechRobotConfig = Static<typeof FeetechRobotSchema>;

export function validateFeetechConfig(raw: unknown, file = 'robot.json'): FeetechRobotConfig {
  checkSchema(FeetechRobotSchema, raw, file);
  const c = raw as FeetechRobotConfig;
  const names = checkJoints(c.joints, file, (j, at) => {
    if (j.range_ticks && !(j.range_ticks[0] < j.range_ticks[1])) throw new RobotConfigError(`${at}/range_ticks`, `[${j.range_ticks.join(', ')}] is not an increasing range`);
  }, c);
  for (const k of Object.keys(c.calibration_pose ?? {}))
    if (!names.has(k)) throw new RobotConfigError(`${file}#/calibration_pose/${k}`, `"${k}" is not a joint of this robot`, [...names].join(', '));
  return c;
}

/** True when a parsed JSON object declares itself a Feetech config. */
export function isFeetechConfig(raw: unknown): boolean {
  const r = raw as { protocol?: unknown; schema?: unknown } | null;
  return typeof r === 'object' && r !== null && (r.protocol === 'feetech' || r.schema === 'axon.feetech-robot/1');
}

export function loadFeetechConfig(path: string): FeetechRobotConfig {
  return validateFeetechConfig(readConfigJson(path, 'a robot config, e.g. hardware/robots/so101-follower.json'), path);
}

/** Joint angle (rad) <-> present ticks, by the config's direction and offset. */
export function ticksToJoint(j: FeetechJointConfig, ticks: number): number {
  return (j.direction ?? 1) * (ticks - 2048) * ((2 * Math.PI) / 4096) + (j.offset ?? 0);
}
export function jointToTicks(j: FeetechJointConfig, rad: number): number {
  return Math.round(((rad - (j.offset ?? 0)) * (j.direction ?? 1)) / ((2 * Math.PI) / 4096)) + 2048;
}
