import * as ort from 'onnxruntime-node';
import { openOnnxSession, closeOnnxSession, firstCall, FIRST_CALL_S, type GuardedOptions, type OpenedSession, type SessionKind } from '../policy/guardedSession.ts';
import { InferenceTimeout } from '../policy/InferenceTimeout.ts';
import { onnxLoadError, ORT_LOG_SEVERITY } from '../policy/OnnxPolicy.ts';
import { checkTensorIo } from '../model/onnxIo.ts';
import { ManifestError, actionSize, observationSize, type ModelFolder, type ModelManifest } from '../model/manifest.ts';
import { worldModelStateNames } from '../model/worldModelManifest.ts';
import type { Prediction, WorldModel } from './types.ts';

export interface OnnxWorldModelOptions {
  /** Largest batch predict() is sized for at load time (a larger one grows the buffers once). Default 1024. */
  readonly maxBatch?: number;
  /** onnxruntime intra-op threads; default 1 (one core: the loop's). */
  readonly threads?: number;
  /**
   * 'async': onnxruntime's public run() (A/B runs, or where the native session is not checked);
   * 'guarded': the native call on a worker thread waited for with `guard`'s deadline
   * (src/policy/guardedSession.ts); default the synchronous native call when available.
   */
  readonly onnxRun?: SessionKind;
  readonly guard?: GuardedOptions;
}

interface BatchIo {
  readonly feeds: Record<string, ort.Tensor>;
  readonly fetches: Record<string, ort.Tensor>;
}

const TWO_PI = 2 * Math.PI;
const THREE_PI = 3 * Math.PI;

/** x wrapped to (−π, π] (rad). */
export function wrapAngle(x: number): number {
  let y = x - TWO_PI * Math.floor((x + Math.PI) / TWO_PI); // [−π, π)
  if (y <= -Math.PI) y += TWO_PI;
  return y;
}

/**
 * A world model folder run by onnxruntime-node: one session.run per predict() for the whole batch.
 *
 * The runtime applies the manifest's normalisation: the graph gets z = (s − state.mean) / state.std
 * and the raw action, and its output y becomes next = s + output.mean + output.std · y (residual) or
 * output.mean + output.std · y (absolute); angle elements are wrapped to (−π, π].
 *
 * Buffers (inputs, ONNX output, next states) are sized for `maxBatch` at load time and their
 * ort.Tensor wrappers are cached per batch size, so predict() allocates nothing once a batch size
 * has been seen. The returned Prediction's arrays are reused by the next call.
 */
export class OnnxWorldModel implements WorldModel {
  readonly stateSize: number;
  readonly actionSize: number;
  readonly dt: number;
  /** State element names, `<term>.<joint>`. */
  readonly stateNames: readonly string[];
  /** 1 where a state element is an angle (wrapped). */
  readonly isAngle: Uint8Array;
  /** One-step error std per element (the unit of surprise); ones when the manifest has none. */
  readonly errorStd: Float32Array;
  private readonly mean: Float32Array;
  private readonly invStd: Float32Array;
  private readonly outMean: Float32Array;
  private readonly outStd: Float32Array;
  private readonly residual: boolean;
  private readonly names: { state: string; action: string; out: string; reward?: string; done?: string };
  private cap = 0;
  private z = new Float32Array(0);
  private a = new Float32Array(0);
  private y = new Float32Array(0);
  private next = new Float32Array(0);
  private rew = new Float32Array(0);
  private don = new Float32Array(0);
  private readonly io = new Map<number, BatchIo>();
  private readonly pred: { nextStates: Float32Array; reward?: Float32Array; done?: Float32Array } = { nextStates: new Float32Array(0) };

  private constructor(
    readonly manifest: ModelManifest,
    private readonly session: OpenedSession,
    maxBatch: number,
  ) {
    const wm = manifest.world_model!;
    this.stateSize = observationSize(manifest);
    this.actionSize = actionSize(manifest);
    this.dt = wm.dt;
    this.stateNames = worldModelStateNames(manifest);
    this.isAngle = Uint8Array.from(this.stateNames, (n) => ((wm.state.angles ?? []).includes(n) ? 1 : 0));
    this.errorStd = Float32Array.from(wm.error_std ?? new Array<number>(this.stateSize).fill(1));
    this.mean = Float32Array.from(wm.state.mean);
    this.invStd = Float32Array.from(wm.state.std, (s) => 1 / s);
    this.outMean = Float32Array.from(wm.output.mean);
    this.outStd = Float32Array.from(wm.output.std);
    this.residual = (wm.prediction ?? 'residual') === 'residual';
    const o = manifest.onnx;
    this.names = { state: o.input, action: o.action_input!, out: o.output, reward: o.reward_output, done: o.done_output };
    this.reserve(maxBatch);
  }

  /**
   * Loads a world-model folder. Refuses (ManifestError) a manifest that is not kind "world-model"
   * and a graph whose inputs/outputs do not match the manifest's names and sizes.
   */
  static async load(folder: ModelFolder, opts: OnnxWorldModelOptions = {}): Promise<OnnxWorldModel> {
    const { manifest, onnxPath } = folder;
    if (manifest.kind !== 'world-model' || manifest.world_model === undefined)
      throw new ManifestError('MANIFEST_FIELD', `${folder.dir}/manifest.json#/kind`, `is "${manifest.kind}"`, '"world-model" for --world-model');
    const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: opts.threads ?? 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: ORT_LOG_SEVERITY };
    // The native session called synchronously (src/policy/ortSync.ts): a planner makes many calls
    // per tick and each async run() pays an event-loop turn (setImmediate); else the public run().
    let session: OpenedSession;
    try {
      const kind = opts.onnxRun === 'guarded' ? 'guarded' : opts.onnxRun === 'async' || process.env.AXON_ONNX_RUN === 'async' ? 'async' : 'sync';
      session = (await openOnnxSession(onnxPath, options, kind, opts.guard)).session;
    } catch (e) {
      throw onnxLoadError(onnxPath, e);
    }
    try {
      checkIo('sync' in session ? session.sync : session.async, manifest, onnxPath);
    } catch (e) {
      await closeOnnxSession(session);
      throw e;
    }
    const model = new OnnxWorldModel(manifest, session, opts.maxBatch ?? 1024);
    try {
      const io = model.batchIo(1);
      firstCall(session, io.feeds, io.fetches);
    } catch (e) {
      await closeOnnxSession(session);
      if (e instanceof InferenceTimeout) throw new ManifestError('ONNX_LOAD', onnxPath, `its first inference gave no answer within ${FIRST_CALL_S} s`, 'a model onnxruntime runs');
      throw onnxLoadError(onnxPath, e);
    }
    return model;
  }

  /** Sizes the buffers for batches up to n (configure time; predict() calls it only when a batch outgrows them). */
  reserve(n: number): void {
    if (n <= this.cap) return;
    const S = this.stateSize, A = this.actionSize;
    this.cap = n;
    this.z = new Float32Array(n * S);
    this.a = new Float32Array(n * A);
    this.y = new Float32Array(n * S);
    this.next = new Float32Array(n * S);
    if (this.names.reward) this.rew = new Float32Array(n);
    if (this.names.done) this.don = new Float32Array(n);
    this.io.clear();
  }

  private batchIo(B: number): BatchIo {
    let io = this.io.get(B);
    if (io === undefined) {
      const S = this.stateSize, A = this.actionSize, n = this.names;
      const feeds: Record<string, ort.Tensor> = {
        [n.state]: new ort.Tensor('float32', this.z.subarray(0, B * S), [B, S]),
        [n.action]: new ort.Tensor('float32', this.a.subarray(0, B * A), [B, A]),
      };
      const fetches: Record<string, ort.Tensor> = { [n.out]: new ort.Tensor('float32', this.y.subarray(0, B * S), [B, S]) };
      if (n.reward) fetches[n.reward] = new ort.Tensor('float32', this.rew.subarray(0, B), [B, 1]);
      if (n.done) fetches[n.done] = new ort.Tensor('float32', this.don.subarray(0, B), [B, 1]);
      io = { feeds, fetches };
      this.io.set(B, io);
    }
    return io;
  }

  /**
   * Predicts `batch` next states from row-major states (batch × stateSize, physical units) and raw
   * actions (batch × actionSize). One onnxruntime call. The result's arrays are views into buffers
   * reused by the next call: copy what you keep.
   */
  async predict(states: Float32Array, actions: Float32Array, batch: number): Promise<Prediction> {
    this.reserve(batch);
    const S = this.stateSize, A = this.actionSize, n = batch * S;
    const z = this.z, mean = this.mean, inv = this.invStd;
    // One flat pass (element i of a row is index % S); S = 2 and 4 get unrolled rows.
    if (S === 2) {
      const m0 = mean[0], m1 = mean[1], i0 = inv[0], i1 = inv[1];
      for (let o = 0; o < n; o += 2) {
        z[o] = (states[o] - m0) * i0;
        z[o + 1] = (states[o + 1] - m1) * i1;
      }
    } else
      for (let o = 0; o < n; o += S) for (let i = 0; i < S; i++) z[o + i] = (states[o + i] - mean[i]) * inv[i];
    if (A === 1) {
      const a = this.a;
      for (let b = 0; b < batch; b++) a[b] = actions[b];
    } else this.a.set(actions.subarray(0, batch * A));
    const io = this.batchIo(batch);
    if ('sync' in this.session) {
      // Outputs land in the preallocated fetch tensors; copy in case the binding allocated its own.
      const r = this.session.sync.run(io.feeds, io.fetches);
      for (const [k, t] of Object.entries(io.fetches)) if (r[k] && r[k].data !== t.data) (t.data as Float32Array).set(r[k].data as Float32Array);
    } else await this.session.async.run(io.feeds, io.fetches);
    const y = this.y, next = this.next, om = this.outMean, os = this.outStd, ang = this.isAngle;
    const res = this.residual;
    for (let i = 0; i < S; i++) {
      const m = om[i], sd = os[i];
      if (ang[i])
        for (let o = i; o < n; o += S) {
          let v = res ? m + sd * y[o] + states[o] : m + sd * y[o];
          // A step leaves an angle within one turn of (−π, π]: one shift, the general wrap beyond.
          if (v > Math.PI) v = v <= THREE_PI ? v - TWO_PI : wrapAngle(v);
          else if (v <= -Math.PI) v = v > -THREE_PI ? v + TWO_PI : wrapAngle(v);
          next[o] = v;
        }
      else if (res) for (let o = i; o < n; o += S) next[o] = m + sd * y[o] + states[o];
      else for (let o = i; o < n; o += S) next[o] = m + sd * y[o];
    }
    const p = this.pred;
    p.nextStates = next.subarray(0, n);
    if (this.names.reward) p.reward = this.rew.subarray(0, batch);
    if (this.names.done) p.done = this.don.subarray(0, batch);
    return p;
  }

  /** A guarded call has run past its deadline and not answered yet (WorldModel.stuck). */
  get stuck(): boolean {
    return 'sync' in this.session && this.session.guarded !== undefined && this.session.guarded.stuck;
  }

  async close(): Promise<void> {
    await closeOnnxSession(this.session);
  }
}

/** Refuses a graph whose inputs/outputs do not have the names and last dimensions the manifest implies. */
function checkIo(session: Pick<ort.InferenceSession, 'inputNames' | 'outputNames' | 'inputMetadata' | 'outputMetadata'>, m: ModelManifest, file: string): void {
  const S = observationSize(m), A = actionSize(m);
  const check = (kind: 'input' | 'output', field: string, name: string, want: number) => checkTensorIo(session, kind, field, name, want, file);
  const o = m.onnx;
  check('input', 'input', o.input, S);
  check('input', 'action_input', o.action_input!, A);
  check('output', 'output', o.output, S);
  if (o.reward_output) check('output', 'reward_output', o.reward_output, 1);
  if (o.done_output) check('output', 'done_output', o.done_output, 1);
}
