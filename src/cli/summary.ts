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
  // What latched the stop the run ended in (its own checks, or a request: e-stop, disarm, signal, fault).
  const c = safety.stopCause;
  return { state: safety.state, events, ...(c ? { stop: { by: c.requested ? 'request' : 'supervisor', kind: c.kind, reason: c.reason, time_s: round(c.time, 6) } } : {}) };
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
