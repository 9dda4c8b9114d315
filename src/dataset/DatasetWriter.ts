/**
 * Records a loop's ticks straight into a LeRobotDataset (`--dataset DIR`), one episode at a time.
 *
 * On the tick (a `records$` subscriber) the writer copies the frame's numbers into the episode's
 * buffer (EpisodeBuffer: no allocation but a block every 2048 frames, no I/O). `endEpisode()` hands
 * the buffer's columns to a worker thread (transferred, not copied) that encodes and writes the
 * episode (DatasetStore); the loop's thread never waits for it.
 *
 * Nothing is dropped silently: every tick handed to the writer is counted as received; an episode
 * is written whole or not at all. When the episodes waiting for the worker hold more than
 * `maxPendingFrames` frames (a writer slower than the loop), the episode being recorded is dropped
 * whole and counted; the summary gives received, written and dropped frames (received = written +
 * dropped + held after a stop, after close()).
 *
 * An episode ends at a safety stop: the stop's tick and the held ticks after it carry the
 * supervisor's hold, not the policy's command, and are counted, not written; the episode keeps
 * ended_by "safe_stop" and the stop's reason (docs/dataset.md "How an episode ended"). A tick the
 * supervisor held before any stop (degraded: its command is the hold) stays a frame, so that the
 * frames stay one per tick, marked `axon.held` (docs/dataset.md "Held ticks"); appended to a
 * dataset written before that column, it is written without it (the dataset's schema kept), counted
 * as `frames_held_unmarked` and noted once.
 */
import { Worker } from 'node:worker_threads';
import type { Subscription } from 'rxjs';
import type { TickRecord } from '../loop/TickRecord.ts';
import type { RobotSpec } from '../core/robot.ts';
import { AxonError } from '../core/errors.ts';
import { EpisodeBuffer, LOST_SLOTS_ENDED_BY, gapEndsEpisode, episodeEndedByOf, isHeldTick, isStopTick, lostSlots, lostSlotsNotes, lostSlotsReason, stopReasonOf, type EpisodeMeta } from './EpisodeBuffer.ts';
import type { EpisodeData, StoreOptions } from './DatasetStore.ts';
import { HELD_FEATURE, featureSource, leftOutNotes, readsVelocityCommand, runFeatures, type Provenance } from './format.ts';
import type { FromWorker, ToWorker } from './writerWorker.ts';

export interface DatasetWriterOptions {
  readonly dir: string;
  readonly spec: RobotSpec;
  /** Frames per second: the loop's rate. */
  readonly fps: number;
  /** Task text of the episodes. */
  readonly task: string;
  /** A task scores the run: next.reward and next.success are written. */
  readonly scored: boolean;
  readonly provenance: Provenance;
  /**
   * The run's velocity command (a VelocityCommand: `applied` is the value the tick's observation
   * used), read on every tick. Written as observation.velocity_command when it is given and the
   * model reads one (provenance.model_manifest has a velocity_commands term), as export does.
   */
  readonly velocityCommand?: { readonly applied: ArrayLike<number> };
  /** Frames waiting for the writer thread beyond which a new episode is dropped whole (default 250,000). */
  readonly maxPendingFrames?: number;
  /** Tests: the writer thread sleeps this long before each episode (a slow disk). */
  readonly slowMs?: number;
}

export interface DatasetSummary {
  readonly dir: string;
  /** Episodes in the dataset before this run (appended after them). */
  readonly appended_to: number;
  readonly episodes_written: number;
  readonly episodes_dropped: number;
  /** Episodes that ended before their first frame (a stop or signal at once): not written, not counted as written. */
  readonly episodes_empty: number;
  /** Episodes ended by an operator reset (a re-arm after a stop) rather than by the run. */
  readonly episodes_split_at_reset: number;
  /**
   * Grid slots a live loop lost (overruns) between two frames of an episode (docs/dataset.md "Lost
   * slots"): a gap longer than MAX_GAP_S (0.5 s) ended the episode there (ended_by
   * lost_slots), the next tick starting the next one; across a shorter one the timestamps
   * (frame_index / fps) are off by the slots lost.
   */
  readonly slots_lost: number;
  /** Episodes ended at a gap of lost slots (ended_by lost_slots). */
  readonly episodes_split_at_lost_slot: number;
  readonly frames_received: number;
  readonly frames_written: number;
  readonly frames_dropped: number;
  /**
   * Ticks the supervisor held in a stop (safe-stop, e-stop) after an episode's last frame: in the
   * recording, not in the dataset (docs/dataset.md "How an episode ended"). received = written + dropped + held.
   */
  readonly frames_held_after_stop: number;
  /**
   * Frames written marked `axon.held`: ticks the supervisor held in a degraded state before any
   * stop (their action is its hold, not the policy's; docs/dataset.md "Held ticks"). Part of frames_written.
   */
  readonly frames_marked_held: number;
  /**
   * Frames written that the supervisor held but that are not marked: the dataset was written
   * before `axon.held` existed and is appended to in its own schema (docs/dataset.md "Held
   * ticks"). Part of frames_written; 0 when the dataset has the column.
   */
  readonly frames_held_unmarked: number;
  /** Facts about the append an operator should know (a column this dataset lacks), each once. */
  readonly notes: string[];
  /** Writer-thread time to save one episode (ms): encode + write + metadata. */
  readonly save_ms: { readonly mean: number; readonly max: number };
  readonly errors: string[];
}

export class DatasetWriter {
  private buffer: EpisodeBuffer | undefined;
  private sub: Subscription | undefined;
  private dropping = false;
  private received = 0;
  private written = 0;
  private dropped = 0;
  private held = 0;
  /** This episode: the supervisor stopped (the ticks since are held, not frames), and why. */
  private epHeld = 0;
  private epStopped = false;
  private epStopReason: string | undefined;
  /** The last tick's `terminated` (the task ended the episode: a sim or eval loop stops on it). */
  private epTerminated = false;
  /** The control mode of this episode's first frame not held (the policy's or planner's command; a held tick's is the hold's). */
  private epMode: string | undefined;
  private episodesWritten = 0;
  private episodesDropped = 0;
  private episodesEmpty = 0;
  private pendingFrames = 0;
  private nextId = 0;
  private readonly pending = new Map<number, number>(); // id -> frames
  private readonly pendingHeld = new Map<number, number>(); // id -> frames marked held
  private markedHeld = 0;
  private unmarkedHeld = 0;
  private saveMsSum = 0;
  private saveMsMax = 0;
  private readonly errors: string[] = [];
  private idle: (() => void) | undefined;
  private closed: Promise<DatasetSummary> | undefined;
  private readonly source;

  private constructor(
    private readonly o: DatasetWriterOptions,
    private readonly worker: Worker,
    readonly appendedTo: number,
    /** Features this run has that the dataset lacks (written before them): left out of its frames (DatasetStore.leftOut). */
    readonly leftOut: readonly string[],
    /** Axon's meta/episodes columns the dataset's first episodes file lacks, left out of this run's rows: the summary's note (DatasetStore.episodesNotes). */
    private readonly episodesNotes: readonly string[] = [],
  ) {
    this.source = featureSource(o.spec, o.scored, withVelocityCommand(o));
    worker.on('message', (m: FromWorker) => this.onMessage(m));
  }

  /**
   * Starts the writer thread and opens (or creates) the dataset there. Rejects with the store's
   * AxonError (DATASET_MISMATCH naming the differences, DATASET_WRITE) before any tick runs.
   */
  static async open(o: DatasetWriterOptions): Promise<DatasetWriter> {
    const features = runFeatures(featureSource(o.spec, o.scored, withVelocityCommand(o)));
    const options: StoreOptions = { robotType: o.spec.name, fps: o.fps, features, provenance: o.provenance };
    const worker = new Worker(new URL('../policy/worker.boot.mjs', import.meta.url), {
      workerData: { entry: new URL('./writerWorker.ts', import.meta.url).href, dir: o.dir, options, ...(o.slowMs ? { slowMs: o.slowMs } : {}) },
    });
    const first = await new Promise<FromWorker>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (first.kind !== 'opened') {
      await worker.terminate();
      const e = first.kind === 'failed' ? first.error : { message: `unexpected ${first.kind}` };
      throw e.code ? rebuild(e.code, e.where ?? o.dir, e.message, e.expected) : new AxonError('DATASET_WRITE', o.dir, e.message);
    }
    return new DatasetWriter(o, worker, first.episodes, first.leftOut, first.episodesNotes);
  }

  /** The dataset has no `axon.held` column: held frames are written unmarked. */
  private get heldUnmarked(): boolean {
    return this.leftOut.includes(HELD_FEATURE);
  }

  /** Frames received so far (every tick handed to the writer). */
  get framesReceived(): number {
    return this.received;
  }

  /**
   * Starts an episode on `loop`'s ticks; subscribe before the loop runs. `splitAt` (the run's
   * safety supervisor): an operator reset (a re-arm after an e-stop or safe-stop) ends the episode
   * and starts the next one on the re-armed tick; the ticks while stopped are held, not frames. Each episode split off this way gets `meta` of the run (the last one: endEpisode's).
   */
  attach(loop: { readonly records$: { subscribe(fn: (r: TickRecord) => void): Subscription } }, o: { splitAt?: { readonly armCount: number } } = {}): void {
    if (this.buffer) throw new Error('DatasetWriter.attach: the previous episode was not ended');
    this.buffer = new EpisodeBuffer(this.source);
    this.dropping = this.pendingFrames >= (this.o.maxPendingFrames ?? 250_000);
    this.splitAt = o.splitAt;
    this.armSeen = o.splitAt?.armCount ?? 0;
    this.stopSeen = false;
    this.prevFire = Number.NaN;
    this.takeEnd();
    this.sub = loop.records$.subscribe(this.onTick);
  }

  private splitAt: { readonly armCount: number } | undefined;
  /** When the last frame's tick fired (tick time + lateness, s; NaN before the episode's first frame): a live run's lost slots. */
  private prevFire = Number.NaN;
  private slotsLost = 0;
  private lostSlotSplits = 0;
  private armSeen = 0;
  private stopSeen = false;
  /** Episodes split off on the tick, handed to the writer thread just after it (setImmediate) or by endEpisode, in order. */
  private readonly splitQueue: (() => void)[] = [];
  /** Episodes split off at operator resets so far. */
  splits = 0;

  // On the tick: count, copy numbers (or count a drop), nothing else.
  private readonly onTick = (r: TickRecord): void => {
    this.received++;
    if (this.splitAt) {
      const a = this.splitAt.armCount;
      // An operator reset after a stop: the frames so far are one episode; this tick starts the next.
      if (a !== this.armSeen && this.stopSeen) this.split();
      this.armSeen = a;
      if (r.safetyState === 'e-stopped' || r.safetyState === 'safe-stop') this.stopSeen = true;
    }
    // A stop: this tick's command is the hold, not the policy's; the episode's frames ended with the tick before.
    if (this.epStopped || isStopTick(r.safetyState)) {
      if (!this.epStopped) {
        this.epStopReason = stopReasonOf(r.events);
        // The stop tick is the result of the last frame's action: its reward is that frame's next.reward.
        this.buffer?.successor(r.episodeReturn);
      }
      this.epStopped = true;
      this.epHeld++;
      this.held++;
      return;
    }
    // A sim or eval loop stops on the task's termination: its last tick says whether the task ended the episode (R17 F2).
    this.epTerminated = r.terminated;
    // A live run (splitAt: run, teleop, bridged sim) that lost grid slots since the last frame: counted;
    // past MAX_GAP_S that episode ends there, this tick starts the next (a simulated
    // loop's time is one period a tick: it loses none).
    if (this.splitAt) {
      const fire = r.time + r.lateness;
      const lost = this.buffer!.length > 0 ? lostSlots(this.prevFire, fire, this.o.fps) : 0;
      this.prevFire = fire;
      this.slotsLost += lost;
      if (gapEndsEpisode(lost, this.o.fps)) {
        this.lostSlotSplits++;
        this.split({ endedBy: LOST_SLOTS_ENDED_BY, stopReason: lostSlotsReason(lost, this.o.fps) });
      }
    }
    if (this.dropping) return;
    const b = this.buffer!;
    if (this.pendingFrames + b.length >= (this.o.maxPendingFrames ?? 250_000)) {
      this.dropping = true; // the episode is dropped whole at its end, never written with a gap
      return;
    }
    if (this.epMode === undefined && !isHeldTick(r.safetyState)) this.epMode = r.sent.mode; // a string's reference: no allocation
    const ob = r.observation;
    b.push({ position: ob.jointPosition, velocity: ob.jointVelocity, ...(ob.imu ? { imu: ob.imu } : {}), ...(this.source.velocityCommand ? { velocityCommand: this.o.velocityCommand!.applied } : {}), action: r.sent.target, episodeReturn: r.episodeReturn, held: isHeldTick(r.safetyState) });
  };

  // On the tick (the current tick's frame, already counted, goes to the new episode): swap buffers; the copy and hand-over run after the tick.
  // `gap`: the episode ends at lost slots (its ended_by and stop_reason), not at an operator reset.
  private split(gap?: { endedBy: string; stopReason: string }): void {
    const b = this.buffer!, dropping = this.dropping, frames = this.received - 1 - this.episodeStart;
    this.episodeStart = this.received - 1;
    this.buffer = new EpisodeBuffer(this.source);
    this.dropping = this.pendingFrames + (dropping ? 0 : b.length) >= (this.o.maxPendingFrames ?? 250_000);
    this.stopSeen = false;
    if (!gap) this.splits++;
    const end = this.takeEnd();
    this.splitQueue.push(() => this.finish(b, dropping, frames, end, gap ?? {}));
    setImmediate(() => this.flushSplits());
  }

  private flushSplits(): void {
    while (this.splitQueue.length > 0) this.splitQueue.shift()!();
  }

  /**
   * Ends the episode begun by attach(): its frames go to the writer thread (or are counted as
   * dropped). `success`, `seed`, `randomization` and `endedBy` (the run summary's ended_by) are kept
   * with the episode; an episode the supervisor stopped is ended_by "safe_stop" with the stop's reason,
   * unless `endedBy` names a requested stop's cause (signal, fault).
   */
  endEpisode(meta: Omit<EpisodeMeta, 'task' | 'stopReason'> = {}): void {
    this.flushSplits();
    const b = this.buffer;
    if (!b) return;
    this.sub?.unsubscribe();
    this.sub = undefined;
    this.buffer = undefined;
    const frames = this.episodeFrames;
    this.episodeStart = this.received;
    this.finish(b, this.dropping, frames, this.takeEnd(), meta);
  }

  /** This episode's stop (held ticks, reason), reset for the next. */
  private takeEnd(): { held: number; stopped: boolean; reason: string | undefined; terminated: boolean; mode: string | undefined } {
    // A live loop (splitAt) runs on past a termination (stopOnTerminate false): its episodes end by the run's rule.
    const e = { held: this.epHeld, stopped: this.epStopped, reason: this.epStopReason, terminated: this.epTerminated && !this.splitAt, mode: this.epMode };
    this.epTerminated = false;
    this.epMode = undefined;
    this.epHeld = 0;
    this.epStopped = false;
    this.epStopReason = undefined;
    return e;
  }

  private finish(b: EpisodeBuffer, dropping: boolean, ticks: number, end: { held: number; stopped: boolean; reason: string | undefined; terminated: boolean; mode: string | undefined }, meta: Omit<EpisodeMeta, 'task'>): void {
    const frames = ticks - end.held;
    if (dropping || b.length === 0) {
      if (!dropping) this.episodesEmpty++;
      this.dropped += frames;
      if (frames > 0) this.episodesDropped++;
      return;
    }
    const endedBy = episodeEndedByOf(end.stopped, meta.endedBy, false, end.terminated);
    const data = b.take({ task: this.o.task, ...meta, ...(endedBy !== undefined ? { endedBy } : {}), ...(end.stopped && end.reason !== undefined ? { stopReason: end.reason } : {}), ...(end.mode !== undefined ? { mode: end.mode } : {}) });
    const id = this.nextId++;
    this.pending.set(id, data.length);
    this.pendingHeld.set(id, b.heldFrames);
    this.pendingFrames += data.length;
    // Frames the tick counted but the buffer did not take (none unless dropping) are dropped.
    if (frames > data.length) this.dropped += frames - data.length;
    this.worker.postMessage({ kind: 'episode', id, data } satisfies ToWorker, transferList(data));
  }

  private episodeStart = 0;
  private get episodeFrames(): number {
    return this.received - this.episodeStart;
  }

  private onMessage(m: FromWorker): void {
    if (m.kind === 'written' || (m.kind === 'failed' && m.id !== undefined)) {
      const frames = this.pending.get(m.id!) ?? 0;
      const held = this.pendingHeld.get(m.id!) ?? 0;
      this.pending.delete(m.id!);
      this.pendingHeld.delete(m.id!);
      this.pendingFrames -= frames;
      if (m.kind === 'written') {
        this.written += frames;
        if (this.heldUnmarked) this.unmarkedHeld += held;
        else this.markedHeld += held;
        this.episodesWritten++;
        this.saveMsSum += m.ms;
        if (m.ms > this.saveMsMax) this.saveMsMax = m.ms;
      } else {
        this.dropped += frames;
        this.episodesDropped++;
        this.errors.push(m.error.message);
      }
      if (this.pending.size === 0) this.idle?.();
    } else if (m.kind === 'failed') this.errors.push(m.error.message);
  }

  /** Ends an open episode, waits for every episode to be written, stops the writer thread. Idempotent. */
  close(): Promise<DatasetSummary> {
    this.closed ??= (async () => {
      if (this.buffer) this.endEpisode();
      this.flushSplits();
      if (this.pending.size > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      await new Promise<void>((resolve) => {
        this.worker.once('exit', () => resolve());
        this.worker.postMessage({ kind: 'close' } satisfies ToWorker);
      });
      const r = (x: number) => Math.round(x * 100) / 100;
      return {
        dir: this.o.dir,
        appended_to: this.appendedTo,
        episodes_written: this.episodesWritten,
        episodes_dropped: this.episodesDropped,
        episodes_empty: this.episodesEmpty,
        episodes_split_at_reset: this.splits,
        slots_lost: this.slotsLost,
        episodes_split_at_lost_slot: this.lostSlotSplits,
        frames_received: this.received,
        frames_written: this.written,
        frames_dropped: this.dropped,
        frames_held_after_stop: this.held,
        frames_marked_held: this.markedHeld,
        frames_held_unmarked: this.unmarkedHeld,
        notes: [...leftOutNotes(this.o.dir, this.leftOut, this.unmarkedHeld), ...this.episodesNotes, ...lostSlotsNotes(this.slotsLost, this.lostSlotSplits)],
        save_ms: { mean: r(this.saveMsSum / Math.max(1, this.episodesWritten)), max: r(this.saveMsMax) },
        errors: this.errors,
      };
    })();
    return this.closed;
  }
}

function withVelocityCommand(o: DatasetWriterOptions): boolean {
  return o.velocityCommand !== undefined && readsVelocityCommand(o.provenance.model_manifest);
}

function transferList(d: EpisodeData): ArrayBuffer[] {
  return Object.values(d.columns).map((c) => c.buffer as ArrayBuffer);
}

/** The writer thread's AxonError again on this side (its message already begins with `where: ` and ends with the expected part). */
function rebuild(code: string, where: string, message: string, expected: string | undefined): AxonError {
  let m = message.startsWith(`${where}: `) ? message.slice(where.length + 2) : message;
  if (expected !== undefined && m.endsWith(` (expected ${expected})`)) m = m.slice(0, -` (expected ${expected})`.length);
  return new AxonError(code, where, m, expected);
}
