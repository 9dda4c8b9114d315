import * as ort from 'onnxruntime-node';
import { ManifestError, actionSize, observationSize, type ModelFolder, type ModelManifest } from '../model/manifest.ts';
import type { Policy } from './Policy.ts';

/**
 * A policy run inline by onnxruntime-node (CPU). The session is checked against the manifest when
 * it is created: input and output names exist and their last dimension equals the manifest's
 * observation and action sizes. One input tensor wraps one Float32Array for the whole run.
 */
export class OnnxPolicy implements Policy {
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly input: Float32Array;
  private readonly feeds: Record<string, ort.Tensor>;
  private readonly fetches: string[];

  private constructor(
    readonly manifest: ModelManifest,
    private readonly session: ort.InferenceSession,
  ) {
    this.inputSize = observationSize(manifest);
    this.outputSize = actionSize(manifest);
    this.input = new Float32Array(this.inputSize);
    this.feeds = { [manifest.onnx.input]: new ort.Tensor('float32', this.input, [1, this.inputSize]) };
    this.fetches = [manifest.onnx.output];
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

  reset(): void {}

  async act(input: Float32Array): Promise<Float32Array> {
    this.input.set(input);
    const result = await this.session.run(this.feeds, this.fetches);
    return result[this.manifest.onnx.output].data as Float32Array;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** Refuses a model whose graph does not have the inputs and outputs its manifest declares. */
function checkIo(session: ort.InferenceSession, m: ModelManifest, file: string): void {
  const check = (kind: 'input' | 'output', name: string, names: readonly string[], meta: readonly ort.InferenceSession.ValueMetadata[], want: number) => {
    if (!names.includes(name))
      throw new ManifestError('MODEL_SHAPE', `manifest.json#/onnx/${kind}`, `"${name}" is not an ${kind} of ${file}`, `one of ${names.join(', ')}`);
    const md = meta.find((x) => x.name === name);
    if (md && md.isTensor) {
      const last = md.shape[md.shape.length - 1];
      if (typeof last === 'number' && last !== want)
        throw new ManifestError('MODEL_SHAPE', `${file} ${kind} "${name}"`, `has last dimension ${last} but the manifest implies ${want}`, `${want}`);
      if (md.type !== 'float32') throw new ManifestError('MODEL_SHAPE', `${file} ${kind} "${name}"`, `has type ${md.type}`, 'float32');
    }
  };
  check('input', m.onnx.input, session.inputNames, session.inputMetadata, observationSize(m));
  check('output', m.onnx.output, session.outputNames, session.outputMetadata, actionSize(m));
}
