import { describe, expect, it } from 'vitest';
import { decodeStateFrame, encodeStateFrame, stateFrameBytes, FLAG_PAUSED } from '../../../src/viewer/frames.ts';

describe('viewer state frame', () => {
  it('round-trips links, joints, state, flags, seq and time', () => {
    const links = Float32Array.from({ length: 14 }, (_, i) => i * 0.5 - 3);
    const joints = Float32Array.from({ length: 8 }, (_, i) => Math.fround(i * 0.1));
    const buf = new Uint8Array(stateFrameBytes(2, 2));
    expect(buf.byteLength).toBe(20 + 4 * (14 + 8));
    encodeStateFrame(new DataView(buf.buffer), 3, FLAG_PAUSED, 123456, 12.34, links, 2, joints, 2);
    const f = decodeStateFrame(buf);
    expect(f).toMatchObject({ safetyState: 'e-stopped', flags: FLAG_PAUSED, seq: 123456, time: 12.34 });
    expect(Array.from(f.links)).toEqual(Array.from(links));
    expect(Array.from(f.joints)).toEqual(Array.from(joints));
  });

  it('names the byte that is wrong', () => {
    const buf = new Uint8Array(stateFrameBytes(1, 1));
    encodeStateFrame(new DataView(buf.buffer), 0, 0, 1, 0, new Float32Array(7), 1, new Float32Array(4), 1);
    expect(() => decodeStateFrame(buf.subarray(0, 10))).toThrow(/10 bytes, expected at least 20/);
    const bad = buf.slice();
    bad[0] = 9;
    expect(() => decodeStateFrame(bad)).toThrow(/byte 0: kind 9/);
    expect(() => decodeStateFrame(buf.subarray(0, buf.byteLength - 4))).toThrow(/for 1 links and 1 joints, expected 64/);
  });
});
