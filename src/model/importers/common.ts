import { AxonError } from '../../core/errors.ts';
import type { ModelManifest, ObservationTerm } from '../manifest.ts';
import type { OnnxMetadataEntry } from '../onnxMetadata.ts';

/** A pipeline config that cannot be turned into a manifest. `where` is the file and the key path. */
export class ImportError extends AxonError {
  constructor(where: string, message: string, expected?: string) {
    super('IMPORT_CONFIG', where, message, expected);
  }
}

export type Obj = Record<string, unknown>;

/** What from-deploy gives an importer of a deploy file (unitree_rl_lab's deploy.yaml, unitree_rl_gym's deploy configs). */
export interface DeployImportOptions {
  /** Joint names in the robot's SDK (motor) order, or a URDF's actuated joints in file order (`fromUrdf`). */
  readonly sdkJoints: readonly string[];
  /** Where the names came from, for messages (`--urdf g1.urdf`, `--sdk-joints`, `env.yaml scene.robot.joint_sdk_names`). */
  readonly sdkSource: string;
  /**
   * The names are a URDF's actuated joints in file order. unitree_rl_lab's deploy.yaml takes them
   * as the motor order (true of Unitree's "hg" robots, the G1 and H1_2); unitree_rl_gym's
   * deploy_real configs take the policy's joints as the first num_actions of them, since the H1
   * ("go") numbers its motors otherwise.
   */
  readonly fromUrdf?: boolean;
  readonly name: string;
  readonly robot: string;
  readonly onnx: { file: string; input: string; output: string };
  /**
   * The ONNX file's metadata_props when they are mjlab's (joint_names, observation_names): the policy
   * came from an mjlab trainer, unitreerobotics/unitree_rl_mjlab for a deploy.yaml, whose controller
   * zeroes gait_phase while the command asks to stand; the two files are compared (deployVsMjlab.ts).
   */
  readonly mjlabMetadata?: readonly OnnxMetadataEntry[];
  /**
   * From the URDF (`--urdf`): its root (the pelvis) and its IMU link behind a joint (a torso IMU,
   * named imu*), with the first moving joint between them. unitree_rl_gym's deploy_real configs
   * with `imu_type: torso` read both IMU terms in the pelvis frame (transform_imu_data): the
   * manifest then says `imu_link` and each IMU term's `link` (docs/byom.md).
   */
  readonly torsoImu?: { readonly link: string; readonly root: string; readonly behind: string };
}

export interface DeployImport {
  readonly manifest: ModelManifest;
  /** What was read but not mapped (informational fields, ignored parameters), one line each. */
  readonly notes: string[];
  /** How the model's joint order was found, in words (for the command's last line). */
  readonly jointOrder: string;
  /** Where the ONNX file's own description (mjlab's metadata_props) disagrees with the deploy file, one line per field. */
  readonly differences?: string[];
}

/** The class or function name of a Python path (`pkg.mod:Cls`, `pkg.mod.Cls`): `Cls`. */
export const lastName = (s: string): string => s.split(':').pop()!.split('.').pop()!;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a nested key, or throws naming the path. */
export function need(root: Obj, path: string, file: string): unknown {
  let v: unknown = root;
  for (const k of path.split('.')) {
    if (!isObj(v) || !(k in v)) throw new ImportError(`${file}: ${path}`, 'is missing');
    v = v[k];
  }
  return v;
}

/**
 * The `period` (s) of a gait_phase observation term's params (unitree_rl_lab's mdp.gait_phase, and
 * its C++ controller's): required, > 0.
 */
export function gaitPeriod(params: Obj, where: string): number {
  if (!('period' in params)) throw new ImportError(`${where}.period`, 'is missing', "the gait cycle in seconds (mdp.gait_phase's period)");
  const p = num(params.period, `${where}.period`);
  if (!(p > 0)) throw new ImportError(`${where}.period`, `is ${p}`, 'the gait cycle in seconds, > 0');
  return p;
}

/** A list of numbers (of `n` when given; `per` says what each is, for the count's message), or throws naming `where`. */
export function numList(v: unknown, where: string, n?: number, per?: string): number[] {
  if (!Array.isArray(v)) throw new ImportError(where, v === undefined ? 'is missing' : `is ${JSON.stringify(v)}`, n === undefined ? 'a list of numbers' : `a list of ${n} numbers`);
  if (n !== undefined && v.length !== n) throw new ImportError(where, `has ${v.length} values`, per === undefined ? `${n}` : `${n}, ${per}`);
  return v.map((x, i) => num(x, `${where}[${i}]`));
}

export function num(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ImportError(where, `is ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`, 'a finite number');
  return v;
}

/** A regular expression matched against a whole name, as Python's re.fullmatch (Isaac Lab's patterns). */
function fullMatch(pattern: string, where: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    throw new ImportError(where, `"${pattern}" is not a regular expression axon can read`, 'a Python regular expression matched against the whole joint name');
  }
}

/**
 * Joint names selected by Isaac Lab patterns (its resolve_matching_names): each pattern is matched
 * against the whole name; a joint two patterns match, or a pattern no joint matches, is an error
 * (Isaac Lab refuses the config). The robot's order, or with `preserveOrder` the patterns' order
 * (each pattern's joints in the robot's order), as Isaac Lab's `preserve_order`.
 */
export function selectJoints(patterns: unknown, joints: readonly string[], where: string, preserveOrder = false): string[] {
  const pats = Array.isArray(patterns) ? patterns.map(String) : [String(patterns ?? '.*')];
  const res = pats.map((p) => fullMatch(p, where));
  const hit = joints.map((j) => {
    const k = res.flatMap((r, i) => (r.test(j) ? [i] : []));
    if (k.length > 1) throw new ImportError(where, `"${j}" is matched by both "${pats[k[0]]}" and "${pats[k[1]]}"`, 'each joint matched by one pattern (Isaac Lab refuses the config otherwise)');
    return k.length === 1 ? k[0] : -1;
  });
  const unused = pats.find((_, i) => !hit.includes(i));
  if (unused !== undefined) throw new ImportError(where, `"${unused}" matches none of the joints`, `patterns over the joints given: ${joints.join(', ')}`);
  return preserveOrder ? pats.flatMap((_, i) => joints.filter((_, n) => hit[n] === i)) : joints.filter((_, n) => hit[n] >= 0);
}

/**
 * A {pattern: value} map resolved over names as Isaac Lab does (resolve_matching_names_values):
 * each pattern is matched against the whole name; a name two patterns match, or a pattern no name
 * matches, is an error. Returns the value for each name as written (the caller checks it), or
 * undefined where no pattern matches.
 */
export function matchValues(map: Obj, names: readonly string[], where: string): unknown[] {
  const entries = Object.entries(map).map(([p, v]) => ({ p, v, re: fullMatch(p, where), used: false }));
  const out = names.map((n) => {
    const hits = entries.filter((e) => e.re.test(n));
    if (hits.length > 1) throw new ImportError(where, `"${n}" is matched by both "${hits[0].p}" and "${hits[1].p}"`, 'each joint matched by one pattern (Isaac Lab refuses the config otherwise)');
    if (hits.length === 0) return undefined;
    hits[0].used = true;
    return hits[0].v;
  });
  const unused = entries.find((e) => !e.used);
  if (unused) throw new ImportError(`${where}.${unused.p}`, 'matches none of the joints it applies to', `patterns over ${names.join(', ')}`);
  return out;
}

/** A per-element list that is one repeated value becomes that number (the manifest's usual form). */
export function compact(v: number[]): number | number[] {
  return v.every((x) => x === v[0]) ? v[0] : v;
}

/** A [min, max] pair of finite numbers with min <= max. */
export function range(v: unknown, where: string): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw new ImportError(where, `is ${JSON.stringify(v)}`, '[min, max]');
  const [lo, hi] = v.map((x, i) => num(x, `${where}[${i}]`));
  if (!(lo <= hi)) throw new ImportError(where, `is [${lo}, ${hi}]`, '[min, max] with min <= max');
  return [lo, hi];
}

/**
 * Isaac Lab's JointAction clip bounds the target raw·scale + offset per joint to [lo, hi]; axon
 * clips the raw action to ±c before scale and offset. Returns each joint's raw bounds and c when
 * they are one symmetric bound for every joint (within 1e-4, the exporters' rounding), else `bad`,
 * the first joint whose bounds are not. Scales must be non-zero (the callers check).
 */
export function rawActionClip(pairs: readonly (readonly [number, number])[], scale: readonly number[], offset: readonly number[]): { raw: [number, number][]; bound?: number; bad: number } {
  const raw = pairs.map(([lo, hi], i): [number, number] => {
    const a = (lo - offset[i]) / scale[i], b = (hi - offset[i]) / scale[i];
    return [Math.min(a, b), Math.max(a, b)];
  });
  const c = raw[0][1];
  const near = (x: number, y: number) => Math.abs(x - y) <= 1e-4 * Math.max(1, Math.abs(x), Math.abs(y));
  const bad = raw.findIndex(([a, b]) => !near(a, -b) || !near(b, c));
  if (bad >= 0 || !(c > 0)) return { raw, bad: Math.max(bad, 0) };
  return { raw, bound: +c.toPrecision(9), bad: -1 };
}

/**
 * Isaac Lab feeds back its raw action (ActionManager.action), before the JointAction clip: once
 * that clip has become axon's action.clip, the last_action terms must read the action before it.
 */
export function rawFeedback(terms: readonly ObservationTerm[], actionClip: number | undefined): ObservationTerm[] {
  return terms.map((t) => (actionClip !== undefined && t.term === 'last_action' ? { ...t, before_clip: true } : t));
}
