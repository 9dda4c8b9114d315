/**
 * The servos of an arm LeRobot calibrated, checked against its calibration file before axon takes
 * the file in (`axon hw calibrate --from-lerobot FILE --port P`): LeRobot's write_calibration()
 * put homing_offset into Homing_Offset and range_min/range_max into Min/Max_Position_Limit, and
 * its Koch leader's calibrate() set Drive_Mode; this reads those registers back (read only:
 * nothing is written, torque is not touched) and says every difference.
 *
 * Registers (hardware/feetech/controlTable.ts, hardware/dynamixel/controlTable.ts, LeRobot's
 * motors/feetech/tables.py and motors/dynamixel/tables.py agree): Feetech STS Min/Max_Position_Limit
 * 9/11 (2 bytes), Homing_Offset 31 (2 bytes, sign bit 11); Dynamixel X Drive_Mode 10 (bit 0),
 * Homing_Offset 20 (4 bytes, two's complement), Max/Min_Position_Limit 48/52 (4 bytes). Each
 * servo's are read in as few reads as the table allows, each of a length no other read here has:
 * the bus matches a reply to its request by id and length only, so a late reply (after a timeout
 * and retry) to one read is dropped as stale by the next rather than read as its value.
 */
import { AxonError } from '../../src/core/errors.ts';
import type { Transport } from '../transport/Transport.ts';
import { FeetechBus } from '../feetech/FeetechBus.ts';
import { decodeSignMagnitude, readLe as stsReadLe } from '../feetech/packet.ts';
import { feetechModelByName } from '../feetech/controlTable.ts';
import { DynamixelBus } from '../dynamixel/DynamixelBus.ts';
import { readLe as dxlReadLe } from '../dynamixel/packet.ts';
import { modelByName } from '../dynamixel/servoModels.ts';
import type { LoadedConfig } from './openRobot.ts';
import type { LerobotCalibration, LerobotMotor } from './lerobotCalibration.ts';

/** The servos do not carry the calibration the file says: one line per difference. */
export class LerobotServoMismatchError extends AxonError {
  constructor(
    where: string,
    readonly diff: readonly string[],
  ) {
    super('LEROBOT_SERVOS', where, `the servos do not carry this calibration, nothing written:\n  ${diff.join('\n  ')}`, "the file of this very arm from its last lerobot-calibrate (the servos keep what LeRobot's write_calibration() last wrote)");
  }
}

/**
 * Reads every joint's calibration registers and compares them with the file; opens and closes the
 * bus. An empty list: the servos carry exactly the file's calibration.
 */
export async function lerobotServoDiff(loaded: LoadedConfig, cal: LerobotCalibration, transport: Transport): Promise<string[]> {
  const byName = new Map(cal.motors.map((m) => [m.name, m]));
  const diff: string[] = [];
  if (loaded.protocol === 'feetech') {
    const c = loaded.config;
    const margin = c.reply_timeout_ms !== undefined ? c.reply_timeout_ms / 1000 : c.latency_timer_ms !== undefined ? (2 * c.latency_timer_ms + 2) / 1000 : undefined;
    const bus = new FeetechBus(transport, margin !== undefined ? { replyMarginS: margin } : {});
    await bus.open();
    try {
      for (const j of c.joints) {
        const m = byName.get(j.name)!;
        if ((await bus.ping(j.id)) === undefined) {
          diff.push(`joint ${j.name}: servo id ${j.id} did not answer a ping at ${bus.baud} bit/s (${bus.lastMiss})`);
          continue;
        }
        const want = feetechModelByName(j.model)!;
        const model = stsReadLe(await bus.read(j.id, 3, 2), 0, 2);
        if (model !== want.number) {
          diff.push(`joint ${j.name} (id ${j.id}): model ${model} on the bus, ${want.number} ${want.name} in the config`);
          continue;
        }
        // One read of 9..32 (limits 9/11 .. Homing_Offset 31), as FeetechRobot's connect reads them.
        const e = await bus.read(j.id, 9, 24);
        const homing = decodeSignMagnitude(stsReadLe(e, 31 - 9, 2), 11);
        compare(diff, j.name, j.id, m, { homing, min: stsReadLe(e, 0, 2), max: stsReadLe(e, 2, 2) });
      }
    } finally {
      await bus.close();
    }
    return diff;
  }
  const c = loaded.config;
  const bus = new DynamixelBus(transport, {
    ...(c.reply_timeout_ms !== undefined ? { replyMarginS: c.reply_timeout_ms / 1000 } : {}),
    ...(c.latency_timer_ms !== undefined ? { latencyTimerS: c.latency_timer_ms / 1000 } : {}),
  });
  await bus.open();
  try {
    for (const j of c.joints) {
      const m = byName.get(j.name)!;
      const p = await bus.ping(j.id);
      if (!p) {
        diff.push(`joint ${j.name}: servo id ${j.id} did not answer a ping at ${bus.baud} bit/s (${bus.lastMiss})`);
        continue;
      }
      const want = modelByName(j.model)!;
      if (p.model !== want.number) {
        diff.push(`joint ${j.name} (id ${j.id}): model ${p.model} ${p.modelName} on the bus, ${want.number} ${want.name} in the config`);
        continue;
      }
      // Two reads, 10..23 (Drive Mode .. Homing Offset) and 48..55 (Max, Min Position Limit, as
      // DynamixelRobot's connect reads them), of lengths no other request here has: a late reply
      // to one cannot pass for the other's (the bus matches replies by id and length).
      const head = await bus.read(j.id, 10, 14);
      const lim = await bus.read(j.id, 48, 8);
      compare(diff, j.name, j.id, m, { homing: dxlReadLe(head, 20 - 10, 4, true), max: dxlReadLe(lim, 0, 4), min: dxlReadLe(lim, 4, 4), reverse: head[0] & 1 });
    }
  } finally {
    await bus.close();
  }
  return diff;
}

function compare(diff: string[], name: string, id: number, m: LerobotMotor, s: { homing: number; min: number; max: number; reverse?: number }): void {
  const who = `joint ${name} (id ${id})`;
  if (s.homing !== m.homing_offset) diff.push(`${who}: Homing_Offset ${s.homing} on the servo, ${m.homing_offset} in the file`);
  if (s.min !== m.range_min || s.max !== m.range_max) diff.push(`${who}: Min/Max_Position_Limit ${s.min}..${s.max} on the servo, ${m.range_min}..${m.range_max} in the file`);
  if (s.reverse !== undefined && s.reverse !== (m.drive_mode & 1)) diff.push(`${who}: Drive_Mode bit 0 (reverse) ${s.reverse} on the servo, drive_mode ${m.drive_mode} in the file`);
}
