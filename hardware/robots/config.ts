/**
 * Dynamixel robot configs (hardware/robots/*.json): which servo drives which joint and how.
 * One TypeBox declaration gives both the JSON Schema and the TypeScript type.
 *
 * Joint angle (rad) = direction × (ticks − 2048) × 2π/4096 / gear_ratio + offset.
 */
import { Type, type Static } from '@sinclair/typebox';
import { BAUD_CODES, OperatingMode, baudCode, type OperatingModeName } from '../dynamixel/controlTable.ts';
import { SERVO_MODELS, hasCurrent, modelByName } from '../dynamixel/servoModels.ts';
import { ArmRole, JOINT_MOTION_FIELDS, ROBOT_GAIN_MAX_FIELDS, JointDirection, RobotConfigError, checkJoints, checkSchema, readConfigJson } from './busConfig.ts';

export { RobotConfigError } from './busConfig.ts';

const ModelName = Type.Union(SERVO_MODELS.map((m) => Type.Literal(m.name)));
const Mode = Type.Union((Object.keys(OperatingMode) as (keyof typeof OperatingMode)[]).filter((k) => k !== 'pwm').map((k) => Type.Literal(k)));

export const DynamixelJointSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    id: Type.Integer({ minimum: 0, maximum: 252 }),
    model: ModelName,
    direction: JointDirection,
    /** Joint angle at the center tick 2048 (rad). */
    offset: Type.Optional(Type.Number()),
    /** Output turns per horn turn's inverse: horn angle = gear_ratio × joint angle. */
    gear_ratio: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    ...JOINT_MOTION_FIELDS,
    /** Overrides the robot's operating_mode for this servo (same control family). */
    operating_mode: Type.Optional(Mode),
    /**
     * Calibration the servo carries (written by `axon hw calibrate --from-lerobot`): its Homing
     * Offset (address 20, ticks; Present Position = actual position + this) and Drive Mode bit 0
     * (address 10: 1 = reverse, Present and Goal Position count the other way). `direction` and
     * `offset` above are on top of them; connect refuses a servo that carries others.
     */
    homing_offset: Type.Optional(Type.Integer({ minimum: -1044479, maximum: 1044479 })),
    drive_mode: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)])),
    /** The range of motion recorded by hand (LeRobot's range_min/range_max), in present ticks [min, max]. */
    range_ticks: Type.Optional(Type.Tuple([Type.Integer({ minimum: 0, maximum: 4095 }), Type.Integer({ minimum: 0, maximum: 4095 })])),
  },
  { additionalProperties: false },
);

export const DynamixelRobotSchema = Type.Object(
  {
    schema: Type.Literal('axon.dynamixel-robot/1'),
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    /** `follower` is commanded; a `leader` arm is only read (torque stays off, as --dry-run), e.g. for teleoperation. */
    role: ArmRole,
    /** Bus line rate (bit/s); every servo must already be set to it. */
    baud: Type.Union([9600, 57600, 115200, 1_000_000, 2_000_000, 3_000_000, 4_000_000, 4_500_000].map((b) => Type.Literal(b))),
    /** Default serial port (the CLI's --port overrides it). */
    port: Type.Optional(Type.String()),
    operating_mode: Mode,
    /** Largest kp / kd a command may carry, for every joint without its own `kp_max` / `kd_max` (docs/hardware.md). */
    ...ROBOT_GAIN_MAX_FIELDS,
    /** What a safe stop (fault, Ctrl-C, close) does: hold the present pose with torque on, or torque off. */
    safe_stop: Type.Union([Type.Literal('hold'), Type.Literal('torque_off')]),
    /** Bus watchdog (ms, multiple of 20, 20..2540): the servos stop by themselves when axon goes quiet this long. */
    watchdog_ms: Type.Integer({ minimum: 20, maximum: 2540, multipleOf: 20 }),
    /** Use Fast Sync Read when every servo's firmware supports it (default true). */
    fast_sync_read: Type.Optional(Type.Boolean()),
    /**
     * The USB adapter's latency timer (ms): FTDI-based adapters (U2D2, USB2Dynamixel) default to
     * 16; `echo 1 > /sys/bus/usb-serial/devices/ttyUSB0/latency_timer` sets 1. Sets the default
     * reply timeout.
     */
    latency_timer_ms: Type.Optional(Type.Number({ minimum: 0, maximum: 255 })),
    /**
     * Time a servo's reply may take beyond the bytes' wire time at `baud` (ms), for connect-time
     * calls (ping, read, write; 3 attempts each) and each sync read attempt. Default
     * 2 × latency_timer_ms + 2 (ROBOTIS DynamixelSDK's packet timeout): 34 ms at the 16 ms
     * default. Raise it for ser2net over a network.
     */
    reply_timeout_ms: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_000 })),
    /**
     * Consecutive bus cycles (one per tick) without a complete read after which the bus counts as
     * silent: a fault that ends the run (exit non-zero) with one message and the count. Default 50
     * (1 s at 50 Hz); the safety supervisor has safe-stopped long before (stale after 0.1 s plus
     * 3 ticks).
     */
    silent_bus_cycles: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    /** Part of a tick a bus read may take, retries included (0..1, default 0.6). */
    read_budget: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    joints: Type.Array(DynamixelJointSchema, { minItems: 1, maxItems: 253 }),
    /** URDF the viewer draws the robot with (path relative to this file); its moving joints are these joints, by name. */
    urdf: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export type DynamixelJointConfig = Static<typeof DynamixelJointSchema>;
export type DynamixelRobotConfig = Static<typeof DynamixelRobotSchema>;

const POSITION_FAMILY = new Set(['position', 'extended_position', 'current_based_position']);

/** Checks a parsed config; `file` names it in errors (file#/json/pointer). */
export function validateRobotConfig(raw: unknown, file = 'robot.json'): DynamixelRobotConfig {
  checkSchema(DynamixelRobotSchema, raw, file);
  const c = raw as DynamixelRobotConfig;
  if (baudCode(c.baud) === undefined) throw new RobotConfigError(`${file}#/baud`, `${c.baud} is not a Dynamixel baud rate`);
  const family = POSITION_FAMILY.has(c.operating_mode) ? 'position' : c.operating_mode;
  checkJoints(c.joints, file, (j, at) => {
    const m = j.operating_mode ?? c.operating_mode;
    const f = POSITION_FAMILY.has(m) ? 'position' : m;
    if (f !== family) throw new RobotConfigError(`${at}/operating_mode`, `"${m}" mixes control families with the robot's "${c.operating_mode}"`, `a ${family} mode`);
    const e = jointModelIssue(c, j, at);
    if (e) throw e;
    if (j.range_ticks && !(j.range_ticks[0] < j.range_ticks[1])) throw new RobotConfigError(`${at}/range_ticks`, `[${j.range_ticks.join(', ')}] is not an increasing range`);
  }, c);
  return c;
}

/**
 * What a joint asks of its model that the model cannot do, or undefined: an operating mode it
 * lacks (XL430-W250 and XC430 have no current sensing, so no current nor current_based_position
 * mode: Present Load at 126, no Goal Current at 102), or a baud rate it cannot take (XL330: at most
 * 4 Mbps). `at` is the joint's JSON pointer (file#/joints/i). DynamixelRobot asks it again, so a
 * config built in code is refused before the bus is touched.
 */
export function jointModelIssue(c: DynamixelRobotConfig, j: DynamixelJointConfig, at: string): RobotConfigError | undefined {
  const model = modelByName(j.model);
  if (!model) return new RobotConfigError(`${at}/model`, `joint "${j.name}": unknown model ${j.model}`, SERVO_MODELS.map((m) => m.name).join(', '));
  const mode: OperatingModeName = j.operating_mode ?? c.operating_mode;
  if (!model.operatingModes.includes(mode)) {
    const why = hasCurrent(model) ? '' : ' (no current sensing: it reports Present Load at 126 and has no Goal Current)';
    const field = j.operating_mode !== undefined ? `${at}/operating_mode` : `${at.slice(0, at.indexOf('#'))}#/operating_mode`;
    return new RobotConfigError(field, `joint "${j.name}" (id ${j.id}) is a ${model.name}, which has no ${mode} operating mode${why}`, `one of ${model.operatingModes.filter((k) => k !== 'pwm').join(', ')} for a ${model.name}, or a servo model with current control (XM430, XL330)`);
  }
  const code = baudCode(c.baud);
  if (code !== undefined && code > (model.baudCodeMax ?? 7))
    return new RobotConfigError(`${at.slice(0, at.indexOf('#'))}#/baud`, `joint "${j.name}" (id ${j.id}) is a ${model.name}, which cannot run at ${c.baud} bit/s`, `at most ${BAUD_CODES[model.baudCodeMax ?? 7]} bit/s for a ${model.name}`);
  return undefined;
}

export function loadRobotConfig(path: string): DynamixelRobotConfig {
  return validateRobotConfig(readConfigJson(path, 'a robot config, e.g. hardware/robots/arm6-xm430.json'), path);
}
