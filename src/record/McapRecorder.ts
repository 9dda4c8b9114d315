/**
 * Records every tick of a control loop to an MCAP file, off the loop's thread.
 *
 * On the tick (a `records$` subscriber, synchronous) the recorder only copies the record's numbers
 * into a preallocated ring of Float64 slots in shared memory (ringLayout.ts): no JSON, no
 * allocation, no I/O (a safety event, rare, is kept by reference and posted just after the tick).
 * A writer thread (recorderWorker.ts) owns the McapWriter: it JSON-encodes each tick's messages,
 * zstd-compresses chunks of about `chunkSeconds` of run time each and writes the file. A run that
 * is killed leaves every chunk written before it readable (no footer: the reader warns). If the
 * ring fills faster than the writer drains it, ticks are dropped and counted, never waited for.
 *
 * The file is opened here, at attach time (a bad path fails at once, RECORD_FILE), and closed here
 * by close() once the writer thread is done; the writer thread writes through the same descriptor.
 * The ring's slot layout is made from the first record.
 *
 * A write that fails mid-run (disk full, an I/O error) is posted by the writer thread at once and
 * handed to `onFailure` off the tick; the loop goes on (a recording must not stop a robot mid-motion),
 * its later ticks are counted, not copied, and close() resolves with the failure in its summary
 * (`error`, `lost_from_s`), as it does when the writer thread died or stopped answering, or when
 * the file was removed or replaced during the run (checked at close: the descriptor is written to
 * the end whatever became of its path) (docs/cli.md "Exit codes").
 */
import { closeSync } from 'node:fs';
import type { Subscription } from 'rxjs';
import type { TickRecord } from '../loop/TickRecord.ts';
import { stageNames } from '../loop/TickRecord.ts';
import type { JointCommand, RobotSpec } from '../core/robot.ts';
import type { SafetyEvent } from '../safety/types.ts';
import { AxonError } from '../core/errors.ts';
import { keepNonFinite } from './json.ts';
import type { RolloutTrace } from '../worldmodel/RolloutTrace.ts';
import { linkLost, openRecordFile } from './recordFile.ts';
import {
  C_COUNT, C_KICK, CONTROL_WORDS, F_AGE, F_EVENTS, F_INFER, F_LATE, F_OBS_SEQ, F_OBS_TIME, F_PROPOSED_MODE, F_RETURN,
  F_SENT_MODE, F_SEQ, F_STATE, F_TERM, F_TIME, F_WM, F_WM_COST, F_WM_SURPRISE, F_WM_VETOED, MODE_NAMES, STATE_NAMES,
  makeLayout, type CommandLayout, type Layout,
} from './ringLayout.ts';
import type { RecorderWorkerClosed, RecorderWorkerData, RecorderWorkerFailed, ToRecorderWorker } from './recorderWorker.ts';
import { releaseWriterThread, takeWriterThread, type WriterThread } from './writerThreads.ts';

export { loadZstd, openRecordFile } from './recordFile.ts';
export { closeIdleRecorderThreads, prepareRecorderThread, recorderThreadsStarted } from './writerThreads.ts';

/** What a recording says about its run, written as MCAP metadata. */
export interface RecordingMeta {
  readonly spec: RobotSpec;
  /** The policy's model manifest (as loaded). */
  readonly manifest?: unknown;
  /** The world model's manifest, when one runs. */
  readonly worldModelManifest?: unknown;
  /** Loop period (s). */
  readonly period: number;
  /**
   * Facts about the run: command, robot, policy folder, seed, physics engine (`physics`: cannon | mujoco, a simulation),
   * and for a URDF robot `urdf` and `drawing` (drawingMeta.ts: what a replay draws it with), ...
   */
  readonly run?: Record<string, unknown>;
  /** A plan or shield hook's rollouts: each tick's predicted trajectory goes to /axon/world_model/predicted. */
  readonly worldModel?: RecordedWorldModel;
  /**
   * The operator's velocity command (a VelocityCommand): `applied`, the (vx m/s, vy m/s, wz rad/s)
   * the tick's observation used, goes into every /axon/tick as `velocity_command`.
   */
  readonly command?: { readonly applied: ArrayLike<number> };
}

/** What a recording needs to keep a world model's predictions (the trace) and to draw them later. */
export interface RecordedWorldModel {
  readonly trace: RolloutTrace;
  readonly mode: 'plan' | 'shield';
  /** World-model step (s). */
  readonly dt: number;
  readonly stateNames: readonly string[];
  /** Joint angle = state[slot] / scale + offset for robot joint `joint`. */
  readonly jointSlots: readonly { readonly slot: number; readonly joint: number; readonly scale: number; readonly offset: number }[];
}

export interface RecorderOptions {
  /** Ticks the ring holds between two flushes; default 16384. */
  readonly capacity?: number;
  /** Target run time per chunk (s); the chunk size is derived from the first tick's size. Default 1. */
  readonly chunkSeconds?: number;
  /** 'zstd' (WebAssembly, offline) or 'none'. Default 'zstd'. */
  readonly compression?: 'zstd' | 'none';
  /** Longest the writer thread sleeps between two looks at the ring (ms); default 50. */
  readonly flushIntervalMs?: number;
  /** Longest close() waits for the writer thread to finish the file (ms); default 30,000. */
  readonly closeTimeoutMs?: number;
  /**
   * Tests: the writer thread exits, or stops answering, once the first tick has arrived; or
   * (`exitOnOpen`) exits as it is handed the recording, as an idle thread that died unseen would
   * (the recording goes on on a fresh thread: the fault strikes the first thread only).
   */
  readonly testFault?: 'exit' | 'hang' | 'exitOnOpen';
  /** Tests: the recording's disk fills up after this many bytes (writes fail with ENOSPC from there). */
  readonly testFailAfterBytes?: number;
  /**
   * Called once, off the tick (a message from the writer thread), when the recording fails mid-run:
   * its first failed write, or the writer thread's death. The run goes on; close() reports it too.
   */
  readonly onFailure?: (f: RecordingFailure) => void;
}

/** A recording that failed: why (the OS error as Node words it), and the first tick not in the file, when known. */
export interface RecordingFailure {
  readonly file: string;
  readonly error: string;
  /** Run time (s) and tick of the first tick the file lacks; absent when only its footer is lost or it is unknown (a dead thread). */
  readonly lostFromS?: number;
  readonly lostFromSeq?: number;
}

export interface RecorderSummary {
  readonly file: string;
  readonly ticks: number;
  /** Ticks the recorder was handed and ticks it wrote (received = written + dropped). */
  readonly received: number;
  readonly written: number;
  /** Ticks lost because the ring was full (0 unless the writer fell behind). */
  readonly dropped: number;
  readonly events: number;
  readonly messages: number;
  readonly chunks: number;
  readonly bytes: number;
  readonly compression: string;
  /**
   * Set when the recording failed (a write error such as ENOSPC, the writer thread died or stopped
   * answering): why. `written` then counts the ticks in the file and `dropped` the rest.
   */
  readonly error?: string;
  /** With `error`: the run time (s) and tick from which the file lacks ticks (absent: only the footer is lost, or unknown). */
  readonly lost_from_s?: number;
  readonly lost_from_seq?: number;
}

export interface Recorder {
  readonly file: string;
  /** Ticks copied so far. */
  readonly ticks: number;
  readonly dropped: number;
  /** How the episode ended, written as `axon.episode` metadata at close (call before close()). */
  setEpisode(e: RecordedEpisode): void;
  /** The failure, once the writer thread reported one (before close(): the run is going on unrecorded). */
  readonly failure: RecordingFailure | undefined;
  /**
   * Lets the writer thread drain the ring, write the summary and footer and close the file.
   * Resolves also when writing failed, the writer thread died, or it did not finish within
   * `closeTimeoutMs`: the summary's `error` says so (a run's summary is still printed). Idempotent.
   */
  close(): Promise<RecorderSummary>;
}

/** The `axon.episode` metadata: how the recorded episode ended. */
export interface RecordedEpisode {
  readonly success?: boolean;
  readonly seed?: number;
  readonly randomization?: Record<string, number>;
  /** How the run ended (the run summary's ended_by: duration, signal, safe_stop, invalid). */
  readonly endedBy?: string;
}

/**
 * Starts recording `loop`'s ticks into `file` (created or truncated now: a bad path fails here,
 * with AxonError RECORD_FILE) and hands it to a writer thread (the process's idle one, else a fresh
 * one: writerThreads.ts). Subscribes synchronously, so call it before `loop.run()`.
 */
export function attachRecorder(
  loop: { readonly records$: { subscribe(fn: (r: TickRecord) => void): Subscription } },
  meta: RecordingMeta,
  file: string,
  o: RecorderOptions = {},
): Recorder {
  const fd = openRecordFile(file);
  const capacity = o.capacity ?? 16384;
  const kickAt = Math.max(1, Math.ceil(capacity / 4));
  const compression = o.compression ?? 'zstd';
  const closeTimeoutMs = o.closeTimeoutMs ?? 30_000;
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  const w = meta.worldModel;
  const json = (v: unknown) => JSON.stringify(v, keepNonFinite);
  const data: RecorderWorkerData = {
    fd,
    control: control.buffer as SharedArrayBuffer,
    compression,
    chunkSeconds: o.chunkSeconds ?? 1,
    period: meta.period,
    flushIntervalMs: o.flushIntervalMs ?? 50,
    jointNames: meta.spec.joints.map((j) => j.name),
    ...(w ? { worldModelMode: w.mode } : {}),
    metadata: {
      robot: json(meta.spec),
      ...(meta.manifest !== undefined ? { manifest: json(meta.manifest) } : {}),
      ...(meta.worldModelManifest !== undefined ? { worldModelManifest: json(meta.worldModelManifest) } : {}),
      ...(w ? { worldModel: JSON.stringify({ mode: w.mode, dt: w.dt, horizon: w.trace.horizon, state_size: w.trace.stateSize, state_names: w.stateNames, joint_slots: w.jointSlots }) } : {}),
      run: json({ ...meta.run, period_s: meta.period, stage_names: stageNames, joints: meta.spec.joints.map((j) => j.name) }),
    },
    ...(o.testFault ? { testFault: o.testFault } : {}),
    ...(o.testFailAfterBytes !== undefined ? { testFailAfterBytes: o.testFailAfterBytes } : {}),
  };
  // The process's idle writer thread (writerThreads.ts), or a fresh one; handed back by close().
  let thread: WriterThread;
  try {
    thread = takeWriterThread();
    thread.post({ kind: 'open', data } satisfies ToRecorderWorker);
  } catch (e) {
    closeSync(fd);
    throw new AxonError('RECORD_WRITE', file, `cannot start the recorder's writer thread (${(e as Error).message})`);
  }
  let reply: ((m: RecorderWorkerClosed | undefined) => void) | undefined;
  // Until the thread acknowledges `open` it has touched neither the ring nor the file: should it
  // exit before that (an idle thread that died unseen), a fresh thread gets the recording, with the
  // messages posted so far (once; a second death fails the recording).
  let acked = false;
  let failedOver = false;
  const unacked: ToRecorderWorker[] = [{ kind: 'open', data }];
  let failure: RecordingFailure | undefined;
  // Off the tick (a message or the thread's exit): kept, handed to onFailure once; onRecord stops copying.
  const failed = (f: Omit<RecordingFailure, 'file'>, notify = true): void => {
    if (failure !== undefined) return;
    failure = { file, ...f };
    if (!notify) return;
    try {
      o.onFailure?.(failure);
    } catch {
      // a reporter that throws must not stop the writer's replies
    }
  };
  const hook = (t: WriterThread): void => {
    t.onMessage = (m) => {
      if (m.kind === 'opened') {
        acked = true;
        unacked.length = 0;
      } else if (m.kind === 'failed') failed({ error: m.error, ...lostOf(m) });
      else reply?.(m);
    };
    t.onExit = () => {
      if (!acked && !failedOver) return failOver();
      if (closed === undefined) failed({ error: `the recorder's writer thread exited (code ${t.exitCode})${t.error ? `: ${t.error.message}` : ''}` });
      reply?.(undefined);
    };
  };
  const failOver = (): void => {
    failedOver = true;
    const dead = thread;
    void releaseWriterThread(dead, false);
    try {
      thread = takeWriterThread();
    } catch {
      reply?.(undefined); // close() reports the first thread's exit
      return;
    }
    hook(thread);
    if (closed !== undefined) thread.worker.ref(); // close() is waiting on it
    const { testFault: _fault, ...fresh } = data;
    for (const m of unacked) thread.post(m.kind === 'open' ? { kind: 'open', data: fresh } : m);
  };
  hook(thread);
  const post = (m: ToRecorderWorker): void => {
    if (!acked) unacked.push(m);
    thread.post(m);
  };
  let layout: Layout | undefined;
  let ring: Float64Array | undefined;
  let tail = 0;
  let ticks = 0;
  let dropped = 0;
  /** The first tick's run time (s) and seq: where a recording whose file was removed lacks ticks from. */
  let firstS = 0;
  let firstSeq = 0;
  let eventsSeen = 0;
  const pendingEvents: SafetyEvent[] = [];
  let eventsScheduled = false;
  let closed: Promise<RecorderSummary> | undefined;
  let traceVersion = -1;
  let episode: RecordedEpisode | undefined;

  // Off the tick, just after it: the tick's safety events to the writer thread.
  const postEvents = (): void => {
    eventsScheduled = false;
    if (pendingEvents.length > 0) post({ kind: 'events', events: pendingEvents.splice(0) });
  };

  // ---- on the tick: copy numbers only -------------------------------------------------------
  const onRecord = (rec: TickRecord): void => {
    if (ticks++ === 0) {
      firstS = rec.time;
      firstSeq = rec.seq;
    }
    if (failure !== undefined) return; // nothing more reaches the file: counted in `dropped` at close
    if (layout === undefined) {
      layout = makeLayout(rec, w?.trace, meta.command !== undefined);
      const rows = new SharedArrayBuffer(capacity * layout.stride * 8);
      ring = new Float64Array(rows);
      post({ kind: 'ring', layout, rows, capacity });
    }
    if (rec.events.length > 0) {
      for (let i = 0; i < rec.events.length; i++) pendingEvents.push(rec.events[i]);
      eventsSeen += rec.events.length;
      if (!eventsScheduled) {
        eventsScheduled = true;
        setImmediate(postEvents);
      }
    }
    if (Atomics.load(control, C_COUNT) === capacity) {
      dropped++;
      return;
    }
    const L = layout;
    const r = ring!;
    const b = tail * L.stride;
    const obs = rec.observation;
    r[b + F_SEQ] = rec.seq;
    r[b + F_TIME] = rec.time;
    r[b + F_LATE] = rec.lateness;
    r[b + F_STATE] = STATE_NAMES.indexOf(rec.safetyState);
    r[b + F_RETURN] = rec.episodeReturn;
    r[b + F_TERM] = rec.terminated ? 1 : 0;
    r[b + F_AGE] = rec.actionAge;
    r[b + F_INFER] = rec.inferenceS;
    r[b + F_OBS_TIME] = obs.time;
    r[b + F_OBS_SEQ] = obs.seq;
    r[b + F_PROPOSED_MODE] = MODE_NAMES.indexOf(rec.proposed.mode);
    r[b + F_SENT_MODE] = MODE_NAMES.indexOf(rec.sent.mode);
    r[b + F_EVENTS] = eventsSeen;
    const wm = rec.worldModel;
    r[b + F_WM] = wm ? 1 : 0;
    if (wm) {
      r[b + F_WM_SURPRISE] = wm.surprise;
      r[b + F_WM_COST] = wm.cost;
      r[b + F_WM_VETOED] = wm.vetoed ? 1 : 0;
    }
    copy(r, b + L.stage, rec.stageS, stageNames.length);
    copy(r, b + L.pos, obs.jointPosition, L.n);
    copy(r, b + L.vel, obs.jointVelocity, L.n);
    copy(r, b + L.eff, obs.jointEffort, L.n);
    if (L.imu >= 0 && obs.imu) {
      copy(r, b + L.imu, obs.imu.orientation, 4);
      copy(r, b + L.imu + 4, obs.imu.angularVelocity, 3);
      copy(r, b + L.imu + 7, obs.imu.linearAcceleration, 3);
    }
    if (L.nContacts > 0 && obs.contacts) copy(r, b + L.contacts, obs.contacts, L.nContacts);
    if (L.base >= 0 && obs.base) {
      copy(r, b + L.base, obs.base.position, 3);
      copy(r, b + L.base + 3, obs.base.orientation, 4);
      copy(r, b + L.base + 7, obs.base.linearVelocity, 3);
      copy(r, b + L.base + 10, obs.base.angularVelocity, 3);
      if (L.baseCom >= 0) {
        copy(r, b + L.baseCom, obs.base.comPosition!, 3);
        copy(r, b + L.baseCom + 3, obs.base.comLinearVelocity!, 3);
      }
    }
    for (let e = 0; e < L.extras.length; e++) {
      const x = L.extras[e];
      const a = obs.extras[x.name];
      if (a !== undefined) copy(r, b + x.off, a, x.len);
    }
    copy(r, b + L.input, rec.input, L.nInput);
    copy(r, b + L.raw, rec.policyAction, L.nAction);
    copy(r, b + L.action, rec.action, L.nAction);
    copyCommand(r, b, L.proposed, rec.proposed, L.n);
    copyCommand(r, b, L.sent, rec.sent, L.n);
    if (L.cmd >= 0) copy(r, b + L.cmd, meta.command!.applied, 3);
    if (L.pred >= 0) {
      // The hook committed this tick's rollouts before the record was emitted: keep the chosen row.
      const tr = w!.trace;
      const fresh = tr.version !== traceVersion && tr.seq === rec.seq && tr.chosen >= 0;
      r[b + L.pred] = fresh ? 1 : 0;
      if (fresh) {
        traceVersion = tr.version;
        r[b + L.pred + 1] = tr.scores[tr.chosen];
        const S = L.predSize, st = tr.states;
        for (let t = 0, o = b + L.pred + 2; t < L.predPoints; t++)
          for (let i = (t * tr.capacity + tr.chosen) * S, end = i + S; i < end; i++, o++) r[o] = st[i];
      }
    }
    tail = (tail + 1) % capacity;
    // The slot is the writer's from here (the atomic add publishes the plain writes above).
    if (Atomics.add(control, C_COUNT, 1) + 1 === kickAt) {
      Atomics.add(control, C_KICK, 1);
      Atomics.notify(control, C_KICK);
    }
  };

  const sub = loop.records$.subscribe(onRecord);

  /** The writer thread's last word, undefined when it exited first; null when it took too long. */
  const finished = (): Promise<RecorderWorkerClosed | undefined | null> =>
    new Promise((resolve) => {
      if (thread.exitCode !== undefined) return resolve(undefined);
      const timer = setTimeout(() => resolve(null), closeTimeoutMs);
      reply = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
      post({ kind: 'close', ...(episode !== undefined ? { episode } : {}) });
    });

  return {
    file,
    get ticks() {
      return ticks;
    },
    get dropped() {
      return dropped;
    },
    get failure() {
      return failure;
    },
    setEpisode(e: RecordedEpisode): void {
      episode = e;
    },
    close(): Promise<RecorderSummary> {
      closed ??= (async () => {
        sub.unsubscribe();
        postEvents();
        thread.worker.ref();
        const last = await finished();
        reply = undefined;
        // A clean finish hands the thread back for the next recording (unref'd); anything else terminates it.
        await releaseWriterThread(thread, last !== null && last !== undefined && last.error === undefined);
        // The writer thread is done with the file (its writes finished, or it is gone): the file is closed here, where it was opened.
        // Written to the end, but no longer at its path (a tmp cleaner, `rm -rf runs/`, a copy over
        // it): a failed recording, none of its ticks where the summary says (review R30 F4).
        const unlinked = last?.error === undefined ? linkLost(fd, file) : undefined;
        if (unlinked !== undefined) {
          try {
            closeSync(fd);
          } catch {
            // the file is lost already: that is the error said
          }
          failed({ error: unlinked }, false);
          return {
            file,
            ticks,
            received: ticks,
            written: 0,
            dropped: ticks,
            events: last?.events ?? 0,
            messages: last?.messages ?? 0,
            chunks: last?.chunks ?? 0,
            bytes: last?.bytes ?? 0,
            compression,
            error: unlinked,
            ...(ticks > 0 ? { lost_from_s: firstS, lost_from_seq: firstSeq } : {}),
          };
        }
        let closeError: string | undefined;
        try {
          closeSync(fd);
        } catch (e) {
          closeError = (e as Error).message;
        }
        const error =
          last === null
            ? `the recorder's writer thread did not finish within ${closeTimeoutMs} ms`
            : last === undefined
              ? (failure?.error ?? `the recorder's writer thread exited (code ${thread.exitCode})${thread.error ? `: ${thread.error.message}` : ''}`)
              : (last.error ?? closeError);
        if (error === undefined)
          return { file, ticks, received: ticks, written: ticks - dropped, dropped, events: last!.events, messages: last!.messages, chunks: last!.chunks, bytes: last!.bytes, compression };
        // The file keeps what reached it; the run's summary says what was lost and why.
        // (A failure first seen here is not handed to onFailure: the run is over; the summary says it.)
        failed(last?.error !== undefined ? { error, ...lostOf(last) } : { error }, false);
        const written = last ? last.written : 0;
        const lost = last?.error !== undefined ? lostOf(last) : failure!.error === error ? failure! : {};
        return {
          file,
          ticks,
          received: ticks,
          written,
          dropped: ticks - written,
          events: last?.events ?? 0,
          messages: last?.messages ?? 0,
          chunks: last?.chunks ?? 0,
          bytes: last?.bytes ?? 0,
          compression,
          error,
          ...(lost.lostFromS !== undefined ? { lost_from_s: lost.lostFromS, lost_from_seq: lost.lostFromSeq! } : {}),
        };
      })();
      return closed;
    },
  };
}

function lostOf(m: RecorderWorkerFailed | RecorderWorkerClosed): { lostFromS?: number; lostFromSeq?: number } {
  return m.lostFromS !== undefined ? { lostFromS: m.lostFromS, lostFromSeq: m.lostFromSeq! } : {};
}

function copy(dst: Float64Array, at: number, src: ArrayLike<number>, len: number): void {
  for (let i = 0; i < len; i++) dst[at + i] = src[i];
}

function copyCommand(r: Float64Array, b: number, L: CommandLayout, c: JointCommand, n: number): void {
  copy(r, b + L.target, c.target, n);
  if (L.kp >= 0 && c.kp) copy(r, b + L.kp, c.kp, n);
  if (L.kd >= 0 && c.kd) copy(r, b + L.kd, c.kd, n);
  if (L.ff >= 0 && c.feedforward) copy(r, b + L.ff, c.feedforward, n);
}
