// Decoders of the viewer's binary frames, for the page. The layouts are documented in
// src/viewer/frames.ts; tests/src/viewer/frames.test.ts checks these against the TypeScript ones.

export const SAFETY = ['running', 'degraded', 'safe-stop', 'e-stopped'];
export const ROLLOUT_MODES = ['', 'plan', 'shield'];

/** Decodes a state frame (kind 1, version 2); throws an error naming what is wrong. */
export function decodeStateFrame(buf) {
  const v = new DataView(buf);
  if (buf.byteLength < 24) throw new Error(`state frame: ${buf.byteLength} bytes, expected at least 24`);
  if (v.getUint8(0) !== 1 || v.getUint8(1) !== 2) throw new Error(`state frame: kind/version ${v.getUint8(0)}/${v.getUint8(1)}, expected 1/2`);
  const nLinks = v.getUint16(16, true), nJoints = v.getUint16(18, true), nContacts = v.getUint16(20, true);
  const need = 24 + 4 * (7 * nLinks + 4 * nJoints + nContacts);
  if (buf.byteLength !== need) throw new Error(`state frame: ${buf.byteLength} bytes for ${nLinks} links, ${nJoints} joints and ${nContacts} contacts, expected ${need}`);
  const links = new Float32Array(7 * nLinks), joints = new Float32Array(4 * nJoints), contacts = new Float32Array(nContacts);
  let o = 24;
  for (let i = 0; i < links.length; i++, o += 4) links[i] = v.getFloat32(o, true);
  for (let i = 0; i < joints.length; i++, o += 4) joints[i] = v.getFloat32(o, true);
  for (let i = 0; i < contacts.length; i++, o += 4) contacts[i] = v.getFloat32(o, true);
  return { safetyState: SAFETY[v.getUint8(2)], flags: v.getUint8(3), seq: v.getUint32(4, true), time: v.getFloat64(8, true), links, joints, contacts };
}

/** Decodes a rollout frame (kind 2, version 1): a world model's rollouts of one tick; throws an error naming what is wrong. */
export function decodeRolloutFrame(buf) {
  const v = new DataView(buf);
  if (buf.byteLength < 16) throw new Error(`rollout frame: ${buf.byteLength} bytes, expected at least 16`);
  if (v.getUint8(0) !== 2 || v.getUint8(1) !== 1) throw new Error(`rollout frame: kind/version ${v.getUint8(0)}/${v.getUint8(1)}, expected 2/1`);
  if (!ROLLOUT_MODES[v.getUint8(2)]) throw new Error(`rollout frame byte 2: mode ${v.getUint8(2)}, expected 1 (plan) or 2 (shield)`);
  const rows = v.getUint16(8, true), points = v.getUint16(10, true), stateSize = v.getUint16(12, true);
  const need = 16 + 4 * (rows + points * rows * stateSize);
  if (buf.byteLength !== need) throw new Error(`rollout frame: ${buf.byteLength} bytes for ${rows} rows × ${points} points × ${stateSize} states, expected ${need}`);
  const scores = new Float32Array(rows), states = new Float32Array(points * rows * stateSize);
  let o = 16;
  for (let i = 0; i < rows; i++, o += 4) scores[i] = v.getFloat32(o, true);
  for (let i = 0; i < states.length; i++, o += 4) states[i] = v.getFloat32(o, true);
  return { mode: ROLLOUT_MODES[v.getUint8(2)], seq: v.getUint32(4, true), rows, points, stateSize, chosen: v.getInt16(14, true), scores, states };
}

/** Frame kind of a binary message (byte 0). */
export const frameKind = (buf) => new DataView(buf).getUint8(0);
