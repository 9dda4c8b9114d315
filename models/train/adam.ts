/**
 * Adam optimiser (Kingma & Ba 2015) over a flat Float32Array parameter vector, updated in place.
 * Moments are kept in Float64Array. `step` allocates nothing.
 */
export interface AdamOptions {
  /** Learning rate (step size in parameter units). Default 1e-3. */
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay per step, as a fraction of lr (AdamW). Default 0. */
  weightDecay?: number;
  /** Rescale the gradient when its L2 norm exceeds this. Default Infinity (no clipping). */
  maxGradNorm?: number;
}

export class Adam {
  readonly params: Float32Array;
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly maxGradNorm: number;
  /** Number of steps taken. */
  t = 0;
  /** Number of steps skipped because the gradient held NaN or |g| > 1e10. */
  badSteps = 0;
  private readonly _m: Float64Array;
  private readonly _v: Float64Array;

  constructor(params: Float32Array, opts: AdamOptions = {}) {
    this.params = params;
    this.lr = opts.lr ?? 1e-3;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.maxGradNorm = opts.maxGradNorm ?? Infinity;
    this._m = new Float64Array(params.length);
    this._v = new Float64Array(params.length);
  }

  /**
   * Apply one update with gradient `grads` (same length as params). A gradient holding a bad
   * number (NaN, |g| > 1e10) is not applied: the step is counted in `badSteps` and false returned.
   */
  step(grads: Float32Array): boolean {
    const n = this.params.length;
    let sq = 0;
    for (let k = 0; k < n; k++) {
      const gk = grads[k];
      if (!(Math.abs(gk) <= 1e10)) {
        this.badSteps++;
        return false;
      }
      sq += gk * gk;
    }
    const norm = Math.sqrt(sq);
    const clip = norm > this.maxGradNorm ? this.maxGradNorm / norm : 1;
    this.t++;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const c1 = 1 - Math.pow(b1, this.t);
    const c2 = 1 - Math.pow(b2, this.t);
    const stepSize = this.lr / c1;
    const decay = this.lr * this.weightDecay;
    const p = this.params;
    const m = this._m;
    const v = this._v;
    for (let k = 0; k < n; k++) {
      const gk = grads[k] * clip;
      m[k] = b1 * m[k] + (1 - b1) * gk;
      v[k] = b2 * v[k] + (1 - b2) * gk * gk;
      p[k] = p[k] - stepSize * m[k] / (Math.sqrt(v[k] / c2) + this.eps) - decay * p[k];
    }
    return true;
  }

  /** Forget the moments and the step count. */
  reset(): void {
    this._m.fill(0);
    this._v.fill(0);
    this.t = 0;
    this.badSteps = 0;
  }
}
