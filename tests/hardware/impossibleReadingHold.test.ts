/**
 * A position reading the safety supervisor refuses (beyond the limits by its margin, or a jump)
 * never drives a servo: the robot keeps its own last good reading for the goal clamp (Feetech's
 * goal horizon) and for the `hold` safe stop (docs/safety.md "A bad reading never becomes the pose
 * the supervisor holds"; review R25 F1: FeetechRobot clamped every goal toward a glitched wrist
 * reading and drove the wrist 1.88 rad, and both robots' close wrote the glitch as the hold).
 * The glitch is put in the sync-read replies by a fault-injecting link (tests/hardware/helpers/
 * faultLink.ts) with a valid checksum / CRC, as an encoder glitch that passes its check would be.
 * The commands are what the supervisor sends while it holds: the last good pose.
 */
import { describe, expect, it } from 'vitest';
import { loadAnyRobotConfig, feetechServosOf } from '../../hardware/robots/openRobot.ts';
import { FeetechRobot } from '../../hardware/robots/FeetechRobot.ts';
import { DynamixelRobot } from '../../hardware/robots/DynamixelRobot.ts';
import type { FeetechRobotConfig } from '../../hardware/robots/feetechConfig.ts';
import { loadRobotConfig, type DynamixelRobotConfig } from '../../hardware/robots/config.ts';
import { FeetechEmulator } from '../../hardware/emulator/FeetechEmulator.ts';
import type { DynamixelEmulator } from '../../hardware/emulator/DynamixelEmulator.ts';
import { memoryPair } from '../../hardware/transport/MemoryTransport.ts';
import { createPort } from '../../hardware/transport/openPort.ts';
import { FEETECH_PRESENT_BLOCK } from '../../hardware/feetech/controlTable.ts';
import { PRESENT_BLOCK } from '../../hardware/dynamixel/controlTable.ts';
import { FaultLink, addressOf, type Pkt } from './helpers/faultLink.ts';

const SO101 = loadAnyRobotConfig('hardware/robots/so101-follower.json').config as FeetechRobotConfig;
const SYNC_READ = 0x82;

/** Replies of servo `id` to sync reads of the present block carry Present Position `ticks` while `glitch.on`. */
function glitching(protocol: 'feetech' | 'dynamixel', id: number, glitch: { on: boolean; ticks: number }) {
  const [address, posAt, size] = protocol === 'feetech' ? [FEETECH_PRESENT_BLOCK.address, 0, 2] : [PRESENT_BLOCK.address, 6, 4];
  return (rep: Pkt, req: Pkt | undefined): Pkt => {
    if (!glitch.on || rep.id !== id || req?.code !== SYNC_READ || addressOf(protocol, req) !== address) return rep;
    const params = rep.params.slice();
    for (let k = 0; k < size; k++) params[posAt + k] = (glitch.ticks >> (8 * k)) & 0xff;
    return { ...rep, params };
  };
}

async function feetechArm(config: FeetechRobotConfig, glitch: { on: boolean; ticks: number }) {
  const emu = new FeetechEmulator({ servos: feetechServosOf(config) });
  const [host, dev] = memoryPair('/dev/ttyACM0');
  await dev.open();
  emu.attach(dev);
  const link = new FaultLink(host, 'feetech', { reply: glitching('feetech', 5, glitch) });
  return { emu, robot: new FeetechRobot(config, link, { period: 0.02 }) };
}

const stops = (r: { eventLog: { kind: string; reason: string }[] }) => r.eventLog.filter((e) => e.kind === 'safe_stop').map((e) => e.reason);

async function cycles(r: FeetechRobot | DynamixelRobot, target: Float64Array, n: number) {
  for (let k = 0; k < n; k++) {
    r.command({ mode: 'position', target });
    await r.settle();
  }
}

describe('Feetech (SO-101): a glitched wrist_roll reading drives nothing', () => {
  it('beyond the limits (tick 100 = -2.988 rad, the limit -2.793): goals stay at the held pose, the hold writes the last good reading', async () => {
    const glitch = { on: false, ticks: 100 };
    const { emu, robot: r } = await feetechArm(SO101, glitch);
    await r.connect();
    const held = Float64Array.from(r.observe().jointPosition);
    await cycles(r, held, 5);
    const good = emu.servo(5).get('goal_position');
    expect(Math.abs(good - 2048)).toBeLessThanOrEqual(2);
    glitch.on = true;
    await cycles(r, held, 10);
    expect(r.observe().jointPosition[4]).toBeCloseTo(-2.988, 2); // the robot still reports what it read: the supervisor judges it
    // Before: each goal was clamped to within the goal horizon (260 ticks) of tick 100, so 360 was sent.
    expect(emu.servo(5).get('goal_position')).toBe(good);
    await r.close();
    expect(emu.servo(5).get('goal_position')).toBe(good); // before: 100, the glitch
    expect(stops(r)[0]).toMatch(/^robot closed: holding the present pose .* on all 6 servos \(read back\); the last good reading kept .*: wrist_roll \(id 5\) read -2\.98\d, held at -?0\.0\d\d$/);
  });

  it('a jump within the limits (tick 300 = -2.681 rad from 0, over 3 x the velocity limit): refused, the goal and the hold stay', async () => {
    // A velocity limit of 0.5 rad/s bounds a change to 1.5 x (dt + 0.02) rad: a reading 2.68 rad off
    // passes only after a host stall of 1.7 s between two reads.
    const config = { ...SO101, joints: SO101.joints.map((j) => (j.id === 5 ? { ...j, velocity_limit: 0.5 } : j)) };
    const glitch = { on: false, ticks: 300 };
    const { emu, robot: r } = await feetechArm(config, glitch);
    await r.connect();
    const held = Float64Array.from(r.observe().jointPosition);
    await cycles(r, held, 5);
    const good = emu.servo(5).get('goal_position');
    glitch.on = true;
    await cycles(r, held, 20); // stuck at the glitch for 20 reads: never taken
    expect(emu.servo(5).get('goal_position')).toBe(good); // before: 300 + 33 ticks of horizon
    await r.close();
    expect(emu.servo(5).get('goal_position')).toBe(good);
    expect(stops(r)[0]).toMatch(/wrist_roll \(id 5\) read -2\.68\d, held at -?0\.0\d\d$/);
  });
});

describe('Dynamixel (arm6-xm430): the hold writes the last good reading, not the glitch', () => {
  it('shoulder_lift read at tick 500 (-2.374 rad, the limit -1.8): the close holds it where it was', async () => {
    // watchdog_ms 1000: a loaded host must not trip the servos' watchdog between the test's cycles.
    const cfg: DynamixelRobotConfig = { ...loadRobotConfig('hardware/robots/arm6-xm430.json'), watchdog_ms: 1000, fast_sync_read: false };
    const { transport, emulator } = createPort('emu://', { baud: cfg.baud, servos: cfg.joints.map((j) => ({ id: j.id, model: j.model })) });
    const glitch = { on: false, ticks: 500 };
    const r = new DynamixelRobot(cfg, new FaultLink(transport, 'dynamixel', { reply: glitching('dynamixel', 2, glitch) }), { period: 0.02 });
    const emu = emulator as DynamixelEmulator;
    await r.connect();
    const held = Float64Array.from(r.observe().jointPosition);
    await cycles(r, held, 5);
    const good = emu.servos.get(2)!.get('goal_position');
    expect(Math.abs(good - 2048)).toBeLessThanOrEqual(2);
    glitch.on = true;
    await cycles(r, held, 5);
    await r.close();
    expect(emu.servos.get(2)!.get('goal_position')).toBe(good); // before: 500
    expect(r.safeStopUnconfirmed).toEqual([]);
    expect(stops(r)[0]).toMatch(/^robot closed: holding the present pose .* on all 6 servos \(read back\); the last good reading kept .*: shoulder_lift \(id 2\) read -2\.37\d, held at -?0\.0\d\d$/);
  });
});
