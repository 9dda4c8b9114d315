import { describe, expect, it } from 'vitest';
import { Adam } from '../../models/train/adam.ts';
import { Mlp, MlpError } from '../../models/train/mlp.ts';
import type { HiddenActivation, OutputActivation } from '../../models/train/mlp.ts';
import { Rng } from '../../src/core/rng.ts';

/** Independent float64 forward pass reading the flat params (layout: W [out][in], then b, per layer). */
function refForward(sizes: readonly number[], act: HiddenActivation, outAct: OutputActivation, p: ArrayLike<number>, x: ArrayLike<number>): number[] {
  let h = Array.from(x);
  let off = 0;
  for (let l = 0; l < sizes.length - 1; l++) {
    const nIn = sizes[l];
    const nOut = sizes[l + 1];
    const bOff = off + nIn * nOut;
    const y: number[] = [];
    for (let o = 0; o < nOut; o++) {
      let s = p[bOff + o];
      for (let i = 0; i < nIn; i++) s += p[off + o * nIn + i] * h[i];
      const a = l === sizes.length - 2 ? outAct : act;
      y.push(a === 'tanh' ? Math.tanh(s) : a === 'relu' ? Math.max(0, s) : s);
    }
    off = bOff + nOut;
    h = y;
  }
  return h;
}

function refMse(m: Mlp, p: ArrayLike<number>, xs: Float32Array, ts: Float32Array, batch: number): number {
  let sum = 0;
  for (let b = 0; b < batch; b++) {
    const y = refForward(m.sizes, m.activation, m.outputActivation, p, xs.subarray(b * m.inDim, (b + 1) * m.inDim));
    for (let o = 0; o < m.outDim; o++) sum += (y[o] - ts[b * m.outDim + o]) ** 2;
  }
  return sum / (batch * m.outDim);
}

describe('Mlp', () => {
  it('lays out parameters as W[out][in] then bias, per layer', () => {
    const m = new Mlp([3, 4, 2], 'tanh', 'identity', new Rng(1));
    expect(m.numParams).toBe(3 * 4 + 4 + 4 * 2 + 2);
    expect(m.weight(0).byteOffset).toBe(0);
    expect(m.bias(0).byteOffset).toBe(12 * 4);
    expect(m.weight(1).byteOffset).toBe(16 * 4);
    expect(m.bias(1).byteOffset).toBe(24 * 4);
    expect(Array.from(m.bias(0))).toEqual([0, 0, 0, 0]);
  });

  it('initialises deterministically from the seed (Xavier for tanh, He for relu)', () => {
    const a = new Mlp([8, 64, 2], 'relu', 'identity', new Rng(9));
    const b = new Mlp([8, 64, 2], 'relu', 'identity', new Rng(9));
    expect(a.params).toEqual(b.params);
    const w0 = a.weight(0);
    let s2 = 0;
    for (const v of w0) s2 += v * v;
    // He: variance 2/fanIn = 0.25
    expect(Math.abs(s2 / w0.length - 0.25)).toBeLessThan(0.05);
    const lim = Math.sqrt(6 / (64 + 2));
    for (const v of a.weight(1)) expect(Math.abs(v)).toBeLessThanOrEqual(lim);
  });

  it.each([
    ['tanh', 'identity'],
    ['tanh', 'tanh'],
    ['relu', 'identity'],
    ['relu', 'tanh'],
  ] as const)('forward (%s, %s) matches a float64 reference and forwardBatch', (act, outAct) => {
    const rng = new Rng(2);
    const m = new Mlp([5, 7, 6, 3], act, outAct, rng);
    for (let k = 0; k < m.numParams; k++) m.params[k] += 0.05 * rng.normal(); // non-zero biases
    const batch = 9;
    const xs = new Float32Array(batch * 5).map(() => rng.uniform(-2, 2));
    const yb = m.forwardBatch(xs, batch);
    const y = new Float32Array(3);
    for (let b = 0; b < batch; b++) {
      const x = xs.subarray(b * 5, b * 5 + 5);
      m.forward(x, y);
      const ref = refForward(m.sizes, act, outAct, m.params, x);
      for (let o = 0; o < 3; o++) {
        expect(Math.abs(y[o] - ref[o])).toBeLessThan(1e-5);
        expect(yb[b * 3 + o]).toBe(y[o]);
      }
    }
  });

  it.each([
    ['tanh', 'identity', 1],
    ['tanh', 'tanh', 2],
    ['relu', 'identity', 3],
    ['relu', 'tanh', 4],
  ] as const)('backprop gradient (%s, %s) matches central finite differences', (act, outAct, seed) => {
    const rng = new Rng(100 + seed);
    const m = new Mlp([4, 8, 6, 2], act, outAct, rng);
    for (let k = 0; k < m.numParams; k++) m.params[k] += 0.1 * rng.normal();
    const batch = 5;
    const xs = new Float32Array(batch * 4).map(() => rng.uniform(-1.5, 1.5));
    const ts = new Float32Array(batch * 2).map(() => rng.uniform(-1, 1));
    const loss = m.trainBatch(xs, ts, batch);
    expect(Math.abs(loss - refMse(m, m.params, xs, ts, batch))).toBeLessThan(1e-5 * Math.max(1, loss));
    const g = Float64Array.from(m.grads);

    const p = Float64Array.from(m.params);
    const eps = 1e-4;
    let num = 0;
    let den = 0;
    let worst = 0;
    for (let k = 0; k < p.length; k++) {
      const saved = p[k];
      p[k] = saved + eps;
      const lp = refMse(m, p, xs, ts, batch);
      p[k] = saved - eps;
      const lm = refMse(m, p, xs, ts, batch);
      p[k] = saved;
      const fd = (lp - lm) / (2 * eps);
      num += (g[k] - fd) ** 2;
      den += g[k] ** 2 + fd ** 2;
      worst = Math.max(worst, Math.abs(g[k] - fd) / Math.max(1e-3, Math.abs(g[k]) + Math.abs(fd)));
    }
    // Relative error of the whole gradient vector, and of the worst single entry.
    expect(Math.sqrt(num / den)).toBeLessThan(1e-4);
    expect(worst).toBeLessThan(1e-3);
  });

  it('Adam fits y = sin(x) on 256 points to low loss, deterministically', () => {
    function fit(seed: number): { params: Float32Array; loss: number; first: number } {
      const rng = new Rng(seed);
      const n = 256;
      const xs = new Float32Array(n);
      const ys = new Float32Array(n);
      for (let k = 0; k < n; k++) {
        xs[k] = -Math.PI + (2 * Math.PI * k) / (n - 1);
        ys[k] = Math.sin(xs[k]);
      }
      const m = new Mlp([1, 32, 32, 1], 'tanh', 'identity', rng);
      const opt = new Adam(m.params, { lr: 3e-3 });
      const bs = 32;
      const order = Int32Array.from({ length: n }, (_, i) => i);
      const bx = new Float32Array(bs);
      const by = new Float32Array(bs);
      m.reserveBatch(n);
      const first = m.trainBatch(xs, ys, n);
      for (let epoch = 0; epoch < 150; epoch++) {
        rng.shuffle(order);
        for (let s = 0; s + bs <= n; s += bs) {
          for (let j = 0; j < bs; j++) {
            bx[j] = xs[order[s + j]];
            by[j] = ys[order[s + j]];
          }
          m.trainBatch(bx, by, bs);
          expect(opt.step(m.grads)).toBe(true);
        }
      }
      return { params: m.getParams(), loss: m.trainBatch(xs, ys, n), first };
    }
    const a = fit(1234);
    const b = fit(1234);
    expect(a.first).toBeGreaterThan(0.05);
    expect(a.loss).toBeLessThan(1e-3);
    expect(Buffer.from(a.params.buffer).equals(Buffer.from(b.params.buffer))).toBe(true);
    expect(a.loss).toBe(b.loss);
  });

  it('forward does not allocate per call (same output buffers, stable results)', () => {
    const m = new Mlp([4, 32, 32, 1], 'tanh', 'tanh', new Rng(1));
    const x = new Float32Array([0.1, 0.2, -0.3, 0.4]);
    const y1 = new Float32Array(1);
    const y2 = new Float32Array(1);
    m.forward(x, y1);
    for (let k = 0; k < 1000; k++) m.forward(x, y2);
    expect(y2[0]).toBe(y1[0]);
  });

  it('raises typed errors for bad sizes, wrong lengths and bad numbers', () => {
    const m = new Mlp([2, 3, 1], 'tanh', 'identity', new Rng(1));
    const codeOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof MlpError ? e.code : 'other';
      }
      return undefined;
    };
    expect(codeOf(() => new Mlp([2], 'tanh', 'identity', new Rng(1)))).toBe('BAD_SIZES');
    expect(codeOf(() => new Mlp([2, 0, 1], 'tanh', 'identity', new Rng(1)))).toBe('BAD_SIZES');
    expect(codeOf(() => new Mlp([2, 1], 'sigmoid' as 'tanh', 'identity', new Rng(1)))).toBe('BAD_ACTIVATION');
    expect(codeOf(() => m.setParams(new Float32Array(3)))).toBe('LENGTH_MISMATCH');
    const bad = m.getParams();
    bad[4] = Number.NaN;
    expect(codeOf(() => m.setParams(bad))).toBe('BAD_NUMBER');
    expect(codeOf(() => m.trainBatch(new Float32Array(2), new Float32Array(1), 2))).toBe('LENGTH_MISMATCH');
    const good = m.getParams().map((v) => v * 2);
    m.setParams(good);
    expect(m.params).toEqual(good);
  });
});
