import { describe, expect, it } from 'vitest';
import * as P from '../../hardware/dynamixel/packet.ts';
import { crc16 } from '../../hardware/dynamixel/crc.ts';
import { PacketDecoder } from '../../hardware/dynamixel/PacketDecoder.ts';
import { Rng } from '../../src/core/rng.ts';

/**
 * Worked examples of the ROBOTIS Protocol 2.0 e-manual (emanual.robotis.com/docs/en/dxl/protocol2),
 * byte for byte. Each one's CRC is also recomputed below, so a mistyped fixture cannot pass.
 */
const SPEC = {
  ping: 'FF FF FD 00 01 03 00 01 19 4E',
  pingStatus: 'FF FF FD 00 01 07 00 55 00 06 04 26 65 5D', // model 1030, firmware 38
  broadcastPing: 'FF FF FD 00 FE 03 00 01 31 42',
  broadcastPingStatus2: 'FF FF FD 00 02 07 00 55 00 06 04 26 6F 6D',
  read: 'FF FF FD 00 01 07 00 02 84 00 04 00 1D 15', // id 1, Present Position (132), 4 bytes
  readStatus: 'FF FF FD 00 01 08 00 55 00 A6 00 00 00 8C C0', // 166
  write: 'FF FF FD 00 01 09 00 03 74 00 00 02 00 00 CA 89', // id 1, Goal Position (116) = 512
  writeStatus: 'FF FF FD 00 01 04 00 55 00 A1 0C',
  regWrite: 'FF FF FD 00 01 09 00 04 68 00 C8 00 00 00 AE 8E', // id 1, Goal Velocity (104) = 200
  action: 'FF FF FD 00 01 03 00 05 02 CE',
  factoryReset: 'FF FF FD 00 01 04 00 06 01 A1 E6', // all but ID
  reboot: 'FF FF FD 00 01 03 00 08 2F 4E',
  clear: 'FF FF FD 00 01 08 00 10 01 44 58 4C 22 B1 DC',
  syncRead: 'FF FF FD 00 FE 09 00 82 84 00 04 00 01 02 CE FA', // ids 1, 2, Present Position
  syncReadStatus2: 'FF FF FD 00 02 08 00 55 00 1F 08 00 00 BA BE', // 2079
  syncWrite: 'FF FF FD 00 FE 11 00 83 74 00 04 00 01 96 00 00 00 02 AA 00 00 00 82 87', // id1 150, id2 170
  bulkRead: 'FF FF FD 00 FE 0D 00 92 01 90 00 02 00 02 92 00 01 00 1A 05', // id1 voltage(144,2), id2 temp(146,1)
  bulkWrite: 'FF FF FD 00 FE 10 00 93 01 20 00 02 00 A0 00 02 1F 00 01 00 50 B7 68', // id1 32<-160 (2B), id2 31<-80 (1B)
};

describe('Protocol 2.0 packets equal the e-manual examples byte for byte', () => {
  it.each(Object.entries(SPEC))('%s: the fixture CRC and length fields check out', (_, hex) => {
    const b = P.fromHex(hex);
    expect(crc16(b, 0, b.length - 2)).toBe(b[b.length - 2] | (b[b.length - 1] << 8));
    expect(b[5] | (b[6] << 8)).toBe(b.length - 7);
  });

  it.each([
    ['ping', () => P.ping(1)],
    ['broadcastPing', () => P.ping(P.BROADCAST_ID)],
    ['read', () => P.read(1, 132, 4)],
    ['write', () => P.write(1, 116, P.le(512, 4))],
    ['regWrite', () => P.regWrite(1, 104, P.le(200, 4))],
    ['action', () => P.action(1)],
    ['factoryReset', () => P.factoryReset(1, 0x01)],
    ['reboot', () => P.reboot(1)],
    ['clear', () => P.clearMultiTurn(1)],
    ['syncRead', () => P.syncRead(132, 4, [1, 2])],
    ['syncWrite', () => P.syncWrite(116, 4, [1, 2], [P.le(150, 4), P.le(170, 4)])],
    ['bulkRead', () => P.bulkRead([{ id: 1, address: 144, length: 2 }, { id: 2, address: 146, length: 1 }])],
    ['bulkWrite', () => P.bulkWrite([{ id: 1, address: 32, data: P.le(160, 2) }, { id: 2, address: 31, data: [80] }])],
    ['pingStatus', () => P.encodeStatus(1, 0, [0x06, 0x04, 0x26])],
    ['broadcastPingStatus2', () => P.encodeStatus(2, 0, [0x06, 0x04, 0x26])],
    ['readStatus', () => P.encodeStatus(1, 0, P.le(166, 4))],
    ['writeStatus', () => P.encodeStatus(1, 0)],
    ['syncReadStatus2', () => P.encodeStatus(2, 0, P.le(2079, 4))],
  ] as const)('builds %s', (name, build) => {
    expect(P.hex(build())).toBe(SPEC[name]);
  });

  it('decodes each example back to its fields', () => {
    const got: P.Packet[] = [];
    const d = new PacketDecoder((p) => got.push(p));
    d.push(P.fromHex(SPEC.readStatus));
    d.push(P.fromHex(SPEC.syncWrite));
    expect(got[0]).toMatchObject({ id: 1, instruction: 0x55, error: 0 });
    expect(P.readLe(got[0].params, 0, 4)).toBe(166);
    expect(got[1]).toMatchObject({ id: 0xfe, instruction: 0x83 });
    expect(P.hex(got[1].params)).toBe('74 00 04 00 01 96 00 00 00 02 AA 00 00 00');
  });

  it('fast sync read: one status from id 0xFE with ERR ID DATA CRC per servo, the last CRC being the packet CRC', () => {
    expect(P.hex(P.fastSyncRead(132, 4, [3, 7])).startsWith('FF FF FD 00 FE 09 00 8A 84 00 04 00 03 07')).toBe(true);
    const st = P.fastSyncReadStatus([{ error: 0, id: 3, data: P.le(166, 4) }, { error: 0x80, id: 7, data: P.le(2079, 4) }]);
    const got: P.Packet[] = [];
    new PacketDecoder((p) => got.push(p)).push(st);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ id: 0xfe, instruction: 0x55, error: 0 });
    // params: ID1 DATA1(4) CRC1(2) ERR2 ID2 DATA2(4)
    expect(got[0].params[0]).toBe(3);
    expect(P.readLe(got[0].params, 1, 4)).toBe(166);
    expect(got[0].params[7]).toBe(0x80);
    expect(got[0].params[8]).toBe(7);
    expect(P.readLe(got[0].params, 9, 4)).toBe(2079);
    // the intermediate CRC is the running CRC of the packet up to servo 3's data
    expect(P.readLe(st, 14, 2)).toBe(crc16(st, 0, 14));
  });

  it('fast sync read replies are not stuffed (the e-Manual: "does not perform Byte Stuffing"): data holding FF FF FD reads back whole', () => {
    // present current −1 (FF FF) then velocity −515 (FD FD FF FF): FF FF FD would be stuffed in any other packet
    const data = Uint8Array.from([0xff, 0xff, 0xfd, 0xfd, 0xff, 0xff]);
    const st = P.fastSyncReadStatus([{ error: 0, id: 1, data }, { error: 0, id: 2, data: Uint8Array.from([0, 8, 0, 0, 0, 0]) }]);
    expect(st.length).toBe(7 + 1 + (2 + 6 + 2) + (2 + 6) + 2); // INST, ERR ID DATA CRC, ERR ID DATA, CRC: no stuffing byte added
    expect(P.hex(st.subarray(10, 16))).toBe('FF FF FD FD FF FF');
    const got: P.Packet[] = [];
    new PacketDecoder((p) => got.push(p)).push(st);
    expect(got).toHaveLength(1);
    expect(P.readLe(got[0].params, 1, 2, true)).toBe(-1);
    expect(P.readLe(got[0].params, 3, 4, true)).toBe(P.readLe(Uint8Array.from([0xfd, 0xfd, 0xff, 0xff]), 0, 4, true));
    expect(got[0].params[10]).toBe(2); // the second servo's id where it belongs
    // any other packet with FF FF FD in its parameters is still stuffed and unstuffed
    const w = P.encodeStatus(5, 0, data);
    const back: P.Packet[] = [];
    new PacketDecoder((p) => back.push(p)).push(w);
    expect(P.hex(back[0].params)).toBe('FF FF FD FD FF FF');
    expect(w.length).toBe(7 + 2 + 6 + 1 + 2); // one stuffing byte
  });

  it('reads and writes signed little-endian values', () => {
    const b = new Uint8Array(4);
    P.writeLe(b, 0, 4, -5);
    expect(P.readLe(b, 0, 4, true)).toBe(-5);
    P.writeLe(b, 0, 2, -300);
    expect(P.readLe(b, 0, 2, true)).toBe(-300);
    expect(P.describeStatusError(0x84)).toBe('data range error, alert (hardware error)');
  });
});

describe('byte stuffing', () => {
  it('adds FD after FF FF FD and length counts the stuffed bytes', () => {
    const pkt = P.write(1, 116, [0xff, 0xff, 0xfd, 0x00]);
    expect(P.hex(pkt.subarray(7, pkt.length - 2))).toBe('03 74 00 FF FF FD FD 00');
    expect(pkt[5]).toBe(pkt.length - 7);
    expect(P.stuff(Uint8Array.of(1, 2, 3))).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('round-trips random bodies rich in FF and FD (200 seeds)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rng = new Rng(seed);
      const n = 1 + rng.int(60);
      const body = Uint8Array.from({ length: n }, () => [0xff, 0xfd, 0x00, rng.int(256)][rng.int(4)]);
      const s = P.stuff(body);
      for (let i = 0; i + 3 < s.length; i++) expect(s[i] === 0xff && s[i + 1] === 0xff && s[i + 2] === 0xfd && s[i + 3] === 0x00).toBe(false);
      expect(P.unstuff(s)).toEqual(body);
    }
  });
});

describe('streaming decoder', () => {
  it('survives random garbage, fake headers, corrupted copies and arbitrary splits (300 seeds)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rng = new Rng(seed);
      const sent: Uint8Array[] = [];
      const stream: number[] = [];
      for (let k = 0; k < 12; k++) {
        const r = rng.int(5);
        if (r === 0) for (let g = rng.int(30); g > 0; g--) stream.push(rng.int(256)); // noise
        if (r === 1) stream.push(0xff, 0xff, 0xfd, 0x00, rng.int(256), rng.int(256), rng.int(3)); // fake header
        const params = Array.from({ length: rng.int(20) }, () => [0xff, 0xfd, rng.int(256)][rng.int(3)]);
        const pkt = P.encodeStatus(1 + rng.int(252), rng.int(2) ? 0 : 0x80, params);
        if (r === 2) {
          const bad = pkt.slice();
          bad[7 + rng.int(bad.length - 7)] ^= 1 + rng.int(255); // corrupted copy: dropped, not delivered
          stream.push(...bad);
        }
        if (r === 3) stream.push(...pkt.subarray(0, 1 + rng.int(pkt.length - 1))); // torn packet
        sent.push(pkt);
        stream.push(...pkt);
      }
      for (let i = 0; i < 800; i++) stream.push(0); // flush whatever a fake header claimed
      const got: string[] = [];
      const d = new PacketDecoder((p) => got.push(P.hex(P.encodeStatus(p.id, p.error, p.params))));
      const bytes = Uint8Array.from(stream);
      for (let o = 0; o < bytes.length; ) {
        const n = 1 + rng.int(40);
        d.push(bytes.subarray(o, o + n));
        o += n;
      }
      expect(got, `seed ${seed}`).toEqual(sent.map((s) => P.hex(s)));
    }
  });

  it('counts CRC errors and garbage', () => {
    const d = new PacketDecoder(() => {});
    const bad = P.ping(1);
    bad[bad.length - 1] ^= 0xff;
    d.push(Uint8Array.of(1, 2, 3));
    d.push(bad);
    expect(d.stats.crcErrors).toBe(1);
    expect(d.stats.garbageBytes).toBeGreaterThanOrEqual(3);
  });
});
