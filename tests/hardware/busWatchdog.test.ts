/**
 * A pause longer than the Dynamixel bus watchdog (address 98) mid-run: the servos stop and refuse
 * every new goal (e-Manual, Bus Watchdog), and a sync write gets no status to say so. The robot
 * must find it (Bus Watchdog reads -1) and end the run as a fault, not drive a frozen arm to the end.
 */
import { describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { FAULT_EVENTS } from '../../hardware/robots/DynamixelRobot.ts';
import { createCommand, type JointCommand } from '../../src/core/robot.ts';
import { runLive } from '../../src/cli/live.ts';
import { writeConstantPoseModel } from './helpers/armModel.ts';
import { emulatedArm } from './helpers/emuArm.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Blocks the thread (a GC pause, a slow first inference, a loaded host): no packet goes out. */
const stall = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* the loop is stuck */ }
};

describe('Dynamixel bus watchdog', () => {
  it('is set by the first command, not at connect: set-up before the first tick does not trip it', async () => {
    const { robot, emu, events } = emulatedArm();
    await robot.connect();
    expect([...emu.servos.values()].every((s) => s.torqueOn && s.mem[98] === 0)).toBe(true);
    await sleep(250); // a world model loading, a first inference
    const cmd = createCommand(robot.spec, 'position');
    cmd.target.fill(0.2);
    for (let i = 0; i < 40; i++) {
      robot.command(cmd);
      await sleep(10);
    }
    await robot.settle();
    emu.advance();
    expect([...emu.servos.values()].every((s) => s.mem[98] === 5)).toBe(true);
    expect(robot.observe().jointPosition[0]).toBeGreaterThan(0.1); // the goals were taken
    expect(events.some((e) => e.kind === 'bus_watchdog')).toBe(false);
    await robot.close();
  });

  it('a pause over the watchdog mid-run: a bus_watchdog fault naming the servos, the hold confirmed, no new goal taken', async () => {
    const { robot, emu, events, health } = emulatedArm();
    await robot.connect();
    const cmd = createCommand(robot.spec, 'position');
    for (let i = 0; i < 5; i++) {
      robot.command(cmd);
      await sleep(10);
    }
    await robot.settle();
    stall(150); // 100 ms watchdog: every servo trips
    cmd.target.fill(0.5);
    robot.command(cmd);
    await robot.settle();
    const f = events.find((e) => e.kind === 'bus_watchdog');
    expect(f?.reason).toMatch(/^bus watchdog tripped on shoulder_pan \(id 1\), shoulder_lift \(id 2\), elbow \(id 3\), wrist_pitch \(id 4\), wrist_roll \(id 5\), gripper \(id 6\): no packet reached them for more than 100 ms/);
    expect(FAULT_EVENTS.has('bus_watchdog')).toBe(true);
    expect(robot.faulted).toBe(true);
    expect(health.at(-1)!.faults).toEqual([f!.reason]);
    // The tripped servos already hold where they stopped: the safe stop confirms that hold.
    expect(events.find((e) => e.kind === 'safe_stop')?.reason).toMatch(/^bus watchdog tripped on .*: holding the present pose/);
    expect(events.some((e) => e.kind === 'safe_stop_unconfirmed')).toBe(false);
    // Not re-armed mid-run: still -1 (0xFF) on every servo.
    emu.advance();
    expect([...emu.servos.values()].every((s) => s.watchdogTripped)).toBe(true);
    await robot.close();
    expect(robot.safeStopUnconfirmed).toEqual([]);
  });

  it('a run through runLive with one 150 ms stall ends as a fault, not "duration"', async () => {
    const policy = writeConstantPoseModel([0.4, -0.3, 0.5, 0.2, -0.4, 0.3]);
    const { robot, events } = emulatedArm();
    const send = robot.command.bind(robot);
    let k = 0;
    robot.command = (c: JointCommand) => {
      if (++k === 20) stall(150);
      send(c);
    };
    const r = await runLive(robot, { policy, durationS: 1.5, handleSignals: false });
    expect(r.endedBy).toBe('fault');
    expect(r.safety.state).not.toBe('running');
    expect(events.filter((e) => e.kind === 'bus_watchdog')).toHaveLength(1);
  });
});
