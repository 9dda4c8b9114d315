import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCommand, createObservation, type Observation } from '../../../src/core/robot.ts';
import {
  commandBytes,
  commandFieldAt,
  commandFlags,
  decodeCommand,
  decodeState,
  encodeCommand,
  encodeState,
  stateLayout,
  type DecodedCommand,
  type FrameHeader,
} from '../../../hardware/bridge/frames.ts';
import { ErrorCode } from '../../../hardware/bridge/protocol.ts';
import { joint, spec } from '../../helpers/fakes.ts';

const h = (): FrameHeader => ({ type: 0, seq: 0, time: 0, ack: 0, count: 0, flags: 0 });
const decoded = (n: number): DecodedCommand => {
  const s = spec(Array.from({ length: n }, (_, i) => joint(`j${i}`)));
  return { command: createCommand(s, 'effort') as DecodedCommand['command'], hasGains: false, hasFeedforward: false };
};

/** The hex blocks of PROTOCOL.md section 5.4, in order: the document is the reference. */
function protocolExamples(): Buffer[] {
  const md = readFileSync(new URL('../../../hardware/PROTOCOL.md', import.meta.url), 'utf8');
  const section = md.slice(md.indexOf('### 5.4'), md.indexOf('### 5.5'));
  return [...section.matchAll(/```\n([0-9a-f \n]+)```/g)].map((m) => Buffer.from(m[1].replace(/\s+/g, ''), 'hex'));
}

describe('bridge frames: the bytes of PROTOCOL.md', () => {
  it('the worked command frame example is what encodeCommand writes, and decodes back', () => {
    const [example] = protocolExamples();
    const cmd = { mode: 'effort' as const, target: new Float64Array([3.5, 0]) };
    const buf = Buffer.alloc(commandBytes(2, commandFlags(cmd)));
    expect(encodeCommand(buf, 2, 7, 12.5, 42, cmd)).toBe(32);
    expect(buf.toString('hex')).toBe(example.toString('hex'));
    const out = decoded(2);
    const hdr = h();
    expect(decodeCommand(example, 2, ['position', 'velocity', 'effort'], hdr, out)).toBeUndefined();
    expect(hdr).toMatchObject({ type: 2, seq: 7, time: 12.5, ack: 42, count: 2, flags: 2 });
    expect(out.command.mode).toBe('effort');
    expect([...out.command.target]).toEqual([3.5, 0]);
    expect(out.hasGains || out.hasFeedforward).toBe(false);
  });

  it('the worked state frame example is what encodeState writes, and decodes back', () => {
    const [, example] = protocolExamples();
    const layout = stateLayout(1, false, 0, false);
    const obs: Observation = { time: 0, seq: 0, jointPosition: new Float32Array([Math.PI]), jointVelocity: new Float32Array([-0.5]), jointEffort: new Float32Array([0.25]), extras: {} };
    const buf = Buffer.alloc(layout.bytes);
    encodeState(buf, layout, 1000, 2, 7, obs);
    expect(buf.toString('hex')).toBe(example.toString('hex'));
    const out = createObservation(spec([joint('a')]));
    const hdr = h();
    expect(decodeState(example, layout, hdr, out)).toBeUndefined();
    expect(hdr).toMatchObject({ type: 1, seq: 1000, time: 2, ack: 7, count: 1, flags: 0 });
    expect(out.jointPosition[0]).toBeCloseTo(Math.PI, 6);
    expect(out.jointVelocity[0]).toBe(-0.5);
    expect(out.jointEffort[0]).toBe(0.25);
  });

  it('a state frame with IMU, contacts and base round-trips every block', () => {
    const s = { ...spec([joint('a'), joint('b'), joint('c')], true), sensors: { imu: true, contacts: ['l', 'r'] } };
    const layout = stateLayout(3, true, 2, true);
    expect(layout.bytes).toBe(24 + 4 * (9 + 10 + 2 + 13));
    const src = { ...createObservation(s), base: { position: new Float32Array([1, 2, 3]), orientation: new Float32Array([0, 0, 0.6, 0.8]), linearVelocity: new Float32Array([4, 5, 6]), angularVelocity: new Float32Array([7, 8, 9]) } };
    src.jointPosition.set([0.1, 0.2, 0.3]);
    src.jointVelocity.set([-1, -2, -3]);
    src.jointEffort.set([5, 6, 7]);
    src.imu!.orientation.set([0, 0.6, 0, 0.8]);
    src.imu!.angularVelocity.set([0.5, 0.25, 0.125]);
    src.imu!.linearAcceleration.set([0, 0, 9.75]);
    src.contacts!.set([100, 0]);
    const buf = Buffer.alloc(layout.bytes);
    encodeState(buf, layout, 3, 1.5, 0, src);
    const out = { ...createObservation(s), base: { position: new Float32Array(3), orientation: new Float32Array(4), linearVelocity: new Float32Array(3), angularVelocity: new Float32Array(3) } };
    expect(decodeState(buf, layout, h(), out)).toBeUndefined();
    expect([...out.jointVelocity]).toEqual([-1, -2, -3]);
    expect([...out.imu!.orientation]).toEqual([...src.imu!.orientation]);
    expect([...out.imu!.linearAcceleration]).toEqual([0, 0, 9.75]);
    expect([...out.contacts!]).toEqual([100, 0]);
    expect([...out.base.angularVelocity]).toEqual([7, 8, 9]);
  });

  it('a command with gains and feed-forward carries them; absent blocks are flagged absent', () => {
    const s = spec([joint('a'), joint('b')]);
    const cmd = createCommand(s, 'position');
    cmd.target.set([0.5, -0.5]);
    cmd.kp!.set([20, 30]);
    cmd.kd!.set([1, 2]);
    cmd.feedforward!.set([0.25, -0.25]);
    const flags = commandFlags(cmd);
    expect(flags).toBe(0b1100);
    const buf = Buffer.alloc(commandBytes(2, flags));
    expect(buf.length).toBe(24 + 4 * 2 * 4);
    encodeCommand(buf, 2, 1, 0, 0, cmd);
    const out = decoded(2);
    expect(decodeCommand(buf, 2, ['position'], h(), out)).toBeUndefined();
    expect(out.command.mode).toBe('position');
    expect(out.hasGains && out.hasFeedforward).toBe(true);
    expect([...out.command.kp]).toEqual([20, 30]);
    expect([...out.command.feedforward]).toEqual([0.25, -0.25]);
  });
});

describe('bridge frames: every malformed command frame is refused with its code and byte offset', () => {
  const modes = ['position', 'velocity', 'effort'] as const;
  const good = (): Buffer => {
    const b = Buffer.alloc(commandBytes(2, 2));
    encodeCommand(b, 2, 9, 1, 0, { mode: 'effort', target: new Float64Array([1, 2]) });
    return b;
  };
  const cases: [string, () => Buffer, number, number][] = [
    ['empty', () => Buffer.alloc(0), ErrorCode.FRAME_SHORT, 0],
    ['shorter than the header', () => good().subarray(0, 10), ErrorCode.FRAME_SHORT, 0],
    ['wrong magic', () => { const b = good(); b[0] = 0x42; return b; }, ErrorCode.FRAME_MAGIC, 0],
    ['wrong version', () => { const b = good(); b[2] = 2; return b; }, ErrorCode.FRAME_VERSION, 2],
    ['a state frame sent to the server', () => { const b = good(); b[3] = 1; return b; }, ErrorCode.FRAME_TYPE, 3],
    ['an unknown frame type', () => { const b = good(); b[3] = 9; return b; }, ErrorCode.FRAME_TYPE, 3],
    ['a NaN time stamp', () => { const b = good(); b.writeDoubleLE(Number.NaN, 8); return b; }, ErrorCode.FRAME_VALUE, 8],
    ['a time stamp beyond 1e10 s', () => { const b = good(); b.writeDoubleLE(1e11, 8); return b; }, ErrorCode.FRAME_VALUE, 8],
    ['a time stamp of -1e300 s', () => { const b = good(); b.writeDoubleLE(-1e300, 8); return b; }, ErrorCode.FRAME_VALUE, 8],
    ['the wrong joint count', () => { const b = good(); b.writeUInt16LE(3, 20); return b; }, ErrorCode.FRAME_COUNT, 20],
    ['mode number 3', () => { const b = good(); b.writeUInt16LE(3, 22); return b; }, ErrorCode.FRAME_FLAGS, 22],
    ['unknown flag bits', () => { const b = good(); b.writeUInt16LE(0x102, 22); return b; }, ErrorCode.FRAME_FLAGS, 22],
    ['4 bytes too long', () => Buffer.concat([good(), Buffer.alloc(4)]), ErrorCode.FRAME_LENGTH, 20],
    ['4 bytes too short', () => good().subarray(0, 28), ErrorCode.FRAME_LENGTH, 20],
    ['gains flagged but absent', () => { const b = good(); b.writeUInt16LE(2 | 4, 22); return b; }, ErrorCode.FRAME_LENGTH, 20],
    ['NaN in a target', () => { const b = good(); b.writeFloatLE(Number.NaN, 28); return b; }, ErrorCode.FRAME_VALUE, 28],
    ['+Infinity in a target', () => { const b = good(); b.writeFloatLE(Number.POSITIVE_INFINITY, 24); return b; }, ErrorCode.FRAME_VALUE, 24],
    ['|x| > 1e10 in a target', () => { const b = good(); b.writeFloatLE(-3e10, 24); return b; }, ErrorCode.FRAME_VALUE, 24],
  ];
  it.each(cases)('%s', (_name, make, code, offset) => {
    const out = decoded(2);
    out.command.target.set([7, 7]);
    const issue = decodeCommand(make(), 2, modes, h(), out);
    expect(issue?.code).toBe(code);
    expect(issue?.offset).toBe(offset);
    expect(issue?.text.length).toBeGreaterThan(10);
  });

  it('a mode the robot does not support is MODE_UNSUPPORTED', () => {
    expect(decodeCommand(good(), 2, ['position'], h(), decoded(2))?.code).toBe(ErrorCode.MODE_UNSUPPORTED);
  });

  it('names the field at a byte offset for error texts', () => {
    expect(commandFieldAt(28, 2, 2)).toBe('target[1]');
    expect(commandFieldAt(24 + 4 * 3, 2, 2 | 4)).toBe('kp[1]');
    expect(commandFieldAt(24 + 4 * 6, 2, 2 | 4 | 8)).toBe('feedforward[0]');
  });

  it('a state frame whose time stamp is beyond 1e10 s is FRAME_VALUE at byte 8 (PROTOCOL.md 5.1)', () => {
    const layout = stateLayout(1, false, 0, false);
    const b = Buffer.alloc(layout.bytes);
    encodeState(b, layout, 1, 1e11, 0, createObservation(spec([joint('a')])));
    expect(decodeState(b, layout, h(), createObservation(spec([joint('a')])))).toMatchObject({ code: ErrorCode.FRAME_VALUE, offset: 8 });
    b.writeDoubleLE(1e10, 8); // the limit itself is a value
    expect(decodeState(b, layout, h(), createObservation(spec([joint('a')])))).toBeUndefined();
  });

  it('a state frame whose flags differ from the hello is refused', () => {
    const layout = stateLayout(1, false, 0, true);
    const b = Buffer.alloc(layout.bytes);
    encodeState(b, layout, 1, 0, 0, createObservation(spec([joint('a')])));
    expect(decodeState(b, stateLayout(1, false, 0, false), h(), createObservation(spec([joint('a')])))?.code).toBe(ErrorCode.FRAME_FLAGS);
  });
});
