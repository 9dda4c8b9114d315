import type { LoopStats } from '../loop/LoopStats.ts';
import type { SafetySupervisor } from '../safety/SafetySupervisor.ts';

/** The `loop` object of the JSON summary. */
export function loopSummary(stats: LoopStats) {
  return {
    rate_hz: round(stats.rateHz(), 1),
    period_error_us: stats.periodErrorUs(),
    overruns: stats.overruns,
    stage_us: stats.stageUs(),
  };
}

/** The `safety` object: final state and events counted by kind (kinds that never fired are left out). */
export function safetySummary(safety: SafetySupervisor) {
  const events: Record<string, number> = {};
  for (const [k, n] of Object.entries(safety.counts)) if (n > 0) events[k] = n;
  return { state: safety.state, events };
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
