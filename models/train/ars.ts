import { Rng } from '../../src/core/rng.ts';

export interface ArsOptions {
  /** Directions sampled per iteration. */
  readonly directions: number;
  /** Best directions kept for the update (b <= directions). */
  readonly top: number;
  /** Step size α. */
  readonly stepSize: number;
  /** Exploration noise ν (std of the parameter perturbation). */
  readonly noise: number;
  readonly iterations: number;
  readonly seed: number;
}

/** Return of the parameters `theta` on the rollouts drawn from `rolloutSeed` (same seed -> same episodes). */
export type Objective = (theta: Float32Array, rolloutSeed: number) => number;

export interface ArsProgress {
  readonly iteration: number;
  /** Mean return of the ± evaluations this iteration. */
  readonly meanReturn: number;
  /** Return of the updated parameters on this iteration's rollouts. */
  readonly theta: Float32Array;
}

/**
 * Augmented Random Search (Mania, Guy, Recht 2018, "V1-t"): perturb the parameters along random
 * directions δ, evaluate θ ± νδ on the same rollouts (common random numbers), keep the best `top`
 * directions by max(r+, r−) and step along Σ (r+ − r−) δ scaled by the returns' std.
 * Deterministic: every random number comes from `seed`.
 */
export function ars(theta: Float32Array, objective: Objective, o: ArsOptions, onIteration?: (p: ArsProgress) => void): Float32Array {
  const rng = new Rng(o.seed);
  const n = theta.length;
  const deltas = Array.from({ length: o.directions }, () => new Float32Array(n));
  const plus = new Float64Array(o.directions);
  const minus = new Float64Array(o.directions);
  const probe = new Float32Array(n);
  const step = new Float64Array(n);
  for (let it = 0; it < o.iterations; it++) {
    const rolloutSeed = Math.floor(rng.next() * 0xffffffff);
    for (let k = 0; k < o.directions; k++) {
      const d = deltas[k];
      for (let i = 0; i < n; i++) d[i] = rng.normal();
      for (let i = 0; i < n; i++) probe[i] = theta[i] + o.noise * d[i];
      plus[k] = objective(probe, rolloutSeed);
      for (let i = 0; i < n; i++) probe[i] = theta[i] - o.noise * d[i];
      minus[k] = objective(probe, rolloutSeed);
    }
    arsUpdate(theta, deltas, plus, minus, o.top, o.stepSize, step);
    let all = 0;
    for (let k = 0; k < o.directions; k++) all += plus[k] + minus[k];
    onIteration?.({ iteration: it, meanReturn: all / (2 * o.directions), theta });
  }
  return theta;
}

/**
 * One ARS update of `theta` in place from the returns of θ ± νδ_k: keep the `top` directions by
 * max(r+, r−), step along Σ (r+ − r−) δ_k scaled by stepSize / (top · std of the kept returns).
 * `step` is scratch of theta's length.
 */
export function arsUpdate(theta: Float32Array, deltas: readonly Float32Array[], plus: ArrayLike<number>, minus: ArrayLike<number>, top: number, stepSize: number, step = new Float64Array(theta.length)): void {
  const n = theta.length;
  const order = Array.from({ length: deltas.length }, (_, k) => k).sort((a, b) => Math.max(plus[b], minus[b]) - Math.max(plus[a], minus[a]) || a - b);
  const kept = order.slice(0, top);
  let mean = 0;
  for (const k of kept) mean += plus[k] + minus[k];
  mean /= 2 * kept.length;
  let variance = 0;
  for (const k of kept) variance += (plus[k] - mean) ** 2 + (minus[k] - mean) ** 2;
  const std = Math.sqrt(variance / (2 * kept.length)) || 1;
  step.fill(0);
  for (const k of kept) {
    const w = plus[k] - minus[k];
    const d = deltas[k];
    for (let i = 0; i < n; i++) step[i] += w * d[i];
  }
  const scale = stepSize / (kept.length * std);
  for (let i = 0; i < n; i++) theta[i] += scale * step[i];
}
