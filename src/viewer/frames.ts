/**
 * The viewer's binary state frame (server -> page over WebSocket), little-endian:
 *
 *   offset  type     field
 *   0       u8       kind = 1 (state)
 *   1       u8       version = 1
 *   2       u8       safety state (0 running, 1 degraded, 2 safe-stop, 3 e-stopped)
 *   3       u8       flags (bit 0: paused, bit 1: commands allowed for this connection)
 *   4       u32      loop tick seq
 *   8       f64      tick time (s, clock base)
 *   16      u16      L = link count
 *   18      u16      N = joint count
 *   20      f32[7L]  per link: position x y z (m, world), orientation x y z w
 *   ...     f32[4N]  per joint: position (rad|m), target (after safety), effort (N·m|N), velocity
 *
 * Everything else (hello, stats, events, command replies) is JSON text. The page (page/viewer.js)
 * holds the same decoder in JavaScript; tests check the two against each other.
 */
export const FRAME_KIND_STATE = 1;
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 20;
export const SAFETY_STATES = ['running', 'degraded', 'safe-stop', 'e-stopped'] as const;
export const FLAG_PAUSED = 1;
export const FLAG_COMMANDS = 2;

export function stateFrameBytes(links: number, joints: number): number {
  return FRAME_HEADER_BYTES + 4 * (7 * links + 4 * joints);
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
}

/**
 * Writes a state frame into `out` (sized with stateFrameBytes). `links` holds 7 values per link,
 * `joints` 4 per joint, as in the layout above.
 */
export function encodeStateFrame(out: DataView, safetyIndex: number, flags: number, seq: number, time: number, links: ArrayLike<number>, nLinks: number, joints: ArrayLike<number>, nJoints: number): void {
  out.setUint8(0, FRAME_KIND_STATE);
  out.setUint8(1, FRAME_VERSION);
  out.setUint8(2, safetyIndex);
  out.setUint8(3, flags);
  out.setUint32(4, seq >>> 0, true);
  out.setFloat64(8, time, true);
  out.setUint16(16, nLinks, true);
  out.setUint16(18, nJoints, true);
  let o = FRAME_HEADER_BYTES;
  for (let i = 0; i < 7 * nLinks; i++, o += 4) out.setFloat32(o, links[i], true);
  for (let i = 0; i < 4 * nJoints; i++, o += 4) out.setFloat32(o, joints[i], true);
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
  const need = stateFrameBytes(nLinks, nJoints);
  if (u8.byteLength !== need) throw new Error(`state frame: ${u8.byteLength} bytes for ${nLinks} links and ${nJoints} joints, expected ${need}`);
  const links = new Float32Array(7 * nLinks);
  const joints = new Float32Array(4 * nJoints);
  let o = FRAME_HEADER_BYTES;
  for (let i = 0; i < links.length; i++, o += 4) links[i] = v.getFloat32(o, true);
  for (let i = 0; i < joints.length; i++, o += 4) joints[i] = v.getFloat32(o, true);
  return {
    safetyState: SAFETY_STATES[v.getUint8(2)] ?? 'running',
    flags: v.getUint8(3),
    seq: v.getUint32(4, true),
    time: v.getFloat64(8, true),
    links,
    joints,
  };
}
