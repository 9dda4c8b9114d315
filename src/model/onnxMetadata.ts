/**
 * An ONNX file's `metadata_props` (ModelProto field 14: repeated StringStringEntryProto, key field
 * 1, value field 2, both UTF-8), read from the file's bytes without onnxruntime, whose JavaScript
 * API does not expose them. Only the top level of ModelProto is walked: the graph and every other
 * field are skipped by their length, so a large model costs one pass over its top-level tags.
 * A trainer that describes its policy in the file (mjlab's attach_metadata_to_onnx) writes them here.
 */
import { readFileSync } from 'node:fs';
import { AxonError } from '../core/errors.ts';

/** ModelProto.metadata_props and its entry's fields (onnx/onnx.proto). */
const METADATA_PROPS = 14;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** One metadata_props entry, in file order (a key may repeat: the file is what the exporter appended). */
export interface OnnxMetadataEntry {
  readonly key: string;
  readonly value: string;
}

const _utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * The fields of one protobuf message, in order (a varint's value in `value`, a length-delimited
 * field's bytes in `bytes`); `where` names the file (and the message) in errors.
 * A truncated message, or a wire type protobuf has no longer (groups, 3 and 4), is ONNX_READ.
 */
export function* protoFields(buf: Uint8Array, where: string): Generator<{ no: number; wire: number; bytes: Uint8Array; value: number }> {
  let p = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 10; k++) {
      if (p >= buf.length) throw new AxonError('ONNX_READ', where, `ends inside a varint at byte ${p}`, 'a complete ONNX (protobuf) file');
      const b = buf[p++];
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return v;
    }
    throw new AxonError('ONNX_READ', where, `has a varint longer than 10 bytes at byte ${p}`, 'an ONNX (protobuf) file');
  };
  const skip = (n: number): Uint8Array => {
    if (p + n > buf.length) throw new AxonError('ONNX_READ', where, `ends inside a field at byte ${p} (${n} bytes announced, ${buf.length - p} left)`, 'a complete ONNX (protobuf) file');
    const b = buf.subarray(p, p + n);
    p += n;
    return b;
  };
  const empty = new Uint8Array(0);
  while (p < buf.length) {
    const at = p;
    const tag = varint();
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    if (no === 0) throw new AxonError('ONNX_READ', where, `has field number 0 at byte ${at}`, 'an ONNX (protobuf) file');
    if (wire === WIRE_VARINT) yield { no, wire, bytes: empty, value: varint() };
    else if (wire === WIRE_LEN) yield { no, wire, bytes: skip(varint()), value: 0 };
    else if (wire === WIRE_FIXED64) yield { no, wire, bytes: skip(8), value: 0 };
    else if (wire === WIRE_FIXED32) yield { no, wire, bytes: skip(4), value: 0 };
    else throw new AxonError('ONNX_READ', where, `has wire type ${wire} at byte ${at}`, 'an ONNX (protobuf) file');
  }
}

/** The metadata_props of ONNX bytes, in file order; `where` names the file in errors. */
export function onnxMetadataEntries(bytes: Uint8Array, where: string): OnnxMetadataEntry[] {
  const out: OnnxMetadataEntry[] = [];
  for (const f of protoFields(bytes, where)) {
    if (f.no !== METADATA_PROPS || f.wire !== WIRE_LEN) continue;
    let key = '';
    let value = '';
    for (const e of protoFields(f.bytes, `${where} metadata_props[${out.length}]`)) {
      if (e.wire !== WIRE_LEN) continue;
      if (e.no === ENTRY_KEY) key = _utf8.decode(e.bytes);
      else if (e.no === ENTRY_VALUE) value = _utf8.decode(e.bytes);
    }
    out.push({ key, value });
  }
  return out;
}

/** The metadata_props of an ONNX file (read whole), in file order. */
export function readOnnxMetadata(file: string): OnnxMetadataEntry[] {
  return onnxMetadataEntries(readFileSync(file), file);
}
