/**
 * Python objects PyYAML's full dumper writes as `!!python/object/apply:...`, read as the values
 * they stand for (docs/byom.md, Import): an OrderedDict as its mapping, a numpy scalar as its
 * number. Anything of those tags that does not have the shape PyYAML gives them is an
 * IMPORT_CONFIG error naming the YAML key.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, Pair, Scalar, YAMLMap, type Document, type Node } from 'yaml';
import { ImportError } from './common.ts';

/** The dotted key of `node` in the document (`scene.robot.init_state.joint_pos`, `a.b[2]`), from visit's ancestry. */
export function yamlKeyPath(path: readonly unknown[], node: unknown): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const p = path[i];
    if (isPair(p)) out += `${out === '' ? '' : '.'}${isScalar(p.key) ? String(p.key.value) : '?'}`;
    else if (isSeq(p)) out += `[${p.items.indexOf((path[i + 1] ?? node) as never)}]`;
  }
  return out === '' ? '(the top)' : out;
}

/**
 * `!!python/object/apply:collections.OrderedDict [[[k, v], ...]]` (PyYAML's represent_ordered_dict),
 * or the `{dictitems: {...}}` form of a subclass, as a YAML mapping in the same key order.
 */
export function orderedDict(node: unknown, where: () => string): YAMLMap {
  const expected = 'an OrderedDict as PyYAML dumps one: a list holding one list of [key, value] pairs';
  const out = new YAMLMap();
  const anchor = (node as { anchor?: string }).anchor;
  if (anchor) out.anchor = anchor;
  if (isMap(node)) {
    const items = node.get('dictitems', true);
    if (isMap(items)) {
      out.items = items.items;
      return out;
    }
    throw new ImportError(where(), 'is an OrderedDict without dictitems', expected);
  }
  if (!isSeq(node) || node.items.length > 1) throw new ImportError(where(), `is an OrderedDict of ${isSeq(node) ? `${node.items.length} arguments` : 'an unexpected form'}`, expected);
  const pairs = node.items[0];
  if (pairs === undefined) return out; // OrderedDict(): empty
  if (!isSeq(pairs)) throw new ImportError(where(), 'is an OrderedDict whose argument is not a list', expected);
  pairs.items.forEach((p, i) => {
    if (!isSeq(p) || p.items.length !== 2) throw new ImportError(`${where()}[${i}]`, 'is not a [key, value] pair', expected);
    out.items.push(new Pair(p.items[0], p.items[1]));
  });
  return out;
}

export interface NumpyDecoded {
  readonly key: string;
  readonly dtype: string;
  readonly value: number | boolean;
  readonly node: Scalar;
}

/** numpy dtype codes read: size in bytes and how to read it from a DataView. */
const DTYPES: Record<string, { size: number; read: (v: DataView, le: boolean) => number | boolean | bigint }> = {
  f8: { size: 8, read: (v, le) => v.getFloat64(0, le) },
  f4: { size: 4, read: (v, le) => v.getFloat32(0, le) },
  i8: { size: 8, read: (v, le) => v.getBigInt64(0, le) },
  i4: { size: 4, read: (v, le) => v.getInt32(0, le) },
  i2: { size: 2, read: (v, le) => v.getInt16(0, le) },
  i1: { size: 1, read: (v) => v.getInt8(0) },
  u8: { size: 8, read: (v, le) => v.getBigUint64(0, le) },
  u4: { size: 4, read: (v, le) => v.getUint32(0, le) },
  u2: { size: 2, read: (v, le) => v.getUint16(0, le) },
  u1: { size: 1, read: (v) => v.getUint8(0) },
  b1: { size: 1, read: (v) => v.getUint8(0) !== 0 },
};
const EXPECTED_NUMPY = `a numpy scalar as PyYAML dumps one ([numpy.dtype with args [${Object.keys(DTYPES).join(' | ')}, ...] and state [3, '<' | '>' | '|' | '=', ...], !!binary bytes]), or a plain number`;

/** The plain value of a YAML node (aliases followed), enough for a dtype's args and state. */
function plain(n: unknown, doc: Document): unknown {
  if (isAlias(n)) return plain(n.resolve(doc), doc);
  if (isScalar(n)) return n.value;
  if (isSeq(n)) return n.items.map((x) => plain(x, doc));
  if (isMap(n)) return Object.fromEntries(n.items.map((p) => [String(plain(p.key, doc)), plain(p.value, doc)]));
  return undefined;
}

/**
 * `!!python/object/apply:numpy.core.multiarray.scalar [dtype, !!binary bytes]` (numpy 2:
 * `numpy._core.multiarray.scalar`) as its number (a bool dtype as true/false). The dtype is
 * `!!python/object/apply:numpy.dtype {args: [f8, false, true], state: [3, '<', ...]}`, often
 * anchored (&id001) in the first scalar and aliased in the next: `dtypes` holds those seen.
 */
export function numpyScalar(node: unknown, doc: Document, dtypes: Map<string, unknown>, file: string, key: string): NumpyDecoded {
  const where = () => `${file}: ${key}`;
  if (!isSeq(node) || node.items.length !== 2) throw new ImportError(where(), 'is a numpy scalar that is not [dtype, bytes]', EXPECTED_NUMPY);
  let d: unknown = node.items[0];
  if (isAlias(d)) d = dtypes.get(d.source) ?? d;
  else if ((d as { anchor?: string }).anchor) dtypes.set((d as { anchor: string }).anchor, d);
  const dt = plain(d, doc) as { args?: unknown; state?: unknown } | unknown[] | undefined;
  const args = Array.isArray(dt) ? dt : dt && typeof dt === 'object' ? dt.args : undefined;
  const state = !Array.isArray(dt) && dt && typeof dt === 'object' ? dt.state : undefined;
  const code = Array.isArray(args) && typeof args[0] === 'string' ? args[0] : undefined;
  const order = Array.isArray(state) && typeof state[1] === 'string' ? state[1] : '|';
  const kind = code === undefined ? undefined : DTYPES[code];
  if (dt === undefined || dt === null) throw new ImportError(where(), 'is a numpy scalar whose dtype cannot be read (an alias to no dtype before it?)', EXPECTED_NUMPY);
  if (kind === undefined) throw new ImportError(where(), `is a numpy scalar of dtype ${JSON.stringify(code ?? dt)}, which axon does not decode`, EXPECTED_NUMPY);
  if (!['<', '>', '|', '='].includes(order)) throw new ImportError(where(), `is a numpy scalar whose dtype byte order is ${JSON.stringify(order)}`, EXPECTED_NUMPY);
  const raw = plain(node.items[1], doc);
  const bytes = raw instanceof Uint8Array ? raw : typeof raw === 'string' ? Uint8Array.from(Buffer.from(raw.replace(/\s+/g, ''), 'base64')) : undefined;
  if (bytes === undefined) throw new ImportError(where(), 'is a numpy scalar without its bytes (!!binary)', EXPECTED_NUMPY);
  if (bytes.length !== kind.size) throw new ImportError(where(), `is a numpy scalar of dtype ${code} holding ${bytes.length} bytes, not ${kind.size}`, EXPECTED_NUMPY);
  // '=' is the dumping machine's order: little-endian on every machine that trains these policies.
  const v = kind.read(new DataView(bytes.buffer, bytes.byteOffset, bytes.length), order !== '>');
  if (typeof v === 'bigint' && (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)))
    throw new ImportError(where(), `is a numpy scalar of dtype ${code}, ${v}, beyond what a double holds exactly`, 'an integer within ±2^53');
  const value = typeof v === 'bigint' ? Number(v) : v;
  const out = new Scalar(value);
  const anchor = (node as { anchor?: string }).anchor;
  if (anchor) out.anchor = anchor;
  return { key, dtype: `${order === '>' ? '>' : ''}${code}`, value, node: out };
}
