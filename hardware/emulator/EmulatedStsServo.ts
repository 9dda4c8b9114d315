/**
 * One emulated Feetech STS3215: its memory table (SRAM, and EPROM with the copy that survives a
 * power cycle), and a first-order motor model.
 *
 * Motor model (per 1 ms substep): in position mode the servo asks for a speed proportional to the
 * position error (P coefficient, address 21), capped by Goal Speed (46) when nonzero and by the
 * no-load speed, ramped by Acceleration (41) when nonzero; the current needed to reach it within
 * TAU is capped by Torque Limit (48) × stall current; velocity mode tracks Goal Speed. Torque off:
 * the joint coasts to rest, or follows `hand` (an operator moving it, for calibration and a
 * leader arm). Time is lazy: the state catches up with `now` whenever the servo is touched.
 *
 * Position frame (as on the servo): Present Position = encoder − Homing Offset (31, sign bit 11),
 * wrapped to 0..4095; Goal Position is in the same frame and is clamped to the angle limits
 * (9, 11) when they are not both 0. Torque Enable = 128 sets the offset so that the present pose
 * reads 2048. There is no bus watchdog: a goal stays until it is replaced.
 *
 * Lock (55) = 1 (the factory state) keeps EPROM writes in RAM only: they work until the next
 * power cycle (`powerCycle()`) and are then lost; with Lock = 0 they are saved.
 */
import {
  STS_TABLE, FEETECH_TABLE_BYTES, FeetechMode, feetechItem, feetechModelByName,
  RAD_PER_TICK, POSITION_CENTER, AMP_PER_CURRENT_UNIT, RAD_S2_PER_ACCEL_UNIT, TICKS_PER_TURN,
  type FeetechModel, type FeetechItemName,
} from '../feetech/controlTable.ts';
import { decodeSignMagnitude, encodeSignMagnitude, readLe, writeLe } from '../feetech/packet.ts';

const SUBSTEP = 0.001; // s
const TAU = 0.02; // s, speed response time constant
const INERTIA = 0.0015; // kg·m² at the horn
const DAMPING = 0.02; // N·m·s/rad
const POSITION_BANDWIDTH = 30; // 1/s at the factory P coefficient (32)

export interface StsServoSetup {
  readonly id: number;
  /** Model name (default STS3215). */
  readonly model?: string;
  /** Initial joint angle (rad from the center tick 2048, homing offset 0). */
  readonly position?: number;
  /** Memory values to start from (decoded, e.g. { baud_rate: 6, homing_offset: -300 }); saved as if written with Lock 0. */
  readonly table?: Partial<Record<FeetechItemName, number>>;
}

export class EmulatedStsServo {
  readonly model: FeetechModel;
  readonly mem = new Uint8Array(FEETECH_TABLE_BYTES);
  /** EPROM as saved (what a power cycle restores). */
  readonly flash = new Uint8Array(FEETECH_TABLE_BYTES);
  /** Encoder angle (rad from tick 0, not wrapped), speed (rad/s), current (A). */
  pos: number;
  vel = 0;
  cur = 0;
  /** Injected fault bits (StatusBit), reported in every reply's status byte until a power cycle. */
  fault = 0;
  /** An operator's hand: while torque is off the joint follows hand(t) (joint angle in axon's convention, rad). */
  hand: ((t: number) => number) | undefined;
  registered: { address: number; data: Uint8Array } | undefined;
  private _t: number;
  private _vcmd = 0;
  private readonly _kt: number;

  constructor(private readonly setup: StsServoSetup, now: number) {
    const m = feetechModelByName(setup.model ?? 'STS3215');
    if (!m) throw new Error(`unknown Feetech servo model ${setup.model}`);
    this.model = m;
    this._kt = m.stallTorque / m.stallCurrent;
    this.pos = ((setup.position ?? 0) / RAD_PER_TICK + POSITION_CENTER) * RAD_PER_TICK;
    this._t = now;
    for (const i of STS_TABLE) this._put(i.name, i.initial);
    writeLe(this.mem, 3, 2, m.number);
    this.mem[5] = setup.id;
    for (const [k, v] of Object.entries(setup.table ?? {})) this._put(k as FeetechItemName, v);
    this.flash.set(this.mem);
    this._holdHere();
  }

  get id(): number {
    return this.mem[5];
  }
  get baudCode(): number {
    return this.mem[6];
  }
  get torqueOn(): boolean {
    return this.mem[40] === 1;
  }

  /** Decoded value of an item. */
  get(name: FeetechItemName): number {
    const i = feetechItem(name);
    const raw = readLe(this.mem, i.address, i.size);
    return i.signBit === undefined ? raw : decodeSignMagnitude(raw, i.signBit);
  }
  private _put(name: FeetechItemName, v: number): void {
    const i = feetechItem(name);
    writeLe(this.mem, i.address, i.size, i.signBit === undefined ? v : encodeSignMagnitude(v, i.signBit));
  }

  /** Encoder reading in ticks (continuous). */
  private get _encoder(): number {
    return this.pos / RAD_PER_TICK;
  }
  /** Present position (ticks, 0..4095 frame, fractional). */
  private _present(): number {
    const p = this._encoder - this.get('homing_offset');
    return ((p % TICKS_PER_TURN) + TICKS_PER_TURN) % TICKS_PER_TURN;
  }
  private _holdHere(): void {
    this._put('goal_position', Math.round(this._present()));
  }

  /** Runs the motor model up to `now` (s). */
  advance(now: number): void {
    const dt = now - this._t;
    if (!(dt > 0)) return;
    const steps = Math.min(10_000, Math.ceil(dt / SUBSTEP));
    const h = dt / steps;
    let t = this._t;
    for (let s = 0; s < steps; s++) {
      t += h;
      this._step(h, t);
    }
    this._t = now;
  }

  private _step(h: number, t: number): void {
    if (!this.torqueOn) {
      this.cur = 0;
      this._vcmd = 0;
      if (this.hand) {
        const target = (this.hand(t) / RAD_PER_TICK + POSITION_CENTER) * RAD_PER_TICK;
        this.vel = (target - this.pos) / h;
        this.pos = target;
        return;
      }
      this.vel -= this.vel * Math.min(1, h / 0.05);
      this.pos += this.vel * h;
      return;
    }
    const vmax = this.model.noLoadSpeed;
    const acc = this.mem[41] * RAD_S2_PER_ACCEL_UNIT;
    let want: number;
    if (this.mem[33] === FeetechMode.velocity) {
      want = clamp(this.get('goal_velocity') * RAD_PER_TICK, -vmax, vmax);
    } else {
      let goal = this.get('goal_position');
      const lo = readLe(this.mem, 9, 2), hi = readLe(this.mem, 11, 2);
      if (!(lo === 0 && hi === 0)) goal = clamp(goal, lo, hi);
      const speed = readLe(this.mem, 46, 2) & 0x7fff;
      const cap = speed > 0 ? Math.min(speed * RAD_PER_TICK, vmax) : vmax;
      const kp = (POSITION_BANDWIDTH * Math.max(1, this.mem[21])) / 32;
      const error = (goal - this._present()) * RAD_PER_TICK;
      want = clamp(kp * error, -cap, cap);
      // With an acceleration set the servo plans a trapezoid (Feetech's WritePos example times a move
      // as distance/speed + speed/acceleration): it brakes at that acceleration so as to stop at the
      // goal, never past it. Ramping the speed alone overshot a 500-tick step by 203 ticks (checked
      // against Feetech's SDK, docs/feetech.md).
      if (acc > 0) {
        // The distance left once the speed loop (time constant TAU) has caught up with the command.
        const left = Math.max(0, Math.abs(error) - Math.abs(this.vel) * TAU);
        const brake = Math.sqrt(2 * acc * left);
        want = clamp(want, -brake, brake);
      }
    }
    this._vcmd = acc > 0 ? this._vcmd + clamp(want - this._vcmd, -acc * h, acc * h) : want;
    const need = (INERTIA * (this._vcmd - this.vel)) / TAU + DAMPING * this.vel;
    const lim = (Math.min(readLe(this.mem, 48, 2), readLe(this.mem, 16, 2)) / 1000) * this.model.stallCurrent;
    this.cur = clamp(need / this._kt, -lim, lim);
    this.vel += ((this._kt * this.cur - DAMPING * this.vel) / INERTIA) * h;
    this.pos += this.vel * h;
  }

  /** Writes the present values into the table (before a read). */
  refresh(now: number): void {
    this.advance(now);
    this._put('present_position', Math.round(this._present()) % TICKS_PER_TURN);
    this._put('present_velocity', Math.round(this.vel / RAD_PER_TICK));
    this._put('present_current', Math.round(this.cur / AMP_PER_CURRENT_UNIT));
    this._put('present_load', Math.round((1000 * this.cur) / this.model.stallCurrent));
    this.mem[62] = this.fault & 0x01 ? 140 : 74;
    this.mem[63] = this.fault & 0x04 ? 75 : 30;
    this.mem[65] = this.fault;
    this.mem[66] = Math.abs(this.vel) > 20 * RAD_PER_TICK ? 1 : 0;
  }

  /** Reading [address, address+length) is inside the table. */
  canRead(address: number, length: number): boolean {
    return length > 0 && address + length <= FEETECH_TABLE_BYTES;
  }

  /**
   * Writes raw bytes as the servo does: read-only bytes are left alone, values beyond an item's
   * range are clamped to it; EPROM items are saved when Lock is 0. Returns false when nothing fits.
   */
  write(address: number, data: Uint8Array, now: number): boolean {
    this.advance(now);
    const end = address + data.length;
    if (data.length === 0 || end > FEETECH_TABLE_BYTES) return false;
    const wasOn = this.torqueOn;
    let goalWritten = false;
    for (const i of STS_TABLE) {
      if (i.address < address || i.address + i.size > end || i.access === 'R') continue;
      let raw = readLe(data, i.address - address, i.size);
      let v = i.signBit === undefined ? raw : decodeSignMagnitude(raw, i.signBit);
      if (i.name === 'torque_enable' && v === 128) {
        // Calibrate: the present pose becomes 2048 (the offset is saved at once, as on the servo).
        const off = Math.round(this._encoder - POSITION_CENTER);
        const wrapped = ((((off + 2048) % TICKS_PER_TURN) + TICKS_PER_TURN) % TICKS_PER_TURN) - 2048;
        this._put('homing_offset', clamp(wrapped, -2047, 2047));
        writeLe(this.flash, 31, 2, readLe(this.mem, 31, 2));
        this._holdHere();
        continue;
      }
      if (i.min !== undefined && i.max !== undefined) v = clamp(v, i.min, i.max);
      raw = i.signBit === undefined ? v : encodeSignMagnitude(v, i.signBit);
      writeLe(this.mem, i.address, i.size, raw);
      if (i.memory === 'EPROM' && this.mem[55] === 0) writeLe(this.flash, i.address, i.size, raw);
      if (i.name === 'goal_position') goalWritten = true;
    }
    if (!wasOn && this.torqueOn && !goalWritten) this._holdHere();
    if (this.fault & this.mem[19]) this.mem[40] = 0;
    return true;
  }

  /** A fault appears (overload, overheat, ...): reported in every reply; torque off if Unloading Condition (19) says so. */
  injectFault(bits: number, now: number): void {
    this.advance(now);
    this.fault |= bits;
    if (this.fault & this.mem[19]) this.mem[40] = 0;
  }

  /** Power off and on (also what Reboot does): EPROM from flash, SRAM to factory values, faults cleared. */
  powerCycle(now: number): void {
    this.advance(now);
    for (const i of STS_TABLE) if (i.memory === 'SRAM') this._put(i.name, i.initial);
    for (const i of STS_TABLE) if (i.memory === 'EPROM') writeLe(this.mem, i.address, i.size, readLe(this.flash, i.address, i.size));
    this.fault = 0;
    this.registered = undefined;
    this.vel = 0;
    this._holdHere();
  }

  /** Joint angle in axon's convention (rad from the present-position center), for tests. */
  get angle(): number {
    return (this._present() - POSITION_CENTER) * RAD_PER_TICK;
  }
  /** Encoder angle from its center tick (rad), independent of the homing offset. */
  get encoderAngle(): number {
    return this.pos - POSITION_CENTER * RAD_PER_TICK;
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
