/**
 * What an MJCF's own actuators say, read before axon replaces them by its PD actuators
 * (compileMjcf.ts): which joints they move, and a joint's effort limit and position gains, from
 * an actuator on the joint or, for a mimic group (mjcfMimic.ts), from one on a fixed tendon over
 * the group (menagerie's gripper fingers).
 */
import type { MainModule, MjModel } from '@mujoco/mujoco';
import type { JointSpec } from '../../src/core/robot.ts';
import { mujocoName } from './loadMujoco.ts';

/** What an MJCF's own actuator on a joint said, kept when axon replaces it (effort limit, position gains). */
export interface MjcfActuatorInfo {
  /** N·m | N: the bound MuJoCo applies: the actuator's force range, a motor's control range × gain × gear, the smaller of the two. */
  readonly effortLimit?: number;
  /** A position actuator's stiffness (N·m/rad) and damping (N·m·s/rad), over its gear. */
  readonly kp?: number;
  readonly kd?: number;
  /** A position actuator's ctrlrange over its gear: the joint targets MuJoCo accepts (rad | m). */
  readonly targetRange?: readonly [number, number];
  /** Where targetRange came from when not the ctrlrange: an <intvelocity>'s actrange. */
  readonly targetFrom?: 'actrange';
  /**
   * A velocity servo's damping (kv × gear²) on a joint no position servo drives: not used (axon's
   * PD there takes the default rule's gains), named in a note (createMujocoMjcfRobot.ts).
   */
  readonly velocityKv?: number;
  /**
   * Read from an actuator on a fixed tendon over the joint's mimic group (groupTendonActuators):
   * its name, the tendon's, its gear and the tendon's length per unit of the leader (factor).
   */
  readonly tendon?: { readonly actuator: string; readonly tendon: string; readonly gear: number; readonly factor: number };
}

type Info = { effortLimit?: number; kp?: number; kd?: number; targetRange?: [number, number]; targetFrom?: 'actrange'; velocityKd?: number };

/**
 * Whether each of the model's actuators is force- and ctrl-limited, as MuJoCo decides it (read from
 * the spec: the compiled forcelimited/ctrllimited are bool arrays this build cannot read): "true",
 * or "auto" with a range given under autolimits. `forcelimited="false"` with a forcerange bounds
 * nothing. In actuator order; compileMjcf.ts reads it (specActuatorLimits).
 */
export type ActuatorLimited = readonly { readonly force: boolean; readonly ctrl: boolean }[];

/**
 * What actuator `a` says about a coordinate it moves by `scale` per unit (its gear for a joint;
 * gear × the coupled motion's factor for a tendon over a mimic group), merged into `info`: an
 * effort limit, the bound MuJoCo actually applies: a force range (forcelimited) and, for a motor
 * (fixed gain, no bias), its ctrlrange × gain (ctrllimited), the smaller where both are given;
 * as a position servo (affine bias −kp·length − kv·velocity) its kp and kv × scale². On a joint
 * (`ctrlIsTarget`) only an actuator whose gain is its kp is a servo (<position kp kv>: force =
 * kp·(ctrl − gear·q)), and its ctrlrange / gear is the targets it accepts (an <intvelocity>'s
 * ctrlrange is a velocity: its targets are its actrange / gear); a velocity servo (<velocity kv>:
 * bias 0, −kv) adds its kv × scale² to the joint's damping (velocityKd), which a position servo on
 * the same joint takes (dm_control's and robosuite's PD as two actuators). On a tendon the gain
 * only maps ctrl to the target (menagerie's grippers: ctrl 0..255, gain kp·0.04/255).
 */
function readActuator(mj: MainModule, m: MjModel, a: number, scale: number, ctrlIsTarget: boolean, info: Info, limited?: ActuatorLimited): void {
  const gaintype = m.actuator_gaintype as Int32Array;
  const gainprm = m.actuator_gainprm as Float64Array;
  const biastype = m.actuator_biastype as Int32Array;
  const biasprm = m.actuator_biasprm as Float64Array;
  const dyntype = m.actuator_dyntype as Int32Array;
  const forcerange = m.actuator_forcerange as Float64Array;
  const ctrlrange = m.actuator_ctrlrange as Float64Array;
  const actrange = m.actuator_actrange as Float64Array;
  const NGAIN = gainprm.length / Math.max(1, m.nu);
  const NB = biasprm.length / Math.max(1, m.nu);
  const g = Math.abs(scale) || 1;
  const gain = gainprm[NGAIN * a];
  const kp = -biasprm[NB * a + 1];
  const kv = -biasprm[NB * a + 2];
  const fixedGain = gaintype[a] === mj.mjtGain.mjGAIN_FIXED.value;
  // Without the spec's flags, a range lo < hi is taken as limited, as the compiler's "auto" does.
  const given = (r: Float64Array) => r[2 * a] < r[2 * a + 1];
  const forceLimited = limited?.[a]?.force ?? given(forcerange);
  const ctrlLimited = limited?.[a]?.ctrl ?? given(ctrlrange);
  const bound = (r: Float64Array) => Math.max(Math.abs(r[2 * a]), Math.abs(r[2 * a + 1]));
  // The force range bounds the actuator's force; a motor's force is gain·ctrl, ctrl clamped to its
  // ctrlrange: MuJoCo applies the smaller bound (gear 50, ctrlrange ±1, forcerange ±3: 3, not 50 · 1;
  // forcerange ±300: 50). The coordinate gets scale × that.
  const bounds: number[] = [];
  if (forceLimited && given(forcerange)) bounds.push(bound(forcerange));
  if (ctrlLimited && given(ctrlrange) && fixedGain && biastype[a] === mj.mjtBias.mjBIAS_NONE.value && dyntype[a] !== mj.mjtDyn.mjDYN_INTEGRATOR.value)
    bounds.push(bound(ctrlrange) * Math.abs(gain));
  if (bounds.length > 0) info.effortLimit = Math.min(...bounds) * g;
  const affine = fixedGain && biastype[a] === mj.mjtBias.mjBIAS_AFFINE.value && gain > 0;
  // A velocity servo: force = kv·(ctrl − gear·q̇), damping kv·gear² about a zero ctrl.
  if (ctrlIsTarget && affine && biasprm[NB * a + 1] === 0 && kv > 0 && Math.abs(kv - gain) < 1e-9 * gain && dyntype[a] === mj.mjtDyn.mjDYN_NONE.value) {
    info.velocityKd = (info.velocityKd ?? 0) + kv * g * g;
    return;
  }
  if (!(affine && kp > 0)) return;
  if (ctrlIsTarget && Math.abs(kp - gain) >= 1e-9 * gain) return;
  // Bias [0, −kp, −kv] on the actuator's length; on the coordinate, × scale².
  info.kp = (ctrlIsTarget ? gain : kp) * g * g;
  info.kd = kv * g * g;
  if (!ctrlIsTarget) return;
  // force = kp·(ctrl − gear·q): the target is ctrl / gear, bounded by ctrlrange / gear; an
  // integrator's (<intvelocity>) is its activation, bounded by actrange / gear. (A range "-inf inf" bounds nothing.)
  const targets = dyntype[a] === mj.mjtDyn.mjDYN_INTEGRATOR.value ? actrange : ctrlLimited ? ctrlrange : undefined;
  const gs = scale || 1;
  if (targets && given(targets) && (Number.isFinite(targets[2 * a]) || Number.isFinite(targets[2 * a + 1]))) {
    const [lo, hi] = [targets[2 * a] / gs, targets[2 * a + 1] / gs];
    info.targetRange = lo < hi ? [lo, hi] : [hi, lo];
    if (targets === actrange) info.targetFrom = 'actrange';
  }
}

/**
 * The model's own joint actuators (readActuator, on the joint by its gear). Others (tendons,
 * sites, muscles) say nothing here; a tendon's over a mimic group is groupTendonActuators'.
 */
export function mjcfActuators(mj: MainModule, m: MjModel, limited?: ActuatorLimited): Record<string, MjcfActuatorInfo> {
  const out: Record<string, Info> = {};
  const trntype = m.actuator_trntype as Int32Array;
  const trnid = m.actuator_trnid as Int32Array;
  const gear = m.actuator_gear as Float64Array;
  for (let a = 0; a < m.nu; a++) {
    if (trntype[a] !== mj.mjtTrn.mjTRN_JOINT.value) continue;
    const joint = mujocoName(mj, m, mj.mjtObj.mjOBJ_JOINT.value, trnid[2 * a]);
    if (!joint) continue;
    const info: Info = { ...out[joint] };
    readActuator(mj, m, a, gear[6 * a], true, info, limited);
    out[joint] = info;
  }
  // A velocity servo's damping goes to the joint's position servo (its kd); alone, it sets no gains.
  const result: Record<string, MjcfActuatorInfo> = {};
  for (const [joint, { velocityKd, ...info }] of Object.entries(out))
    result[joint] = velocityKd === undefined ? info : info.kp !== undefined ? { ...info, kd: (info.kd ?? 0) + velocityKd } : { ...info, velocityKv: velocityKd };
  return result;
}

/**
 * For each mimic group (`followers`: JointSpec.mimic by name) that one of the model's actuators
 * moves through a fixed tendon over its joints alone (menagerie's panda hand and Robotiq 2F-85:
 * "split", 0.5 on each finger): that actuator as the leader's (readActuator), on the coupled
 * motion. The tendon's length changes by factor = Σ coef·u per unit of the leader (u: 1 for the
 * leader, a follower's multiplier; 0.5 + 0.5 = 1 on "split"), so the leader's kp and kv are the
 * actuator's × (gear·factor)² and its effort limit the force range × |gear·factor|: the model's
 * own law on the group. A group with several such actuators, or a factor of 0, gets none.
 * By leader name.
 */
export function groupTendonActuators(mj: MainModule, m: MjModel, followers: ReadonlyMap<string, NonNullable<JointSpec['mimic']>>, limited?: ActuatorLimited): Map<string, MjcfActuatorInfo> {
  const trntype = m.actuator_trntype as Int32Array;
  const trnid = m.actuator_trnid as Int32Array;
  const gear = m.actuator_gear as Float64Array;
  const adr = m.tendon_adr as Int32Array;
  const num = m.tendon_num as Int32Array;
  const wtype = m.wrap_type as Int32Array;
  const wobj = m.wrap_objid as Int32Array;
  const wprm = m.wrap_prm as Float64Array;
  const JOINT = mj.mjtObj.mjOBJ_JOINT.value;
  const leaders = new Set([...followers.values()].map((f) => f.joint));
  const found = new Map<string, number[]>();
  const factors = new Map<number, number>();
  for (let a = 0; a < m.nu; a++) {
    if (trntype[a] !== mj.mjtTrn.mjTRN_TENDON.value) continue;
    const t = trnid[2 * a];
    let leader: string | undefined;
    let factor = 0;
    let one = num[t] > 0;
    for (let w = adr[t]; w < adr[t] + num[t]; w++) {
      const n = wtype[w] === mj.mjtWrap.mjWRAP_JOINT.value ? mujocoName(mj, m, JOINT, wobj[w]) : '';
      const l = leaders.has(n) ? n : followers.get(n)?.joint;
      if (l === undefined || (leader !== undefined && l !== leader)) {
        one = false;
        break;
      }
      leader = l;
      factor += wprm[w] * (n === l ? 1 : followers.get(n)!.multiplier);
    }
    if (!one || leader === undefined || factor === 0) continue;
    found.set(leader, [...(found.get(leader) ?? []), a]);
    factors.set(a, factor);
  }
  const out = new Map<string, MjcfActuatorInfo>();
  for (const [leader, [a, ...more]] of found) {
    if (more.length > 0) continue;
    const factor = factors.get(a)!;
    const info: Info = {};
    readActuator(mj, m, a, gear[6 * a] * factor, false, info, limited);
    const actuator = mujocoName(mj, m, mj.mjtObj.mjOBJ_ACTUATOR.value, a) || `#${a}`;
    const tendon = mujocoName(mj, m, mj.mjtObj.mjOBJ_TENDON.value, trnid[2 * a]) || `#${trnid[2 * a]}`;
    out.set(leader, { ...info, tendon: { actuator, tendon, gear: gear[6 * a], factor } });
  }
  return out;
}

/**
 * The joints the model's own actuators move: through a joint transmission, or through a fixed
 * tendon that wraps them. `unresolved` names the actuators whose transmission does not say which
 * joints they move (site, body, slider-crank, a spatial tendon): with any of them, no joint can be
 * called passive.
 */
export function actuatedJoints(mj: MainModule, m: MjModel): { byJoint: Set<string>; byTendon: Set<string>; unresolved: string[] } {
  const byJoint = new Set<string>();
  const byTendon = new Set<string>();
  const unresolved: string[] = [];
  const trntype = m.actuator_trntype as Int32Array;
  const trnid = m.actuator_trnid as Int32Array;
  const JOINT = mj.mjtObj.mjOBJ_JOINT.value;
  const actuator = (a: number) => mujocoName(mj, m, mj.mjtObj.mjOBJ_ACTUATOR.value, a) || `#${a}`;
  for (let a = 0; a < m.nu; a++) {
    const t = trntype[a];
    if (t === mj.mjtTrn.mjTRN_JOINT.value || t === mj.mjtTrn.mjTRN_JOINTINPARENT.value) byJoint.add(mujocoName(mj, m, JOINT, trnid[2 * a]));
    else if (t === mj.mjtTrn.mjTRN_TENDON.value) {
      const tendon = trnid[2 * a];
      const adr = (m.tendon_adr as Int32Array)[tendon];
      const num = (m.tendon_num as Int32Array)[tendon];
      for (let w = adr; w < adr + num; w++) {
        if ((m.wrap_type as Int32Array)[w] === mj.mjtWrap.mjWRAP_JOINT.value) byTendon.add(mujocoName(mj, m, JOINT, (m.wrap_objid as Int32Array)[w]));
        else {
          unresolved.push(actuator(a));
          break;
        }
      }
    } else unresolved.push(actuator(a));
  }
  for (const j of byJoint) byTendon.delete(j);
  return { byJoint, byTendon, unresolved };
}
