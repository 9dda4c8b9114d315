/**
 * LeRobot calibration files taken into axon configs (hardware/robots/lerobotCalibration.ts,
 * lerobotServos.ts): the fixtures are what LeRobot's calibrate() writes for the emulated arms
 * (helpers/lerobotProcedure.ts runs its steps over real bytes); after the import, the robot's own
 * connect accepts the arm as LeRobot left it and reads the angles derived in docs/feetech.md.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FeetechEmulator, defaultStsServos } from '../../hardware/emulator/FeetechEmulator.ts';
import { DynamixelEmulator } from '../../hardware/emulator/DynamixelEmulator.ts';
import { feetechServosAsLerobotLeft, dynamixelServosAsLerobotLeft } from '../../hardware/emulator/lerobotArm.ts';
import { FeetechRobot } from '../../hardware/robots/FeetechRobot.ts';
import { DynamixelRobot } from '../../hardware/robots/DynamixelRobot.ts';
import { loadAnyRobotConfig, feetechServosOf, type LoadedConfig } from '../../hardware/robots/openRobot.ts';
import { importLerobotCalibration, readLerobotCalibration, LerobotCalibrationError, LerobotRangeError } from '../../hardware/robots/lerobotCalibration.ts';
import { lerobotServoDiff } from '../../hardware/robots/lerobotServos.ts';
import type { FeetechRobotConfig } from '../../hardware/robots/feetechConfig.ts';
import type { DynamixelRobotConfig } from '../../hardware/robots/config.ts';
import { createCommand } from '../../src/core/robot.ts';
import { socketTransport } from '../../src/cli/commands/hwServo.ts';
import { CLI } from './helpers/spawnCli.ts';
import { writeSo101PoseModel } from './helpers/so101Model.ts';
import { KOCH_FOLLOWER, KOCH_LEADER, SO101_FOLLOWER, SO101_LEADER, lerobotCalibrateDynamixel, lerobotCalibrateFeetech } from './helpers/lerobotProcedure.ts';
import { KOCH_F, KOCH_L, SO_F, SO_L, TICK, importError, koch, link, so101, variant } from './helpers/lerobotFiles.ts';

const kochServos = (arm: 'follower' | 'leader') => (koch(arm).config as DynamixelRobotConfig).joints.map((j) => ({ id: j.id, model: j.model }));

describe('LeRobot calibration files', () => {
  it('the fixtures are what LeRobot\'s calibrate() writes for the emulated arms, byte for byte (draccus layout: indent 4, LeRobot\'s motor and key order)', async () => {
    const runs: [string, () => Promise<unknown>][] = [
      [SO_F, () => lerobotCalibrateFeetech(new FeetechEmulator({ servos: defaultStsServos(6) }), SO101_FOLLOWER)],
      [SO_L, () => lerobotCalibrateFeetech(new FeetechEmulator({ servos: defaultStsServos(6) }), SO101_LEADER)],
      [KOCH_F, () => lerobotCalibrateDynamixel(new DynamixelEmulator({ servos: kochServos('follower') }), KOCH_FOLLOWER)],
      [KOCH_L, () => lerobotCalibrateDynamixel(new DynamixelEmulator({ servos: kochServos('leader') }), KOCH_LEADER)],
    ];
    for (const [file, run] of runs) expect(JSON.stringify(await run(), null, 4), file).toBe(readFileSync(file, 'utf8'));
    // The awkward parts real files have: negative offsets (sign-magnitude bit 11 on the STS), a full turn, a reversed Dynamixel.
    const f = readLerobotCalibration(SO_F).motors;
    expect(f.map((m) => m.homing_offset)).toEqual([-1287, 483, -197, 1193, 1824, -817]);
    expect(f[4]).toMatchObject({ name: 'wrist_roll', range_min: 0, range_max: 4095 });
    expect(readLerobotCalibration(KOCH_L).motors[2]).toMatchObject({ name: 'elbow_flex', drive_mode: 1, homing_offset: 51 });
  });

  it('SO-101 follower: imported with narrowed limits, axon run\'s connect accepts the arm LeRobot left; the calibration pose reads 0 and LeRobot\'s mid-range the derived angle', async () => {
    const emu = new FeetechEmulator({ servos: defaultStsServos(6) });
    await lerobotCalibrateFeetech(emu, SO101_FOLLOWER); // the arm as LeRobot leaves it, back at its homing pose
    const old = so101('follower');
    const cal = readLerobotCalibration(SO_F);
    const imp = importLerobotCalibration(old, cal, { narrowLimits: true });
    const c = imp.loaded.config as FeetechRobotConfig;
    expect(c.joints.map((j) => j.homing_offset)).toEqual([-1287, 483, -197, 1193, 1824, -817]);
    expect(c.joints.map((j) => j.direction)).toEqual([1, 1, 1, 1, 1, 1]);
    for (const j of c.joints) expect(j.offset).toBe(TICK); // present 2047 reads 0: offset = the angle at 2048
    expect(c.joints[2]).toMatchObject({ name: 'elbow_flex', lower: -1.69, upper: 1.570796, range_ticks: [823, 3071] }); // 3071 = 2047 + 1024: π/2, down from 1.69
    expect(c.joints[5]).toMatchObject({ name: 'gripper', lower: -0.067495, upper: 1.74533 }); // 2003 = 2047 − 44 ticks
    expect(c.joints[4]).toMatchObject({ name: 'wrist_roll', lower: -2.79253, upper: 2.79253 }); // a full turn bounds nothing
    expect(imp.joints[2].narrowed).toEqual([0, 0.1192]);
    expect(imp.notes.some((n) => n.startsWith('wrist_roll: LeRobot\'s range 0..4095 bounds nothing (calibrated as a full turn)'))).toBe(true);

    const robot = new FeetechRobot(c, await link(emu), { dryRun: true });
    await robot.connect();
    const home = robot.observe().jointPosition;
    for (let i = 0; i < 6; i++) expect(home[i]).toBeCloseTo(0, 6);
    // The elbow at LeRobot's mid-range (823 + 3071) / 2 = 1947: (1947 − 2047) ticks = -0.1534 rad, where LeRobot reads 0.
    const elbow = emu.servo(3)!;
    elbow.pos = (1947 - 197) * TICK; // encoder = present + offset
    robot.command(createCommand(robot.spec, 'position')); // dry run: only a bus cycle, the read
    await robot.settle();
    expect(robot.observe().jointPosition[2]).toBeCloseTo(-100 * TICK, 6);
    expect(imp.joints[2].lerobot_zero_rad).toBeCloseTo(-100 * TICK, 4);
    await robot.close();

    // What a user has today: the shipped config (offsets 0) is refused by the same connect.
    const stale = new FeetechRobot(old.config as FeetechRobotConfig, await link(emu), { dryRun: true });
    await expect(stale.connect()).rejects.toMatchObject({ code: 'HW_MISMATCH', diff: expect.arrayContaining([expect.stringMatching(/shoulder_pan \(id 1\): homing offset -1287 ticks on the servo, 0 in the config/)]) });
  });

  it('without narrowing, joint limits beyond LeRobot\'s range are refused per joint, saying by how much', () => {
    const e = importError(so101('follower'), SO_F);
    expect(e).toBeInstanceOf(LerobotRangeError);
    expect(e.code).toBe('LEROBOT_RANGE');
    expect(e.diff).toEqual([
      'joint elbow_flex (id 3): config limits [-1.69, 1.69] rad (ticks 945..3149), LeRobot range [-1.8776, 1.5708] rad (ticks 823..3071): 0.119 rad short at the upper end',
      'joint gripper (id 6): config limits [-0.174533, 1.74533] rad (ticks 1933..3185), LeRobot range [-0.0675, 2.2918] rad (ticks 2003..3541): 0.107 rad short at the lower end',
    ]);
    expect(e.message).toContain('--narrow-limits');
    // A file that covers the limits (the leader's) goes in as it is.
    const leader = importLerobotCalibration(so101('leader'), readLerobotCalibration(SO_L));
    expect(leader.joints.every((j) => j.narrowed === undefined)).toBe(true);
    expect((leader.loaded.config as FeetechRobotConfig).joints.map((j) => j.homing_offset)).toEqual([853, -947, 963, 175, -1407, 23]);
  });

  it('SO-101 leader: the imported config reads the arm as LeRobot left it (a read-only leader connect), and the emulated arm of --port emu:// is that arm', async () => {
    const emu = new FeetechEmulator({ servos: defaultStsServos(6) });
    await lerobotCalibrateFeetech(emu, SO101_LEADER);
    const cal = readLerobotCalibration(SO_L);
    const c = importLerobotCalibration(so101('leader'), cal).loaded.config as FeetechRobotConfig;
    expect(await lerobotServoDiff({ protocol: 'feetech', config: c }, cal, await link(emu))).toEqual([]);
    const asLeft = new FeetechEmulator({ servos: feetechServosAsLerobotLeft(c, cal) });
    expect(await lerobotServoDiff({ protocol: 'feetech', config: c }, cal, await link(asLeft))).toEqual([]);
    for (const e of [emu, asLeft]) {
      const robot = new FeetechRobot(c, await link(e));
      await robot.connect();
      for (const x of robot.observe().jointPosition) expect(x).toBeCloseTo(0, 6);
      await robot.close();
    }
    // axon run --port emu:// with the imported config: its servos carry the same offsets.
    expect(feetechServosOf(c).map((s) => s.table?.homing_offset)).toEqual(cal.motors.map((m) => m.homing_offset));
  });

  it('the servos are compared with the file before anything is written: the other arm\'s file, or a factory arm, gives a per-motor diff', async () => {
    const emu = new FeetechEmulator({ servos: defaultStsServos(6) });
    await lerobotCalibrateFeetech(emu, SO101_FOLLOWER);
    const leaderFile = readLerobotCalibration(variant(SO_L, () => {})); // a copy out of LeRobot's folders, same names and ids: only the servos tell
    const c = importLerobotCalibration(so101('follower'), leaderFile).loaded;
    const diff = await lerobotServoDiff(c, leaderFile, await link(emu));
    expect(diff).toHaveLength(11); // every offset, and every range but wrist_roll's full turn
    expect(diff[0]).toBe('joint shoulder_pan (id 1): Homing_Offset -1287 on the servo, 853 in the file');
    expect(diff[1]).toBe('joint shoulder_pan (id 1): Min/Max_Position_Limit 780..3321 on the servo, 700..3400 in the file');
    const factory = await lerobotServoDiff(c, leaderFile, await link(new FeetechEmulator({ servos: defaultStsServos(5) })));
    expect(factory).toContain('joint wrist_roll (id 5): Homing_Offset 0 on the servo, -1407 in the file');
    expect(factory).toContain('joint gripper: servo id 6 did not answer a ping at 1000000 bit/s (nothing arrived at all: check power, the id and the baud rate)');
  });

  it('Koch follower and leader (drive_mode 1 on the leader\'s elbow), limits narrowed to the turn each servo reads after a power-up: the Dynamixel connect accepts both, the homing pose reads 0, and the reversed elbow keeps the leader\'s direction of motion', async () => {
    const fEmu = new DynamixelEmulator({ servos: kochServos('follower') });
    const lEmu = new DynamixelEmulator({ servos: kochServos('leader') });
    await lerobotCalibrateDynamixel(fEmu, KOCH_FOLLOWER);
    await lerobotCalibrateDynamixel(lEmu, KOCH_LEADER);
    const fImp = importLerobotCalibration(koch('follower'), readLerobotCalibration(KOCH_F), { narrowLimits: true });
    const lCal = readLerobotCalibration(KOCH_L);
    const lImp = importLerobotCalibration(koch('leader'), lCal, { narrowLimits: true });
    const fc = fImp.loaded.config as DynamixelRobotConfig, lc = lImp.loaded.config as DynamixelRobotConfig;
    expect(lc.joints.map((j) => j.direction)).toEqual([1, 1, 1, 1, 1, 1]); // elbow_flex: -1 at Drive Mode 0, 1 once reversed
    expect(lc.joints[2]).toMatchObject({ drive_mode: 1, homing_offset: 51, offset: TICK, range_ticks: [1100, 3000] });
    expect(fc.joints.map((j) => [j.homing_offset, j.drive_mode])).toEqual([[-1028, 0], [1047, 0], [-969, 0], [-263, 0], [1897, 0], [-803, 0]]);
    expect(lImp.notes).toContain('elbow_flex: drive_mode 1 (the servo counts in reverse): direction 1 (-1 at Drive Mode 0); koch-leader had -1 at Drive Mode 0');
    // Narrowed to the turn each reads after a power-up (lerobotImportChecks.test.ts has the refusal): the follower's
    // shoulder_pan 3067 = -1028 + 4095 and wrist_roll 1897 (-150 ticks), the leader's wrist_roll 2642 = -1453 + 4095.
    expect(fc.joints.map((j) => [j.lower, j.upper])).toEqual([[-1.5708, 1.56466], [-1.2, 1.2], [-1.2, 1.2], [-1.2, 1.2], [-0.230097, 2.618], [-0.6, 0.6]]);
    expect(lc.joints[4]).toMatchObject({ name: 'wrist_roll', lower: -2.618, upper: 0.912718 });
    expect(await lerobotServoDiff(lImp.loaded, lCal, await link(lEmu))).toEqual([]);

    const follower = new DynamixelRobot(fc, await link(fEmu), { dryRun: true }); // the gripper's Position Limits are checked (current-based position)
    const leader = new DynamixelRobot(lc, await link(lEmu));
    await follower.connect();
    await leader.connect();
    for (const x of [...follower.observe().jointPosition, ...leader.observe().jointPosition]) expect(x).toBeCloseTo(0, 6);
    expect(follower.eventLog.find((e) => e.kind === 'connected')!.reason).not.toContain('set on the servos'); // the offsets are the config's own now
    // The leader's elbow turned the way that, with the servo at Drive Mode 0, koch-leader.json (direction -1) reads as +100 ticks:
    const before = leader.observe().jointPosition[2];
    lEmu.servo(3).pos -= 100 * TICK;
    leader.command(createCommand(leader.spec, 'position')); // read only: the read
    await leader.settle();
    expect(leader.observe().jointPosition[2] - before).toBeCloseTo(100 * TICK, 5);
    await follower.close();
    await leader.close();

    // A servo that no longer carries what the config says is refused at connect.
    lEmu.servo(3).mem[10] = 0;
    const again = new DynamixelRobot(lc, await link(lEmu));
    await expect(again.connect()).rejects.toMatchObject({ code: 'HW_MISMATCH', diff: ['joint elbow_flex (id 3): drive mode 0 (normal) on the servo, 1 in the config'] });
    // And the emulated arm for --port emu:// of the imported config is the arm LeRobot left.
    const asLeft = new DynamixelEmulator({ servos: dynamixelServosAsLerobotLeft(koch('leader').config as DynamixelRobotConfig, lCal) });
    expect(await lerobotServoDiff(lImp.loaded, lCal, await link(asLeft))).toEqual([]);
  });

  it('motors are matched by name, whatever order the config lists its joints in', () => {
    const base = so101('leader').config as FeetechRobotConfig;
    const reordered: LoadedConfig = { protocol: 'feetech', config: { ...base, joints: [...base.joints].reverse() } };
    const c = importLerobotCalibration(reordered, readLerobotCalibration(SO_L)).loaded.config as FeetechRobotConfig;
    expect(c.joints.map((j) => [j.name, j.homing_offset])).toEqual([['gripper', 23], ['wrist_roll', -1407], ['wrist_flex', 175], ['elbow_flex', 963], ['shoulder_lift', -947], ['shoulder_pan', 853]]);
  });

  it.each([
    ['a motor the config lacks and a joint the file lacks', (d: any) => { d.wrist_yaw = d.wrist_roll; delete d.wrist_roll; }, 'LEROBOT_CALIBRATION', /arm\.json$/, /motor wrist_yaw in the file is not a joint of so101-follower; joint wrist_roll of so101-follower is not in the file/],
    ['an id that is not the config\'s', (d: any) => { d.elbow_flex.id = 7; }, 'LEROBOT_CALIBRATION', /#\/elbow_flex\/id$/, /motor elbow_flex is id 7 in the file, 3 in so101-follower/],
    ['range_min not below range_max', (d: any) => { d.gripper.range_min = 3541; }, 'LEROBOT_CALIBRATION', /#\/gripper\/range_min$/, /range_min 3541 is not below range_max 3541/],
    ['a range past 4095', (d: any) => { d.wrist_flex.range_max = 4096; }, 'LEROBOT_CALIBRATION', /#\/wrist_flex\/range_max$/, /range_max 4096 is outside the servo's 0\.\.4095 ticks/],
    ['a homing offset the STS cannot hold', (d: any) => { d.shoulder_pan.homing_offset = 2048; }, 'LEROBOT_CALIBRATION', /#\/shoulder_pan\/homing_offset$/, /does not fit a Feetech Homing_Offset/],
    ['drive_mode 1 on a Feetech servo', (d: any) => { d.wrist_flex.drive_mode = 1; }, 'LEROBOT_CALIBRATION', /#\/wrist_flex\/drive_mode$/, /LeRobot's own calibration never writes for a Feetech servo/],
    ['a string where LeRobot writes an integer', (d: any) => { d.elbow_flex.homing_offset = '-197'; }, 'LEROBOT_CALIBRATION', /#\/elbow_flex\/homing_offset$/, /homing_offset is "-197"/],
    ['a field MotorCalibration does not have', (d: any) => { d.gripper.norm_mode = 'range_0_100'; }, 'LEROBOT_CALIBRATION', /#\/gripper\/norm_mode$/, /unknown field "norm_mode"/],
    ['a range that does not contain the homing pose', (d: any) => { d.elbow_flex.range_min = 2100; }, 'LEROBOT_CALIBRATION', /#\/elbow_flex\/range_min$/, /does not contain 2047/],
  ])('refuses %s, naming the motor and field', (_what, edit, code, where, message) => {
    const e = importError(so101('follower'), variant(SO_F, edit), { narrowLimits: true });
    expect(e).toBeInstanceOf(LerobotCalibrationError);
    expect(e.code).toBe(code);
    expect(e.where).toMatch(where);
    expect(e.message).toMatch(message);
  });

  it('refuses a Dynamixel drive mode LeRobot does not write, the pre-2025 file format, and a file that is not JSON', () => {
    const bad = importError(koch('leader'), variant(KOCH_L, (d) => { d.elbow_flex.drive_mode = 5; }));
    expect(bad.where).toMatch(/#\/elbow_flex\/drive_mode$/);
    expect(bad.message).toContain('drive_mode 5 is not a Drive Mode');
    const legacy = importError(koch('follower'), variant(KOCH_F, () => {}, JSON.stringify({ homing_offset: [0, 0], drive_mode: [0, 0], start_pos: [0, 0], end_pos: [0, 0], calib_mode: ['DEGREE', 'LINEAR'], motor_names: ['shoulder_pan', 'gripper'] })));
    expect(legacy.message).toContain('format of LeRobot before src/lerobot/motors');
    const broken = importError(koch('follower'), variant(KOCH_F, () => {}, '{"shoulder_pan": {"id": 1,'));
    expect(broken.message).toMatch(/not valid JSON/);
    expect(importError(koch('follower'), '/nonexistent/lerobot.json').message).toContain('no such file');
  });

  it('narrowing stops at the default position: a range that excludes it is refused, naming the joint', () => {
    const base = so101('follower').config as FeetechRobotConfig;
    const moved: LoadedConfig = { protocol: 'feetech', config: { ...base, joints: base.joints.map((j) => (j.name === 'gripper' ? { ...j, default_position: -0.1 } : j)) } };
    const e = importError(moved, SO_F, { narrowLimits: true });
    expect(e.diff).toEqual(['joint gripper (id 6): default_position -0.1 rad is outside LeRobot\'s range [-0.0675, 2.2918] rad, so the limits cannot be narrowed to it: set a default_position inside it']);
  });
});

describe('CLI: axon hw calibrate --from-lerobot', () => {
  /** The CLI in a child process, awaited (the test's own event loop stays free to serve an emulator). */
  const axon = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [...CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '', stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      const kill = setTimeout(() => p.kill('SIGKILL'), 90_000);
      p.on('close', (code) => {
        clearTimeout(kill);
        resolve({ code, stdout, stderr });
      });
    });
  const last = (s: string) => JSON.parse(s.trim().split('\n').at(-1)!);

  it('SO-101 follower on emu://: refused with the per-joint diff and nothing written; with --narrow-limits written atomically, and axon run then drives the arm LeRobot left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-lerobot-cli-'));
    const out = join(dir, 'so101.json');
    const cfg = ['hw', 'calibrate', '--config', 'hardware/robots/so101-follower.json', '--from-lerobot', SO_F, '--port', 'emu://', '--out', out];
    const refused = await axon(...cfg);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('[LEROBOT_RANGE]');
    expect(refused.stderr).toContain('joint elbow_flex (id 3): config limits [-1.69, 1.69] rad (ticks 945..3149), LeRobot range [-1.8776, 1.5708] rad (ticks 823..3071): 0.119 rad short at the upper end');
    expect(readdirSync(dir)).toEqual([]);
    const ok = await axon(...cfg, '--narrow-limits', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('the servos on emu:// carry');
    const s = last(ok.stdout);
    expect(s).toMatchObject({ command: 'hw calibrate', from_lerobot: SO_F, out, servos_checked: true });
    expect(s.joints[2]).toMatchObject({ name: 'elbow_flex', homing_offset: -197, range_ticks: [823, 3071], lower: -1.69, upper: 1.570796, narrowed: [0, 0.1192] });
    expect(readdirSync(dir)).toEqual(['so101.json']); // renamed from its temp file, none left
    const written = loadAnyRobotConfig(out).config as FeetechRobotConfig;
    expect(written.joints.map((j) => j.homing_offset)).toEqual([-1287, 483, -197, 1193, 1824, -817]);
    const target = [0.3, -0.2, 0.5, 0, 0.4, 0.6];
    // Written to another folder, its "urdf" names the SO-101's URDF from there: the run records the robot's drawing.
    expect(resolve(dir, written.urdf!)).toBe(resolve('hardware/robots/so101.urdf'));
    const run = await axon('run', '--config', out, '--policy', writeSo101PoseModel(target), '--port', 'emu://', '--duration', '2', '--record', join(dir, 'run.mcap'), '--json');
    expect(run.code, run.stderr).toBe(0);
    const r = last(run.stdout);
    expect(r).toMatchObject({ command: 'run', robot: 'so101-follower', ended_by: 'duration' });
    expect(statSync(join(dir, 'run.mcap')).size).toBeGreaterThan(0);
    Object.values(r.final_position).forEach((x, i) => expect(x as number).toBeCloseTo(target[i], 1));
  }, 200_000);

  it('the wrong arm\'s file (the leader\'s, for the follower on tcp://) is refused by its LeRobot path, and a copy of it by the servos with a per-motor diff, nothing written; a bad file exits 2 naming the field', async () => {
    const follower = so101('follower').config as FeetechRobotConfig;
    const emu = new FeetechEmulator({ servos: feetechServosAsLerobotLeft(follower, readLerobotCalibration(SO_F)) });
    const server = createServer((sock) => {
      sock.setNoDelay(true);
      emu.attach(socketTransport(sock, 1_000_000), 1_000_000);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = `tcp://127.0.0.1:${(server.address() as { port: number }).port}`;
    const dir = mkdtempSync(join(tmpdir(), 'axon-lerobot-cli-'));
    try {
      // From LeRobot's folders, the path says it is a leader's; copied elsewhere, only the servos can tell.
      const leaders = await axon('hw', 'calibrate', '--config', 'hardware/robots/so101-follower.json', '--from-lerobot', SO_L, '--port', port, '--out', join(dir, 'f.json'));
      expect(leaders.code).toBe(2);
      expect(leaders.stderr).toContain('[LEROBOT_ARM]');
      expect(leaders.stderr).toContain('teleoperators/ holds a leader arm\'s calibration, so101-follower is a follower');
      const wrong = await axon('hw', 'calibrate', '--config', 'hardware/robots/so101-follower.json', '--from-lerobot', variant(SO_L, () => {}), '--port', port, '--out', join(dir, 'f.json'));
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toContain('[LEROBOT_SERVOS]');
      expect(wrong.stderr).toContain('joint shoulder_pan (id 1): Homing_Offset -1287 on the servo, 853 in the file');
      expect(wrong.stderr).toContain('joint gripper (id 6): Min/Max_Position_Limit 2003..3541 on the servo, 1920..3250 in the file');
      expect(readdirSync(dir)).toEqual([]);
      const right = await axon('hw', 'calibrate', '--config', 'hardware/robots/so101-follower.json', '--from-lerobot', SO_F, '--narrow-limits', '--port', port, '--out', join(dir, 'f.json'));
      expect(right.code, right.stderr).toBe(0);
      expect(right.stdout).toContain(`the servos on ${port} carry`);
      expect(right.stdout).toMatch(/elbow_flex +id 3 +homing offset +-197 +range 823\.\.3071 ticks = \[-1\.8776, 1\.5708\] rad +direction 1/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    const bad = await axon('hw', 'calibrate', '--config', 'hardware/robots/so101-follower.json', '--from-lerobot', variant(SO_F, (d) => { d.elbow_flex.id = 7; }), '--out', join(dir, 'g.json'), '--record-s', '2');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--record-s: only applies with a calibration by hand, not --from-lerobot");
    const bad2 = await axon('hw', 'calibrate', '--config', 'hardware/robots/so101-follower.json', '--from-lerobot', variant(SO_F, (d) => { d.elbow_flex.id = 7; }), '--out', join(dir, 'g.json'));
    expect(bad2.code).toBe(2);
    expect(bad2.stderr).toMatch(/\[LEROBOT_CALIBRATION\]: .*arm\.json#\/elbow_flex\/id: servo ids differ: motor elbow_flex is id 7 in the file, 3 in so101-follower/);
    expect(readdirSync(dir)).toEqual(['f.json']);
  }, 200_000);

  it('Koch leader (drive_mode 1 on elbow_flex) and follower imported on emu:// with --narrow-limits, then axon teleop runs the pair as LeRobot left them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-lerobot-koch-'));
    const leader = join(dir, 'koch-leader.json'), follower = join(dir, 'koch-follower.json');
    const l = await axon('hw', 'calibrate', '--config', 'hardware/robots/koch-leader.json', '--from-lerobot', KOCH_L, '--port', 'emu://', '--out', leader, '--narrow-limits', '--json');
    expect(l.code, l.stderr).toBe(0);
    expect(last(l.stdout).notes).toContain('elbow_flex: drive_mode 1 (the servo counts in reverse): direction 1 (-1 at Drive Mode 0); koch-leader had -1 at Drive Mode 0');
    expect(l.stderr).toContain('homing offsets, position limits, drive modes');
    const f = await axon('hw', 'calibrate', '--config', 'hardware/robots/koch-follower.json', '--from-lerobot', KOCH_F, '--out', follower, '--narrow-limits', '--json');
    expect(f.code, f.stderr).toBe(0);
    expect(last(f.stdout).servos_checked).toBe(false);
    expect((loadAnyRobotConfig(leader).config as DynamixelRobotConfig).joints[2]).toMatchObject({ direction: 1, drive_mode: 1, homing_offset: 51 });
    const t = await axon('teleop', '--leader', leader, '--follower', follower, '--leader-port', 'emu://', '--follower-port', 'emu://', '--duration', '1', '--json');
    expect(t.code, t.stderr).toBe(0);
    expect(last(t.stdout)).toMatchObject({ command: 'teleop', leader: 'koch-leader', follower: 'koch-follower', ended_by: 'duration', faults: [] });
  }, 200_000);
});
