import type { ControlLoop } from '../loop/ControlLoop.ts';
import { round } from './summary.ts';

/** What `--async` reports (`async_policy` in the JSON summary of `axon sim` and `axon run`, docs/byom.md). */
export interface ActionAgeCounts {
  max: number;
  sum: number;
  n: number;
  inferMaxS: number;
}

export function actionAgeCounts(): ActionAgeCounts {
  return { max: 0, sum: 0, n: 0, inferMaxS: 0 };
}

/** --async: how old the actions were and how long inference took, sampled per tick (no allocation). */
export function countActionAge(loop: ControlLoop, age: ActionAgeCounts): void {
  loop.records$.subscribe((rec) => {
    age.n++;
    age.sum += rec.actionAge;
    if (rec.actionAge > age.max) age.max = rec.actionAge;
    if (rec.inferenceS > age.inferMaxS) age.inferMaxS = rec.inferenceS;
  });
}

export function asyncSummary(age: ActionAgeCounts) {
  return { action_age_ticks: { mean: round(age.sum / Math.max(1, age.n), 2), max: age.max }, inference_us_max: round(age.inferMaxS * 1e6, 1) };
}
