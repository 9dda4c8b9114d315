/** `axon eval` on this machine: src/eval's runner with the simulator's sessions (the composition root injects them). */
import { runEval as runEvalWith, type EvalOptions, type EvalSummary } from '../eval/evaluate.ts';
import { sessionSource } from './wiring.ts';

export type { EvalOptions, EvalSummary, EvalWorldModelSummary } from '../eval/evaluate.ts';

export function runEval(o: EvalOptions): Promise<EvalSummary> {
  return runEvalWith(o, sessionSource);
}
