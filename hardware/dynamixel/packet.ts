/**
 * Dynamixel Protocol 2.0 packets, byte-exact to ROBOTIS's published specification
 * (emanual.robotis.com/docs/en/dxl/protocol2):
 *
 *   FF FF FD 00 | ID | LEN_L LEN_H | INST | PARAM ... | CRC_L CRC_H
 *
 * LEN counts INST, the (stuffed) parameters and the CRC. Byte stuffing: wherever FF FF FD occurs
 * from INST up to the last parameter, an extra FD follows it, so that the header FF FF FD 00 can
 * never appear inside a packet. The CRC (crc.ts) covers header to last parameter, after stuffing.
 * A status packet is an instruction packet with INST = 0x55 whose first parameter is the error
 * byte (bit 7: hardware alert; bits 0-6: the processing error number).
 *
 * Builders return a fresh Uint8Array (a few dozen bytes; transports may hold on to them until
 * written). Multi-byte values are little-endian, as on the wire.
 */
import { crc16 } from './crc.ts';

export const HEADER = [0xff, 0xff, 0xfd, 0x00] as const;
export const BROADCAST_ID = 0xfe;
/** Largest unicast ID (253 = 0xFD and 255 are reserved). */
export const MAX_ID = 252;

/** Instruction bytes. */
export const Inst = {
  Ping: 0x01,
  Read: 0x02,
  Write: 0x03,
  RegWrite: 0x04,
  Action: 0x05,
  FactoryReset: 0x06,
  Reboot: 0x08,
  Clear: 0x10,
  Status: 0x55,
  SyncRead: 0x82,
  SyncWrite: 0x83,
  FastSyncRead: 0x8a,
  BulkRead: 0x92,
  BulkWrite: 0x93,
} as const;
export type InstName = keyof typeof Inst;

/** Processing errors: bits 0-6 of a status packet's error byte. */
export const StatusError = {
  1: 'result fail',
  2: 'instruction error',
  3: 'CRC error',
  4: 'data range error',
  5: 'data length error',
  6: 'data limit error',
  7: 'access error',
} as Record<number, string>;
/** Bit 7 of the error byte: the servo has a hardware error (read Hardware Error Status, address 70). */
export const ALERT_BIT = 0x80;

/** A decoded packet (instruction or status), parameters unstuffed. */
export interface Packet {
  readonly id: number;
  readonly instruction: number;
  /** Status packets only: the error byte (alert bit | error number); 0 for instruction packets. */
  readonly error: number;
  /** Parameters after the error byte (status) or after the instruction (instruction packets). */
  readonly params: Uint8Array;
}

/** Inserts FD after every FF FF FD of `body` (INST..last param). Returns `body` itself when nothing needs stuffing. */
export function stuff(body: Uint8Array): Uint8Array {
  let extra = 0;
  for (let i = 2; i < body.length; i++) if (body[i] === 0xfd && body[i - 1] === 0xff && body[i - 2] === 0xff) extra++;
  if (extra === 0) return body;
  const out = new Uint8Array(body.length + extra);
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    out[o++] = body[i];
    if (i >= 2 && body[i] === 0xfd && body[i - 1] === 0xff && body[i - 2] === 0xff) out[o++] = 0xfd;
  }
  return out;
}

/** Removes the FD that stuffing added after each FF FF FD. Returns `body` itself when nothing was stuffed. */
export function unstuff(body: Uint8Array): Uint8Array {
  let extra = 0;
  for (let i = 3; i < body.length; i++) if (body[i] === 0xfd && body[i - 1] === 0xfd && body[i - 2] === 0xff && body[i - 3] === 0xff) extra++;
  if (extra === 0) return body;
  const out = new Uint8Array(body.length - extra);
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    // Skip the stuffed FD: the previous three *input* bytes are FF FF FD.
    if (i >= 3 && body[i] === 0xfd && body[i - 1] === 0xfd && body[i - 2] === 0xff && body[i - 3] === 0xff) continue;
    out[o++] = body[i];
  }
  return out;
}

/** A full packet: header, id, length, stuffed instruction + parameters, CRC. */
export function encodePacket(id: number, instruction: number, params: ArrayLike<number> = []): Uint8Array {
  const raw = new Uint8Array(1 + params.length);
  raw[0] = instruction;
  raw.set(params, 1);
  const body = stuff(raw);
  const len = body.length + 2;
  const out = new Uint8Array(7 + len);
  out.set(HEADER, 0);
  out[4] = id;
  out[5] = len & 0xff;
  out[6] = len >>> 8;
  out.set(body, 7);
  const crc = crc16(out, 0, out.length - 2);
  out[out.length - 2] = crc & 0xff;
  out[out.length - 1] = crc >>> 8;
  return out;
}

/** A status packet: INST 0x55, the error byte, then parameters. */
export function encodeStatus(id: number, error: number, params: ArrayLike<number> = []): Uint8Array {
  const p = new Uint8Array(1 + params.length);
  p[0] = error;
  p.set(params, 1);
  return encodePacket(id, Inst.Status, p);
}

// ---- little-endian helpers ----

export function le(value: number, size: 1 | 2 | 4): number[] {
  const v = value >>> 0;
  if (size === 1) return [v & 0xff];
  if (size === 2) return [v & 0xff, (v >>> 8) & 0xff];
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** Reads an unsigned (or two's-complement when `signed`) little-endian value. */
export function readLe(b: Uint8Array, off: number, size: number, signed = false): number {
  let v: number;
  if (size === 1) v = b[off];
  else if (size === 2) v = b[off] | (b[off + 1] << 8);
  else v = (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
  if (signed) {
    const bits = size * 8;
    if (bits === 32) return v | 0;
    if (v >= 1 << (bits - 1)) v -= 1 << bits;
  }
  return v;
}

export function writeLe(b: Uint8Array, off: number, size: number, value: number): void {
  const v = value >>> 0;
  b[off] = v & 0xff;
  if (size >= 2) b[off + 1] = (v >>> 8) & 0xff;
  if (size === 4) {
    b[off + 2] = (v >>> 16) & 0xff;
    b[off + 3] = (v >>> 24) & 0xff;
  }
}

// ---- instruction builders (one per instruction of the spec) ----

export const ping = (id: number) => encodePacket(id, Inst.Ping);

export const read = (id: number, address: number, length: number) => encodePacket(id, Inst.Read, [...le(address, 2), ...le(length, 2)]);

export const write = (id: number, address: number, data: ArrayLike<number>) => encodePacket(id, Inst.Write, [...le(address, 2), ...Array.from(data)]);

export const regWrite = (id: number, address: number, data: ArrayLike<number>) => encodePacket(id, Inst.RegWrite, [...le(address, 2), ...Array.from(data)]);

export const action = (id: number) => encodePacket(id, Inst.Action);

/** mode 0xFF: reset everything; 0x01: all but ID; 0x02: all but ID and baud rate. */
export const factoryReset = (id: number, mode: 0xff | 0x01 | 0x02) => encodePacket(id, Inst.FactoryReset, [mode]);

export const reboot = (id: number) => encodePacket(id, Inst.Reboot);

/** Clear multi-turn position (option 0x01) with the fixed key 'DXL' (0x44 0x58 0x4C). */
export const clearMultiTurn = (id: number) => encodePacket(id, Inst.Clear, [0x01, 0x44, 0x58, 0x4c, 0x22]);

export const syncRead = (address: number, length: number, ids: ArrayLike<number>) =>
  encodePacket(BROADCAST_ID, Inst.SyncRead, [...le(address, 2), ...le(length, 2), ...Array.from(ids)]);

export const fastSyncRead = (address: number, length: number, ids: ArrayLike<number>) =>
  encodePacket(BROADCAST_ID, Inst.FastSyncRead, [...le(address, 2), ...le(length, 2), ...Array.from(ids)]);

/** `data[i]` is `length` bytes for `ids[i]`. */
export function syncWrite(address: number, length: number, ids: ArrayLike<number>, data: readonly ArrayLike<number>[]): Uint8Array {
  const p = new Uint8Array(4 + ids.length * (1 + length));
  p.set(le(address, 2), 0);
  p.set(le(length, 2), 2);
  let o = 4;
  for (let i = 0; i < ids.length; i++) {
    p[o++] = ids[i];
    for (let k = 0; k < length; k++) p[o++] = data[i][k] ?? 0;
  }
  return encodePacket(BROADCAST_ID, Inst.SyncWrite, p);
}

export interface BulkReadItem {
  readonly id: number;
  readonly address: number;
  readonly length: number;
}
export interface BulkWriteItem {
  readonly id: number;
  readonly address: number;
  readonly data: ArrayLike<number>;
}

export const bulkRead = (items: readonly BulkReadItem[]) =>
  encodePacket(BROADCAST_ID, Inst.BulkRead, items.flatMap((it) => [it.id, ...le(it.address, 2), ...le(it.length, 2)]));

export const bulkWrite = (items: readonly BulkWriteItem[]) =>
  encodePacket(BROADCAST_ID, Inst.BulkWrite, items.flatMap((it) => [it.id, ...le(it.address, 2), ...le(it.data.length, 2), ...Array.from(it.data)]));

/**
 * The one status packet of a fast sync read (ID 0xFE): for each servo in turn ERR, ID, DATA
 * (`length` bytes), then CRC; each servo's CRC is the running CRC of the packet up to its data, and
 * the last servo's CRC is the packet's CRC. `blocks[i]` is (error, id, data).
 */
export function fastSyncReadStatus(blocks: readonly { error: number; id: number; data: ArrayLike<number> }[]): Uint8Array {
  // INST, then each servo's ERR ID DATA with its running CRC (the last one is the packet's). Not
  // stuffed: "Fast Sync Read Status Packet does not perform Byte Stuffing (0xFD)" (ROBOTIS
  // e-Manual, Protocol 2.0), each servo appending its part as it goes.
  const parts: number[] = [];
  for (let i = 0; i < blocks.length; i++) {
    parts.push(blocks[i].error, blocks[i].id, ...Array.from(blocks[i].data));
    if (i < blocks.length - 1) parts.push(0, 0); // patched below
  }
  const body = Uint8Array.from([Inst.Status, ...parts]);
  const len = body.length + 2;
  const out = new Uint8Array(7 + len);
  out.set(HEADER, 0);
  out[4] = BROADCAST_ID;
  out[5] = len & 0xff;
  out[6] = len >>> 8;
  out.set(body, 7);
  // The intermediate CRCs: the running CRC up to each block's data.
  let o = 8;
  for (let i = 0; i < blocks.length - 1; i++) {
    o += 2 + blocks[i].data.length;
    const c = crc16(out, 0, o);
    out[o] = c & 0xff;
    out[o + 1] = c >>> 8;
    o += 2;
  }
  const crc = crc16(out, 0, out.length - 2);
  out[out.length - 2] = crc & 0xff;
  out[out.length - 1] = crc >>> 8;
  return out;
}

/** Hex dump "FF FF FD 00 ..." (logs, errors, tests). */
export function hex(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

/** Parses "FF FF FD 00 ..." into bytes. */
export function fromHex(s: string): Uint8Array {
  const t = s.trim();
  return t === '' ? new Uint8Array(0) : Uint8Array.from(t.split(/\s+/), (h) => parseInt(h, 16));
}

/** Words for a status error byte: "ok", "data range error", "alert (hardware error)", ... */
export function describeStatusError(error: number): string {
  const parts: string[] = [];
  const n = error & 0x7f;
  if (n !== 0) parts.push(StatusError[n] ?? `error ${n}`);
  if (error & ALERT_BIT) parts.push('alert (hardware error)');
  return parts.length === 0 ? 'ok' : parts.join(', ');
}
