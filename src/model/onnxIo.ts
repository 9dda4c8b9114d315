import type * as ort from 'onnxruntime-node';
import { UsageError } from '../core/errors.ts';
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

type IoSession = Pick<ort.InferenceSession, 'inputMetadata'>;

/**
 * The shape a policy's observation input is fed in: the rank the graph declares, every dimension
 * before the last 1 (a symbolic one fed as 1): `[N]` for an export without a batch dimension
 * (`torch.onnx.export(policy, torch.zeros(N))`), `[1, N]`, `[1, 1, N]` for one with a history or
 * sequence axis of 1. Any other leading dimension is a MODEL_SHAPE error naming the input, its
 * shape and what axon feeds; the last dimension and type are checkTensorIo's.
 */
export function observationFeedShape(session: IoSession, name: string, n: number, file: string): number[] {
  const md = session.inputMetadata.find((x) => x.name === name);
  if (!md || !md.isTensor || md.shape.length === 0) return [1, n];
  const lead = md.shape.slice(0, -1);
  if (lead.some((d) => typeof d === 'number' && d !== 1))
    throw new ManifestError(
      'MODEL_SHAPE',
      `${file} input "${name}"`,
      `has shape [${md.shape.join(', ')}]: axon feeds one observation of ${n} values per call`,
      `[${n}], [1, ${n}] or [1, 1, ${n}] (every dimension before the last 1 or symbolic)`,
    );
  return [...lead.map(() => 1), n];
}

/**
 * The recurrent states of an exported policy: rsl_rl's exporter writes an LSTM policy with inputs
 * [obs, h_in, c_in] and outputs [actions, h_out, c_out] (a GRU without c): each input after the
 * first is fed from the output in the same place after the first, of the same fixed shape; outputs
 * beyond those (a value head) are not read. An ONNX file that is neither is a UsageError naming
 * `flag` (the flag or argument that gave the file).
 */
export function recurrentStates(
  session: Pick<ort.InferenceSession, 'inputNames' | 'outputNames' | 'inputMetadata' | 'outputMetadata'>,
  file: string,
  flag: string,
): { input: string; output: string; shape: number[] }[] {
  const ins = session.inputNames, outs = session.outputNames;
  const expected = 'one observation input and an action output, then any recurrent states as rsl_rl exports them (inputs obs, h_in, c_in; outputs actions, h_out, c_out)';
  // One input: a feed-forward policy, whatever else it outputs (a value head).
  if (ins.length === 1 && outs.length >= 1) return [];
  if (ins.length < 1 || outs.length < ins.length)
    throw new UsageError(flag, `${file} has inputs ${ins.join(', ')} and outputs ${outs.join(', ')}`, expected);
  return ins.slice(1).map((input, k) => {
    const output = outs[k + 1];
    const si = session.inputMetadata.find((m) => m.name === input);
    const so = session.outputMetadata.find((m) => m.name === output);
    const shape = si?.isTensor ? si.shape : undefined;
    const outShape = so?.isTensor ? so.shape : undefined;
    if (!shape || !shape.every((d): d is number => typeof d === 'number' && d >= 1) || JSON.stringify(shape) !== JSON.stringify(outShape))
      throw new UsageError(flag, `${file}'s state input ${input} [${shape?.join(', ') ?? '?'}] and output ${output} [${outShape?.join(', ') ?? '?'}] are not one fixed shape`, expected);
    return { input, output, shape: shape as number[] };
  });
}
