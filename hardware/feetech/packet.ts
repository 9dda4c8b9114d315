/**
 * Feetech SCS/SMS/STS serial bus packets (the "FT-SCS" protocol of the STS3215 and its kin),
 * byte-exact to Feetech's communication protocol manual (V1.01; examples in
 * tests/hardware/feetechPacket.test.ts):
 *
 *   FF FF | ID | LEN | INST (or ERROR in a reply) | PARAM ... | CHECKSUM
 *
 * LEN = number of parameters + 2 (it counts INST/ERROR and the checksum), so one byte and at most
 * 253 parameters. CHECKSUM = ~(ID + LEN + INST + PARAM...) & 0xFF. There is no byte stuffing: FF FF
 * may occur inside a packet, which is why the decoder (PacketDecoder.ts) resynchronises on the
 * checksum. A reply (status packet) has the same shape with the servo's status byte in place of
 * the instruction (0 = fine; bits in StatusBit) and the data read as parameters; nothing in the
 * bytes tells an instruction from a reply, the direction does.
 *
 * Multi-byte values are little-endian on the STS/SMS (magnetic encoder) series; the older SCS
 * (potentiometer) series is big-endian and is not supported here. Builders return fresh arrays.
 */

export const BROADCAST_ID = 0xfe;
/** Largest unicast ID (254 is broadcast, 255 cannot follow the FF FF header). */
export const MAX_ID = 253;
/** Most parameters one packet can carry (LEN is one byte and counts two more). */
export const MAX_PARAMS = 253;

/** Instruction bytes (manual §4). There is no bulk read or bulk write. */
export const Inst = {
  Ping: 0x01,
  Read: 0x02,
  Write: 0x03,
  RegWrite: 0x04,
  Action: 0x05,
  /** Restore all parameters but the ID (§4.10). */
  Recovery: 0x06,
  /** Restart the servo; no reply (§4.12). */
  Reboot: 0x08,
  /** Reset the turn count (§4.8). */
  Reset: 0x0a,
  SyncRead: 0x82,
  SyncWrite: 0x83,
} as const;

/** Bits of a reply's status byte (Feetech SDK ERRBIT_*; the same bits as the Status item, address 65). */
export const StatusBit = {
  voltage: 0x01,
  angle_sensor: 0x02,
  overheat: 0x04,
  overcurrent: 0x08,
  overload: 0x20,
} as const;
export type StatusBitName = keyof typeof StatusBit;

/** A decoded packet. `code` is the instruction (host to servo) or the status byte (servo to host). */
export interface FeetechPacket {
  readonly id: number;
  readonly code: number;
  readonly params: Uint8Array;
}

/** ~(sum of bytes[from, to)) & 0xFF. */
export function checksum(bytes: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += bytes[i];
  return ~s & 0xff;
}

/** A whole packet: FF FF ID LEN CODE PARAMS CHECKSUM. */
export function encodePacket(id: number, code: number, params: ArrayLike<number> = []): Uint8Array {
  if (params.length > MAX_PARAMS) throw new RangeError(`a Feetech packet carries at most ${MAX_PARAMS} parameters, got ${params.length}`);
  const out = new Uint8Array(6 + params.length);
  out[0] = 0xff;
  out[1] = 0xff;
  out[2] = id;
  out[3] = params.length + 2;
  out[4] = code;
  out.set(params, 5);
  out[out.length - 1] = checksum(out, 2, out.length - 1);
  return out;
}

/** A reply: the status byte in the instruction's place, then the data. */
export const encodeStatus = (id: number, status: number, data: ArrayLike<number> = []) => encodePacket(id, status, data);

// ---- little-endian and sign-magnitude values ----

export function le(value: number, size: 1 | 2): number[] {
  const v = value & 0xffff;
  return size === 1 ? [v & 0xff] : [v & 0xff, v >>> 8];
}

export function readLe(b: ArrayLike<number>, off: number, size: 1 | 2): number {
  return size === 1 ? b[off] : b[off] | (b[off + 1] << 8);
}

export function writeLe(b: Uint8Array, off: number, size: 1 | 2, value: number): void {
  b[off] = value & 0xff;
  if (size === 2) b[off + 1] = (value >>> 8) & 0xff;
}

/**
 * Sign-magnitude encoding used by the STS series (bit `signBit` is the sign, the bits below it
 * the magnitude): bit 15 for speeds and currents, bit 11 for the homing offset, bit 10 for the
 * load. Magnitudes beyond the field are clamped to its largest value.
 */
export function encodeSignMagnitude(value: number, signBit: number): number {
  const max = (1 << signBit) - 1;
  const m = Math.min(Math.abs(Math.round(value)), max);
  return value < 0 && m !== 0 ? m | (1 << signBit) : m;
}

export function decodeSignMagnitude(raw: number, signBit: number): number {
  const m = raw & ((1 << signBit) - 1);
  return raw & (1 << signBit) ? -m : m;
}

// ---- instruction builders ----

export const ping = (id: number) => encodePacket(id, Inst.Ping);

export const read = (id: number, address: number, length: number) => encodePacket(id, Inst.Read, [address, length]);

export const write = (id: number, address: number, data: ArrayLike<number>) => encodePacket(id, Inst.Write, [address, ...Array.from(data)]);

export const regWrite = (id: number, address: number, data: ArrayLike<number>) => encodePacket(id, Inst.RegWrite, [address, ...Array.from(data)]);

export const action = (id = BROADCAST_ID) => encodePacket(id, Inst.Action);

export const reboot = (id: number) => encodePacket(id, Inst.Reboot);

/** SYNC READ (0x82): one request, then one reply per listed servo, in the order listed. */
export const syncRead = (address: number, length: number, ids: ArrayLike<number>) => encodePacket(BROADCAST_ID, Inst.SyncRead, [address, length, ...Array.from(ids)]);

/** SYNC WRITE (0x83): `length` bytes of `data` per id (row i for ids[i], or a flat array); no reply. */
export function syncWrite(address: number, length: number, ids: ArrayLike<number>, data: Uint8Array | readonly ArrayLike<number>[]): Uint8Array {
  const p = new Uint8Array(2 + ids.length * (1 + length));
  p[0] = address;
  p[1] = length;
  let o = 2;
  const flat = data instanceof Uint8Array;
  for (let i = 0; i < ids.length; i++) {
    p[o++] = ids[i];
    for (let k = 0; k < length; k++) p[o++] = (flat ? (data as Uint8Array)[i * length + k] : (data as readonly ArrayLike<number>[])[i][k]) ?? 0;
  }
  return encodePacket(BROADCAST_ID, Inst.SyncWrite, p);
}

/** Words for a reply's status byte: "ok" or "overload, overheat". */
export function describeStatus(status: number): string {
  const names: string[] = (Object.keys(StatusBit) as StatusBitName[]).filter((k) => status & StatusBit[k]);
  const other = status & ~Object.values(StatusBit).reduce((a, b) => a | b, 0);
  if (other) names.push(`bits 0x${other.toString(16)}`);
  return names.length === 0 ? 'ok' : names.join(', ');
}

/** Hex dump "FF FF 01 ..." (logs, errors, tests). */
export function hex(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

export function fromHex(s: string): Uint8Array {
  const t = s.trim();
  return t === '' ? new Uint8Array(0) : Uint8Array.from(t.split(/\s+/), (h) => parseInt(h, 16));
}

/** Bytes of a reply carrying `n` data bytes. */
export const statusBytes = (n: number) => 6 + n;
