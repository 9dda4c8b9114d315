/**
 * A URDF through MuJoCo's compiler gets the compiled-number check an MJCF gets (mjcfNumbers.ts,
 * firstBadCompiledNumber): parseUrdf already refuses nan and inf in the text (URDF_NUMBER), but a
 * finite number can still compile to a non-finite one. An inertial origin of 1e200 m put the
 * joint's inertia at qpos0 (dof_M0) at Infinity, and `axon sim --urdf --physics mujoco` ran it,
 * exit 0, with a pendulum that never moved. Refused as MUJOCO_URDF_NUMBER, named in the URDF's
 * terms: the file, the link or joint, and the attribute the value came from, with its value.
 *
 * Configure time only.
 */
import type { MainModule, MjModel } from '@mujoco/mujoco';
import { AxonError } from '../../src/core/errors.ts';
import type { UrdfJoint, UrdfModel } from '../urdf/parseUrdf.ts';
import { firstBadCompiledNumber, type CompiledBadNumber } from './mjcfNumbers.ts';
import { mujocoName } from './loadMujoco.ts';

/** Where in the URDF a compiled value came from: an element, and the attribute and its value when one can be named. */
interface UrdfSource {
  readonly element: string;
  readonly attribute?: string;
  readonly value?: string;
}

const numbers = (xs: readonly number[]) => xs.map((x) => String(x)).join(' ');
const norm3 = (a: Float64Array, i: number) => Math.hypot(a[3 * i], a[3 * i + 1], a[3 * i + 2]);

/**
 * Refuses a compiled URDF model with a value MuJoCo made non-finite (or a zero hinge/slide axis):
 * AxonError MUJOCO_URDF_NUMBER at `FILE: <link name="..."> <inertial> <origin>` (or the joint,
 * collision or actuator), with the attribute and its value where one gave it.
 */
export function checkUrdfCompiledNumbers(mj: MainModule, m: MjModel, urdf: UrdfModel, file: string): void {
  const bad = firstBadCompiledNumber(m);
  if (!bad) return;
  const OBJ = mj.mjtObj;
  const bodyName = (id: number) => mujocoName(mj, m, OBJ.mjOBJ_BODY.value, id);
  const jointName = (id: number) => mujocoName(mj, m, OBJ.mjOBJ_JOINT.value, id);
  const parentJoint = (link: string): UrdfJoint | undefined => urdf.treeOrder.find((j) => j.child === link);
  const linkOf = (link: string) => urdf.links.find((l) => l.name === link);
  const { owner, source } = describe(m, bad, { mj, bodyName, jointName, parentJoint, linkOf });
  const from = source.attribute !== undefined ? `attribute "${source.attribute}"${source.value !== undefined ? ` is "${source.value}", which makes` : ' makes'}` : 'its numbers make';
  throw new AxonError(
    'MUJOCO_URDF_NUMBER',
    `${file}: ${source.element}`,
    `${from} ${owner}'s ${bad.what} ${bad.value} in MuJoCo's compiled model (a finite number too large to compute with)`,
    "numbers MuJoCo compiles to finite values, in the URDF's units (m, kg, kg·m², rad)",
  );
}

interface Names {
  readonly mj: MainModule;
  bodyName(id: number): string;
  jointName(id: number): string;
  parentJoint(link: string): UrdfJoint | undefined;
  linkOf(link: string): UrdfModel['links'][number] | undefined;
}

/** The element the bad value belongs to, in words, and the URDF attribute it came from. */
function describe(m: MjModel, bad: CompiledBadNumber, n: Names): { owner: string; source: UrdfSource } {
  if (bad.kind === 'body') {
    const link = n.bodyName(bad.id);
    const inertial = n.linkOf(link)?.inertial;
    const owner = `link "${link}"`;
    const at = `<link name="${link}"> <inertial>`;
    switch (bad.array) {
      case 'body_pos':
      case 'body_quat': {
        const j = n.parentJoint(link);
        if (!j) return { owner, source: { element: `<link name="${link}">` } };
        const rpy = bad.array === 'body_quat';
        return { owner, source: { element: `<joint name="${j.name}"> <origin>`, attribute: rpy ? 'rpy' : 'xyz', value: numbers(rpy ? j.origin.rpy : j.origin.xyz) } };
      }
      case 'body_ipos':
        return { owner, source: { element: `${at} <origin>`, attribute: 'xyz', ...(inertial ? { value: numbers(inertial.origin.xyz) } : {}) } };
      case 'body_iquat':
        // The principal axes: the inertial origin's rpy, turned by the tensor's own axes.
        return { owner, source: { element: `${at} <origin>`, attribute: 'rpy', ...(inertial ? { value: numbers(inertial.origin.rpy) } : {}) } };
      case 'body_mass':
        return { owner, source: { element: `${at} <mass>`, attribute: 'value', ...(inertial ? { value: String(inertial.mass) } : {}) } };
      case 'body_inertia':
        return { owner, source: { element: `${at} <inertia>`, attribute: 'ixx ixy ixz iyy iyz izz', ...(inertial ? { value: numbers([inertial.ixx, inertial.ixy, inertial.ixz, inertial.iyy, inertial.iyz, inertial.izz]) } : {}) } };
      default:
        return { owner, source: { element: `<link name="${link}">` } };
    }
  }
  if (bad.kind === 'joint' || bad.kind === 'dof') {
    const jid = bad.kind === 'dof' ? (m.dof_jntid as Int32Array)[bad.id] : bad.id;
    const name = n.jointName(jid);
    const owner = `joint "${name}"`;
    if (bad.array === 'dof_M0') return { owner, source: inertiaSource(m, jid, n) };
    const j = n.parentJoint(n.bodyName((m.jnt_bodyid as Int32Array)[jid]));
    const at = `<joint name="${name}">`;
    if (!j || j.name !== name) return { owner, source: { element: at } }; // axon's floating base
    switch (bad.array) {
      case 'jnt_axis':
        return { owner, source: { element: `${at} <axis>`, attribute: 'xyz' } }; // as written: parseUrdf keeps it normalised
      case 'jnt_range':
        return { owner, source: { element: `${at} <limit>`, attribute: 'lower upper', value: numbers([j.lower, j.upper]) } };
      case 'jnt_actfrcrange':
        return { owner, source: { element: `${at} <limit>`, attribute: 'effort', value: String(j.effort) } };
      case 'dof_damping':
        return { owner, source: { element: `${at} <dynamics>`, attribute: 'damping', value: String(j.damping) } };
      case 'dof_frictionloss':
        return { owner, source: { element: `${at} <dynamics>`, attribute: 'friction', value: String(j.friction) } };
      default:
        return { owner, source: { element: at } };
    }
  }
  if (bad.kind === 'geom') {
    const link = n.bodyName((m.geom_bodyid as Int32Array)[bad.id]);
    const owner = `a collision shape of link "${link}"`;
    const at = `<link name="${link}"> <collision>`;
    if (bad.array === 'geom_size') return { owner, source: { element: `${at} <geometry>` } };
    if (bad.array === 'geom_pos') return { owner, source: { element: `${at} <origin>`, attribute: 'xyz' } };
    if (bad.array === 'geom_quat') return { owner, source: { element: `${at} <origin>`, attribute: 'rpy' } };
    return { owner, source: { element: at } };
  }
  if (bad.kind === 'actuator') {
    const joint = mujocoName(n.mj, m, n.mj.mjtObj.mjOBJ_ACTUATOR.value, bad.id).replace(/^axon_/, '');
    return { owner: `axon's actuator on joint "${joint}"`, source: { element: `<joint name="${joint}">` } };
  }
  return { owner: `${bad.kind} #${bad.id} of the compiled model`, source: { element: `<robot>` } };
}

/**
 * Which number gave a joint an infinite inertia at qpos0 (dof_M0: the masses and inertias of the
 * links it moves, each mass times the square of its centre's distance from the joint). For each
 * link the joint moves: mass × d² and the largest principal inertia, with d at most the inertial
 * origin's length plus the joint origins' lengths between the joint and the link. The largest
 * term's link, then its larger factor: the inertia, the mass, the inertial origin, or the longest
 * joint origin on the way.
 */
function inertiaSource(m: MjModel, jid: number, n: Names): UrdfSource {
  const parent = m.body_parentid as Int32Array;
  const pos = m.body_pos as Float64Array;
  const ipos = m.body_ipos as Float64Array;
  const mass = m.body_mass as Float64Array;
  const inertia = m.body_inertia as Float64Array;
  const top = (m.jnt_bodyid as Int32Array)[jid];
  let best: { score: number; source: () => UrdfSource } | undefined;
  for (let b = 0; b < m.nbody; b++) {
    let c = b;
    let chain = 0;
    let longest = -1;
    while (c !== top && c > 0) {
      const len = norm3(pos, c);
      chain += len;
      if (longest < 0 || len > norm3(pos, longest)) longest = c;
      c = parent[c];
    }
    if (c !== top) continue;
    const dIpos = norm3(ipos, b);
    const logMass = Math.log10(mass[b]);
    const logD2 = 2 * Math.log10(dIpos + chain);
    const logI = Math.log10(Math.max(inertia[3 * b], inertia[3 * b + 1], inertia[3 * b + 2]));
    const score = Math.max(logMass + logD2, logI);
    if (best !== undefined && !(score > best.score)) continue;
    const link = n.bodyName(b);
    const inertial = n.linkOf(link)?.inertial;
    const at = `<link name="${link}"> <inertial>`;
    best = {
      score,
      source: () => {
        if (logI >= logMass + logD2) return { element: `${at} <inertia>`, attribute: 'ixx ixy ixz iyy iyz izz', ...(inertial ? { value: numbers([inertial.ixx, inertial.ixy, inertial.ixz, inertial.iyy, inertial.iyz, inertial.izz]) } : {}) };
        if (logMass >= logD2) return { element: `${at} <mass>`, attribute: 'value', ...(inertial ? { value: String(inertial.mass) } : {}) };
        if (dIpos >= chain || longest < 0) return { element: `${at} <origin>`, attribute: 'xyz', ...(inertial ? { value: numbers(inertial.origin.xyz) } : {}) };
        const j = n.parentJoint(n.bodyName(longest));
        return j ? { element: `<joint name="${j.name}"> <origin>`, attribute: 'xyz', value: numbers(j.origin.xyz) } : { element: `<link name="${n.bodyName(longest)}">` };
      },
    };
  }
  return best ? best.source() : { element: `<joint name="${n.jointName(jid)}">` };
}
