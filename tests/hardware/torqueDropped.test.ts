/**
 * A servo that drops its torque with no status bit (a reset on a voltage sag, something else
 * writing to the bus) is seen: an armed robot reads Torque Enable back every TORQUE_CHECK_CYCLES
 * bus cycles and faults naming the servo, and the hold's read-back checks torque as well as the
 * goal, so "torque on ... (read back)" is only said when it was read back (review R25 F3: a
 * shoulder left limp ran to the end with exit 0, and the hold said torque on). The torque is
 * switched off by a real Write packet sent on the link, its acknowledgement swallowed, as review
 * R25's proxies did (tests/hardware/helpers/faultLink.ts).
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
import { write as feetechWrite } from '../../hardware/feetech/packet.ts';
import { write as dxlWrite } from '../../hardware/dynamixel/packet.ts';
import { TORQUE_CHECK_CYCLES } from '../../hardware/robots/torqueCheck.ts';
import { FaultLink } from './helpers/faultLink.ts';

const SO101 = loadAnyRobotConfig('hardware/robots/so101-follower.json').config as FeetechRobotConfig;

/** A link that can send Torque Enable = 0 to one servo as another writer would, swallowing the servo's acknowledgement. */
function torqueDropper(link: FaultLink, write: (id: number, address: number, data: number[]) => Uint8Array, address: number) {
  let swallow = 0;
  link.hooks = {
    reply: (rep) => {
      if (swallow > 0 && rep.params.length === 0 && rep.id === 2) {
        swallow--;
        return null;
      }
      return rep;
    },
  };
  return () => {
    swallow++;
    link.inject(write(2, address, [0]));
  };
}

async function feetechArm() {
  const emu = new FeetechEmulator({ servos: feetechServosOf(SO101) });
  const [host, dev] = memoryPair('/dev/ttyACM0');
  await dev.open();
  emu.attach(dev);
  const link = new FaultLink(host, 'feetech');
  const drop = torqueDropper(link, feetechWrite, 40);
  return { emu, robot: new FeetechRobot(SO101, link, { period: 0.02 }), drop };
}

function dynamixelArm() {
  // watchdog_ms 1000: a loaded host must not trip the servos' watchdog between the test's cycles.
  const cfg: DynamixelRobotConfig = { ...loadRobotConfig('hardware/robots/arm6-xm430.json'), watchdog_ms: 1000, fast_sync_read: false };
  const { transport, emulator } = createPort('emu://', { baud: cfg.baud, servos: cfg.joints.map((j) => ({ id: j.id, model: j.model })) });
  const link = new FaultLink(transport, 'dynamixel');
  const drop = torqueDropper(link, dxlWrite, 64);
  return { emu: emulator as DynamixelEmulator, robot: new DynamixelRobot(cfg, link, { period: 0.02 }), drop };
}

const kinds = (r: { eventLog: { kind: string }[] }) => r.eventLog.map((e) => e.kind);
const reasons = (r: { eventLog: { kind: string; reason: string }[] }, kind: string) => r.eventLog.filter((e) => e.kind === kind).map((e) => e.reason);

async function runUntilFault(r: FeetechRobot | DynamixelRobot, n: number): Promise<number> {
  const held = Float64Array.from(r.observe().jointPosition);
  let k = 0;
  for (; k < n && !r.faulted; k++) {
    r.command({ mode: 'position', target: held });
    await r.settle();
  }
  return k;
}

describe('torque dropped mid-run, no status bit: a hardware_error naming the servo, then the safe stop', () => {
  it('Feetech (SO-101): Torque Enable (40) read back within TORQUE_CHECK_CYCLES cycles', async () => {
    const { emu, robot: r, drop } = await feetechArm();
    await r.connect();
    await runUntilFault(r, 3);
    drop();
    const k = await runUntilFault(r, 3 * TORQUE_CHECK_CYCLES);
    expect(emu.servo(2).torqueOn).toBe(false);
    expect(r.faulted).toBe(true); // before: never (the run ended clean)
    expect(k).toBeLessThanOrEqual(TORQUE_CHECK_CYCLES + 1);
    const hw = r.eventLog.filter((e) => e.kind === 'hardware_error');
    expect(hw.map((e) => e.id)).toEqual([2]);
    expect(hw[0].reason).toMatch(/^joint shoulder_lift \(id 2\): Torque Enable \(40\) read back 0 while armed, with no status bit/);
    // The hold reads torque back too: shoulder_lift is limp, so the stop is not confirmed there.
    expect(reasons(r, 'safe_stop')[0]).toMatch(/^torque off on shoulder_lift: holding the present pose \(goal = present position, torque on\) confirmed on 5 of 6 servos; .*shoulder_lift \(id 2\); Torque Enable \(40\) read back 0 at shoulder_lift \(id 2\): limp, holding nothing/);
    expect(r.safeStopUnconfirmed).toEqual(['shoulder_lift (id 2)']);
    await r.close();
  });

  it('Dynamixel (arm6): Torque Enable (64) read back (a rebooted X servo also has Bus Watchdog 0, which its own check passes)', async () => {
    const { emu, robot: r, drop } = dynamixelArm();
    await r.connect();
    await runUntilFault(r, 3);
    drop();
    const k = await runUntilFault(r, 3 * TORQUE_CHECK_CYCLES);
    expect(emu.servos.get(2)!.torqueOn).toBe(false);
    expect(r.faulted).toBe(true);
    expect(k).toBeLessThanOrEqual(TORQUE_CHECK_CYCLES + 2); // one cycle later when the 98 check falls on the same cycle
    const hw = r.eventLog.filter((e) => e.kind === 'hardware_error');
    expect(hw.map((e) => e.id)).toEqual([2]);
    expect(hw[0].reason).toMatch(/^joint shoulder_lift \(id 2\): Torque Enable \(64\) read back 0 while armed/);
    expect(kinds(r)).not.toContain('bus_watchdog');
    expect(r.safeStopUnconfirmed).toEqual(['shoulder_lift (id 2)']);
    await r.close();
  });
});

describe('the hold reads Torque Enable back: "torque on (read back)" only where it was', () => {
  it('Feetech: torque dropped just before close -> the hold names shoulder_lift unconfirmed, limp', async () => {
    const { robot: r, drop } = await feetechArm();
    await r.connect();
    await runUntilFault(r, 3);
    drop();
    await runUntilFault(r, 2); // the write reaches the servo (and its reply is swallowed) before the close
    await r.close();
    const stop = reasons(r, 'safe_stop')[0];
    // Before: "robot closed: holding the present pose (goal = present position, torque on) on all 6 servos (read back)".
    expect(stop).not.toMatch(/on all 6 servos/);
    expect(stop).toMatch(/Torque Enable \(40\) read back 0 at shoulder_lift \(id 2\): limp, holding nothing/);
    expect(r.safeStopUnconfirmed).toEqual(['shoulder_lift (id 2)']);
    expect(reasons(r, 'safe_stop_unconfirmed')[0]).toMatch(/^robot closed: safe stop \(hold\) not confirmed on shoulder_lift \(id 2\) after 1 writes: .*shoulder_lift \(id 2\) read torque off: limp, an arm may sag or fall/);
  });

  it('Dynamixel: the same at close', async () => {
    const { robot: r, drop } = dynamixelArm();
    await r.connect();
    await runUntilFault(r, 3);
    drop();
    await runUntilFault(r, 2);
    await r.close();
    expect(reasons(r, 'safe_stop')[0]).toMatch(/confirmed on 5 of 6 servos; .*Torque Enable \(64\) read back 0 at shoulder_lift \(id 2\): limp, holding nothing/);
    expect(r.safeStopUnconfirmed).toEqual(['shoulder_lift (id 2)']);
  });

  it('a servo whose own alarm cut its torque is said so, not named unconfirmed (Feetech overload)', async () => {
    const { emu, robot: r } = await feetechArm();
    await r.connect();
    await runUntilFault(r, 3);
    emu.injectFault(3, 32); // overload: the STS cuts its own torque (protection)
    await runUntilFault(r, 20);
    expect(r.faulted).toBe(true);
    expect(emu.servo(3).torqueOn).toBe(false);
    expect(reasons(r, 'safe_stop')[0]).toMatch(/on all 6 servos \(read back\); torque cut by the servo's own alarm at elbow_flex \(id 3\)$/);
    expect(r.safeStopUnconfirmed).toEqual([]);
    await r.close();
  });
});
