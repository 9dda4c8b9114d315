/**
 * One emulated X-series servo: its control table memory and a first-order motor model.
 *
 * The table is the model's own (servoModels.ts controlTableOf): factory values, ranges and the
 * unit at 126 are the model's. On a model without current sensing (XL430, XC430) address 126 is
 * Present Load (0.1 % of stall torque here, the emulator's reading of "maximum torque"), and a
 * write to an item it lacks (Current Limit 38, Goal Current 102), or a read wholly inside one,
 * answers Access Error (0x07), as the e-Manual's protocol page says of an address "that has not
 * been defined". A write of an Operating Mode the model does not have answers Data Range Error:
 * the e-Manual lists the range as 0 ~ 16 for every model, so which error a real servo gives is
 * not documented (an assumption here).
 *
 * Motor model (per 1 ms substep): the servo's own controller asks for a velocity (position modes:
 * P-gain × position error, capped by the profile / velocity limit; velocity mode: the goal), the
 * acceleration needed to reach it within TAU is produced by a current capped at Current Limit,
 * and the joint integrates; current mode applies the goal current. Torque off: the joint coasts
 * to rest.
 *
 * Drive Mode (10) bit 0, reverse: "rotational direction is inverted. Thus, Goal Position, Present
 * Position will have an inverted direction" (e-Manual, X series Drive Mode); velocity and current
 * count the other way too. Where the reversed count starts is not documented: here the actual tick
 * a becomes 4096 − a (so 2048 stays 2048), then Homing Offset is added (Present Position = actual
 * position + offset, in the reversed count). LeRobot computes its homing offsets from what the
 * servo reports after setting the bit, so which point the reversal is taken about does not change
 * what its calibration leaves the arm reading. Time is lazy: the state catches up with `now` whenever the servo is touched, so the
 * bus watchdog (address 98) trips at the exact time even when no packet arrives.
 */
import {
  CONTROL_TABLE_BYTES, BAUD_CODES, HardwareError, OperatingMode, item,
  RAD_PER_TICK, POSITION_CENTER, RAD_S_PER_VELOCITY_UNIT, type ControlItem, type ItemName,
} from '../dynamixel/controlTable.ts';
import { controlTableOf, missingItems, modelByName, torqueConstant, type ServoModel } from '../dynamixel/servoModels.ts';
import { readLe, writeLe } from '../dynamixel/packet.ts';

/** Processing error numbers of a status packet. */
export const ERR_RESULT_FAIL = 1, ERR_INSTRUCTION = 2, ERR_CRC = 3, ERR_DATA_RANGE = 4, ERR_DATA_LENGTH = 5, ERR_DATA_LIMIT = 6, ERR_ACCESS = 7;

const SUBSTEP = 0.001; // s
/** Reverse Drive Mode: actual tick a counts as REVERSE_ABOUT − a (an assumption, see above). */
const REVERSE_ABOUT = 2 * POSITION_CENTER;
const TAU = 0.02; // s, velocity response time constant
const INERTIA = 0.004; // kg·m², rotor and horn as seen at the output
const DAMPING = 0.05; // N·m·s/rad, viscous friction
const POSITION_BANDWIDTH = 40; // 1/s at the factory Position P Gain (800)

export interface ServoSetup {
  readonly id: number;
  /** Model name (default XM430-W350). */
  readonly model?: string;
  readonly firmware?: number;
  /** Initial joint angle (rad from the center tick 2048). */
  readonly position?: number;
  /** Control table values to start from (raw), e.g. { operating_mode: 0 }. */
  readonly table?: Partial<Record<ItemName, number>>;
}

const GOALS = new Set<ItemName>(['goal_pwm', 'goal_current', 'goal_velocity', 'goal_position']);

export class EmulatedServo {
  readonly model: ServoModel;
  /** The model's control table (what factory reset writes and writes are checked against). */
  readonly table: readonly ControlItem[];
  readonly mem = new Uint8Array(CONTROL_TABLE_BYTES);
  /** Physical state: angle (rad from tick 0), velocity (rad/s), current (A), motor torque at the horn (N·m). */
  pos: number;
  vel = 0;
  cur = 0;
  torque = 0;
  /** Injected hardware error bits (HardwareError), sticky until reboot. */
  hwError = 0;
  /** A Reg Write waiting for Action. */
  registered: { address: number; data: Uint8Array } | undefined;
  private _t: number;
  private _lastComm: number;
  private readonly _kt: number;
  /** A per raw current unit; 0 on a model without current sensing. */
  private readonly _amp: number;
  private readonly _missing: readonly ControlItem[];
  private readonly _modes: ReadonlySet<number>;

  constructor(private readonly setup: ServoSetup, now: number) {
    const m = modelByName(setup.model ?? 'XM430-W350');
    if (!m) throw new Error(`unknown servo model ${setup.model}`);
    this.model = m;
    this._kt = torqueConstant(m);
    this._amp = m.currentUnit ?? 0;
    this.table = controlTableOf(m);
    this._missing = missingItems(m);
    this._modes = new Set(m.operatingModes.map((k) => OperatingMode[k]));
    this.pos = ((setup.position ?? 0) / RAD_PER_TICK + POSITION_CENTER) * RAD_PER_TICK;
    this._t = now;
    this._lastComm = now;
    this.factoryReset(0xff);
  }

  /** The id it answers to: its ID register (address 7), so a write there takes effect at once, as on a real servo. */
  get id(): number {
    return this.mem[7];
  }

  /** The id it was created with (what a factory reset restores here). */
  get initialId(): number {
    return this.setup.id;
  }

  /** Control table back to factory values (mode 0xFF: all; 0x01: keep ID; 0x02: keep ID and baud). */
  factoryReset(mode: number): void {
    const id = this.mem[7], baud = this.mem[8];
    const fresh = this.mem[0] === 0;
    for (const i of this.table) writeLe(this.mem, i.address, i.size, i.initial);
    this.mem[6] = this.setup.firmware ?? 46;
    this.mem[7] = this.setup.id;
    if (fresh) for (const [k, v] of Object.entries(this.setup.table ?? {})) this.set(k as ItemName, v);
    else {
      if (mode === 0x01 || mode === 0x02) this.mem[7] = id;
      if (mode === 0x02) this.mem[8] = baud;
    }
    writeLe(this.mem, 116, 4, this._presentTicks());
  }

  /** Homing Offset (address 20, ticks): Present Position = actual position + offset; goals and limits are in that frame. */
  get homingOffset(): number {
    return readLe(this.mem, 20, 4, true);
  }

  /** Drive Mode bit 0: -1 when reverse (Present/Goal Position, velocity and current count the other way), else 1. */
  get sense(): 1 | -1 {
    return (this.mem[10] & 1) === 1 ? -1 : 1;
  }

  /** The actual position in the offset frame of Present / Goal Position (ticks). */
  private _presentTicks(): number {
    const a = Math.round(this.pos / RAD_PER_TICK);
    return (this.sense > 0 ? a : REVERSE_ABOUT - a) + this.homingOffset;
  }

  get(name: ItemName): number {
    const i = item(name);
    return readLe(this.mem, i.address, i.size, i.signed);
  }
  set(name: ItemName, raw: number): void {
    const i = item(name);
    writeLe(this.mem, i.address, i.size, raw);
  }

  get torqueOn(): boolean {
    return this.mem[64] === 1;
  }
  /** True when the bus watchdog has expired (Bus Watchdog reads 0xFF = -1). */
  get watchdogTripped(): boolean {
    return this.mem[98] === 0xff;
  }

  /** A packet addressed to this servo arrived (resets the bus watchdog). */
  heard(now: number): void {
    this.advance(now);
    this._lastComm = now;
  }

  /** Runs the motor model (and the watchdog) up to `now` (s). */
  advance(now: number): void {
    let dt = now - this._t;
    if (!(dt > 0)) return;
    // Very long gaps (an idle emulator) cost at most 10k substeps: the state has settled by then.
    const steps = Math.min(10_000, Math.ceil(dt / SUBSTEP));
    const h = dt / steps;
    const wd = this.mem[98];
    let t = this._t;
    for (let s = 0; s < steps; s++) {
      t += h;
      // Timed only while torque is on (e-Manual, Bus Watchdog (98): it "monitors the communication interval ... when Torque Enable(64) is '1'").
      if (wd > 0 && wd !== 0xff && this.mem[64] === 1 && t - this._lastComm > wd * 0.02) this._tripWatchdog();
      this._step(h);
    }
    this._t = now;
    dt = 0;
  }

  private _tripWatchdog(): void {
    this.mem[98] = 0xff;
    // The servo stops: goal velocity 0, goal position = where it is; torque stays as it was.
    writeLe(this.mem, 104, 4, 0);
    writeLe(this.mem, 116, 4, this._presentTicks());
  }

  private _step(h: number): void {
    const mode = this.mem[11];
    const amp = this._amp;
    // Without a Current Limit (XL430, XC430) the motor is bounded by its stall current.
    const curLimit = amp > 0 ? readLe(this.mem, 38, 2) * amp : this.model.stallCurrent;
    if (!this.torqueOn) {
      this.cur = 0;
      this.torque = 0;
      this.vel -= this.vel * Math.min(1, h / 0.05);
    } else {
      let torque: number;
      if (mode === OperatingMode.current && amp > 0) {
        const i = clamp(this.sense * readLe(this.mem, 102, 2, true) * amp, -curLimit, curLimit);
        this.cur = i;
        torque = this._kt * i;
      } else {
        const vLimit = Math.min(readLe(this.mem, 44, 4) * RAD_S_PER_VELOCITY_UNIT, this.model.noLoadSpeed);
        let vcmd: number;
        if (mode === OperatingMode.velocity) {
          vcmd = clamp(this.sense * readLe(this.mem, 104, 4, true) * RAD_S_PER_VELOCITY_UNIT, -vLimit, vLimit);
        } else {
          // Goal and limits are in the homing-offset frame; the motor turns in the actual one.
          let goal = readLe(this.mem, 116, 4, true);
          if (mode === OperatingMode.position) goal = clamp(goal, readLe(this.mem, 52, 4), readLe(this.mem, 48, 4));
          goal = (this.sense > 0 ? goal - this.homingOffset : REVERSE_ABOUT - (goal - this.homingOffset)) * RAD_PER_TICK;
          const prof = readLe(this.mem, 112, 4) * RAD_S_PER_VELOCITY_UNIT;
          const vmax = prof > 0 ? Math.min(prof, vLimit) : vLimit;
          const kp = (POSITION_BANDWIDTH * readLe(this.mem, 84, 2)) / 800;
          vcmd = clamp(kp * (goal - this.pos), -vmax, vmax);
        }
        const want = (INERTIA * (vcmd - this.vel)) / TAU + DAMPING * this.vel;
        const lim = mode === OperatingMode.current_based_position && amp > 0 ? Math.min(curLimit, Math.abs(readLe(this.mem, 102, 2, true)) * amp) : curLimit;
        this.cur = clamp(want / this._kt, -lim, lim);
        torque = this._kt * this.cur;
      }
      this.torque = torque;
      this.vel += ((torque - DAMPING * this.vel) / INERTIA) * h;
    }
    this.pos += this.vel * h;
  }

  /** Writes the present values into the table (before a read). */
  refresh(now: number): void {
    this.advance(now);
    const m = this.mem;
    // 126: Present Current in the model's unit, or Present Load (0.1 % of stall torque, -1000..1000).
    const sense = this.sense;
    writeLe(m, 126, 2, sense * (this._amp > 0 ? Math.round(this.cur / this._amp) : clamp(Math.round((1000 * this.torque) / this.model.stallTorque), -1000, 1000)));
    writeLe(m, 128, 4, sense * Math.round(this.vel / RAD_S_PER_VELOCITY_UNIT));
    writeLe(m, 132, 4, this._presentTicks());
    writeLe(m, 120, 2, Math.round(now * 1000) % 32768);
    m[122] = Math.abs(this.vel) > readLe(m, 24, 4) * RAD_S_PER_VELOCITY_UNIT ? 1 : 0;
    m[70] = this.hwError;
    // Supply at the model's rated voltage; an input voltage error reads 1 V over the Max Voltage Limit.
    writeLe(m, 144, 2, this.hwError & HardwareError.input_voltage ? readLe(m, 32, 2) + 10 : Math.round(this.model.ratedVoltage * 10));
    m[146] = this.hwError & HardwareError.overheating ? 82 : 30;
  }

  /** Status error number for reading [address, address+length), 0 when fine. */
  checkRead(address: number, length: number): number {
    if (length === 0 || address + length > CONTROL_TABLE_BYTES) return ERR_ACCESS;
    // Wholly inside items the model lacks (XL430: Current Limit, Goal Current): not defined there.
    for (let a = address; a < address + length; a++) if (!this._missing.some((i) => a >= i.address && a < i.address + i.size)) return 0;
    return ERR_ACCESS;
  }

  /**
   * Writes raw bytes as the servo would: returns 0 or a status error number (nothing is written then).
   * Checks access (read-only, EEPROM while torque is on), whole items, ranges, limits and the watchdog.
   */
  write(address: number, data: Uint8Array, now: number): number {
    this.advance(now);
    const end = address + data.length;
    if (data.length === 0 || end > CONTROL_TABLE_BYTES) return ERR_ACCESS;
    for (const i of this._missing) if (i.address < end && i.address + i.size > address) return ERR_ACCESS;
    for (const i of this.table) {
      if (i.address + i.size <= address || i.address >= end) continue;
      if (i.address < address || i.address + i.size > end) return ERR_DATA_LENGTH;
      if (i.access === 'R') return ERR_ACCESS;
      if (i.memory === 'EEPROM' && this.torqueOn) return ERR_ACCESS;
      const v = readLe(data, i.address - address, i.size, i.signed);
      if ((i.min !== undefined && v < i.min) || (i.max !== undefined && v > i.max)) return ERR_DATA_RANGE;
      // Goals within the limits set, as the servo checks them (the model's own maxima are the table's ranges).
      if (i.name === 'operating_mode' && !this._modes.has(v)) return ERR_DATA_RANGE;
      if (i.name === 'goal_current' && Math.abs(v) > readLe(this.mem, 38, 2)) return ERR_DATA_RANGE;
      if (i.name === 'goal_velocity' && Math.abs(v) > readLe(this.mem, 44, 4)) return ERR_DATA_RANGE;
      if (GOALS.has(i.name) && this.watchdogTripped) return ERR_DATA_RANGE;
      if (i.name === 'goal_position' && this.mem[11] === OperatingMode.position && (v < readLe(this.mem, 52, 4) || v > readLe(this.mem, 48, 4))) return ERR_DATA_LIMIT;
      if (i.name === 'torque_enable' && v === 1 && (this.hwError & this.mem[63]) !== 0) return ERR_RESULT_FAIL;
    }
    const wasOn = this.torqueOn;
    this.mem.set(data, address);
    if (!wasOn && this.torqueOn) {
      // Enabling torque in position mode holds where the joint is unless a goal was just written.
      if (!(address <= 116 && end >= 120)) writeLe(this.mem, 116, 4, this._presentTicks());
    }
    return 0;
  }

  /** A hardware fault appears (tests, fault drills): alert bit on every status; torque off if Shutdown says so. */
  injectHardwareError(bits: number, now: number): void {
    this.advance(now);
    this.hwError |= bits;
    if ((this.hwError & this.mem[63]) !== 0) this.mem[64] = 0;
  }

  /** Reboot: hardware error cleared, RAM back to factory values, torque off. */
  reboot(now: number): void {
    this.advance(now);
    this.hwError = 0;
    for (const i of this.table) if (i.memory === 'RAM') writeLe(this.mem, i.address, i.size, i.initial);
    writeLe(this.mem, 116, 4, this._presentTicks());
    this.registered = undefined;
    this._lastComm = now;
  }

  /**
   * Power off and on (the joint does not move): RAM back to factory values, torque off, hardware
   * error cleared, and the turn count lost: the position comes back as the one turn the absolute
   * encoder knows (actual tick 0..4095), so Present Position = that + Homing Offset ("reset to an
   * absolute position value of one full rotation" when the power is turned off in Extended
   * Position Control Mode: e-Manual, Present Position(132)).
   */
  powerCycle(now: number): void {
    this.reboot(now);
    this.vel = 0;
    const a = Math.round(this.pos / RAD_PER_TICK);
    const turn = 4096;
    this.pos += ((((a % turn) + turn) % turn) - a) * RAD_PER_TICK;
    writeLe(this.mem, 116, 4, this._presentTicks());
  }

  /** Clear multi-turn: the position is brought back into one revolution. */
  clearMultiTurn(now: number): void {
    this.advance(now);
    const rev = 2 * Math.PI;
    this.pos = ((this.pos % rev) + rev) % rev;
    writeLe(this.mem, 116, 4, this._presentTicks());
  }

  /** The line rate this servo listens at (bit/s), from its Baud Rate register (address 8). */
  get baud(): number {
    return BAUD_CODES[this.mem[8]] ?? 0;
  }

  /** Return Delay Time (address 9): how long the servo waits before its status packet (s). */
  get returnDelayS(): number {
    return this.mem[9] * 2e-6;
  }

  /** Angle in axon's convention (rad from the center tick, actual: the homing offset not applied), for tests. */
  get angle(): number {
    return this.pos - POSITION_CENTER * RAD_PER_TICK;
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
