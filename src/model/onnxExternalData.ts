/**
 * ONNX external data: tensors an ONNX file keeps in other files beside it (TensorProto
 * data_location EXTERNAL, external_data `location` relative to the .onnx file's folder), as
 * torch.onnx.export writes `policy.onnx` + `policy.onnx.data` when its external_data flag is on
 * (the default of the dynamo exporter). A model folder written from such a file needs those files
 * too (docs/byom.md, from-deploy). Read from the file's bytes without onnxruntime: the graph's
 * initializers and sparse initializers, node attributes' tensors, and subgraphs (If, Loop, Scan).
 */
import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { AxonError } from '../core/errors.ts';
import { makeDirs } from '../core/makeDirs.ts';
import { protoFields } from './onnxMetadata.ts';

/** onnx/onnx.proto field numbers walked here. */
const MODEL_GRAPH = 7;
const GRAPH = { node: 1, initializer: 5, sparseInitializer: 15 } as const;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE = { t: 5, g: 6, tensors: 10, graphs: 11, sparseTensor: 22, sparseTensors: 23 } as const;
const SPARSE = { values: 1, indices: 2 } as const;
const TENSOR = { name: 8, externalData: 13, dataLocation: 14 } as const;
const ENTRY = { key: 1, value: 2 } as const;
const LEN = 2;
/** TensorProto.DataLocation.EXTERNAL */
const EXTERNAL = 1;

/** One external-data file and the tensors kept in it. */
export interface OnnxExternalFile {
  /** As the file names it: relative to the .onnx file's folder. */
  readonly location: string;
  readonly tensors: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** The external-data files ONNX bytes reference, in first-use order; `where` names the file in errors. */
export function onnxExternalDataRefs(bytes: Uint8Array, where: string): OnnxExternalFile[] {
  const byLocation = new Map<string, OnnxExternalFile>();
  const tensor = (buf: Uint8Array): void => {
    let name = '';
    let location: string | undefined;
    let external = false;
    for (const f of protoFields(buf, `${where} tensor`)) {
      if (f.no === TENSOR.name && f.wire === LEN) name = utf8.decode(f.bytes);
      else if (f.no === TENSOR.dataLocation && f.wire === 0) external = f.value === EXTERNAL;
      else if (f.no === TENSOR.externalData && f.wire === LEN) {
        let key = '';
        let value = '';
        for (const e of protoFields(f.bytes, `${where} tensor ${name} external_data`)) {
          if (e.wire !== LEN) continue;
          if (e.no === ENTRY.key) key = utf8.decode(e.bytes);
          else if (e.no === ENTRY.value) value = utf8.decode(e.bytes);
        }
        if (key === 'location') location = value;
      }
    }
    if (!external) return;
    if (location === undefined || location === '')
      throw new AxonError('ONNX_EXTERNAL_DATA', where, `tensor "${name}" is stored in external data that names no file (no external_data location)`, 'an external_data entry "location" naming the file beside the .onnx');
    const file = byLocation.get(location) ?? { location, tensors: [] };
    file.tensors.push(name);
    byLocation.set(location, file);
  };
  const sparse = (buf: Uint8Array): void => {
    for (const f of protoFields(buf, `${where} sparse tensor`)) if ((f.no === SPARSE.values || f.no === SPARSE.indices) && f.wire === LEN) tensor(f.bytes);
  };
  const graph = (buf: Uint8Array): void => {
    for (const f of protoFields(buf, `${where} graph`)) {
      if (f.wire !== LEN) continue;
      if (f.no === GRAPH.initializer) tensor(f.bytes);
      else if (f.no === GRAPH.sparseInitializer) sparse(f.bytes);
      else if (f.no === GRAPH.node)
        for (const a of protoFields(f.bytes, `${where} node`)) {
          if (a.no !== NODE_ATTRIBUTE || a.wire !== LEN) continue;
          for (const v of protoFields(a.bytes, `${where} attribute`)) {
            if (v.wire !== LEN) continue;
            if (v.no === ATTRIBUTE.t || v.no === ATTRIBUTE.tensors) tensor(v.bytes);
            else if (v.no === ATTRIBUTE.g || v.no === ATTRIBUTE.graphs) graph(v.bytes);
            else if (v.no === ATTRIBUTE.sparseTensor || v.no === ATTRIBUTE.sparseTensors) sparse(v.bytes);
          }
        }
    }
  };
  for (const f of protoFields(bytes, where)) if (f.no === MODEL_GRAPH && f.wire === LEN) graph(f.bytes);
  return [...byLocation.values()];
}

/**
 * The external-data files `onnx` needs, checked: each location stays inside the .onnx file's
 * folder (no absolute path, no `..`: onnxruntime refuses those too) and is a file there.
 * ONNX_EXTERNAL_DATA names the file and the .onnx that needs it.
 */
export function onnxExternalDataFiles(onnx: string): OnnxExternalFile[] {
  const refs = onnxExternalDataRefs(readFileSync(onnx), onnx);
  const dir = dirname(onnx);
  for (const r of refs) {
    const tensors = `${r.tensors.length > 1 ? 's' : ''} ${r.tensors.slice(0, 3).map((t) => `"${t}"`).join(', ')}${r.tensors.length > 3 ? ` and ${r.tensors.length - 3} more` : ''}`;
    const norm = normalize(r.location);
    if (isAbsolute(r.location) || /^[A-Za-z]:[\\/]/.test(r.location) || norm === '..' || norm.startsWith(`..${sep}`) || r.location.split(/[\\/]/).includes('..'))
      throw new AxonError('ONNX_EXTERNAL_DATA', onnx, `keeps tensor${tensors} in external data at "${r.location}", outside the .onnx file's folder`, "an external-data file named relative to the .onnx file's folder, inside it (torch.onnx.export writes policy.onnx.data beside policy.onnx)");
    const path = join(dir, r.location);
    if (!existsSync(path) || !statSync(path).isFile())
      throw new AxonError(
        'ONNX_EXTERNAL_DATA',
        path,
        `is missing: ${basename(onnx)} keeps tensor${tensors} in it (ONNX external data)`,
        `${r.location} beside ${onnx}, as the exporter wrote it (copy it together with the .onnx file)`,
      );
  }
  return refs;
}

/** Copies `onnx` and its external-data files (onnxExternalDataFiles) into `dir`, each at its location relative to the copy; a file already in place is left. */
export function copyOnnxWithExternalData(onnx: string, dir: string, files: readonly OnnxExternalFile[]): string {
  const target = join(dir, basename(onnx));
  if (resolve(target) !== resolve(onnx)) copyFileSync(onnx, target);
  for (const f of files) {
    const from = join(dirname(onnx), f.location);
    const to = join(dir, f.location);
    if (resolve(from) === resolve(to)) continue;
    makeDirs(dirname(to));
    copyFileSync(from, to);
  }
  return target;
}
