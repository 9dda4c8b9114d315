/**
 * An exported policy whose weights live in an external-data file beside it, as torch.onnx.export
 * writes `policy.onnx` + `policy.onnx.data` with external_data on (the dynamo exporter's default):
 * Gemm obs [1, inDim] -> actions [1, outDim], W and B with data_location EXTERNAL and
 * external_data {location, offset, length}. Written by the tests (no downloads).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProtoWriter, float32LeBytes } from '../../models/train/onnx/protobuf.ts';
import { DATA_TYPE } from '../../models/train/onnx/onnxModel.ts';
import { ONNX_IR_VERSION, ONNX_OPSET } from '../../models/train/onnx/writeOnnx.ts';

/** Writes DIR/`file` and, unless `writeData` is false, DIR/`location` (relative; may name a subfolder); returns the .onnx path. */
export function writeExternalDataPolicy(dir: string, o: { inDim: number; outDim: number; file?: string; location?: string; writeData?: boolean }): string {
  const file = o.file ?? 'policy.onnx';
  const location = o.location ?? `${file}.data`;
  const w = new Float32Array(o.outDim * o.inDim);
  for (let k = 0; k < o.outDim; k++) w[k * o.inDim + k] = 0.01;
  const wraw = float32LeBytes(w);
  const braw = float32LeBytes(new Float32Array(o.outDim));
  if (o.writeData !== false) {
    const data = new Uint8Array(wraw.length + braw.length);
    data.set(wraw, 0);
    data.set(braw, wraw.length);
    writeFileSync(join(dir, location), data);
  }
  const tensor = (t: ProtoWriter, name: string, dims: number[], offset: number, length: number) => {
    for (const d of dims) t.varint(1, d);
    t.varint(2, DATA_TYPE.float32);
    t.string(8, name);
    for (const [k, v] of [['location', location], ['offset', String(offset)], ['length', String(length)]])
      t.message(13, (e) => e.string(1, k).string(2, v));
    t.varint(14, 1); // data_location EXTERNAL
  };
  const valueInfo = (v: ProtoWriter, name: string, dims: number[]) =>
    v.string(1, name).message(2, (tp) => tp.message(1, (tt) => tt.varint(1, DATA_TYPE.float32).message(2, (sh) => { for (const d of dims) sh.message(1, (dim) => dim.varint(1, d)); })));
  const m = new ProtoWriter(1024);
  m.varint(1, ONNX_IR_VERSION).string(2, 'pytorch').string(3, '2.9.0');
  m.message(7, (g) => {
    g.message(1, (n) => n.string(1, 'obs').string(1, 'W').string(1, 'B').string(2, 'actions').string(3, 'gemm').string(4, 'Gemm').message(5, (a) => a.string(1, 'transB').varint(3, 1).varint(20, 2)));
    g.string(2, 'main_graph');
    g.message(5, (t) => tensor(t, 'W', [o.outDim, o.inDim], 0, wraw.length));
    g.message(5, (t) => tensor(t, 'B', [o.outDim], wraw.length, braw.length));
    g.message(11, (v) => valueInfo(v, 'obs', [1, o.inDim]));
    g.message(12, (v) => valueInfo(v, 'actions', [1, o.outDim]));
  });
  m.message(8, (op) => op.string(1, '').varint(2, ONNX_OPSET));
  const path = join(dir, file);
  writeFileSync(path, m.finish());
  return path;
}
