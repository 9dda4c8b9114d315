/**
 * Multi-layer perceptron on Float32Array, with hand-written backpropagation.
 *
 * Layout of the flat parameter vector `params`, layer by layer (l = 0 .. numLayers-1):
 *   W_l  row-major [out][in]  (out = sizes[l+1], in = sizes[l])  — the ONNX Gemm B with transB=1
 *   b_l  [out]
 * Hidden layers use `activation`; the last layer uses `outputActivation`.
 *
 * Real-time rules: `forward` allocates nothing (single-sample layer buffers are sized in the
 * constructor) and may run inside a control tick. The batched training path (`forwardBatch`,
 * `backwardBatch`, `trainBatch`) allocates only when a batch larger than any before it arrives;
 * call `reserveBatch` at configure time to avoid even that.
 */
import type { Rng } from '../../src/core/rng.ts';

export type HiddenActivation = 'tanh' | 'relu';
export type OutputActivation = 'tanh' | 'identity';

export type MlpErrorCode = 'BAD_SIZES' | 'BAD_ACTIVATION' | 'LENGTH_MISMATCH' | 'BAD_NUMBER';

/** Bad configuration or bad data handed to an Mlp; `detail` names the offending thing. */
export class MlpError extends Error {
  readonly code: MlpErrorCode;
  readonly detail: Record<string, unknown>;
  constructor(code: MlpErrorCode, message: string, detail: Record<string, unknown>) {
    super(message);
    this.name = 'MlpError';
    this.code = code;
    this.detail = detail;
  }
}

/** Gradient of the loss with respect to the network outputs, for `trainBatch`. */
export interface LossFn {
  /**
   * Write dLoss/dOutput into `gradOut` (batchSize*outDim, row-major) and return the loss.
   * `outputs` and `targets` are batchSize*outDim, row-major.
   */
  (outputs: Float32Array, targets: Float32Array, batchSize: number, outDim: number, gradOut: Float32Array): number;
}

/** Mean squared error over all batch entries and outputs: L = mean((y - t)^2). */
export const mseLoss: LossFn = (outputs, targets, batchSize, outDim, gradOut) => {
  const n = batchSize * outDim;
  const scale = 2 / n;
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const d = outputs[k] - targets[k];
    sum += d * d;
    gradOut[k] = scale * d;
  }
  return sum / n;
};

export class Mlp {
  /** Layer widths, input first, output last. */
  readonly sizes: readonly number[];
  readonly activation: HiddenActivation;
  readonly outputActivation: OutputActivation;
  readonly inDim: number;
  readonly outDim: number;
  readonly numLayers: number;
  readonly numParams: number;
  /** Flat parameter vector (live: writing it changes the network). */
  readonly params: Float32Array;
  /** Gradient of the last `backwardBatch`/`trainBatch` loss w.r.t. `params`, same layout. */
  readonly grads: Float32Array;

  private readonly _wOff: number[] = [];
  private readonly _bOff: number[] = [];
  /** Single-sample activations per layer boundary (index 0 unused: the input is read in place). */
  private readonly _act: Float32Array[] = [];

  // Batched training buffers, sized by reserveBatch.
  private _cap = 0;
  private _bAct: Float32Array[] = [];
  private _bDelta: Float32Array[] = [];
  private _bGradOut = new Float32Array(0);
  private _bInput: Float32Array = new Float32Array(0);

  constructor(sizes: number[], activation: HiddenActivation, outputActivation: OutputActivation, rng: Rng) {
    if (!Array.isArray(sizes) || sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
      throw new MlpError('BAD_SIZES', 'sizes must be at least two positive integers', { sizes, expected: 'integer[] (length >= 2, each >= 1)' });
    }
    if (activation !== 'tanh' && activation !== 'relu') {
      throw new MlpError('BAD_ACTIVATION', `unknown hidden activation ${String(activation)}`, { activation, expected: ['tanh', 'relu'] });
    }
    if (outputActivation !== 'tanh' && outputActivation !== 'identity') {
      throw new MlpError('BAD_ACTIVATION', `unknown output activation ${String(outputActivation)}`, { outputActivation, expected: ['tanh', 'identity'] });
    }
    this.sizes = Object.freeze(sizes.slice());
    this.activation = activation;
    this.outputActivation = outputActivation;
    this.inDim = sizes[0];
    this.outDim = sizes[sizes.length - 1];
    this.numLayers = sizes.length - 1;

    let off = 0;
    for (let l = 0; l < this.numLayers; l++) {
      this._wOff.push(off);
      off += sizes[l] * sizes[l + 1];
      this._bOff.push(off);
      off += sizes[l + 1];
    }
    this.numParams = off;
    this.params = new Float32Array(off);
    this.grads = new Float32Array(off);
    this._act.push(new Float32Array(0));
    for (let l = 1; l <= this.numLayers; l++) this._act.push(new Float32Array(sizes[l]));
    this.init(rng);
  }

  /**
   * (Re)initialise the parameters from `rng`: He normal (std sqrt(2/in)) for layers feeding a
   * ReLU, Xavier/Glorot uniform (±sqrt(6/(in+out))) otherwise; biases zero.
   */
  init(rng: Rng): void {
    for (let l = 0; l < this.numLayers; l++) {
      const nIn = this.sizes[l];
      const nOut = this.sizes[l + 1];
      const w = this.weight(l);
      const he = this.activation === 'relu' && l < this.numLayers - 1;
      if (he) {
        const std = Math.sqrt(2 / nIn);
        for (let k = 0; k < w.length; k++) w[k] = std * rng.normal();
      } else {
        const lim = Math.sqrt(6 / (nIn + nOut));
        for (let k = 0; k < w.length; k++) w[k] = rng.uniform(-lim, lim);
      }
      this.bias(l).fill(0);
    }
  }

  /** View of layer `l`'s weights, row-major [out][in] (length sizes[l+1]*sizes[l]). */
  weight(l: number): Float32Array {
    return this.params.subarray(this._wOff[l], this._wOff[l] + this.sizes[l] * this.sizes[l + 1]);
  }

  /** View of layer `l`'s bias (length sizes[l+1]). */
  bias(l: number): Float32Array {
    return this.params.subarray(this._bOff[l], this._bOff[l] + this.sizes[l + 1]);
  }

  /** Copy the parameters into `out` (allocated when omitted) and return it. */
  getParams(out: Float32Array = new Float32Array(this.numParams)): Float32Array {
    if (out.length !== this.numParams) {
      throw new MlpError('LENGTH_MISMATCH', 'getParams target has the wrong length', { field: 'out', got: out.length, expected: this.numParams });
    }
    out.set(this.params);
    return out;
  }

  /** Replace the parameters with `src`; rejects wrong lengths and bad numbers (NaN, |x| > 1e10). */
  setParams(src: ArrayLike<number>): void {
    if (src.length !== this.numParams) {
      throw new MlpError('LENGTH_MISMATCH', 'setParams source has the wrong length', { field: 'src', got: src.length, expected: this.numParams });
    }
    for (let k = 0; k < src.length; k++) {
      const v = src[k];
      if (!(Math.abs(v) <= 1e10)) {
        throw new MlpError('BAD_NUMBER', `parameter ${k} is not a finite number of sane size`, { index: k, value: v, expected: '|x| <= 1e10' });
      }
    }
    this.params.set(src);
  }

  /**
   * One sample: `input` (length inDim) -> `out` (length outDim). Allocation-free, real-time
   * safe; lengths are not checked here (size buffers from `inDim`/`outDim` at configure time).
   */
  forward(input: Float32Array, out: Float32Array): void {
    const p = this.params;
    let x = input;
    for (let l = 0; l < this.numLayers; l++) {
      const nIn = this.sizes[l];
      const nOut = this.sizes[l + 1];
      const last = l === this.numLayers - 1;
      const y = last ? out : this._act[l + 1];
      const wOff = this._wOff[l];
      const bOff = this._bOff[l];
      const act = last ? this.outputActivation : this.activation;
      for (let o = 0; o < nOut; o++) {
        let s = p[bOff + o];
        const row = wOff + o * nIn;
        for (let i = 0; i < nIn; i++) s += p[row + i] * x[i];
        y[o] = act === 'tanh' ? Math.tanh(s) : act === 'relu' ? (s > 0 ? s : 0) : s;
      }
      x = y;
    }
  }

  /** Size the batched buffers for batches of up to `n` samples (allocates only when growing). */
  reserveBatch(n: number): void {
    if (n <= this._cap) return;
    this._cap = n;
    this._bAct = [new Float32Array(0)];
    this._bDelta = [new Float32Array(0)];
    for (let l = 1; l <= this.numLayers; l++) {
      this._bAct.push(new Float32Array(n * this.sizes[l]));
      this._bDelta.push(new Float32Array(n * this.sizes[l]));
    }
    this._bGradOut = new Float32Array(n * this.outDim);
  }

  /**
   * Forward a batch: `inputs` is batchSize*inDim, row-major. Returns a view of the outputs
   * (batchSize*outDim, row-major) that stays valid until the next batched call. Keeps the
   * activations for `backwardBatch`.
   */
  forwardBatch(inputs: Float32Array, batchSize: number): Float32Array {
    if (inputs.length < batchSize * this.inDim) {
      throw new MlpError('LENGTH_MISMATCH', 'inputs shorter than batchSize*inDim', { field: 'inputs', got: inputs.length, expected: batchSize * this.inDim });
    }
    this.reserveBatch(batchSize);
    this._bInput = inputs;
    const p = this.params;
    let x = inputs;
    for (let l = 0; l < this.numLayers; l++) {
      const nIn = this.sizes[l];
      const nOut = this.sizes[l + 1];
      const y = this._bAct[l + 1];
      const wOff = this._wOff[l];
      const bOff = this._bOff[l];
      const act = l === this.numLayers - 1 ? this.outputActivation : this.activation;
      for (let b = 0; b < batchSize; b++) {
        const xb = b * nIn;
        const yb = b * nOut;
        for (let o = 0; o < nOut; o++) {
          let s = p[bOff + o];
          const row = wOff + o * nIn;
          for (let i = 0; i < nIn; i++) s += p[row + i] * x[xb + i];
          y[yb + o] = act === 'tanh' ? Math.tanh(s) : act === 'relu' ? (s > 0 ? s : 0) : s;
        }
      }
      x = y;
    }
    return this._bAct[this.numLayers].subarray(0, batchSize * this.outDim);
  }

  /**
   * Backpropagate `gradOut` = dLoss/dOutput (batchSize*outDim) through the activations kept by
   * the last `forwardBatch` of the same batch. Overwrites `grads` (the batch sum: scale inside
   * the loss, as `mseLoss` does with its mean).
   */
  backwardBatch(gradOut: Float32Array, batchSize: number): void {
    if (batchSize > this._cap || gradOut.length < batchSize * this.outDim) {
      throw new MlpError('LENGTH_MISMATCH', 'backwardBatch needs a forwardBatch of the same batch first', { field: 'gradOut', got: gradOut.length, expected: batchSize * this.outDim, reserved: this._cap });
    }
    const p = this.params;
    const g = this.grads;
    g.fill(0);
    const L = this.numLayers;
    // delta at the output: dL/dz = dL/dy * act'(z), act' written from the activation y.
    {
      const y = this._bAct[L];
      const d = this._bDelta[L];
      const n = batchSize * this.outDim;
      if (this.outputActivation === 'tanh') {
        for (let k = 0; k < n; k++) d[k] = gradOut[k] * (1 - y[k] * y[k]);
      } else {
        for (let k = 0; k < n; k++) d[k] = gradOut[k];
      }
    }
    for (let l = L - 1; l >= 0; l--) {
      const nIn = this.sizes[l];
      const nOut = this.sizes[l + 1];
      const x = l === 0 ? this._bInput : this._bAct[l];
      const d = this._bDelta[l + 1];
      const wOff = this._wOff[l];
      const bOff = this._bOff[l];
      for (let b = 0; b < batchSize; b++) {
        const xb = b * nIn;
        const db = b * nOut;
        for (let o = 0; o < nOut; o++) {
          const dv = d[db + o];
          if (dv === 0) continue;
          g[bOff + o] += dv;
          const row = wOff + o * nIn;
          for (let i = 0; i < nIn; i++) g[row + i] += dv * x[xb + i];
        }
      }
      if (l === 0) break;
      // delta for the layer below: (W^T d) * act'(x).
      const dPrev = this._bDelta[l];
      const relu = this.activation === 'relu';
      for (let b = 0; b < batchSize; b++) {
        const xb = b * nIn;
        const db = b * nOut;
        for (let i = 0; i < nIn; i++) {
          let s = 0;
          for (let o = 0; o < nOut; o++) s += p[wOff + o * nIn + i] * d[db + o];
          const a = x[xb + i];
          dPrev[xb + i] = relu ? (a > 0 ? s : 0) : s * (1 - a * a);
        }
      }
    }
  }

  /**
   * One supervised step's gradient: forward `inputs` (batchSize*inDim), compute `loss`
   * (default MSE) against `targets` (batchSize*outDim), backpropagate into `grads`.
   * Returns the loss. Does not change `params`: hand `grads` to an optimizer (`Adam.step`).
   */
  trainBatch(inputs: Float32Array, targets: Float32Array, batchSize: number, loss: LossFn = mseLoss): number {
    if (targets.length < batchSize * this.outDim) {
      throw new MlpError('LENGTH_MISMATCH', 'targets shorter than batchSize*outDim', { field: 'targets', got: targets.length, expected: batchSize * this.outDim });
    }
    const y = this.forwardBatch(inputs, batchSize);
    const gOut = this._bGradOut.subarray(0, batchSize * this.outDim);
    const value = loss(y, targets, batchSize, this.outDim, gOut);
    this.backwardBatch(gOut, batchSize);
    return value;
  }
}
