/**
 * X-series control table (Protocol 2.0 firmware; XM430, XH430, XM540, XH540 share it) with the
 * units of every item in one place: raw value × `scale` = value in `unit`. Addresses, sizes and
 * units follow the ROBOTIS e-manual for the XM430-W350 / XH540-W270. Where another model's table
 * differs (XL330: current in 1 mA; XL430 / XC430: Present Load at 126, no 38 nor 102), see
 * servoModels.ts (`controlTableOf`).
 */

export type ItemName =
  | 'model_number' | 'model_information' | 'firmware_version' | 'id' | 'baud_rate' | 'return_delay_time'
  | 'drive_mode' | 'operating_mode' | 'secondary_id' | 'protocol_type' | 'homing_offset' | 'moving_threshold'
  | 'temperature_limit' | 'max_voltage_limit' | 'min_voltage_limit' | 'pwm_limit' | 'current_limit'
  | 'velocity_limit' | 'max_position_limit' | 'min_position_limit' | 'shutdown'
  | 'torque_enable' | 'led' | 'status_return_level' | 'registered_instruction' | 'hardware_error_status'
  | 'velocity_i_gain' | 'velocity_p_gain' | 'position_d_gain' | 'position_i_gain' | 'position_p_gain'
  | 'feedforward_2nd_gain' | 'feedforward_1st_gain' | 'bus_watchdog' | 'goal_pwm' | 'goal_current'
  | 'goal_velocity' | 'profile_acceleration' | 'profile_velocity' | 'goal_position' | 'realtime_tick'
  | 'moving' | 'moving_status' | 'present_pwm' | 'present_current' | 'present_velocity' | 'present_position'
  | 'velocity_trajectory' | 'position_trajectory' | 'present_input_voltage' | 'present_temperature'
  /** XL430 / XC430 only, at 126 in place of present_current (servoModels.ts). */
  | 'present_load';

export interface ControlItem {
  readonly name: ItemName;
  readonly address: number;
  readonly size: 1 | 2 | 4;
  readonly access: 'R' | 'RW';
  /** EEPROM items can be written only while torque is off. */
  readonly memory: 'EEPROM' | 'RAM';
  /** Two's complement on the wire. */
  readonly signed: boolean;
  /** Raw × scale = value in unit (position: rad per tick, see POSITION_CENTER). */
  readonly scale: number;
  readonly unit: string;
  /** Factory value on an XM430-W350 (the emulator starts from it). */
  readonly initial: number;
  /** Writable range (raw), when the item is RW. */
  readonly min?: number;
  readonly max?: number;
}

const RPM = (2 * Math.PI) / 60; // rad/s per rev/min
/** One position tick (rad): 4096 ticks per revolution. */
export const RAD_PER_TICK = (2 * Math.PI) / 4096;
/** Tick of the zero angle used by axon configs (the middle of 0..4095). */
export const POSITION_CENTER = 2048;
/** Velocity unit: 0.229 rev/min per raw unit, in rad/s. */
export const RAD_S_PER_VELOCITY_UNIT = 0.229 * RPM;
/** Current unit of the XM/XH series: 2.69 mA per raw unit, in A (XL330: 1 mA; each model's own is ServoModel.currentUnit). */
export const AMP_PER_CURRENT_UNIT = 0.00269;

const it = (
  name: ItemName, address: number, size: 1 | 2 | 4, access: 'R' | 'RW', memory: 'EEPROM' | 'RAM', initial: number,
  unit = '', scale = 1, signed = false, min?: number, max?: number,
): ControlItem => ({ name, address, size, access, memory, signed, scale, unit, initial, ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) });

/** The table, by address. */
export const X_SERIES: readonly ControlItem[] = [
  it('model_number', 0, 2, 'R', 'EEPROM', 1020),
  it('model_information', 2, 4, 'R', 'EEPROM', 0),
  it('firmware_version', 6, 1, 'R', 'EEPROM', 46),
  it('id', 7, 1, 'RW', 'EEPROM', 1, '', 1, false, 0, 252),
  it('baud_rate', 8, 1, 'RW', 'EEPROM', 1, 'code (BAUD_CODES)', 1, false, 0, 7),
  it('return_delay_time', 9, 1, 'RW', 'EEPROM', 250, 's', 2e-6, false, 0, 254),
  it('drive_mode', 10, 1, 'RW', 'EEPROM', 0, 'bits', 1, false, 0, 13),
  it('operating_mode', 11, 1, 'RW', 'EEPROM', 3, 'code (OperatingMode)', 1, false, 0, 16),
  it('secondary_id', 12, 1, 'RW', 'EEPROM', 255, '', 1, false, 0, 255),
  it('protocol_type', 13, 1, 'RW', 'EEPROM', 2, '', 1, false, 1, 2),
  it('homing_offset', 20, 4, 'RW', 'EEPROM', 0, 'rad', RAD_PER_TICK, true, -1044479, 1044479),
  it('moving_threshold', 24, 4, 'RW', 'EEPROM', 10, 'rad/s', RAD_S_PER_VELOCITY_UNIT, false, 0, 1023),
  it('temperature_limit', 31, 1, 'RW', 'EEPROM', 80, '°C', 1, false, 0, 100),
  it('max_voltage_limit', 32, 2, 'RW', 'EEPROM', 160, 'V', 0.1, false, 95, 160),
  it('min_voltage_limit', 34, 2, 'RW', 'EEPROM', 95, 'V', 0.1, false, 95, 160),
  it('pwm_limit', 36, 2, 'RW', 'EEPROM', 885, '%', 0.113, false, 0, 885),
  // The largest Current Limit of the models here (XM540/XH540); each model's own is ServoModel.currentLimit.
  it('current_limit', 38, 2, 'RW', 'EEPROM', 1193, 'A', AMP_PER_CURRENT_UNIT, false, 0, 2047),
  it('velocity_limit', 44, 4, 'RW', 'EEPROM', 200, 'rad/s', RAD_S_PER_VELOCITY_UNIT, false, 0, 1023),
  it('max_position_limit', 48, 4, 'RW', 'EEPROM', 4095, 'rad', RAD_PER_TICK, false, 0, 4095),
  it('min_position_limit', 52, 4, 'RW', 'EEPROM', 0, 'rad', RAD_PER_TICK, false, 0, 4095),
  it('shutdown', 63, 1, 'RW', 'EEPROM', 0x34, 'bits (HardwareError)', 1, false, 0, 255),
  it('torque_enable', 64, 1, 'RW', 'RAM', 0, 'bool', 1, false, 0, 1),
  it('led', 65, 1, 'RW', 'RAM', 0, 'bool', 1, false, 0, 1),
  it('status_return_level', 68, 1, 'RW', 'RAM', 2, 'code', 1, false, 0, 2),
  it('registered_instruction', 69, 1, 'R', 'RAM', 0, 'bool'),
  it('hardware_error_status', 70, 1, 'R', 'RAM', 0, 'bits (HardwareError)'),
  it('velocity_i_gain', 76, 2, 'RW', 'RAM', 1920, '', 1, false, 0, 16383),
  it('velocity_p_gain', 78, 2, 'RW', 'RAM', 100, '', 1, false, 0, 16383),
  it('position_d_gain', 80, 2, 'RW', 'RAM', 0, '', 1, false, 0, 16383),
  it('position_i_gain', 82, 2, 'RW', 'RAM', 0, '', 1, false, 0, 16383),
  it('position_p_gain', 84, 2, 'RW', 'RAM', 800, '', 1, false, 0, 16383),
  it('feedforward_2nd_gain', 88, 2, 'RW', 'RAM', 0, '', 1, false, 0, 16383),
  it('feedforward_1st_gain', 90, 2, 'RW', 'RAM', 0, '', 1, false, 0, 16383),
  it('bus_watchdog', 98, 1, 'RW', 'RAM', 0, 's', 0.02, false, 0, 127),
  it('goal_pwm', 100, 2, 'RW', 'RAM', 885, '%', 0.113, true, -885, 885),
  // Goal Current within ±Current Limit (38) and Goal Velocity within ±Velocity Limit (44): the servo's own, checked by it.
  it('goal_current', 102, 2, 'RW', 'RAM', 0, 'A', AMP_PER_CURRENT_UNIT, true, -2047, 2047),
  it('goal_velocity', 104, 4, 'RW', 'RAM', 0, 'rad/s', RAD_S_PER_VELOCITY_UNIT, true, -1023, 1023),
  it('profile_acceleration', 108, 4, 'RW', 'RAM', 0, 'rev/min²', 214.577, false, 0, 32767),
  it('profile_velocity', 112, 4, 'RW', 'RAM', 0, 'rad/s', RAD_S_PER_VELOCITY_UNIT, false, 0, 32767),
  it('goal_position', 116, 4, 'RW', 'RAM', 0, 'rad', RAD_PER_TICK, true, -1048575, 1048575),
  it('realtime_tick', 120, 2, 'R', 'RAM', 0, 's', 0.001),
  it('moving', 122, 1, 'R', 'RAM', 0, 'bool'),
  it('moving_status', 123, 1, 'R', 'RAM', 0, 'bits'),
  it('present_pwm', 124, 2, 'R', 'RAM', 0, '%', 0.113, true),
  it('present_current', 126, 2, 'R', 'RAM', 0, 'A', AMP_PER_CURRENT_UNIT, true),
  it('present_velocity', 128, 4, 'R', 'RAM', 0, 'rad/s', RAD_S_PER_VELOCITY_UNIT, true),
  it('present_position', 132, 4, 'R', 'RAM', 0, 'rad', RAD_PER_TICK, true),
  it('velocity_trajectory', 136, 4, 'R', 'RAM', 0, 'rad/s', RAD_S_PER_VELOCITY_UNIT, true),
  it('position_trajectory', 140, 4, 'R', 'RAM', 0, 'rad', RAD_PER_TICK, true),
  it('present_input_voltage', 144, 2, 'R', 'RAM', 120, 'V', 0.1),
  it('present_temperature', 146, 1, 'R', 'RAM', 30, '°C'),
];

/** Size of the emulated control table memory (bytes). */
export const CONTROL_TABLE_BYTES = 256;

/** Present Load (126) of the models without current sensing (XL430, XC430): 0.1 % of the maximum torque per raw unit, -1000..1000. */
export const PRESENT_LOAD_ITEM: ControlItem = it('present_load', 126, 2, 'R', 'RAM', 0, 'fraction of maximum torque', 0.001, true, -1000, 1000);

const _byName = new Map([...X_SERIES, PRESENT_LOAD_ITEM].map((i) => [i.name, i]));
const _byAddress = new Map(X_SERIES.map((i) => [i.address, i]));

export function item(name: ItemName): ControlItem {
  return _byName.get(name)!;
}
export function itemAt(address: number): ControlItem | undefined {
  return _byAddress.get(address);
}

/** Operating Mode (address 11) values. */
export const OperatingMode = {
  current: 0,
  velocity: 1,
  position: 3,
  extended_position: 4,
  current_based_position: 5,
  pwm: 16,
} as const;
export type OperatingModeName = keyof typeof OperatingMode;

/** Hardware Error Status (address 70) bits; also the Shutdown (address 63) mask. */
export const HardwareError = {
  input_voltage: 0x01,
  overheating: 0x04,
  motor_encoder: 0x08,
  electrical_shock: 0x10,
  overload: 0x20,
} as const;
export type HardwareErrorName = keyof typeof HardwareError;

export function describeHardwareError(bits: number): string {
  const names = (Object.keys(HardwareError) as HardwareErrorName[]).filter((k) => bits & HardwareError[k]);
  return names.length === 0 ? 'none' : names.join(', ');
}

/** Baud Rate (address 8) codes -> bits per second. */
export const BAUD_CODES: Readonly<Record<number, number>> = { 0: 9600, 1: 57600, 2: 115200, 3: 1_000_000, 4: 2_000_000, 5: 3_000_000, 6: 4_000_000, 7: 4_500_000 };

export function baudCode(bps: number): number | undefined {
  for (const [k, v] of Object.entries(BAUD_CODES)) if (v === bps) return Number(k);
  return undefined;
}

// ---- unit conversions (the only place ticks meet radians) ----

export const ticksToRad = (ticks: number) => (ticks - POSITION_CENTER) * RAD_PER_TICK;
export const radToTicks = (rad: number) => Math.round(rad / RAD_PER_TICK) + POSITION_CENTER;
export const velocityToRadS = (raw: number) => raw * RAD_S_PER_VELOCITY_UNIT;
export const radSToVelocity = (radS: number) => Math.round(radS / RAD_S_PER_VELOCITY_UNIT);

/** Present current (Present Load on XL430 / XC430), velocity and position: one contiguous block read each tick (126..135, 10 bytes). */
export const PRESENT_BLOCK = { address: 126, length: 10 } as const;
