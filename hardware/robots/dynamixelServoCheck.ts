/**
 * One servo's check at DynamixelRobot.connect(): it answers a ping, its model, operating mode,
 * position limits, its own reverse bit and homing offset (against the config's when the config
 * names them), and no latched hardware error; what it reads for the robot (position and current
 * limits, velocity limit). Mismatches are diff lines for HardwareMismatchError, which refuses to
 * arm with all of them at once.
 */
import type { DynamixelBus } from '../dynamixel/DynamixelBus.ts';
import { OperatingMode, describeHardwareError } from '../dynamixel/controlTable.ts';
import { hasCurrent, modelByName } from '../dynamixel/servoModels.ts';
import { readLe } from '../dynamixel/packet.ts';
import type { DynamixelJointConfig, DynamixelRobotConfig } from './config.ts';

export interface ServoCheck {
  /** The config's mismatches on this servo (empty when it matches). */
  readonly diff: string[];
  /** It answered the ping with the config's model (the rest is read only then). */
  readonly answered: boolean;
  /** Its firmware has fast sync read. */
  readonly fastSyncRead: boolean;
  /** Its own reverse bit / homing offset, when the config does not name them: said at connect. */
  readonly frame?: string;
  /** Min / Max Position Limit (52 / 48, ticks), kept in position mode only (the hold is clamped into them). */
  readonly positionLimits?: readonly [number, number];
  /** Current Limit (38), on models that have one. */
  readonly currentLimit?: number;
  /** Velocity Limit (44). */
  readonly velocityLimit: number;
}

/** Reads and checks servo `j` (ticksToJoint: that joint's tick -> rad under the config's direction, gear and offset). */
export async function checkServo(bus: DynamixelBus, c: DynamixelRobotConfig, j: DynamixelJointConfig, ticksToJoint: (ticks: number) => number): Promise<ServoCheck> {
  const diff: string[] = [];
  const p = await bus.ping(j.id);
  if (!p) return { diff: [`joint ${j.name}: servo id ${j.id} did not answer a ping at ${c.baud} bit/s (${bus.lastMiss})`], answered: false, fastSyncRead: false, velocityLimit: 0 };
  const want = modelByName(j.model)!;
  if (p.model !== want.number)
    return { diff: [`joint ${j.name} (id ${j.id}): model ${p.model} ${p.modelName} on the bus, ${want.number} ${want.name} in the config`], answered: false, fastSyncRead: false, velocityLimit: 0 };
  const fastSyncRead = want.fastSyncReadFirmware !== undefined && p.firmware >= want.fastSyncReadFirmware;
  const eeprom = await bus.read(j.id, 11, 1);
  const mode = eeprom[0];
  const wantMode = OperatingMode[j.operating_mode ?? c.operating_mode];
  if (mode !== wantMode) diff.push(`joint ${j.name} (id ${j.id}): operating mode ${modeName(mode)} (${mode}) on the servo, ${modeName(wantMode)} (${wantMode}) in the config`);
  const lim = await bus.read(j.id, 48, 8);
  const maxT = readLe(lim, 0, 4), minT = readLe(lim, 4, 4);
  if (wantMode === OperatingMode.position || wantMode === OperatingMode.current_based_position) {
    const a = ticksToJoint(minT), b = ticksToJoint(maxT);
    const lo = Math.min(a, b), hi = Math.max(a, b);
    if (j.lower < lo - 1e-9 || j.upper > hi + 1e-9)
      diff.push(`joint ${j.name} (id ${j.id}): config range [${j.lower}, ${j.upper}] rad exceeds the servo's position limits [${lo.toFixed(4)}, ${hi.toFixed(4)}] rad (ticks ${minT}..${maxT})`);
  }
  // A servo's own reverse bit (Drive Mode 10, bit 0) and Homing Offset (20) shift what it reports;
  // the config's direction and offset are on top of them: said at connect, so that a servo set
  // up since the config was written (a LeRobot calibration) does not go unseen.
  const reverse = ((await bus.readValue(j.id, 10, 1)) & 1) === 1;
  const homing = await bus.readValue(j.id, 20, 4, true);
  // A config that says which (axon hw calibrate --from-lerobot) is checked: its direction and
  // offset were derived for exactly these, and any other reads every angle wrong.
  if (j.homing_offset !== undefined && homing !== j.homing_offset)
    diff.push(`joint ${j.name} (id ${j.id}): homing offset ${homing} ticks on the servo, ${j.homing_offset} in the config (the arm was calibrated again since: import its calibration again)`);
  if (j.drive_mode !== undefined && Number(reverse) !== j.drive_mode)
    diff.push(`joint ${j.name} (id ${j.id}): drive mode ${reverse ? '1 (reverse)' : '0 (normal)'} on the servo, ${j.drive_mode} in the config`);
  const frame =
    (reverse || homing !== 0) && j.homing_offset === undefined && j.drive_mode === undefined
      ? `${j.name} (id ${j.id})${reverse ? ' reverse' : ''}${homing !== 0 ? ` homing offset ${homing} ticks` : ''}`
      : undefined;
  // XL430 / XC430 have no Current Limit: reading 38 there is an Access Error.
  const currentLimit = hasCurrent(want) ? await bus.readValue(j.id, 38, 2) : undefined;
  const velocityLimit = await bus.readValue(j.id, 44, 4);
  const hw = await bus.readValue(j.id, 70, 1);
  if (hw !== 0) diff.push(`joint ${j.name} (id ${j.id}): hardware error ${describeHardwareError(hw)} is latched (fix the cause, then reboot the servo)`);
  return {
    diff,
    answered: true,
    fastSyncRead,
    ...(frame !== undefined ? { frame } : {}),
    ...(wantMode === OperatingMode.position ? { positionLimits: [minT, maxT] as const } : {}),
    ...(currentLimit !== undefined ? { currentLimit } : {}),
    velocityLimit,
  };
}

export function modeName(m: number): string {
  for (const [k, v] of Object.entries(OperatingMode)) if (v === m) return k;
  return `mode ${m}`;
}
