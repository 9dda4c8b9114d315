/**
 * Feature statistics as LeRobot keeps them: per episode, over its frames, per dimension: min,
 * max, mean, std (population), count, and the quantiles q01 q10 q50 q90 q99 the way LeRobot's
 * `RunningQuantileStats` computes them (lerobot/datasets/compute_stats.py): a 5000-bin histogram
 * between min − 1e-10 and max + 1e-10, the quantile found on its cumulative counts and interpolated
 * within its bin; an episode of one frame has its mean as every quantile. (Not numpy's quantile: on
 * a 50-frame episode q01 is the minimum here and in LeRobot, and half a sample inward in numpy's.)
 * The dataset's stats aggregate the episodes' as LeRobot's `aggregate_stats` does: min of mins,
 * max of maxes, count-weighted mean, the parallel variance (mean of (std² + (mean_e - mean)²)
 * weighted by count), and count-weighted quantiles.
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

/** LeRobot's RunningQuantileStats bins. */
export const QUANTILE_BINS = 5000;

/** Stats of `rows` frames of `dim` values each, row-major in `data` (booleans as 0/1). */
export function columnStats(data: ArrayLike<number>, rows: number, dim: number): FeatureStats {
  const s: FeatureStats = { min: [], max: [], mean: [], std: [], count: [rows], q01: [], q10: [], q50: [], q90: [], q99: [] };
  const col = new Float64Array(rows);
  const hist = new Float64Array(QUANTILE_BINS);
  const edges = new Float64Array(QUANTILE_BINS + 1);
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
    if (rows < 2) QUANTILE_KEYS.forEach((k) => s[k].push(mean));
    else {
      histogram(col, min - 1e-10, max + 1e-10, hist, edges);
      QUANTILES.forEach((q, i) => s[QUANTILE_KEYS[i]].push(histogramQuantile(hist, edges, q * rows)));
    }
  }
  return s;
}

/** numpy.histogram(values, bins=numpy.linspace(lo, hi, bins + 1)): [e_i, e_i+1) per bin, the last closed. */
function histogram(values: Float64Array, lo: number, hi: number, hist: Float64Array, edges: Float64Array): void {
  const bins = hist.length;
  const step = (hi - lo) / bins;
  for (let i = 0; i <= bins; i++) edges[i] = lo + i * step;
  edges[bins] = hi;
  hist.fill(0);
  for (const x of values) {
    if (!(x >= lo && x <= hi)) continue; // NaN: counted nowhere, as numpy
    // The bin by arithmetic, then settled against the edges themselves.
    let b = Math.min(bins - 1, Math.floor((x - lo) / step));
    while (b > 0 && x < edges[b]) b--;
    while (b < bins - 1 && x >= edges[b + 1]) b++;
    hist[b]++;
  }
}

/** LeRobot's RunningQuantileStats._compute_single_quantile: the bin where the cumulative count reaches `target`, interpolated within it. */
export function histogramQuantile(hist: Float64Array, edges: Float64Array, target: number): number {
  let cum = 0;
  for (let i = 0; i < hist.length; i++) {
    const before = cum;
    cum += hist[i];
    if (cum >= target) {
      if (i === 0) return edges[0];
      const inBin = cum - before;
      if (inBin === 0) return edges[i];
      return edges[i] + ((target - before) / inBin) * (edges[i + 1] - edges[i]);
    }
  }
  return edges[edges.length - 1];
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

/**
 * The dataset's stats kept up to date episode by episode, so that a save costs the same at
 * episode 1,000 as at episode 1 (review R17 F6: re-aggregating every episode per save made a long
 * eval's saves O(N²)). min, max, the count-weighted mean and quantiles are summed in episode order
 * exactly as `aggregateStats` sums them (the same values); the variance is merged pairwise (Chan et
 * al.'s parallel update of count, mean and the sum of squared deviations), the same quantity as
 * `aggregateStats`'s parallel variance up to rounding.
 */
export class RunningStats {
  private readonly acc = new Map<string, { dim: number; total: number; min: Float64Array; max: Float64Array; sumMean: Float64Array; mean: Float64Array; m2: Float64Array; q: Float64Array[] }>();

  add(s: StatsByFeature): void {
    for (const [k, p] of Object.entries(s)) {
      const n = p.count[0];
      let a = this.acc.get(k);
      if (a === undefined) {
        const dim = p.mean.length;
        const z = () => new Float64Array(dim);
        a = { dim, total: 0, min: z().fill(Infinity), max: z().fill(-Infinity), sumMean: z(), mean: z(), m2: z(), q: QUANTILE_KEYS.map(z) };
        this.acc.set(k, a);
      }
      const total = a.total + n;
      for (let d = 0; d < a.dim; d++) {
        if (p.min[d] < a.min[d]) a.min[d] = p.min[d];
        if (p.max[d] > a.max[d]) a.max[d] = p.max[d];
        a.sumMean[d] += p.mean[d] * n;
        const delta = p.mean[d] - a.mean[d];
        a.m2[d] += p.std[d] ** 2 * n + (delta * delta * a.total * n) / total;
        a.mean[d] += (delta * n) / total;
        QUANTILE_KEYS.forEach((q, i) => (a.q[i][d] += p[q][d] * n));
      }
      a.total = total;
    }
  }

  /** The aggregate so far (as `aggregateStats` of every episode added). */
  result(): StatsByFeature {
    const out: StatsByFeature = {};
    for (const [k, a] of this.acc) {
      const t = a.total;
      const agg: FeatureStats = { min: [...a.min], max: [...a.max], mean: [], std: [], count: [t], q01: [], q10: [], q50: [], q90: [], q99: [] };
      for (let d = 0; d < a.dim; d++) {
        agg.mean.push(a.sumMean[d] / t);
        agg.std.push(Math.sqrt(a.m2[d] / t));
      }
      QUANTILE_KEYS.forEach((q, i) => (agg[q] = Array.from(a.q[i], (x) => x / t)));
      out[k] = agg;
    }
    return out;
  }
}
