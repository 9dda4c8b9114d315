/**
 * Emulated servos as LeRobot's calibration leaves them (`axon hw calibrate --from-lerobot FILE
 * --port emu://`, and tests): each servo carries the file's Homing Offset and Min/Max Position
 * Limits (and a Dynamixel its Drive Mode and the config's operating mode), and each joint is at
 * the calibration pose, which then reads 2047 (LeRobot's half-turn homing).
 */
import type { StsServoSetup } from './EmulatedStsServo.ts';
import type { ServoSetup } from './EmulatedServo.ts';
import { RAD_PER_TICK as STS_RAD_PER_TICK, POSITION_CENTER as STS_CENTER } from '../feetech/controlTable.ts';
import { OperatingMode, RAD_PER_TICK as DXL_RAD_PER_TICK, POSITION_CENTER as DXL_CENTER } from '../dynamixel/controlTable.ts';
import type { FeetechRobotConfig } from '../robots/feetechConfig.ts';
import type { DynamixelRobotConfig } from '../robots/config.ts';
import { LEROBOT_HOME_TICKS, type LerobotCalibration } from '../robots/lerobotCalibration.ts';

/** Feetech: Present = encoder − Homing_Offset, so the encoder is at 2047 + offset. */
export function feetechServosAsLerobotLeft(config: FeetechRobotConfig, cal: LerobotCalibration): StsServoSetup[] {
  const byName = new Map(cal.motors.map((m) => [m.name, m]));
  return config.joints.map((j) => {
    const m = byName.get(j.name)!;
    const encoder = LEROBOT_HOME_TICKS + m.homing_offset;
    return { id: j.id, model: j.model, position: (encoder - STS_CENTER) * STS_RAD_PER_TICK, table: { homing_offset: m.homing_offset, min_position_limit: m.range_min, max_position_limit: m.range_max } };
  });
}

/** Dynamixel: Present = actual (reversed by Drive Mode bit 0, as EmulatedServo counts it) + Homing_Offset. */
export function dynamixelServosAsLerobotLeft(config: DynamixelRobotConfig, cal: LerobotCalibration): ServoSetup[] {
  const byName = new Map(cal.motors.map((m) => [m.name, m]));
  return config.joints.map((j) => {
    const m = byName.get(j.name)!;
    const counted = LEROBOT_HOME_TICKS - m.homing_offset;
    const actual = m.drive_mode === 1 ? 2 * DXL_CENTER - counted : counted;
    return {
      id: j.id,
      model: j.model,
      position: (actual - DXL_CENTER) * DXL_RAD_PER_TICK,
      table: { operating_mode: OperatingMode[j.operating_mode ?? config.operating_mode], drive_mode: m.drive_mode, homing_offset: m.homing_offset, min_position_limit: m.range_min, max_position_limit: m.range_max },
    };
  });
}
