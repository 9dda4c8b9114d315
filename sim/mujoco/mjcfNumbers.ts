/**
 * An MJCF's numbers are finite, or it is refused (MUJOCO_MJCF_NUMBER), as a URDF's are (URDF_NUMBER).
 * MuJoCo's XML reader takes "nan", "inf" and "-inf" as numbers: `<joint range="-1 nan">` compiles
 * to a NaN limit, `<geom size="0.1 inf">` to an infinite inertia, a keyframe's nan to a NaN pose,
 * and where NaN is its own "not given" (a geom's mass, a fromto) the number is silently ignored (a
 * geom of mass="nan" weighs its density instead). A range's unbounded side (-inf below, inf above,
 * BOUNDS) is a vendor's way to say "no limit" and is kept. Two checks, both at load, before anything runs:
 *
 * - checkMjcfNumbers, on the text: every attribute of the model file and the files it `<include>`s,
 *   `<default>` classes too (the class is named, and every element of it has the number), naming
 *   file, line, element, attribute and value;
 * - checkCompiledNumbers, on the compiled model (the vendor's, before axon replaces its actuators):
 *   a value MuJoCo's compiler made non-finite from finite numbers (a size of 1e200 squared into an
 *   inertia), or a hinge or slide axis it made zero, named by the model's element names. A URDF
 *   through MuJoCo's compiler gets the same check, named by the URDF (urdfCompiledNumbers.ts).
 *
 * Configure time only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { MainModule, MjModel } from '@mujoco/mujoco';
import { AxonError } from '../../src/core/errors.ts';
import { mujocoName } from './loadMujoco.ts';

/** A number MuJoCo's reader (strtod) takes that is not finite: nan, nan(...), inf, infinity, signed or not, any case. */
const NON_FINITE = /^[+-]?(nan(\([^)]*\))?|inf(inity)?)$/i;
const MINUS_INF = /^-inf(inity)?$/i;
const PLUS_INF = /^\+?inf(inity)?$/i;

/**
 * Ranges whose bounds may be unbounded: `range="-inf inf"` is how vendors write a continuous hinge,
 * `forcerange="-inf inf"` an unlimited force (MuJoCo simulates both as unbounded). Only -inf below
 * and inf above: a NaN bound, or `range="inf -1"`, is still refused.
 */
const BOUNDS = new Set(['range', 'ctrlrange', 'forcerange', 'actuatorfrcrange', 'actrange']);

/** Whether an attribute's tokens hold a number that is not finite, other than an unbounded side of a range. */
function nonFinite(attr: string, tokens: readonly string[]): boolean {
  if (BOUNDS.has(attr) && tokens.length === 2) {
    const [lo, hi] = tokens;
    return !(MINUS_INF.test(lo) || !NON_FINITE.test(lo)) || !(PLUS_INF.test(hi) || !NON_FINITE.test(hi));
  }
  return tokens.some((t) => NON_FINITE.test(t));
}

/**
 * Attributes whose value is a name, a path or a word, never a number: a body named "inf" is a name.
 * (An enumeration's keywords are never nan or inf, so they need no entry.)
 */
const TEXT_ATTRIBUTE = /^(name|class|childclass|prefix|model|content_type|plugin|instance|target|objname|refname|mesh|material|texture|hfield|skin|actuator|key|jointinparent|(joint|body|site|geom|tendon)\d?|\w*site|file\w*|\w*dir)$/;

/** Elements whose attributes are user data or plugin text MuJoCo does not simulate with. */
const SKIPPED = new Set(['custom', 'config', 'plugin', 'extension']);

type XmlEntry = Record<string, unknown>;

/**
 * Refuses a non-finite number written in the MJCF `file` or a file it includes (resolved against the
 * model's folder, as MuJoCo's virtual file system has them, else against the including file's):
 * AxonError MUJOCO_MJCF_NUMBER at `FILE:LINE: <element name="...">` with the attribute and its value.
 * A file that cannot be read or parsed is left to MuJoCo, which says why.
 */
export function checkMjcfNumbers(file: string): void {
  const root = dirname(file);
  const seen = new Set<string>();
  const scan = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    let text: string;
    let tree: XmlEntry[];
    try {
      text = readFileSync(path, 'utf8');
      tree = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, captureMetaData: true, parseAttributeValue: false, parseTagValue: false, processEntities: false }).parse(text) as XmlEntry[];
    } catch {
      return;
    }
    const meta = XMLParser.getMetaDataSymbol() as unknown as string;
    const lineOf = (e: XmlEntry) => {
      const at = (e[meta] as { startIndex?: number } | undefined)?.startIndex;
      return at === undefined ? undefined : text.slice(0, at).split('\n').length;
    };
    const walk = (entries: XmlEntry[], owner: string) => {
      for (const e of entries) {
        const tag = Object.keys(e).find((k) => k !== ':@');
        if (tag === undefined || tag.startsWith('?') || tag.startsWith('#') || SKIPPED.has(tag)) continue;
        const attrs = (e[':@'] ?? {}) as Record<string, string>;
        const label = attrs.name !== undefined ? `<${tag} name="${attrs.name}">` : tag === 'default' && attrs.class !== undefined ? `<default class="${attrs.class}">` : undefined;
        const where = label ?? (owner === '' ? `<${tag}>` : `${owner} <${tag}>`);
        for (const [attr, value] of Object.entries(attrs)) {
          if (TEXT_ATTRIBUTE.test(attr) || typeof value !== 'string') continue;
          const tokens = value.trim().split(/\s+/);
          if (!nonFinite(attr, tokens)) continue;
          const line = lineOf(e);
          const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
          throw new AxonError(
            'MUJOCO_MJCF_NUMBER',
            `${path}${line !== undefined ? `:${line}` : ''}: ${where}`,
            `attribute "${attr}" is "${shown}"${tag === 'default' || owner.startsWith('<default') ? ' (a default class: every element of the class gets it)' : ''}`,
            BOUNDS.has(attr) && tokens.length === 2
              ? '2 finite numbers separated by spaces, or -inf for no lower bound and inf for no upper one'
              : tokens.length === 1
                ? 'a finite number'
                : `${tokens.length} finite numbers separated by spaces`,
          );
        }
        if (tag === 'include' && attrs.file !== undefined) {
          const inRoot = join(root, attrs.file);
          scan(existsSync(inRoot) ? inRoot : join(dirname(path), attrs.file));
        }
        const kids = e[tag];
        if (Array.isArray(kids)) walk(kids as XmlEntry[], label ?? where);
      }
    };
    walk(tree, '');
  };
  scan(file);
}

/**
 * Compiled arrays checked, with the element kind each entry belongs to and what the array is, in
 * words; `bounds`: (lower, upper) pairs, where -inf below and inf above mean unbounded (BOUNDS).
 */
const COMPILED: readonly (readonly [array: string, kind: 'body' | 'joint' | 'dof' | 'geom' | 'site' | 'actuator', what: string, bounds?: 'bounds'])[] = [
  ['body_pos', 'body', 'position'],
  ['body_quat', 'body', 'orientation'],
  ['body_ipos', 'body', 'centre of mass'],
  ['body_iquat', 'body', 'inertial frame'],
  ['body_mass', 'body', 'mass'],
  ['body_inertia', 'body', 'inertia'],
  ['jnt_pos', 'joint', 'position'],
  ['jnt_axis', 'joint', 'axis'],
  ['jnt_range', 'joint', 'range', 'bounds'],
  ['jnt_stiffness', 'joint', 'stiffness'],
  ['jnt_actfrcrange', 'joint', 'actuatorfrcrange', 'bounds'],
  ['dof_damping', 'dof', 'damping'],
  ['dof_armature', 'dof', 'armature'],
  ['dof_frictionloss', 'dof', 'frictionloss'],
  ['dof_M0', 'dof', 'inertia at qpos0'],
  ['geom_size', 'geom', 'size'],
  ['geom_pos', 'geom', 'position'],
  ['geom_quat', 'geom', 'orientation'],
  ['geom_friction', 'geom', 'friction'],
  ['site_pos', 'site', 'position'],
  ['site_quat', 'site', 'orientation'],
  ['actuator_gear', 'actuator', 'gear'],
  ['actuator_gainprm', 'actuator', 'gain parameters'],
  ['actuator_biasprm', 'actuator', 'bias parameters'],
  ['actuator_ctrlrange', 'actuator', 'ctrlrange', 'bounds'],
  ['actuator_forcerange', 'actuator', 'forcerange', 'bounds'],
];

/** The first compiled value checkCompiledNumbers refuses: where it is in the model and what it is. */
export interface CompiledBadNumber {
  /** The compiled array (body_inertia, dof_M0, jnt_axis, qpos0, key_qpos, ...). */
  readonly array: string;
  /** The kind of element the entry belongs to; `id` is its index among them (a dof's index for 'dof'). */
  readonly kind: 'body' | 'joint' | 'dof' | 'geom' | 'site' | 'actuator' | 'key';
  readonly id: number;
  /** The array in words. */
  readonly what: string;
  readonly value: number;
}

/**
 * The first value of a compiled model, in the arrays that set up and drive the robot (bodies,
 * joints, geoms, sites, actuators, qpos0, keyframes), that MuJoCo's compiler made non-finite from
 * finite numbers, a weight (mass × gravity) that overflows, or a hinge or slide axis it made zero (a finite axis whose length overflows:
 * "0 1e200 1e200" normalised by an infinite norm; MuJoCo refuses a zero axis written as such);
 * undefined when there is none.
 */
export function firstBadCompiledNumber(m: MjModel): CompiledBadNumber | undefined {
  const count = { body: m.nbody, joint: m.njnt, dof: m.nv, geom: m.ngeom, site: m.nsite, actuator: m.nu };
  for (const [array, kind, what, bounds] of COMPILED) {
    const a = (m as unknown as Record<string, Float64Array>)[array];
    const n = count[kind];
    if (!a || n === 0) continue;
    const per = a.length / n;
    for (let i = 0; i < a.length; i++) {
      if (Number.isFinite(a[i]) || (bounds && a[i] === (i % 2 === 0 ? -Infinity : Infinity))) continue;
      return { array, kind, id: Math.floor(i / per), what, value: a[i] };
    }
  }
  // A weight no force can hold (mass × gravity overflows: a mass of 1e308 kg stepped to NaN at once).
  const g = Math.hypot(...(m.opt.gravity as Float64Array));
  const mass = m.body_mass as Float64Array;
  if (!Number.isFinite((m.body_subtreemass as Float64Array)[0] * g)) {
    let b = 0;
    for (let k = 1; k < m.nbody; k++) if (mass[k] > mass[b]) b = k;
    return { array: 'body_mass', kind: 'body', id: b, what: `weight (mass × ${+g.toPrecision(4)} m/s² of gravity${Number.isFinite(mass[b] * g) ? ', with the other bodies' : ''})`, value: Infinity };
  }
  // A hinge or slide axis of length 0 (types 2 and 3: mjJNT_SLIDE, mjJNT_HINGE).
  const axis = m.jnt_axis as Float64Array;
  for (let j = 0; j < m.njnt; j++) {
    if (m.jnt_type[j] !== 2 && m.jnt_type[j] !== 3) continue;
    const len = Math.hypot(axis[3 * j], axis[3 * j + 1], axis[3 * j + 2]);
    if (!(len > 0.5)) return { array: 'jnt_axis', kind: 'joint', id: j, what: 'axis length', value: len };
  }
  // Positions by joint (qpos0, a keyframe's qpos): the joint that owns the coordinate.
  const qadr = m.jnt_qposadr as Int32Array;
  const jointOfQpos = (q: number) => {
    let j = 0;
    for (let k = 0; k < m.njnt; k++) if (qadr[k] <= q) j = k;
    return j;
  };
  const qpos0 = m.qpos0 as Float64Array;
  for (let q = 0; q < m.nq; q++) if (!Number.isFinite(qpos0[q])) return { array: 'qpos0', kind: 'joint', id: jointOfQpos(q), what: 'initial position (qpos0)', value: qpos0[q] };
  const keys: readonly (readonly [string, number, string])[] = [
    ['key_qpos', m.nq, 'qpos'],
    ['key_qvel', m.nv, 'qvel'],
    ['key_ctrl', m.nu, 'ctrl'],
  ];
  for (const [array, per, what] of keys) {
    const a = (m as unknown as Record<string, Float64Array>)[array];
    if (!a || per === 0) continue;
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return { array, kind: 'key', id: Math.floor(i / per), what, value: a[i] };
  }
  return undefined;
}

/**
 * Refuses a compiled MJCF model with a bad value (firstBadCompiledNumber): AxonError
 * MUJOCO_MJCF_NUMBER at `where` and the element by its name in the model. (A URDF compiled by
 * MuJoCo: urdfCompiledNumbers.ts, which names the URDF's link, joint and attribute.)
 */
export function checkCompiledNumbers(mj: MainModule, m: MjModel, where: string): void {
  const bad = firstBadCompiledNumber(m);
  if (!bad) return;
  const OBJ = mj.mjtObj;
  const name = (obj: { value: number }, id: number) => mujocoName(mj, m, obj.value, id);
  const jointOfDof = m.dof_jntid as Int32Array;
  const element = (kind: string, id: number): string => {
    if (kind === 'dof') return element('joint', jointOfDof[id]);
    const obj = { body: OBJ.mjOBJ_BODY, joint: OBJ.mjOBJ_JOINT, geom: OBJ.mjOBJ_GEOM, site: OBJ.mjOBJ_SITE, actuator: OBJ.mjOBJ_ACTUATOR, key: OBJ.mjOBJ_KEY }[kind]!;
    const n = name(obj, id);
    if (n !== '') return `<${kind} name="${n}">`;
    // An unnamed element, by the body it is on.
    const bodyOf = { joint: m.jnt_bodyid, geom: m.geom_bodyid, site: m.site_bodyid }[kind as 'joint' | 'geom' | 'site'] as Int32Array | undefined;
    const body = bodyOf ? name(OBJ.mjOBJ_BODY, bodyOf[id]) : '';
    return `${body !== '' ? `<body name="${body}"> ` : ''}<${kind}> (${kind} #${id} of the model)`;
  };
  throw new AxonError(
    'MUJOCO_MJCF_NUMBER',
    `${where}: ${element(bad.kind, bad.id)}`,
    `MuJoCo compiles its ${bad.what} to ${bad.value}, from the numbers it or its default class gives (too large to compute with, or not finite)`,
    'numbers MuJoCo compiles to finite values',
  );
}
