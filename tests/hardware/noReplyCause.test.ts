/**
 * A servo that "did not answer" is two different faults: replies that arrived but failed their
 * CRC / checksum (noise, a bad ground, a marginal adapter: check the wiring) and nothing at all
 * (power, id, baud). The configure-time errors say which, from what the decoder saw meanwhile.
 */
import { describe, expect, it } from 'vitest';
import { loadAnyRobotConfig, feetechServosOf } from '../../hardware/robots/openRobot.ts';
import { FeetechRobot } from '../../hardware/robots/FeetechRobot.ts';
import type { FeetechRobotConfig } from '../../hardware/robots/feetechConfig.ts';
import { FeetechEmulator } from '../../hardware/emulator/FeetechEmulator.ts';
import { FeetechBus } from '../../hardware/feetech/FeetechBus.ts';
import { DynamixelRobot, HardwareMismatchError } from '../../hardware/robots/DynamixelRobot.ts';
import { loadRobotConfig } from '../../hardware/robots/config.ts';
import { memoryPair } from '../../hardware/transport/MemoryTransport.ts';
import { createPort } from '../../hardware/transport/openPort.ts';

const SO101 = loadAnyRobotConfig('hardware/robots/so101-follower.json').config as FeetechRobotConfig;

async function feetechLink(emu: FeetechEmulator) {
  const [host, dev] = memoryPair('/dev/ttyACM0');
  await dev.open();
  emu.attach(dev);
  return host;
}

describe('why a servo did not answer', () => {
  it('Feetech: every reply corrupted -> the diff says replies with a bad checksum arrived (wiring), not "nothing"', async () => {
    const emu = new FeetechEmulator({ servos: feetechServosOf(SO101), corruptRate: 1, seed: 7 });
    const robot = new FeetechRobot(SO101, await feetechLink(emu), { period: 0.02 });
    const err = await robot.connect().catch((e) => e);
    expect(err).toBeInstanceOf(HardwareMismatchError);
    const pings = (err.diff as string[]).filter((d) => d.includes('did not answer a ping'));
    expect(pings).toHaveLength(6);
    // Every line says something arrived; the corrupted replies the decoder could frame are counted as bad checksums.
    for (const d of pings) expect(d).toMatch(/arrived: noise or wiring.*check the cable, its ground and the baud rate\)$/);
    expect(pings.some((d) => /\d+ repl(y|ies) with a bad checksum/.test(d))).toBe(true);
    expect(err.message).not.toMatch(/nothing arrived/);
  });

  it('Feetech: a servo that is not there -> "nothing arrived at all" (power, id, baud)', async () => {
    const emu = new FeetechEmulator({ servos: feetechServosOf(SO101).filter((s) => s.id !== 4) });
    const robot = new FeetechRobot(SO101, await feetechLink(emu), { period: 0.02 });
    const err = await robot.connect().catch((e) => e);
    expect(err.diff).toEqual(['joint wrist_flex: servo id 4 did not answer a ping at 1000000 bit/s (nothing arrived at all: check power, the id and the baud rate)']);
  });

  it('Feetech read: the BusError counts the replies that failed their checksum', async () => {
    const emu = new FeetechEmulator({ servos: feetechServosOf(SO101), corruptRate: 1, seed: 3 });
    const bus = new FeetechBus(await feetechLink(emu));
    await bus.open();
    const err = await bus.read(1, 56, 2).catch((e) => e);
    expect(err.code).toBe('BUS_TIMEOUT');
    expect(err.message).toMatch(/no reply after 3 attempts \(.*arrived: noise or wiring/);
    await bus.close();
  });

  it('Dynamixel: every reply corrupted -> "bad CRC" in the ping diff', async () => {
    const cfg = loadRobotConfig('hardware/robots/arm6-xm430.json');
    const { transport } = createPort('emu://', { baud: cfg.baud, servos: cfg.joints.map((j) => ({ id: j.id, model: j.model })), emulator: { corruptRate: 1, seed: 5 } });
    const robot = new DynamixelRobot(cfg, transport, { period: 0.02 });
    const err = await robot.connect().catch((e) => e);
    expect(err).toBeInstanceOf(HardwareMismatchError);
    const pings = (err.diff as string[]).filter((d) => d.includes('did not answer a ping'));
    expect(pings).toHaveLength(6);
    for (const d of pings) expect(d).toMatch(/arrived: noise or wiring/);
    expect(pings.some((d) => /repl(y|ies) with a bad CRC/.test(d))).toBe(true);
  });
});
