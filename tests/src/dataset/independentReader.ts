/**
 * Test helper: reads parquet files with an implementation independent of the writer
 * (parquet-wasm: the Rust `parquet` crate of Apache Arrow, compiled to WebAssembly, through
 * apache-arrow's JS reader), not with hyparquet / hyparquet-writer.
 */
import { readFileSync } from 'node:fs';
import { readParquet } from 'parquet-wasm/node';
import { tableFromIPC, type Table } from 'apache-arrow';

export function readTable(file: string): Table {
  return tableFromIPC(readParquet(new Uint8Array(readFileSync(file))).intoIPCStream());
}

/** Column `name` as plain JS values per row (lists as number arrays, int64 as number). */
export function column(t: Table, name: string): unknown[] {
  const c = t.getChild(name);
  if (!c) throw new Error(`no column ${name} (have ${t.schema.fields.map((f) => f.name).join(', ')})`);
  const out: unknown[] = [];
  for (let i = 0; i < t.numRows; i++) {
    const v = c.get(i) as unknown;
    if (v && typeof v === 'object' && 'toArray' in (v as object)) out.push(Array.from((v as { toArray(): ArrayLike<unknown> }).toArray(), (x) => (typeof x === 'bigint' ? Number(x) : x)));
    else out.push(typeof v === 'bigint' ? Number(v) : v);
  }
  return out;
}

/** "name:type" of every field. */
export function fieldTypes(t: Table): string[] {
  return t.schema.fields.map((f) => `${f.name}:${String(f.type)}`);
}
