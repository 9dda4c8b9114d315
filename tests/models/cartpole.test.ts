import { describe, expect, it } from 'vitest';
import { trainCartpole } from '../../models/train/cartpole.ts';
import { mlpToOnnx, sha256Hex } from '../../models/train/onnx/writeOnnx.ts';

describe('cartpole training', () => {
  it('is deterministic under the seed and learns: more iterations, longer survival', () => {
    const lines: string[][] = [[], []];
    const a = trainCartpole({ seed: 7, iterations: 12, episodesPerEval: 1, episodeS: 3, log: (l) => lines[0].push(l) });
    const b = trainCartpole({ seed: 7, iterations: 12, episodesPerEval: 1, episodeS: 3, log: (l) => lines[1].push(l) });
    expect(sha256Hex(mlpToOnnx(a.mlp))).toBe(sha256Hex(mlpToOnnx(b.mlp)));
    expect(lines[0]).toEqual(lines[1]);
    const c = trainCartpole({ seed: 8, iterations: 2, episodesPerEval: 1, episodeS: 3 });
    expect(sha256Hex(mlpToOnnx(c.mlp))).not.toBe(sha256Hex(mlpToOnnx(a.mlp)));
    const ret = (l: string) => Number(/mean return ([\d.]+)/.exec(l)![1]);
    expect(ret(lines[0].at(-1)!)).toBeGreaterThan(ret(lines[0][0]));
  });
});
