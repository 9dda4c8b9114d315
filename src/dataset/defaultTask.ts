/**
 * The task text of a run's episodes when `--task` is not given: one rule for `--dataset` and
 * `axon export lerobot` of the same run's recording, so that both put its episodes under one task
 * (docs/dataset.md "Tasks").
 */
import { defaultTask } from './provenance.ts';

/**
 * `teleop (<follower>)` for `axon teleop`, `<model> (<robot>)` for `axon run` (the policy's
 * manifest name), `<task> (<robot>)` for `sim` and `eval`; the robot alone when there is neither.
 */
export function runDefaultTask(o: { readonly command?: string; readonly robot: string; readonly model?: string; readonly task?: string }): string {
  if (o.command === 'teleop') return defaultTask(o.robot, 'teleop');
  if (o.command === 'run') return defaultTask(o.robot, o.model);
  return defaultTask(o.robot, o.task);
}
