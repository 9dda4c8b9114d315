/**
 * Binary frames of the axon bridge protocol (hardware/PROTOCOL.md, "Binary frames"): state frames
 * (server -> client) and command frames (client -> server), little-endian, a 24-byte header then
 * float32 values.
 *
 *   offset size type  field
 *   0      2    u8[2] magic "AX" (0x41 0x58)
 *   2      1    u8    protocol version (1)
 *   3      1    u8    frame type: 1 state, 2 command
 *   4      4    u32   seq: 1, 2, 3, ... per sender and frame type (0 is never used; wraps to 1)
 *   8      8    f64   time (s) on the sender's steady clock
 *   16     4    u32   ack: state -> last command seq the server accepted; command -> the state seq
 *                     the command was computed from (0: none)
 *   20     2    u16   count: number of joints n
 *   22     2    u16   flags (per frame type, below)
 *   24     ...   f32  payload
 *
 * Real-time rules: encode*() write into a caller's buffer, decode*() into a caller's object;
 * neither allocates unless a frame is rejected (the issue object). Values are read with Buffer's
 * little-endian accessors after the length was checked, so nothing here throws on bad input.
 */
import type { ControlMode, JointCommand, Observation, RobotSpec } from '../../src/core/robot.ts';
import { ErrorCode, PROTOCOL_VERSION } from './protocol.ts';

export const HEADER_BYTES = 24;
export const MAGIC_0 = 0x41; // 'A'
export const MAGIC_1 = 0x58; // 'X'
export const FRAME_STATE = 1;
export const FRAME_COMMAND = 2;

/** State frame flag bits: which optional blocks follow position, velocity and effort. */
export const STATE_IMU = 1 << 0; // 10 f32: orientation x y z w, angular velocity xyz, linear acceleration xyz
export const STATE_CONTACTS = 1 << 1; // c f32: contact normal force (N) per contact sensor
export const STATE_BASE = 1 << 2; // 13 f32: base position xyz, orientation xyzw, linear velocity xyz, angular velocity xyz (simulation only)

/** Command frame flags: bits 0-1 the mode, then which optional blocks follow the targets. */
export const COMMAND_MODE_MASK = 0b11;
export const COMMAND_GAINS = 1 << 2; // kp[n] then kd[n]
export const COMMAND_FEEDFORWARD = 1 << 3; // feedforward[n]

/** Mode numbers of a command frame (flags bits 0-1). */
export const MODE_NUMBER: Readonly<Record<ControlMode, number>> = { position: 0, velocity: 1, effort: 2 };
export const MODE_OF_NUMBER: readonly (ControlMode | undefined)[] = ['position', 'velocity', 'effort', undefined];

/** Anything with a magnitude above this is a bad value (MuJoCo's mju_isBad bound; STYLE.md 4). */
export const BAD_VALUE = 1e10;

/** What a state frame of a given robot carries, fixed by the hello. */
export interface StateLayout {
  /** Joints n. */
  readonly joints: number;
  readonly imu: boolean;
  /** Contact sensors c (0: no contact block). */
  readonly contacts: number;
  readonly base: boolean;
  /** The flags byte every state frame of this robot carries. */
  readonly flags: number;
  /** Total frame length (bytes). */
  readonly bytes: number;
}

export function stateLayout(joints: number, imu: boolean, contacts: number, base: boolean): StateLayout {
  const flags = (imu ? STATE_IMU : 0) | (contacts > 0 ? STATE_CONTACTS : 0) | (base ? STATE_BASE : 0);
  const floats = 3 * joints + (imu ? 10 : 0) + contacts + (base ? 13 : 0);
  return { joints, imu, contacts, base, flags, bytes: HEADER_BYTES + 4 * floats };
}

/** The state layout a robot's spec implies (`base`: whether privileged base state is sent). */
export function stateLayoutFor(spec: RobotSpec, base: boolean): StateLayout {
  return stateLayout(spec.joints.length, spec.sensors.imu, spec.sensors.contacts.length, base);
}

/** Length of a command frame for n joints and the given flags (bytes). */
export function commandBytes(joints: number, flags: number): number {
  const blocks = 1 + (flags & COMMAND_GAINS ? 2 : 0) + (flags & COMMAND_FEEDFORWARD ? 1 : 0);
  return HEADER_BYTES + 4 * joints * blocks;
}

/** Why a frame was rejected: an error code, the byte offset it is about, and words. */
export interface FrameIssue {
  readonly code: number;
  /** Byte offset of the offending field, always inside the frame: 0 for a frame shorter than the header, 20 (count and flags, which imply the length) for a wrong length. */
  readonly offset: number;
  readonly text: string;
  /** The frame's seq when the header could be read. */
  readonly seq?: number;
}

/** Header fields of the last frame decoded (module scratch; read right after a decode). */
export interface FrameHeader {
  type: number;
  seq: number;
  time: number;
  ack: number;
  count: number;
  flags: number;
}

function issue(code: number, offset: number, text: string, seq?: number): FrameIssue {
  return seq === undefined ? { code, offset, text } : { code, offset, text, seq };
}

/**
 * Reads and checks the header: magic, version, type (one of `acceptTypes`), count. Fills `h`.
 * Returns an issue, or undefined when the header is good.
 */
export function readHeader(buf: Buffer, acceptTypes: number, expectedCount: number, h: FrameHeader): FrameIssue | undefined {
  if (buf.length < HEADER_BYTES) return issue(ErrorCode.FRAME_SHORT, 0, `frame of ${buf.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  if (buf[0] !== MAGIC_0 || buf[1] !== MAGIC_1)
    return issue(ErrorCode.FRAME_MAGIC, 0, `magic is 0x${hex2(buf[0])} 0x${hex2(buf[1])} (expected 0x41 0x58, "AX")`);
  if (buf[2] !== PROTOCOL_VERSION) return issue(ErrorCode.FRAME_VERSION, 2, `version byte is ${buf[2]} (expected ${PROTOCOL_VERSION})`);
  h.type = buf[3];
  h.seq = buf.readUInt32LE(4);
  h.time = buf.readDoubleLE(8);
  h.ack = buf.readUInt32LE(16);
  h.count = buf.readUInt16LE(20);
  h.flags = buf.readUInt16LE(22);
  if (h.type !== acceptTypes) {
    const want = acceptTypes === FRAME_COMMAND ? '2 (command)' : '1 (state)';
    return issue(ErrorCode.FRAME_TYPE, 3, `frame type ${h.type} is not accepted here (expected ${want})`, h.seq);
  }
  // PROTOCOL.md 5.1: the header time is checked as the payload values are (style 4).
  if (!(Math.abs(h.time) <= BAD_VALUE)) return issue(ErrorCode.FRAME_VALUE, 8, `time stamp is ${h.time} (expected a finite number of seconds with |x| <= 1e10); whole frame rejected`, h.seq);
  if (h.count !== expectedCount) return issue(ErrorCode.FRAME_COUNT, 20, `joint count is ${h.count} (expected ${expectedCount})`, h.seq);
  return undefined;
}

function hex2(b: number | undefined): string {
  return (b ?? 0).toString(16).padStart(2, '0');
}

// ---- state frames ----

/**
 * Writes a state frame of `obs` into `buf` (at least layout.bytes long). Returns layout.bytes.
 * Values are written as float32 as they are; the receiver checks them.
 */
export function encodeState(buf: Buffer, layout: StateLayout, seq: number, time: number, ack: number, obs: Observation): number {
  writeHeader(buf, FRAME_STATE, seq, time, ack, layout.joints, layout.flags);
  let o = HEADER_BYTES;
  o = writeF32s(buf, o, obs.jointPosition, layout.joints);
  o = writeF32s(buf, o, obs.jointVelocity, layout.joints);
  o = writeF32s(buf, o, obs.jointEffort, layout.joints);
  if (layout.imu) {
    const imu = obs.imu;
    o = imu ? writeF32s(buf, o, imu.orientation, 4) : writeQuatIdentity(buf, o);
    o = imu ? writeF32s(buf, o, imu.angularVelocity, 3) : writeZeros(buf, o, 3);
    o = imu ? writeF32s(buf, o, imu.linearAcceleration, 3) : writeZeros(buf, o, 3);
  }
  if (layout.contacts > 0) o = obs.contacts ? writeF32s(buf, o, obs.contacts, layout.contacts) : writeZeros(buf, o, layout.contacts);
  if (layout.base) {
    const b = obs.base;
    o = b ? writeF32s(buf, o, b.position, 3) : writeZeros(buf, o, 3);
    o = b ? writeF32s(buf, o, b.orientation, 4) : writeQuatIdentity(buf, o);
    o = b ? writeF32s(buf, o, b.linearVelocity, 3) : writeZeros(buf, o, 3);
    o = b ? writeF32s(buf, o, b.angularVelocity, 3) : writeZeros(buf, o, 3);
  }
  return o;
}

/**
 * Decodes a state frame into `out` (allocated with createObservation for the hello's spec, with
 * `base` when the layout has it). Checks header, flags, length and values; on an issue `out`
 * may be partly written: decode into scratch and copy on success.
 */
export function decodeState(buf: Buffer, layout: StateLayout, h: FrameHeader, out: Observation): FrameIssue | undefined {
  const bad = readHeader(buf, FRAME_STATE, layout.joints, h);
  if (bad) return bad;
  if (h.flags !== layout.flags) return issue(ErrorCode.FRAME_FLAGS, 22, `state flags are 0x${h.flags.toString(16)} (expected 0x${layout.flags.toString(16)} from the hello)`, h.seq);
  if (buf.length !== layout.bytes) return issue(ErrorCode.FRAME_LENGTH, 20, `state frame is ${buf.length} bytes (expected ${layout.bytes})`, h.seq);
  const n = layout.joints;
  const r = _cursor;
  r.o = HEADER_BYTES;
  if (!readF32s(buf, r, out.jointPosition, n) || !readF32s(buf, r, out.jointVelocity, n) || !readF32s(buf, r, out.jointEffort, n)) return valueIssue(buf, r.o, h.seq);
  if (layout.imu) {
    const imu = out.imu;
    if (!imu) return issue(ErrorCode.FRAME_FLAGS, 22, 'state frame has an IMU block but the observation has no IMU', h.seq);
    if (!readF32s(buf, r, imu.orientation, 4) || !readF32s(buf, r, imu.angularVelocity, 3) || !readF32s(buf, r, imu.linearAcceleration, 3)) return valueIssue(buf, r.o, h.seq);
  }
  if (layout.contacts > 0) {
    if (!out.contacts) return issue(ErrorCode.FRAME_FLAGS, 22, 'state frame has a contact block but the observation has no contacts', h.seq);
    if (!readF32s(buf, r, out.contacts, layout.contacts)) return valueIssue(buf, r.o, h.seq);
  }
  if (layout.base) {
    const b = out.base;
    if (b) {
      if (!readF32s(buf, r, b.position, 3) || !readF32s(buf, r, b.orientation, 4) || !readF32s(buf, r, b.linearVelocity, 3) || !readF32s(buf, r, b.angularVelocity, 3))
        return valueIssue(buf, r.o, h.seq);
    }
  }
  return undefined;
}

// ---- command frames ----

/** A decoded command: the JointCommand plus which optional blocks the frame carried. */
export interface DecodedCommand {
  readonly command: JointCommand & { readonly kp: Float64Array; readonly kd: Float64Array; readonly feedforward: Float64Array };
  hasGains: boolean;
  hasFeedforward: boolean;
}

/** Flags a command frame for `cmd` carries: mode, gains when kp and kd are both given, feed-forward when given. */
export function commandFlags(cmd: JointCommand): number {
  return MODE_NUMBER[cmd.mode] | (cmd.kp && cmd.kd ? COMMAND_GAINS : 0) | (cmd.feedforward ? COMMAND_FEEDFORWARD : 0);
}

/**
 * Writes a command frame into `buf` (at least commandBytes(n, commandFlags(cmd)) long).
 * Returns the frame length.
 */
export function encodeCommand(buf: Buffer, joints: number, seq: number, time: number, ack: number, cmd: JointCommand): number {
  const flags = commandFlags(cmd);
  writeHeader(buf, FRAME_COMMAND, seq, time, ack, joints, flags);
  let o = writeF32s(buf, HEADER_BYTES, cmd.target, joints);
  if (flags & COMMAND_GAINS) {
    o = writeF32s(buf, o, cmd.kp!, joints);
    o = writeF32s(buf, o, cmd.kd!, joints);
  }
  if (flags & COMMAND_FEEDFORWARD) o = writeF32s(buf, o, cmd.feedforward!, joints);
  return o;
}

/**
 * Decodes and checks a command frame for a robot of `joints` joints supporting `modes` into
 * `out`. Absent gains / feed-forward are left as they were in `out` (the caller fills defaults).
 * The whole frame is rejected on the first bad value (STYLE.md 4).
 */
export function decodeCommand(buf: Buffer, joints: number, modes: readonly ControlMode[], h: FrameHeader, out: DecodedCommand): FrameIssue | undefined {
  const bad = readHeader(buf, FRAME_COMMAND, joints, h);
  if (bad) return bad;
  const f = h.flags;
  if (f & ~(COMMAND_MODE_MASK | COMMAND_GAINS | COMMAND_FEEDFORWARD))
    return issue(ErrorCode.FRAME_FLAGS, 22, `command flags 0x${f.toString(16)} set unknown bits (expected only bits 0-3)`, h.seq);
  const mode = MODE_OF_NUMBER[f & COMMAND_MODE_MASK];
  if (mode === undefined) return issue(ErrorCode.FRAME_FLAGS, 22, `mode number ${f & COMMAND_MODE_MASK} is not a mode (expected 0 position, 1 velocity, 2 effort)`, h.seq);
  if (!modes.includes(mode)) return issue(ErrorCode.MODE_UNSUPPORTED, 22, `mode ${mode} is not supported by this robot (expected one of ${modes.join(', ')})`, h.seq);
  const want = commandBytes(joints, f);
  if (buf.length !== want) return issue(ErrorCode.FRAME_LENGTH, 20, `command frame is ${buf.length} bytes (expected ${want} for ${joints} joints and flags 0x${f.toString(16)})`, h.seq);
  const r = _cursor;
  r.o = HEADER_BYTES;
  const c = out.command;
  if (!readF32s(buf, r, c.target, joints)) return valueIssue(buf, r.o, h.seq);
  out.hasGains = (f & COMMAND_GAINS) !== 0;
  if (out.hasGains && (!readF32s(buf, r, c.kp, joints) || !readF32s(buf, r, c.kd, joints))) return valueIssue(buf, r.o, h.seq);
  out.hasFeedforward = (f & COMMAND_FEEDFORWARD) !== 0;
  if (out.hasFeedforward && !readF32s(buf, r, c.feedforward, joints)) return valueIssue(buf, r.o, h.seq);
  c.mode = mode;
  return undefined;
}

/** Name of the payload field at a byte offset of a command frame, e.g. "target[1]" (for error texts). */
export function commandFieldAt(offset: number, joints: number, flags: number): string {
  const k = Math.floor((offset - HEADER_BYTES) / 4);
  if (k < 0) return 'header';
  const blocks = ['target', ...(flags & COMMAND_GAINS ? ['kp', 'kd'] : []), ...(flags & COMMAND_FEEDFORWARD ? ['feedforward'] : [])];
  const b = Math.floor(k / joints);
  return `${blocks[b] ?? 'payload'}[${k % joints}]`;
}

// ---- helpers ----

/** Read position of the decoder (module scratch, STYLE.md 3). */
const _cursor = { o: 0 };

function writeHeader(buf: Buffer, type: number, seq: number, time: number, ack: number, count: number, flags: number): void {
  buf[0] = MAGIC_0;
  buf[1] = MAGIC_1;
  buf[2] = PROTOCOL_VERSION;
  buf[3] = type;
  buf.writeUInt32LE(seq >>> 0, 4);
  buf.writeDoubleLE(time, 8);
  buf.writeUInt32LE(ack >>> 0, 16);
  buf.writeUInt16LE(count, 20);
  buf.writeUInt16LE(flags, 22);
}

function writeF32s(buf: Buffer, o: number, a: ArrayLike<number>, n: number): number {
  for (let i = 0; i < n; i++, o += 4) buf.writeFloatLE(a[i], o);
  return o;
}

function writeZeros(buf: Buffer, o: number, n: number): number {
  buf.fill(0, o, o + 4 * n);
  return o + 4 * n;
}

function writeQuatIdentity(buf: Buffer, o: number): number {
  buf.writeFloatLE(0, o);
  buf.writeFloatLE(0, o + 4);
  buf.writeFloatLE(0, o + 8);
  buf.writeFloatLE(1, o + 12);
  return o + 16;
}

/** Reads n float32 from the wire into `a`; false (r.o at the bad value) on NaN, ±Infinity or |x| > BAD_VALUE. */
function readF32s(buf: Buffer, r: { o: number }, a: Float32Array | Float64Array, n: number): boolean {
  let o = r.o;
  for (let i = 0; i < n; i++, o += 4) {
    const x = buf.readFloatLE(o);
    if (!(Math.abs(x) <= BAD_VALUE)) {
      r.o = o;
      return false;
    }
    a[i] = x;
  }
  r.o = o;
  return true;
}

function valueIssue(buf: Buffer, o: number, seq: number): FrameIssue {
  const x = buf.readFloatLE(o);
  return issue(ErrorCode.FRAME_VALUE, o, `value at byte ${o} is ${x} (expected a finite number with |x| <= 1e10); whole frame rejected`, seq);
}
