import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Mlp } from '../../models/train/mlp.ts';
import { mlpToOnnx } from '../../models/train/onnx/writeOnnx.ts';
import { readMlpWeights } from '../../models/train/onnx/readMlp.ts';
import { Rng } from '../../src/core/rng.ts';
import { AxonError } from '../../src/core/errors.ts';

describe('readMlpWeights', () => {
  it('reads back exactly the weights mlpToOnnx wrote', () => {
    const a = new Mlp([5, 7, 3], 'tanh', 'tanh', new Rng(3));
    const b = new Mlp([5, 7, 3], 'tanh', 'tanh', new Rng(4));
    expect(b.params).not.toEqual(a.params);
    readMlpWeights(mlpToOnnx(a, { docString: 'x' }), b);
    expect(b.params).toEqual(a.params);
  });

  it('reads the shipped cartpole-balance model into its 4 -> 16 -> 1 network', () => {
    const m = new Mlp([4, 16, 1], 'tanh', 'tanh', new Rng(1));
    readMlpWeights(readFileSync('models/cartpole-balance/model.onnx'), m);
    const back = mlpToOnnx(m, { inputName: 'obs', outputName: 'action', docString: 'axon cartpole-balance: ARS-trained MLP, see models/train/cartpole.ts' });
    expect(Buffer.from(back).equals(readFileSync('models/cartpole-balance/model.onnx'))).toBe(true);
  });

  it('refuses another architecture and bytes that are not a model, naming the tensor or file', () => {
    const m = new Mlp([4, 8, 1], 'tanh', 'tanh', new Rng(1));
    const bytes = readFileSync('models/cartpole-balance/model.onnx');
    expect(() => readMlpWeights(bytes, m)).toThrow(/layers\.0\.weight: has shape \[16, 4\] \(expected a float32 tensor \[8, 4\]/);
    const e = (() => {
      try {
        readMlpWeights(bytes.subarray(0, bytes.length - 3), new Mlp([4, 16, 1], 'tanh', 'tanh', new Rng(1)), 'cut.onnx');
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(AxonError);
    expect((e as AxonError).code).toBe('ONNX_READ');
    expect((e as AxonError).where).toBe('cut.onnx');
  });
});
