/**
 * Learning a world model from axon's own simulator: collect transitions through the runtime's own
 * loop (a session from src/session: observation builder -> policy -> action mapper -> safety ->
 * robot, on a simulation clock), fit a residual MLP on normalised (state, action) -> normalised
 * state change, export it as an ONNX graph with separate `state` and `action` inputs, and measure
 * one-step and 20-step open-loop error on held-out episodes. Deterministic under the seed.
 */
import type { SimulatedRobot } from '../../../src/core/robot.ts';
import { Rng } from '../../../src/core/rng.ts';
import { observationSize, actionSize, type ModelManifest } from '../../../src/model/manifest.ts';
import type { Policy } from '../../../src/policy/Policy.ts';
import { SimClock } from '../../../src/clock/SimClock.ts';
import { manifestOnlyFolder, openSession, type Session } from '../../../src/session/index.ts';
import { wrapAngle } from '../../../src/worldmodel/OnnxWorldModel.ts';
import { Mlp } from '../mlp.ts';
import { Adam } from '../adam.ts';
import { OnnxGraphBuilder, attr, encodeModel, ONNX_IR_VERSION, ONNX_OPSET } from '../onnx/index.ts';

/** Transitions (s, a, s') of whole episodes, flat row-major. */
export interface Dataset {
  readonly S: number;
  readonly A: number;
  s: number[];
  a: number[];
  next: number[];
  /** Start index (in transitions) of each episode, plus the total count at the end. */
  readonly episodes: number[];
}

/** Raw action for this tick from the state (physical units); write into `out`. */
export type Controller = (state: Float32Array, tick: number, out: Float32Array) => void | Promise<void>;

export interface EpisodePlan {
  readonly seed: number;
  /** Places the robot in its episode state (after reset(seed)); may change link masses. */
  readonly init: (robot: SimulatedRobot, rng: Rng) => void;
  readonly controller: (rng: Rng) => Controller;
  readonly ticks: number;
  /** Ends the episode early once the state leaves the region worth modelling. */
  readonly stop?: (state: Float32Array) => boolean;
}

/**
 * Opens the session that collection runs in: the world model's own manifest drives the
 * observation builder and action mapper (the state and action the model will be fed at run time),
 * the robot holds still until a plan's controller takes over. The session owns the robot.
 */
export function openCollectSession<R extends SimulatedRobot>(robot: R, manifest: ModelManifest): Promise<Session<R>> {
  return openSession(robot, { holdFolder: manifestOnlyFolder(manifest, `${manifest.name} training`) });
}

/** A plan's controller as the loop's policy: it reads the built observation and writes the raw action. */
class ControllerPolicy implements Policy {
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly out: Float32Array;
  private tick = 0;
  constructor(
    readonly manifest: ModelManifest,
    private readonly controller: Controller,
  ) {
    this.inputSize = observationSize(manifest);
    this.outputSize = actionSize(manifest);
    this.out = new Float32Array(this.outputSize);
  }
  reset(): void {
    this.tick = 0;
  }
  act(input: Float32Array): Float32Array | Promise<Float32Array> {
    const r = this.controller(input, this.tick++, this.out);
    return r instanceof Promise ? r.then(() => this.out) : this.out;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Runs every plan as one episode of the session's loop (sim clock, the session's builder, mapper
 * and safety supervisor, the plan's controller as the policy) and takes the transitions from the
 * loop's tick records: the state the policy was fed, the action after the mapper's clip, and the
 * next tick's state. A plan of `ticks` transitions runs ticks + 1 ticks (the last one gives the
 * last next state); `stop` ends it after the transition whose next state it rejects.
 */
export async function collect(session: Session<SimulatedRobot>, plans: readonly EpisodePlan[]): Promise<Dataset> {
  const robot = session.robot;
  const manifest = session.folder.manifest;
  const S = observationSize(manifest), A = actionSize(manifest);
  const clip = manifest.action.clip ?? Infinity;
  const state = new Float32Array(S);
  const action = new Float32Array(A);
  const d: Dataset = { S, A, s: [], a: [], next: [], episodes: [] };
  for (const p of plans) {
    const rng = new Rng(p.seed);
    robot.reset(p.seed);
    p.init(robot, rng);
    const clock = new SimClock(session.period, (dt) => robot.step(dt));
    const { loop } = session.loop({ clock, maxTicks: p.ticks + 1, seed: p.seed, policy: new ControllerPolicy(manifest, p.controller(rng)) });
    d.episodes.push(d.s.length / S);
    const sub = loop.records$.subscribe((rec) => {
      const next = rec.input;
      if (rec.seq > 0) {
        for (let i = 0; i < S; i++) d.s.push(state[i]);
        for (let j = 0; j < A; j++) d.a.push(action[j]);
        for (let i = 0; i < S; i++) d.next.push(next[i]);
        if (p.stop?.(next)) loop.stop();
      }
      state.set(next);
      // The mapper's clip (ActionMapper): what the last_action term and the world model see.
      for (let j = 0; j < A; j++) action[j] = Math.max(-clip, Math.min(clip, rec.action[j]));
    });
    try {
      await loop.run();
    } finally {
      sub.unsubscribe();
    }
  }
  d.episodes.push(d.s.length / S);
  return d;
}

export interface Normalisation {
  readonly mean: number[];
  readonly std: number[];
  readonly outMean: number[];
  readonly outStd: number[];
}

/** State change with angle elements wrapped. */
function delta(d: Dataset, n: number, i: number, isAngle: Uint8Array): number {
  const v = d.next[n * d.S + i] - d.s[n * d.S + i];
  return isAngle[i] ? wrapAngle(v) : v;
}

export function normalisation(d: Dataset, isAngle: Uint8Array): Normalisation {
  const N = d.s.length / d.S;
  const stat = (get: (n: number, i: number) => number) => {
    const mean: number[] = [], std: number[] = [];
    for (let i = 0; i < d.S; i++) {
      let s = 0, s2 = 0;
      for (let n = 0; n < N; n++) {
        const v = get(n, i);
        s += v;
        s2 += v * v;
      }
      const m = s / N;
      mean.push(round6(m));
      std.push(round6(Math.max(1e-6, Math.sqrt(Math.max(0, s2 / N - m * m)))));
    }
    return { mean, std };
  };
  const st = stat((n, i) => d.s[n * d.S + i]);
  const out = stat((n, i) => delta(d, n, i, isAngle));
  return { mean: st.mean, std: st.std, outMean: out.mean, outStd: out.std };
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

export interface FitOptions {
  readonly hidden: readonly number[];
  readonly epochs: number;
  readonly batch: number;
  readonly lr: number;
  readonly seed: number;
  readonly log?: (line: string) => void;
}

/** Network input for transition n: [z(s), a]. */
function writeInput(d: Dataset, n: number, norm: Normalisation, out: Float32Array, at: number): void {
  for (let i = 0; i < d.S; i++) out[at + i] = (d.s[n * d.S + i] - norm.mean[i]) / norm.std[i];
  for (let j = 0; j < d.A; j++) out[at + d.S + j] = d.a[n * d.A + j];
}

/** Fits the residual MLP by minibatch Adam on MSE of the normalised state change, cosine learning rate. */
export function fit(d: Dataset, norm: Normalisation, isAngle: Uint8Array, o: FitOptions): Mlp {
  const S = d.S, A = d.A, N = d.s.length / S;
  const rng = new Rng(o.seed);
  const mlp = new Mlp([S + A, ...o.hidden, S], 'tanh', 'identity', rng);
  const adam = new Adam(mlp.params, { lr: o.lr, maxGradNorm: 10 });
  const order = Int32Array.from({ length: N }, (_, i) => i);
  const x = new Float32Array(o.batch * (S + A));
  const y = new Float32Array(o.batch * S);
  const steps = Math.floor(N / o.batch);
  for (let e = 0; e < o.epochs; e++) {
    rng.shuffle(order);
    let loss = 0;
    for (let b = 0; b < steps; b++) {
      adam.lr = o.lr * 0.5 * (1 + Math.cos((Math.PI * (e * steps + b)) / (o.epochs * steps)));
      for (let k = 0; k < o.batch; k++) {
        const n = order[b * o.batch + k];
        writeInput(d, n, norm, x, k * (S + A));
        for (let i = 0; i < S; i++) y[k * S + i] = (delta(d, n, i, isAngle) - norm.outMean[i]) / norm.outStd[i];
      }
      loss += mlp.trainBatch(x, y, o.batch);
      adam.step(mlp.grads);
    }
    if (e % 5 === 0 || e === o.epochs - 1) o.log?.(`epoch ${e}: normalised MSE ${(loss / steps).toExponential(3)}`);
  }
  return mlp;
}

/** Predicts next states for `batch` rows with the JS network (same arithmetic as the ONNX graph, in float32). */
export class MlpDynamics {
  private readonly x: Float32Array;
  private readonly y: Float32Array;
  constructor(
    readonly mlp: Mlp,
    readonly norm: Normalisation,
    readonly isAngle: Uint8Array,
    readonly S: number,
    readonly A: number,
  ) {
    this.x = new Float32Array(S + A);
    this.y = new Float32Array(S);
  }
  step(s: Float32Array, a: Float32Array, out: Float32Array): void {
    const { S, A, norm } = this;
    for (let i = 0; i < S; i++) this.x[i] = (s[i] - norm.mean[i]) / norm.std[i];
    for (let j = 0; j < A; j++) this.x[S + j] = a[j];
    this.mlp.forward(this.x, this.y);
    for (let i = 0; i < S; i++) {
      const v = s[i] + norm.outMean[i] + norm.outStd[i] * this.y[i];
      out[i] = this.isAngle[i] ? wrapAngle(v) : v;
    }
  }
}

export interface RolloutError {
  /** RMS error per state element after one step (physical units). */
  readonly oneStep: number[];
  /** RMS error per state element after `horizon` open-loop steps with the logged actions. */
  readonly multiStep: number[];
  readonly horizon: number;
  readonly transitions: number;
}

/** One-step and H-step open-loop RMS error on the episodes of `d` (held out from training). */
export function rolloutError(dyn: MlpDynamics, d: Dataset, horizon: number): RolloutError {
  const S = d.S, A = d.A;
  const s = new Float32Array(S), a = new Float32Array(A), out = new Float32Array(S);
  const e1 = new Float64Array(S), eH = new Float64Array(S);
  let n1 = 0, nH = 0;
  const err = (i: number, pred: number, truth: number) => (dyn.isAngle[i] ? wrapAngle(pred - truth) : pred - truth);
  for (let ep = 0; ep + 1 < d.episodes.length; ep++) {
    const start = d.episodes[ep], end = d.episodes[ep + 1];
    for (let n = start; n < end; n++) {
      for (let i = 0; i < S; i++) s[i] = d.s[n * S + i];
      for (let j = 0; j < A; j++) a[j] = d.a[n * A + j];
      dyn.step(s, a, out);
      for (let i = 0; i < S; i++) e1[i] += err(i, out[i], d.next[n * S + i]) ** 2;
      n1++;
    }
    for (let n = start; n + horizon <= end; n += 5) {
      for (let i = 0; i < S; i++) s[i] = d.s[n * S + i];
      for (let t = 0; t < horizon; t++) {
        for (let j = 0; j < A; j++) a[j] = d.a[(n + t) * A + j];
        dyn.step(s, a, out);
        s.set(out);
      }
      const last = n + horizon - 1;
      for (let i = 0; i < S; i++) eH[i] += err(i, s[i], d.next[last * S + i]) ** 2;
      nH++;
    }
  }
  const rms = (e: Float64Array, n: number) => Array.from(e, (v) => Number(Math.sqrt(v / Math.max(1, n)).toPrecision(4)));
  return { oneStep: rms(e1, n1), multiStep: rms(eH, nH), horizon, transitions: n1 };
}

/**
 * ONNX graph of the dynamics network: inputs `state` [batch, S] (normalised) and `action`
 * [batch, A] -> Concat -> Gemm/Tanh layers -> `delta` [batch, S] (normalised state change).
 */
export function dynamicsToOnnx(mlp: Mlp, S: number, A: number, docString: string): Uint8Array {
  const g = new OnnxGraphBuilder('dynamics');
  const s = g.input('state', 'float32', ['batch', S]);
  const a = g.input('action', 'float32', ['batch', A]);
  let [x] = g.node('Concat', [s, a], ['state_action'], { axis: attr.int(1) }, 'concat');
  for (let l = 0; l < mlp.numLayers; l++) {
    const last = l === mlp.numLayers - 1;
    const w = g.initializer(`layers.${l}.weight`, 'float32', [mlp.sizes[l + 1], mlp.sizes[l]], mlp.weight(l));
    const b = g.initializer(`layers.${l}.bias`, 'float32', [mlp.sizes[l + 1]], mlp.bias(l));
    [x] = g.node('Gemm', [x, w, b], [last ? 'delta' : `layers.${l}.linear`], { transB: attr.int(1) }, `layers.${l}.gemm`);
    if (!last) [x] = g.node('Tanh', [x], [`layers.${l}.tanh`], undefined, `layers.${l}.tanh`);
  }
  g.output('delta', 'float32', ['batch', S]);
  return encodeModel({ irVersion: ONNX_IR_VERSION, opsetImports: [{ domain: '', version: ONNX_OPSET }], producerName: 'axon', docString, graph: g.build() });
}

/** Splits a dataset's episodes: every `every`-th episode is held out. */
export function split(d: Dataset, every: number): { train: Dataset; test: Dataset } {
  const mk = (): Dataset => ({ S: d.S, A: d.A, s: [], a: [], next: [], episodes: [] });
  const train = mk(), test = mk();
  for (let ep = 0; ep + 1 < d.episodes.length; ep++) {
    const to = ep % every === every - 1 ? test : train;
    to.episodes.push(to.s.length / d.S);
    for (let n = d.episodes[ep]; n < d.episodes[ep + 1]; n++) {
      for (let i = 0; i < d.S; i++) {
        to.s.push(d.s[n * d.S + i]);
        to.next.push(d.next[n * d.S + i]);
      }
      for (let j = 0; j < d.A; j++) to.a.push(d.a[n * d.A + j]);
    }
  }
  train.episodes.push(train.s.length / d.S);
  test.episodes.push(test.s.length / d.S);
  return { train, test };
}
