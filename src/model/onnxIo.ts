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

/** `[1, 10, 1]`, with symbolic dimensions by name. */
const dimsText = (d: readonly (string | number)[]) => `[${d.join(', ')}]`;

/**
 * The chunk length an output of `shape` likely carries when it holds `count` values of an action of
 * `n`: the axis before the last in `[1, L, n]` / `[L, n]` (one axis more than the observation input,
 * of rank `inRank`), else count / n when whole; undefined when neither says.
 */
function chunkGuess(shape: readonly (string | number)[], inRank: number, n: number, count: number | undefined): number | undefined {
  const beforeLast = shape[shape.length - 2];
  if (shape.length === inRank + 1 && typeof beforeLast === 'number' && beforeLast > 1 && shape[shape.length - 1] === n) return beforeLast;
  return count !== undefined && count > n && count % n === 0 ? count / n : undefined;
}

/** The refusal of an action output that holds more than one action while the manifest declares no chunk. */
function undeclaredChunkError(file: string, name: string, shape: readonly (string | number)[], count: number, n: number, L: number | undefined): ManifestError {
  const chunk = `manifest.json#/action/chunk {"length": ${L ?? 'L'}} for an action chunk of ${L ?? 'L'} steps (ACT, a diffusion policy)`;
  return new ManifestError(
    'MODEL_SHAPE',
    `${file} output "${name}"`,
    `has shape ${dimsText(shape)}: ${count} values per call, but the manifest declares no action.chunk and ${n} action value${n === 1 ? '' : 's'}`,
    `one action of ${n} value${n === 1 ? '' : 's'} per call, or ${chunk}`,
  );
}

/**
 * With no `action.chunk` in the manifest, refuses an action output that holds more than one action
 * of `n` values by its declared shape: the numeric dimensions multiply to more than n (`[1, 10, 1]`
 * for n = 1, an action-chunk export whose manifest lacks `chunk`), which would otherwise overrun the
 * action buffer on the first tick or run on the first n values alone. MODEL_SHAPE names the output,
 * its shape and the manifest field to set (docs/byom.md). A symbolic dimension is checked on the
 * first call (checkActionCount). `inRank` is the observation input's rank.
 */
export function refuseUndeclaredChunk(shape: readonly (string | number)[], inRank: number, n: number, file: string, name: string): void {
  const count = shape.reduce<number>((k, d) => (typeof d === 'number' && d > 0 ? k * d : k), 1);
  if (count > n) throw undeclaredChunkError(file, name, shape, count, n, chunkGuess(shape, inRank, n, count));
}

/**
 * The first call's action output against the manifest: `count` values where the manifest implies
 * n · chunk (`chunk` 1 without action.chunk). Catches what a symbolic dimension hid from the
 * declared-shape checks (`[1, 'T', 1]`). MODEL_SHAPE naming the output and the shape it came in.
 */
export function checkActionCount(count: number, dims: readonly number[], n: number, chunk: number, inRank: number, file: string, name: string): void {
  if (count === n * chunk) return;
  if (chunk === 1 && count > n) throw undeclaredChunkError(file, name, dims, count, n, chunkGuess(dims, inRank, n, count));
  throw new ManifestError(
    'MODEL_SHAPE',
    `${file} output "${name}"`,
    `gave ${count} values (shape ${dimsText(dims)}) on its first call`,
    chunk === 1 ? `${n}, one action` : `${n * chunk}: action.chunk length ${chunk} of ${n} action values`,
  );
}
