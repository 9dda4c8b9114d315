// One clock for a run: a bus robot given the run's clock (Robot.useClock, as runLive does) stamps
// its observations with that clock's reading when the bus read completed, and its events on it.
import { describe, expect, it } from 'vitest';
import { loadRobotConfig } from '../../hardware/robots/config.ts';
import { loadAnyRobotConfig, openConfiguredRobot } from '../../hardware/robots/openRobot.ts';
import { DynamixelRobot } from '../../hardware/robots/DynamixelRobot.ts';
import type { FeetechRobot } from '../../hardware/robots/FeetechRobot.ts';
import { createPort } from '../../hardware/transport/openPort.ts';
import type { JointCommand } from '../../src/core/robot.ts';

type BusRobot = DynamixelRobot | FeetechRobot;
// The run clock's readings are far from the steady clock's (seconds since the process started).
const T = 1e6;

function dynamixel(): BusRobot {
  const cfg = loadRobotConfig('hardware/robots/arm6-xm430.json');
  const { transport } = createPort('emu://', { baud: cfg.baud, servos: cfg.joints.map((j) => ({ id: j.id, model: j.model })) });
  return new DynamixelRobot(cfg, transport, { period: 0.02 });
}

function feetech(): BusRobot {
  return openConfiguredRobot(loadAnyRobotConfig('hardware/robots/so101-follower.json'), 'emu://', 1_000_000).robot as FeetechRobot;
}

describe.each([
  ['DynamixelRobot', dynamixel],
  ['FeetechRobot', feetech],
])('%s on the emulated bus, on an injected run clock', (_name, make) => {
  it('stamps an observation when its read completed and events on the run clock', async () => {
    const robot = make();
    await robot.connect();
    const seq0 = robot.observe().seq;
    let t = T; // the run's clock: moves only when the test moves it
    robot.useClock(() => t);
    // The read made at connect keeps its moment: moved onto the run clock by its age (>= 0).
    const before = robot.observe();
    expect(before.seq).toBe(seq0);
    expect(before.time).toBeLessThanOrEqual(T);
    expect(before.time).toBeGreaterThan(T - 100);

    // A bus cycle completes while the run clock reads T + 0.25 ...
    t = T + 0.25;
    const hold = { mode: 'position', target: Float64Array.from(robot.observe().jointPosition) } as JointCommand;
    robot.command(hold);
    await robot.settle();
    // ... and is observed later, at T + 3: the stamp is the read's, not the call's.
    t = T + 3;
    const o = robot.observe();
    expect(o.seq).toBe(seq0 + 1);
    expect(o.time).toBe(T + 0.25);
    expect(robot.observe().time).toBe(T + 0.25); // no new read: the stamp does not move

    t = T + 4.5;
    robot.command(hold);
    await robot.settle();
    t = T + 5;
    expect(robot.observe()).toMatchObject({ seq: seq0 + 2, time: T + 4.5 });

    // Events after useClock are on the run clock: close() at T + 7 holds the pose and closes.
    const n = robot.eventLog.length;
    t = T + 7;
    await robot.close();
    const after = robot.eventLog.slice(n);
    expect(after.map((e) => e.kind)).toEqual(['safe_stop', 'closed']);
    for (const e of after) expect(e.time).toBe(T + 7);
    // Events before it (connected, armed) stay on the robot's steady clock.
    expect(robot.eventLog[0].kind).toBe('connected');
    expect(robot.eventLog[0].time).toBeLessThan(T - 100);
  });
});
