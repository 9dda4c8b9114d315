import { describe, expect, it } from 'vitest';
import * as P from '../../hardware/dynamixel/packet.ts';
import { DynamixelEmulator, defaultServos } from '../../hardware/emulator/DynamixelEmulator.ts';
import { DynamixelBus } from '../../hardware/dynamixel/DynamixelBus.ts';
import { memoryPair } from '../../hardware/transport/MemoryTransport.ts';
import { HardwareError, ticksToRad, item, X_SERIES, radToTicks } from '../../hardware/dynamixel/controlTable.ts';
import { PacketDecoder } from '../../hardware/dynamixel/PacketDecoder.ts';

/** An emulator on virtual time (s) and a decoder for its replies. */
function rig(n = 3) {
  const clock = { t: 0 };
  const emu = new DynamixelEmulator({ servos: defaultServos(n), now: () => clock.t });
  const ask = (pkt: Uint8Array) => {
    const out: P.Packet[] = [];
    const d = new PacketDecoder((p) => out.push(p));
    d.push(pkt); // through the decoder, as bytes
    const replies: P.Packet[] = [];
    for (const p of out) for (const r of emu.handle(p)) new PacketDecoder((q) => replies.push(q)).push(r);
    return replies;
  };
  return { clock, emu, ask };
}

async function busOn(emu: DynamixelEmulator) {
  const [host, dev] = memoryPair('test');
  await dev.open();
  emu.attach(dev);
  const bus = new DynamixelBus(host);
  await bus.open();
  return { bus, host };
}

describe('control table', () => {
  it('keeps every item in one table with units, without overlaps', () => {
    const sorted = [...X_SERIES].sort((a, b) => a.address - b.address);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].address).toBeGreaterThanOrEqual(sorted[i - 1].address + sorted[i - 1].size);
    expect(item('bus_watchdog')).toMatchObject({ address: 98, size: 1, unit: 's', scale: 0.02 });
    expect(item('present_velocity').scale).toBeCloseTo((0.229 * 2 * Math.PI) / 60, 12);
    expect(item('present_current').scale).toBe(0.00269);
    expect(ticksToRad(3072)).toBeCloseTo(Math.PI / 2, 12);
    expect(radToTicks(-Math.PI / 2)).toBe(1024);
  });
});

describe('emulator answers every instruction as a servo would', () => {
  it('ping (unicast, broadcast in id order), read, write with access and range checks', () => {
    const { ask } = rig(3);
    expect(P.hex(P.encodeStatus(1, 0, ask(P.ping(1))[0].params))).toBe(P.hex(P.encodeStatus(1, 0, [0xfc, 0x03, 46]))); // model 1020
    expect(ask(P.ping(P.BROADCAST_ID)).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(ask(P.ping(9))).toEqual([]);
    expect(P.readLe(ask(P.read(2, 132, 4))[0].params, 0, 4)).toBe(2048);
    expect(ask(P.write(1, 132, P.le(5, 4)))[0].error).toBe(7); // read-only: access error
    expect(ask(P.write(1, 64, [2]))[0].error).toBe(4); // torque enable 2: data range error
    expect(ask(P.write(1, 116, [0, 0]))[0].error).toBe(5); // half of a 4-byte item: data length error
    expect(ask(P.write(1, 64, [1]))[0].error).toBe(0);
    expect(ask(P.write(1, 11, [1]))[0].error).toBe(7); // EEPROM while torque on
    expect(ask(P.write(P.BROADCAST_ID, 65, [1]))).toEqual([]); // broadcast: no reply
  });

  it('reg write waits for action; reboot clears a hardware error; factory reset keeps the id', () => {
    const { emu, ask } = rig(2);
    ask(P.regWrite(1, 65, [1]));
    expect(emu.servo(1).mem[65]).toBe(0);
    expect(emu.servo(1).mem[69]).toBe(1);
    ask(P.action(P.BROADCAST_ID));
    expect(emu.servo(1).mem[65]).toBe(1);
    emu.injectHardwareError(2, HardwareError.overheating);
    expect(ask(P.ping(2))[0].error & P.ALERT_BIT).toBeTruthy();
    expect(ask(P.write(2, 64, [1]))[0].error & 0x7f).toBe(1); // cannot enable torque with a latched error
    ask(P.reboot(2));
    expect(ask(P.ping(2))[0].error).toBe(0);
    ask(P.write(1, 9, [0]));
    expect(ask(P.factoryReset(1, 0x01))[0].error).toBe(0);
    expect(emu.servo(1).mem[9]).toBe(250);
    expect(emu.servo(1).mem[7]).toBe(1);
    expect(ask(P.clearMultiTurn(1))[0].error).toBe(0);
    expect(ask(P.encodePacket(1, 0x77))[0].error).toBe(2); // unknown instruction
  });

  it('a write to the ID register (7) takes effect at once: the servo answers to its new id only', () => {
    const { emu, ask } = rig(2);
    const reply = ask(P.write(2, 7, [9]));
    expect(reply.map((r) => [r.id, r.error])).toEqual([[2, 0]]); // the write's own status: from the id it was sent to
    expect(ask(P.ping(9)).map((r) => r.id)).toEqual([9]);
    expect(ask(P.ping(2))).toEqual([]);
    expect(ask(P.ping(P.BROADCAST_ID)).map((r) => r.id)).toEqual([1, 9]);
    expect(P.readLe(ask(P.read(9, 7, 1))[0].params, 0, 1)).toBe(9);
    expect(ask(P.syncRead(132, 4, [1, 9])).map((r) => r.id)).toEqual([1, 9]);
    expect(emu.servo(9)).toBe(emu.servos.get(2)); // servos stay keyed by the id they were created with
    expect(() => emu.servo(2)).toThrow(/no emulated servo with id 2/);
    ask(P.write(9, 7, [2])); // and back
    expect(ask(P.ping(2)).map((r) => r.id)).toEqual([2]);
    expect(ask(P.ping(9))).toEqual([]);
  });

  it('sync read / fast sync read / bulk read answer for the listed servos; sync and bulk write apply', () => {
    const { emu, ask } = rig(3);
    ask(P.syncWrite(65, 1, [1, 3], [[1], [1]]));
    expect([1, 2, 3].map((id) => emu.servo(id).mem[65])).toEqual([1, 0, 1]);
    ask(P.bulkWrite([{ id: 2, address: 65, data: [1] }, { id: 3, address: 84, data: P.le(900, 2) }]));
    expect(emu.servo(2).mem[65]).toBe(1);
    expect(P.readLe(emu.servo(3).mem, 84, 2)).toBe(900);
    expect(ask(P.syncRead(132, 4, [3, 1, 9])).map((r) => r.id)).toEqual([3, 1]);
    const fast = ask(P.fastSyncRead(132, 4, [1, 2]));
    expect(fast).toHaveLength(1);
    expect(fast[0].id).toBe(P.BROADCAST_ID);
    const bulk = ask(P.bulkRead([{ id: 1, address: 146, length: 1 }, { id: 2, address: 144, length: 2 }]));
    expect(bulk.map((r) => [r.id, r.params.length])).toEqual([[1, 1], [2, 2]]);
  });

  it('status return level 0 answers pings only', () => {
    const { ask } = rig(1);
    ask(P.write(1, 68, [0]));
    expect(ask(P.read(1, 132, 4))).toEqual([]);
    expect(ask(P.ping(1))).toHaveLength(1);
  });
});

describe('emulated motor and bus watchdog', () => {
  it('moves to a goal position with a first-order response and reports current', () => {
    const { clock, emu, ask } = rig(1);
    ask(P.write(1, 64, [1]));
    ask(P.write(1, 116, P.le(radToTicks(1), 4)));
    clock.t = 0.05;
    emu.advance();
    const mid = emu.servo(1).angle;
    expect(mid).toBeGreaterThan(0.01);
    expect(mid).toBeLessThan(1);
    expect(Math.abs(P.readLe(emu.servo(1).mem, 126, 2, true))).toBeGreaterThan(0);
    clock.t = 2;
    emu.advance();
    expect(emu.servo(1).angle).toBeCloseTo(1, 2);
  });

  it('Drive Mode bit 0 (reverse): Present Position and velocity count the other way, Homing Offset is added to the reversed count, and a goal turns the horn the other way', () => {
    const { clock, emu, ask } = rig(1);
    const present = () => P.readLe(ask(P.read(1, 132, 4))[0].params, 0, 4, true);
    const velocity = () => P.readLe(ask(P.read(1, 128, 4))[0].params, 0, 4, true);
    const s = emu.servo(1);
    s.pos = (2048 + 300) * (2 * Math.PI / 4096); // the horn 300 ticks counter-clockwise of centre
    expect(present()).toBe(2348);
    ask(P.write(1, 10, [1])); // reverse (EEPROM: torque is off)
    expect(present()).toBe(1748); // was 2348: the e-Manual says Present Position is inverted
    ask(P.write(1, 20, P.le(-100, 4))); // Homing Offset: Present = (reversed count) + offset
    expect(present()).toBe(1648);
    ask(P.write(1, 64, [1]));
    ask(P.write(1, 116, P.le(1648 + 200, 4))); // +200 in the reversed frame: the horn turns clockwise
    clock.t = 0.05;
    emu.advance();
    expect(velocity()).toBeGreaterThan(0); // reported positive, in the reversed frame
    expect(s.vel).toBeLessThan(0); // while the horn turns clockwise
    clock.t = 2;
    emu.advance();
    expect(present()).toBeCloseTo(1848, -1);
    expect(s.angle).toBeCloseTo(100 * (2 * Math.PI / 4096), 2);
  });

  it('a power cycle loses the turn count: in extended position the servo comes back reading its one turn + Homing Offset, torque off', () => {
    const { emu, ask } = rig(1);
    const present = () => P.readLe(ask(P.read(1, 132, 4))[0].params, 0, 4, true);
    const s = emu.servo(1);
    ask(P.write(1, 11, [4])); // extended position
    ask(P.write(1, 20, P.le(1897, 4))); // a Koch wrist_roll's Homing Offset
    s.pos = -47 * (2 * Math.PI / 4096); // turned 47 ticks below the actual count's 0
    expect(present()).toBe(1850);
    ask(P.write(1, 64, [1]));
    emu.powerCycle();
    expect(present()).toBe(4049 + 1897); // the encoder's one turn: 4096 − 47, + the offset
    expect(s.torqueOn).toBe(false);
    expect(s.get('homing_offset')).toBe(1897); // EEPROM kept
    s.pos = 3000 * (2 * Math.PI / 4096);
    emu.powerCycle();
    expect(present()).toBe(3000 + 1897); // inside the turn: unchanged
  });

  it('address 98: silence longer than the watchdog stops the servo and refuses goals until cleared', () => {
    const { clock, emu, ask } = rig(1);
    ask(P.write(1, 64, [1]));
    ask(P.write(1, 98, [5])); // 100 ms
    ask(P.write(1, 104 + 12, P.le(radToTicks(2), 4))); // goal 2 rad
    clock.t = 0.09;
    emu.advance();
    expect(emu.servo(1).watchdogTripped).toBe(false);
    clock.t = 0.3; // axon went quiet
    emu.advance();
    const s = emu.servo(1);
    expect(s.watchdogTripped).toBe(true);
    const stoppedAt = s.angle;
    expect(stoppedAt).toBeLessThan(1.5);
    expect(ask(P.write(1, 116, P.le(radToTicks(2), 4)))[0].error).toBe(4);
    clock.t = 1;
    emu.advance();
    expect(s.angle).toBeCloseTo(stoppedAt, 1); // holds where it stopped
    ask(P.write(1, 98, [0]));
    expect(ask(P.write(1, 116, P.le(radToTicks(2), 4)))[0].error).toBe(0);
  });
});

describe('DynamixelBus against the emulator', () => {
  it('scan by broadcast ping finds exactly the emulated ids', async () => {
    const emu = new DynamixelEmulator({ servos: [{ id: 3 }, { id: 7 }, { id: 12, model: 'XH540-W270' }] });
    const { bus } = await busOn(emu);
    const found = await bus.broadcastPing(0.05);
    expect(found.map((p) => [p.id, p.modelName])).toEqual([[3, 'XM430-W350'], [7, 'XM430-W350'], [12, 'XH540-W270']]);
    expect(await bus.ping(4, 1)).toBeUndefined();
    await bus.close();
  });

  it('sync read retries lost and corrupted replies within the deadline, and reports the missing', async () => {
    const emu = new DynamixelEmulator({ servos: defaultServos(6), lossRate: 0.2, corruptRate: 0.2, seed: 3 });
    const { bus } = await busOn(emu);
    const out = new Uint8Array(6 * 4);
    let ok = 0;
    for (let i = 0; i < 40; i++) {
      const r = await bus.syncRead(132, 4, [1, 2, 3, 4, 5, 6], out, performance.now() / 1000 + 0.2);
      if (r.ok) ok++;
    }
    expect(ok).toBe(40);
    expect(bus.stats.retries).toBeGreaterThan(0);
    expect(bus.decoder.stats.crcErrors + bus.stats.timeouts).toBeGreaterThan(0);
    for (let i = 0; i < 6; i++) expect(P.readLe(out, i * 4, 4)).toBe(2048);
    emu.lossRate = 1;
    const r = await bus.syncRead(132, 4, [1, 2], out, performance.now() / 1000 + 0.03);
    expect(r.ok).toBe(false);
    expect(r.missing).toEqual([1, 2]);
    await bus.close();
  });

  it('a stalled reply comes out with the retry\'s, just before it: the retry takes the stalled one, and its own answers whatever the host asks next', async () => {
    const emu = new DynamixelEmulator({ servos: [{ id: 1, table: { homing_offset: 300 } }] });
    const { bus } = await busOn(emu);
    emu.stallReply((p) => p.instruction === P.Inst.Read && P.readLe(p.params, 0, 2) === 20);
    expect(await bus.transact(P.read(1, 20, 4), 1, 0.01, [1])).toEqual([]); // stalled past the timeout
    const retry = await bus.transact(P.read(1, 20, 4), 1, 0.05, [1]);
    expect(P.readLe(retry[0].params, 0, 4, true)).toBe(300); // the stalled reply
    // Matched by id only, the next request (Max Position Limit, 4 bytes too) takes the retry's reply: 300, not 4095.
    const next = await bus.transact(P.read(1, 48, 4), 1, 0.05, [1]);
    expect(P.readLe(next[0].params, 0, 4, true)).toBe(300);
    await bus.close();
  });

  it('set-id over the bus: the write resolves, the servo answers at its new id at once and not at the old one', async () => {
    const emu = new DynamixelEmulator({ servos: defaultServos(1) });
    const { bus } = await busOn(emu);
    await bus.write(1, 7, [5]);
    expect((await bus.ping(5, 3))?.id).toBe(5);
    expect(await bus.ping(1, 1)).toBeUndefined();
    expect(await bus.readValue(5, 7, 1)).toBe(5);
    await bus.close();
  });

  it('fast sync read returns the same data as sync read; read/write reject with the status error', async () => {
    const emu = new DynamixelEmulator({ servos: defaultServos(4) });
    const { bus } = await busOn(emu);
    const a = new Uint8Array(40), b = new Uint8Array(40);
    await bus.syncRead(126, 10, [1, 2, 3, 4], a, performance.now() / 1000 + 0.1);
    const r = await bus.syncRead(126, 10, [1, 2, 3, 4], b, performance.now() / 1000 + 0.1, true);
    expect(r.ok).toBe(true);
    expect(b).toEqual(a);
    await expect(bus.write(1, 132, P.le(1, 4))).rejects.toMatchObject({ code: 'BUS_STATUS' });
    await expect(bus.read(9, 132, 4)).rejects.toMatchObject({ code: 'BUS_TIMEOUT' });
    await bus.close();
  });
});
