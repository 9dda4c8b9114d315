/**
 * Reads the weights of an MLP back from ONNX bytes that writeOnnx.ts `mlpToOnnx` wrote (float32
 * initializers `layers.<l>.weight` [out, in] and `layers.<l>.bias` [out]), so that training can
 * start from a shipped model (fine-tuning, e.g. in another physics engine). A minimal protobuf
 * reader: ModelProto.graph -> GraphProto.initializer -> TensorProto dims, data_type, name,
 * raw_data or float_data; every other field is skipped.
 */
import { AxonError } from '../../../src/core/errors.ts';
import type { Mlp } from '../mlp.ts';
import { DATA_TYPE, F } from './onnxModel.ts';
import { WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './protobuf.ts';

/** TensorProto.float_data (packed or not). */
const FLOAT_DATA = 4;

interface Field {
  readonly no: number;
  readonly wire: number;
  /** Varint value, or the payload of a length-delimited / fixed field. */
  readonly value: number;
  readonly bytes: Uint8Array;
}

function* fields(buf: Uint8Array, where: string): Generator<Field> {
  let p = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 10; k++) {
      if (p >= buf.length) throw new AxonError('ONNX_READ', where, 'ends inside a varint', 'a complete protobuf message');
      const b = buf[p++];
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return v;
    }
    throw new AxonError('ONNX_READ', where, 'has a varint longer than 10 bytes', 'a protobuf message');
  };
  const take = (n: number): Uint8Array => {
    if (p + n > buf.length) throw new AxonError('ONNX_READ', where, 'ends inside a field', 'a complete protobuf message');
    const b = buf.subarray(p, p + n);
    p += n;
    return b;
  };
  const none = new Uint8Array(0);
  while (p < buf.length) {
    const tag = varint();
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === WIRE_VARINT) yield { no, wire, value: varint(), bytes: none };
    else if (wire === WIRE_LEN) yield { no, wire, value: 0, bytes: take(varint()) };
    else if (wire === WIRE_FIXED32) yield { no, wire, value: 0, bytes: take(4) };
    else if (wire === WIRE_FIXED64) yield { no, wire, value: 0, bytes: take(8) };
    else throw new AxonError('ONNX_READ', where, `has wire type ${wire}`, 'wire types 0, 1, 2 or 5 (an ONNX ModelProto)');
  }
}

const floats = (b: Uint8Array): Float32Array => {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Float32Array.from({ length: b.byteLength / 4 }, (_, k) => v.getFloat32(4 * k, true));
};

/** The float32 initializers of a ModelProto, by name: dims and values. */
export function readInitializers(bytes: Uint8Array, where = 'model.onnx'): Map<string, { dims: number[]; data: Float32Array }> {
  const out = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const m of fields(bytes, where)) {
    if (m.no !== F.model.graph || m.wire !== WIRE_LEN) continue;
    for (const g of fields(m.bytes, where)) {
      if (g.no !== F.graph.initializer || g.wire !== WIRE_LEN) continue;
      const dims: number[] = [];
      let name = '';
      let type = 0;
      let data: Float32Array | undefined;
      const packed: number[] = [];
      for (const t of fields(g.bytes, where)) {
        if (t.no === F.tensor.dims && t.wire === WIRE_VARINT) dims.push(t.value);
        else if (t.no === F.tensor.dims && t.wire === WIRE_LEN) for (const d of fields(t.bytes, where)) dims.push(d.value);
        else if (t.no === F.tensor.dataType) type = t.value;
        else if (t.no === F.tensor.name) name = new TextDecoder().decode(t.bytes);
        else if (t.no === F.tensor.rawData) data = floats(t.bytes);
        else if (t.no === FLOAT_DATA && t.wire === WIRE_LEN) data = floats(t.bytes);
        else if (t.no === FLOAT_DATA && t.wire === WIRE_FIXED32) packed.push(floats(t.bytes)[0]);
      }
      if (type !== DATA_TYPE.float32) continue;
      out.set(name, { dims, data: data ?? Float32Array.from(packed) });
    }
  }
  return out;
}

/** Sets `mlp`'s weights from ONNX bytes of the same architecture; AxonError ONNX_READ naming the tensor otherwise. */
export function readMlpWeights(bytes: Uint8Array, mlp: Mlp, where = 'model.onnx'): void {
  const init = readInitializers(bytes, where);
  for (let l = 0; l < mlp.numLayers; l++) {
    const [nIn, nOut] = [mlp.sizes[l], mlp.sizes[l + 1]];
    for (const [name, dims, target] of [
      [`layers.${l}.weight`, [nOut, nIn], mlp.weight(l)],
      [`layers.${l}.bias`, [nOut], mlp.bias(l)],
    ] as const) {
      const t = init.get(name);
      if (t === undefined || t.dims.join('x') !== dims.join('x') || t.data.length !== target.length)
        throw new AxonError('ONNX_READ', `${where}: ${name}`, t === undefined ? 'is missing' : `has shape [${t.dims.join(', ')}]`, `a float32 tensor [${dims.join(', ')}] (an MLP ${mlp.sizes.join(' -> ')} written by models/train)`);
      target.set(t.data);
    }
  }
  mlp.setParams(mlp.getParams()); // rejects NaN and absurd values as any parameter update does
  if (init.size !== 2 * mlp.numLayers) throw new AxonError('ONNX_READ', where, `has ${init.size} weight tensors`, `${2 * mlp.numLayers} (an MLP ${mlp.sizes.join(' -> ')})`);
}
