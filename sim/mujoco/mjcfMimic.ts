/**
 * An MJCF's joint couplings (`<equality><joint joint1 joint2 polycoef>`, mujoco_menagerie's gripper
 * fingers) read as followers, as a URDF `<mimic>` is (docs/urdf.md and docs/mujoco.md, "Mimic
 * joints"): joint1 follows joint2, never commanded, the model's own equality moving it.
 */
import type { MainModule, MjModel, MjsEquality, MjSpec } from '@mujoco/mujoco';
import type { JointSpec } from '../../src/core/robot.ts';
import type { UrdfNote } from '../urdf/parseUrdf.ts';
import { MIMIC_SOLIMP, MIMIC_TIMECONST_STEPS } from './compileUrdf.ts';
import { mujocoName } from './loadMujoco.ts';

/** What mjcfMimics decided. */
export interface MjcfMimics {
  /** Each follower's JointSpec.mimic (position = multiplier·leader + offset, on MuJoCo's qpos), by joint name. */
  readonly followers: ReadonlyMap<string, NonNullable<JointSpec['mimic']>>;
  /** Each follower's equality: its index among the model's (the compiled model's eq_* arrays), by joint name. */
  readonly equalities: ReadonlyMap<string, number>;
  /**
   * For a follower that rides on another joint of its group or carries its leader: the joints its
   * actuator's tendon wraps after its own (as compileUrdf.ts's for a URDF follower; the
   * coefficients are MujocoMimicGroups' to set once compiled).
   */
  readonly tendons: ReadonlyMap<string, readonly string[]>;
}

/** A number as the notes print it (6 significant digits). */
const fmt = (x: number): string => String(+x.toPrecision(6));

/**
 * The model's joint equalities (compiled `m`, from `spec`, whose equalities it lists in the same
 * order): one makes a follower when it is active, couples two of the robot's joints (`joints`) at
 * least one of which axon drives (not in `passive`: no actuator of the model moves it, so axon
 * gives it none), and is linear (polycoef c2..c4 zero, c1 not). MuJoCo's constraint is
 * q1 − q1₀ = c0 + c1·(q2 − q2₀) + ..., q₀ the joints' reference positions (qpos0, a joint's `ref`):
 * joint1 follows joint2 with multiplier c1 and offset q1₀ + c0 − c1·q2₀ when joint2 is driven
 * (joint1 driven too, or passive: menagerie's panda hand, its tendon over both); when only joint1
 * is driven (ALOHA's gripper and mjx_panda, an actuator on one finger), joint2 follows joint1,
 * q2 = q1/c1 + q2₀ − (q1₀ + c0)/c1. A leader may have several followers; a follower that leads
 * another, a joint two of them would move, or a loop is not one (axon's followers follow a
 * leader that is driven). Every joint equality not taken stays as MuJoCo simulates it, and the
 * note MUJOCO_MJCF_EQUALITY says why it is not a follower; MUJOCO_MJCF_MIMIC lists the
 * followers. A follower's equality gets a URDF <mimic>'s solref (2 physics steps of `timestep`,
 * s) and solimp in `spec`. Configure time only.
 */
export function mjcfMimics(mj: MainModule, m: MjModel, spec: MjSpec, joints: readonly string[], passive: ReadonlySet<string>, timestep: number, notes: UrdfNote[], where: string): MjcfMimics {
  const JOINT = mj.mjtObj.mjOBJ_JOINT.value;
  const type = m.eq_type as Int32Array;
  const obj1 = m.eq_obj1id as Int32Array;
  const obj2 = m.eq_obj2id as Int32Array;
  const data = m.eq_data as Float64Array;
  const NDATA = m.neq > 0 ? data.length / m.neq : 0;
  const qpos0 = m.qpos0 as Float64Array;
  const qadr = m.jnt_qposadr as Int32Array;
  // The spec's equalities, in the compiled order, and whether each is active (this build cannot read the compiled bool array eq_active0).
  const specEqs: (MjsEquality | undefined)[] = [];
  for (let e = mj.mjs_firstElement(spec, mj.mjtObj.mjOBJ_EQUALITY); e; e = mj.mjs_nextElement(spec, e)) specEqs.push(mj.mjs_asEquality(e));
  const isActive = (e: number) => specEqs.length !== m.neq || specEqs[e]?.active !== false;
  const name = (id: number) => (id >= 0 ? mujocoName(mj, m, JOINT, id) || `#${id}` : '');
  const robot = new Set(joints);
  const notJoint = (n: string) => (!robot.has(n) ? `${n} is not one of the robot's hinge or slide joints` : undefined);
  const q0 = (id: number) => qpos0[qadr[id]];
  /** A coupling taken: `follower` = multiplier·`leader` + offset. */
  interface Candidate { readonly e: number; readonly follower: string; readonly leader: string; readonly multiplier: number; readonly offset: number; readonly passive: boolean }
  const candidates: Candidate[] = [];
  const rejected: string[] = [];
  const eqs: number[] = [];
  for (let e = 0; e < m.neq; e++) if (type[e] === mj.mjtEq.mjEQ_JOINT.value) eqs.push(e);
  for (const e of eqs) {
    const j1 = name(obj1[e]);
    const j2 = name(obj2[e]);
    const c = Array.from(data.subarray(e * NDATA, e * NDATA + 5));
    const what = j2 === '' ? `${j1} held` : `${j1} = f(${j2})`;
    const why = !isActive(e)
      ? 'active="false": MuJoCo enforces it only once switched on'
      : j2 === ''
        ? `no joint2: it holds ${j1} at qpos0 + ${fmt(c[0])}, with no joint to follow`
        : (notJoint(j1) ?? notJoint(j2) ??
          (j1 === j2
            ? 'a joint coupled to itself'
            : passive.has(j1) && passive.has(j2)
              ? `neither joint is driven by axon: none of the model's actuators moves ${j1} or ${j2}, so both are passive`
              : c[2] !== 0 || c[3] !== 0 || c[4] !== 0
                ? `polycoef "${c.map(fmt).join(' ')}" is not linear: a follower is q1 = m·q2 + o, c2..c4 zero`
                : c[1] === 0
                  ? `polycoef c1 is 0: it holds ${j1} at a constant, with no joint to follow`
                  : undefined));
    if (why !== undefined) rejected.push(`${what} (${why})`);
    else if (passive.has(j2)) {
      // Only joint1 is driven: joint2 follows it, the constraint solved for q2.
      candidates.push({ e, follower: j2, leader: j1, multiplier: 1 / c[1], offset: q0(obj2[e]) - (q0(obj1[e]) + c[0]) / c[1], passive: true });
    } else candidates.push({ e, follower: j1, leader: j2, multiplier: c[1], offset: q0(obj1[e]) + c[0] - c[1] * q0(obj2[e]), passive: passive.has(j1) });
  }
  // A follower follows one leader that is driven: a joint that another active equality also
  // couples (a chain, a loop, a second coupling on it) or a leader that follows is not one.
  const uses = new Map<string, number>();
  for (const e of eqs) {
    if (!isActive(e)) continue;
    for (const n of [name(obj1[e]), name(obj2[e])]) if (n !== '') uses.set(n, (uses.get(n) ?? 0) + 1);
  }
  const asFollower = new Set(candidates.map((k) => k.follower));
  const followers = new Map<string, NonNullable<JointSpec['mimic']>>();
  const equalities = new Map<string, number>();
  const taken: string[] = [];
  for (const k of candidates) {
    const chained = (uses.get(k.follower) ?? 0) > 1 ? `${k.follower} is coupled by another active <equality><joint> too` : asFollower.has(k.leader) ? `${k.leader} follows another joint itself` : undefined;
    if (chained !== undefined) {
      rejected.push(`${name(obj1[k.e])} = f(${name(obj2[k.e])}) (part of a chain or loop of couplings: ${chained}; axon's followers follow one driven leader)`);
      continue;
    }
    followers.set(k.follower, { joint: k.leader, multiplier: k.multiplier, offset: k.offset });
    equalities.set(k.follower, k.e);
    // As hard as a URDF <mimic>'s (compileUrdf.ts): the model's softness was set for its own actuators, which
    // moved the follower too (a tendon over both fingers); here the equality alone moves it (docs/mujoco.md).
    const eq = specEqs.length === m.neq ? specEqs[k.e] : undefined;
    const was = eq ? ` (solref ${Array.from(eq.solref as Float64Array, fmt).join(' ')}, solimp ${Array.from(eq.solimp as Float64Array, fmt).join(' ')})` : '';
    if (eq) {
      (eq.solref as Float64Array).set([MIMIC_TIMECONST_STEPS * timestep, 1]);
      (eq.solimp as Float64Array).set(MIMIC_SOLIMP);
    }
    const how = k.follower !== name(obj1[k.e]) ? ' (passive; the equality solved for its joint2)' : k.passive ? ' (passive)' : '';
    taken.push(`${k.follower} = ${fmt(k.multiplier)}·${k.leader} ${k.offset < 0 ? '-' : '+'} ${fmt(Math.abs(k.offset))}${how}${was}`);
  }
  if (taken.length > 0)
    notes.push({
      code: 'MUJOCO_MJCF_MIMIC',
      where,
      message: `${taken.length} joint coupling(s) of the model (<equality><joint>, linear) make followers, as a URDF <mimic>: ${taken.join(', ')}; a follower moves with its leader through the model's equality, made as hard as a URDF <mimic>'s (solref ${fmt(MIMIC_TIMECONST_STEPS * timestep)} 1, solimp ${MIMIC_SOLIMP.join(' ')}: the model's own, in brackets, were set for its actuators, which moved the follower too, or left it to the equality alone), its command is ignored and its effort is 0`,
    });
  if (rejected.length > 0)
    notes.push({
      code: 'MUJOCO_MJCF_EQUALITY',
      where,
      message: `joint coupling(s) kept from the model (<equality><joint>) that are not followers: ${rejected.join('; ')}. MuJoCo still enforces the active ones; axon drives each driven joint with its own PD (a passive one has none), so give coupled driven joints targets that agree (two that disagree fight the constraint)`,
    });
  return { followers, equalities, tendons: followerTendons(mj, m, followers, joints) };
}

/**
 * For each follower: its group's joints (its leader, the leader's other followers) it rides on,
 * and its leader where it carries it (the leader downstream of it), by MuJoCo's dof tree.
 */
function followerTendons(mj: MainModule, m: MjModel, followers: ReadonlyMap<string, NonNullable<JointSpec['mimic']>>, joints: readonly string[]): Map<string, string[]> {
  const JOINT = mj.mjtObj.mjOBJ_JOINT.value;
  const dofadr = m.jnt_dofadr as Int32Array;
  const parent = m.dof_parentid as Int32Array;
  const dofJoint = m.dof_jntid as Int32Array;
  const dof = (n: string) => dofadr[mj.mj_name2id(m, JOINT, n)];
  const out = new Map<string, string[]>();
  for (const [f, mimic] of followers) {
    const leader = mimic.joint;
    const inGroup = (n: string) => n === leader || followers.get(n)?.joint === leader;
    const along: string[] = [];
    for (let d = parent[dof(f)]; d >= 0; d = parent[d]) {
      const n = mujocoName(mj, m, JOINT, dofJoint[d]);
      if (joints.includes(n) && inGroup(n)) along.push(n);
    }
    let carries = false;
    for (let d = parent[dof(leader)]; d >= 0 && !carries; d = parent[d]) carries = d === dof(f);
    if (carries && !along.includes(leader)) along.push(leader);
    if (along.length > 0) out.set(f, along);
  }
  return out;
}
