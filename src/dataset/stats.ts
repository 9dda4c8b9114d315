/**
 * Feature statistics as LeRobot keeps them: per episode, over its frames, per dimension: min,
 * max, mean, std (population), count, and the quantiles q01 q10 q50 q90 q99 (linear
 * interpolation, numpy's default). The dataset's stats aggregate the episodes' as LeRobot's
 * `aggregate_stats` does: min of mins, max of maxes, count-weighted mean, the parallel variance
 * (mean of (std² + (mean_e - mean)²) weighted by count), and count-weighted quantiles.
 */
import { QUANTILES, QUANTILE_KEYS } from './format.ts';

export interface FeatureStats {
  min: number[];
  max: number[];
  mean: number[];
  std: number[];
  count: number[];
  q01: number[];
  q10: number[];
  q50: number[];
  q90: number[];
  q99: number[];
}
export type StatsByFeature = Record<string, FeatureStats>;
export const STAT_KEYS = ['min', 'max', 'mean', 'std', 'count', ...QUANTILE_KEYS] as const;

/** Stats of `rows` frames of `dim` values each, row-major in `data` (booleans as 0/1). */
export function columnStats(data: ArrayLike<number>, rows: number, dim: number): FeatureStats {
  const s: FeatureStats = { min: [], max: [], mean: [], std: [], count: [rows], q01: [], q10: [], q50: [], q90: [], q99: [] };
  const col = new Float64Array(rows);
  for (let d = 0; d < dim; d++) {
    let min = Infinity, max = -Infinity, sum = 0;
    for (let r = 0; r < rows; r++) {
      const x = data[r * dim + d];
      col[r] = x;
      if (x < min) min = x;
      if (x > max) max = x;
      sum += x;
    }
    const mean = sum / rows;
    let v = 0;
    for (let r = 0; r < rows; r++) v += (col[r] - mean) ** 2;
    s.min.push(min);
    s.max.push(max);
    s.mean.push(mean);
    s.std.push(Math.sqrt(v / rows));
    col.sort();
    QUANTILES.forEach((q, i) => s[QUANTILE_KEYS[i]].push(quantileSorted(col, q)));
  }
  return s;
}

/** numpy.quantile(method='linear') of an ascending array. */
export function quantileSorted(a: Float64Array, q: number): number {
  const n = a.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return a[lo] + (h - lo) * (a[hi] - a[lo]);
}

/** The dataset's stats from its episodes' (LeRobot's aggregate_stats, quantiles count-weighted). */
export function aggregateStats(list: readonly StatsByFeature[]): StatsByFeature {
  const out: StatsByFeature = {};
  const keys = new Set(list.flatMap((s) => Object.keys(s)));
  for (const k of keys) {
    const parts = list.map((s) => s[k]).filter((s): s is FeatureStats => s !== undefined);
    const dim = parts[0].mean.length;
    const total = parts.reduce((a, p) => a + p.count[0], 0);
    const agg: FeatureStats = { min: [], max: [], mean: [], std: [], count: [total], q01: [], q10: [], q50: [], q90: [], q99: [] };
    for (let d = 0; d < dim; d++) {
      let min = Infinity, max = -Infinity, m = 0;
      for (const p of parts) {
        if (p.min[d] < min) min = p.min[d];
        if (p.max[d] > max) max = p.max[d];
        m += p.mean[d] * p.count[0];
      }
      m /= total;
      let v = 0;
      for (const p of parts) v += (p.std[d] ** 2 + (p.mean[d] - m) ** 2) * p.count[0];
      agg.min.push(min);
      agg.max.push(max);
      agg.mean.push(m);
      agg.std.push(Math.sqrt(v / total));
      for (const q of QUANTILE_KEYS) agg[q].push(parts.reduce((a, p) => a + p[q][d] * p.count[0], 0) / total);
    }
    out[k] = agg;
  }
  return out;
}
