import * as ort from 'onnxruntime-node';
import { AxonError } from '../core/errors.ts';
import { onnxLoadError, ORT_LOG_SEVERITY } from '../policy/OnnxPolicy.ts';
import { openOnnxSession, closeOnnxSession, type GuardedOptions, type OpenedSession } from '../policy/guardedSession.ts';
import { observationFeedShape } from '../model/onnxIo.ts';
import { actionSize, observationSize, termWidth, type ModelFolder, type ModelManifest } from '../model/manifest.ts';
import { expandScale } from '../model/jointMap.ts';

/**
 * What the shield assumes happens after the command it checks: an action for each row of a batch
 * of predicted states. `prev` is each row's previous action (batch × actionSize).
 */
export interface Continuation {
  act(states: Float32Array, prev: Float32Array, batch: number, out: Float32Array): void | Promise<void>;
}

/** The one call BatchPolicy makes of its session, whichever kind it is (guardedSession.ts). */
interface Session {
  run(feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor>): unknown;
  close(): Promise<void>;
}

/** The previous action again (zero-order hold). */
export const holdContinuation: Continuation = {
  act(_states, prev, _batch, out) {
    out.set(prev);
  },
};

interface InputPiece {
  /** Offset in the policy input. */
  readonly at: number;
  /** Source: state element index, or −1 − j for previous action element j. */
  readonly src: Int32Array;
  readonly offset: Float32Array;
  readonly scale: Float32Array;
  readonly clip: number;
}

/**
 * A policy's own ONNX graph run on a batch of world-model states: each policy observation term is
 * rebuilt from the state (joint_pos[_rel], joint_vel[_rel] by joint name, last_action from the
 * row's previous action) with the policy's scale and clip. Refuses (AxonError WM_CONTINUATION) a
 * policy whose inputs cannot be rebuilt from the state (history > 1, IMU terms the state lacks,
 * recurrent state): the caller then falls back to holding the action. A graph whose input takes no
 * batch (`[1, N]` as torch.onnx.export writes it without dynamic_axes, `[N]`, `[1, 1, N]`) is run
 * one row at a time in the shape it declares (src/model/onnxIo.ts observationFeedShape).
 */
export class BatchPolicy implements Continuation {
  private readonly inSize: number;
  private readonly A: number;
  private readonly pieces: InputPiece[];
  private cap = 0;
  private x = new Float32Array(0);
  private y = new Float32Array(0);
  private readonly io = new Map<number, { feeds: Record<string, ort.Tensor>; fetches: Record<string, ort.Tensor> }>();
  /** Per-row feeds / fetches (views of x / y) when the graph takes no batch; built by reserve(). */
  private rows: { feeds: Record<string, ort.Tensor>; fetches: Record<string, ort.Tensor> }[] = [];

  private constructor(
    private readonly policy: ModelManifest,
    private readonly session: Session,
    stateNames: readonly string[],
    defaults: Float32Array,
    maxBatch: number,
    /** The input / output shapes of one row when the graph takes no batch, else undefined. */
    private readonly rowShape: { readonly input: number[]; readonly output: number[] } | undefined,
  ) {
    this.inSize = observationSize(policy);
    this.A = actionSize(policy);
    const where = (i: number) => `policy manifest.json#/observation/terms/${i}`;
    let at = 0;
    this.pieces = policy.observation.terms.map((t, i) => {
      const w = termWidth(policy, t.term);
      if ((t.history ?? 1) !== 1) throw new AxonError('WM_CONTINUATION', where(i), `has history ${t.history}`, 'history 1 to rebuild it from a world-model state');
      const src = new Int32Array(w);
      const offset = new Float32Array(w);
      if (t.term === 'last_action') for (let j = 0; j < w; j++) src[j] = -1 - j;
      else {
        const base = t.term === 'joint_pos' || t.term === 'joint_pos_rel' ? 'joint_pos' : t.term === 'joint_vel' || t.term === 'joint_vel_rel' ? 'joint_vel' : undefined;
        if (base === undefined) throw new AxonError('WM_CONTINUATION', where(i), `term ${t.term} is not in the world-model state`, 'joint_pos, joint_vel or last_action terms');
        policy.joints.forEach((j, k) => {
          const s = stateNames.indexOf(`${base}.${j}`);
          if (s < 0) throw new AxonError('WM_CONTINUATION', where(i), `needs state element ${base}.${j}`, `one of ${stateNames.join(', ')}`);
          src[k] = s;
          if (t.term === 'joint_pos_rel') offset[k] = defaults[k];
        });
      }
      // value = (state - offset)·scale: the term's bias (Isaac Lab's bias modifier) is a negative offset.
      if (t.bias !== undefined) for (let k = 0; k < w; k++) offset[k] -= t.bias;
      const piece = { at, src, offset, scale: expandScale(t.scale, w), clip: t.clip ?? Infinity };
      at += w;
      return piece;
    });
    this.reserve(maxBatch);
  }

  /**
   * @param stateNames the world model's state element names
   * @param defaults the policy's default joint pose in its joint order (for joint_pos_rel)
   */
  static async load(folder: ModelFolder, stateNames: readonly string[], defaults: Float32Array, maxBatch = 64, guard?: GuardedOptions): Promise<BatchPolicy> {
    const m = folder.manifest;
    if (m.recurrent !== undefined || m.action.chunk !== undefined) throw new AxonError('WM_CONTINUATION', `${folder.dir}/manifest.json`, 'is recurrent or chunked', 'a feed-forward one-step policy');
    let opened: OpenedSession;
    try {
      // onnxruntime's public run() (a shield's few calls per tick), or guarded on a worker thread.
      opened = (await openOnnxSession(folder.onnxPath, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: ORT_LOG_SEVERITY }, guard ? 'guarded' : 'async', guard)).session;
    } catch (e) {
      throw onnxLoadError(folder.onnxPath, e);
    }
    const io = 'sync' in opened ? opened.sync : opened.async;
    const session: Session = { run: (f, o) => ('sync' in opened ? opened.sync.run(f, o) : opened.async.run(f, o)), close: () => closeOnnxSession(opened) };
    try {
      return new BatchPolicy(m, session, stateNames, defaults, maxBatch, rowShapes(io, m, folder.onnxPath));
    } catch (e) {
      await session.close();
      throw e;
    }
  }

  private reserve(n: number): void {
    if (n <= this.cap) return;
    this.cap = n;
    this.x = new Float32Array(n * this.inSize);
    this.y = new Float32Array(n * this.A);
    this.io.clear();
    if (this.rowShape === undefined) return;
    const { input, output } = this.rowShape, I = this.inSize, A = this.A, name = this.policy.onnx;
    this.rows = Array.from({ length: n }, (_, b) => ({
      feeds: { [name.input]: new ort.Tensor('float32', this.x.subarray(b * I, (b + 1) * I), input) },
      fetches: { [name.output]: new ort.Tensor('float32', this.y.subarray(b * A, (b + 1) * A), output) },
    }));
  }

  async act(states: Float32Array, prev: Float32Array, batch: number, out: Float32Array): Promise<void> {
    this.reserve(batch);
    const S = states.length / batch, I = this.inSize, A = this.A, x = this.x;
    for (let b = 0; b < batch; b++)
      for (const p of this.pieces)
        for (let k = 0; k < p.src.length; k++) {
          const src = p.src[k];
          let v = ((src >= 0 ? states[b * S + src] : prev[b * A + (-1 - src)]) - p.offset[k]) * p.scale[k];
          if (v > p.clip) v = p.clip;
          else if (v < -p.clip) v = -p.clip;
          x[b * I + p.at + k] = v;
        }
    if (this.rowShape !== undefined) {
      for (let b = 0; b < batch; b++) await this.session.run(this.rows[b].feeds, this.rows[b].fetches);
      out.set(this.y.subarray(0, batch * A));
      return;
    }
    let io = this.io.get(batch);
    if (io === undefined) {
      io = {
        feeds: { [this.policy.onnx.input]: new ort.Tensor('float32', this.x.subarray(0, batch * I), [batch, I]) },
        fetches: { [this.policy.onnx.output]: new ort.Tensor('float32', this.y.subarray(0, batch * A), [batch, A]) },
      };
      this.io.set(batch, io);
    }
    await this.session.run(io.feeds, io.fetches);
    out.set(this.y.subarray(0, batch * A));
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

/**
 * undefined when the policy's input takes a batch (`[batch, N]`, the first dimension symbolic or
 * unknown); else the shapes one row is fed and fetched in: the input's as OnnxPolicy feeds it, the
 * output's rank as declared with every dimension before the last 1.
 */
function rowShapes(session: Pick<ort.InferenceSession, 'inputNames' | 'outputNames' | 'inputMetadata' | 'outputMetadata'>, m: ModelManifest, file: string): { input: number[]; output: number[] } | undefined {
  const md = session.inputMetadata.find((x) => x.name === m.onnx.input);
  if (!md?.isTensor || md.shape.length === 0) return undefined;
  const d0 = md.shape[0];
  if (md.shape.length === 2 && (typeof d0 !== 'number' || d0 < 0)) return undefined;
  const input = observationFeedShape(session, m.onnx.input, observationSize(m), file);
  const out = session.outputMetadata.find((x) => x.name === m.onnx.output);
  const A = actionSize(m);
  const output = out?.isTensor && out.shape.length > 0 ? [...out.shape.slice(0, -1).map(() => 1), A] : [1, A];
  return { input, output };
}
