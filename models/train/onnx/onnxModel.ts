/**
 * Plain-data description of an ONNX model and its byte encoding as an ONNX ModelProto.
 *
 * Field numbers are those of onnx.proto (proto2). Fields are written in ascending field-number
 * order and repeated scalars unpacked, as protobuf's own serialisers do, so a model read back by
 * the `onnx` Python package re-serialises to the same bytes. Nothing depends on time, host or
 * map order (attributes and metadata are sorted by name): same model, same bytes.
 */
import { ProtoWriter, float32LeBytes } from './protobuf.ts';

/** onnx.proto field numbers used here. */
export const F = {
  model: { irVersion: 1, producerName: 2, producerVersion: 3, domain: 4, modelVersion: 5, docString: 6, graph: 7, opsetImport: 8, metadataProps: 14 },
  opset: { domain: 1, version: 2 },
  stringEntry: { key: 1, value: 2 },
  graph: { node: 1, name: 2, initializer: 5, docString: 10, input: 11, output: 12, valueInfo: 13 },
  node: { input: 1, output: 2, name: 3, opType: 4, attribute: 5, docString: 6, domain: 7 },
  attribute: { name: 1, f: 2, i: 3, s: 4, floats: 7, ints: 8, strings: 9, type: 20 },
  tensor: { dims: 1, dataType: 2, name: 8, rawData: 9, docString: 12 },
  valueInfo: { name: 1, type: 2, docString: 3 },
  typeProto: { tensorType: 1 },
  typeTensor: { elemType: 1, shape: 2 },
  shape: { dim: 1 },
  dimension: { dimValue: 1, dimParam: 2 },
} as const;

/** TensorProto.DataType values for the element types supported here. */
export const DATA_TYPE = { float32: 1, int32: 6, int64: 7 } as const;
export type ElemType = keyof typeof DATA_TYPE;

/** AttributeProto.AttributeType values. */
export const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7, strings: 8 } as const;

export type OnnxAttribute =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'floats'; value: readonly number[] }
  | { type: 'ints'; value: readonly number[] }
  | { type: 'strings'; value: readonly string[] };

/** Attribute constructors: `{ transB: attr.int(1) }`. */
export const attr = {
  float: (value: number): OnnxAttribute => ({ type: 'float', value }),
  int: (value: number): OnnxAttribute => ({ type: 'int', value }),
  string: (value: string): OnnxAttribute => ({ type: 'string', value }),
  floats: (value: readonly number[]): OnnxAttribute => ({ type: 'floats', value }),
  ints: (value: readonly number[]): OnnxAttribute => ({ type: 'ints', value }),
  strings: (value: readonly string[]): OnnxAttribute => ({ type: 'strings', value }),
};

/** A dimension: a fixed size, or a symbolic name such as "batch". */
export type Dim = number | string;

export interface OnnxValueInfo {
  name: string;
  elemType: ElemType;
  shape: readonly Dim[];
  docString?: string;
}

export interface OnnxTensor {
  name: string;
  elemType: ElemType;
  dims: readonly number[];
  /** Element values in row-major order; stored as little-endian raw_data. */
  data: Float32Array | Int32Array | BigInt64Array;
  docString?: string;
}

export interface OnnxNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  /** Default "" (the standard ONNX operator domain). */
  domain?: string;
  attributes?: Readonly<Record<string, OnnxAttribute>>;
  docString?: string;
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
  valueInfo?: readonly OnnxValueInfo[];
  docString?: string;
}

export interface OnnxModel {
  irVersion: number;
  opsetImports: readonly { domain: string; version: number }[];
  producerName: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph: OnnxGraph;
  /** Free-form key/value pairs (ModelProto.metadata_props), written sorted by key. */
  metadata?: Readonly<Record<string, string>>;
  /**
   * metadata_props entries written after `metadata`, in this order and as given (a key may repeat):
   * how a Python exporter appends them (`model.metadata_props.append(entry)`, mjlab's
   * attach_metadata_to_onnx).
   */
  metadataProps?: readonly { readonly key: string; readonly value: string }[];
}

export type OnnxErrorCode = 'BAD_TENSOR' | 'BAD_NUMBER' | 'UNDEFINED_VALUE' | 'DUPLICATE_NAME' | 'BAD_NAME';

/** A model that cannot be written; `detail` names the offending tensor, node or value. */
export class OnnxError extends Error {
  readonly code: OnnxErrorCode;
  readonly detail: Record<string, unknown>;
  constructor(code: OnnxErrorCode, message: string, detail: Record<string, unknown>) {
    super(message);
    this.name = 'OnnxError';
    this.code = code;
    this.detail = detail;
  }
}

function tensorRawData(t: OnnxTensor): Uint8Array {
  const d = t.data;
  if (d instanceof Float32Array) {
    for (let k = 0; k < d.length; k++) {
      if (!(Math.abs(d[k]) <= 1e10)) {
        throw new OnnxError('BAD_NUMBER', `tensor ${t.name} element ${k} is not a finite number of sane size`, { tensor: t.name, index: k, value: d[k], expected: '|x| <= 1e10' });
      }
    }
    return float32LeBytes(d);
  }
  const out = new Uint8Array(d.byteLength);
  const view = new DataView(out.buffer);
  if (d instanceof Int32Array) {
    for (let k = 0; k < d.length; k++) view.setInt32(k * 4, d[k], true);
  } else {
    for (let k = 0; k < d.length; k++) view.setBigInt64(k * 8, d[k], true);
  }
  return out;
}

function expectedArray(elemType: ElemType): string {
  return elemType === 'float32' ? 'Float32Array' : elemType === 'int32' ? 'Int32Array' : 'BigInt64Array';
}

function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  const count = t.dims.reduce((a, b) => a * b, 1);
  const okArray =
    (t.elemType === 'float32' && t.data instanceof Float32Array) ||
    (t.elemType === 'int32' && t.data instanceof Int32Array) ||
    (t.elemType === 'int64' && t.data instanceof BigInt64Array);
  if (!okArray) {
    throw new OnnxError('BAD_TENSOR', `tensor ${t.name}: data does not match elemType ${t.elemType}`, { tensor: t.name, elemType: t.elemType, expected: expectedArray(t.elemType) });
  }
  if (t.dims.some((d) => !Number.isInteger(d) || d < 0) || count !== t.data.length) {
    throw new OnnxError('BAD_TENSOR', `tensor ${t.name}: dims ${JSON.stringify(t.dims)} hold ${count} elements, data has ${t.data.length}`, { tensor: t.name, dims: t.dims, got: t.data.length, expected: count });
  }
  for (const d of t.dims) w.varint(F.tensor.dims, d);
  w.varint(F.tensor.dataType, DATA_TYPE[t.elemType]);
  w.string(F.tensor.name, t.name);
  w.bytes(F.tensor.rawData, tensorRawData(t));
  if (t.docString !== undefined) w.string(F.tensor.docString, t.docString);
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(F.valueInfo.name, v.name);
  w.message(F.valueInfo.type, (tp) =>
    tp.message(F.typeProto.tensorType, (tt) => {
      tt.varint(F.typeTensor.elemType, DATA_TYPE[v.elemType]);
      tt.message(F.typeTensor.shape, (sh) => {
        for (const d of v.shape) {
          sh.message(F.shape.dim, (dim) => {
            if (typeof d === 'number') dim.varint(F.dimension.dimValue, d);
            else dim.string(F.dimension.dimParam, d);
          });
        }
      });
    }),
  );
  if (v.docString !== undefined) w.string(F.valueInfo.docString, v.docString);
}

function writeAttribute(w: ProtoWriter, name: string, a: OnnxAttribute): void {
  w.string(F.attribute.name, name);
  switch (a.type) {
    case 'float':
      w.float(F.attribute.f, a.value);
      break;
    case 'int':
      w.varint(F.attribute.i, a.value);
      break;
    case 'string':
      w.string(F.attribute.s, a.value);
      break;
    case 'floats':
      for (const x of a.value) w.float(F.attribute.floats, x);
      break;
    case 'ints':
      for (const x of a.value) w.varint(F.attribute.ints, x);
      break;
    case 'strings':
      for (const x of a.value) w.string(F.attribute.strings, x);
      break;
  }
  w.varint(F.attribute.type, ATTRIBUTE_TYPE[a.type]);
}

function writeNode(w: ProtoWriter, n: OnnxNode): void {
  for (const i of n.inputs) w.string(F.node.input, i);
  for (const o of n.outputs) w.string(F.node.output, o);
  if (n.name !== undefined) w.string(F.node.name, n.name);
  w.string(F.node.opType, n.opType);
  const attrs = n.attributes ?? {};
  for (const key of Object.keys(attrs).sort()) {
    w.message(F.node.attribute, (aw) => writeAttribute(aw, key, attrs[key]));
  }
  if (n.docString !== undefined) w.string(F.node.docString, n.docString);
  if (n.domain !== undefined && n.domain !== '') w.string(F.node.domain, n.domain);
}

function writeGraph(w: ProtoWriter, g: OnnxGraph): void {
  for (const n of g.nodes) w.message(F.graph.node, (nw) => writeNode(nw, n));
  w.string(F.graph.name, g.name);
  for (const t of g.initializers) w.message(F.graph.initializer, (tw) => writeTensor(tw, t));
  if (g.docString !== undefined) w.string(F.graph.docString, g.docString);
  for (const v of g.inputs) w.message(F.graph.input, (vw) => writeValueInfo(vw, v));
  for (const v of g.outputs) w.message(F.graph.output, (vw) => writeValueInfo(vw, v));
  for (const v of g.valueInfo ?? []) w.message(F.graph.valueInfo, (vw) => writeValueInfo(vw, v));
}

/** Encode `model` as ONNX ModelProto bytes. Throws OnnxError on malformed tensors or bad weights. */
export function encodeModel(model: OnnxModel): Uint8Array {
  const w = new ProtoWriter(4096);
  w.varint(F.model.irVersion, model.irVersion);
  w.string(F.model.producerName, model.producerName);
  if (model.producerVersion !== undefined) w.string(F.model.producerVersion, model.producerVersion);
  if (model.domain !== undefined) w.string(F.model.domain, model.domain);
  if (model.modelVersion !== undefined) w.varint(F.model.modelVersion, model.modelVersion);
  if (model.docString !== undefined) w.string(F.model.docString, model.docString);
  w.message(F.model.graph, (gw) => writeGraph(gw, model.graph));
  for (const op of model.opsetImports) {
    w.message(F.model.opsetImport, (ow) => ow.string(F.opset.domain, op.domain).varint(F.opset.version, op.version));
  }
  const meta = model.metadata ?? {};
  for (const key of Object.keys(meta).sort()) {
    w.message(F.model.metadataProps, (mw) => mw.string(F.stringEntry.key, key).string(F.stringEntry.value, meta[key]));
  }
  for (const e of model.metadataProps ?? []) w.message(F.model.metadataProps, (mw) => mw.string(F.stringEntry.key, e.key).string(F.stringEntry.value, e.value));
  return w.finish();
}
