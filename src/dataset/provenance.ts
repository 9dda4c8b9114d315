/** What a dataset says made it (info.json `axon`): axon's version, the robot and model hashes. */
import type { ControlMode, RobotSpec } from '../core/robot.ts';
import { AxonError } from '../core/errors.ts';
import { sha256Json, type DatasetInfo, type Provenance, type SessionProvenance } from './format.ts';

export const AXON_VERSION = '0.1.0';

/** The task text when none is given: the task's name and the robot (`stand (humanoid)`), or the robot alone. */
export function defaultTask(robot: string, task?: string): string {
  return task ? `${task} (${robot})` : robot;
}

/** A spec as JSON with non-finite numbers as strings ("Infinity"), as recordings keep it. */
export function specJson(spec: RobotSpec): unknown {
  return JSON.parse(JSON.stringify(spec, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)));
}

/** The control mode of a manifest's action (the meaning of the `action` column: position targets, velocities or efforts). */
const MODE_OF: Record<string, ControlMode> = { joint_position: 'position', joint_position_abs: 'position', joint_velocity: 'velocity', joint_effort: 'effort' };

/**
 * The control mode a model manifest's action is sent in (its ActionMapper's), undefined when it
 * names no known action type. A run without a policy passes its mapper's manifest (a planner's
 * world model: `sim`/`eval --world-model DIR --wm-mode plan`) as provenance `mode`, so that the
 * dataset's mode is checked when it is opened, before the run (docs/dataset.md, "What an append requires").
 */
export function manifestControlMode(manifest: unknown): ControlMode | undefined {
  const type = (manifest as { action?: { type?: string } } | undefined)?.action?.type;
  return type !== undefined ? MODE_OF[type] : undefined;
}

/**
 * What made a run's episodes. `mode`: the control mode its `action` column holds (default: the
 * manifest's action type; teleoperation sends positions). `command`: the command line as typed
 * (default: this process's arguments), so that flags such as --zero-policy or --action-noise are kept.
 */
export function provenance(o: { spec: RobotSpec; period: number; model?: string; manifest?: unknown; source: string; mode?: ControlMode; command?: string }): Provenance {
  const mode = o.mode ?? manifestControlMode(o.manifest);
  return {
    axon_version: AXON_VERSION,
    robot: o.spec.name,
    robot_spec_sha256: sha256Json(o.spec),
    ...(o.manifest !== undefined ? { model: o.model ?? 'unknown', model_manifest_sha256: sha256Json(o.manifest), model_manifest: o.manifest } : {}),
    ...(mode !== undefined ? { control_mode: mode } : {}),
    period_s: o.period,
    robot_spec: specJson(o.spec),
    source: o.source,
    command: o.command ?? ['axon', ...process.argv.slice(2)].join(' '),
  };
}

/** The control mode a dataset's `action` column holds, by its provenance (undefined: not known, e.g. written before axon kept it and by no policy). */
export function controlModeOf(p: Provenance | undefined): string | undefined {
  if (p === undefined) return undefined;
  if (p.control_mode !== undefined) return p.control_mode;
  const type = (p.model_manifest as { action?: { type?: string } } | undefined)?.action?.type;
  return type !== undefined ? MODE_OF[type] : undefined;
}

/**
 * Refuses an append that would change what the dataset's episodes mean (review R13 F1, F11):
 * another robot type (the same joint names on another arm: a Koch into an SO-101 dataset), or
 * another control mode (efforts in a column of position targets). AxonError DATASET_MISMATCH
 * naming both values. Another model, a zero policy or a planner in the same mode is accepted and
 * recorded per session (`sessionProvenance`).
 */
export function checkAppendProvenance(dir: string, info: DatasetInfo, robotType: string, run: Provenance): void {
  const diffs: string[] = [];
  if (info.robot_type !== null && info.robot_type !== robotType) diffs.push(`robot_type "${info.robot_type}" in the dataset, "${robotType}" in this run`);
  const mode = modeDiff(info, controlModeOf(run));
  if (mode) diffs.push(mode);
  if (diffs.length > 0) throw mismatch(dir, diffs);
}

/**
 * The same check of a run whose mode is known only from its commands (a planner without a
 * policy: `sent.mode` of its first frame), at its first episode, before anything is written;
 * `except`: the run's own session entry (its mode being set).
 */
export function checkAppendMode(dir: string, info: DatasetInfo, mode: string, except?: SessionProvenance): void {
  const diff = modeDiff(info, mode, except);
  if (diff) throw mismatch(dir, [diff]);
}

/** The dataset's control mode (its sessions', else its first run's) against `want`: the difference, or undefined. */
function modeDiff(info: DatasetInfo, want: string | undefined, except?: SessionProvenance): string | undefined {
  const have = (info.axon?.sessions ?? []).filter((s) => s !== except).map((s) => s.control_mode).find((m) => m !== undefined) ?? controlModeOf(info.axon);
  return have !== undefined && want !== undefined && have !== want ? `control mode "${have}" in the dataset (its action column holds ${have} commands), "${want}" in this run` : undefined;
}

function mismatch(dir: string, diffs: string[]): AxonError {
  return new AxonError('DATASET_MISMATCH', dir, `this run is another kind of episode: ${diffs.join('; ')}`, 'a dataset of the same robot type and control mode (or a new folder)');
}

/** This session's entry in info.json `axon.sessions`: what made episodes first..first+count-1. */
export function sessionProvenance(p: Provenance, first: number): SessionProvenance {
  return {
    first_episode: first,
    episodes: 0,
    axon_version: p.axon_version,
    robot: p.robot,
    robot_spec_sha256: p.robot_spec_sha256,
    ...(p.model !== undefined ? { model: p.model } : {}),
    ...(p.model_manifest_sha256 !== undefined ? { model_manifest_sha256: p.model_manifest_sha256 } : {}),
    ...(controlModeOf(p) !== undefined ? { control_mode: controlModeOf(p)! } : {}),
    ...(p.source !== undefined ? { source: p.source } : {}),
    ...(p.command !== undefined ? { command: p.command } : {}),
  };
}

/** The session that made episode `k` (undefined: a dataset written before axon kept sessions, or by another writer). */
export function sessionOf(info: DatasetInfo, k: number): SessionProvenance | undefined {
  return info.axon?.sessions?.find((s) => k >= s.first_episode && k < s.first_episode + s.episodes);
}
