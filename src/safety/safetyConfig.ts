import { AxonError } from '../core/errors.ts';
import { defaultSafetyConfig, SIM_POSITION_MARGIN, type SafetyConfig } from './types.ts';

/** A SafetyConfig with every value decided (SafetySupervisor.config). */
export type ResolvedSafetyConfig = SafetyConfig & { readonly positionMargin: number; readonly jumpFactor: number };

/**
 * defaultSafetyConfig overridden by `config` (a live run passes liveSafetyConfig: docs/safety.md),
 * the impossible-reading checks off unless set, every value checked.
 * Configure time.
 * @throws AxonError SAFETY_CONFIG naming the value that cannot be used and what is expected
 */
export function resolveSafetyConfig(period: number, config: Partial<SafetyConfig>): ResolvedSafetyConfig {
  const merged = { ...defaultSafetyConfig, ...config };
  const c: ResolvedSafetyConfig = { ...merged, positionMargin: merged.positionMargin ?? SIM_POSITION_MARGIN, jumpFactor: merged.jumpFactor ?? Infinity };
  const fail = (k: string, v: unknown, expected: string) => {
    throw new AxonError('SAFETY_CONFIG', k === 'period' ? k : `safety.${k}`, `cannot use ${v}`, expected);
  };
  if (!(Number.isFinite(period) && period > 0)) fail('period', period, 'a finite tick period > 0 (s)');
  if (!(c.overspeedFactor > 1)) fail('overspeedFactor', c.overspeedFactor, 'a number > 1 (times the velocity limit), or Infinity for no check');
  for (const k of ['maxStepFraction', 'staleAfterS', 'badValue', 'stopSaturationFraction'] as const) {
    if (!(c[k] > 0)) fail(k, c[k], 'a number > 0');
  }
  if (!(c.positionMargin >= 0)) fail('positionMargin', c.positionMargin, 'a margin >= 0 (rad | m) beyond the joint limits, or Infinity for no check');
  if (!(c.jumpFactor >= 1)) fail('jumpFactor', c.jumpFactor, 'a number >= 1 (times the velocity limit), or Infinity for no check');
  const nonNegative = [
    'softStartS',
    'nonFiniteTicksToSafeStop',
    'staleTicksToSafeStop',
    'deadlineMissesToSafeStop',
    'badObservationTicksToSafeStop',
    'overspeedTicksToSafeStop',
    'badTicksWindow',
    'badTicksInWindow',
  ] as const;
  for (const k of nonNegative) {
    if (!(c[k] >= 0 && Number.isFinite(c[k]))) fail(k, c[k], 'a finite number >= 0');
  }
  if (!Number.isInteger(c.badTicksWindow) || c.badTicksInWindow > c.badTicksWindow) {
    fail('badTicksWindow', `${c.badTicksInWindow} of ${c.badTicksWindow} ticks`, 'a whole number of ticks, at least badTicksInWindow (0: off)');
  }
  return c;
}
