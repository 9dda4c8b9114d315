/**
 * A parquet file that grows by whole row groups and is a complete, readable file after each one.
 *
 * hyparquet-writer's ParquetWriter encodes each row group into memory; after it, the file's footer
 * (FileMetaData of every row group so far, its length, "PAR1") is written behind it. The next row
 * group goes where that footer started, followed by the new footer. Each append is atomic
 * (datasetFiles.ts patchFileAtomic: a copy of the file is changed, fsynced and renamed over it): a
 * reader, or a process killed during the append, sees the file before it or after it, never a file
 * without a footer (review R13 F8). The file is not created before its first row group.
 * `pending()` gives what a journal needs to undo an append (the old end and footer) when the
 * dataset's commit (meta/info.json) did not follow it.
 */
import { closeSync, existsSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { ColumnSource } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import type { SchemaElement, KeyValue } from 'hyparquet';
import { partialPath, patchFileAtomic } from './datasetFiles.ts';

const PAR1 = 0x31524150;

export interface AppendUndo {
  /** Byte where the row group goes (the old footer's start). */
  readonly at: number;
  /** The old footer bytes (metadata, length, PAR1), base64; null when the file had no row group yet. */
  readonly footer: string | null;
}

export class ParquetAppender {
  private readonly bytes = new ByteWriter(1 << 16);
  private readonly writer: ParquetWriter;
  /** Where the next row group starts: the end of the last one. */
  private end: number;
  private footer: Uint8Array | null = null;
  rows = 0;

  constructor(
    readonly path: string,
    private readonly schema: SchemaElement[],
    private readonly kv: KeyValue[] = [],
  ) {
    this.writer = new ParquetWriter({ writer: this.bytes, schema, createdBy: 'axon (hyparquet-writer)', kvMetadata: kv });
    // The header PAR1 the writer appended: written with the first row group.
    this.head = this.bytes.getBytes().slice();
    this.end = this.head.length;
    this.bytes.index = 0;
  }

  private readonly head: Uint8Array;

  /** Bytes in the file (row groups and footer). */
  get size(): number {
    return this.end + (this.footer?.length ?? 0);
  }

  /** What undoing the next append needs. */
  pending(): AppendUndo {
    return { at: this.end, footer: this.footer ? Buffer.from(this.footer).toString('base64') : null };
  }

  /**
   * Encodes `rows` rows as one row group, then writes it and the new footer over the old footer.
   * Every column's data is an array of `rows` values (a list column: an array per row).
   */
  append(columnData: ColumnSource[], rows: number): void {
    void this.writer.write({ columnData: columnData.map((c) => ({ ...c, offsetIndex: false })), rowGroupSize: Math.max(1, rows) });
    this.writer.pendingIndexes = []; // no page indexes: nothing to write at the end
    const group = this.bytes.getBytes();
    const footer = this.footerBytes();
    const out = new Uint8Array(group.length + footer.length);
    out.set(group);
    out.set(footer, group.length);
    patchFileAtomic(this.path, this.end, out, this.footer === null ? this.head : undefined);
    this.end += group.length;
    this.bytes.index = 0;
    this.footer = footer;
    this.rows += rows;
  }

  /** Each row group's FileMetaData bytes, encoded once (review R17 F6: re-encoding every row group's metadata per append grew with the file). */
  private readonly groupBytes: Uint8Array[] = [];

  /**
   * The footer (FileMetaData, its length, PAR1) of every row group so far, byte for byte what
   * writeMetadata gives (tests/src/dataset/saveCost.test.ts), with the row groups before the last
   * one's bytes reused: a FileMetaData of no row group is encoded, and one of only the new row
   * group; the new group's bytes are what the second adds after the list header (a thrift compact
   * list of structs is its header then each struct as encoded alone).
   */
  private footerBytes(): Uint8Array {
    const groups = this.writer.row_groups;
    const empty = this.metadata([]);
    const one = this.metadata([groups[groups.length - 1]]);
    let q = 0;
    while (q < empty.length && empty[q] === one[q]) q++; // the list header: 0x0C (0 structs) against 0x1C (1)
    this.groupBytes.push(one.slice(q + 1, q + 1 + one.length - empty.length));
    const n = this.groupBytes.length;
    const header = n < 15 ? [(n << 4) | 12] : [0xfc, ...varint(n)];
    const body = this.groupBytes.reduce((a, g) => a + g.length, 0);
    const len = q + header.length + body + (empty.length - q - 1);
    const out = new Uint8Array(len + 8);
    out.set(empty.subarray(0, q));
    out.set(header, q);
    let at = q + header.length;
    for (const g of this.groupBytes) {
      out.set(g, at);
      at += g.length;
    }
    out.set(empty.subarray(q + 1), at);
    const view = new DataView(out.buffer);
    view.setUint32(len, len, true);
    view.setUint32(len + 4, PAR1, true);
    return out;
  }

  /** FileMetaData of `rowGroups` (num_rows: the file's), without its length and magic. */
  private metadata(rowGroups: unknown[]): Uint8Array {
    const fw = new ByteWriter(4096);
    writeMetadata(fw, {
      version: 2,
      created_by: 'axon (hyparquet-writer)',
      schema: this.schema,
      num_rows: this.writer.num_rows,
      row_groups: rowGroups,
      // An empty list is written with an element type Arrow's reader refuses ("Expected list element type of Struct"): left out.
      ...(this.kv.length > 0 ? { key_value_metadata: this.kv } : {}),
      metadata_length: 0,
    } as Parameters<typeof writeMetadata>[1]);
    const b = fw.getBytes();
    return b.slice(0, b.length - 4); // without the length writeMetadata appends
  }

  close(): void {
    // Nothing open between appends.
  }
}

/**
 * Puts a file back as it was before an append the dataset did not commit (AppendUndo from the
 * journal), atomically; a file that had no row group is removed. Either is a no-op when the
 * append never reached the file (the kill came before its rename).
 */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

export function restoreAppend(path: string, undo: AppendUndo): void {
  rmSync(partialPath(path), { force: true });
  if (undo.footer === null) {
    rmSync(path, { force: true });
    return;
  }
  if (!existsSync(path)) return;
  patchFileAtomic(path, undo.at, Buffer.from(undo.footer, 'base64'));
}

/** Whether the file ends in a parquet footer magic (a whole file). */
export function endsWithMagic(path: string): boolean {
  try {
    const size = statSync(path).size;
    if (size < 12) return false;
    const fd = openSync(path, 'r');
    try {
      const b = Buffer.alloc(4);
      readSync(fd, b, 0, 4, size - 4);
      return b.readUInt32LE(0) === PAR1;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

