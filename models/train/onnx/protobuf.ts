/**
 * Minimal protocol-buffers writer (encoding only), enough for ONNX ModelProto.
 *
 * Output depends only on the calls made: no maps, no clocks, no host endianness
 * (floats go through DataView little-endian), so the same calls give the same bytes.
 * Callers write fields in ascending field-number order to match the canonical serialisers.
 *
 * Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

const _utf8 = new TextEncoder();
const _two64 = 1n << 64n;

export class ProtoWriter {
  private _buf: Uint8Array;
  private _view: DataView;
  private _len = 0;

  constructor(initialCapacity = 256) {
    this._buf = new Uint8Array(Math.max(16, initialCapacity));
    this._view = new DataView(this._buf.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this._len;
  }

  private _ensure(extra: number): void {
    const need = this._len + extra;
    if (need <= this._buf.length) return;
    let cap = this._buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this._buf.subarray(0, this._len));
    this._buf = next;
    this._view = new DataView(next.buffer);
  }

  /** Raw unsigned varint (no tag). Numbers must be safe integers; negatives become 10-byte two's complement. */
  rawVarint(value: number | bigint): this {
    let v: bigint;
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new RangeError(`varint value ${value} is not a safe integer`);
      if (value >= 0 && value < 0x80000000) {
        // fast path
        this._ensure(5);
        let x = value;
        while (x >= 0x80) {
          this._buf[this._len++] = (x & 0x7f) | 0x80;
          x >>>= 7;
        }
        this._buf[this._len++] = x;
        return this;
      }
      v = BigInt(value);
    } else {
      v = value;
    }
    if (v < 0n) v += _two64;
    if (v < 0n || v >= _two64) throw new RangeError(`varint value ${String(value)} outside 64 bits`);
    this._ensure(10);
    while (v >= 0x80n) {
      this._buf[this._len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this._buf[this._len++] = Number(v);
    return this;
  }

  /** Field key: (fieldNumber << 3) | wireType. */
  tag(fieldNumber: number, wireType: number): this {
    return this.rawVarint(fieldNumber * 8 + wireType);
  }

  rawBytes(bytes: Uint8Array): this {
    this._ensure(bytes.length);
    this._buf.set(bytes, this._len);
    this._len += bytes.length;
    return this;
  }

  /** int32/int64/uint32/uint64/enum/bool field (wire type 0). */
  varint(fieldNumber: number, value: number | bigint): this {
    return this.tag(fieldNumber, WIRE_VARINT).rawVarint(value);
  }

  /** Length-delimited bytes field. */
  bytes(fieldNumber: number, bytes: Uint8Array): this {
    return this.tag(fieldNumber, WIRE_LEN).rawVarint(bytes.length).rawBytes(bytes);
  }

  /** UTF-8 string field. */
  string(fieldNumber: number, s: string): this {
    return this.bytes(fieldNumber, _utf8.encode(s));
  }

  /** `float` field (wire type 5, little-endian IEEE-754 binary32). */
  float(fieldNumber: number, value: number): this {
    this.tag(fieldNumber, WIRE_FIXED32);
    this._ensure(4);
    this._view.setFloat32(this._len, value, true);
    this._len += 4;
    return this;
  }

  /** Packed repeated `float` field (one length-delimited run of little-endian binary32). */
  packedFloats(fieldNumber: number, values: ArrayLike<number>): this {
    this.tag(fieldNumber, WIRE_LEN).rawVarint(values.length * 4);
    this._ensure(values.length * 4);
    for (let k = 0; k < values.length; k++) {
      this._view.setFloat32(this._len, values[k], true);
      this._len += 4;
    }
    return this;
  }

  /** Packed repeated varint field (int32/int64/enum). */
  packedVarints(fieldNumber: number, values: ArrayLike<number>): this {
    const inner = new ProtoWriter(values.length * 2 + 8);
    for (let k = 0; k < values.length; k++) inner.rawVarint(values[k]);
    return this.bytes(fieldNumber, inner.finish());
  }

  /** Embedded message field: `build` writes the submessage's fields into a fresh writer. */
  message(fieldNumber: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(fieldNumber, inner.finish());
  }

  /** Copy of the bytes written. */
  finish(): Uint8Array {
    return this._buf.slice(0, this._len);
  }
}

/** Little-endian float32 bytes of `values` (ONNX TensorProto.raw_data). */
export function float32LeBytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let k = 0; k < values.length; k++) view.setFloat32(k * 4, values[k], true);
  return out;
}
