/**
 * Small JSON helpers for recordings: numbers as JSON would print them (non-finite as `null`),
 * and a replacer/reviver pair that keeps ±Infinity and NaN (JSON has neither) in metadata such as
 * a RobotSpec with continuous joints.
 */

/** A number as JSON text; NaN and ±Infinity become `null`. */
export function num(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}

/** `[a[off], ..., a[off+len-1]]` as JSON text. */
export function numArray(a: ArrayLike<number>, off = 0, len = a.length - off): string {
  if (len === 0) return '[]';
  let s = '[' + num(a[off]);
  for (let i = 1; i < len; i++) s += ',' + num(a[off + i]);
  return s + ']';
}

/** JSON.stringify replacer: non-finite numbers as the strings "Infinity", "-Infinity", "NaN". */
export function keepNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/** JSON.parse reviver undoing keepNonFinite. */
export function reviveNonFinite(_key: string, value: unknown): unknown {
  return value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : value === 'NaN' ? NaN : value;
}

/** A recorded number array back to numbers (`null` read as NaN). */
export function toNumbers(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  return v.map((x) => (typeof x === 'number' ? x : NaN));
}
