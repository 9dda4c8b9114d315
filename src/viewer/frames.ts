/**
 * The viewer's binary frames (server -> page over WebSocket), little-endian. The state frame:
 *
 *   offset  type     field
 *   0       u8       kind = 1 (state)
 *   1       u8       version = 2
 *   2       u8       safety state (0 running, 1 degraded, 2 safe-stop, 3 e-stopped)
 *   3       u8       flags (bit 0: paused, bit 1: commands allowed for this connection)
 *   4       u32      loop tick seq
 *   8       f64      tick time (s, clock base)
 *   16      u16      L = link count
 *   18      u16      N = joint count
 *   20      u16      C = contact sensor count
 *   22      u16      0 (reserved)
 *   24      f32[7L]  per link: position x y z (m, world), orientation x y z w
 *   ...     f32[4N]  per joint: position (rad|m), target (after safety), effort (N·m|N), velocity
 *   ...     f32[C]   per contact sensor: normal force (N), order of RobotSpec.sensors.contacts
 *
 * A state frame is always of a tick that happened: none is sent before the loop's first tick.
 *
 * The rollout frame (a world model's rollouts of one tick, see RolloutTrace), sent when they change:
 *
 *   0       u8       kind = 2 (rollouts)
 *   1       u8       version = 1
 *   2       u8       mode (1 plan, 2 shield)
 *   3       u8       0 (reserved)
 *   4       u32      loop tick seq of the rollouts
 *   8       u16      R = rows (row = one rolled-out action sequence)
 *   10      u16      T = points per row (start state + H predicted states)
 *   12      u16      S = world-model state size
 *   14      i16      chosen row (drawn as the predicted trajectory), −1 none
 *   16      f32[R]   score per row (plan: cost; shield: worst predicted violation, 0 = safe)
 *   ...     f32[TRS] states, time-major: point t, row r at ((t·R) + r)·S
 *
 * Everything else (hello, stats with the world model's per-tick series, events, command replies) is JSON text. The page (page/viewer.js)
 * holds the same decoders in JavaScript; tests check the two against each other.
 */
export const FRAME_KIND_STATE = 1;
export const FRAME_VERSION = 2;
export const FRAME_HEADER_BYTES = 24;
export const FRAME_KIND_ROLLOUTS = 2;
export const ROLLOUT_VERSION = 1;
export const ROLLOUT_HEADER_BYTES = 16;
export const ROLLOUT_MODES = ['', 'plan', 'shield'] as const;
export const SAFETY_STATES = ['running', 'degraded', 'safe-stop', 'e-stopped'] as const;
export const FLAG_PAUSED = 1;
export const FLAG_COMMANDS = 2;


export function stateFrameBytes(links: number, joints: number, contacts = 0): number {
  return FRAME_HEADER_BYTES + 4 * (7 * links + 4 * joints + contacts);
}

export interface StateFrame {
  safetyState: (typeof SAFETY_STATES)[number];
  flags: number;
  seq: number;
  time: number;
  /** 7 per link: x y z qx qy qz qw. */
  links: Float32Array;
  /** 4 per joint: position, target, effort, velocity. */
  joints: Float32Array;
  /** Normal force (N) per contact sensor. */
  contacts: Float32Array;
}

/**
 * Writes a state frame into `out` (sized with stateFrameBytes). `links` holds 7 values per link,
 * `joints` 4 per joint, `contacts` one per contact sensor, as in the layout above.
 */
export function encodeStateFrame(
  out: DataView,
  safetyIndex: number,
  flags: number,
  seq: number,
  time: number,
  links: ArrayLike<number>,
  nLinks: number,
  joints: ArrayLike<number>,
  nJoints: number,
  contacts: ArrayLike<number> = [],
): void {
  out.setUint8(0, FRAME_KIND_STATE);
  out.setUint8(1, FRAME_VERSION);
  out.setUint8(2, safetyIndex);
  out.setUint8(3, flags);
  out.setUint32(4, seq >>> 0, true);
  out.setFloat64(8, time, true);
  out.setUint16(16, nLinks, true);
  out.setUint16(18, nJoints, true);
  out.setUint16(20, contacts.length, true);
  out.setUint16(22, 0, true);
  let o = FRAME_HEADER_BYTES;
  for (let i = 0; i < 7 * nLinks; i++, o += 4) out.setFloat32(o, links[i], true);
  for (let i = 0; i < 4 * nJoints; i++, o += 4) out.setFloat32(o, joints[i], true);
  for (let i = 0; i < contacts.length; i++, o += 4) out.setFloat32(o, contacts[i], true);
}

/** Decodes a state frame; throws AxonError-like errors naming the byte that is wrong. */
export function decodeStateFrame(buf: ArrayBuffer | Uint8Array): StateFrame {
  const u8 = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const v = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  if (u8.byteLength < FRAME_HEADER_BYTES) throw new Error(`state frame: ${u8.byteLength} bytes, expected at least ${FRAME_HEADER_BYTES}`);
  if (v.getUint8(0) !== FRAME_KIND_STATE) throw new Error(`state frame byte 0: kind ${v.getUint8(0)}, expected ${FRAME_KIND_STATE}`);
  if (v.getUint8(1) !== FRAME_VERSION) throw new Error(`state frame byte 1: version ${v.getUint8(1)}, expected ${FRAME_VERSION}`);
  const nLinks = v.getUint16(16, true);
  const nJoints = v.getUint16(18, true);
  const nContacts = v.getUint16(20, true);
  const need = stateFrameBytes(nLinks, nJoints, nContacts);
  if (u8.byteLength !== need) throw new Error(`state frame: ${u8.byteLength} bytes for ${nLinks} links, ${nJoints} joints and ${nContacts} contacts, expected ${need}`);
  const links = new Float32Array(7 * nLinks);
  const joints = new Float32Array(4 * nJoints);
  const contacts = new Float32Array(nContacts);
  let o = FRAME_HEADER_BYTES;
  for (let i = 0; i < links.length; i++, o += 4) links[i] = v.getFloat32(o, true);
  for (let i = 0; i < joints.length; i++, o += 4) joints[i] = v.getFloat32(o, true);
  for (let i = 0; i < contacts.length; i++, o += 4) contacts[i] = v.getFloat32(o, true);
  return {
    safetyState: SAFETY_STATES[v.getUint8(2)] ?? 'running',
    flags: v.getUint8(3),
    seq: v.getUint32(4, true),
    time: v.getFloat64(8, true),
    links,
    joints,
    contacts,
  };
}

export function rolloutFrameBytes(rows: number, points: number, stateSize: number): number {
  return ROLLOUT_HEADER_BYTES + 4 * (rows + points * rows * stateSize);
}

/** What a rollout frame carries (see the layout above). */
export interface RolloutFrame {
  mode: (typeof ROLLOUT_MODES)[number];
  seq: number;
  rows: number;
  points: number;
  stateSize: number;
  chosen: number;
  scores: Float32Array;
  /** points × rows × stateSize, time-major. */
  states: Float32Array;
}

/**
 * Writes a rollout frame into `out` (sized with rolloutFrameBytes(rows, points, stateSize)) from
 * the front buffer of a trace whose rows are `capacity` apart: only the `rows` valid rows are sent.
 */
export function encodeRolloutFrame(
  out: DataView,
  mode: number,
  seq: number,
  rows: number,
  points: number,
  stateSize: number,
  chosen: number,
  scores: ArrayLike<number>,
  states: ArrayLike<number>,
  capacity: number,
): void {
  out.setUint8(0, FRAME_KIND_ROLLOUTS);
  out.setUint8(1, ROLLOUT_VERSION);
  out.setUint8(2, mode);
  out.setUint8(3, 0);
  out.setUint32(4, seq >>> 0, true);
  out.setUint16(8, rows, true);
  out.setUint16(10, points, true);
  out.setUint16(12, stateSize, true);
  out.setInt16(14, chosen, true);
  let o = ROLLOUT_HEADER_BYTES;
  for (let r = 0; r < rows; r++, o += 4) out.setFloat32(o, scores[r], true);
  for (let t = 0; t < points; t++)
    for (let i = t * capacity * stateSize, end = i + rows * stateSize; i < end; i++, o += 4) out.setFloat32(o, states[i], true);
}

/** Decodes a rollout frame; throws errors naming the byte that is wrong. */
export function decodeRolloutFrame(buf: ArrayBuffer | Uint8Array): RolloutFrame {
  const u8 = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const v = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  if (u8.byteLength < ROLLOUT_HEADER_BYTES) throw new Error(`rollout frame: ${u8.byteLength} bytes, expected at least ${ROLLOUT_HEADER_BYTES}`);
  if (v.getUint8(0) !== FRAME_KIND_ROLLOUTS) throw new Error(`rollout frame byte 0: kind ${v.getUint8(0)}, expected ${FRAME_KIND_ROLLOUTS}`);
  if (v.getUint8(1) !== ROLLOUT_VERSION) throw new Error(`rollout frame byte 1: version ${v.getUint8(1)}, expected ${ROLLOUT_VERSION}`);
  const mode = ROLLOUT_MODES[v.getUint8(2)];
  if (!mode) throw new Error(`rollout frame byte 2: mode ${v.getUint8(2)}, expected 1 (plan) or 2 (shield)`);
  const rows = v.getUint16(8, true), points = v.getUint16(10, true), stateSize = v.getUint16(12, true);
  const need = rolloutFrameBytes(rows, points, stateSize);
  if (u8.byteLength !== need) throw new Error(`rollout frame: ${u8.byteLength} bytes for ${rows} rows × ${points} points × ${stateSize} states, expected ${need}`);
  const scores = new Float32Array(rows);
  const states = new Float32Array(points * rows * stateSize);
  let o = ROLLOUT_HEADER_BYTES;
  for (let i = 0; i < rows; i++, o += 4) scores[i] = v.getFloat32(o, true);
  for (let i = 0; i < states.length; i++, o += 4) states[i] = v.getFloat32(o, true);
  return { mode, seq: v.getUint32(4, true), rows, points, stateSize, chosen: v.getInt16(14, true), scores, states };
}
