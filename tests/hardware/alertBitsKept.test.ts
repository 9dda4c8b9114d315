/**
 * A Feetech servo's alert names the status bits its reply carried, not only what Status (65)
 * shows when read afterwards: a voltage dip under load is over by then, and the operator was told
 * "servo status ok" (review R25 F4). The bit is set in a sync-read reply by a fault-injecting link
 * with a valid checksum (tests/hardware/helpers/faultLink.ts); the emulated servo's register 65
 * stays 0, as the real one would once the dip is over.
 */
import { describe, expect, it } from 'vitest';
import { loadAnyRobotConfig, feetechServosOf } from '../../hardware/robots/openRobot.ts';
import { FeetechRobot } from '../../hardware/robots/FeetechRobot.ts';
import type { FeetechRobotConfig } from '../../hardware/robots/feetechConfig.ts';
import { FeetechEmulator } from '../../hardware/emulator/FeetechEmulator.ts';
import { FeetechBus } from '../../hardware/feetech/FeetechBus.ts';
import { memoryPair } from '../../hardware/transport/MemoryTransport.ts';
import { FEETECH_PRESENT_BLOCK } from '../../hardware/feetech/controlTable.ts';
import { StatusBit } from '../../hardware/feetech/packet.ts';
import { FaultLink, addressOf, type Pkt } from './helpers/faultLink.ts';

const SO101 = loadAnyRobotConfig('hardware/robots/so101-follower.json').config as FeetechRobotConfig;

/** Sets `bits` in the status byte of servo `id`'s next `count` replies to a present-block sync read. */
function statusBits(id: number, bits: number, o: { on: boolean; count: number }) {
  return (rep: Pkt, req: Pkt | undefined): Pkt => {
    if (!o.on || o.count <= 0 || rep.id !== id || req?.code !== 0x82 || addressOf('feetech', req) !== FEETECH_PRESENT_BLOCK.address) return rep;
    o.count--;
    return { ...rep, code: rep.code | bits };
  };
}

async function link(hook: (rep: Pkt, req: Pkt | undefined) => Pkt) {
  const emu = new FeetechEmulator({ servos: feetechServosOf(SO101) });
  const [host, dev] = memoryPair('/dev/ttyACM0');
  await dev.open();
  emu.attach(dev);
  return { emu, link: new FaultLink(host, 'feetech', { reply: hook }) };
}

describe('a Feetech alert names the bits its reply carried', () => {
  it('voltage in the sync-read reply, Status (65) reading 0 by then: the fault says voltage, and that the register no longer shows it', async () => {
    const o = { on: false, count: 1 };
    const { emu, link: l } = await link(statusBits(4, StatusBit.voltage, o));
    const r = new FeetechRobot(SO101, l, { period: 0.02 });
    await r.connect();
    const held = Float64Array.from(r.observe().jointPosition);
    o.on = true;
    for (let k = 0; k < 10 && !r.faulted; k++) {
      r.command({ mode: 'position', target: held });
      await r.settle();
    }
    expect(r.faulted).toBe(true);
    expect(emu.servo(4).get('status')).toBe(0);
    const hw = r.eventLog.filter((e) => e.kind === 'hardware_error');
    expect(hw.map((e) => e.id)).toEqual([4]);
    // Before: "joint wrist_flex (id 4): servo status ok".
    expect(hw[0].reason).toBe('joint wrist_flex (id 4): servo status voltage (in its reply; Status, address 65, reads ok now)');
    await r.close();
  });

  it('FeetechBus.syncRead returns each alert with the bits of its reply (alertCodes, OR-ed over its replies)', async () => {
    const o = { on: true, count: 1 };
    const { link: l } = await link(statusBits(2, StatusBit.overheat | StatusBit.voltage, o));
    const bus = new FeetechBus(l);
    await bus.open();
    const out = new Uint8Array(6 * FEETECH_PRESENT_BLOCK.length);
    const r = await bus.syncRead(FEETECH_PRESENT_BLOCK.address, FEETECH_PRESENT_BLOCK.length, [1, 2, 3, 4, 5, 6], out, performance.now() / 1000 + 1);
    expect(r.ok).toBe(true);
    expect(r.alerts).toEqual([2]);
    expect(r.alertCodes).toEqual([StatusBit.overheat | StatusBit.voltage]);
    await bus.close();
  });
});
