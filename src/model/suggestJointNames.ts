/**
 * Which robot joint a model joint the robot lacks most likely is. A policy exported for another
 * description of the same robot names its joints differently (Unitree's h1_2.urdf says
 * left_hip_yaw_joint where a model trained on an MJCF says left_hip_yaw): each missing name gets
 * the robot name it clearly matches, or none. Clear means one candidate only, by, in order:
 *  1. the same name but for case and separators (LeftHipYaw, left_hip_yaw);
 *  2. the model name plus or minus a suffix or prefix cut at a word boundary (left_hip_yaw_joint);
 *     when several names differ by one such affix, that affix decides between candidates;
 *  3. a small edit distance (1 for names of 5 characters or more, 2 from 12), never one that
 *     changes a number or a short token such as a side (FL_hip is not FR_hip, joint1 not joint2).
 * A robot name that some model joint names exactly, or that two missing names would both get, is
 * never suggested.
 */

/** A suffix or prefix by which the robot's joint names differ from the model's. */
export interface JointNameAffix {
  readonly side: 'suffix' | 'prefix';
  /** The affix itself, separator included: '_joint', 'h1/'. */
  readonly text: string;
  /** True: the robot's names carry it and the model's do not; false: the other way round. */
  readonly robotAdds: boolean;
  /** How many of the missing model names it explains. */
  readonly count: number;
}

export interface JointNameSuggestions {
  /** Model joints the robot lacks, in model order. */
  readonly missing: readonly string[];
  /** For each missing model joint: the robot joint it clearly is, or null. */
  readonly suggestions: ReadonlyMap<string, string | null>;
  /** One affix that explains two or more of the missing names, else null. */
  readonly affix: JointNameAffix | null;
}

const SEPARATORS = new Set(['_', '-', '.', '/', ':', ' ']);
const isSep = (c: string | undefined): boolean => c !== undefined && SEPARATORS.has(c);
const isUpper = (c: string | undefined): boolean => c !== undefined && c >= 'A' && c <= 'Z';
const isLowerOrDigit = (c: string | undefined): boolean => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));

/** Whether `s` may be cut between index k-1 and k: a separator on either side, or a camelCase step. */
function boundary(s: string, k: number): boolean {
  return isSep(s[k]) || isSep(s[k - 1]) || (isUpper(s[k]) && isLowerOrDigit(s[k - 1]));
}

interface AffixMatch {
  readonly robot: string;
  readonly key: string;
  readonly affix: Omit<JointNameAffix, 'count'>;
}

/** The affix by which `robot` differs from `model`, if one string is the other plus an affix cut at a word boundary. */
function affixOf(model: string, robot: string): Omit<JointNameAffix, 'count'> | null {
  const [long, short, robotAdds] = robot.length > model.length ? [robot, model, true] : [model, robot, false];
  if (short.length === 0 || long.length === short.length) return null;
  const k = long.length - short.length;
  if (long.startsWith(short) && boundary(long, short.length)) return { side: 'suffix', text: long.slice(short.length), robotAdds };
  if (long.endsWith(short) && boundary(long, k)) return { side: 'prefix', text: long.slice(0, k), robotAdds };
  return null;
}

const keyOf = (a: Omit<JointNameAffix, 'count'>): string => `${a.side}\u0000${a.text}\u0000${a.robotAdds}`;
const normalized = (s: string): string => s.toLowerCase().replace(/[_\-./: ]/g, '');

/** Tokens of a name: split at separators and camelCase steps, lower case. */
function tokens(s: string): string[] {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1 $2') // NAO's LHipPitch: the side L is a token of its own
    .toLowerCase()
    .split(/[_\-./: ]+/)
    .filter((t) => t.length > 0);
}

/** Levenshtein distance (insert, delete, substitute: 1 each). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/** Whether an edit-distance match keeps what must not change: the numbers, and every token of 1-2 characters (sides: l, r, fl, rr). */
function keepsKeyTokens(model: string, robot: string): boolean {
  const digits = (s: string) => (s.match(/[0-9]+/g) ?? []).join(',');
  const short = (s: string) =>
    tokens(s)
      .filter((t) => t.length <= 2)
      .sort()
      .join(',');
  return digits(model) === digits(robot) && short(model) === short(robot);
}

/** The largest edit distance accepted for a model name of this length. */
const maxDistance = (n: string): number => (n.length >= 12 ? 2 : n.length >= 5 ? 1 : 0);

export function suggestJointNames(modelNames: readonly string[], robotNames: readonly string[]): JointNameSuggestions {
  const robotSet = new Set(robotNames);
  const missing = modelNames.filter((n) => !robotSet.has(n));
  const modelSet = new Set(modelNames);
  // A robot joint the model already names exactly is that model joint, not a candidate.
  const pool = robotNames.filter((r) => !modelSet.has(r));

  const affixes = new Map<string, AffixMatch[]>();
  const counts = new Map<string, number>();
  for (const n of missing) {
    const found: AffixMatch[] = [];
    for (const r of pool) {
      const a = affixOf(n, r);
      if (a) found.push({ robot: r, key: keyOf(a), affix: a });
    }
    affixes.set(n, found);
    for (const key of new Set(found.map((f) => f.key))) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  // The affix shared by most missing names, when two or more share it and no other affix ties.
  let best: { key: string; count: number } | null = null;
  let tie = false;
  for (const [key, count] of counts) {
    if (best === null || count > best.count) [best, tie] = [{ key, count }, false];
    else if (count === best.count) tie = true;
  }
  const commonKey = best !== null && best.count >= 2 && !tie ? best.key : null;

  const pick = new Map<string, string | null>();
  for (const n of missing) {
    const same = pool.filter((r) => normalized(r) === normalized(n));
    if (same.length > 0) {
      pick.set(n, same.length === 1 ? same[0] : null);
      continue;
    }
    const found = affixes.get(n)!;
    const common = found.filter((f) => f.key === commonKey);
    if (common.length === 1 || found.length === 1) {
      pick.set(n, (common.length === 1 ? common[0] : found[0]).robot);
      continue;
    }
    if (found.length > 1) {
      pick.set(n, null);
      continue;
    }
    const limit = maxDistance(n);
    let bestD = Infinity;
    let at: string[] = [];
    for (const r of pool) {
      const d = editDistance(n.toLowerCase(), r.toLowerCase());
      if (d < bestD) [bestD, at] = [d, [r]];
      else if (d === bestD) at.push(r);
    }
    pick.set(n, bestD <= limit && at.length === 1 && keepsKeyTokens(n, at[0]) ? at[0] : null);
  }
  // A robot name two missing names would both get is clear for neither.
  const times = new Map<string, number>();
  for (const r of pick.values()) if (r !== null) times.set(r, (times.get(r) ?? 0) + 1);
  for (const [n, r] of pick) if (r !== null && times.get(r)! > 1) pick.set(n, null);

  let affix: JointNameAffix | null = null;
  if (commonKey !== null) {
    const explained = missing.filter((n) => {
      const r = pick.get(n);
      return r != null && affixes.get(n)!.some((f) => f.robot === r && f.key === commonKey);
    });
    const one = affixes.get(explained[0] ?? '')?.find((f) => f.key === commonKey);
    if (explained.length >= 2 && one) affix = { ...one.affix, count: explained.length };
  }
  return { missing, suggestions: pick, affix };
}

/**
 * The affix said once, in words, or null: "the robot's names add '_joint' to each of the
 * model's: ...".
 */
export function affixNote(s: JointNameSuggestions): string | null {
  const a = s.affix;
  if (a === null) return null;
  const which = a.count === s.missing.length ? "each of the model's" : `${a.count} of the ${s.missing.length} missing model names`;
  const what = a.robotAdds ? `the robot's names add the ${a.side} '${a.text}' to ${which}` : `the robot's names lack the ${a.side} '${a.text}' of ${which}`;
  return `${what}: the model was exported for another description of this robot; use that description, or rename the manifest's joints to the robot's (same joints, same order)`;
}

/** "left_hip_yaw" with its suggestion: "left_hip_yaw (did you mean left_hip_yaw_joint?)". */
export function withSuggestion(name: string, s: JointNameSuggestions): string {
  const r = s.suggestions.get(name);
  return r ? `${name} (did you mean ${r}?)` : name;
}
