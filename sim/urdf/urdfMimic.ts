import type { UrdfJoint } from './parseUrdf.ts';
import { attr, child, optionalNumber, requireAttr, type Fail, type Note, type XmlNode } from './urdfXml.ts';

/**
 * A URDF `<mimic joint="J" multiplier="m" offset="o"/>` on a moving joint: the joint (the
 * follower) is not driven of its own, its position is q = m·q_J + o (the URDF spec: multiplier
 * default 1, offset default 0; rad for a revolute joint, m for a prismatic one, so between a
 * prismatic and a revolute joint m is in m/rad or rad/m). Both simulators couple it to its leader
 * (docs/urdf.md, "Mimic joints"). A `<mimic>` on a fixed joint is nothing: a fixed joint does not move.
 */
export interface UrdfMimic {
  /** The joint `<mimic joint>` names, and the multiplier and offset as written (defaults 1 and 0). */
  readonly joint: string;
  readonly multiplier: number;
  readonly offset: number;
  /**
   * The chain resolved (a mimic of a mimic): the joint the motion comes from, the first one up the
   * chain that mimics nothing or is fixed, with q = rootMultiplier · q_root + rootOffset.
   */
  readonly root: string;
  readonly rootMultiplier: number;
  readonly rootOffset: number;
  /** The root is a fixed joint (position 0): the follower is held at rootOffset (note URDF_MIMIC_FIXED_LEADER). */
  readonly rootFixed: boolean;
}

/** A `<mimic>` as read, before the chain is resolved. */
export interface RawMimic {
  readonly joint: string;
  readonly multiplier: number;
  readonly offset: number;
}

/** The `<mimic>` of a joint element, or undefined; URDF_ATTRIBUTE without `joint=`, URDF_NUMBER for a number that is not one. */
export function readMimic(j: XmlNode, where: string, fail: Fail): RawMimic | undefined {
  const m = child(j, 'mimic');
  if (m === undefined) return undefined;
  const w = `${where} <mimic${attr(m, 'joint') === undefined ? '' : ` joint="${attr(m, 'joint')}"`}>`;
  return { joint: requireAttr(m, 'joint', w, fail), multiplier: optionalNumber(m, 'multiplier', 1, w, fail), offset: optionalNumber(m, 'offset', 0, w, fail) };
}

/**
 * The moving joints with their `<mimic>` resolved (the others as they are, in the same order).
 * Errors, each naming the follower's `<mimic>`: URDF_MIMIC_JOINT for a joint that does not exist,
 * URDF_MIMIC_CYCLE for a joint that mimics itself or a loop of mimics. Notes: URDF_MIMIC (one per
 * follower, merged into one with a count), URDF_MIMIC_FIXED_LEADER, URDF_MIMIC_RANGE (the leader's
 * range, mapped, leaves the follower's limits).
 */
export function resolveMimics(joints: readonly UrdfJoint[], raw: ReadonlyMap<string, RawMimic>, fail: Fail, note: Note): UrdfJoint[] {
  const byName = new Map(joints.map((j) => [j.name, j]));
  const where = (name: string) => `<joint name="${name}"> <mimic joint="${raw.get(name)!.joint}">`;
  for (const [name, r] of raw) {
    if (r.joint === name) fail('URDF_MIMIC_CYCLE', where(name), 'the joint mimics itself', 'the name of another joint, the one whose motion this joint follows');
    if (!byName.has(r.joint)) fail('URDF_MIMIC_JOINT', where(name), `joint "${r.joint}" does not exist`, `the name of a <joint> in this robot (${joints.filter((j) => j.type !== 'fixed' && j.name !== name).map((j) => j.name).join(', ')})`);
  }
  return joints.map((j) => {
    const r = raw.get(j.name);
    if (r === undefined || j.type === 'fixed') return j;
    // Up the chain: each step q = m·q_next + o composes as m·(m'·q + o') + o.
    let m = r.multiplier;
    let o = r.offset;
    let root = r.joint;
    const seen = [j.name];
    for (let next = raw.get(root); next !== undefined && byName.get(root)!.type !== 'fixed'; next = raw.get(root)) {
      if (seen.includes(root)) fail('URDF_MIMIC_CYCLE', where(j.name), `the mimics form a loop (${[...seen, root].join(' -> ')})`, 'a chain of mimics that ends at a joint that mimics nothing');
      seen.push(root);
      o = m * next.offset + o;
      m = m * next.multiplier;
      root = next.joint;
    }
    const leader = byName.get(root)!;
    const rootFixed = leader.type === 'fixed';
    const via = seen.length > 1 ? ` through ${seen.slice(1).join(', ')}` : '';
    const formula = `q = ${+m.toPrecision(6)}·q(${root}) ${o < 0 ? '-' : '+'} ${+Math.abs(o).toPrecision(6)}`;
    if (rootFixed) note('URDF_MIMIC_FIXED_LEADER', where(j.name), `follows ${root}${via}, a fixed joint (position 0): held at ${+o.toPrecision(6)}, its own command ignored`);
    else note('URDF_MIMIC', where(j.name), `follows ${root}${via} (${formula}): moved by it, not commanded (its command is ignored), observed as any joint`);
    // The leader's range mapped through the coupling, against the follower's own limits.
    const lo = rootFixed ? 0 : leader.type === 'continuous' ? -Infinity : leader.lower;
    const hi = rootFixed ? 0 : leader.type === 'continuous' ? Infinity : leader.upper;
    const [fl, fu] = j.type === 'continuous' ? [-Infinity, Infinity] : [j.lower, j.upper];
    const range = mimicRangeMessage(root, m, o, lo, hi, fl, fu, `there the engines differ (cannon-es: its limit stops ${rootFixed ? 'it' : `${root} too`}; MuJoCo: the coupling carries it past its limit)`);
    if (range !== undefined) note('URDF_MIMIC_RANGE', where(j.name), range);
    return { ...j, mimic: { joint: r.joint, multiplier: r.multiplier, offset: r.offset, root, rootMultiplier: m, rootOffset: o, rootFixed } };
  });
}

/**
 * Where a follower's coupling q = m·q_leader + o puts it over its leader's range [lo, hi] (o alone
 * for m 0), said when that leaves the follower's own limits [fl, fu] (±Infinity: none), `then`
 * saying what the engine does there; undefined when it stays inside (1e-9 of slack, relative). The
 * check behind URDF_MIMIC_RANGE and an MJCF follower's MUJOCO_MJCF_MIMIC_RANGE.
 */
export function mimicRangeMessage(leader: string, m: number, o: number, lo: number, hi: number, fl: number, fu: number, then: string): string | undefined {
  const a = m === 0 ? o : m * lo + o;
  const b = m === 0 ? o : m * hi + o;
  const reach: [number, number] = [Math.min(a, b), Math.max(a, b)];
  const eps = 1e-9 * Math.max(1, Math.abs(fl), Math.abs(fu));
  if (!(reach[0] < fl - eps || reach[1] > fu + eps)) return undefined;
  return `over ${leader}'s range [${lo}, ${hi}] the coupling puts this joint at [${+reach[0].toPrecision(6)}, ${+reach[1].toPrecision(6)}], outside its limits [${fl}, ${fu}]: ${then}`;
}
