/**
 * Replay of a recording: its summary, and a re-run of a policy on the recorded observations.
 *
 * comparePolicy() feeds every recorded observation, in order, through the new model's own
 * observation builder (its own history and last-action feedback) and policy, maps the result to a
 * joint command in the robot's order, and compares it with the recorded policy's action mapped the
 * same way (through the recorded manifest). The world is the recording's (open loop): this answers
 * "would the new model have decided differently here?", a regression check, not a simulation.
 */
import type { RobotSpec } from '../core/robot.ts';
import { createCommand } from '../core/robot.ts';
import { AxonError } from '../core/errors.ts';
import { ObservationBuilder } from '../model/ObservationBuilder.ts';
import { ActionMapper } from '../model/ActionMapper.ts';
import { validateManifest, type ModelManifest } from '../model/manifest.ts';
import type { Policy } from '../policy/Policy.ts';
import { percentilesUs } from '../loop/LoopStats.ts';
import type { Recording } from './readRecording.ts';

export interface JointDiff {
  readonly joint: string;
  /** Largest and mean |new - recorded| command target over the ticks (command units: rad|m, rad/s|m/s, N·m|N). */
  readonly max: number;
  readonly mean: number;
  /** Tick (seq) of the largest difference. */
  readonly maxAtSeq: number;
}

export interface PolicyDiff {
  readonly ticks: number;
  /** Command mode of the new policy and of the recorded one. */
  readonly mode: string;
  readonly recordedMode: string;
  readonly joints: JointDiff[];
  /** Largest difference over all joints. */
  readonly max: number;
  readonly warnings: string[];
}

/**
 * The recording's spec, or a clear error when it has none (RECORD_READ: every file axon --record
 * writes starts with it, so a file without it is not one, or was cut before it).
 */
export function recordedSpec(r: Recording): RobotSpec {
  if (r.spec === undefined)
    throw new AxonError('RECORD_READ', r.file, `has no ${'axon.robot_spec'} metadata${r.unreadableFrom !== undefined ? `: unreadable from byte ${r.unreadableFrom}, before it` : r.truncated ? `: the file ends before it, after ${r.bytes} bytes, without its MCAP footer (a killed run or a cut copy)` : ''}`, 'a recording written by axon --record');
  // A robot that reported its base's centre of mass, in a file that did not keep it (a dataset):
  // the replayed robot does not give it, so a model that reads it is refused, not fed undefined.
  const base = r.ticks[0]?.observation.base;
  if (r.spec.sensors.baseCom === true && base?.comLinearVelocity === undefined) return { ...r.spec, sensors: { ...r.spec.sensors, baseCom: false } };
  return r.spec;
}

/**
 * What `axon replay FILE` refuses before summarising (RECORD_READ, exit 2), as `export` refuses it:
 * a file without the robot spec (recordedSpec), and one whose read stopped before its footer with
 * no complete tick (a run killed in its first second, a cut copy, a first chunk unreadable). A whole
 * file with no tick (a run that ended before its first) is a recording and is summarised.
 */
export function assertRecording(r: Recording): void {
  recordedSpec(r);
  if (r.truncated && r.ticks.length === 0)
    throw new AxonError(
      'RECORD_READ',
      r.file,
      `has no complete tick: ${r.unreadableFrom !== undefined ? `unreadable from byte ${r.unreadableFrom}` : `the file ends after ${r.bytes} bytes without its MCAP footer (a killed run or a cut copy)`}`,
      'a recording with at least one complete tick',
    );
}

/** The recording's model manifest, validated. */
export function recordedManifest(r: Recording): ModelManifest {
  if (r.manifest === undefined) throw new AxonError('RECORD_READ', r.file, 'has no axon.model_manifest metadata', 'a recording written by axon --record with a policy');
  return validateManifest(r.manifest, `${r.file} (axon.model_manifest)`);
}

/**
 * Re-runs `policy` (described by `manifest`) on the recorded observations and reports, per robot
 * joint, how its commands differ from the recorded policy's. Zero for the same deterministic policy.
 */
export async function comparePolicy(r: Recording, manifest: ModelManifest, policy: Policy): Promise<PolicyDiff> {
  const spec = recordedSpec(r);
  const warnings: string[] = [];
  const builder = new ObservationBuilder(manifest, spec);
  const mapper = new ActionMapper(manifest, spec);
  // A dataset keeps the command sent, not the raw action: compare with it (the recorded safety included).
  const bySent = r.actionReference === 'sent';
  const refMapper = bySent ? mapper : new ActionMapper(recordedManifest(r), spec);
  const n = spec.joints.length;
  const cmd = createCommand(spec, mapper.mode);
  const ref = createCommand(spec, bySent ? (r.ticks[0]?.sent.mode ?? mapper.mode) : refMapper.mode);
  const max = new Float64Array(n), sum = new Float64Array(n), maxAt = new Float64Array(n).fill(-1);
  policy.reset();
  builder.reset();
  let gaps = 0;
  let prevSeq = -1;
  for (const t of r.ticks) {
    if (prevSeq >= 0 && t.seq !== prevSeq + 1) gaps++;
    prevSeq = t.seq;
    // The operator's velocity command the recorded tick used (locomotion policies): the new policy sees it too.
    if (t.velocityCommand) builder.velocityCommand.set(t.velocityCommand);
    const input = builder.build(t.observation, mapper.feedback);
    const raw = await policy.act(input);
    mapper.map(raw, cmd);
    if (bySent) ref.target.set(t.sent.target);
    else refMapper.map(t.raw, ref);
    for (let j = 0; j < n; j++) {
      const a = cmd.target[j], b = ref.target[j];
      const d = Number.isNaN(a) && Number.isNaN(b) ? 0 : Math.abs(a - b);
      const dd = Number.isNaN(d) ? Infinity : d;
      if (dd > max[j] || maxAt[j] < 0) {
        max[j] = dd;
        maxAt[j] = t.seq;
      }
      sum[j] += dd;
    }
  }
  if (gaps > 0) warnings.push(`${gaps} gap(s) in the recorded ticks: history and last-action terms restart from the recording there`);
  const period = r.run.period_s;
  if (typeof period === 'number' && Math.abs(period * manifest.control_hz - 1) > 1e-6)
    warnings.push(`the new policy runs at ${manifest.control_hz} Hz and the recording at ${Math.round(1 / period)} Hz: it sees one observation per recorded tick`);
  if (mapper.mode !== ref.mode) warnings.push(`the new policy commands ${mapper.mode} and the recorded one ${ref.mode}: the differences mix units`);
  const count = r.ticks.length;
  const joints = spec.joints.map((j, i) => ({ joint: j.name, max: max[i], mean: count > 0 ? sum[i] / count : 0, maxAtSeq: maxAt[i] }));
  return { ticks: count, mode: mapper.mode, recordedMode: bySent ? `${ref.mode} (sent after safety)` : refMapper.mode, joints, max: joints.reduce((m, j) => Math.max(m, j.max), 0), warnings };
}

/** What `axon replay FILE` prints: the run, its loop timings, safety, channels, warnings. */
export function recordingSummary(r: Recording) {
  const n = r.ticks.length;
  const first = r.ticks[0];
  const last = r.ticks[n - 1];
  const period = typeof r.run.period_s === 'number' ? r.run.period_s : undefined;
  let gaps = 0;
  for (let i = 1; i < n; i++) if (r.ticks[i].seq !== r.ticks[i - 1].seq + 1) gaps++;
  const late = Float64Array.from(r.ticks, (t) => Math.abs(t.latenessUs) / 1e6);
  const stages: Record<string, { p50: number; p99: number }> = {};
  const names = Array.isArray(r.run.stage_names) ? (r.run.stage_names as string[]) : Object.keys(first?.stageUs ?? {});
  for (const s of names) {
    const p = percentilesUs(Float64Array.from(r.ticks, (t) => (t.stageUs[s] ?? 0) / 1e6));
    stages[s] = { p50: p.p50, p99: p.p99 };
  }
  const events: Record<string, number> = {};
  for (const e of r.events) events[e.kind] = (events[e.kind] ?? 0) + 1;
  return {
    command: 'replay',
    file: r.file,
    bytes: r.bytes,
    run: r.run,
    robot: r.spec?.name,
    // The physics engine of a simulated run ('cannon' | 'mujoco', from the run metadata); null when not recorded (a real robot, an older file).
    physics: typeof r.run.physics === 'string' ? r.run.physics : null,
    policy: (r.manifest as { name?: string } | undefined)?.name,
    ticks: n,
    first_seq: first?.seq ?? null,
    last_seq: last?.seq ?? null,
    gaps,
    duration_s: n > 0 ? round(last.time - first.time + (period ?? 0), 6) : 0,
    loop: { period_error_us: percentilesUs(late), stage_us: stages },
    episode: { return: last ? round(last.episodeReturn, 4) : null, terminated: last?.terminated ?? false },
    safety: { final_state: last?.safetyState ?? null, events },
    ...(r.worldModel
      ? { world_model: { mode: r.worldModel.mode, horizon: r.worldModel.horizon, dt: r.worldModel.dt, state: r.worldModel.stateNames, predicted_ticks: r.ticks.filter((t) => t.predicted).length } }
      : {}),
    ...velocityCommandSummary(r),
    channels: r.channels,
    chunks: r.chunks,
    compression: r.compression,
    truncated: r.truncated,
    // The read stopped at a record it could not read (a chunk failing its CRC): where that record starts.
    ...(r.unreadableFrom !== undefined ? { unreadable_from: r.unreadableFrom } : {}),
    warnings: r.warnings,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * The recorded velocity command (a run with one): its first and last value, how many times it
 * changed, and its extent per axis (vx, vy m/s; wz rad/s). Empty when the recording has none.
 */
function velocityCommandSummary(r: Recording) {
  const cmds = r.ticks.map((t) => t.velocityCommand).filter((c): c is readonly [number, number, number] => c !== undefined);
  if (cmds.length === 0) return {};
  let changes = 0;
  const min = [...cmds[0]], max = [...cmds[0]];
  for (let i = 1; i < cmds.length; i++) {
    const a = cmds[i - 1], c = cmds[i];
    if (a[0] !== c[0] || a[1] !== c[1] || a[2] !== c[2]) changes++;
    for (let k = 0; k < 3; k++) {
      if (c[k] < min[k]) min[k] = c[k];
      if (c[k] > max[k]) max[k] = c[k];
    }
  }
  const r4 = (v: readonly number[]) => v.map((x) => round(x, 4));
  return { velocity_command: { ticks: cmds.length, first: r4(cmds[0]), last: r4(cmds[cmds.length - 1]), changes, min: r4(min), max: r4(max) } };
}
