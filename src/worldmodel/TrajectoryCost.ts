import { AxonError } from '../core/errors.ts';
import type { WorldModelCostSpec } from '../model/worldModelManifest.ts';
import { wrapAngle } from './OnnxWorldModel.ts';

/**
 * A task cost over a batch of predicted trajectories, vectorised over the batch. Costs add into a
 * caller-owned Float64Array (one entry per sample); nothing allocates.
 */
export interface TrajectoryCost {
  /** Adds the cost of one step: the action taken (batch × actionSize) and the state it led to (batch × stateSize). */
  stage(next: Float32Array, actions: Float32Array, batch: number, costs: Float64Array): void;
  /** Adds the cost of the final state of the horizon. */
  terminal(last: Float32Array, batch: number, costs: Float64Array): void;
}

export interface QuadraticCostTerm {
  /** State element index. */
  readonly index: number;
  readonly target: number;
  readonly weight: number;
}

export interface EnergyShaping {
  readonly angleIndex: number;
  readonly velocityIndex: number;
  /** kg·m² */
  readonly inertia: number;
  /** N·m: potential mgl·cos θ, θ = 0 upright. */
  readonly mgl: number;
  readonly weight: number;
}

/**
 * Σ_i w_i (x_i − target_i)² over chosen state elements (angle elements wrapped first) + action_weight
 * · |a|², plus terminal_weight × the state part at the end of the horizon, plus an optional
 * energy-shaping term energy_weight · (E − mgl)² with E = ½ I ω² + mgl cos θ (E = mgl upright at rest).
 */
export class QuadraticCost implements TrajectoryCost {
  private readonly idx: Int32Array;
  private readonly target: Float32Array;
  private readonly weight: Float32Array;
  private readonly angle: Uint8Array;

  constructor(
    readonly stateSize: number,
    readonly actionSize: number,
    terms: readonly QuadraticCostTerm[],
    isAngle: Uint8Array,
    readonly actionWeight = 0,
    readonly terminalWeight = 1,
    readonly energy?: EnergyShaping,
  ) {
    this.idx = Int32Array.from(terms, (t) => t.index);
    this.target = Float32Array.from(terms, (t) => t.target);
    this.weight = Float32Array.from(terms, (t) => t.weight);
    this.angle = Uint8Array.from(terms, (t) => isAngle[t.index] ?? 0);
    for (const t of terms)
      if (!(t.index >= 0 && t.index < stateSize)) throw new AxonError('WM_COST', `cost term index ${t.index}`, 'is outside the state', `0..${stateSize - 1}`);
  }

  /** The cost a world-model manifest declares, by state element names. */
  static fromSpec(spec: WorldModelCostSpec, stateNames: readonly string[], isAngle: Uint8Array, actionSize: number): QuadraticCost {
    const index = (n: string) => stateNames.indexOf(n);
    const e = spec.energy;
    return new QuadraticCost(
      stateNames.length,
      actionSize,
      spec.terms.map((t) => ({ index: index(t.state), target: t.target ?? 0, weight: t.weight })),
      isAngle,
      spec.action_weight ?? 0,
      spec.terminal_weight ?? 1,
      e && { angleIndex: index(e.angle), velocityIndex: index(e.velocity), inertia: e.inertia, mgl: e.mgl, weight: e.weight },
    );
  }

  private stateCost(x: Float32Array, batch: number, costs: Float64Array, mult: number): void {
    const S = this.stateSize, n = this.idx.length, idx = this.idx, target = this.target, weight = this.weight, angle = this.angle;
    for (let k = 0; k < n; k++) {
      const i = idx[k], tg = target[k], w = mult * weight[k];
      if (angle[k])
        for (let b = 0, o = i; b < batch; b++, o += S) {
          let d = x[o] - tg;
          if (d > Math.PI || d <= -Math.PI) d = wrapAngle(d);
          costs[b] += w * d * d;
        }
      else
        for (let b = 0, o = i; b < batch; b++, o += S) {
          const d = x[o] - tg;
          costs[b] += w * d * d;
        }
    }
  }

  stage(next: Float32Array, actions: Float32Array, batch: number, costs: Float64Array): void {
    this.stateCost(next, batch, costs, 1);
    const A = this.actionSize, aw = this.actionWeight;
    if (aw > 0) {
      if (A === 1) for (let b = 0; b < batch; b++) costs[b] += aw * actions[b] * actions[b];
      else
        for (let b = 0; b < batch; b++) {
          let s = 0;
          for (let j = 0; j < A; j++) s += actions[b * A + j] * actions[b * A + j];
          costs[b] += aw * s;
        }
    }
    const e = this.energy;
    if (e && e.weight > 0) {
      const S = this.stateSize, ai = e.angleIndex, vi = e.velocityIndex, hi = 0.5 * e.inertia, mgl = e.mgl, inv = 1 / mgl, ew = e.weight;
      for (let b = 0, o = 0; b < batch; b++, o += S) {
        const w = next[o + vi];
        const d = (hi * w * w + mgl * Math.cos(next[o + ai]) - mgl) * inv;
        costs[b] += ew * d * d;
      }
    }
  }

  terminal(last: Float32Array, batch: number, costs: Float64Array): void {
    if (this.terminalWeight > 0) this.stateCost(last, batch, costs, this.terminalWeight);
  }
}
