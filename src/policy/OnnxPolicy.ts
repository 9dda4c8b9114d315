import * as ort from 'onnxruntime-node';
import { checkTensorIo } from '../model/onnxIo.ts';
import { ManifestError, actionSize, observationSize, outputSize, type ModelFolder, type ModelManifest } from '../model/manifest.ts';
import type { Policy } from './Policy.ts';

/**
 * A policy run inline by onnxruntime-node (CPU). The session is checked against the manifest when
 * it is created: input and output names exist and their last dimension equals the manifest's
 * observation and action sizes. One input tensor wraps one Float32Array for the whole run.
 * Recurrent states named in the manifest are fed back from each call's outputs (zeros after
 * reset()). For a chunked policy the output is the whole chunk (see ActionChunker).
 */
export class OnnxPolicy implements Policy {
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly input: Float32Array;
  private readonly feeds: Record<string, ort.Tensor>;
  private readonly fetches: string[];
  /** Recurrent state buffers, fed as inputs and refreshed from the outputs. */
  private readonly states: { input: string; output: string; data: Float32Array }[];

  private constructor(
    readonly manifest: ModelManifest,
    private readonly session: ort.InferenceSession,
  ) {
    this.inputSize = observationSize(manifest);
    this.outputSize = outputSize(manifest);
    this.input = new Float32Array(this.inputSize);
    this.feeds = { [manifest.onnx.input]: new ort.Tensor('float32', this.input, [1, this.inputSize]) };
    this.fetches = [manifest.onnx.output];
    this.states = (manifest.recurrent ?? []).map((r) => {
      const data = new Float32Array(r.shape.reduce((a, b) => a * b, 1));
      this.feeds[r.input] = new ort.Tensor('float32', data, r.shape);
      this.fetches.push(r.output);
      return { input: r.input, output: r.output, data };
    });
  }

  static async load(folder: ModelFolder, threads = 1): Promise<OnnxPolicy> {
    const { manifest, onnxPath } = folder;
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(onnxPath, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    } catch (e) {
      throw new ManifestError('ONNX_LOAD', onnxPath, `onnxruntime could not load it: ${(e as Error).message}`, 'a valid ONNX model');
    }
    checkIo(session, manifest, onnxPath);
    return new OnnxPolicy(manifest, session);
  }

  reset(): void {
    for (const s of this.states) s.data.fill(0);
  }

  async act(input: Float32Array): Promise<Float32Array> {
    this.input.set(input);
    const result = await this.session.run(this.feeds, this.fetches);
    for (const s of this.states) s.data.set(result[s.output].data as Float32Array);
    return result[this.manifest.onnx.output].data as Float32Array;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** Refuses a model whose graph does not have the inputs and outputs its manifest declares. */
function checkIo(session: ort.InferenceSession, m: ModelManifest, file: string): void {
  const check = (kind: 'input' | 'output', name: string, want: number) => checkTensorIo(session, kind, kind, name, want, file);
  check('input', m.onnx.input, observationSize(m));
  const chunk = m.action.chunk?.length ?? 1;
  const out = session.outputMetadata.find((x) => x.name === m.onnx.output);
  // A chunk may come as [1, L, n] (last dimension n) or flat [1, L·n].
  const chunkedAs3d = chunk > 1 && out?.isTensor === true && out.shape.length >= 3;
  check('output', m.onnx.output, chunkedAs3d ? actionSize(m) : actionSize(m) * chunk);
  for (const [i, r] of (m.recurrent ?? []).entries()) {
    const where = `manifest.json#/recurrent/${i}`;
    if (!session.inputNames.includes(r.input)) throw new ManifestError('MODEL_SHAPE', `${where}/input`, `"${r.input}" is not an input of ${file}`, `one of ${session.inputNames.join(', ')}`);
    if (!session.outputNames.includes(r.output)) throw new ManifestError('MODEL_SHAPE', `${where}/output`, `"${r.output}" is not an output of ${file}`, `one of ${session.outputNames.join(', ')}`);
    check('input', r.input, r.shape[r.shape.length - 1]);
  }
  const fed = new Set([m.onnx.input, ...(m.recurrent ?? []).map((r) => r.input)]);
  const unfed = session.inputNames.filter((n) => !fed.has(n));
  if (unfed.length > 0) throw new ManifestError('MODEL_SHAPE', file, `has inputs the manifest does not feed: ${unfed.join(', ')}`, 'onnx.input or a recurrent input for each');
}
