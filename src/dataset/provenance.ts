/** What a dataset says made it (info.json `axon`): axon's version, the robot and model hashes. */
import type { RobotSpec } from '../core/robot.ts';
import { sha256Json, type Provenance } from './format.ts';

export const AXON_VERSION = '0.1.0';

/** The task text when none is given: the task's name and the robot (`stand (humanoid)`), or the robot alone. */
export function defaultTask(robot: string, task?: string): string {
  return task ? `${task} (${robot})` : robot;
}

/** A spec as JSON with non-finite numbers as strings ("Infinity"), as recordings keep it. */
export function specJson(spec: RobotSpec): unknown {
  return JSON.parse(JSON.stringify(spec, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)));
}

export function provenance(o: { spec: RobotSpec; period: number; model?: string; manifest?: unknown; source: string }): Provenance {
  return {
    axon_version: AXON_VERSION,
    robot: o.spec.name,
    robot_spec_sha256: sha256Json(o.spec),
    ...(o.manifest !== undefined ? { model: o.model ?? 'unknown', model_manifest_sha256: sha256Json(o.manifest), model_manifest: o.manifest } : {}),
    period_s: o.period,
    robot_spec: specJson(o.spec),
    source: o.source,
  };
}
