/**
 * Replies that arrive after their request timed out are counted (BusStats `late`, `stale`) and a
 * configure-time call that fails meanwhile says so: "N valid replies arrived after their request
 * had timed out ... raise reply_timeout_ms", not "nothing arrived at all: check power, the id and
 * the baud rate" (review R25 F5: a connect behind an adapter 35 ms slow sent the operator to the
 * wiring). The servos here answer every request three requests late: the link passes each request
 * to the emulator at once and holds its reply (real bytes, real checksum / CRC) until the host has
 * sent three more, so nothing depends on timing.
 */
import { describe, expect, it } from 'vitest';
import type { Transport, TransportHandlers } from '../../hardware/transport/Transport.ts';
import { FeetechEmulator, defaultStsServos } from '../../hardware/emulator/FeetechEmulator.ts';
import { DynamixelEmulator } from '../../hardware/emulator/DynamixelEmulator.ts';
import { FeetechPacketDecoder } from '../../hardware/feetech/PacketDecoder.ts';
import { PacketDecoder } from '../../hardware/dynamixel/PacketDecoder.ts';
import { FeetechBus } from '../../hardware/feetech/FeetechBus.ts';
import { DynamixelBus } from '../../hardware/dynamixel/DynamixelBus.ts';
import { describeNoReply } from '../../hardware/transport/TransactionBus.ts';
import type { FeetechPacket } from '../../hardware/feetech/packet.ts';
import type { Packet } from '../../hardware/dynamixel/packet.ts';

/** A link whose servos answer `lag` requests late: the replies to request k arrive as request k + lag is sent. */
class LateLink<P> implements Transport {
  readonly name = 'late://';
  readonly baud = 1_000_000;
  isOpen = false;
  private _h: TransportHandlers = {};
  private readonly _held: { at: number; bytes: Uint8Array }[] = [];
  private _sent = 0;
  private readonly _decoder: { push(c: Uint8Array): void };

  constructor(serve: (packet: P) => Uint8Array[], makeDecoder: (take: (p: P) => void) => { push(c: Uint8Array): void }, private readonly lag = 3) {
    this._decoder = makeDecoder((p) => {
      for (const bytes of serve(p)) this._held.push({ at: this._sent, bytes });
    });
  }
  async open() {
    this.isOpen = true;
  }
  async close() {
    this.isOpen = false;
  }
  on(h: TransportHandlers) {
    this._h = h;
  }
  write(bytes: Uint8Array): void {
    this._sent++;
    this._decoder.push(bytes);
    while (this._held.length > 0 && this._held[0].at <= this._sent - this.lag) this._h.data?.(this._held.shift()!.bytes);
  }
}

describe('late replies: counted, and said as late when a call fails', () => {
  it('Feetech: a read that fails while the replies to the read before it arrive -> "3 valid replies arrived after their request had timed out"', async () => {
    const emu = new FeetechEmulator({ servos: defaultStsServos(1) });
    const bus = new FeetechBus(new LateLink<FeetechPacket>((p) => emu.handle(p).map((r) => r.bytes), (take) => new FeetechPacketDecoder(take)));
    await bus.open();
    // Nothing arrives during the first read: said as such.
    const first = await bus.read(1, 0, 5).catch((e) => e);
    expect(first.message).toMatch(/nothing arrived at all/);
    // Its three replies arrive during the next read (another length: not this read's answer).
    const err = await bus.read(1, 9, 25).catch((e) => e);
    expect(err.code).toBe('BUS_TIMEOUT');
    // Before: "no reply after 3 attempts (nothing arrived at all: check power, the id and the baud rate)".
    expect(err.message).toMatch(/no reply after 3 attempts \(3 valid replies arrived after their request had timed out: the servos answer, slower than the reply timeout; raise reply_timeout_ms in the config \(or latency_timer_ms, a USB adapter's latency timer\)\)/);
    expect(err.message).not.toMatch(/nothing arrived/);
    expect(bus.stats.stale).toBe(3);
    await bus.close();
  });

  it('Dynamixel: the same through the shared TransactionBus; a reply with nobody waiting counts as late', async () => {
    const emu = new DynamixelEmulator({ servos: [{ id: 1, model: 'XM430-W350' }] });
    const bus = new DynamixelBus(new LateLink<Packet>((p) => emu.handle(p), (take) => new PacketDecoder(take)));
    await bus.open();
    await bus.read(1, 0, 2).catch(() => {});
    const err = await bus.read(1, 64, 1).catch((e) => e);
    expect(err.message).toMatch(/\(3 valid replies arrived after their request had timed out: .*raise reply_timeout_ms/);
    // A sync write has no waiter: the three replies of the second read arrive with nobody asking.
    await bus.syncWrite(65, 1, [1], Uint8Array.of(0));
    await bus.syncWrite(65, 1, [1], Uint8Array.of(0));
    await bus.syncWrite(65, 1, [1], Uint8Array.of(0));
    expect(bus.stats.late).toBe(3);
    await bus.close();
  });

  it('describeNoReply: late replies with noise are both said', () => {
    expect(describeNoReply({ crcErrors: 0, garbageBytes: 0, late: 0 }, 'CRC')).toBe('nothing arrived at all: check power, the id and the baud rate');
    expect(describeNoReply({ crcErrors: 1, garbageBytes: 12, late: 1 }, 'CRC')).toMatch(/^1 reply with a bad CRC .* arrived: noise or wiring.*; also 1 valid reply arrived after its? request had timed out/);
  });
});
