/**
 * A Hugging Face LeRobot calibration file taken into an axon robot config (`axon hw calibrate
 * --config C --from-lerobot FILE`): an SO-100/SO-101 (Feetech STS) or Koch (Dynamixel) arm is
 * used as LeRobot left it, its servos untouched. What each number means, with the LeRobot code it
 * comes from, is in docs/feetech.md ("A LeRobot calibration"); in short:
 *
 * - The file (LeRobot's `MotorCalibration` per motor name, dumped by draccus): `id`, `drive_mode`,
 *   `homing_offset`, `range_min`, `range_max`, all integers.
 * - LeRobot's calibrate() has the operator hold the arm "in the middle of its range of motion" and
 *   sets each Homing Offset so that this pose reads 2047 (`set_half_turn_homings`: Feetech
 *   offset = raw − 2047 with Present = raw − offset; Dynamixel offset = 2047 − raw with Present =
 *   raw + offset). axon reads that pose as the config's calibration pose (0 rad on every shipped
 *   joint): joint angle = direction × (present − 2047) × 2π/4096 / gear_ratio + pose, written
 *   as `offset` = pose + direction × 2π/4096 / gear_ratio (the angle at present 2048).
 * - range_min/range_max are the present positions recorded while the operator swept each joint
 *   (0..4095 for the joints LeRobot calibrates as full turns); LeRobot writes them into the servos'
 *   Min/Max Position Limits. A config's joint limits must lie inside them (else refused, or with
 *   `narrowLimits` narrowed to them); a full-turn range (exactly 0..4095, LeRobot's marker) bounds
 *   nothing, and any other span over 3996 ticks was swept across 0/4095 and is refused.
 * - A Dynamixel keeps no turn count across a power-up: it then reads one turn from its Homing
 *   Offset h, ticks h..h+4095, and a joint outside that reads a turn off. A Dynamixel joint's
 *   limits must lie inside that turn too (refused, or narrowed); DynamixelRobot's connect refuses
 *   a joint that reads far outside its limits (startPose.ts). Position Control Mode ignores a Homing
 *   Offset outside −1024..1024 (e-Manual), so such a file is refused for a joint in that mode.
 * - drive_mode: on a Dynamixel it is the servo's Drive Mode bit 0 (reverse), so `direction` flips
 *   (the config describes the arm with its servos counting as they leave the factory: a config
 *   already imported, with drive_mode 1, is taken back to that first); LeRobot never writes it for
 *   a Feetech servo (it has no such register: a 1 there is refused).
 * - Where the file sits in LeRobot's layout (calibration/robots/<type>/ or teleoperators/<type>/),
 *   its type's protocol and its role are checked against the config's.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { AxonError } from '../../src/core/errors.ts';
import type { LoadedConfig } from './openRobot.ts';
import { validateFeetechConfig, type FeetechJointConfig, type FeetechRobotConfig } from './feetechConfig.ts';
import { validateRobotConfig, type DynamixelJointConfig, type DynamixelRobotConfig } from './config.ts';

/** What LeRobot's half-turn homing makes the calibration pose read: int((4096 − 1) / 2). */
export const LEROBOT_HOME_TICKS = 2047;
const TICKS_PER_TURN = 4096;
const RAD_PER_TICK = (2 * Math.PI) / TICKS_PER_TURN;
/** LeRobot's MotorCalibration fields, in the order its files list them. */
const FIELDS = ['id', 'drive_mode', 'homing_offset', 'range_min', 'range_max'] as const;
/** The Homing Offset a Dynamixel X takes in Position Control Mode (3); it ignores others (e-Manual, Homing Offset(20)). */
const POSITION_MODE_HOMING_MAX = 1024;
/** The widest range a sweep may record: wider, it crossed 0/4095 (hardware/feetech/calibrate.ts refuses the same, 4096 − 100). */
const MAX_SWEPT_SPAN_TICKS = TICKS_PER_TURN - 100;
/** A recorded range may start this many ticks off the homing pose (encoder noise between homing and the first range read). */
const HOME_SLACK_TICKS = 32;
const EPS_RAD = 1e-9;

export const LEROBOT_FILE_EXPECTED =
  'a LeRobot calibration file: per motor name {"id", "drive_mode", "homing_offset", "range_min", "range_max"}, as lerobot-calibrate writes under ~/.cache/huggingface/lerobot/calibration/robots/<type>/<id>.json or teleoperators/<type>/<id>.json';

/** A LeRobot calibration file that cannot be used with this config, and why (file#/motor/field). */
export class LerobotCalibrationError extends AxonError {
  constructor(where: string, message: string, expected?: string) {
    super('LEROBOT_CALIBRATION', where, message, expected);
  }
}

/** The config's joint limits reach beyond what LeRobot recorded, or past where the servo's count wraps or loses its turn: one line per joint. */
export class LerobotRangeError extends AxonError {
  constructor(
    where: string,
    readonly diff: readonly string[],
  ) {
    super('LEROBOT_RANGE', where, `the config's joint limits do not fit LeRobot's calibration, nothing written:\n  ${diff.join('\n  ')}`, "joint limits inside the range LeRobot recorded (and, on a Dynamixel, inside the turn it reads after a power-up): narrow them to it (axon hw calibrate --from-lerobot FILE --narrow-limits) or in the config");
  }
}

/** The file is LeRobot's calibration of another kind of arm (by its path in LeRobot's layout) than the config describes. */
export class LerobotArmError extends AxonError {
  constructor(where: string, message: string, expected: string) {
    super('LEROBOT_ARM', where, message, expected);
  }
}

export interface LerobotMotor {
  readonly name: string;
  readonly id: number;
  readonly drive_mode: number;
  readonly homing_offset: number;
  readonly range_min: number;
  readonly range_max: number;
}

export interface LerobotCalibration {
  readonly file: string;
  /** In the file's order. */
  readonly motors: readonly LerobotMotor[];
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : JSON.stringify(v));

/** Reads and checks a LeRobot calibration file (its form and the 0..4095 ranges; the protocol's own checks come with the config). */
export function readLerobotCalibration(path: string): LerobotCalibration {
  if (!existsSync(path)) throw new LerobotCalibrationError(path, 'no such file', LEROBOT_FILE_EXPECTED);
  if (statSync(path).isDirectory()) throw new LerobotCalibrationError(path, 'is a folder, not a calibration file', `${LEROBOT_FILE_EXPECTED}: the <id>.json file in that folder`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new LerobotCalibrationError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, `${LEROBOT_FILE_EXPECTED}, readable by this user`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new LerobotCalibrationError(path, `not valid JSON: ${(e as Error).message}`, LEROBOT_FILE_EXPECTED);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LerobotCalibrationError(path, `is ${kind(raw)}, not a JSON object of motors`, LEROBOT_FILE_EXPECTED);
  const obj = raw as Record<string, unknown>;
  if ('motor_names' in obj || 'calib_mode' in obj || Array.isArray(obj.homing_offset))
    throw new LerobotCalibrationError(path, 'is in the format of LeRobot before src/lerobot/motors (lists under motor_names, calib_mode, start_pos, end_pos), whose homing is not the one described here', 'a file written by a LeRobot with MotorCalibration (src/lerobot/motors/motors_bus.py): calibrate the arm again with it, or with axon hw calibrate');
  const names = Object.keys(obj);
  if (names.length === 0) throw new LerobotCalibrationError(path, 'has no motors', LEROBOT_FILE_EXPECTED);
  const motors = names.map((name): LerobotMotor => {
    const at = `${path}#/${name}`;
    const v = obj[name];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new LerobotCalibrationError(at, `motor "${name}" is ${kind(v)}`, `an object {${FIELDS.map((f) => `"${f}"`).join(', ')}} (LeRobot's MotorCalibration)`);
    const m = v as Record<string, unknown>;
    for (const k of Object.keys(m)) if (!(FIELDS as readonly string[]).includes(k)) throw new LerobotCalibrationError(`${at}/${k}`, `motor "${name}": unknown field "${k}"`, `only ${FIELDS.join(', ')} (LeRobot's MotorCalibration)`);
    for (const k of FIELDS) {
      if (!(k in m)) throw new LerobotCalibrationError(`${at}/${k}`, `motor "${name}": ${k} is missing`, 'an integer');
      if (!Number.isInteger(m[k])) throw new LerobotCalibrationError(`${at}/${k}`, `motor "${name}": ${k} is ${kind(m[k])}`, 'an integer');
    }
    const c = { name, id: m.id as number, drive_mode: m.drive_mode as number, homing_offset: m.homing_offset as number, range_min: m.range_min as number, range_max: m.range_max as number };
    for (const k of ['range_min', 'range_max'] as const)
      if (c[k] < 0 || c[k] > 4095) throw new LerobotCalibrationError(`${at}/${k}`, `motor "${name}": ${k} ${c[k]} is outside the servo's 0..4095 ticks`, 'a present position of the 12-bit encoder, 0..4095 (LeRobot writes it into the servo\'s Min/Max_Position_Limit)');
    if (!(c.range_min < c.range_max)) throw new LerobotCalibrationError(`${at}/range_min`, `motor "${name}": range_min ${c.range_min} is not below range_max ${c.range_max}`, 'range_min < range_max: the lowest and highest present positions recorded');
    return c;
  });
  return { file: path, motors };
}

/** The arm a LeRobot calibration file is for, from where lerobot-calibrate put it: `.../robots/<type>/<id>.json` (a follower) or `.../teleoperators/<type>/<id>.json` (a leader). */
export interface LerobotArmOfPath {
  readonly type: string;
  readonly role: 'follower' | 'leader';
  /** The servo protocol of LeRobot's arms of that type (so100/so101: Feetech STS3215, koch: Dynamixel); undefined for a type axon does not know. */
  readonly protocol: 'feetech' | 'dynamixel' | undefined;
}

/** The arm `file`'s path names, or undefined where the path does not follow LeRobot's layout. */
export function lerobotArmOfPath(file: string): LerobotArmOfPath | undefined {
  const parts = resolve(file).split(/[\\/]+/);
  if (parts.length < 3 || !parts[parts.length - 1].endsWith('.json')) return undefined;
  const dir = parts[parts.length - 3], type = parts[parts.length - 2];
  if (dir !== 'robots' && dir !== 'teleoperators') return undefined;
  const protocol = /^so(_|10[01]_)/.test(type) ? 'feetech' : /^koch_/.test(type) ? 'dynamixel' : undefined;
  return { type, role: dir === 'robots' ? 'follower' : 'leader', protocol };
}

/** Refuses a file whose path says it is another arm's (type's protocol, leader or follower) than `loaded`'s; returns a note where that could not be checked. */
function checkArmOfPath(loaded: LoadedConfig, file: string): string | undefined {
  const arm = lerobotArmOfPath(file);
  const c = loaded.config;
  const role = c.role ?? 'follower';
  if (!arm) return `${file} is not where lerobot-calibrate writes (calibration/robots/<type>/<id>.json or teleoperators/<type>/<id>.json), so which arm it is for (Koch or SO-100/SO-101, leader or follower) could not be checked against ${c.name}: the servo ids and names match any of them`;
  const bad: string[] = [];
  if (arm.protocol !== undefined && arm.protocol !== loaded.protocol) bad.push(`a ${arm.type} has ${arm.protocol === 'feetech' ? 'Feetech' : 'Dynamixel'} servos, ${c.name} ${loaded.protocol === 'feetech' ? 'Feetech' : 'Dynamixel'} ones`);
  if (arm.role !== role) bad.push(`${arm.role === 'leader' ? 'teleoperators/ holds a leader arm' : 'robots/ holds a follower arm'}'s calibration, ${c.name} is a ${role}`);
  if (bad.length > 0)
    throw new LerobotArmError(
      file,
      `LeRobot's calibration of a ${arm.type} (its path: ${arm.role === 'leader' ? 'teleoperators' : 'robots'}/${arm.type}/), not of the arm ${c.name} describes: ${bad.join('; ')}`,
      `the file of this arm: calibration/${role === 'leader' ? 'teleoperators' : 'robots'}/<${loaded.protocol === 'feetech' ? `so100_${role} or so101_${role}` : `koch_${role}`}>/<id>.json, or the config of the ${arm.type}`,
    );
  if (arm.protocol === undefined) return `LeRobot type ${arm.type} (from the path) is not one axon knows the servos of (so100/so101: Feetech, koch: Dynamixel): only that it is a ${arm.role} was checked`;
  return undefined;
}

export interface LerobotImportOptions {
  /** Narrow a joint's limits to LeRobot's recorded range (and a Dynamixel's to the turn it reads after a power-up) where they reach beyond it (default: refuse). */
  readonly narrowLimits?: boolean;
}

/** One joint as imported: LeRobot's numbers and what axon makes of them. */
export interface LerobotJoint {
  readonly name: string;
  readonly id: number;
  readonly homing_offset: number;
  readonly drive_mode: number;
  readonly range_ticks: [number, number];
  /** Written into the config. */
  readonly direction: 1 | -1;
  readonly offset: number;
  /** LeRobot's range 0..4095 (calibrated as a full turn): it bounds nothing. */
  readonly full_turn: boolean;
  /** LeRobot's range in axon's joint angles (rad, low..high). */
  readonly range_rad: [number, number];
  /** Where LeRobot's normalized value is 0: the middle of its range (degrees and range_m100_100 modes), in axon's angle (rad). */
  readonly lerobot_zero_rad: number;
  /** The limits written (rad). */
  readonly lower: number;
  readonly upper: number;
  /** How far each limit was moved in (rad: lower end, upper end); absent when kept. */
  readonly narrowed?: [number, number];
  /** A Dynamixel in a position mode: the present positions (ticks) and angles (rad) it can read after a power-up, one turn from its Homing Offset. */
  readonly turn_ticks?: [number, number];
  readonly turn_rad?: [number, number];
}

export interface LerobotImport {
  readonly loaded: LoadedConfig;
  readonly joints: readonly LerobotJoint[];
  /** What the operator should know (full turns, reversed servos, narrowed limits). */
  readonly notes: readonly string[];
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
/** Rounded to 1e-6 rad toward the inside of [lo, hi]. */
const ceil6 = (x: number) => Math.ceil(x * 1e6 - 1e-6) / 1e6;
const floor6 = (x: number) => Math.floor(x * 1e6 + 1e-6) / 1e6;
const plural = (n: number, word: string) => `${word}${n === 1 ? '' : 's'}`;

/**
 * The config with LeRobot's calibration written in (direction, offset, homing_offset, range_ticks,
 * a Dynamixel joint's drive_mode, and narrowed limits where asked). Touches no servo and no file;
 * throws LerobotCalibrationError (file and config do not belong together) or LerobotRangeError.
 */
export function importLerobotCalibration(loaded: LoadedConfig, cal: LerobotCalibration, o: LerobotImportOptions = {}): LerobotImport {
  const file = cal.file;
  const feetech = loaded.protocol === 'feetech';
  const config = loaded.config;
  const unchecked = checkArmOfPath(loaded, file);
  const joints: readonly (FeetechJointConfig | DynamixelJointConfig)[] = config.joints;
  const byName = new Map(cal.motors.map((m) => [m.name, m]));
  const jointNames = new Set(joints.map((j) => j.name));
  const extra = cal.motors.filter((m) => !jointNames.has(m.name)).map((m) => m.name);
  const missing = joints.filter((j) => !byName.has(j.name)).map((j) => j.name);
  if (extra.length > 0 || missing.length > 0) {
    const parts = [
      ...(extra.length > 0 ? [`${plural(extra.length, 'motor')} ${extra.join(', ')} in the file ${extra.length === 1 ? 'is not a joint' : 'are not joints'} of ${config.name}`] : []),
      ...(missing.length > 0 ? [`${plural(missing.length, 'joint')} ${missing.join(', ')} of ${config.name} ${missing.length === 1 ? 'is' : 'are'} not in the file`] : []),
    ];
    throw new LerobotCalibrationError(file, parts.join('; '), `one motor per joint of the config, by name (${joints.map((j) => j.name).join(', ')}): is it another arm's file?`);
  }
  const idDiff = joints.filter((j) => byName.get(j.name)!.id !== j.id);
  if (idDiff.length > 0)
    throw new LerobotCalibrationError(
      `${file}#/${idDiff[0].name}/id`,
      `servo ids differ: ${idDiff.map((j) => `motor ${j.name} is id ${byName.get(j.name)!.id} in the file, ${j.id} in ${config.name}`).join('; ')}`,
      'the same servo id per motor in the file and the config',
    );
  for (const m of cal.motors) {
    const at = `${file}#/${m.name}`;
    if (feetech) {
      if (m.homing_offset < -2047 || m.homing_offset > 2047)
        throw new LerobotCalibrationError(`${at}/homing_offset`, `motor "${m.name}": homing_offset ${m.homing_offset} does not fit a Feetech Homing_Offset (address 31: a sign bit, bit 11, and 11 bits of magnitude)`, '-2047..2047');
      if (m.drive_mode === 1)
        throw new LerobotCalibrationError(
          `${at}/drive_mode`,
          `motor "${m.name}": drive_mode 1, which LeRobot's own calibration never writes for a Feetech servo: the STS has no direction register, LeRobot only negates its normalized value in software (range_m100_100 and range_0_100 modes, not degrees), so the file cannot say whether this joint turns the other way on your arm`,
          `drive_mode 0: import a copy of the file with drive_mode 0 for ${m.name}, and set its direction to -1 in the config if the joint turns the other way from the standard build`,
        );
      if (m.drive_mode !== 0) throw new LerobotCalibrationError(`${at}/drive_mode`, `motor "${m.name}": drive_mode ${m.drive_mode} is not a drive mode`, '0 (LeRobot\'s Feetech calibration writes 0)');
    } else {
      if (m.homing_offset < -1044479 || m.homing_offset > 1044479)
        throw new LerobotCalibrationError(`${at}/homing_offset`, `motor "${m.name}": homing_offset ${m.homing_offset} is outside a Dynamixel Homing Offset (address 20)`, '-1044479..1044479');
      if (m.drive_mode !== 0 && m.drive_mode !== 1)
        throw new LerobotCalibrationError(`${at}/drive_mode`, `motor "${m.name}": drive_mode ${m.drive_mode} is not a Drive Mode LeRobot's calibration writes`, '0 (normal) or 1 (reverse: bit 0 of Drive Mode, address 10)');
      const dc = config as DynamixelRobotConfig;
      const mode = dc.joints.find((j) => j.name === m.name)!.operating_mode ?? dc.operating_mode;
      // e-Manual, Homing Offset (20): in Position Control Mode "any invalid Homing Offset values
      // will be ignored (valid range: -1,024 ~ 1,024)": the servo would not read as LeRobot left it.
      if (mode === 'position' && Math.abs(m.homing_offset) > POSITION_MODE_HOMING_MAX)
        throw new LerobotCalibrationError(
          `${at}/homing_offset`,
          `motor "${m.name}": homing_offset ${m.homing_offset} is outside -${POSITION_MODE_HOMING_MAX}..${POSITION_MODE_HOMING_MAX}, which a Dynamixel in Position Control Mode ignores (e-Manual, Homing Offset), and ${config.name} has joint ${m.name} in position mode: the servo would not read as LeRobot left it`,
          `a homing offset within -${POSITION_MODE_HOMING_MAX}..${POSITION_MODE_HOMING_MAX} for a joint in position mode, or the joint in extended_position in the config (as LeRobot's calibration leaves a Koch)`,
        );
    }
    const full = isFullTurn(m);
    // Any other span this wide was swept across 0/4095, where the present position wraps: part of
    // the travel it records reads a turn off (axon's own calibrate refuses the same span).
    if (!full && m.range_max - m.range_min > MAX_SWEPT_SPAN_TICKS)
      throw new LerobotCalibrationError(
        `${at}/range_min`,
        `motor "${m.name}": range ${m.range_min}..${m.range_max} spans ${m.range_max - m.range_min} ticks, nearly the whole turn but not LeRobot's full-turn 0..4095: the sweep crossed 0/4095, where the present position wraps, so part of the joint's travel reads a turn off`,
        `a range swept without crossing 0/4095 (at most ${MAX_SWEPT_SPAN_TICKS} ticks: calibrate again from the middle of the joint's range), or 0..4095 for a joint LeRobot calibrates as a full turn`,
      );
    if (!full && (LEROBOT_HOME_TICKS < m.range_min - HOME_SLACK_TICKS || LEROBOT_HOME_TICKS > m.range_max + HOME_SLACK_TICKS))
      throw new LerobotCalibrationError(
        `${at}/range_min`,
        `motor "${m.name}": range ${m.range_min}..${m.range_max} does not contain ${LEROBOT_HOME_TICKS}, what LeRobot's homing makes the calibration pose read (it records the range from that pose on)`,
        'a range recorded by LeRobot\'s calibrate() after this homing offset was set',
      );
  }

  const pose = (name: string) => (feetech ? ((config as FeetechRobotConfig).calibration_pose?.[name] ?? 0) : 0);
  const diff: string[] = [];
  const notes: string[] = unchecked ? [unchecked] : [];
  const out: LerobotJoint[] = [];
  const newJoints = joints.map((j) => {
    const m = byName.get(j.name)!;
    const who = `joint ${j.name} (id ${j.id})`;
    const gear = feetech ? 1 : ((j as DynamixelJointConfig).gear_ratio ?? 1);
    // The config's direction is for the servo as its drive_mode says (a config imported before has
    // drive_mode 1 where the servo is reversed): back to the factory count (Drive Mode 0) first,
    // then the file's drive_mode, so that importing again, or a file of another drive mode, lands
    // on the same direction for the same servo.
    const had = feetech ? 0 : ((j as DynamixelJointConfig).drive_mode ?? 0);
    const dj = j.direction ?? 1;
    const d0: 1 | -1 = had === 1 ? (dj === 1 ? -1 : 1) : dj;
    // A Dynamixel in reverse counts the other way: the same joint motion needs the other sign.
    const d: 1 | -1 = !feetech && m.drive_mode === 1 ? (d0 === 1 ? -1 : 1) : d0;
    const p = pose(j.name);
    const k = RAD_PER_TICK / gear;
    const angle = (t: number) => d * (t - LEROBOT_HOME_TICKS) * k + p;
    const ticks = (rad: number) => ((rad - p) * d) / k + LEROBOT_HOME_TICKS;
    const offset = angle(2048);
    const full = isFullTurn(m);
    const ra = angle(m.range_min), rb = angle(m.range_max);
    const rangeRad: [number, number] = [Math.min(ra, rb), Math.max(ra, rb)];
    const limitTicks = [ticks(j.lower), ticks(j.upper)].sort((a, b) => a - b);
    const limitsText = `config limits [${j.lower}, ${j.upper}] rad (ticks ${Math.round(limitTicks[0])}..${Math.round(limitTicks[1])})`;
    let lower = j.lower, upper = j.upper;
    let narrowed: [number, number] | undefined;
    if (!feetech && (m.drive_mode === 1 || had === 1))
      notes.push(
        m.drive_mode === 1
          ? `${j.name}: drive_mode 1 (the servo counts in reverse): direction ${d} (${d0} at Drive Mode 0)${had === 1 ? `, as ${config.name} had it` : `; ${config.name} had ${dj} at Drive Mode 0`}`
          : `${j.name}: drive_mode 0 where ${config.name} had 1 (reversed): direction back to ${d}, the servo's factory count`,
      );
    const win = dynamixelTurnWindow(loaded, j.name, m);
    if (full) {
      notes.push(`${j.name}: LeRobot's range ${m.range_min}..${m.range_max} bounds nothing (calibrated as a full turn)${win ? '' : `: the config's limits [${j.lower}, ${j.upper}] rad stay`}`);
      // Present Position wraps at 0/4095 on a Feetech: limits past it would wrap.
      if (feetech && (limitTicks[0] < 0 || limitTicks[1] > 4095))
        diff.push(`${who}: ${limitsText} go past 0..4095, where the present position wraps (LeRobot's homing leaves the calibration pose at ${LEROBOT_HOME_TICKS}): at most [${r4(Math.min(angle(0), angle(4095)))}, ${r4(Math.max(angle(0), angle(4095)))}] rad`);
    }
    // What bounds the limits: the range LeRobot recorded, and on a Dynamixel the one turn it can
    // read after a power-up, [h, h + 4095] (its multi-turn count is lost: Present Position comes
    // back as the single-turn absolute position + Homing Offset); a reversed servo's count may
    // start one tick later (where the reversed count starts is not documented), so [h + 1, h + 4095].
    const bounds: { lo: number; hi: number; what: string; line: (short: string) => string }[] = [];
    if (!full)
      bounds.push({ lo: rangeRad[0], hi: rangeRad[1], what: "LeRobot's range", line: (short) => `${who}: ${limitsText}, LeRobot range [${r4(rangeRad[0])}, ${r4(rangeRad[1])}] rad (ticks ${m.range_min}..${m.range_max}): ${short}` });
    let winRad: [number, number] | undefined;
    if (win) {
      const wa = angle(win[0]), wb = angle(win[1]);
      const wr: [number, number] = [Math.min(wa, wb), Math.max(wa, wb)];
      winRad = wr;
      bounds.push({
        lo: wr[0],
        hi: wr[1],
        what: 'the turn the servo reads after a power-up',
        line: (short) => `${who}: ${limitsText} leave ticks ${win[0]}..${win[1]}, the one turn this servo reads after a power-up (Homing_Offset ${m.homing_offset} + its single-turn position: the turn count is lost), [${r4(wr[0])}, ${r4(wr[1])}] rad: ${short}; there it would read a turn off`,
      });
      if (m.range_min < win[0] || m.range_max > win[1])
        notes.push(`${j.name}: LeRobot's range ${m.range_min}..${m.range_max} reaches past ticks ${win[0]}..${win[1]}, the turn the servo reads after a power-up: powered up with the joint out there, it reads a turn off (axon's connect then refuses it: with the joint inside its range, power the servos off and on)`);
    }
    const narrowedBy: { what: string; short: string }[] = [];
    let bLo = -Infinity, bHi = Infinity;
    for (const b of bounds) {
      const shortLo = b.lo - lower, shortHi = upper - b.hi;
      if (!(shortLo > EPS_RAD || shortHi > EPS_RAD)) continue;
      const short = [...(shortLo > EPS_RAD ? [`${shortLo.toFixed(3)} rad short at the lower end`] : []), ...(shortHi > EPS_RAD ? [`${shortHi.toFixed(3)} rad short at the upper end`] : [])].join(', ');
      if (!o.narrowLimits) {
        diff.push(b.line(short));
        continue;
      }
      lower = Math.max(lower, ceil6(b.lo));
      upper = Math.min(upper, floor6(b.hi));
      narrowedBy.push({ what: b.what, short });
      bLo = Math.max(bLo, b.lo);
      bHi = Math.min(bHi, b.hi);
    }
    if (narrowedBy.length > 0) {
      narrowed = [r4(lower - j.lower), r4(j.upper - upper)];
      const dp = j.default_position ?? 0;
      const what = narrowedBy.map((x) => x.what).join(' and ');
      if (dp < lower || dp > upper) diff.push(`${who}: default_position ${dp} rad is outside ${what} [${r4(bLo)}, ${r4(bHi)}] rad, so the limits cannot be narrowed to it: set a default_position inside it`);
      else notes.push(`${j.name}: limits narrowed to ${what}: [${lower}, ${upper}] rad (${narrowedBy.map((x) => x.short).join('; ')})`);
    }
    out.push({
      name: j.name,
      id: j.id,
      homing_offset: m.homing_offset,
      drive_mode: m.drive_mode,
      range_ticks: [m.range_min, m.range_max],
      direction: d,
      offset,
      full_turn: full,
      range_rad: [r4(rangeRad[0]), r4(rangeRad[1])],
      lerobot_zero_rad: r4(angle((m.range_min + m.range_max) / 2)),
      lower,
      upper,
      ...(narrowed ? { narrowed } : {}),
      ...(win && winRad ? { turn_ticks: win, turn_rad: [r4(winRad[0]), r4(winRad[1])] as [number, number] } : {}),
    });
    const calibrated = { ...j, direction: d, offset, lower, upper, homing_offset: m.homing_offset, range_ticks: [m.range_min, m.range_max] as [number, number] };
    return feetech ? calibrated : { ...calibrated, drive_mode: m.drive_mode as 0 | 1 };
  });
  if (diff.length > 0) throw new LerobotRangeError(file, diff);
  const where = `${config.name} with ${file}`;
  const next: LoadedConfig = feetech
    ? { protocol: 'feetech', config: validateFeetechConfig({ ...config, joints: newJoints }, where) }
    : { protocol: 'dynamixel', config: validateRobotConfig({ ...(config as DynamixelRobotConfig), joints: newJoints }, where) };
  return { loaded: next, joints: out, notes };
}

/**
 * The present positions (ticks, inclusive) a Dynamixel joint in a position mode can report right
 * after a power-up: its absolute encoder knows one turn, and Present Position = that + Homing
 * Offset (e-Manual, Present Position(132): reset "to an absolute position value of one full
 * rotation" at power-off in Extended Position Control Mode, and at torque-on in Position Control
 * Mode). A reversed servo (Drive Mode bit 0) may count from h + 1: the window is taken where both
 * agree. Undefined for a Feetech joint (its count wraps at 0/4095 instead) or a velocity/current mode.
 */
function dynamixelTurnWindow(loaded: LoadedConfig, name: string, m: LerobotMotor): [number, number] | undefined {
  if (loaded.protocol !== 'dynamixel') return undefined;
  const c = loaded.config;
  const mode = c.joints.find((j) => j.name === name)!.operating_mode ?? c.operating_mode;
  if (mode !== 'position' && mode !== 'extended_position' && mode !== 'current_based_position') return undefined;
  return [m.homing_offset + (m.drive_mode === 1 ? 1 : 0), m.homing_offset + TICKS_PER_TURN - 1];
}

/** LeRobot's full-turn marker: range_min 0, range_max 4095, what its calibrate() writes for the joints it does not sweep. */
function isFullTurn(m: LerobotMotor): boolean {
  return m.range_min === 0 && m.range_max === 4095;
}
