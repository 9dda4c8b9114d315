/**
 * STS3215 control table (Feetech SMS/STS series memory table, magnetic-encoder servos, little
 * endian), with the units of every item in one place: decoded raw value × `scale` = value in
 * `unit`. Addresses and factory values follow Feetech's STS memory table; names follow LeRobot's
 * `motors/feetech/tables.py` where it has them.
 *
 * Sign-magnitude items (`signBit`): the sign is one bit of the field, not two's complement: bit 15
 * for speeds and the current, bit 11 for the homing offset (Ofs, address 31), bit 10 for the load.
 *
 * Position frame: Present Position = encoder angle − Homing Offset (mod 4096), and goals are in
 * the same frame, so a homing offset moves the zero of everything the host reads and writes.
 *
 * No bus watchdog. Unlike Dynamixel X (Bus Watchdog, address 98) an STS servo keeps its last goal
 * forever when the host goes quiet. What the host does instead (FeetechRobot): a goal never
 * outruns the present pose by more than the joint's velocity limit × `goal_horizon_ms` (a dead
 * host leaves the arm at most that far from where it was, with torque still on); every exit path
 * (end of run, fault, Ctrl-C, a failed connect) applies the config's `safe_stop`; and a Torque
 * Limit (address 48) from the config caps what a stuck goal can push with.
 */

export type FeetechItemName =
  | 'firmware_major' | 'firmware_minor' | 'model_number' | 'id' | 'baud_rate' | 'return_delay_time'
  | 'response_status_level' | 'min_position_limit' | 'max_position_limit' | 'max_temperature_limit'
  | 'max_voltage_limit' | 'min_voltage_limit' | 'max_torque_limit' | 'phase' | 'unloading_condition'
  | 'led_alarm_condition' | 'p_coefficient' | 'd_coefficient' | 'i_coefficient' | 'minimum_startup_force'
  | 'cw_dead_zone' | 'ccw_dead_zone' | 'protection_current' | 'angular_resolution' | 'homing_offset'
  | 'operating_mode' | 'protective_torque' | 'protection_time' | 'overload_torque'
  | 'torque_enable' | 'acceleration' | 'goal_position' | 'goal_time' | 'goal_velocity' | 'torque_limit' | 'lock'
  | 'present_position' | 'present_velocity' | 'present_load' | 'present_voltage' | 'present_temperature'
  | 'async_write_flag' | 'status' | 'moving' | 'present_current';

export interface FeetechItem {
  readonly name: FeetechItemName;
  readonly address: number;
  readonly size: 1 | 2;
  readonly access: 'R' | 'RW';
  /** EPROM items persist across power cycles only when written with Lock (55) = 0. */
  readonly memory: 'EPROM' | 'SRAM';
  /** Sign-magnitude sign bit, when the item is signed. */
  readonly signBit?: number;
  /** Decoded raw × scale = value in unit. */
  readonly scale: number;
  readonly unit: string;
  /** Factory value of an STS3215 (the emulator starts from it). */
  readonly initial: number;
  /** Writable range (decoded), when RW. */
  readonly min?: number;
  readonly max?: number;
}

/** Ticks per revolution (12-bit magnetic encoder). */
export const TICKS_PER_TURN = 4096;
/** One position tick (rad). */
export const RAD_PER_TICK = (2 * Math.PI) / TICKS_PER_TURN;
/** Tick of the zero angle used by axon configs (middle of 0..4095). */
export const POSITION_CENTER = 2048;
/** Speed unit: one tick per second (50 steps/s = 0.732 rev/min), in rad/s. */
export const RAD_S_PER_SPEED_UNIT = RAD_PER_TICK;
/** Present Current unit: 6.5 mA. */
export const AMP_PER_CURRENT_UNIT = 0.0065;
/** Acceleration unit: 100 ticks/s². */
export const RAD_S2_PER_ACCEL_UNIT = 100 * RAD_PER_TICK;
/** Return Delay Time unit: 2 µs. */
export const S_PER_RETURN_DELAY_UNIT = 2e-6;

const it = (
  name: FeetechItemName, address: number, size: 1 | 2, access: 'R' | 'RW', memory: 'EPROM' | 'SRAM', initial: number,
  unit = '', scale = 1, signBit?: number, min?: number, max?: number,
): FeetechItem => ({ name, address, size, access, memory, scale, unit, initial, ...(signBit === undefined ? {} : { signBit }), ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) });

/** The table, by address. */
export const STS_TABLE: readonly FeetechItem[] = [
  it('firmware_major', 0, 1, 'R', 'EPROM', 3),
  it('firmware_minor', 1, 1, 'R', 'EPROM', 10),
  it('model_number', 3, 2, 'R', 'EPROM', 777),
  it('id', 5, 1, 'RW', 'EPROM', 1, '', 1, undefined, 0, 253),
  it('baud_rate', 6, 1, 'RW', 'EPROM', 0, 'code (BAUD_CODES)', 1, undefined, 0, 7),
  it('return_delay_time', 7, 1, 'RW', 'EPROM', 0, 's', S_PER_RETURN_DELAY_UNIT, undefined, 0, 254),
  it('response_status_level', 8, 1, 'RW', 'EPROM', 1, 'code (0: read and ping only)', 1, undefined, 0, 1),
  it('min_position_limit', 9, 2, 'RW', 'EPROM', 0, 'rad', RAD_PER_TICK, undefined, 0, 4095),
  it('max_position_limit', 11, 2, 'RW', 'EPROM', 4095, 'rad', RAD_PER_TICK, undefined, 0, 4095),
  it('max_temperature_limit', 13, 1, 'RW', 'EPROM', 70, '°C', 1, undefined, 0, 100),
  it('max_voltage_limit', 14, 1, 'RW', 'EPROM', 140, 'V', 0.1, undefined, 0, 254),
  it('min_voltage_limit', 15, 1, 'RW', 'EPROM', 40, 'V', 0.1, undefined, 0, 254),
  it('max_torque_limit', 16, 2, 'RW', 'EPROM', 1000, '%', 0.1, undefined, 0, 1000),
  it('phase', 18, 1, 'RW', 'EPROM', 12, 'bits'),
  it('unloading_condition', 19, 1, 'RW', 'EPROM', 44, 'bits (StatusBit)', 1, undefined, 0, 255),
  it('led_alarm_condition', 20, 1, 'RW', 'EPROM', 47, 'bits (StatusBit)', 1, undefined, 0, 255),
  it('p_coefficient', 21, 1, 'RW', 'EPROM', 32, '', 1, undefined, 0, 254),
  it('d_coefficient', 22, 1, 'RW', 'EPROM', 32, '', 1, undefined, 0, 254),
  it('i_coefficient', 23, 1, 'RW', 'EPROM', 0, '', 1, undefined, 0, 254),
  it('minimum_startup_force', 24, 2, 'RW', 'EPROM', 16, '%', 0.1, undefined, 0, 1000),
  it('cw_dead_zone', 26, 1, 'RW', 'EPROM', 1, 'rad', RAD_PER_TICK, undefined, 0, 32),
  it('ccw_dead_zone', 27, 1, 'RW', 'EPROM', 1, 'rad', RAD_PER_TICK, undefined, 0, 32),
  it('protection_current', 28, 2, 'RW', 'EPROM', 500, 'A', AMP_PER_CURRENT_UNIT, undefined, 0, 511),
  it('angular_resolution', 30, 1, 'RW', 'EPROM', 1, '', 1, undefined, 1, 100),
  it('homing_offset', 31, 2, 'RW', 'EPROM', 0, 'rad', RAD_PER_TICK, 11, -2047, 2047),
  it('operating_mode', 33, 1, 'RW', 'EPROM', 0, 'code (FeetechMode)', 1, undefined, 0, 3),
  it('protective_torque', 34, 1, 'RW', 'EPROM', 20, '%', 1, undefined, 0, 100),
  it('protection_time', 35, 1, 'RW', 'EPROM', 200, 's', 0.01, undefined, 0, 254),
  it('overload_torque', 36, 1, 'RW', 'EPROM', 80, '%', 1, undefined, 0, 100),
  it('torque_enable', 40, 1, 'RW', 'SRAM', 0, 'code (0 off, 1 on, 128: present position := 2048)', 1, undefined, 0, 128),
  it('acceleration', 41, 1, 'RW', 'SRAM', 0, 'rad/s²', RAD_S2_PER_ACCEL_UNIT, undefined, 0, 254),
  it('goal_position', 42, 2, 'RW', 'SRAM', 0, 'rad', RAD_PER_TICK, 15, -32767, 32767),
  it('goal_time', 44, 2, 'RW', 'SRAM', 0, 'ms', 1, undefined, 0, 65535),
  it('goal_velocity', 46, 2, 'RW', 'SRAM', 0, 'rad/s', RAD_S_PER_SPEED_UNIT, 15, -32767, 32767),
  it('torque_limit', 48, 2, 'RW', 'SRAM', 1000, '%', 0.1, undefined, 0, 1000),
  it('lock', 55, 1, 'RW', 'SRAM', 1, 'bool (0: EPROM writes are saved)', 1, undefined, 0, 1),
  it('present_position', 56, 2, 'R', 'SRAM', 0, 'rad', RAD_PER_TICK, 15),
  it('present_velocity', 58, 2, 'R', 'SRAM', 0, 'rad/s', RAD_S_PER_SPEED_UNIT, 15),
  it('present_load', 60, 2, 'R', 'SRAM', 0, '% (PWM duty)', 0.1, 10),
  it('present_voltage', 62, 1, 'R', 'SRAM', 74, 'V', 0.1),
  it('present_temperature', 63, 1, 'R', 'SRAM', 30, '°C'),
  it('async_write_flag', 64, 1, 'R', 'SRAM', 0, 'bool'),
  it('status', 65, 1, 'R', 'SRAM', 0, 'bits (StatusBit)'),
  it('moving', 66, 1, 'R', 'SRAM', 0, 'bool'),
  it('present_current', 69, 2, 'R', 'SRAM', 0, 'A', AMP_PER_CURRENT_UNIT, 15),
];

/** Size of the emulated memory (bytes). */
export const FEETECH_TABLE_BYTES = 128;

const _byName = new Map(STS_TABLE.map((i) => [i.name, i]));

export function feetechItem(name: FeetechItemName): FeetechItem {
  return _byName.get(name)!;
}

/** Operating Mode (address 33). */
export const FeetechMode = { position: 0, velocity: 1, pwm: 2, step: 3 } as const;
export type FeetechModeName = keyof typeof FeetechMode;

/**
 * Baud Rate (address 6) codes -> bit/s, from Feetech's memory table and SDK (SMS_STS_*). LeRobot's
 * tables.py lists 57600 as 5 and 38400 as 6; Feetech's own table has 76800 at 5 and 57600 at 6.
 */
export const FEETECH_BAUD_CODES: Readonly<Record<number, number>> = { 0: 1_000_000, 1: 500_000, 2: 250_000, 3: 128_000, 4: 115_200, 5: 76_800, 6: 57_600, 7: 38_400 };

export function feetechBaudCode(bps: number): number | undefined {
  for (const [k, v] of Object.entries(FEETECH_BAUD_CODES)) if (v === bps) return Number(k);
  return undefined;
}

/** What axon knows about each supported model (datasheet figures). */
export interface FeetechModel {
  readonly name: string;
  readonly number: number;
  /** Stall torque (N·m) and stall current (A) at the rated voltage: torque constant ≈ torque / current. */
  readonly stallTorque: number;
  readonly stallCurrent: number;
  /** No-load speed (rad/s). */
  readonly noLoadSpeed: number;
  readonly ratedVoltage: number;
}

/**
 * STS3215 (model 777): the 7.4 V, 1/345 version (C001) of the SO-101 follower: 19.5 kg·cm stall,
 * 0.222 s/60° no load. The 12 V versions share the model number and the table.
 */
export const FEETECH_MODELS: readonly FeetechModel[] = [
  { name: 'STS3215', number: 777, stallTorque: 1.91, stallCurrent: 2.7, noLoadSpeed: Math.PI / 3 / 0.222, ratedVoltage: 7.4 },
  { name: 'STS3250', number: 2825, stallTorque: 4.9, stallCurrent: 3.5, noLoadSpeed: Math.PI / 3 / 0.19, ratedVoltage: 12 },
];

export function feetechModelByName(name: string): FeetechModel | undefined {
  return FEETECH_MODELS.find((m) => m.name === name);
}
export function feetechModelByNumber(n: number): FeetechModel | undefined {
  return FEETECH_MODELS.find((m) => m.number === n);
}

/** Present position, velocity and load: one contiguous block (56..61) read each tick. */
export const FEETECH_PRESENT_BLOCK = { address: 56, length: 6 } as const;

// ---- unit conversions (the only place ticks meet radians) ----

export const stsTicksToRad = (ticks: number) => (ticks - POSITION_CENTER) * RAD_PER_TICK;
export const stsRadToTicks = (rad: number) => Math.round(rad / RAD_PER_TICK) + POSITION_CENTER;
