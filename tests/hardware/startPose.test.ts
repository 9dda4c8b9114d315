/**
 * connect() refuses a joint that reads more than 0.1 rad outside its limits
 * (hardware/robots/startPose.ts): a Koch joint powered up outside the one turn its Dynamixel reads
 * then (it reads a turn off), an SO-101 wrist turned past where its Feetech count wraps.
 */
import { describe, expect, it } from 'vitest';
import { DynamixelEmulator } from '../../hardware/emulator/DynamixelEmulator.ts';
import { FeetechEmulator, defaultStsServos } from '../../hardware/emulator/FeetechEmulator.ts';
import { DynamixelRobot } from '../../hardware/robots/DynamixelRobot.ts';
import { FeetechRobot } from '../../hardware/robots/FeetechRobot.ts';
import { StartPoseError, START_POSE_MARGIN_RAD } from '../../hardware/robots/startPose.ts';
import { importLerobotCalibration, readLerobotCalibration } from '../../hardware/robots/lerobotCalibration.ts';
import type { DynamixelRobotConfig } from '../../hardware/robots/config.ts';
import type { FeetechRobotConfig } from '../../hardware/robots/feetechConfig.ts';
import { KOCH_FOLLOWER, SO101_FOLLOWER, lerobotCalibrateDynamixel, lerobotCalibrateFeetech } from './helpers/lerobotProcedure.ts';
import { KOCH_F, SO_F, TICK, koch, link, so101 } from './helpers/lerobotFiles.ts';

async function connectError(robot: { connect(): Promise<void>; close(): Promise<void> }): Promise<StartPoseError | undefined> {
  try {
    await robot.connect();
  } catch (e) {
    return e as StartPoseError;
  }
  await robot.close();
  return undefined;
}

describe('connect refuses a joint far outside its limits', () => {
  it('Koch follower: wrist_roll powered up just below the turn its servo reads (Homing Offset 1897) reads a turn off and is refused; moved back by hand it still is; powered up inside its range it is accepted', async () => {
    const servos = (koch('follower').config as DynamixelRobotConfig).joints.map((j) => ({ id: j.id, model: j.model }));
    const emu = new DynamixelEmulator({ servos });
    await lerobotCalibrateDynamixel(emu, KOCH_FOLLOWER);
    const imported = importLerobotCalibration(koch('follower'), readLerobotCalibration(KOCH_F), { narrowLimits: true }).loaded.config as DynamixelRobotConfig;
    // wrist_roll's limits as the import narrows them to that turn (lerobotImportChecks.test.ts), set here so that only connect is under test.
    const c: DynamixelRobotConfig = { ...imported, joints: imported.joints.map((j) => (j.name === 'wrist_roll' ? { ...j, lower: -0.230097, upper: 2.618 } : j)) };
    expect(c.joints[4]).toMatchObject({ name: 'wrist_roll', homing_offset: 1897 });
    // Present 1850: 197 ticks below the homing pose, 47 below the turn 1897..5992 (-0.3022 rad, 0.072 rad below the limit: within the margin).
    const roll = emu.servo(5);
    roll.pos = (1850 - 1897) * TICK; // actual = present − Homing Offset
    const before = new DynamixelRobot(c, await link(emu), { dryRun: true });
    expect(await connectError(before)).toBeUndefined();
    // Power off and on: the servo knows one turn, so it comes back at actual 4049 and reads 4049 + 1897 = 5946.
    emu.powerCycle();
    const e = await connectError(new DynamixelRobot(c, await link(emu), { dryRun: true }));
    expect(e).toBeInstanceOf(StartPoseError);
    expect(e!.code).toBe('HW_START_POSE');
    expect(e!.diff).toEqual([
      'joint wrist_roll (id 5) reads 5.9810 rad, 3.363 rad above its limits [-0.230097, 2.618] rad: it is out there, or it reads a turn off (a Dynamixel keeps no turn count across a power-up: it reads one turn from its Homing Offset). Move the joint back by hand within its range; if it still reads this far off, it reads a turn off: with the joint inside its range, power the servos off and on',
    ]);
    expect((5946 - 2047) * TICK).toBeCloseTo(5.981, 3);
    // Moved by hand to the homing pose, it reads a turn off still: the count goes on from where it came back.
    roll.pos += 197 * TICK;
    expect((await connectError(new DynamixelRobot(c, await link(emu), { dryRun: true })))?.diff[0]).toMatch(/^joint wrist_roll \(id 5\) reads 6\.2832 rad/);
    // Powered up there, inside its range: it reads 0.
    emu.powerCycle();
    const after = new DynamixelRobot(c, await link(emu), { dryRun: true });
    await after.connect();
    expect(after.observe().jointPosition[4]).toBeCloseTo(0, 6);
    await after.close();
  });

  it('SO-101 follower: wrist_roll turned past where its present position wraps (0/4095) reads a turn off and is refused; one just past its limit is accepted', async () => {
    const emu = new FeetechEmulator({ servos: defaultStsServos(6) });
    await lerobotCalibrateFeetech(emu, SO101_FOLLOWER);
    const c = importLerobotCalibration(so101('follower'), readLerobotCalibration(SO_F), { narrowLimits: true }).loaded.config as FeetechRobotConfig;
    const roll = emu.servo(5)!; // Homing Offset 1824: present = encoder − 1824, wrapped to 0..4095
    const at = (present: number) => (roll.pos = (present + 1824) * TICK);
    at(2047 + 1820 + 20); // 3.0 rad: 0.04 rad past its 2.79253 limit, within the margin
    expect(await connectError(new FeetechRobot(c, await link(emu), { dryRun: true }))).toBeUndefined();
    at(4096 + 50); // 154 ticks on: past 4095, reads 50
    const e = await connectError(new FeetechRobot(c, await link(emu), { dryRun: true }));
    expect(e).toBeInstanceOf(StartPoseError);
    expect(e!.diff).toEqual([
      `joint wrist_roll (id 5) reads ${((50 - 2048) * TICK + TICK).toFixed(4)} rad, ${(-2.79253 - ((50 - 2048) * TICK + TICK)).toFixed(3)} rad below its limits [-2.79253, 2.79253] rad: it is out there, or it is past 0/4095 where the present position wraps, and so reads a turn off. Move the joint back by hand within its range`,
    ]);
    expect(START_POSE_MARGIN_RAD).toBe(0.1);
  });
});
