/**
 * What importing a LeRobot calibration checks beyond the file's form (hardware/robots/
 * lerobotCalibration.ts): a config imported before (direction against drive_mode), the one turn a
 * Dynamixel reads after a power-up, LeRobot's full-turn marker, the arm the file's path names,
 * Position Control Mode's homing-offset range, and a path that is not a file.
 */
import { describe, expect, it } from 'vitest';
import { dirname } from 'node:path';
import { importLerobotCalibration, readLerobotCalibration, LerobotArmError, LerobotCalibrationError, LerobotRangeError, lerobotArmOfPath } from '../../hardware/robots/lerobotCalibration.ts';
import type { LoadedConfig } from '../../hardware/robots/openRobot.ts';
import type { DynamixelRobotConfig } from '../../hardware/robots/config.ts';
import { KOCH_F, KOCH_L, SO_F, SO_L, TICK, importError, koch, so101, variant } from './helpers/lerobotFiles.ts';

const elbow = (l: LoadedConfig) => (l.config as DynamixelRobotConfig).joints[2];

describe('LeRobot import: a config imported before', () => {
  it('importing the Koch leader\'s file twice gives the same config (elbow_flex direction 1 at drive_mode 1), and a file with drive_mode 0 then gives the factory direction back', () => {
    const cal = readLerobotCalibration(KOCH_L);
    const once = importLerobotCalibration(koch('leader'), cal, { narrowLimits: true });
    expect(elbow(once.loaded)).toMatchObject({ name: 'elbow_flex', direction: 1, drive_mode: 1, offset: TICK });
    const twice = importLerobotCalibration(once.loaded, cal, { narrowLimits: true });
    expect(twice.loaded.config).toEqual(once.loaded.config);
    expect(twice.notes).toContain('elbow_flex: drive_mode 1 (the servo counts in reverse): direction 1 (-1 at Drive Mode 0), as koch-leader had it');
    // The arm calibrated again without reversing the elbow: the servo counts as from the factory, where koch-leader.json has -1.
    const normal = variant(KOCH_L, (d) => { d.elbow_flex.drive_mode = 0; }, undefined, 'teleoperators/koch_leader/my_koch_leader.json');
    const back = importLerobotCalibration(once.loaded, readLerobotCalibration(normal), { narrowLimits: true });
    expect(elbow(back.loaded)).toMatchObject({ direction: -1, drive_mode: 0, offset: -TICK });
    expect(back.notes).toContain('elbow_flex: drive_mode 0 where koch-leader had 1 (reversed): direction back to -1, the servo\'s factory count');
    // ... which is what the shipped config gets from that file directly.
    expect(elbow(importLerobotCalibration(koch('leader'), readLerobotCalibration(normal), { narrowLimits: true }).loaded)).toEqual(elbow(back.loaded));
  });
});

describe('LeRobot import: the turn a Dynamixel reads after a power-up', () => {
  it('the Koch fixtures are refused where a joint\'s limits leave ticks h..h+4095 (follower shoulder_pan by 4 ticks, wrist_roll from 1897; leader wrist_roll up to 2642), naming joint and ticks', () => {
    const f = importError(koch('follower'), KOCH_F);
    expect(f).toBeInstanceOf(LerobotRangeError);
    expect(f.diff).toEqual([
      'joint shoulder_pan (id 1): config limits [-1.5708, 1.5708] rad (ticks 1023..3071) leave ticks -1028..3067, the one turn this servo reads after a power-up (Homing_Offset -1028 + its single-turn position: the turn count is lost), [-4.717, 1.5647] rad: 0.006 rad short at the upper end; there it would read a turn off',
      'joint wrist_roll (id 5): config limits [-2.618, 2.618] rad (ticks 340..3754) leave ticks 1897..5992, the one turn this servo reads after a power-up (Homing_Offset 1897 + its single-turn position: the turn count is lost), [-0.2301, 6.0516] rad: 2.388 rad short at the lower end; there it would read a turn off',
    ]);
    expect(f.expected).toContain('inside the turn it reads after a power-up');
    const l = importError(koch('leader'), KOCH_L);
    expect(l.diff).toEqual([
      'joint wrist_roll (id 5): config limits [-2.618, 2.618] rad (ticks 340..3754) leave ticks -1453..2642, the one turn this servo reads after a power-up (Homing_Offset -1453 + its single-turn position: the turn count is lost), [-5.3689, 0.9127] rad: 1.705 rad short at the upper end; there it would read a turn off',
    ]);
  });

  it('--narrow-limits narrows to that turn and says so; a full-turn range that leaves it is noted; a reversed servo\'s turn starts one tick later', () => {
    const imp = importLerobotCalibration(koch('follower'), readLerobotCalibration(KOCH_F), { narrowLimits: true });
    const pan = imp.joints[0], roll = imp.joints[4];
    expect(pan).toMatchObject({ lower: -1.5708, upper: 1.56466, narrowed: [0, 0.0061], turn_ticks: [-1028, 3067], turn_rad: [-4.717, 1.5647] });
    expect(pan.upper).toBeCloseTo((3067 - 2047) * TICK, 5);
    expect(roll).toMatchObject({ lower: -0.230097, upper: 2.618, narrowed: [2.3879, 0], turn_ticks: [1897, 5992] });
    expect(imp.notes).toContain('wrist_roll: limits narrowed to the turn the servo reads after a power-up: [-0.230097, 2.618] rad (2.388 rad short at the lower end)');
    expect(imp.notes).toContain('wrist_roll: LeRobot\'s range 0..4095 reaches past ticks 1897..5992, the turn the servo reads after a power-up: powered up with the joint out there, it reads a turn off (axon\'s connect then refuses it: with the joint inside its range, power the servos off and on)');
    expect(imp.joints[1]).toMatchObject({ name: 'shoulder_lift', lower: -1.2, upper: 1.2, turn_ticks: [1047, 5142] }); // range 1203..2958 inside it: no note, kept
    expect(imp.notes.filter((n) => n.startsWith('shoulder_lift'))).toEqual([]);
    const leader = importLerobotCalibration(koch('leader'), readLerobotCalibration(KOCH_L), { narrowLimits: true });
    expect(leader.joints[2]).toMatchObject({ name: 'elbow_flex', drive_mode: 1, turn_ticks: [52, 4146] }); // h = 51, reversed: 51 + 1
    // Narrowing stops at the default position, naming both bounds.
    const base = koch('follower').config as DynamixelRobotConfig;
    const moved: LoadedConfig = { protocol: 'dynamixel', config: { ...base, joints: base.joints.map((j) => (j.name === 'wrist_roll' ? { ...j, default_position: -0.5 } : j)) } };
    expect(importError(moved, KOCH_F, { narrowLimits: true }).diff).toEqual([
      'joint wrist_roll (id 5): default_position -0.5 rad is outside the turn the servo reads after a power-up [-0.2301, 6.0516] rad, so the limits cannot be narrowed to it: set a default_position inside it',
    ]);
  });
});

describe('LeRobot import: what the file says', () => {
  it('a range over 3996 ticks other than LeRobot\'s full-turn 0..4095 is refused (the sweep crossed 0/4095); 0..4095 bounds nothing', () => {
    const e = importError(so101('follower'), variant(SO_F, (d) => { d.shoulder_pan.range_min = 10; d.shoulder_pan.range_max = 4090; }), { narrowLimits: true });
    expect(e).toBeInstanceOf(LerobotCalibrationError);
    expect(e.where).toMatch(/arm\.json#\/shoulder_pan\/range_min$/);
    expect(e.message).toContain('range 10..4090 spans 4080 ticks, nearly the whole turn but not LeRobot\'s full-turn 0..4095');
    expect(e.expected).toContain('at most 3996 ticks');
    const ok = importLerobotCalibration(so101('follower'), readLerobotCalibration(variant(SO_F, (d) => { d.shoulder_pan.range_min = 100; d.shoulder_pan.range_max = 4096 - 4; })), { narrowLimits: true });
    expect(ok.joints[0]).toMatchObject({ full_turn: false, range_ticks: [100, 4092] }); // 3992 ticks: a sweep
    expect(ok.joints[4]).toMatchObject({ name: 'wrist_roll', full_turn: true, lower: -2.79253, upper: 2.79253 });
  });

  it('a file in LeRobot\'s folders for another arm is refused naming both (an SO-101\'s for a Koch, a leader\'s for a follower); elsewhere the output says the arm could not be checked', () => {
    const so = importError(koch('follower'), SO_F);
    expect(so).toBeInstanceOf(LerobotArmError);
    expect(so.code).toBe('LEROBOT_ARM');
    expect(so.where).toBe(SO_F);
    expect(so.detail).toBe('LeRobot\'s calibration of a so101_follower (its path: robots/so101_follower/), not of the arm koch-follower describes: a so101_follower has Feetech servos, koch-follower Dynamixel ones');
    expect(importError(so101('leader'), KOCH_L).detail).toBe('LeRobot\'s calibration of a koch_leader (its path: teleoperators/koch_leader/), not of the arm so101-leader describes: a koch_leader has Dynamixel servos, so101-leader Feetech ones');
    const role = importError(so101('follower'), SO_L);
    expect(role.message).toContain('teleoperators/ holds a leader arm\'s calibration, so101-follower is a follower');
    expect(role.expected).toBe('the file of this arm: calibration/robots/<so100_follower or so101_follower>/<id>.json, or the config of the so101_leader');
    expect(importError(koch('leader'), KOCH_F).message).toContain('robots/ holds a follower arm\'s calibration, koch-leader is a leader');
    // SO-100 and the merged so_follower are Feetech too.
    expect(lerobotArmOfPath('/home/u/.cache/huggingface/lerobot/calibration/robots/so100_follower/arm.json')).toEqual({ type: 'so100_follower', role: 'follower', protocol: 'feetech' });
    expect(lerobotArmOfPath('calibration/teleoperators/so_leader/a.json')).toEqual({ type: 'so_leader', role: 'leader', protocol: 'feetech' });
    // Out of the layout: imported, with a note.
    const copy = variant(SO_L, () => {});
    const out = importLerobotCalibration(so101('follower'), readLerobotCalibration(copy), { narrowLimits: true });
    expect(out.notes[0]).toBe(`${copy} is not where lerobot-calibrate writes (calibration/robots/<type>/<id>.json or teleoperators/<type>/<id>.json), so which arm it is for (Koch or SO-100/SO-101, leader or follower) could not be checked against so101-follower: the servo ids and names match any of them`);
    // A type axon does not know: only the role is checked.
    const other = importLerobotCalibration(so101('follower'), readLerobotCalibration(variant(SO_F, () => {}, undefined, 'robots/my_arm/a.json')), { narrowLimits: true });
    expect(other.notes[0]).toBe('LeRobot type my_arm (from the path) is not one axon knows the servos of (so100/so101: Feetech, koch: Dynamixel): only that it is a follower was checked');
    expect(importLerobotCalibration(so101('follower'), readLerobotCalibration(SO_F), { narrowLimits: true }).notes.some((n) => n.includes('could not be checked') || n.includes('LeRobot type'))).toBe(false);
  });

  it('a homing offset past ±1024 is refused for a Dynamixel joint in position mode (the servo ignores it there), accepted in extended position', () => {
    const base = koch('follower').config as DynamixelRobotConfig;
    const inPosition = (name: string): LoadedConfig => ({ protocol: 'dynamixel', config: { ...base, joints: base.joints.map((j) => (j.name === name ? { ...j, operating_mode: 'position' as const } : j)) } });
    const e = importError(inPosition('shoulder_lift'), KOCH_F, { narrowLimits: true }); // homing_offset 1047
    expect(e).toBeInstanceOf(LerobotCalibrationError);
    expect(e.where).toBe(`${KOCH_F}#/shoulder_lift/homing_offset`);
    expect(e.message).toContain('homing_offset 1047 is outside -1024..1024, which a Dynamixel in Position Control Mode ignores (e-Manual, Homing Offset), and koch-follower has joint shoulder_lift in position mode');
    expect(importLerobotCalibration(inPosition('elbow_flex'), readLerobotCalibration(KOCH_F), { narrowLimits: true }).joints[2]).toMatchObject({ homing_offset: -969, turn_ticks: [-969, 3126] });
  });

  it('a folder given as the file is named as one, not "not valid JSON: EISDIR"', () => {
    const e = importError(koch('follower'), dirname(KOCH_F));
    expect(e).toBeInstanceOf(LerobotCalibrationError);
    expect(e.detail).toBe('is a folder, not a calibration file');
    expect(e.expected).toMatch(/the <id>\.json file in that folder$/);
  });
});
