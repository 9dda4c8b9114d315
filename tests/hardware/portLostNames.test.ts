/**
 * A port lost while armed leaves every servo unconfirmed, named as every other path names them:
 * `shoulder_pan (id 1)`, the form docs/hardware.md shows (review R25 F7: closeServos named the
 * joints without their ids).
 */
import { describe, expect, it } from 'vitest';
import { loadAnyRobotConfig, feetechServosOf } from '../../hardware/robots/openRobot.ts';
import { FeetechRobot } from '../../hardware/robots/FeetechRobot.ts';
import { DynamixelRobot } from '../../hardware/robots/DynamixelRobot.ts';
import type { FeetechRobotConfig } from '../../hardware/robots/feetechConfig.ts';
import { loadRobotConfig } from '../../hardware/robots/config.ts';
import { FeetechEmulator } from '../../hardware/emulator/FeetechEmulator.ts';
import { memoryPair } from '../../hardware/transport/MemoryTransport.ts';
import { createPort } from '../../hardware/transport/openPort.ts';
import { FaultLink } from './helpers/faultLink.ts';

const SO101 = loadAnyRobotConfig('hardware/robots/so101-follower.json').config as FeetechRobotConfig;
const SO101_NAMES = ['shoulder_pan (id 1)', 'shoulder_lift (id 2)', 'elbow_flex (id 3)', 'wrist_flex (id 4)', 'wrist_roll (id 5)', 'gripper (id 6)'];

describe('port lost while armed: the unconfirmed servos carry their ids', () => {
  it('Feetech (SO-101)', async () => {
    const emu = new FeetechEmulator({ servos: feetechServosOf(SO101) });
    const [host, dev] = memoryPair('/dev/ttyACM0');
    await dev.open();
    emu.attach(dev);
    const link = new FaultLink(host, 'feetech');
    const r = new FeetechRobot(SO101, link, { period: 0.02 });
    await r.connect();
    link.lose();
    await r.close();
    expect(r.safeStopUnconfirmed).toEqual(SO101_NAMES); // before: ['shoulder_pan', 'shoulder_lift', ...]
    const f = r.eventLog.filter((e) => e.kind === 'safe_stop_unconfirmed').map((e) => e.reason);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatch(/^robot closed: the port was lost, no safe stop could be sent/);
  });

  it('Dynamixel (arm6-xm430)', async () => {
    const cfg = { ...loadRobotConfig('hardware/robots/arm6-xm430.json'), watchdog_ms: 1000 };
    const { transport } = createPort('emu://', { baud: cfg.baud, servos: cfg.joints.map((j) => ({ id: j.id, model: j.model })) });
    const link = new FaultLink(transport, 'dynamixel');
    const r = new DynamixelRobot(cfg, link, { period: 0.02 });
    await r.connect();
    link.lose();
    await r.close();
    expect(r.safeStopUnconfirmed).toEqual(cfg.joints.map((j) => `${j.name} (id ${j.id})`));
  });
});
