/**
 * The values mjlab writes into an ONNX file's metadata_props, read back: each is `str(v)` or, for a
 * list, mjlab's `list_to_csv_str` (src/mjlab/rl/exporter_utils.py): numbers as `"{:.3f}"` (so
 * `1.000`, `-0.000`, `inf`; a Python bool is an int there: True is `1.000`), strings as they are,
 * joined by commas. An element that is itself a list (a per-element observation scale, a clip's
 * [min, max]) was `str()`-formatted by the exporter of mujocolab/mjlab PR #903 (`[-inf, inf]`,
 * `(1.0, 2.0)`: commas inside brackets) and is joined with `;` by later ones (`-inf;inf`); both read.
 */
import { AxonError } from '../../core/errors.ts';

/** A metadata value that is not what mjlab writes; `where` is the file and the key. */
export class OnnxMetadataError extends AxonError {
  constructor(code: 'ONNX_METADATA' | 'ONNX_METADATA_TERM', where: string, message: string, expected?: string) {
    super(code, where, message, expected);
  }
}

/** The entries of a comma-joined value; commas inside [...] or (...) belong to their element. "" is no entry. */
export function splitCsv(s: string): string[] {
  if (s.trim() === '') return [];
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '[' || c === '(') depth++;
    else if ((c === ']' || c === ')') && depth > 0) depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.slice(start).trim());
  return out;
}

const PY_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A number as Python formats one (`{:.3f}`, `str(float)`, `inf`, `-inf`, `True`); NaN and text are refused, naming `where`. */
export function pyNumber(tok: string, where: string): number {
  const t = tok.trim();
  const low = t.toLowerCase();
  if (low === 'inf' || low === '+inf' || low === 'infinity') return Infinity;
  if (low === '-inf' || low === '-infinity') return -Infinity;
  if (t === 'True') return 1;
  if (t === 'False') return 0;
  if (!PY_FLOAT.test(t)) throw new OnnxMetadataError('ONNX_METADATA', where, `is "${tok}"`, 'a number as mjlab writes one ("{:.3f}": 0.250, -0.000, inf)');
  return Number(t);
}

/** One element: a number, or a list written as `[a, b]`, `(a, b)` or `a;b`. */
export function pyEntry(tok: string, where: string): number[] {
  const t = tok.trim();
  const bracketed = /^\[.*\]$/s.test(t) || /^\(.*\)$/s.test(t);
  const inner = bracketed ? t.slice(1, -1) : t;
  const parts = bracketed ? inner.split(',') : inner.includes(';') ? inner.split(';') : [inner];
  const items = parts.map((x) => x.trim()).filter((x, i, a) => !(bracketed && x === '' && i === a.length - 1)); // (a,) is a one-tuple
  if (items.length === 0) throw new OnnxMetadataError('ONNX_METADATA', where, `is "${tok}", an empty list`, 'one number, or a list of numbers');
  return items.map((x, i) => pyNumber(x, items.length > 1 ? `${where}[${i}]` : where));
}
