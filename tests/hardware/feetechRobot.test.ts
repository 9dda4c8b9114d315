import { describe, expect, it } from 'vitest';
import { loadAnyRobotConfig, openConfiguredRobot, feetechServosOf } from '../../hardware/robots/openRobot.ts';
import { FeetechRobot } from '../../hardware/robots/FeetechRobot.ts';
import { FeetechEmulator } from '../../hardware/emulator/FeetechEmulator.ts';
import { memoryPair } from '../../hardware/transport/MemoryTransport.ts';
import { Inst, StatusBit } from '../../hardware/feetech/packet.ts';
import type { FeetechRobotConfig } from '../../hardware/robots/feetechConfig.ts';

const loaded = loadAnyRobotConfig('hardware/robots/so101-follower.json');
const config = loaded.config as FeetechRobotConfig;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function drive(robot: FeetechRobot, target: number[], seconds: number) {
  const t = Float64Array.from(target);
  for (let k = 0; k < seconds * 50; k++) {
    robot.command({ mode: 'position', target: t });
    await sleep(20);
  }
  await robot.settle();
}

describe('FeetechRobot on the emulated SO-101 follower', () => {
  it('loads the shipped configs by protocol; the leader is read only', () => {
    expect(loaded.protocol).toBe('feetech');
    expect(config.joints.map((j) => j.name)).toEqual(['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper']);
    expect(loadAnyRobotConfig('hardware/robots/so101-leader.json').config).toMatchObject({ role: 'leader' });
    expect(loadAnyRobotConfig('hardware/robots/arm6-xm430.json').protocol).toBe('dynamixel');
  });

  it('connects, arms, tracks a target; no goal is sent beyond the goal horizon of the measured pose', async () => {
    const { robot, port } = openConfiguredRobot(loaded, 'emu://', 1_000_000);
    const r = robot as FeetechRobot;
    const emu = (port as { emulator: FeetechEmulator }).emulator;
    await r.connect();
    expect(r.armed).toBe(true);
    expect(emu.servos.every((s) => s.torqueOn)).toBe(true);
    expect(emu.servo(1).get('torque_limit')).toBe(600);
    const target = [0.4, -0.3, 0.5, 0.2, -0.4, 0.3];
    // One command far away: the goal written is at most velocity_limit × horizon (4 rad/s × 0.1 s) ahead.
    r.command({ mode: 'position', target: Float64Array.from([1.5, 0, 0, 0, 0, 0]) });
    await r.settle();
    const lead = (emu.servo(1).get('goal_position') - 2048) * (2 * Math.PI / 4096);
    expect(lead).toBeGreaterThan(0.35);
    expect(lead).toBeLessThanOrEqual(0.4 + 0.002);
    await drive(r, target, 2);
    const o = r.observe();
    target.forEach((x, i) => expect(o.jointPosition[i]).toBeCloseTo(x, 1));
    await r.close();
    expect(r.eventLog.map((e) => e.kind)).toEqual(expect.arrayContaining(['connected', 'armed', 'safe_stop', 'closed']));
  });

  it('refuses to arm with a diff: a missing servo, a homing offset that is not the config\'s, a servo fault', async () => {
    const servos = feetechServosOf(config).filter((s) => s.id !== 4);
    servos[1] = { ...servos[1], table: { homing_offset: 321 } };
    const emu = new FeetechEmulator({ servos });
    emu.injectFault(6, StatusBit.overheat);
    const [host, dev] = memoryPair('emu-diff');
    await dev.open();
    emu.attach(dev);
    const robot = new FeetechRobot(config, host);
    const err = await robot.connect().then(() => undefined, (e: unknown) => e as { code: string; diff: string[] });
    expect(err?.code).toBe('HW_MISMATCH');
    expect(err?.diff.join('\n')).toMatch(/wrist_flex: servo id 4 did not answer/);
    expect(err?.diff.join('\n')).toMatch(/shoulder_lift \(id 2\): homing offset 321 ticks on the servo, 0 in the config/);
    expect(err?.diff.join('\n')).toMatch(/gripper \(id 6\): status overheat/);
    expect(host.isOpen).toBe(false);
    expect(emu.servos.some((s) => s.torqueOn)).toBe(false);
  });

  it('a bus gone silent: one read_failed, stale, then a silent_bus fault after silent_bus_cycles (the run ends on it)', async () => {
    const { robot, port } = openConfiguredRobot(loadAnyRobotConfig('hardware/robots/so101-follower.json'), 'emu://', 1_000_000, { period: 0.02 });
    const r = robot as FeetechRobot;
    const emu = (port as { emulator: FeetechEmulator }).emulator;
    await r.connect();
    emu.frozen = true;
    const faults: string[][] = [];
    r.health$.subscribe((h) => faults.push([...h.faults]));
    const t = Float64Array.from([0, 0, 0, 0, 0, 0]);
    for (let k = 0; k < 60 && !r.faulted; k++) {
      r.command({ mode: 'position', target: t });
      await r.settle();
    }
    expect(r.faulted).toBe(true);
    const kinds = r.eventLog.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'read_failed')).toHaveLength(1);
    expect(kinds).toEqual(expect.arrayContaining(['stale', 'silent_bus']));
    expect(r.failedReads).toBe(50);
    expect(faults.at(-1)?.[0]).toMatch(/^bus silent: 50 consecutive bus cycles on emu:\/\/ .*STS servos hold their last goal/);
    await r.close();
  });

  it('a servo fault while running: the robot faults, names the joint and holds the others', async () => {
    const { robot, port } = openConfiguredRobot(loaded, 'emu://', 1_000_000);
    const r = robot as FeetechRobot;
    const emu = (port as { emulator: FeetechEmulator }).emulator;
    await r.connect();
    emu.injectFault(3, StatusBit.overload);
    await drive(r, [0, 0, 0, 0, 0, 0], 0.2);
    expect(r.faulted).toBe(true);
    expect(r.eventLog.find((e) => e.kind === 'hardware_error')?.reason).toMatch(/elbow_flex \(id 3\): servo status overload/);
    await r.close();
  });

  it('a leader arm (read only) whose servo raises an alert faults too, naming the joint and the bits, and nothing is written to it', async () => {
    const { robot, port } = openConfiguredRobot(loadAnyRobotConfig('hardware/robots/so101-leader.json'), 'emu://', 1_000_000, { period: 0.02 });
    const r = robot as FeetechRobot;
    const emu = (port as { emulator: FeetechEmulator }).emulator;
    await r.connect();
    expect(r.armed).toBe(false);
    const written: number[] = [];
    const handle = emu.handle.bind(emu);
    emu.handle = (p, baud) => {
      if (p.code === Inst.Write || p.code === Inst.SyncWrite || p.code === Inst.RegWrite) written.push(p.code);
      return handle(p, baud);
    };
    const faults: string[][] = [];
    r.health$.subscribe((h) => faults.push([...h.faults]));
    emu.injectFault(1, StatusBit.angle_sensor);
    const hold = Float64Array.from([0, 0, 0, 0, 0, 0]);
    for (let k = 0; k < 10 && !r.faulted; k++) {
      r.command({ mode: 'position', target: hold });
      await r.settle();
    }
    expect(r.faulted).toBe(true);
    expect(r.eventLog.find((e) => e.kind === 'hardware_error')?.reason).toMatch(/shoulder_pan \(id 1\): servo status angle.sensor/);
    expect(faults.at(-1)?.join('\n')).toMatch(/shoulder_pan \(id 1\): servo status angle.sensor/);
    expect(r.eventLog.some((e) => e.kind === 'safe_stop')).toBe(false); // a leader gets no stop written
    await r.close();
    expect(written).toEqual([]);
    expect(emu.servos.some((s) => s.torqueOn)).toBe(false);
  });
});
