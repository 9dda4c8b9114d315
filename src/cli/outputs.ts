/**
 * What a CLI run writes and serves beside its loop: the MCAP recorder (`--record`), the viewer and
 * operator console (`--view`) and the LeRobot dataset (`--dataset`). `sim` (a simulated robot or
 * one over the bridge), `run` (hardware) and `teleop` (a leader arm driving a follower) attach them
 * to their loop the same way and close them in one order: recorder, dataset, then the viewer.
 */
import type { ControlLoop } from '../loop/ControlLoop.ts';
import type { VelocityCommand } from '../loop/VelocityCommand.ts';
import { hasVelocityTerm } from '../loop/VelocityCommand.ts';
import type { ModelManifest } from '../model/manifest.ts';
import { attachRecorder, type Recorder, type RecorderSummary, type RecordingFailure, type RecordingMeta, type RecordedEpisode } from '../record/index.ts';
import { attachViewer, viewerRefusalLine, type Viewer, type ViewerOptions, type ViewerRobot, type ViewerSafety } from '../viewer/index.ts';
import type { DatasetSummary, DatasetWriter } from '../dataset/index.ts';
import { traceWorldModel, type TracedWorldModel } from '../session/index.ts';
import { datasetDrops } from './datasetFlags.ts';
import { EXIT_DROPPED } from './exitCodes.ts';

/** The output flags every loop command shares. */
export interface OutputFlags {
  /** `--record FILE` */
  readonly record?: string;
  readonly view: boolean;
  readonly viewPort: number;
  /** `--stop-needs-token`: the viewer's E-STOP and Disarm need the token too (docs/safety.md, "Stopping is always allowed"). */
  readonly stopNeedsToken?: boolean;
  /** `--allow-origin URL` (repeatable): a reverse proxy's origin the viewer lets in (docs/viewer.md). */
  readonly allowOrigin?: readonly string[];
  /** `--json`: the viewer's URL goes to stderr (stdout carries the summary). */
  readonly json: boolean;
}

/** What one loop gives its outputs (from the session's loop and the command's own facts). */
export interface LoopOutputs {
  /** The policy's manifest (or the hold / world-model folder's): recorded, and whether the page offers a velocity command. */
  readonly manifest: ModelManifest;
  readonly safety: ViewerSafety;
  /** The operator's velocity command: recorded per tick, driven from the page; none for a loop without one (teleop). */
  readonly command?: VelocityCommand;
  /** A plan or shield hook: its rollouts are recorded and drawn. */
  readonly traced?: TracedWorldModel;
  /** The recording's metadata (spec, manifests, period, run facts); called only with --record. */
  readonly recording: () => Omit<RecordingMeta, 'manifest' | 'command' | 'worldModel'>;
  /** The robot the page draws and the page's options (title, engine, pause/step); called only with --view. */
  readonly view: () => { readonly robot: ViewerRobot | Promise<ViewerRobot>; readonly options?: Omit<ViewerOptions, 'port' | 'velocityCommand' | 'rollouts'> };
  /** The robots' health (the run's robot; leader and follower in teleop): the page's Arm is refused while one reports a fault. */
  readonly health?: ViewerOptions['health'];
  /** --dataset: a supervisor whose re-arm (an operator reset) starts the next episode. */
  readonly datasetSplitAt?: { readonly armCount: number };
}

/** The summaries of a run's outputs: the recording's, the dataset's, and what the viewer's server refused. */
export interface Finished {
  readonly record?: RecorderSummary;
  readonly dataset?: DatasetSummary;
  /** With --view: what the viewer's server refused so far (docs/viewer.md, "A page that floods"). */
  readonly viewer?: ViewerSummary;
}

/** The summary's `viewer` section. */
export interface ViewerSummary {
  /** The port it served (not its URL: that carries the token). */
  readonly port: number;
  readonly refused: { readonly upgrades: number; readonly origins: number; readonly hosts: number; readonly closed_over_limit: number };
}

/** The recorder, viewer and dataset of one run. */
export class RunOutputs {
  private recorder: Recorder | undefined;
  private viewer: Promise<Viewer> | undefined;
  private finished: Finished = {};

  /** `dataset`: opened by the command before the robot moves (a mismatch is refused there). */
  constructor(
    private readonly flags: OutputFlags,
    private dataset?: DatasetWriter,
  ) {}

  /**
   * Attaches the dataset, the recorder and the viewer to `loop` (call from the session's onLoop,
   * before the loop runs). A viewer that cannot listen stops the loop; close() rethrows its error.
   */
  attach(loop: Pick<ControlLoop, 'records$' | 'stats' | 'stop'>, p: LoopOutputs): void {
    const f = this.flags;
    this.dataset?.attach(loop, p.datasetSplitAt ? { splitAt: p.datasetSplitAt } : {});
    // A plan or shield run keeps its rollouts (a copy on the tick): 64 of them for the viewer's
    // ghost paths, the predicted trajectory alone for the recording.
    const rollouts = f.view || f.record ? traceWorldModel(p.traced, f.view ? 64 : 1) : undefined;
    const command = p.command;
    if (f.record) this.recorder = attachRecorder(loop, { ...p.recording(), manifest: p.manifest, ...(command ? { command } : {}), ...(rollouts ? { worldModel: rollouts } : {}) }, f.record, { onFailure: recordingFailed });
    if (f.view) {
      const { robot, options } = p.view();
      const velocityCommand = command ? { velocityCommand: { source: command, inModel: hasVelocityTerm(p.manifest) } } : {};
      const attach = (r: ViewerRobot) => attachViewer(loop, p.safety, r, { ...options, port: f.viewPort, stopNeedsToken: f.stopNeedsToken ?? false, ...(f.allowOrigin ? { allowOrigins: f.allowOrigin } : {}), ...velocityCommand, ...(rollouts ? { rollouts } : {}), ...(p.health ? { health: p.health } : {}) });
      // A robot at hand subscribes now, before the first tick; one still loading (a MuJoCo view) when it is ready.
      const viewer = robot instanceof Promise ? robot.then(attach) : attach(robot);
      this.viewer = viewer;
      viewer.then(
        (v) => (f.json ? process.stderr : process.stdout).write(`axon viewer: ${v.url}\n`),
        () => loop.stop(),
      );
    }
  }

  /**
   * Closes the recorder, then the dataset, and returns their summaries (idempotent). `episode`:
   * how the episode ended, written into both (a simulated episode); without it the dataset's
   * open episode is saved as it is.
   */
  async finish(episode?: RecordedEpisode): Promise<Finished> {
    if (episode) this.recorder?.setEpisode(episode);
    const record = this.recorder ? await this.recorder.close() : undefined;
    if (episode) this.dataset?.endEpisode(episode);
    const dataset = this.dataset ? await this.dataset.close() : undefined;
    // A viewer that could not listen has no summary: close() rethrows its error.
    const v = this.viewer ? await this.viewer.catch(() => undefined) : undefined;
    const viewer = v && viewerSummary(v);
    this.finished = { ...(record ? { record } : {}), ...(dataset ? { dataset } : {}), ...(viewer ? { viewer } : {}) };
    return this.finished;
  }

  /**
   * After finish(): nothing dropped silently, a recording that lost frames fails the run (exit code
   * EXIT_DROPPED) unless `allowDrops`; a recording that failed (a write error: disk full) does so
   * whatever `allowDrops` says. A worse outcome of the run itself (a fault, a safe stop) sets its own
   * code after this (docs/cli.md "Exit codes").
   */
  reportDrops(allowDrops: boolean): void {
    const rec = this.finished.record;
    if (rec?.error !== undefined) {
      process.stderr.write(`axon: the recording ${rec.file} failed${rec.lost_from_s !== undefined ? ` at ${rec.lost_from_s.toFixed(3)} s` : ''}: ${rec.error}; ${rec.written} of ${rec.ticks} ticks are in the file\n`);
      process.exitCode = EXIT_DROPPED;
    }
    const drops = datasetDrops(rec?.error === undefined ? rec : undefined, this.finished.dataset);
    if (!drops) return;
    process.stderr.write(`axon: ${drops}${allowDrops ? ' (allowed by --allow-drops)' : ''}\n`);
    if (!allowDrops) process.exitCode = EXIT_DROPPED;
  }

  /**
   * Closes whatever is still open, also after a failed run: recorder, dataset, then the viewer
   * (rethrows a viewer that could not listen, e.g. port in use). A recorder that fails to close
   * (its thread timed out) does not keep the dataset from being saved. `episode`: how the run
   * ended, when it ended without throwing (a live run's ended_by), written into the recording and
   * the dataset's last episode as finish(episode) does; ignored once they are closed.
   */
  async close(episode?: RecordedEpisode): Promise<void> {
    if (episode) {
      this.recorder?.setEpisode(episode);
      this.dataset?.endEpisode(episode);
    }
    try {
      try {
        await this.recorder?.close();
      } finally {
        await this.dataset?.close();
      }
    } finally {
      const viewer = await this.viewer;
      await viewer?.close();
      reportViewerRefusals(viewer);
    }
  }
}

/** The summary's `viewer` section: its port and the refusal counts (reportViewerRefusals' line says the same on stderr). */
function viewerSummary(v: Pick<Viewer, 'port' | 'refusals'>): ViewerSummary {
  const r = v.refusals;
  return { port: v.port, refused: { upgrades: r.upgradesRefused, origins: r.originsRefused, hosts: r.hostsRefused, closed_over_limit: r.closedOverLimit } };
}

/** After the viewer closed: what its server refused (upgrades, requests, floods), one line on stderr, nothing when nothing was (review R23). */
export function reportViewerRefusals(viewer: Pick<Viewer, 'refusals'> | undefined): void {
  const line = viewer && viewerRefusalLine(viewer.refusals);
  if (line !== undefined) process.stderr.write(`${line}\n`);
}

/** The line a recording's first failed write prints at once, off the tick, while the run goes on (docs/cli.md "Exit codes"). */
function recordingFailed(f: RecordingFailure): void {
  const at = f.lostFromS !== undefined ? ` from ${f.lostFromS.toFixed(3)} s (tick ${f.lostFromSeq})` : '';
  process.stderr.write(`axon: recording ${f.file} failed${at}: ${f.error}; the run goes on unrecorded\n`);
}

/** The human summary's dataset line, then its notes (an append to a dataset an earlier axon wrote), one a line. */
export function datasetLine(d: DatasetSummary): string {
  return `dataset ${d.dir}: ${d.frames_written} of ${d.frames_received} frames written (${d.frames_dropped} dropped${d.frames_held_after_stop > 0 ? `, ${d.frames_held_after_stop} held after a stop left out` : ''}${d.frames_marked_held > 0 ? `, ${d.frames_marked_held} held ticks marked axon.held` : ''}), ${savedWords(d)}${d.notes.map((n) => `\n  note: ${n}`).join('')}`;
}

/**
 * Which episodes the session saved: none (stopped before its first frame: an empty episode is not
 * written), one, or a range (a session split at operator resets).
 */
function savedWords(d: DatasetSummary): string {
  const n = d.episodes_written;
  const empty = d.episodes_empty;
  if (n === 0) return `no episode saved (${empty > 0 ? '0 frames before the stop' : 'none written'})`;
  const range = n === 1 ? `episode ${d.appended_to}` : `episodes ${d.appended_to}-${d.appended_to + n - 1}`;
  return `${range} saved in ${d.save_ms.max} ms off the loop`;
}
