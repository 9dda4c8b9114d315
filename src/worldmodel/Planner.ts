import { AxonError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import type { WorldModel } from './types.ts';
import type { TrajectoryCost } from './TrajectoryCost.ts';
import { RolloutTrace } from './RolloutTrace.ts';

export interface PlannerOptions {
  /** Steps of world-model dt planned ahead (H). */
  readonly horizon: number;
  /** Sampled action sequences per iteration (K). */
  readonly samples: number;
  /** Sampling rounds per tick (MPPI: usually 1; CEM: 2–5). */
  readonly iterations: number;
  /** Std of the sampling noise (raw action units), one number or one per action element. */
  readonly noiseStd: number | readonly number[];
  /** Raw action bounds (the manifest's action clip): samples are clipped to [−clip, clip]. */
  readonly actionClip: number;
  /** MPPI temperature as a fraction of the batch's cost spread (mean − min); > 0. */
  readonly temperature: number;
  /** CEM: fraction of the samples kept as elites, in (0, 1]. */
  readonly eliteFraction: number;
  /** Seed of the sampling noise (deterministic runs). */
  readonly seed: number;
}

export const defaultPlannerOptions: PlannerOptions = {
  horizon: 20,
  samples: 256,
  iterations: 1,
  noiseStd: 0.5,
  actionClip: 1,
  temperature: 0.1,
  eliteFraction: 0.1,
  seed: 1,
};

/**
 * Plans the next raw action by sampling action sequences of H steps around the previous plan (warm
 * start, shifted one step per tick), rolling them through the world model in one batch per step
 * and scoring them with a TrajectoryCost.
 */
export interface Planner {
  readonly name: 'mppi' | 'cem';
  readonly options: PlannerOptions;
  /** The current plan, H × actionSize, row-major by step. */
  readonly mean: Float32Array;
  /** Cost of the plan as the last plan() began (the warm start, its noise-free sample 0); NaN before. */
  readonly lastCost: number;
  /** Forgets the warm start; `seed` re-seeds the sampling noise (default: options.seed). */
  reset(seed?: number): void;
  /**
   * Plans from `state` (stateSize) and writes the first action into `out` (actionSize). `seed`
   * (actionSize), when given, replaces the first step of the sampling mean (a policy's proposal).
   */
  plan(state: Float32Array, out: Float32Array, seed?: Float32Array, seq?: number): Promise<Float32Array>;
  /**
   * Keeps each tick's rollouts in a RolloutTrace (`rows` rows) for a viewer or a recording. Row 0,
   * the predicted trajectory, is the plan this tick settled on (after its update: its first action
   * is the one sent), rolled out once more from this tick's state (H extra batch-1 predictions);
   * rows 1.. are the first samples of the last sampling round. Scores are costs. Off until called.
   */
  enableTrace(rows: number): RolloutTrace;
  /** The trace, once enableTrace was called. */
  readonly trace: RolloutTrace | undefined;
}

/** Shared machinery of MPPI and CEM: buffers sized once, batched rollout, warm start. */
export abstract class SamplingPlanner implements Planner {
  abstract readonly name: 'mppi' | 'cem';
  readonly options: PlannerOptions;
  readonly mean: Float32Array;
  lastCost = Number.NaN;
  protected readonly H: number;
  protected readonly K: number;
  protected readonly A: number;
  protected readonly S: number;
  /** Per step and action element: the sampling std (CEM adapts it). */
  protected readonly std: Float32Array;
  protected readonly std0: Float32Array;
  /** Samples, time-major: H × K × A (step t's batch of actions is one contiguous view). */
  protected readonly u: Float32Array;
  protected readonly costs: Float64Array;
  private readonly x: Float32Array;
  protected rng: Rng;
  trace: RolloutTrace | undefined;
  private planX: Float32Array | undefined;
  private readonly planCost = new Float64Array(1);

  constructor(
    protected readonly model: WorldModel,
    protected readonly cost: TrajectoryCost,
    options: Partial<PlannerOptions> = {},
  ) {
    const o = (this.options = { ...defaultPlannerOptions, ...options });
    for (const k of ['horizon', 'samples', 'iterations'] as const)
      if (!(Number.isInteger(o[k]) && o[k] >= 1)) throw new AxonError('PLANNER_OPTION', k, `is ${o[k]}`, 'a whole number >= 1');
    if (!(o.temperature > 0)) throw new AxonError('PLANNER_OPTION', 'temperature', `is ${o.temperature}`, 'a number > 0');
    if (!(o.eliteFraction > 0 && o.eliteFraction <= 1)) throw new AxonError('PLANNER_OPTION', 'eliteFraction', `is ${o.eliteFraction}`, 'a fraction in (0, 1]');
    if (!(o.actionClip > 0)) throw new AxonError('PLANNER_OPTION', 'actionClip', `is ${o.actionClip}`, 'a number > 0');
    this.H = o.horizon;
    this.K = o.samples;
    this.A = model.actionSize;
    this.S = model.stateSize;
    const noise = typeof o.noiseStd === 'number' ? new Array<number>(this.A).fill(o.noiseStd) : [...o.noiseStd];
    if (noise.length !== this.A || noise.some((s) => !(s >= 0))) throw new AxonError('PLANNER_OPTION', 'noiseStd', `is ${JSON.stringify(o.noiseStd)}`, `one number >= 0 or ${this.A}`);
    this.mean = new Float32Array(this.H * this.A);
    this.std0 = new Float32Array(this.H * this.A);
    for (let t = 0; t < this.H; t++) for (let j = 0; j < this.A; j++) this.std0[t * this.A + j] = noise[j];
    this.std = Float32Array.from(this.std0);
    this.u = new Float32Array(this.H * this.K * this.A);
    this.costs = new Float64Array(this.K);
    this.x = new Float32Array(this.K * this.S);
    this.rng = new Rng(o.seed);
    const m = model as { reserve?: (n: number) => void };
    m.reserve?.(this.K);
  }

  enableTrace(rows: number): RolloutTrace {
    if (!(Number.isInteger(rows) && rows >= 1)) throw new AxonError('PLANNER_OPTION', 'trace rows', `is ${rows}`, 'a whole number >= 1');
    this.planX = new Float32Array(this.S);
    return (this.trace = new RolloutTrace(this.H, this.S, Math.min(rows, this.K + 1)));
  }

  /** Rolls the plan (mean) from `state` through the model into the trace's row 0 and publishes the trace. */
  private async tracePlan(trace: RolloutTrace, state: Float32Array, seq: number): Promise<void> {
    const { H, A, S, mean } = this;
    const x = this.planX!, c = this.planCost;
    for (let i = 0; i < S; i++) x[i] = state[i];
    c[0] = 0;
    for (let t = 0; t < H; t++) {
      const ut = mean.subarray(t * A, (t + 1) * A);
      const p = await this.model.predict(x, ut, 1);
      this.cost.stage(p.nextStates, ut, 1, c);
      trace.step(t, p.nextStates, 1, 0);
      for (let i = 0; i < S; i++) x[i] = p.nextStates[i];
    }
    this.cost.terminal(x, 1, c);
    trace.score(0, c[0]);
    for (let k = 0; k + 1 < trace.capacity && k < this.K; k++) trace.score(k + 1, this.costs[k]);
    trace.commit(0, seq);
  }

  reset(seed?: number): void {
    this.mean.fill(0);
    this.std.set(this.std0);
    this.lastCost = Number.NaN;
    this.rng = new Rng(seed ?? this.options.seed);
  }

  /** Draws the K samples around mean (sample 0 is the mean itself), clipped to the action bounds. */
  protected sample(): void {
    const { H, K, A, u, mean, std, rng } = this;
    const c = this.options.actionClip;
    // Same draw order as one rng.normal() per (t, k ≥ 1, j): the noise stream is the seed's.
    for (let t = 0; t < H; t++) {
      const row = t * K * A;
      for (let j = 0; j < A; j++) {
        const m = mean[t * A + j];
        u[row + j] = m > c ? c : m < -c ? -c : m;
      }
      if (A === 1) {
        const m = mean[t], sd = std[t];
        for (let o = row + 1, end = row + K; o < end; o++) {
          const v = m + sd * rng.normal();
          u[o] = v > c ? c : v < -c ? -c : v;
        }
      } else
        for (let o = row + A, end = row + K * A; o < end; o += A)
          for (let j = 0; j < A; j++) {
            const v = mean[t * A + j] + std[t * A + j] * rng.normal();
            u[o + j] = v > c ? c : v < -c ? -c : v;
          }
    }
  }

  /** Rolls the K samples from `state` through the model, one batched predict per step; fills `costs`. */
  protected async rollout(state: Float32Array): Promise<void> {
    const { H, K, A, S, x, costs } = this;
    if (S === 1) x.fill(state[0]);
    else for (let o = 0; o < K * S; o += S) for (let i = 0; i < S; i++) x[o + i] = state[i];
    costs.fill(0);
    const trace = this.trace;
    // Row 0 is the plan (tracePlan, after the update); the samples go to rows 1..
    const kept = trace ? Math.min(K, trace.capacity - 1) : 0;
    trace?.begin(state, kept + 1);
    for (let t = 0; t < H; t++) {
      const ut = this.u.subarray(t * K * A, (t + 1) * K * A);
      const p = await this.model.predict(x, ut, K);
      this.cost.stage(p.nextStates, ut, K, costs);
      x.set(p.nextStates);
      trace?.step(t, p.nextStates, kept, 1);
    }
    this.cost.terminal(x, K, costs);
    for (let k = 0; k < K; k++) if (!(costs[k] <= 1e30)) costs[k] = 1e30; // NaN / Inf rollouts lose
  }

  /** Updates mean (and std) from the scored samples. */
  protected abstract update(): void;

  async plan(state: Float32Array, out: Float32Array, seed?: Float32Array, seq = 0): Promise<Float32Array> {
    const { A, H, mean } = this;
    if (seed) for (let j = 0; j < A; j++) mean[j] = seed[j];
    for (let it = 0; it < this.options.iterations; it++) {
      this.sample();
      await this.rollout(state);
      this.lastCost = this.costs[0];
      this.update();
    }
    // The last round's samples, and the plan it settled on (before the warm-start shift).
    if (this.trace) await this.tracePlan(this.trace, state, seq);
    for (let j = 0; j < A; j++) out[j] = mean[j];
    // Warm start: shift one step, repeat the last step; CEM's std goes back to its start.
    mean.copyWithin(0, A, H * A);
    this.std.set(this.std0);
    return out;
  }
}

/**
 * Model Predictive Path Integral control (Williams et al. 2017): the new plan is the average of
 * the samples weighted by exp(−(S_k − S_min) / (λ · (S_mean − S_min))), λ = `temperature`.
 */
export class MppiPlanner extends SamplingPlanner {
  readonly name = 'mppi' as const;
  private readonly w: Float64Array;

  constructor(model: WorldModel, cost: TrajectoryCost, options: Partial<PlannerOptions> = {}) {
    super(model, cost, options);
    this.w = new Float64Array(this.K);
  }

  protected update(): void {
    const { K, H, A, costs, w, u, mean } = this;
    let min = Infinity, sum = 0;
    for (let k = 0; k < K; k++) {
      if (costs[k] < min) min = costs[k];
      sum += costs[k];
    }
    const spread = sum / K - min;
    const inv = spread > 1e-12 ? 1 / (this.options.temperature * spread) : 0;
    let total = 0;
    for (let k = 0; k < K; k++) total += w[k] = Math.exp(-(costs[k] - min) * inv);
    for (let t = 0; t < H; t++)
      for (let j = 0; j < A; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += w[k] * u[(t * K + k) * A + j];
        mean[t * A + j] = s / total;
      }
  }
}

/**
 * Cross-Entropy Method: keep the best `eliteFraction` of the samples, refit the mean and std of
 * each step to them; several iterations per tick.
 */
export class CemPlanner extends SamplingPlanner {
  readonly name = 'cem' as const;
  private readonly order: Int32Array;
  private readonly nElite: number;

  constructor(model: WorldModel, cost: TrajectoryCost, options: Partial<PlannerOptions> = {}) {
    super(model, cost, { iterations: 3, ...options });
    this.order = new Int32Array(this.K);
    this.nElite = Math.max(1, Math.round(this.K * this.options.eliteFraction));
  }

  protected update(): void {
    const { K, H, A, costs, u, mean, std, order, nElite } = this;
    for (let k = 0; k < K; k++) order[k] = k;
    order.sort((a, b) => costs[a] - costs[b]);
    for (let t = 0; t < H; t++)
      for (let j = 0; j < A; j++) {
        let s = 0, s2 = 0;
        for (let e = 0; e < nElite; e++) {
          const v = u[(t * K + order[e]) * A + j];
          s += v;
          s2 += v * v;
        }
        const m = s / nElite;
        mean[t * A + j] = m;
        std[t * A + j] = Math.sqrt(Math.max(0, s2 / nElite - m * m)) + 0.02 * this.std0[t * A + j];
      }
  }
}
