import { describe, expect, it } from 'vitest';
import {
  decodeRolloutFrame,
  decodeStateFrame,
  encodeRolloutFrame,
  encodeStateFrame,
  rolloutFrameBytes,
  stateFrameBytes,
  FLAG_PAUSED,
} from '../../../src/viewer/frames.ts';
// The page's own decoders (plain browser JavaScript, no DOM needed): they must read what the server writes.
import * as page from '../../../src/viewer/page/frames.js';

const arrayBufferOf = (u8: Uint8Array): ArrayBuffer => (u8.buffer as ArrayBuffer).slice(u8.byteOffset, u8.byteOffset + u8.byteLength);

describe('viewer state frame', () => {
  it('round-trips links, joints, contacts, state, flags, seq and time, in the server’s and the page’s decoder', () => {
    const links = Float32Array.from({ length: 14 }, (_, i) => i * 0.5 - 3);
    const joints = Float32Array.from({ length: 8 }, (_, i) => Math.fround(i * 0.1));
    const contacts = Float32Array.of(147.5, 0);
    const buf = new Uint8Array(stateFrameBytes(2, 2, 2));
    expect(buf.byteLength).toBe(24 + 4 * (14 + 8 + 2));
    encodeStateFrame(new DataView(buf.buffer), 3, FLAG_PAUSED, 123456, 12.34, links, 2, joints, 2, contacts);
    for (const f of [decodeStateFrame(buf), page.decodeStateFrame(arrayBufferOf(buf))]) {
      expect(f).toMatchObject({ safetyState: 'e-stopped', flags: FLAG_PAUSED, seq: 123456, time: 12.34 });
      expect(Array.from(f.links)).toEqual(Array.from(links));
      expect(Array.from(f.joints)).toEqual(Array.from(joints));
      expect(Array.from(f.contacts)).toEqual([147.5, 0]);
    }
  });

  it('names the byte that is wrong', () => {
    const buf = new Uint8Array(stateFrameBytes(1, 1));
    encodeStateFrame(new DataView(buf.buffer), 0, 0, 1, 0, new Float32Array(7), 1, new Float32Array(4), 1);
    expect(() => decodeStateFrame(buf.subarray(0, 10))).toThrow(/10 bytes, expected at least 24/);
    const bad = buf.slice();
    bad[0] = 9;
    expect(() => decodeStateFrame(bad)).toThrow(/byte 0: kind 9/);
    bad[0] = 1;
    bad[1] = 1;
    expect(() => decodeStateFrame(bad)).toThrow(/byte 1: version 1, expected 2/);
    expect(() => page.decodeStateFrame(arrayBufferOf(bad))).toThrow(/kind\/version 1\/1, expected 1\/2/);
    expect(() => decodeStateFrame(buf.subarray(0, buf.byteLength - 4))).toThrow(/for 1 links, 1 joints and 0 contacts, expected 68/);
    expect(() => page.decodeStateFrame(arrayBufferOf(buf.subarray(0, buf.byteLength - 4)))).toThrow(/for 1 links, 1 joints and 0 contacts, expected 68/);
    expect(() => page.decodeStateFrame(arrayBufferOf(buf.subarray(0, 10)))).toThrow(/10 bytes, expected at least 24/);
  });
});

describe('viewer rollout frame', () => {
  // A trace front buffer with capacity 4 rows, 3 valid, 2 states, 3 points (H = 2).
  const capacity = 4, rows = 3, S = 2, T = 3;
  const states = Float32Array.from({ length: T * capacity * S }, (_, i) => i + 0.25);
  const scores = Float32Array.of(1.5, 2.5, 0, 99);

  it('sends only the valid rows, time-major, and both decoders read them back', () => {
    const buf = new Uint8Array(rolloutFrameBytes(rows, T, S));
    expect(buf.byteLength).toBe(16 + 4 * (rows + T * rows * S));
    encodeRolloutFrame(new DataView(buf.buffer), 1, 77, rows, T, S, 2, scores, states, capacity);
    // point t, row r, state i sits at (t·capacity + r)·S + i in the trace, (t·rows + r)·S + i in the frame
    const expected: number[] = [];
    for (let t = 0; t < T; t++) for (let r = 0; r < rows; r++) for (let i = 0; i < S; i++) expected.push(states[(t * capacity + r) * S + i]);
    for (const f of [decodeRolloutFrame(buf), page.decodeRolloutFrame(arrayBufferOf(buf))]) {
      expect(f).toMatchObject({ mode: 'plan', seq: 77, rows, points: T, stateSize: S, chosen: 2 });
      expect(Array.from(f.scores)).toEqual([1.5, 2.5, 0]);
      expect(Array.from(f.states)).toEqual(expected);
    }
    expect(page.frameKind(arrayBufferOf(buf))).toBe(2);
  });

  it('names what is wrong: kind, mode, size', () => {
    const buf = new Uint8Array(rolloutFrameBytes(rows, T, S));
    encodeRolloutFrame(new DataView(buf.buffer), 2, 1, rows, T, S, -1, scores, states, capacity);
    expect(decodeRolloutFrame(buf)).toMatchObject({ mode: 'shield', chosen: -1 });
    const bad = buf.slice();
    bad[2] = 7;
    for (const decode of [(b: Uint8Array) => decodeRolloutFrame(b), (b: Uint8Array) => page.decodeRolloutFrame(arrayBufferOf(b))]) {
      expect(() => decode(bad)).toThrow(/byte 2: mode 7, expected 1 \(plan\) or 2 \(shield\)/);
      expect(() => decode(buf.subarray(0, buf.byteLength - 4))).toThrow(/for 3 rows × 3 points × 2 states, expected 100/);
    }
    bad[0] = 1;
    expect(() => decodeRolloutFrame(bad)).toThrow(/byte 0: kind 1, expected 2/);
  });
});
