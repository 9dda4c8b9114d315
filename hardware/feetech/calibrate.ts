/**
 * Calibration of an arm of Feetech STS servos (`axon hw calibrate --config C`), in two steps an
 * operator does by hand, with torque off:
 * 1. Homing: the arm is held in the config's calibration pose (every joint at a known angle,
 *    `calibration_pose`, 0 by default). Each servo's Homing Offset (address 31) is set so that its
 *    present position reads the ticks the config maps to that angle:
 *      offset_new = present + offset_old − target     (present = encoder − offset, mod 4096)
 * 2. Range of motion: the operator moves every joint through its whole travel while the bus is
 *    read; the lowest and highest present positions are the range.
 * The calibration fits when every joint's config limits [lower, upper] lie inside the recorded
 * range (within `slackRad`): the arm can reach every angle the config allows. If not, nothing is
 * saved: the offsets go back to what they were and the diff names each joint, its limits and
 * what it reached. If it fits, the offsets are saved in EPROM (Lock 0, write, Lock 1), the
 * servos' angle limits (9, 11) are set to the config limits (the servo itself then refuses goals
 * beyond them: these servos have no bus watchdog, so limits on the servo matter), and the caller
 * writes homing_offset and range_ticks into the config.
 */
import type { FeetechBus } from './FeetechBus.ts';
import { decodeSignMagnitude, encodeSignMagnitude, le, readLe } from './packet.ts';
import { RAD_PER_TICK, TICKS_PER_TURN } from './controlTable.ts';
import { jointToTicks, ticksToJoint, type FeetechRobotConfig } from '../robots/feetechConfig.ts';

export interface CalibrationOptions {
  /** Resolves when the operator holds the arm in the calibration pose. */
  readonly waitForPose: () => Promise<void>;
  /** Resolves when the operator has moved every joint through its range (or the recording time is up). */
  readonly recordUntil: () => Promise<void>;
  /** Range samples per second (default 50). */
  readonly sampleHz?: number;
  /** How far short of a limit a recorded range may end and still fit (rad, default 0.02). */
  readonly slackRad?: number;
  /** Progress lines for the operator. */
  readonly say?: (line: string) => void;
}

export interface JointCalibration {
  readonly name: string;
  readonly id: number;
  readonly homing_offset: number;
  readonly range_ticks: [number, number];
  /** The recorded range in joint angles (rad), low to high. */
  readonly range_rad: [number, number];
  /** The config limits in present ticks (low, high). */
  readonly limit_ticks: [number, number];
}

export interface CalibrationResult {
  readonly joints: JointCalibration[];
  /** One line per joint whose limits do not fit its recorded range; empty = fits. */
  readonly diff: string[];
  readonly samples: number;
  /** Each joint's Homing Offset before the calibration (ticks, config order): what restoreOffsets puts back. */
  readonly previousOffsets: readonly number[];
}

const wrapOffset = (x: number) => {
  let v = ((Math.round(x) % TICKS_PER_TURN) + TICKS_PER_TURN) % TICKS_PER_TURN;
  if (v > 2047) v -= TICKS_PER_TURN;
  return Math.max(-2047, v);
};

export async function calibrateFeetech(bus: FeetechBus, config: FeetechRobotConfig, o: CalibrationOptions): Promise<CalibrationResult> {
  const say = o.say ?? (() => {});
  const js = config.joints;
  const ids = js.map((j) => j.id);
  const missing: string[] = [];
  for (const j of js) if ((await bus.ping(j.id)) === undefined) missing.push(`joint ${j.name}: servo id ${j.id} did not answer a ping at ${bus.baud} bit/s (${bus.lastMiss})`);
  if (missing.length > 0) return { joints: [], diff: missing, samples: 0, previousOffsets: [] };
  for (const id of ids) await bus.write(id, 40, [0]); // torque off: the operator moves the arm
  say(`torque off on ${ids.length} servos; hold the arm in the calibration pose`);
  await o.waitForPose();

  const oldOffsets: number[] = [];
  const newOffsets: number[] = [];
  for (const j of js) {
    const present = decodeSignMagnitude(readLe(await bus.read(j.id, 56, 2), 0, 2), 15);
    const old = await bus.readValue(j.id, 31, 2, 11);
    const target = jointToTicks(j, config.calibration_pose?.[j.name] ?? 0);
    const off = wrapOffset(present + old - target);
    oldOffsets.push(old);
    newOffsets.push(off);
    await bus.write(j.id, 31, le(encodeSignMagnitude(off, 11), 2)); // Lock stays 1: RAM only until saved
  }
  say(`homing offsets set (${js.map((j, i) => `${j.name} ${newOffsets[i]}`).join(', ')}); now move every joint through its whole range`);

  const lo = new Float64Array(js.length).fill(Infinity);
  const hi = new Float64Array(js.length).fill(-Infinity);
  const raw = new Uint8Array(js.length * 2);
  let samples = 0;
  let done = false;
  const until = o.recordUntil().then(() => (done = true));
  const dt = 1000 / (o.sampleHz ?? 50);
  while (!done) {
    const r = await bus.syncRead(56, 2, ids, raw, performance.now() / 1000 + dt / 1000);
    if (r.ok) {
      samples++;
      for (let i = 0; i < js.length; i++) {
        const t = decodeSignMagnitude(readLe(raw, i * 2, 2), 15);
        if (t < lo[i]) lo[i] = t;
        if (t > hi[i]) hi[i] = t;
      }
    }
    await Promise.race([until, new Promise((r) => setTimeout(r, dt))]);
  }

  const slack = (o.slackRad ?? 0.02) / RAD_PER_TICK;
  const diff: string[] = [];
  const joints: JointCalibration[] = js.map((j, i) => {
    const a = jointToTicks(j, j.lower), b = jointToTicks(j, j.upper);
    const limit: [number, number] = [Math.min(a, b), Math.max(a, b)];
    const range: [number, number] = samples > 0 ? [lo[i], hi[i]] : [0, 0];
    const ra = ticksToJoint(j, range[0]), rb = ticksToJoint(j, range[1]);
    const rangeRad: [number, number] = [round4(Math.min(ra, rb)), round4(Math.max(ra, rb))];
    if (samples === 0) diff.push(`joint ${j.name} (id ${j.id}): no range recorded (no complete read)`);
    else if (range[1] - range[0] > TICKS_PER_TURN - 100) diff.push(`joint ${j.name} (id ${j.id}): the recorded range spans the whole turn (ticks ${range[0]}..${range[1]}): it crosses 0/4095, hold the calibration pose more carefully`);
    else {
      const short: string[] = [];
      if (range[0] > limit[0] + slack) short.push(`${((range[0] - limit[0]) * RAD_PER_TICK).toFixed(3)} rad short at the ${(j.direction ?? 1) > 0 ? 'lower' : 'upper'} end`);
      if (range[1] < limit[1] - slack) short.push(`${((limit[1] - range[1]) * RAD_PER_TICK).toFixed(3)} rad short at the ${(j.direction ?? 1) > 0 ? 'upper' : 'lower'} end`);
      if (short.length > 0)
        diff.push(`joint ${j.name} (id ${j.id}): config limits [${j.lower}, ${j.upper}] rad (ticks ${Math.round(limit[0])}..${Math.round(limit[1])}), recorded range [${rangeRad[0]}, ${rangeRad[1]}] rad (ticks ${range[0]}..${range[1]}): ${short.join(', ')}`);
    }
    return { name: j.name, id: j.id, homing_offset: newOffsets[i], range_ticks: range, range_rad: rangeRad, limit_ticks: [Math.floor(limit[0]), Math.ceil(limit[1])] };
  });
  if (diff.length > 0) {
    for (let i = 0; i < js.length; i++) await bus.write(js[i].id, 31, le(encodeSignMagnitude(oldOffsets[i], 11), 2));
    say('calibration refused: offsets restored, nothing saved');
  }
  return { joints, diff, samples, previousOffsets: oldOffsets };
}

/**
 * Puts back the Homing Offsets the servos had before `calibrateFeetech` (which sets the new ones in
 * RAM only, Lock 1): for a caller that cannot keep a fitting calibration (its config file cannot
 * be written), so that servos and file still agree.
 */
export async function restoreOffsets(bus: FeetechBus, config: FeetechRobotConfig, result: CalibrationResult): Promise<void> {
  for (let i = 0; i < result.previousOffsets.length; i++) await bus.write(config.joints[i].id, 31, le(encodeSignMagnitude(result.previousOffsets[i], 11), 2));
}

/** The config with a fitting calibration written in (homing_offset and range_ticks per joint); touches no servo. */
export function calibratedConfig(config: FeetechRobotConfig, result: CalibrationResult): FeetechRobotConfig {
  if (result.diff.length > 0) throw new Error('a calibration that does not fit is not saved');
  const byName = new Map(result.joints.map((c) => [c.name, c]));
  return {
    ...config,
    joints: config.joints.map((j) => {
      const c = byName.get(j.name)!;
      return { ...j, homing_offset: c.homing_offset, range_ticks: c.range_ticks };
    }),
  };
}

/** Saves a fitting calibration in the servos' EPROM and returns the config with it written in. */
export async function saveCalibration(bus: FeetechBus, config: FeetechRobotConfig, result: CalibrationResult): Promise<FeetechRobotConfig> {
  if (result.diff.length > 0) throw new Error('a calibration that does not fit is not saved');
  for (const c of result.joints) {
    await bus.write(c.id, 55, [0]);
    await bus.write(c.id, 31, le(encodeSignMagnitude(c.homing_offset, 11), 2));
    await bus.write(c.id, 9, [...le(Math.max(0, c.limit_ticks[0]), 2), ...le(Math.min(4095, c.limit_ticks[1]), 2)]);
    await bus.write(c.id, 55, [1]);
    const back = await bus.readValue(c.id, 31, 2, 11);
    if (back !== c.homing_offset) throw new Error(`servo ${c.id}: homing offset reads ${back} after saving ${c.homing_offset}`);
  }
  return calibratedConfig(config, result);
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
