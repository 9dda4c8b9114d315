/**
 * Python objects as PyYAML's full dumper (yaml.dump, Isaac Lab's dump_yaml) writes them, for
 * env.yaml fixtures: numpy scalars (np.float64(0.25), np.deg2rad(30)) and OrderedDicts.
 */

/** numpy dtype codes: bytes of a value in the given byte order. */
const ENCODE: Record<string, (v: DataView, x: number | boolean, le: boolean) => void> = {
  f8: (v, x, le) => v.setFloat64(0, Number(x), le),
  f4: (v, x, le) => v.setFloat32(0, Number(x), le),
  i8: (v, x, le) => v.setBigInt64(0, BigInt(Number(x)), le),
  i4: (v, x, le) => v.setInt32(0, Number(x), le),
  i2: (v, x, le) => v.setInt16(0, Number(x), le),
  u1: (v, x) => v.setUint8(0, Number(x)),
  b1: (v, x) => v.setUint8(0, x ? 1 : 0),
};
const SIZE: Record<string, number> = { f8: 8, f4: 4, i8: 8, i4: 4, i2: 2, u1: 1, b1: 1 };

/**
 * `!!python/object/apply:numpy.core.multiarray.scalar` as a block value at `indent` spaces (the
 * lines after `key:`), with the dtype anchored (`anchor: 'id001'`) or aliased (`alias: 'id001'`)
 * as PyYAML writes a dtype object it has already dumped. `bytes` overrides the payload.
 */
export function numpyScalarYaml(
  indent: number,
  value: number | boolean,
  o: { dtype?: string; order?: '<' | '>' | '|'; anchor?: string; alias?: string; module?: 'numpy.core' | 'numpy._core'; bytes?: Uint8Array } = {},
): string {
  const dtype = o.dtype ?? 'f8';
  const order = o.order ?? (SIZE[dtype] === 1 ? '|' : '<');
  let bytes = o.bytes;
  if (!bytes) {
    bytes = new Uint8Array(SIZE[dtype] ?? 8);
    ENCODE[dtype]?.(new DataView(bytes.buffer), value, order !== '>');
  }
  const p = ' '.repeat(indent);
  const lines = [` !!python/object/apply:${o.module ?? 'numpy.core'}.multiarray.scalar`];
  if (o.alias) lines.push(`${p}- *${o.alias}`);
  else
    lines.push(
      `${p}- ${o.anchor ? `&${o.anchor} ` : ''}!!python/object/apply:numpy.dtype`,
      `${p}  args:`,
      `${p}  - ${dtype}`,
      `${p}  - false`,
      `${p}  - true`,
      `${p}  state: !!python/tuple`,
      `${p}  - 3`,
      `${p}  - ${order === '<' ? '<' : `'${order}'`}`, // PyYAML quotes '>' and '|', YAML block indicators
      `${p}  - null`,
      `${p}  - null`,
      `${p}  - null`,
      `${p}  - -1`,
      `${p}  - -1`,
      `${p}  - 0`,
    );
  lines.push(`${p}- !!binary |`, `${p}  ${Buffer.from(bytes).toString('base64')}`);
  return lines.join('\n');
}

/** `!!python/object/apply:collections.OrderedDict` of these pairs, as the value after `key:` at `indent` spaces. */
export function orderedDictYaml(indent: number, pairs: readonly [string, number][]): string {
  const p = ' '.repeat(indent);
  const lines = [' !!python/object/apply:collections.OrderedDict'];
  pairs.forEach(([k, v], i) => lines.push(`${p}${i === 0 ? '- - - ' : '  - - '}${k}`, `${p}    - ${v}`));
  return lines.join('\n');
}
