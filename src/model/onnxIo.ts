import type * as ort from 'onnxruntime-node';
import { ManifestError } from './manifest.ts';

/**
 * Refuses an ONNX input or output the manifest names when the graph lacks it, or when its last
 * dimension or element type differs from what the manifest implies. `field` is the manifest key
 * (`input`, `output`, `action_input`, ...) used in the error's JSON pointer.
 */
export function checkTensorIo(
  session: Pick<ort.InferenceSession, 'inputNames' | 'outputNames' | 'inputMetadata' | 'outputMetadata'>,
  kind: 'input' | 'output',
  field: string,
  name: string,
  want: number,
  file: string,
): void {
  const names = kind === 'input' ? session.inputNames : session.outputNames;
  const meta = kind === 'input' ? session.inputMetadata : session.outputMetadata;
  if (!names.includes(name)) throw new ManifestError('MODEL_SHAPE', `manifest.json#/onnx/${field}`, `"${name}" is not an ${kind} of ${file}`, `one of ${names.join(', ')}`);
  const md = meta.find((x) => x.name === name);
  if (md && md.isTensor) {
    const last = md.shape[md.shape.length - 1];
    if (typeof last === 'number' && last !== want)
      throw new ManifestError('MODEL_SHAPE', `${file} ${kind} "${name}"`, `has last dimension ${last} but the manifest implies ${want}`, `${want}`);
    if (md.type !== 'float32') throw new ManifestError('MODEL_SHAPE', `${file} ${kind} "${name}"`, `has type ${md.type}`, 'float32');
  }
}
