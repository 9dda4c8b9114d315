import { describe, expect, it } from 'vitest';
import { Adam } from '../../models/train/adam.ts';

describe('Adam', () => {
  it('minimises a quadratic and skips a step whose gradient is NaN', () => {
    const p = new Float32Array([3, -2]);
    const g = new Float32Array(2);
    const opt = new Adam(p, { lr: 0.1 });
    for (let k = 0; k < 500; k++) {
      g[0] = 2 * (p[0] - 1);
      g[1] = 2 * (p[1] + 0.5);
      opt.step(g);
    }
    expect(Math.abs(p[0] - 1)).toBeLessThan(1e-2);
    expect(Math.abs(p[1] + 0.5)).toBeLessThan(1e-2);
    const before = Float32Array.from(p);
    g[0] = Number.NaN;
    expect(opt.step(g)).toBe(false);
    expect(opt.badSteps).toBe(1);
    expect(p).toEqual(before);
  });
});
