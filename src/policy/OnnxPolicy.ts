import * as ort from 'onnxruntime-node';
import { checkActionCount, checkTensorIo, observationFeedShape, refuseUndeclaredChunk } from '../model/onnxIo.ts';
import { AxonError } from '../core/errors.ts';
import { ManifestError, actionSize, observationSize, outputSize, type ModelFolder, type ModelManifest } from '../model/manifest.ts';
import type { Policy } from './Policy.ts';
import type { SyncSession } from './ortSync.ts';
import { openOnnxSession, closeOnnxSession, FIRST_CALL_S, type GuardedOptions, type OpenedSession, type SessionKind } from './guardedSession.ts';
import { InferenceTimeout } from './InferenceTimeout.ts';

/**
 * How act() calls onnxruntime: 'sync' calls the native session on the caller's thread and returns
 * the action at once (no event-loop hop, see ortSync.ts); 'guarded' calls it on a worker thread the
 * caller waits for synchronously with a deadline (guardedSession.ts: a call that never returns
 * throws InferenceTimeout instead of freezing the loop); 'async' awaits the public run(), which
 * defers the same native call through setImmediate.
 */
export type OnnxRunMode = SessionKind;

export interface OnnxPolicyOptions {
  /** onnxruntime intra-op threads (1: the inference runs on the calling thread alone). */
  readonly threads?: number;
  /** Default 'sync'; falls back to 'async' with a `note` when the installed onnxruntime-node is not one checked for it. */
  readonly mode?: OnnxRunMode;
  /** 'guarded': the deadline of each call and the test hook (GuardedOptions). */
  readonly guard?: GuardedOptions;
}


/**
 * onnxruntime's refusal of a model file as ONNX_LOAD, on one line: its text without the C++ source
 * location and signature it adds to some (an empty file: "/onnxruntime_src/...model.cc:187
 * onnxruntime::Model::Model(...) ModelProto does not have a graph.") and without line breaks.
 */
export function onnxLoadError(onnxPath: string, e: unknown): ManifestError {
  return new ManifestError('ONNX_LOAD', onnxPath, `onnxruntime could not load it: ${ortText(e)}`, 'a valid ONNX model');
}

/**
 * A model onnxruntime loads but cannot run (a Gather index past its data, a shape its kernels
 * refuse): its first inference on zeros, before the first tick, fails. ONNX_LOAD naming the file,
 * exit 2, as a file that does not load (not a bare runtime error on the first tick, exit 1).
 */
export function onnxFirstRunError(onnxPath: string, e: unknown): ManifestError {
  return new ManifestError('ONNX_LOAD', onnxPath, `its first inference on zeros failed: ${ortText(e)}`, 'a model onnxruntime runs');
}

/** onnxruntime's error text on one line, without the C++ source location and signature it adds to some. */
function ortText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e))
    .replace(/\/onnxruntime_src\/\S+:\d+ [^\n]*?\) (?=\S)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * onnxruntime's own log (ANSI-coloured lines on stderr: an opset warning, a kernel error before
 * the same error is thrown) is kept to fatal: what it reports reaches the caller as the thrown
 * error's text, on one line (AxonError), not twice.
 */
export const ORT_LOG_SEVERITY = 4 as const;
/**
 * A policy run inline by onnxruntime-node (CPU). The session is checked against the manifest when
 * it is created: input and output names exist and their last dimension equals the manifest's
 * observation and action sizes. One input tensor wraps one Float32Array for the whole run.
 * Recurrent states named in the manifest are fed back from each call's outputs (zeros after
 * reset()). For a chunked policy the output is the whole chunk (see ActionChunker).
 *
 * In 'sync' mode act() returns a Float32Array synchronously and the action is written into a
 * buffer allocated here (valid until the next act()); in 'async' mode it returns a promise.
 */
export class OnnxPolicy implements Policy {
  readonly inputSize: number;
  readonly outputSize: number;
  /** How act() runs the model; `note` says why it is 'async' when 'sync' was asked for. */
  readonly mode: OnnxRunMode;
  readonly note?: string;
  private readonly input: Float32Array;
  private readonly feeds: Record<string, ort.Tensor>;
  private readonly fetchNames: string[];
  /** Sync mode: output name -> preallocated tensor written in place, or null (onnxruntime allocates). */
  private readonly fetches: Record<string, ort.Tensor | null> = {};
  /** Calls whose recurrent state output was not finite (the previous state was kept). */
  badStates = 0;
  /** prewarm() calls run. */
  prewarms = 0;
  /** prewarm()'s own outputs (sync mode), made on its first call. */
  private scratch: Record<string, ort.Tensor | null> | undefined;
  /** Recurrent state buffers, fed as inputs and refreshed from the outputs. */
  private readonly states: { input: string; output: string; data: Float32Array }[];

  private constructor(
    readonly manifest: ModelManifest,
    private readonly session: OpenedSession,
    note: string | undefined,
  ) {
    this.mode = 'async' in session ? 'async' : session.guarded ? 'guarded' : 'sync';
    if (note) this.note = note;
    this.inputSize = observationSize(manifest);
    this.outputSize = outputSize(manifest);
    this.input = new Float32Array(this.inputSize);
    // In the rank the graph declares ([N], [1, N], [1, 1, N]): checkIo refused any other.
    const io = 'sync' in session ? session.sync : session.async;
    this.feeds = { [manifest.onnx.input]: new ort.Tensor('float32', this.input, observationFeedShape(io, manifest.onnx.input, this.inputSize, manifest.onnx.file)) };
    this.fetchNames = [manifest.onnx.output];
    this.states = (manifest.recurrent ?? []).map((r) => {
      const data = new Float32Array(r.shape.reduce((a, b) => a * b, 1));
      this.feeds[r.input] = new ort.Tensor('float32', data, r.shape);
      this.fetchNames.push(r.output);
      return { input: r.input, output: r.output, data };
    });
    if ('sync' in session) for (const name of this.fetchNames) this.fetches[name] = preallocated(session.sync, name);
  }

  /** Loads and checks a model folder. `o` may be a thread count (the former signature). */
  static async load(folder: ModelFolder, o: OnnxPolicyOptions | number = {}): Promise<OnnxPolicy> {
    const { threads = 1, mode = 'sync', guard } = typeof o === 'number' ? { threads: o } : o;
    const { manifest, onnxPath } = folder;
    const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: ORT_LOG_SEVERITY };
    let opened: Awaited<ReturnType<typeof openOnnxSession>>;
    try {
      opened = await openOnnxSession(onnxPath, options, mode, guard);
    } catch (e) {
      throw onnxLoadError(onnxPath, e);
    }
    const session = opened.session;
    try {
      checkIo('sync' in session ? session.sync : session.async, manifest, onnxPath);
    } catch (e) {
      await closeOnnxSession(session);
      throw e;
    }
    const p = new OnnxPolicy(manifest, session, opened.note);
    // The first call (zeros) runs before any tick, in every mode: a model that cannot run, or whose
    // action output is not the size the manifest implies, is refused here (exit 2), before a robot
    // is armed, not on the first tick.
    try {
      return 'sync' in session ? p.warmUp(onnxPath) : await p.warmUpAsync(onnxPath);
    } catch (e) {
      await closeOnnxSession(session);
      if (e instanceof InferenceTimeout) throw new ManifestError('ONNX_LOAD', onnxPath, `its first inference gave no answer within ${FIRST_CALL_S} s`, 'a model onnxruntime runs');
      if (e instanceof AxonError) throw e;
      throw onnxFirstRunError(onnxPath, e);
    }
  }

  reset(): void {
    for (const s of this.states) s.data.fill(0);
  }

  /**
   * One native call on the last input and state into outputs of its own (Policy.prewarm): what
   * act() returns and the recurrent state are untouched. Inline synchronous sessions only; an error is
   * left for the tick's own call to report.
   */
  prewarm(): void {
    // Not a guarded session's: a call that hung there would hold the loop's thread before the tick.
    if (!('sync' in this.session) || this.session.guarded) return;
    if (this.scratch === undefined) {
      const sync = this.session.sync;
      this.scratch = {};
      for (const name of this.fetchNames) this.scratch[name] = this.fetches[name] ? preallocated(sync, name) : null;
    }
    try {
      this.session.sync.run(this.feeds, this.scratch);
      this.prewarms++;
    } catch {
      // the tick's act() reports it
    }
  }

  act(input: Float32Array): Float32Array | Promise<Float32Array> {
    this.input.set(input);
    if ('sync' in this.session) return this.take(this.session.sync.run(this.feeds, this.fetches));
    return this.session.async.run(this.feeds, this.fetchNames).then((r) => this.take(r));
  }

  async close(): Promise<void> {
    await closeOnnxSession(this.session);
  }

  /** An output's values: the preallocated tensor onnxruntime wrote into (sync), else the result's own. */
  private take(result: Record<string, ort.Tensor>): Float32Array {
    const f = this.fetches;
    // Only a finite state is fed back (Policy.ts): a NaN/Inf/|x| > 1e10 output keeps the previous
    // state, so one bad call cannot latch; the bad action itself is caught by the supervisor.
    for (const s of this.states) {
      const next = (f[s.output] ?? result[s.output]).data as Float32Array;
      let finite = true;
      for (let i = 0; i < next.length; i++) if (!(Math.abs(next[i]) <= 1e10)) finite = false;
      if (finite) s.data.set(next);
      else this.badStates++;
    }
    const out = this.manifest.onnx.output;
    return (f[out] ?? result[out]).data as Float32Array;
  }

  /**
   * One call on zeros before the first tick (onnxruntime's first run is slow); a preallocated
   * output the model does not fill in the shape expected is dropped for onnxruntime's own. The
   * action output's size is checked against the manifest (checkActionCount).
   */
  private warmUp(file: string): this {
    if (!('sync' in this.session)) throw new Error('warmUp: not a synchronous session');
    const s = this.session;
    this.input.fill(0);
    // A guarded session's first call gets FIRST_CALL_S, not a tick's budget.
    const first = () => {
      const r = s.guarded ? s.guarded.run(this.feeds, this.fetches, FIRST_CALL_S) : s.sync.run(this.feeds, this.fetches);
      return this.fetches[this.manifest.onnx.output] ?? r[this.manifest.onnx.output];
    };
    let out: ort.Tensor;
    try {
      out = first();
    } catch (e) {
      if (e instanceof InferenceTimeout) throw e;
      for (const k in this.fetches) this.fetches[k] = null;
      out = first();
    }
    this.checkFirst(out, file);
    this.reset();
    return this;
  }

  /** warmUp for a session run through onnxruntime's public (asynchronous) run(). */
  private async warmUpAsync(file: string): Promise<this> {
    if (!('async' in this.session)) throw new Error('warmUpAsync: not an asynchronous session');
    this.input.fill(0);
    const r = await this.session.async.run(this.feeds, this.fetchNames);
    this.checkFirst(r[this.manifest.onnx.output], file);
    this.reset();
    return this;
  }

  /** The first call's action output holds n · chunk values (a symbolic dimension hid it from checkIo). */
  private checkFirst(out: ort.Tensor | undefined, file: string): void {
    const m = this.manifest, io = 'sync' in this.session ? this.session.sync : this.session.async;
    const inp = io.inputMetadata.find((x) => x.name === m.onnx.input);
    const inRank = inp?.isTensor === true && inp.shape.length > 0 ? inp.shape.length : 2;
    const count = out?.data.length ?? 0;
    checkActionCount(count, out ? [...out.dims] : [], actionSize(m), m.action.chunk?.length ?? 1, inRank, file, m.onnx.output);
  }
}

/** A tensor for a fixed-shape output (batch dimension 1), or null when a dimension is not known before the run. */
function preallocated(session: SyncSession, name: string): ort.Tensor | null {
  const md = session.outputMetadata.find((x) => x.name === name);
  if (!md?.isTensor || md.type !== 'float32') return null;
  const dims = md.shape.map((d, i) => (i === 0 && typeof d !== 'number' ? 1 : d));
  if (!dims.every((d): d is number => typeof d === 'number' && d > 0)) return null;
  return new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
}

/** Refuses a model whose graph does not have the inputs and outputs its manifest declares. */
function checkIo(session: SyncSession | ort.InferenceSession, m: ModelManifest, file: string): void {
  const check = (kind: 'input' | 'output', name: string, want: number) => checkTensorIo(session, kind, kind, name, want, file);
  check('input', m.onnx.input, observationSize(m));
  observationFeedShape(session, m.onnx.input, observationSize(m), file);
  const chunk = m.action.chunk?.length ?? 1;
  const out = session.outputMetadata.find((x) => x.name === m.onnx.output);
  // A chunk may come as [1, L, n] / [L, n] (last dimension n: the output has one axis more than
  // the observation input, [1, N] / [N]) or flat [1, L·n] / [L·n].
  const inp = session.inputMetadata.find((x) => x.name === m.onnx.input);
  const inRank = inp?.isTensor === true && inp.shape.length > 0 ? inp.shape.length : 2;
  const chunkedAs3d = chunk > 1 && out?.isTensor === true && out.shape.length === inRank + 1;
  if (chunk > 1 && out?.isTensor === true) {
    const n = actionSize(m), lead = inRank - 1;
    const dims = (d: readonly (string | number)[]) => `[${d.join(', ')}]`;
    const fits = (d: string | number | undefined, v: number) => typeof d !== 'number' || d === v;
    const last = out.shape[out.shape.length - 1], beforeLast = out.shape[out.shape.length - 2];
    const want = chunkedAs3d ? fits(last, n) && fits(beforeLast, chunk) : fits(last, n * chunk);
    if (!want)
      throw new ManifestError(
        'MODEL_SHAPE',
        `${file} output "${m.onnx.output}"`,
        `has shape ${dims(out.shape)}, but action.chunk length ${chunk} of ${n} action values per step with input ${dims(inp?.isTensor === true ? inp.shape : ['batch', observationSize(m)])} implies`,
        `${dims([...Array(lead).fill(1), chunk, n])} (one axis more than the input) or flat ${dims([...Array(lead).fill(1), chunk * n])}`,
      );
  }
  check('output', m.onnx.output, chunkedAs3d ? actionSize(m) : actionSize(m) * chunk);
  // No action.chunk: an output of more values than one action ([1, 10, 1]: a chunk export) is refused here, not on the first tick.
  if (chunk === 1 && out?.isTensor === true) refuseUndeclaredChunk(out.shape, inRank, actionSize(m), file, m.onnx.output);
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
