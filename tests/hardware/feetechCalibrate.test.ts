import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadAnyRobotConfig, feetechServosOf } from '../../hardware/robots/openRobot.ts';
import { FeetechRobot } from '../../hardware/robots/FeetechRobot.ts';
import { FeetechBus } from '../../hardware/feetech/FeetechBus.ts';
import { calibrateFeetech, saveCalibration } from '../../hardware/feetech/calibrate.ts';
import { FeetechEmulator } from '../../hardware/emulator/FeetechEmulator.ts';
import { scriptCalibration } from '../../hardware/emulator/scriptedOperator.ts';
import { memoryPair } from '../../hardware/transport/MemoryTransport.ts';
import type { FeetechRobotConfig } from '../../hardware/robots/feetechConfig.ts';
import { commitCalibration } from '../../src/cli/commands/hwCalibrate.ts';
import { relocatedConfig } from '../../src/cli/commands/hwFromLerobot.ts';
import { drawingModel } from '../../src/cli/preflight.ts';

const config = loadAnyRobotConfig('hardware/robots/so101-follower.json').config as FeetechRobotConfig;
const sleep = (s: number) => new Promise<void>((r) => setTimeout(r, s * 1000));

async function link(emu: FeetechEmulator) {
  const [host, dev] = memoryPair('cal');
  await dev.open();
  emu.attach(dev);
  return host;
}

describe('calibration of the SO-101 on the emulator (operator scripted)', () => {
  it('round trip: finds the horn offsets, saves them in EPROM (kept over a power cycle), and the robot then arms and reads the pose as 0', async () => {
    const emu = new FeetechEmulator({ servos: feetechServosOf(config) });
    const mount = [310, -420, 150, -95, 600, -240];
    const hands = scriptCalibration(emu, config, { sweepS: 1.2, mountTicks: mount });
    const bus = new FeetechBus(await link(emu));
    await bus.open();
    const result = await calibrateFeetech(bus, config, { waitForPose: async () => {}, recordUntil: () => (hands.startSweep(), sleep(1.5)) });
    expect(result.diff).toEqual([]);
    expect(result.joints.map((j) => j.homing_offset)).toEqual(mount);
    for (const j of result.joints) {
      expect(j.range_ticks[0]).toBeLessThanOrEqual(j.limit_ticks[0] + 13);
      expect(j.range_ticks[1]).toBeGreaterThanOrEqual(j.limit_ticks[1] - 13);
    }
    const next = await saveCalibration(bus, config, result);
    await bus.close();
    expect(next.joints.map((j) => j.homing_offset)).toEqual(mount);
    expect(next.joints[0].range_ticks).toEqual(result.joints[0].range_ticks);
    emu.powerCycle(); // what was saved survives
    expect(emu.servos.map((s) => s.get('homing_offset'))).toEqual(mount);
    expect(emu.servo(3).get('min_position_limit')).toBe(result.joints[2].limit_ticks[0]);
    for (const s of emu.servos) s.hand = undefined; // the operator lets go (the arm is at the pose)
    const robot = new FeetechRobot(next, await link(emu));
    await robot.connect();
    const o = robot.observe();
    for (let i = 0; i < 6; i++) expect(o.jointPosition[i]).toBeCloseTo(0, 2);
    await robot.close();
    // The uncalibrated config no longer matches the servos: refused with a diff naming the offsets.
    const stale = new FeetechRobot(config, await link(emu));
    await expect(stale.connect()).rejects.toMatchObject({ code: 'HW_MISMATCH', diff: expect.arrayContaining([expect.stringMatching(/shoulder_pan \(id 1\): homing offset 310 ticks on the servo, 0 in the config/)]) });
  });

  it('a joint that does not reach its config limit is refused with a diff, and the offsets are restored', async () => {
    const emu = new FeetechEmulator({ servos: feetechServosOf(config) });
    const hands = scriptCalibration(emu, config, { sweepS: 1.2, short: { elbow_flex: 0.3 } });
    const bus = new FeetechBus(await link(emu));
    await bus.open();
    const result = await calibrateFeetech(bus, config, { waitForPose: async () => {}, recordUntil: () => (hands.startSweep(), sleep(1.5)) });
    expect(result.diff).toHaveLength(1);
    expect(result.diff[0]).toMatch(/^joint elbow_flex \(id 3\): config limits \[-1.69, 1.69\] rad .* rad short at the upper end$/);
    expect(emu.servos.map((s) => s.get('homing_offset'))).toEqual([0, 0, 0, 0, 0, 0]);
    await expect(saveCalibration(bus, config, result)).rejects.toThrow(/not saved/);
    await bus.close();
  });

  it('CLI: hw calibrate --simulate-operator writes the config; short is refused with exit 2 and the file untouched', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-cal-'));
    // --port emu:// unless the case gives its own (a flag given twice is refused: src/cli/main.ts).
    const run = (...a: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'tests/hardware/helpers/cli.ts', 'hw', 'calibrate', '--config', 'hardware/robots/so101-follower.json', ...(a.includes('--port') ? [] : ['--port', 'emu://']), ...a], { encoding: 'utf8', timeout: 90_000 });
    const ok = run('--simulate-operator', 'full', '--record-s', '1.5', '--out', join(dir, 'cal.json'), '--json');
    expect(ok.status, ok.stderr).toBe(0);
    const s = JSON.parse(ok.stdout.trim().split('\n').at(-1)!);
    expect(s.joints.map((j: { homing_offset: number }) => j.homing_offset)).toEqual([310, -420, 150, -95, 600, -240]);
    const written = JSON.parse(readFileSync(join(dir, 'cal.json'), 'utf8'));
    expect(written.joints[4]).toMatchObject({ name: 'wrist_roll', homing_offset: 600 });
    // Written to another folder, the config still names the SO-101's URDF, relative to its new folder, as run and teleop read it.
    expect(written.urdf).not.toMatch(/^\//);
    expect(resolve(dir, written.urdf)).toBe(resolve('hardware/robots/so101.urdf'));
    expect(drawingModel(resolve(dir, written.urdf), config.joints.map((j) => j.name), 'cal.json#/urdf').joints.length).toBeGreaterThan(0);
    const bad = run('--simulate-operator', 'short', '--record-s', '1.5', '--out', join(dir, 'bad.json'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('HW_CALIBRATION');
    expect(bad.stderr).toContain('joint elbow_flex (id 3)');
    expect(existsSync(join(dir, 'bad.json'))).toBe(false);
    const real = run('--port', '/dev/ttyNOPE9', '--simulate-operator', 'full');
    expect(real.status).toBe(2);
    expect(real.stderr).toContain('--simulate-operator');
  }, 150_000);

  it('CLI: an --out that cannot be written (a folder, a missing folder) and bad --record-s / --pose-wait-s are refused at startup, before the servos are touched', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-cal-'));
    const run = (...a: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'tests/hardware/helpers/cli.ts', 'hw', 'calibrate', '--config', 'hardware/robots/so101-follower.json', '--port', 'emu://', '--simulate-operator', 'full', '--record-s', '1', ...a], { encoding: 'utf8', timeout: 90_000 });
    for (const [out, what] of [[dir, 'is a directory'], [join(dir, 'nosuch', 'x', 'cal.json'), 'does not exist']]) {
      const r = run('--out', out);
      expect(r.status, r.stderr).toBe(2); // was: the whole calibration, saved in the servos, then exit 1 on the file write
      expect(r.stderr).toMatch(new RegExp(`CLI_USAGE.*--out: .*${what}`));
      expect(r.stdout).not.toContain('torque off');
      expect(r.stdout).not.toContain('homing offsets set');
    }
    for (const [flag, v] of [['--record-s', '-1'], ['--record-s', 'abc'], ['--pose-wait-s', 'nan'], ['--pose-wait-s', '0']]) {
      const r = run('--out', join(dir, 'cal.json'), flag, v);
      expect(r.status, `${flag} ${v}`).toBe(2);
      expect(r.stderr).toContain(`'${flag} <s>' argument '${v}' is invalid. expected a positive number`);
    }
    expect(existsSync(join(dir, 'cal.json'))).toBe(false);
  }, 150_000);

  it('a config written to another folder keeps naming the same URDF: relative paths rewritten for the new folder, an absolute one kept, the same folder unchanged', () => {
    const from = 'hardware/robots/so101-follower.json';
    expect(config.urdf).toBe('so101.urdf');
    const dir = mkdtempSync(join(tmpdir(), 'axon-cal-'));
    for (const out of [join(dir, 'my.json'), join(dir, 'a', 'b', 'my.json'), 'my-so101.json', 'hardware/my.json']) {
      const moved = relocatedConfig(config, from, out);
      expect(moved.urdf, out).not.toMatch(/^\//);
      expect(resolve(dirname(out), moved.urdf!), out).toBe(resolve('hardware/robots/so101.urdf'));
      expect(Object.keys(moved), out).toEqual(Object.keys(config)); // the key order (and so the file's layout) kept
    }
    expect(relocatedConfig(config, 'hardware/my.json', 'hardware/my.json').urdf).toBe('so101.urdf'); // in place
    expect(relocatedConfig(config, from, 'hardware/robots/my.json')).toBe(config); // same folder
    const abs = { ...config, urdf: '/opt/robots/so101.urdf' };
    expect(relocatedConfig(abs, from, join(dir, 'my.json')).urdf).toBe('/opt/robots/so101.urdf');
    const { urdf: _, ...none } = config;
    expect(relocatedConfig(none, from, join(dir, 'my.json'))).toEqual(none);
  });

  it('commitCalibration: a config file that cannot be written leaves the servos as they were; one that can is written by rename, no temp file left', async () => {
    const emu = new FeetechEmulator({ servos: feetechServosOf(config) });
    const hands = scriptCalibration(emu, config, { sweepS: 1.2, mountTicks: [310, -420, 150, -95, 600, -240] });
    const bus = new FeetechBus(await link(emu));
    await bus.open();
    const result = await calibrateFeetech(bus, config, { waitForPose: async () => {}, recordUntil: () => (hands.startSweep(), sleep(1.5)) });
    expect(result.diff).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), 'axon-cal-'));
    const gone = join(dir, 'gone');
    mkdirSync(gone);
    rmSync(gone, { recursive: true }); // passed the startup check, then removed: the write fails
    await expect(commitCalibration(bus, config, result, join(gone, 'cal.json'))).rejects.toThrow(/cannot be written .*nothing saved/);
    expect(emu.servos.map((s) => s.get('homing_offset'))).toEqual([0, 0, 0, 0, 0, 0]); // the RAM offsets put back
    emu.powerCycle();
    expect(emu.servos.map((s) => s.get('homing_offset'))).toEqual([0, 0, 0, 0, 0, 0]); // and nothing in EPROM
    // Calibrated again, into a folder that exists: file and servos both get it.
    for (const s of emu.servos) s.hand = undefined;
    const hands2 = scriptCalibration(emu, config, { sweepS: 1.2, mountTicks: [310, -420, 150, -95, 600, -240] });
    const again = await calibrateFeetech(bus, config, { waitForPose: async () => {}, recordUntil: () => (hands2.startSweep(), sleep(1.5)) });
    expect(again.diff).toEqual([]);
    const out = join(dir, 'cal.json');
    await commitCalibration(bus, config, again, out);
    await bus.close();
    expect(JSON.parse(readFileSync(out, 'utf8')).joints.map((j: { homing_offset: number }) => j.homing_offset)).toEqual([310, -420, 150, -95, 600, -240]);
    expect(readdirSync(dir)).toEqual(['cal.json']);
    emu.powerCycle();
    expect(emu.servos.map((s) => s.get('homing_offset'))).toEqual([310, -420, 150, -95, 600, -240]);
  });
});
