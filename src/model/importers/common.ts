import { AxonError } from '../../core/errors.ts';

/** A pipeline config that cannot be turned into a manifest. `where` is the file and the key path. */
export class ImportError extends AxonError {
  constructor(where: string, message: string, expected?: string) {
    super('IMPORT_CONFIG', where, message, expected);
  }
}

export type Obj = Record<string, unknown>;

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

export function num(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ImportError(where, `is ${JSON.stringify(v)}`, 'a finite number');
  return v;
}

/**
 * Values per joint from a {pattern: value} map, Isaac Lab style: each pattern is a regular
 * expression matched against the whole joint name; every joint must be matched.
 */
export function perJoint(map: unknown, joints: readonly string[], where: string, fallback?: number): number[] {
  if (typeof map === 'number') return joints.map(() => map);
  if (!isObj(map)) {
    if (fallback !== undefined) return joints.map(() => fallback);
    throw new ImportError(where, `is ${JSON.stringify(map)}`, 'a number or a {joint pattern: value} map');
  }
  return joints.map((j) => {
    const hit = Object.entries(map).find(([pat]) => new RegExp(`^(?:${pat})$`).test(j) || j.includes(pat));
    if (!hit) {
      if (fallback !== undefined) return fallback;
      throw new ImportError(where, `has no entry matching joint "${j}"`, `a pattern for every joint (${Object.keys(map).join(', ')})`);
    }
    return num(hit[1], `${where}.${hit[0]}`);
  });
}

/** Joint names selected by Isaac Lab style patterns, in the robot's order. */
export function selectJoints(patterns: unknown, joints: readonly string[], where: string): string[] {
  const pats = Array.isArray(patterns) ? patterns.map(String) : [String(patterns ?? '.*')];
  const res = pats.map((p) => new RegExp(`^(?:${p})$`));
  const sel = joints.filter((j) => res.some((r) => r.test(j)));
  if (sel.length === 0) throw new ImportError(where, `${JSON.stringify(pats)} matches none of the joints`, joints.join(', '));
  return sel;
}
