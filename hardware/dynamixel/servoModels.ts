/**
 * What axon knows about each supported Dynamixel X-series model, and where a model's control
 * table differs from the XM430's (controlTable.ts X_SERIES): the unit or meaning of address 126,
 * the items it lacks, its factory limits and the operating modes it has.
 *
 * Sources (each figure below is from one of them):
 * - ROBOTIS e-Manual, github.com/ROBOTIS-GIT/emanual: _data/dxl_x_info.yml (stall torque, stall
 *   current and no-load speed at each voltage; the rated one is in bold there) and the model pages
 *   docs/en/dxl/x/<model>.md (control tables: model number, Current Limit, Velocity Limit, voltage
 *   and temperature limits, the item at 126); _includes/en/dxl/x/operating_mode_xl.md (XL430 and
 *   XC430: operating modes 1, 3, 4, 16); _includes/en/dxl/control_table_present_load_2.md (Present
 *   Load: 0.1 %, -1000..1000, "an inferred value ... not a measured value").
 * - ROBOTIS dynamixel-workbench, dynamixel_item.h: the model numbers.
 * - LeRobot, src/lerobot/motors/dynamixel/tables.py: MODEL_NUMBER_TABLE and MODEL_OPERATING_MODES
 *   agree with the e-Manual for XL330-M077/M288, XL430-W250, XC430-W150.
 */
import { X_SERIES, PRESENT_LOAD_ITEM, type ControlItem, type ItemName, type OperatingModeName } from './controlTable.ts';

const RPM = (2 * Math.PI) / 60; // rad/s per rev/min

/** What address 126 holds on a model. */
export type Feedback126 =
  /** Present Current, signed, `currentUnit` A per raw unit. */
  | 'present_current'
  /** Present Load, signed, 0.1 % of the maximum torque per raw unit (-1000..1000); no current sensing. */
  | 'present_load';

/** Datasheet figures are at `ratedVoltage`. */
export interface ServoModel {
  readonly name: string;
  readonly number: number;
  /** Voltage the stall and speed figures are given at (V): ROBOTIS's recommended one. */
  readonly ratedVoltage: number;
  /** Stall torque (N·m) and stall current (A) at ratedVoltage: torque constant ≈ stall torque / stall current. */
  readonly stallTorque: number;
  readonly stallCurrent: number;
  /** No-load speed (rad/s) at ratedVoltage. */
  readonly noLoadSpeed: number;
  /** Firmware version from which Fast Sync Read works; absent: treated as unsupported (plain Sync Read). */
  readonly fastSyncReadFirmware?: number;
  /** What address 126 reads. */
  readonly feedback126: Feedback126;
  /** A per raw unit of Present Current (126), Goal Current (102) and Current Limit (38); absent when the model has no current sensing. */
  readonly currentUnit?: number;
  /** Factory Current Limit (address 38, raw), also its maximum; absent when the model has no Current Limit. */
  readonly currentLimit?: number;
  /** Operating Mode (address 11) values the model has. */
  readonly operatingModes: readonly OperatingModeName[];
  /** Factory Velocity Limit (44, raw) and the largest it takes; absent: the XM430-W350's (200, 1023). */
  readonly velocityLimit?: number;
  readonly velocityLimitMax?: number;
  /** Factory Max / Min Voltage Limit (32, 34, 0.1 V) and the range both take; absent: the XM430-W350's. */
  readonly voltageLimit?: { readonly max: number; readonly min: number; readonly lo: number; readonly hi: number };
  /** Factory Temperature Limit (31, °C); absent: the XM430-W350's 80. */
  readonly temperatureLimit?: number;
  /** Largest Baud Rate (8) code; absent: 7 (4.5 Mbps). */
  readonly baudCodeMax?: number;
}

/** The XM/XH current unit: 2.69 mA per raw unit (e-Manual, XM430-W350 control table). */
const XM_AMP = 0.00269;
const ALL_MODES: readonly OperatingModeName[] = ['current', 'velocity', 'position', 'extended_position', 'current_based_position', 'pwm'];
/** XL430-W250 and XC430: no current control (e-Manual operating_mode_xl.md; LeRobot MODEL_OPERATING_MODES [1, 3, 4, 16]). */
const NO_CURRENT_MODES: readonly OperatingModeName[] = ['velocity', 'position', 'extended_position', 'pwm'];

export const SERVO_MODELS: readonly ServoModel[] = [
  // XM/XH at 12 V: e-Manual _data/dxl_x_info.yml and the model pages; model numbers from dynamixel_item.h.
  { name: 'XM430-W350', number: 1020, ratedVoltage: 12, stallTorque: 4.1, stallCurrent: 2.3, noLoadSpeed: 46 * RPM, fastSyncReadFirmware: 45, feedback126: 'present_current', currentUnit: XM_AMP, currentLimit: 1193, operatingModes: ALL_MODES },
  { name: 'XM430-W210', number: 1030, ratedVoltage: 12, stallTorque: 3.0, stallCurrent: 2.3, noLoadSpeed: 77 * RPM, fastSyncReadFirmware: 45, feedback126: 'present_current', currentUnit: XM_AMP, currentLimit: 1193, operatingModes: ALL_MODES },
  { name: 'XH430-W350', number: 1000, ratedVoltage: 12, stallTorque: 3.4, stallCurrent: 1.3, noLoadSpeed: 30 * RPM, fastSyncReadFirmware: 45, feedback126: 'present_current', currentUnit: XM_AMP, currentLimit: 648, operatingModes: ALL_MODES },
  { name: 'XM540-W270', number: 1120, ratedVoltage: 12, stallTorque: 10.6, stallCurrent: 4.4, noLoadSpeed: 30 * RPM, fastSyncReadFirmware: 45, feedback126: 'present_current', currentUnit: XM_AMP, currentLimit: 2047, operatingModes: ALL_MODES },
  { name: 'XH540-W270', number: 1100, ratedVoltage: 12, stallTorque: 9.9, stallCurrent: 4.9, noLoadSpeed: 39 * RPM, fastSyncReadFirmware: 45, feedback126: 'present_current', currentUnit: XM_AMP, currentLimit: 2047, operatingModes: ALL_MODES },
  { name: 'XH540-W150', number: 1110, ratedVoltage: 12, stallTorque: 7.1, stallCurrent: 4.9, noLoadSpeed: 70 * RPM, fastSyncReadFirmware: 45, feedback126: 'present_current', currentUnit: XM_AMP, currentLimit: 2047, operatingModes: ALL_MODES },
  // XL430-W250 at 11.1 V (1.4 N·m, 1.3 A, 57 rpm): dxl_x_info.yml. docs/en/dxl/x/xl430-w250.md: model 1060,
  // no Current Limit (38) nor Goal Current (102), 126 = Present Load (0.1 %), Velocity Limit 265 (0..1023),
  // voltage limits 140 / 60 (60..140), Temperature Limit 72.
  {
    name: 'XL430-W250', number: 1060, ratedVoltage: 11.1, stallTorque: 1.4, stallCurrent: 1.3, noLoadSpeed: 57 * RPM, feedback126: 'present_load',
    operatingModes: NO_CURRENT_MODES, velocityLimit: 265, velocityLimitMax: 1023, voltageLimit: { max: 140, min: 60, lo: 60, hi: 140 }, temperatureLimit: 72,
  },
  // XC430 at 12 V: W150 1.6 N·m, 1.4 A, 106 rpm; W240 1.9 N·m, 1.4 A, 70 rpm (dxl_x_info.yml). Model pages:
  // W150 1070, W240 1080; no 38 nor 102; 126 = Present Load; Velocity Limit 460 (W150) / 306 (W240);
  // voltage limits 160 / 60 (60..160); Temperature Limit 80.
  {
    name: 'XC430-W150', number: 1070, ratedVoltage: 12, stallTorque: 1.6, stallCurrent: 1.4, noLoadSpeed: 106 * RPM, feedback126: 'present_load',
    operatingModes: NO_CURRENT_MODES, velocityLimit: 460, velocityLimitMax: 1023, voltageLimit: { max: 160, min: 60, lo: 60, hi: 160 }, temperatureLimit: 80,
  },
  {
    name: 'XC430-W240', number: 1080, ratedVoltage: 12, stallTorque: 1.9, stallCurrent: 1.4, noLoadSpeed: 70 * RPM, feedback126: 'present_load',
    operatingModes: NO_CURRENT_MODES, velocityLimit: 306, velocityLimitMax: 1023, voltageLimit: { max: 160, min: 60, lo: 60, hi: 160 }, temperatureLimit: 80,
  },
  // XL330 at 5 V: M288 0.52 N·m, 1.47 A, 103 rpm; M077 0.215 N·m, 1.47 A, 383 rpm (dxl_x_info.yml). Model
  // pages: M288 1200, M077 1190; Current Limit 1750 (0..1750) and Present/Goal Current in 1 mA; all six
  // modes; Velocity Limit 445 (M288) / 1620 (M077), range 0..2047; voltage limits 70 / 35 (31..70);
  // Temperature Limit 70; Baud Rate codes 0..6 (no 4.5 Mbps).
  {
    name: 'XL330-M288', number: 1200, ratedVoltage: 5, stallTorque: 0.52, stallCurrent: 1.47, noLoadSpeed: 103 * RPM, feedback126: 'present_current', currentUnit: 0.001, currentLimit: 1750,
    operatingModes: ALL_MODES, velocityLimit: 445, velocityLimitMax: 2047, voltageLimit: { max: 70, min: 35, lo: 31, hi: 70 }, temperatureLimit: 70, baudCodeMax: 6,
  },
  {
    name: 'XL330-M077', number: 1190, ratedVoltage: 5, stallTorque: 0.215, stallCurrent: 1.47, noLoadSpeed: 383 * RPM, feedback126: 'present_current', currentUnit: 0.001, currentLimit: 1750,
    operatingModes: ALL_MODES, velocityLimit: 1620, velocityLimitMax: 2047, voltageLimit: { max: 70, min: 35, lo: 31, hi: 70 }, temperatureLimit: 70, baudCodeMax: 6,
  },
];

export function modelByName(name: string): ServoModel | undefined {
  return SERVO_MODELS.find((m) => m.name === name);
}
export function modelByNumber(n: number): ServoModel | undefined {
  return SERVO_MODELS.find((m) => m.number === n);
}

/** Torque constant (N·m/A) from the datasheet stall figures. */
export function torqueConstant(m: ServoModel): number {
  return m.stallTorque / m.stallCurrent;
}

/** True when the model measures and controls current (Present Current at 126, Goal Current at 102). */
export function hasCurrent(m: ServoModel): m is ServoModel & { currentUnit: number; currentLimit: number } {
  return m.currentUnit !== undefined && m.currentLimit !== undefined;
}

const _tables = new Map<string, readonly ControlItem[]>();

/**
 * The model's control table: X_SERIES with the model's own unit at 126 and its factory limits,
 * without the items it lacks (XL430 / XC430: Current Limit 38 and Goal Current 102). Memoised.
 */
export function controlTableOf(m: ServoModel): readonly ControlItem[] {
  const done = _tables.get(m.name);
  if (done) return done;
  const cur = hasCurrent(m);
  const out: ControlItem[] = [];
  for (const i of X_SERIES) {
    if (!cur && (i.name === 'current_limit' || i.name === 'goal_current')) continue;
    if (!cur && i.name === 'present_current') {
      out.push(PRESENT_LOAD_ITEM);
      continue;
    }
    out.push(adapt(i, m));
  }
  _tables.set(m.name, out);
  return out;
}

/** Items of X_SERIES the model does not have (writes there: Access Error). */
export function missingItems(m: ServoModel): readonly ControlItem[] {
  const names = new Set<ItemName>(controlTableOf(m).map((i) => i.name));
  return X_SERIES.filter((i) => !names.has(i.name) && !(i.address === 126));
}

function adapt(i: ControlItem, m: ServoModel): ControlItem {
  const v = m.voltageLimit;
  const vmax = m.velocityLimitMax ?? 1023;
  switch (i.name) {
    case 'model_number':
      return { ...i, initial: m.number };
    case 'baud_rate':
      return { ...i, max: m.baudCodeMax ?? 7 };
    case 'temperature_limit':
      return m.temperatureLimit === undefined ? i : { ...i, initial: m.temperatureLimit };
    case 'max_voltage_limit':
      return v ? { ...i, initial: v.max, min: v.lo, max: v.hi } : i;
    case 'min_voltage_limit':
      return v ? { ...i, initial: v.min, min: v.lo, max: v.hi } : i;
    case 'current_limit':
      return { ...i, initial: m.currentLimit!, scale: m.currentUnit!, max: m.currentLimit! };
    case 'goal_current':
      return { ...i, scale: m.currentUnit!, min: -m.currentLimit!, max: m.currentLimit! };
    case 'present_current':
      return { ...i, scale: m.currentUnit! };
    case 'velocity_limit':
      return { ...i, initial: m.velocityLimit ?? i.initial, max: vmax };
    case 'goal_velocity':
      return { ...i, min: -vmax, max: vmax };
    default:
      return i;
  }
}
