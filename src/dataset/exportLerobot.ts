/**
 * `axon export lerobot`: MCAP recordings (files, or folders of them, in name order) into a
 * LeRobotDataset v3.0, one episode per recording. Every recording must be of the same robot; the
 * frames are the recorded ticks, or every k-th tick when --fps asks for a rate k times lower.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AxonError } from '../core/errors.ts';
import type { ControlMode, RobotSpec } from '../core/robot.ts';
import { readRecording, type Recording } from '../record/readRecording.ts';
import { DatasetStore, type EpisodeData } from './DatasetStore.ts';
import { runDefaultTask } from './defaultTask.ts';
import { EpisodeBuffer, LOST_SLOTS_ENDED_BY, gapEndsEpisode, episodeEndedByOf, isHeldTick, isStopTick, lostSlots, lostSlotsNotes, lostSlotsReason, type EpisodeMeta } from './EpisodeBuffer.ts';
import { ENV_STATE_FEATURE, HELD_FEATURE, featureDiff, featureSource, leftOutNotes, readsVelocityCommand, runFeatures, sha256Json, type Provenance } from './format.ts';
import { provenance } from './provenance.ts';

export interface ExportOptions {
  readonly out: string;
  readonly task?: string;
  readonly fps?: number;
  /**
   * Also write the IMU and the velocity command as `observation.environment_state` (--env-state:
   * what LeRobot's ACT and Diffusion need without images; FeatureSource.envState). A recording
   * with neither is EXPORT_INPUT naming it.
   */
  readonly envState?: boolean;
  /** The signal that asked the export to stop, once one came (export.ts installs the handler): checked between recordings. */
  readonly interrupted?: () => string | undefined;
  /** Called just before the one write begins (export.ts: a signal from then on is held until the write ends). */
  readonly beforeWrite?: () => void;
}

export interface ExportSummary {
  readonly command: 'export';
  readonly out: string;
  readonly recordings: number;
  readonly episodes_written: number;
  readonly frames_received: number;
  readonly frames_written: number;
  readonly frames_dropped: number;
  /** Recorded ticks the supervisor held in a stop, after an episode's last frame: not frames (docs/dataset.md "How an episode ended"). */
  readonly frames_held_after_stop: number;
  /**
   * Recorded ticks that are no frame because `--fps` keeps every k-th tick (their rewards are in
   * the frame before: its action held over them). received = written + dropped + held after stop + skipped by fps.
   */
  readonly frames_skipped_by_fps: number;
  /** Grid slots a live recording lost between frames; each gap ended an episode there, as --dataset does (docs/dataset.md "Lost slots"). */
  readonly slots_lost: number;
  readonly episodes_split_at_lost_slot: number;
  /** Frames written marked `axon.held` (ticks the supervisor held, degraded, before any stop), as --dataset counts them. */
  readonly frames_marked_held: number;
  /**
   * Held frames written unmarked: `--out` is a dataset written before `axon.held` existed,
   * appended to in its own schema (docs/dataset.md "Held ticks"). Part of frames_written.
   */
  readonly frames_held_unmarked: number;
  /** Facts about the append an operator should know (a column the dataset lacks), each once. */
  readonly notes: string[];
  readonly appended_to: number;
  readonly fps: number;
  readonly seconds: number;
  readonly frames_per_s: number;
  readonly warnings: string[];
}

/** The MCAP files named: files as given, folders as their *.mcap files in name order. */
export function mcapInputs(inputs: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new AxonError('EXPORT_INPUT', p, 'does not exist', 'MCAP files written by --record, or folders of them');
    }
    if (st.isDirectory()) out.push(...readdirSync(p).filter((f) => f.endsWith('.mcap')).sort().map((f) => join(p, f)));
    else out.push(p);
  }
  if (out.length === 0) throw new AxonError('EXPORT_INPUT', inputs.join(' '), 'holds no .mcap file', 'MCAP files written by --record, or folders of them');
  // An empty file is named as such (a run that failed before recording, with an axon that left one), not as "no header".
  for (const f of out)
    if (statSync(f, { throwIfNoEntry: false })?.size === 0)
      throw new AxonError('EXPORT_INPUT', f, 'is empty (0 bytes): nothing was recorded in it', 'MCAP files written by --record, or folders of them (remove the empty file, or name the others)');
  return out;
}

/** What one recording becomes, decided before anything is written. */
interface Plan {
  readonly file: string;
  readonly fps: number;
  /** Every step-th tick is a frame. */
  readonly step: number;
  /** The recorded loop rate (Hz): a live recording's lost slots are counted on its grid. */
  readonly recHz: number;
  readonly withCommand: boolean;
  readonly source: ReturnType<typeof featureSource>;
  readonly features: ReturnType<typeof runFeatures>;
  readonly spec: RobotSpec;
  readonly provenance: Provenance;
}

/** Checks one recording and decides its frames (throws EXPORT_INPUT / EXPORT_FPS naming the file). */
function planOf(file: string, rec: Recording, o: ExportOptions): Plan {
  const spec = rec.spec;
  if (spec === undefined) throw new AxonError('EXPORT_INPUT', file, 'has no axon.robot_spec metadata', 'a recording written by axon --record');
  const period = typeof rec.run.period_s === 'number' ? rec.run.period_s : undefined;
  // 1 / (1 / 49) is 49.00000000000001: a rate within 1e-9 of a whole number is that number (LeRobot's fps is an int).
  const recHz = period ? wholeHz(1 / period) : undefined;
  const want = o.fps ?? recHz;
  if (want === undefined) throw new AxonError('EXPORT_INPUT', file, 'has no loop period (axon.run period_s)', 'a recording written by axon --record, or --fps N');
  const step = recHz ? Math.round(recHz / want) : 1;
  if (recHz && (step < 1 || Math.abs(recHz / want - step) > 1e-6))
    throw new AxonError('EXPORT_FPS', '--fps', `${want} does not divide the recorded rate ${round(recHz)} Hz of ${file}`, `the recorded rate or an integer fraction of it`);
  // The velocity command is a feature when the model read one (as --dataset decides it).
  const withCommand = readsVelocityCommand(rec.manifest);
  if (withCommand && rec.ticks.some((t) => t.velocityCommand === undefined))
    throw new AxonError('EXPORT_INPUT', file, "its model reads a velocity command but the recording's ticks do not all carry one", 'a recording written by axon --record');
  if (o.envState && !spec.sensors.imu && !withCommand)
    throw new AxonError('EXPORT_INPUT', file, `--env-state: its robot ${spec.name} has no IMU and its model reads no velocity command, so there is nothing to write as ${ENV_STATE_FEATURE}`, 'a recording of a robot with an IMU or of a policy that reads a velocity command (or leave out --env-state)');
  const source = featureSource(spec, hasTask(rec), withCommand, o.envState === true);
  return { file, fps: want, step, recHz: recHz ?? want, withCommand, source, features: runFeatures(source), spec, provenance: provenanceOf(rec, spec, file) };
}

/** The control mode of a recording's commands: its first tick the supervisor neither held nor stopped (a held tick's command is the hold's). */
function recordedMode(rec: Recording): ControlMode | undefined {
  return rec.ticks.find((t) => !isHeldTick(t.safetyState) && !isStopTick(t.safetyState))?.sent.mode;
}

/**
 * Thrown when the export was interrupted (a signal) before anything was written: nothing is in
 * `--out` (docs/dataset.md "Exporting recordings").
 */
export class ExportInterrupted extends AxonError {
  constructor(
    out: string,
    readonly signal: string,
  ) {
    super('EXPORT_INTERRUPTED', out, `interrupted by ${signal} before anything was written: nothing was written`, 'the export run to its end: run it again');
  }
}

/**
 * Every recording is read and checked before anything is written, then read again into its
 * episodes' columns (frame numbers only, not the recordings); the episodes are written to the
 * dataset together at the end, in one synchronous pass that no signal cuts short. A bad input or
 * a signal (`o.interrupted` says one came) before that pass refuses the export with nothing
 * written: a rerun must not append the episodes twice.
 */
export async function exportLerobot(inputs: readonly string[], o: ExportOptions): Promise<ExportSummary> {
  const named = mcapInputs(inputs);
  const files = [...new Map(named.map((f) => [resolve(f), f])).values()];
  const t0 = performance.now();
  const warnings: string[] = [];
  // Reading a recording never waits on I/O (its awaits resolve at once), so a signal's handler runs
  // only when the event loop turns: one turn (setImmediate, after the poll that delivers signals) per check.
  const checkSignal = async () => {
    if (o.interrupted === undefined) return;
    await new Promise<void>((r) => setImmediate(r));
    const sig = o.interrupted();
    if (sig !== undefined) throw new ExportInterrupted(o.out, sig);
  };
  if (files.length < named.length) warnings.push(`${named.length - files.length} recording(s) named more than once: each exported once`);
  const plans: Plan[] = [];
  for (const file of files) {
    const plan = planOf(file, await readRecording(file), o);
    await checkSignal();
    const first = plans[0];
    if (first) {
      const diffs = featureDiff(first.features, plan.features);
      if (plan.fps !== first.fps) diffs.unshift(`fps ${first.fps} before, ${plan.fps} here`);
      // As an append (provenance.ts checkAppendProvenance): one robot type and one meaning of `action` per dataset.
      if (plan.spec.name !== first.spec.name) diffs.push(`robot_type "${first.spec.name}" before, "${plan.spec.name}" here`);
      const [m0, m1] = [first.provenance.control_mode, plan.provenance.control_mode];
      if (m0 !== undefined && m1 !== undefined && m0 !== m1) diffs.push(`control mode "${m0}" before (the action column holds ${m0} commands), "${m1}" here`);
      if (diffs.length > 0) throw new AxonError('DATASET_MISMATCH', file, `does not fit the recordings before it: ${diffs.join('; ')}`, 'recordings of one robot type at one rate, in one control mode');
      if (sha256Json(plan.spec) !== sha256Json(first.spec)) warnings.push(`${file}: the robot description differs from the first recording's (same joints and sensors)`);
    }
    plans.push(plan);
  }
  const first = plans[0];
  const n: Counts = { received: 0, written: 0, held: 0, skipped: 0, heldFrames: 0, slotsLost: 0, lostSlotSplits: 0 };
  const episodes: { data: EpisodeData; held: number; plan: Plan }[] = [];
  /** What each recording that gave no episode said of itself (a cut file: no footer, 0 ticks). */
  const empty: string[] = [];
  for (const plan of plans) {
    const rec = await readRecording(plan.file);
    await checkSignal();
    for (const w of rec.warnings) warnings.push(w);
    const before = episodes.length;
    episodesOf(plan, rec, o, n, episodes);
    if (episodes.length === before) {
      warnings.push(`${plan.file}: no complete tick, no episode written`);
      empty.push(...rec.warnings);
    }
  }
  // Nothing to write: refused before the dataset folder is made (or a dataset appended to), so that
  // `axon export ... && upload` does not upload an empty dataset (exit 2, not 0 with a warning).
  if (episodes.length === 0)
    throw new AxonError(
      'EXPORT_INPUT',
      files.join(', '),
      `no complete tick in ${files.length === 1 ? 'the recording' : `any of the ${files.length} recordings`}: nothing to export, no dataset written${empty.length > 0 ? ` (${empty.join('; ')})` : ''}`,
      'a recording with at least one complete tick',
    );
  // The one write: past here a signal is held (beforeWrite) until every episode is written.
  await checkSignal();
  o.beforeWrite?.();
  const store = await DatasetStore.open(o.out, { robotType: first.spec.name, fps: first.fps, features: first.features, provenance: first.provenance });
  const appendedTo = store.totalEpisodes;
  // A dataset written before axon.held: its episodes are written without the column (DatasetStore.leftOut).
  const heldUnmarked = store.leftOut.includes(HELD_FEATURE);
  try {
    // Every recording checked against the dataset (robot type, control mode) before anything is written.
    for (const p of plans.slice(1)) store.nextSession(p.spec.name, p.provenance, { start: false });
    // One entry in info.json axon.sessions per recording, with its own provenance.
    let plan = first;
    for (const e of episodes) {
      if (e.plan !== plan) store.nextSession(e.plan.spec.name, e.plan.provenance, { start: true });
      plan = e.plan;
      store.writeEpisode(e.data);
    }
  } finally {
    store.close();
  }
  const fps = first.fps;
  const seconds = (performance.now() - t0) / 1000;
  return {
    command: 'export',
    out: o.out,
    recordings: files.length,
    episodes_written: episodes.length,
    frames_received: n.received,
    frames_written: n.written,
    frames_dropped: 0,
    frames_held_after_stop: n.held,
    frames_skipped_by_fps: n.skipped,
    frames_marked_held: heldUnmarked ? 0 : n.heldFrames,
    frames_held_unmarked: heldUnmarked ? n.heldFrames : 0,
    slots_lost: n.slotsLost,
    episodes_split_at_lost_slot: n.lostSlotSplits,
    notes: [...leftOutNotes(o.out, store.leftOut, heldUnmarked ? n.heldFrames : 0), ...store.episodesNotes, ...lostSlotsNotes(n.slotsLost, n.lostSlotSplits)],
    appended_to: appendedTo,
    fps,
    seconds: round(seconds),
    frames_per_s: round(n.written / Math.max(seconds, 1e-9)),
    warnings,
  };
}

interface Counts {
  received: number;
  written: number;
  held: number;
  skipped: number;
  heldFrames: number;
  slotsLost: number;
  lostSlotSplits: number;
}

/** One recording's episodes (as --dataset would have written them), appended to `out`; its ticks counted in `n`. */
function episodesOf(plan: Plan, rec: Recording, o: ExportOptions, n: Counts, out: { data: EpisodeData; held: number; plan: Plan }[]): void {
  const ep = rec.episode;
  const robot = typeof rec.run.robot === 'string' ? rec.run.robot : plan.spec.name;
  const m = rec.manifest as { name?: unknown } | undefined;
  const task =
    o.task ??
    runDefaultTask({
      ...(typeof rec.run.command === 'string' ? { command: rec.run.command } : {}),
      robot,
      ...(typeof m?.name === 'string' ? { model: m.name } : {}),
      ...(typeof rec.run.task === 'string' ? { task: rec.run.task } : {}),
    });
  // As --dataset on `run`, `teleop` and a bridged `sim` (run.bridge: its URL) (DatasetWriter's splitAt): an operator's re-arm after a stop starts the next episode, and so does a gap of lost grid slots.
  const live = rec.run.command === 'run' || rec.run.command === 'teleop' || (rec.run.command === 'sim' && typeof rec.run.bridge === 'string');
  const segments = live ? resetSegments(rec.ticks) : [{ from: 0, to: rec.ticks.length }];
  const fire = (i: number) => rec.ticks[i].time + rec.ticks[i].latenessUs / 1e6;
  n.received += rec.ticks.length;
  for (let k = 0; k < segments.length; k++) {
    const { from, to } = segments[k];
    const lastSegment = k === segments.length - 1;
    // As --dataset (DatasetWriter): the ticks from the supervisor's stop on carry its hold, not the policy's command.
    let stopAt = -1;
    for (let i = from; i < to && stopAt < 0; i++) if (isStopTick(rec.ticks[i].safetyState)) stopAt = i;
    const last = stopAt < 0 ? to : stopAt;
    if (stopAt >= 0) n.held += to - stopAt;
    // Episodes within [from, last): a live run's lost slots end one and start the next (DatasetWriter.onTick).
    const cuts: { at: number; lost: number }[] = [];
    if (live) for (let i = from + 1; i < last; i++) {
      const lost = lostSlots(fire(i - 1), fire(i), plan.recHz);
      n.slotsLost += lost;
      if (gapEndsEpisode(lost, plan.recHz)) cuts.push({ at: i, lost });
    }
    let a = from;
    for (let c = 0; c <= cuts.length; c++) {
      const cut = cuts[c];
      const b = cut ? cut.at : last;
      const final = cut === undefined;
      const buf = new EpisodeBuffer(plan.source);
      // Every step-th tick is a frame; its action holds over the ticks up to the next frame, whose reward is its next.reward.
      for (let i = a; i < b; i += plan.step) {
        const t = rec.ticks[i];
        const ob = t.observation;
        buf.push({ position: ob.jointPosition, velocity: ob.jointVelocity, ...(ob.imu ? { imu: ob.imu } : {}), ...(plan.withCommand ? { velocityCommand: t.velocityCommand } : {}), action: t.sent.target, episodeReturn: t.episodeReturn, held: isHeldTick(t.safetyState) });
      }
      n.skipped += b - a - buf.length;
      // The last frame's next.reward: up to the stop tick after it, else to the episode's last tick (0 without --fps decimation), as --dataset.
      const succ = final && stopAt >= 0 ? stopAt : b - 1;
      if (b > a) buf.successor(rec.ticks[succ].episodeReturn);
      a = b;
      if (buf.length === 0) continue;
      let meta: EpisodeMeta;
      if (!final) {
        n.lostSlotSplits++;
        meta = { task, endedBy: LOST_SLOTS_ENDED_BY, stopReason: lostSlotsReason(cut.lost, plan.recHz) };
      } else {
        const stop = stopAt >= 0 ? rec.ticks[stopAt] : undefined;
        // The stop's state_change: on the stop tick, or just before it when the stop was asked off the
        // tick (Ctrl-C, an operator's e-stop, a robot fault: stamped with the tick before), as the
        // writer finds it among the stop tick's events.
        const stopReason = stop ? stopEventBefore(rec.events, stop.seq)?.reason : undefined;
        // As DatasetWriter.finish: a stop is safe_stop unless the run named a requested stop's cause; a file cut before its footer is truncated.
        // An episode split off at a re-arm has none of the run's facts (as the writer's).
        // As DatasetWriter: a sim or eval loop's last tick says whether the task ended it (a live loop runs on past it).
        const endedBy = lastSegment ? episodeEndedByOf(stop !== undefined, ep?.endedBy, rec.truncated, !live && rec.ticks[b - 1].terminated) : episodeEndedByOf(stop !== undefined, undefined);
        meta = {
          task,
          ...(lastSegment && ep?.success !== undefined ? { success: ep.success } : {}),
          ...(lastSegment && seedOf(rec) !== undefined ? { seed: seedOf(rec)! } : {}),
          ...(lastSegment && ep?.randomization ? { randomization: ep.randomization } : {}),
          ...(endedBy !== undefined ? { endedBy } : {}),
          ...(stopReason !== undefined ? { stopReason } : {}),
        };
      }
      out.push({ data: buf.take(meta), held: buf.heldFrames, plan });
      n.written += buf.length;
      n.heldFrames += buf.heldFrames;
    }
  }
}

/**
 * A live recording's episodes, as --dataset splits them (DatasetWriter's splitAt): a new one
 * starts on the first tick out of a stop (the operator's re-arm; leaving a stop is never automatic,
 * docs/architecture.md "Safety"), the ticks [from, to) of each.
 */
function resetSegments(ticks: readonly { readonly safetyState: string }[]): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  let from = 0, stopSeen = false;
  for (let i = 0; i < ticks.length; i++) {
    const stopped = isStopTick(ticks[i].safetyState);
    if (stopSeen && !stopped) {
      out.push({ from, to: i });
      from = i;
      stopSeen = false;
    }
    if (stopped) stopSeen = true;
  }
  out.push({ from, to: ticks.length });
  return out;
}

/** The last state_change into a stop at or before tick `seq`. */
function stopEventBefore<E extends { readonly seq: number; readonly kind: string; readonly state: string }>(events: readonly E[], seq: number): E | undefined {
  let found: E | undefined;
  for (const e of events) if (e.seq <= seq && e.kind === 'state_change' && isStopTick(e.state) && (found === undefined || e.seq >= found.seq)) found = e;
  return found;
}

/** Whether a task scored the recorded run (reward and success): a simulated run, or one that wrote its episode result. */
function hasTask(rec: Recording): boolean {
  return rec.episode?.success !== undefined || rec.run.command === 'sim' || rec.run.command === 'eval';
}

function seedOf(rec: Recording): number | undefined {
  const s = rec.episode?.seed ?? rec.run.episode_seed ?? rec.run.seed;
  return typeof s === 'number' ? s : undefined;
}

/**
 * What made one recording's episodes (its entry in info.json `axon.sessions`): its model and
 * manifest, its control mode (the manifest's, else its commands': a teleoperation, a planner
 * without a policy), `source` naming the recording; `command` is the export's command line.
 */
function provenanceOf(rec: Recording, spec: RobotSpec, file: string): Provenance {
  const m = rec.manifest as { name?: string } | undefined;
  const model = typeof rec.run.policy === 'string' ? rec.run.policy : m?.name;
  const period = typeof rec.run.period_s === 'number' ? rec.run.period_s : NaN;
  const p = provenance({ spec, period, ...(m ? { manifest: m, ...(model ? { model } : {}) } : {}), source: `axon export lerobot ${file}` });
  const mode = p.control_mode ?? recordedMode(rec);
  return mode !== undefined ? { ...p, control_mode: mode } : p;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** `hz` as the whole number it is within floating-point error, else unchanged. */
export function wholeHz(hz: number): number {
  const n = Math.round(hz);
  return n > 0 && Math.abs(hz - n) <= 1e-9 * n ? n : hz;
}
