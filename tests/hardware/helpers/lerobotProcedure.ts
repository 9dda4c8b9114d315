/**
 * LeRobot's calibrate() transcribed step for step and run against axon's emulators over real bytes,
 * so that a fixture in tests/fixtures/lerobot is what LeRobot writes for the emulated arm (docs/feetech.md,
 * "A LeRobot calibration", cites the LeRobot code of each step):
 *  1. disable_torque (Feetech: Torque_Enable 0 then Lock 0), Operating_Mode (Feetech position 0;
 *     Koch: extended position 4), the Koch leader's Drive_Mode 1 on elbow_flex;
 *  2. the operator holds the homing pose; set_half_turn_homings: reset_calibration (Homing_Offset
 *     0, Min_Position_Limit 0, Max_Position_Limit 4095), read Present_Position, write Homing_Offset
 *     = pos − 2047 (Feetech) or 2047 − pos (Dynamixel);
 *  3. record_ranges_of_motion: min and max of Present_Position from the start pose on, while the
 *     operator sweeps each joint; the full-turn motors are not recorded but set to 0..4095;
 *  4. write_calibration: Homing_Offset, Min/Max_Position_Limit; the dict is what _save_calibration
 *     dumps (draccus, indent 4): per motor {id, drive_mode, homing_offset, range_min, range_max}.
 * Of configure() only the Koch's operating modes are done (the gripper in current-based position);
 * its P/I/D coefficients and the gripper's torque settings write no calibration.
 */
import { FeetechBus } from '../../../hardware/feetech/FeetechBus.ts';
import { encodeSignMagnitude, le as stsLe } from '../../../hardware/feetech/packet.ts';
import { DynamixelBus } from '../../../hardware/dynamixel/DynamixelBus.ts';
import { le as dxlLe } from '../../../hardware/dynamixel/packet.ts';
import type { FeetechEmulator } from '../../../hardware/emulator/FeetechEmulator.ts';
import type { DynamixelEmulator } from '../../../hardware/emulator/DynamixelEmulator.ts';
import { RAD_PER_TICK } from '../../../hardware/feetech/controlTable.ts';
import { memoryPair } from '../../../hardware/transport/MemoryTransport.ts';

export interface LerobotMotorSpec {
  readonly name: string;
  readonly id: number;
  /** The servo's own count (encoder tick, before any homing offset) while the operator holds the homing pose. */
  readonly homeRaw: number;
  /** The present positions the operator's sweep reaches (after homing); undefined: a full-turn motor, not recorded. */
  readonly sweep?: readonly [number, number];
  /** Koch leader: Drive_Mode 1 (reverse) written before homing. */
  readonly reverse?: boolean;
}

export type MotorCalibrationDict = Record<string, { id: number; drive_mode: number; homing_offset: number; range_min: number; range_max: number }>;

async function link<E extends { attach(t: import('../../../hardware/transport/Transport.ts').Transport): void }>(emu: E) {
  const [host, dev] = memoryPair('lerobot');
  await dev.open();
  emu.attach(dev);
  return host;
}

/** SO-100/SO-101 (so_follower.py, so_leader.py): Feetech STS3215, position mode, wrist_roll a full turn. */
export async function lerobotCalibrateFeetech(emu: FeetechEmulator, motors: readonly LerobotMotorSpec[]): Promise<MotorCalibrationDict> {
  const bus = new FeetechBus(await link(emu));
  await bus.open();
  const present = async (id: number) => bus.readValue(id, 56, 2, 15);
  const place = (id: number, raw: number) => {
    const s = emu.servo(id)!;
    s.pos = raw * RAD_PER_TICK;
    s.vel = 0;
  };
  try {
    for (const m of motors) {
      await bus.write(m.id, 40, [0]);
      await bus.write(m.id, 55, [0]);
      await bus.write(m.id, 33, [0]);
    }
    for (const m of motors) place(m.id, m.homeRaw);
    const homing: Record<string, number> = {};
    for (const m of motors) {
      await bus.write(m.id, 31, stsLe(encodeSignMagnitude(0, 11), 2));
      await bus.write(m.id, 9, stsLe(0, 2));
      await bus.write(m.id, 11, stsLe(4095, 2));
    }
    for (const m of motors) homing[m.name] = (await present(m.id)) - 2047;
    for (const m of motors) await bus.write(m.id, 31, stsLe(encodeSignMagnitude(homing[m.name], 11), 2));
    const range = await recordRanges(motors, present, (m, p) => place(m.id, (((p + homing[m.name]) % 4096) + 4096) % 4096));
    for (const m of motors) {
      await bus.write(m.id, 31, stsLe(encodeSignMagnitude(homing[m.name], 11), 2));
      await bus.write(m.id, 9, stsLe(range[m.name][0], 2));
      await bus.write(m.id, 11, stsLe(range[m.name][1], 2));
    }
    for (const m of motors) place(m.id, m.homeRaw); // back to the homing pose
    return dict(motors, homing, range);
  } finally {
    await bus.close();
  }
}

/** Koch (koch_follower.py, koch_leader.py): Dynamixel, extended position, shoulder_pan and wrist_roll full turns. */
export async function lerobotCalibrateDynamixel(emu: DynamixelEmulator, motors: readonly LerobotMotorSpec[]): Promise<MotorCalibrationDict> {
  const bus = new DynamixelBus(await link(emu));
  await bus.open();
  const present = async (id: number) => bus.readValue(id, 132, 4, true);
  const place = (id: number, raw: number) => {
    const s = emu.servo(id);
    s.pos = raw * RAD_PER_TICK;
    s.vel = 0;
  };
  try {
    for (const m of motors) {
      await bus.write(m.id, 64, [0]);
      await bus.write(m.id, 11, [4]);
    }
    for (const m of motors) if (m.reverse) await bus.write(m.id, 10, [1]);
    for (const m of motors) place(m.id, m.homeRaw);
    const homing: Record<string, number> = {};
    for (const m of motors) {
      await bus.write(m.id, 20, dxlLe(0, 4));
      await bus.write(m.id, 52, dxlLe(0, 4));
      await bus.write(m.id, 48, dxlLe(4095, 4));
    }
    for (const m of motors) homing[m.name] = 2047 - (await present(m.id));
    for (const m of motors) await bus.write(m.id, 20, dxlLe(homing[m.name], 4));
    // Present = count + offset, the count reversed under Drive Mode 1 (the emulator's 4096 − raw).
    const range = await recordRanges(motors, present, (m, p) => place(m.id, m.reverse ? 4096 - (p - homing[m.name]) : p - homing[m.name]));
    for (const m of motors) {
      await bus.write(m.id, 20, dxlLe(homing[m.name], 4));
      await bus.write(m.id, 52, dxlLe(range[m.name][0], 4));
      await bus.write(m.id, 48, dxlLe(range[m.name][1], 4));
    }
    for (const m of motors) place(m.id, m.homeRaw);
    // configure(): the gripper in current-based position (5), the joints stay in extended position.
    for (const m of motors) if (m.name === 'gripper') await bus.write(m.id, 11, [5]);
    return dict(motors, homing, range);
  } finally {
    await bus.close();
  }
}

/** record_ranges_of_motion: min/max of what the servos report, from the start pose through each joint's sweep. */
async function recordRanges(motors: readonly LerobotMotorSpec[], present: (id: number) => Promise<number>, moveTo: (m: LerobotMotorSpec, presentTicks: number) => void): Promise<Record<string, [number, number]>> {
  const range: Record<string, [number, number]> = {};
  for (const m of motors) {
    if (!m.sweep) {
      range[m.name] = [0, 4095];
      continue;
    }
    const start = await present(m.id);
    let lo = start, hi = start;
    for (const p of [m.sweep[0], m.sweep[1]]) {
      moveTo(m, p);
      const v = await present(m.id);
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    range[m.name] = [lo, hi];
  }
  return range;
}

function dict(motors: readonly LerobotMotorSpec[], homing: Record<string, number>, range: Record<string, [number, number]>): MotorCalibrationDict {
  const out: MotorCalibrationDict = {};
  for (const m of motors) out[m.name] = { id: m.id, drive_mode: m.reverse ? 1 : 0, homing_offset: homing[m.name], range_min: range[m.name][0], range_max: range[m.name][1] };
  return out;
}

/** The arms of the fixtures: where each servo's own count is at the homing pose, and the sweep (present ticks). */
export const SO101_FOLLOWER: readonly LerobotMotorSpec[] = [
  { name: 'shoulder_pan', id: 1, homeRaw: 760, sweep: [780, 3321] },
  { name: 'shoulder_lift', id: 2, homeRaw: 2530, sweep: [781, 3362] },
  { name: 'elbow_flex', id: 3, homeRaw: 1850, sweep: [823, 3071] },
  { name: 'wrist_flex', id: 4, homeRaw: 3240, sweep: [731, 3262] },
  { name: 'wrist_roll', id: 5, homeRaw: 3871 },
  { name: 'gripper', id: 6, homeRaw: 1230, sweep: [2003, 3541] },
];
export const SO101_LEADER: readonly LerobotMotorSpec[] = [
  { name: 'shoulder_pan', id: 1, homeRaw: 2900, sweep: [700, 3400] },
  { name: 'shoulder_lift', id: 2, homeRaw: 1100, sweep: [850, 3300] },
  { name: 'elbow_flex', id: 3, homeRaw: 3010, sweep: [890, 3210] },
  { name: 'wrist_flex', id: 4, homeRaw: 2222, sweep: [900, 3190] },
  { name: 'wrist_roll', id: 5, homeRaw: 640 },
  { name: 'gripper', id: 6, homeRaw: 2070, sweep: [1920, 3250] },
];
export const KOCH_FOLLOWER: readonly LerobotMotorSpec[] = [
  { name: 'shoulder_pan', id: 1, homeRaw: 3075 },
  { name: 'shoulder_lift', id: 2, homeRaw: 1000, sweep: [1203, 2958] },
  { name: 'elbow_flex', id: 3, homeRaw: 3016, sweep: [1150, 2991] },
  { name: 'wrist_flex', id: 4, homeRaw: 2310, sweep: [1010, 3090] },
  { name: 'wrist_roll', id: 5, homeRaw: 150 },
  { name: 'gripper', id: 6, homeRaw: 2850, sweep: [1642, 2470] },
];
export const KOCH_LEADER: readonly LerobotMotorSpec[] = [
  { name: 'shoulder_pan', id: 1, homeRaw: 1800 },
  { name: 'shoulder_lift', id: 2, homeRaw: 2600, sweep: [1180, 2990] },
  { name: 'elbow_flex', id: 3, homeRaw: 2100, sweep: [1100, 3000], reverse: true },
  { name: 'wrist_flex', id: 4, homeRaw: 1500, sweep: [1200, 2900] },
  { name: 'wrist_roll', id: 5, homeRaw: 3500 },
  { name: 'gripper', id: 6, homeRaw: 2200, sweep: [1600, 2500] },
];
