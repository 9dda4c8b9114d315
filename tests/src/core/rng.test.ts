import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.ts';

describe('Rng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 100 }, () => a.next());
    const sb = Array.from({ length: 100 }, () => b.next());
    const sc = Array.from({ length: 100 }, () => c.next());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('next() lies in [0, 1) with mean near 1/2', () => {
    const r = new Rng(7);
    let sum = 0;
    let outside = 0;
    for (let k = 0; k < 100_000; k++) {
      const x = r.next();
      if (!(x >= 0 && x < 1)) outside++;
      sum += x;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / 100_000 - 0.5)).toBeLessThan(0.01);
  });

  it('uniform(a, b) and int(n) stay in range', () => {
    const r = new Rng(3);
    const seen = new Set<number>();
    let bad = 0;
    for (let k = 0; k < 10_000; k++) {
      const u = r.uniform(-2, 5);
      if (!(u >= -2 && u < 5)) bad++;
      const i = r.int(6);
      if (!(Number.isInteger(i) && i >= 0 && i < 6)) bad++;
      seen.add(i);
    }
    expect(bad).toBe(0);
    expect(seen.size).toBe(6);
  });

  it('normal() has mean 0 and variance 1', () => {
    const r = new Rng(11);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    let bad = 0;
    for (let k = 0; k < n; k++) {
      const x = r.normal();
      if (!Number.isFinite(x)) bad++;
      s += x;
      s2 += x * x;
    }
    expect(bad).toBe(0);
    const mean = s / n;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - mean * mean - 1)).toBeLessThan(0.02);
  });

  it('shuffle is a permutation and deterministic', () => {
    const a = new Rng(5).shuffle(Array.from({ length: 50 }, (_, i) => i));
    const b = new Rng(5).shuffle(Array.from({ length: 50 }, (_, i) => i));
    expect(a).toEqual(b);
    expect(a.slice().sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
