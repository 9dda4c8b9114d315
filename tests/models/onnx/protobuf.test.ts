import { describe, expect, it } from 'vitest';
import { ProtoWriter, float32LeBytes } from '../../../models/train/onnx/protobuf.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('ProtoWriter', () => {
  it('encodes varints as in the protobuf encoding guide', () => {
    expect(hex(new ProtoWriter().varint(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().rawVarint(0).rawVarint(1).rawVarint(127).rawVarint(128).rawVarint(300).finish())).toBe('00017f8001ac02');
    expect(hex(new ProtoWriter().rawVarint(2 ** 32).finish())).toBe('8080808010');
    expect(hex(new ProtoWriter().rawVarint(Number.MAX_SAFE_INTEGER).finish())).toBe('ffffffffffffff0f');
  });

  it('encodes negative int64 as ten-byte two\'s complement', () => {
    expect(hex(new ProtoWriter().rawVarint(-1).finish())).toBe('ffffffffffffffffff01');
    expect(hex(new ProtoWriter().rawVarint(-2n).finish())).toBe('feffffffffffffffff01');
  });

  it('rejects values that are not safe integers', () => {
    expect(() => new ProtoWriter().rawVarint(1.5)).toThrow(RangeError);
    expect(() => new ProtoWriter().rawVarint(1n << 64n)).toThrow(RangeError);
  });

  it('encodes strings, floats, packed floats and nested messages', () => {
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('150000803f');
    expect(hex(new ProtoWriter().packedFloats(4, [1, -2]).finish())).toBe('22080000803f000000c0');
    expect(hex(new ProtoWriter().packedVarints(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705');
    expect(hex(new ProtoWriter().message(3, (w) => w.varint(1, 150)).finish())).toBe('1a03089601');
    expect(hex(new ProtoWriter().string(1, '').finish())).toBe('0a00');
  });

  it('grows its buffer past the initial capacity', () => {
    const w = new ProtoWriter(16);
    const big = new Uint8Array(10_000).map((_, i) => i & 0xff);
    w.bytes(9, big);
    const out = w.finish();
    expect(out.length).toBe(1 + 2 + 10_000);
    expect(out.subarray(3)).toEqual(big);
  });

  it('writes float32 little-endian whatever the host', () => {
    expect(hex(float32LeBytes([1, -0.5, 0]))).toBe('0000803f000000bf00000000');
  });
});
