import { describe, expect, it } from 'vitest';
import * as F from '../../hardware/feetech/packet.ts';
import { FeetechPacketDecoder } from '../../hardware/feetech/PacketDecoder.ts';
import { FeetechBus } from '../../hardware/feetech/FeetechBus.ts';
import { FEETECH_PRESENT_BLOCK, STS_TABLE, feetechItem, stsRadToTicks } from '../../hardware/feetech/controlTable.ts';
import { FeetechEmulator, defaultStsServos } from '../../hardware/emulator/FeetechEmulator.ts';
import { MemoryTransport, memoryPair } from '../../hardware/transport/MemoryTransport.ts';
import type { TransportHandlers } from '../../hardware/transport/Transport.ts';

/** An emulator on virtual time and a function that sends it bytes and decodes what comes back. */
function rig(n = 3, lineBaud = 1_000_000) {
  const clock = { t: 0 };
  const emu = new FeetechEmulator({ servos: defaultStsServos(n), now: () => clock.t });
  const ask = (pkt: Uint8Array) => {
    const inst: F.FeetechPacket[] = [];
    new FeetechPacketDecoder((p) => inst.push(p)).push(pkt);
    const replies: F.FeetechPacket[] = [];
    for (const p of inst) for (const r of emu.handle(p, lineBaud)) new FeetechPacketDecoder((q) => replies.push(q)).push(r.bytes);
    return replies;
  };
  return { clock, emu, ask };
}

async function busOn(emu: FeetechEmulator, baud = 1_000_000) {
  const [host, dev] = memoryPair('emu-test', baud);
  await dev.open();
  emu.attach(dev);
  const bus = new FeetechBus(host);
  await bus.open();
  return bus;
}

describe('STS3215 control table', () => {
  it('has every item once, without overlaps, with the addresses of the issue and LeRobot', () => {
    const sorted = [...STS_TABLE].sort((a, b) => a.address - b.address);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].address).toBeGreaterThanOrEqual(sorted[i - 1].address + sorted[i - 1].size);
    const at = (n: Parameters<typeof feetechItem>[0]) => feetechItem(n).address;
    expect([at('torque_enable'), at('goal_position'), at('goal_velocity'), at('lock'), at('present_position'), at('present_velocity'), at('present_load'), at('present_voltage'), at('present_temperature'), at('present_current'), at('homing_offset'), at('operating_mode'), at('return_delay_time'), at('baud_rate'), at('model_number')])
      .toEqual([40, 42, 46, 55, 56, 58, 60, 62, 63, 69, 31, 33, 7, 6, 3]);
    expect(feetechItem('homing_offset').signBit).toBe(11);
    expect(feetechItem('present_velocity').signBit).toBe(15);
    expect(feetechItem('model_number').initial).toBe(777);
  });
});

describe('Feetech emulator answers as STS3215 servos do', () => {
  it('ping, read of the model number (777), write, response status level 0', () => {
    const { emu, ask } = rig(3);
    expect(F.hex(F.encodeStatus(1, 0))).toBe('FF FF 01 02 00 FC');
    expect(ask(F.ping(1)).map((r) => [r.id, r.code])).toEqual([[1, 0]]);
    expect(ask(F.ping(F.BROADCAST_ID)).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(ask(F.ping(9))).toEqual([]);
    expect(F.readLe(ask(F.read(2, 3, 2))[0].params, 0, 2)).toBe(777);
    expect(F.readLe(ask(F.read(2, 56, 2))[0].params, 0, 2)).toBe(2048);
    expect(ask(F.write(1, 41, [20]))).toHaveLength(1);
    expect(emu.servo(1).mem[41]).toBe(20);
    expect(ask(F.write(F.BROADCAST_ID, 41, [30]))).toEqual([]); // broadcast: no reply
    expect(emu.servo(3).mem[41]).toBe(30);
    ask(F.write(2, 8, [0]));
    expect(ask(F.write(2, 41, [5]))).toEqual([]);
    expect(ask(F.read(2, 41, 1))).toHaveLength(1);
    expect(ask(F.read(2, 120, 20))).toEqual([]); // past the table: no reply
  });

  it('sync read answers in the order listed, only for servos that exist; sync write applies', () => {
    const { emu, ask } = rig(3);
    expect(ask(F.syncRead(56, 8, [3, 1, 9])).map((r) => [r.id, r.params.length])).toEqual([[3, 8], [1, 8]]);
    ask(F.syncWrite(42, 2, [1, 3], [F.le(1000, 2), F.le(3000, 2)]));
    expect([1, 2, 3].map((id) => emu.servo(id).get('goal_position'))).toEqual([1000, 2048, 3000]);
    ask(F.regWrite(2, 41, [9]));
    expect(emu.servo(2).mem[41]).toBe(0);
    ask(F.action());
    expect(emu.servo(2).mem[41]).toBe(9);
  });

  it('homing offset (sign bit 11) moves the present position; torque enable 128 centers it', () => {
    const { emu, ask } = rig(1);
    const s = emu.servo(1);
    ask(F.write(1, 31, F.le(F.encodeSignMagnitude(-100, 11), 2)));
    expect(F.readLe(ask(F.read(1, 56, 2))[0].params, 0, 2)).toBe(2148); // present = encoder - offset
    ask(F.write(1, 31, F.le(F.encodeSignMagnitude(300, 11), 2)));
    expect(F.readLe(ask(F.read(1, 56, 2))[0].params, 0, 2)).toBe(1748);
    s.pos += 0.5; // the joint was moved by hand
    ask(F.write(1, 40, [128]));
    expect(F.readLe(ask(F.read(1, 56, 2))[0].params, 0, 2)).toBe(2048);
    expect(s.get('homing_offset')).toBe(Math.round(0.5 / (2 * Math.PI / 4096)));
  });

  it('EPROM writes with Lock 1 are lost at a power cycle; with Lock 0 they are saved', () => {
    const { emu, ask } = rig(1);
    ask(F.write(1, 5, [7])); // lock is 1 from the factory
    expect(ask(F.ping(7)).map((r) => r.id)).toEqual([7]);
    emu.powerCycle();
    expect(ask(F.ping(7))).toEqual([]);
    expect(ask(F.ping(1))).toHaveLength(1);
    ask(F.write(1, 55, [0]));
    ask(F.write(1, 5, [7]));
    ask(F.write(7, 55, [1]));
    emu.powerCycle();
    expect(ask(F.ping(7))).toHaveLength(1);
  });

  it('a servo set to 57600 does not hear a 1 Mbps link, and answers at 57600', () => {
    const { emu, ask } = rig(2, 1_000_000);
    ask(F.write(1, 6, [6])); // baud code 6 = 57600 (Feetech's table)
    expect(ask(F.ping(F.BROADCAST_ID)).map((r) => r.id)).toEqual([2]);
    expect(emu.stats.baudMismatches).toBeGreaterThan(0);
    const slow = rig(0, 57_600);
    expect(slow.ask(F.ping(1))).toEqual([]);
  });

  it('moves to a goal with a first-order response, at most at Goal Speed; coasts or follows a hand with torque off', () => {
    const { clock, emu, ask } = rig(1);
    const s = emu.servo(1);
    ask(F.write(1, 40, [1]));
    ask(F.write(1, 42, F.le(stsRadToTicks(1), 2)));
    clock.t = 0.05;
    emu.advance();
    expect(s.angle).toBeGreaterThan(0.01);
    expect(s.angle).toBeLessThan(1);
    clock.t = 2;
    emu.advance();
    expect(s.angle).toBeCloseTo(1, 2);
    ask(F.write(1, 46, F.le(200, 2))); // 200 ticks/s = 0.31 rad/s
    ask(F.write(1, 42, F.le(stsRadToTicks(0), 2)));
    clock.t = 3;
    emu.advance();
    expect(s.angle).toBeGreaterThan(0.6);
    expect(Math.abs(F.decodeSignMagnitude(F.readLe(s.mem, 58, 2), 15))).toBeLessThanOrEqual(205);
    ask(F.write(1, 40, [0]));
    s.hand = (t) => 0.2 * t;
    clock.t = 4;
    emu.advance();
    expect(s.angle).toBeCloseTo(0.8, 2);
  });

  it('with an acceleration set, brakes to stop at the goal, not past it, in about the trapezoid time of Feetech\'s WritePos example', () => {
    // Checked against Feetech's own Linux SDK (docs/feetech.md): WritePosEx(1, 2548, 1500, 50) from
    // 2048 went 202 ticks past its goal and took 2.4 s to settle, where the example's timing formula
    // (distance/speed + speed/acceleration) gives 0.63 s with no overshoot. SO-101's acceleration 254 too.
    for (const [step, acc, speed] of [[500, 50, 1500], [500, 254, 0], [260, 254, 0], [100, 254, 0]] as const) {
      const { clock, emu, ask } = rig(1);
      const s = emu.servo(1);
      ask(F.write(1, 40, [1]));
      const goal = 2048 + step;
      ask(F.write(1, 41, [acc, ...F.le(goal, 2), 0, 0, ...F.le(speed, 2)]));
      let peak = 2048;
      let arrived = NaN;
      for (let k = 1; k <= 3000; k++) {
        clock.t = k / 1000;
        emu.advance();
        s.refresh(clock.t);
        const p = F.readLe(s.mem, 56, 2);
        peak = Math.max(peak, p);
        if (Number.isNaN(arrived) && p >= goal - 2) arrived = clock.t;
      }
      const v = speed > 0 ? speed : 3070; // ticks/s: the goal speed, else the servo's top speed
      const a = acc * 100; // ticks/s² (8.7°/s² per unit)
      const trapezoid = step >= (v * v) / a ? step / v + v / a : 2 * Math.sqrt(step / a);
      expect(peak - goal, `step ${step}, acceleration ${acc}: overshoot`).toBeLessThanOrEqual(2);
      expect(arrived / trapezoid, `step ${step}, acceleration ${acc}: time to arrive against the trapezoid's`).toBeGreaterThan(0.8);
      expect(arrived / trapezoid).toBeLessThan(1.3);
    }
  });

  it('there is no bus watchdog: silence leaves the last goal in force', () => {
    const { clock, emu, ask } = rig(1);
    ask(F.write(1, 40, [1]));
    ask(F.write(1, 42, F.le(stsRadToTicks(0.5), 2)));
    clock.t = 5; // the host went quiet
    emu.advance();
    expect(emu.servo(1).angle).toBeCloseTo(0.5, 2);
    expect(emu.servo(1).torqueOn).toBe(true);
  });
});

/** A one-wire half-duplex adapter that hands back what the host transmits, before the servo's reply. */
class EchoingAdapter extends MemoryTransport {
  private _handlers: TransportHandlers = {};
  override on(h: TransportHandlers): void {
    this._handlers = h;
    super.on(h);
  }
  override write(bytes: Uint8Array): void {
    super.write(bytes);
    const echo = bytes.slice();
    setImmediate(() => this._handlers.data?.(echo));
  }
}

describe('FeetechBus against the emulator', () => {
  it('on an adapter that echoes its transmit line, reads the servo and not its own request (Feetech\'s Linux SDK, flushing before each write, would read the echo)', async () => {
    const emu = new FeetechEmulator({ servos: [{ id: 1, position: 0.5 }, { id: 2, position: -0.3 }] });
    const plain = await busOn(emu);
    const truth = await plain.read(1, 56, 2);
    await plain.close();
    const host = new EchoingAdapter('echo');
    const dev = new MemoryTransport('dev');
    host.peer = dev;
    dev.peer = host;
    await dev.open();
    emu.attach(dev);
    const bus = new FeetechBus(host);
    await bus.open();
    // Before: the read returned its own address and length (38 02), and an absent id answered its ping.
    expect(F.hex(await bus.read(1, 56, 2))).toBe(F.hex(truth));
    expect(await bus.ping(9, 1)).toBeUndefined();
    const out = new Uint8Array(4);
    expect((await bus.syncRead(56, 2, [1, 2], out, performance.now() / 1000 + 0.1)).ok).toBe(true);
    expect(bus.stats.echoes).toBeGreaterThanOrEqual(2);
    await bus.close();
  });

  it('scan finds exactly the emulated ids with model 777; identify reads model and firmware', async () => {
    const emu = new FeetechEmulator({ servos: [{ id: 3 }, { id: 7 }, { id: 12 }] });
    const bus = await busOn(emu);
    const found = await bus.scan(Array.from({ length: 20 }, (_, i) => i));
    expect(found.map((p) => [p.id, p.model, p.modelName, p.firmware])).toEqual([[3, 777, 'STS3215', '3.10'], [7, 777, 'STS3215', '3.10'], [12, 777, 'STS3215', '3.10']]);
    expect(await bus.ping(4, 1)).toBeUndefined();
    await expect(bus.read(9, 56, 2)).rejects.toMatchObject({ code: 'BUS_TIMEOUT' });
    await bus.close();
  });

  it('finds nothing at 1 Mbps on servos set to 57600, and finds them at 57600', async () => {
    const servos = defaultStsServos(6).map((s) => ({ ...s, table: { baud_rate: 6 } }));
    const fast = await busOn(new FeetechEmulator({ servos }), 1_000_000);
    expect(await fast.scan([1, 2, 3, 4, 5, 6])).toEqual([]);
    await fast.close();
    const slow = await busOn(new FeetechEmulator({ servos }), 57_600);
    expect((await slow.scan([1, 2, 3, 4, 5, 6])).map((s) => s.id)).toEqual([1, 2, 3, 4, 5, 6]);
    await slow.close();
  });

  it('sync read retries lost and corrupted replies within the deadline, and reports the missing', async () => {
    const emu = new FeetechEmulator({ servos: defaultStsServos(6), lossRate: 0.2, corruptRate: 0.2, seed: 3 });
    const bus = await busOn(emu);
    const out = new Uint8Array(6 * FEETECH_PRESENT_BLOCK.length);
    let ok = 0;
    for (let i = 0; i < 40; i++) {
      const r = await bus.syncRead(FEETECH_PRESENT_BLOCK.address, FEETECH_PRESENT_BLOCK.length, [1, 2, 3, 4, 5, 6], out, performance.now() / 1000 + 0.2);
      if (r.ok) ok++;
    }
    expect(ok).toBe(40);
    expect(bus.stats.retries).toBeGreaterThan(0);
    expect(bus.decoder.stats.crcErrors + bus.stats.timeouts).toBeGreaterThan(0);
    for (let i = 0; i < 6; i++) expect(F.readLe(out, i * 6, 2)).toBe(2048);
    emu.lossRate = 1;
    const r = await bus.syncRead(56, 2, [1, 2], out, performance.now() / 1000 + 0.03);
    expect(r).toMatchObject({ ok: false, missing: [1, 2] });
    await bus.close();
  });

  it('a fault bit comes back as an alert on every reply; Return Delay Time delays the reply', async () => {
    const emu = new FeetechEmulator({ servos: defaultStsServos(2) });
    const bus = await busOn(emu);
    emu.injectFault(2, F.StatusBit.overload);
    const out = new Uint8Array(4);
    const r = await bus.syncRead(56, 2, [1, 2], out, performance.now() / 1000 + 0.5);
    expect(r).toMatchObject({ ok: true, alerts: [2] });
    await bus.write(1, 7, [250]); // 500 µs
    const t0 = performance.now();
    expect(await bus.ping(1)).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(0.4);
    await bus.close();
  });
});
