/** Percentiles of one quantity, µs. */
export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

/**
 * Per-tick timings kept in preallocated rings (the newest `capacity` ticks), summarised at the
 * end of a run. record() is on the tick and allocates nothing.
 */
export class LoopStats {
  ticks = 0;
  overruns = 0;
  private readonly lateness: Float64Array;
  private readonly stages: Float64Array[];
  private wallStart = 0;
  private wallEnd = 0;

  constructor(
    readonly stageNames: readonly string[],
    private readonly capacity = 200_000,
  ) {
    this.lateness = new Float64Array(capacity);
    this.stages = stageNames.map(() => new Float64Array(capacity));
  }

  start(wallNow: number): void {
    this.wallStart = wallNow;
    this.wallEnd = wallNow;
  }

  /** One tick: lateness (s, signed; the period error is its magnitude) against its deadline and each stage's duration (s), in stageNames order. */
  record(lateness: number, stageS: Float64Array, wallNow: number): void {
    const i = this.ticks % this.capacity;
    this.lateness[i] = Math.abs(lateness);
    for (let s = 0; s < this.stages.length; s++) this.stages[s][i] = stageS[s];
    this.ticks++;
    this.wallEnd = wallNow;
  }

  /** Achieved tick rate over wall time (Hz). */
  rateHz(): number {
    const span = this.wallEnd - this.wallStart;
    return span > 0 ? this.ticks / span : 0;
  }

  periodErrorUs(): Percentiles {
    return percentilesUs(this.lateness.subarray(0, Math.min(this.ticks, this.capacity)));
  }

  stageUs(): Record<string, { p50: number; p99: number }> {
    const n = Math.min(this.ticks, this.capacity);
    const out: Record<string, { p50: number; p99: number }> = {};
    this.stageNames.forEach((name, s) => {
      const p = percentilesUs(this.stages[s].subarray(0, n));
      out[name] = { p50: p.p50, p99: p.p99 };
    });
    return out;
  }
}

/** Nearest-rank percentiles of values in seconds, returned in µs rounded to 0.1. */
export function percentilesUs(values: Float64Array): Percentiles {
  if (values.length === 0) return { p50: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  const us = (s: number) => Math.round(s * 1e7) / 10;
  return { p50: us(at(0.5)), p99: us(at(0.99)), max: us(sorted[sorted.length - 1]) };
}
