/**
 * Dynamixel register units <-> joint SI units for one robot's servos, in the config's joint order:
 * what DynamixelRobot reads from a sync read of PRESENT_BLOCK and writes as goals. Joint =
 * direction × (raw - center) × unit / gear_ratio + offset for positions; effort from Present
 * Current × the model's current unit × its torque constant, or, for the models without current
 * sensing (XL430, XC430: address 126 is Present Load, 0.1 % of the maximum torque), load × the
 * datasheet stall torque (an estimate).
 *
 * Goals are clamped to what each servo accepts (it refuses the whole goal otherwise): Current
 * Limit (38) and Velocity Limit (44) in current and velocity mode, Min/Max Position Limit (52, 48)
 * for a hold in position mode (e-Manual: not used in extended or current-based position mode).
 * The limits are read at connect (setLimits). Real-time rules: decode, encodeGoals and holdGoals
 * allocate nothing.
 */
import type { ControlMode, JointCommand } from '../../src/core/robot.ts';
import { PRESENT_BLOCK, RAD_PER_TICK, POSITION_CENTER, RAD_S_PER_VELOCITY_UNIT } from '../dynamixel/controlTable.ts';
import { hasCurrent, torqueConstant, type ServoModel } from '../dynamixel/servoModels.ts';
import { readLe, writeLe } from '../dynamixel/packet.ts';
import type { DynamixelJointConfig } from './config.ts';

const sign = (x: number) => (x < 0 ? -1 : 1);

export class DynamixelUnits {
  readonly n: number;
  private readonly dir: Float64Array;
  private readonly gear: Float64Array;
  private readonly off: Float64Array;
  /** N·m/A at the horn. */
  private readonly kt: Float64Array;
  /** A per raw unit of Present / Goal Current; 0 where the model has none (126 is then Present Load). */
  private readonly amp: Float64Array;
  /** Stall torque (N·m) of the Present Load models, 0 for the others: effort = load/1000 × this. */
  private readonly loadTorque: Float64Array;
  /** Each servo's Current Limit (38) and Velocity Limit (44): goals beyond them are clamped. */
  private readonly currentLimit: Int32Array;
  private readonly velocityLimit: Int32Array;
  /** Each servo's Min/Max Position Limit where they bound Goal Position (position mode), both 0 elsewhere: no clamp. */
  private readonly posMin: Int32Array;
  private readonly posMax: Int32Array;

  constructor(
    joints: readonly DynamixelJointConfig[],
    models: readonly ServoModel[],
    private readonly mode: ControlMode,
  ) {
    const n = joints.length;
    this.n = n;
    this.dir = Float64Array.from(joints, (j) => j.direction ?? 1);
    this.gear = Float64Array.from(joints, (j) => j.gear_ratio ?? 1);
    this.off = Float64Array.from(joints, (j) => j.offset ?? 0);
    this.kt = Float64Array.from(models, (m) => torqueConstant(m));
    this.amp = Float64Array.from(models, (m) => m.currentUnit ?? 0);
    this.loadTorque = Float64Array.from(models, (m) => (hasCurrent(m) ? 0 : m.stallTorque));
    this.currentLimit = Int32Array.from(models, (m) => m.currentLimit ?? 0);
    this.velocityLimit = new Int32Array(n).fill(1023);
    this.posMin = new Int32Array(n);
    this.posMax = new Int32Array(n);
  }

  /** The limits servo i reported at connect (dynamixelServoCheck.ts). */
  setLimits(i: number, velocityLimit: number, currentLimit?: number, positionLimits?: readonly [number, number]): void {
    this.velocityLimit[i] = velocityLimit;
    if (currentLimit !== undefined) this.currentLimit[i] = currentLimit;
    if (positionLimits) [this.posMin[i], this.posMax[i]] = positionLimits;
  }

  /** Present Position ticks of servo i as the joint's position (rad | m). */
  ticksToJoint(i: number, ticks: number): number {
    return (this.dir[i] * (ticks - POSITION_CENTER) * RAD_PER_TICK) / this.gear[i] + this.off[i];
  }

  /** A sync read of PRESENT_BLOCK per servo (`raw`) into joint position, velocity and effort. */
  decode(raw: Uint8Array, pos: Float32Array, vel: Float32Array, eff: Float32Array): void {
    for (let i = 0; i < this.n; i++) {
      const o = i * PRESENT_BLOCK.length;
      const r126 = readLe(raw, o, 2, true);
      const v = readLe(raw, o + 2, 4, true) * RAD_S_PER_VELOCITY_UNIT;
      pos[i] = this.ticksToJoint(i, readLe(raw, o + 6, 4, true));
      vel[i] = (this.dir[i] * v) / this.gear[i];
      // Present Current × unit × torque constant, or Present Load (0.1 %) × stall torque: an estimate.
      const horn = this.amp[i] > 0 ? r126 * this.amp[i] * this.kt[i] : (r126 / 1000) * this.loadTorque[i];
      eff[i] = this.dir[i] * horn * this.gear[i];
    }
  }

  /**
   * Goal Position = the pose read last (`raw`, a PRESENT_BLOCK sync read), clamped into a
   * position-mode servo's Min/Max Position Limit: a joint back-driven just past a limit would
   * otherwise get a goal the servo refuses, and keep driving to the goal it had. The nearest pose
   * it accepts is the hold.
   */
  holdGoals(raw: Uint8Array, goals: Uint8Array): void {
    for (let i = 0; i < this.n; i++) {
      let g = readLe(raw, i * PRESENT_BLOCK.length + 6, 4, true);
      const lo = this.posMin[i], hi = this.posMax[i];
      if (!(lo === 0 && hi === 0)) g = Math.min(hi, Math.max(lo, g));
      writeLe(goals, i * 4, 4, g);
    }
  }

  /** The command's targets as goals in this robot's mode (4 bytes per servo; 2 for Goal Current); a non-finite target keeps the previous goal. */
  encodeGoals(cmd: JointCommand, goals: Uint8Array): void {
    const t = cmd.target;
    for (let i = 0; i < this.n; i++) {
      const x = t[i];
      if (!Number.isFinite(x)) continue; // the supervisor never sends these
      if (this.mode === 'position') {
        writeLe(goals, i * 4, 4, Math.round(((x - this.off[i]) * this.gear[i] * this.dir[i]) / RAD_PER_TICK) + POSITION_CENTER);
      } else if (this.mode === 'effort') {
        const amps = (x / this.gear[i] / this.kt[i]) * this.dir[i];
        const raw = Math.round(amps / this.amp[i]); // effort mode: every joint has current (checked at construction)
        const lim = this.currentLimit[i];
        writeLe(goals, i * 2, 2, Math.abs(raw) > lim ? sign(raw) * lim : raw);
      } else {
        const raw = Math.round((x * this.gear[i] * this.dir[i]) / RAD_S_PER_VELOCITY_UNIT);
        const lim = this.velocityLimit[i];
        writeLe(goals, i * 4, 4, Math.abs(raw) > lim ? sign(raw) * lim : raw);
      }
    }
  }

  /** Goal Current (raw) that bounds servo i to `effortLimit` (N·m at the joint), within its Current Limit. */
  goalCurrentFor(i: number, effortLimit: number): number {
    return Math.min(this.currentLimit[i], Math.round(effortLimit / this.gear[i] / this.kt[i] / this.amp[i]));
  }
}
