import { describe, expect, it } from 'vitest';
import * as F from '../../hardware/feetech/packet.ts';
import { FeetechPacketDecoder } from '../../hardware/feetech/PacketDecoder.ts';
import { Rng } from '../../src/core/rng.ts';

/**
 * The worked examples of Feetech's serial bus servo communication protocol manual (FT-SCS protocol,
 * V1.01, "Serial Bus Smart Control Servo Communication Protocol Manual", §4 Instruction types;
 * English edition e.g. wiki.juxitech.com/en/tutorials/accessories/feetech), byte for byte. Each
 * fixture's checksum and length field are also recomputed, so a mistyped fixture cannot pass.
 */
const MANUAL = {
  // Example 1 (§4.1 PING): id 1, and its reply (status 0).
  ping: 'FF FF 01 02 01 FB',
  pingReply: 'FF FF 01 02 00 FC',
  // Example 2 (§4.2 READ): id 1, present position (0x38), 2 bytes; reply 0x0518 = 1304.
  read: 'FF FF 01 04 02 38 02 BE',
  readReply: 'FF FF 01 04 00 18 05 DD',
  // Example 3 (§4.3 WRITE): broadcast, ID (address 5) := 1.
  writeId: 'FF FF FE 04 03 05 01 F4',
  // Example 4 (§4.3 WRITE): id 1, from 0x2A: position 2048, time 0, speed 1000.
  writeGoal: 'FF FF 01 09 03 2A 00 08 00 00 E8 03 D5',
  // Example 5 (§4.4 REG WRITE): the same goal for ids 1 and 10, and id 10's reply.
  regWrite1: 'FF FF 01 09 04 2A 00 08 00 00 E8 03 D4',
  regWrite10: 'FF FF 0A 09 04 2A 00 08 00 00 E8 03 CB',
  regWriteReply10: 'FF FF 0A 02 00 F3',
  // Example 6 (§4.5 ACTION): broadcast.
  action: 'FF FF FE 02 05 FA',
  // Example 7 (§4.6 SYNC WRITE): ids 1-4, from 0x2A, 6 bytes each (position 2048, time 0, speed 1000).
  syncWrite: 'FF FF FE 20 83 2A 06 01 00 08 00 00 E8 03 02 00 08 00 00 E8 03 03 00 08 00 00 E8 03 04 00 08 00 00 E8 03 58',
  // Example 8 (§4.7 SYNC READ): ids 1, 2, from 0x38, 8 bytes (position, speed, load, voltage, temperature), and the two replies.
  syncRead: 'FF FF FE 06 82 38 08 01 02 36',
  syncReadReply1: 'FF FF 01 0A 00 00 08 00 00 00 00 79 1E 55',
  syncReadReply2: 'FF FF 02 0A 00 FF 07 00 00 00 00 77 23 53',
  // Example 13 (§4.12 restart).
  reboot: 'FF FF 01 02 08 F4',
};

describe('Feetech packets equal the protocol manual examples byte for byte', () => {
  it.each(Object.entries(MANUAL))('%s: the fixture checksum and length field check out', (_, h) => {
    const b = F.fromHex(h);
    expect(F.checksum(b, 2, b.length - 1)).toBe(b[b.length - 1]);
    expect(b[3]).toBe(b.length - 4);
  });

  it.each([
    ['ping', () => F.ping(1)],
    ['pingReply', () => F.encodeStatus(1, 0)],
    ['read', () => F.read(1, 0x38, 2)],
    ['readReply', () => F.encodeStatus(1, 0, F.le(1304, 2))],
    ['writeId', () => F.write(F.BROADCAST_ID, 5, [1])],
    ['writeGoal', () => F.write(1, 0x2a, [...F.le(2048, 2), ...F.le(0, 2), ...F.le(1000, 2)])],
    ['regWrite1', () => F.regWrite(1, 0x2a, [...F.le(2048, 2), 0, 0, ...F.le(1000, 2)])],
    ['regWrite10', () => F.regWrite(10, 0x2a, [...F.le(2048, 2), 0, 0, ...F.le(1000, 2)])],
    ['regWriteReply10', () => F.encodeStatus(10, 0)],
    ['action', () => F.action()],
    ['syncWrite', () => F.syncWrite(0x2a, 6, [1, 2, 3, 4], Array.from({ length: 4 }, () => [...F.le(2048, 2), 0, 0, ...F.le(1000, 2)]))],
    ['syncRead', () => F.syncRead(0x38, 8, [1, 2])],
    ['syncReadReply1', () => F.encodeStatus(1, 0, [...F.le(2048, 2), 0, 0, 0, 0, 121, 30])],
    ['syncReadReply2', () => F.encodeStatus(2, 0, [...F.le(2047, 2), 0, 0, 0, 0, 119, 35])],
    ['reboot', () => F.reboot(1)],
  ] as const)('builds %s', (name, build) => {
    expect(F.hex(build())).toBe(MANUAL[name]);
  });

  it('a flat sync write buffer gives the same bytes as rows', () => {
    const flat = new Uint8Array(24);
    for (let i = 0; i < 4; i++) flat.set([0, 8, 0, 0, 0xe8, 3], i * 6);
    expect(F.hex(F.syncWrite(0x2a, 6, [1, 2, 3, 4], flat))).toBe(MANUAL.syncWrite);
  });

  it('decodes the manual replies, e.g. present position 1304', () => {
    const got: F.FeetechPacket[] = [];
    const d = new FeetechPacketDecoder((p) => got.push(p));
    d.push(F.fromHex(`${MANUAL.readReply} ${MANUAL.syncReadReply1} ${MANUAL.syncReadReply2}`));
    expect(got.map((p) => [p.id, p.code, F.readLe(p.params, 0, 2)])).toEqual([[1, 0, 1304], [1, 0, 2048], [2, 0, 2047]]);
    expect(got[1].params[6] * 0.1).toBeCloseTo(12.1, 9); // voltage 0x79
    expect(got[1].params[7]).toBe(30); // temperature 0x1E
  });
});

describe('sign-magnitude values', () => {
  it('bit 15 for speeds, bit 11 for the homing offset, bit 10 for the load', () => {
    expect(F.encodeSignMagnitude(-1000, 15)).toBe(0x83e8);
    expect(F.decodeSignMagnitude(0x83e8, 15)).toBe(-1000);
    expect(F.encodeSignMagnitude(-2047, 11)).toBe(0x0fff);
    expect(F.decodeSignMagnitude(0x0800 | 100, 11)).toBe(-100);
    expect(F.decodeSignMagnitude(100, 11)).toBe(100);
    expect(F.decodeSignMagnitude(0x0400 | 500, 10)).toBe(-500);
    expect(F.encodeSignMagnitude(5000, 11)).toBe(2047); // clamped to the field
    expect(F.encodeSignMagnitude(-0, 15)).toBe(0);
    for (const v of [-2047, -1, 0, 1, 777, 2047]) expect(F.decodeSignMagnitude(F.encodeSignMagnitude(v, 11), 11)).toBe(v);
  });

  it('status bytes in words', () => {
    expect(F.describeStatus(0)).toBe('ok');
    expect(F.describeStatus(F.StatusBit.overload | F.StatusBit.overheat)).toBe('overheat, overload');
  });
});

describe('the decoder resynchronises (no byte stuffing in this protocol)', () => {
  const collect = () => {
    const got: F.FeetechPacket[] = [];
    const d = new FeetechPacketDecoder((p) => got.push(p));
    return { got, d };
  };

  it('byte by byte, after noise, with FF FF inside the data and FF FF FF before a header', () => {
    const { got, d } = collect();
    const a = F.encodeStatus(3, 0, [0xff, 0xff, 0xff, 0x10]); // FF FF inside the data
    const b = F.ping(7);
    const stream = Uint8Array.from([0x00, 0x13, 0xff, ...a, 0xff, ...b]);
    for (const x of stream) d.push(Uint8Array.of(x));
    expect(got.map((p) => [p.id, F.hex(p.params)])).toEqual([[3, 'FF FF FF 10'], [7, '']]);
    expect(d.stats.garbageBytes).toBeGreaterThanOrEqual(3);
  });

  it('a corrupted length byte (announcing 200 bytes) does not swallow the good packets behind it', () => {
    const { got, d } = collect();
    const bad = F.encodeStatus(1, 0, [0x00, 0x08]);
    bad[3] = 200;
    const good = [F.encodeStatus(2, 0, [1, 2]), F.encodeStatus(3, 0, [3, 4])];
    d.push(Uint8Array.from([...bad, ...good[0], ...good[1]]));
    expect(got.map((p) => p.id)).toEqual([2, 3]);
    expect(d.stats.resyncs).toBe(1);
  });

  it('a flipped bit costs only the packet it hit (random streams)', () => {
    const rng = new Rng(7);
    let delivered = 0, sent = 0, bad = 0;
    for (let trial = 0; trial < 300; trial++) {
      const { got, d } = collect();
      const pkts = Array.from({ length: 5 }, (_, i) => F.encodeStatus(i + 1, 0, Array.from({ length: rng.int(8) }, () => (rng.next() < 0.3 ? 0xff : rng.int(256)))));
      const hit = rng.int(5);
      const p = pkts[hit].slice();
      p[2 + rng.int(p.length - 2)] ^= 1 << rng.int(8);
      pkts[hit] = p;
      const all = Uint8Array.from(pkts.flatMap((x) => Array.from(x)));
      let o = 0;
      while (o < all.length) {
        const n = 1 + rng.int(6);
        d.push(all.subarray(o, o + n));
        o += n;
      }
      sent += 4;
      const ids = got.map((x) => x.id);
      for (let i = 1; i <= 5; i++) if (i !== hit + 1 && ids.includes(i)) delivered++;
      if (ids.some((x) => x < 1 || x > 5)) bad++;
    }
    // Every untouched packet arrives unless the damaged one announced a length that spans it and
    // nothing complete followed (then the next transaction's reset clears it): rare.
    expect(delivered / sent).toBeGreaterThan(0.97);
    expect(bad).toBe(0);
  });
});
