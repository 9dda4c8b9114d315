import { describe, expect, it } from 'vitest';
import { aggregateStats, columnStats } from '../../../src/dataset/stats.ts';

/**
 * The quantiles LeRobot writes (lerobot/datasets/compute_stats.py, RunningQuantileStats): a
 * 5000-bin histogram between min − 1e-10 and max + 1e-10, the bin where the cumulative count
 * reaches q·n, interpolated within it. The expected values below are worked by hand from that
 * rule; numpy's linear quantile of the same data would give q01 0.49, q50 24.5, q99 48.51.
 */
describe('dataset stats as LeRobot computes them', () => {
  const w = 49 / 5000; // bin width for 0..49

  it('quantiles of 0..49 (one value per bin) from the histogram rule', () => {
    const s = columnStats(Float64Array.from({ length: 50 }, (_, i) => i), 50, 1);
    expect(s.min).toEqual([0]);
    expect(s.max).toEqual([49]);
    expect(s.mean).toEqual([24.5]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt((50 * 50 - 1) / 12), 12);
    expect(s.count).toEqual([50]);
    // q·n = 0.5: the first bin already holds 1 → its lower edge, the minimum.
    expect(s.q01[0]).toBeCloseTo(0, 9);
    // q·n = 25: reached in the bin of 24 (bin 2448), one sample in it, all of it → its upper edge.
    expect(s.q50[0]).toBeCloseTo(2449 * w, 9);
    // q·n = 49.5: the last bin, half way.
    expect(s.q99[0]).toBeCloseTo(4999 * w + 0.5 * w, 9);
    expect(s.q10[0]).toBeCloseTo(409 * w, 9); // q·n = 5: the bin of 4 (bin 408), its upper edge
  });

  it('per dimension, booleans as 0/1, and one frame gives its mean as every quantile', () => {
    const done = columnStats(Float64Array.from({ length: 50 }, (_, i) => (i === 49 ? 1 : 0)), 50, 1);
    expect(done.q99[0]).toBeCloseTo(1 - 0.5 / 5000, 9); // the one 1 is in the last bin: half way through it
    expect(done.q50[0]).toBeCloseTo(0, 9); // 49 zeros in the first bin, reached there: its lower edge
    const two = columnStats([1, 10, 2, 20, 3, 30], 3, 2);
    expect(two.max).toEqual([3, 30]);
    const one = columnStats([7, -1], 1, 2);
    expect(one.q01).toEqual([7, -1]);
    expect(one.q99).toEqual([7, -1]);
  });

  it('aggregates as aggregate_stats does: quantiles weighted by count', () => {
    const a = columnStats(Float64Array.from({ length: 50 }, (_, i) => i), 50, 1);
    const b = columnStats(Float64Array.from({ length: 150 }, () => 100), 150, 1);
    const agg = aggregateStats([{ x: a }, { x: b }]).x;
    expect(agg.count).toEqual([200]);
    expect(agg.q50[0]).toBeCloseTo((a.q50[0] * 50 + b.q50[0] * 150) / 200, 12);
    expect(agg.min).toEqual([0]);
    expect(agg.max).toEqual([100]);
  });
});
