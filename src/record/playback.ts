import { Subject } from 'rxjs';
import { createCommand, type RobotSpec } from '../core/robot.ts';
import { LoopStats } from '../loop/LoopStats.ts';
import { stageNames, type TickRecord } from '../loop/TickRecord.ts';
import { steadyNow } from '../clock/sleep.ts';
import type { Recording } from './readRecording.ts';
import { RolloutTrace } from '../worldmodel/RolloutTrace.ts';
import type { SafetyEvent, SafetyState } from '../safety/types.ts';

/** A robot that can be put in a recorded pose for drawing (SimRobot.showPose). */
export interface PosableRobot {
  showPose(positions: ArrayLike<number>, basePosition?: ArrayLike<number>, baseOrientation?: ArrayLike<number>): void;
}

export interface PlaybackOptions {
  /** Playback speed factor (2 = twice as fast as recorded). */
  readonly speed: number;
  /** Start at the first tick at or after this time (s): seek. */
  readonly fromS?: number;
}

/**
 * Plays a recording back as a loop-like tick stream (`records$`, `stats`) that the viewer can
 * attach to, posing `robot` at each recorded tick, paced to the recorded period / speed. Also a
 * SimControl: the viewer's pause / step / resume work on it. Its safety is the recording's:
 * `safetyState` is the shown tick's recorded state, and `events$` emits the recorded safety events
 * as playback passes their tick (those before the seek point when the first tick is shown, the
 * rest of them with the last tick), for the viewer's safety panel (docs/viewer.md).
 */
export class Playback {
  readonly records$ = new Subject<TickRecord>();
  /** The recorded safety events, each once, as playback reaches its tick (seq). */
  readonly events$ = new Subject<SafetyEvent>();
  readonly stats: LoopStats;
  /** The recorded predicted trajectory of the tick shown (one row), when the run recorded a world model. */
  readonly trace: RolloutTrace | undefined;
  private readonly rec: TickRecord;
  private index: number;
  /** Where playing starts, and starts again (Resume at the end): the seek point. */
  private readonly startIndex: number;
  /** run() is playing; stop() was called (Ctrl-C); Resume at the end asked to play again. */
  private running = false;
  private stopped = false;
  private again = false;
  private _paused = false;
  private stepRequested = false;
  private timer: NodeJS.Timeout | undefined;
  /** The recorded events in seq order, and how many of them were emitted. */
  private readonly events: readonly SafetyEvent[];
  private eventsSent = 0;

  constructor(
    private readonly recording: Recording,
    spec: RobotSpec,
    private readonly robot: PosableRobot,
    private readonly o: PlaybackOptions,
  ) {
    const ticks = recording.ticks;
    this.stats = new LoopStats(stageNames, Math.max(1, ticks.length));
    if (ticks.length === 0) throw new RangeError('the recording has no tick to play');
    this.index = ticks.findIndex((t) => t.time - ticks[0].time >= (o.fromS ?? 0)); // s from the recording's first tick
    // Past the end: not a silent play from the start (axon replay checks it first: a usage error naming the flag).
    if (this.index < 0) throw new RangeError(`start ${o.fromS} s is past the recording's end (${recordingLength(recording)} s)`);
    this.startIndex = this.index;
    this.events = [...recording.events].sort((a, b) => a.seq - b.seq); // stable: same-seq events keep their order
    const first = ticks[this.index];
    const wm = recording.worldModel;
    this.trace = wm ? new RolloutTrace(wm.horizon, wm.stateSize, 1) : undefined;
    this.rec = {
      seq: 0,
      time: 0,
      lateness: 0,
      observation: first.observation,
      input: first.input,
      policyAction: first.raw,
      action: first.action,
      proposed: createCommand(spec, first.proposed.mode),
      sent: createCommand(spec, first.sent.mode),
      safetyState: first.safetyState,
      events: [],
      episodeReturn: 0,
      terminated: false,
      actionAge: 0,
      inferenceS: 0,
      stageS: new Float64Array(stageNames.length),
    };
  }

  /** The recorded safety state of the tick shown (before the first: the seek point's). */
  get safetyState(): SafetyState {
    return this.rec.safetyState;
  }

  get paused(): boolean {
    return this._paused;
  }
  pause(): void {
    this._paused = true;
  }
  /**
   * At the end of the recording (played, held; not stopped), Resume plays it again from the seek
   * point, as a player's Play does at the end: `again` is set for the caller to run() again (axon
   * replay does), and the ack says so. Elsewhere it resumes.
   */
  resume(): string | void {
    this._paused = false;
    if (!this.ended) return;
    this.index = this.startIndex;
    this.again = true;
    return `playing again from ${this.o.fromS ?? 0} s`;
  }
  step(): void {
    this.stepRequested = true;
  }
  /** Step at the end of the recording has no tick to go to: refused, naming what Resume does (SimControl.refuses). */
  refuses(cmd: 'pause' | 'resume' | 'step'): string | undefined {
    if (cmd !== 'step' || !this.ended) return undefined;
    const ticks = this.recording.ticks;
    return `end of the recording (tick ${ticks[ticks.length - 1].seq} at ${recordingLength(this.recording)} s): no tick to step to; Resume plays it again from ${this.o.fromS ?? 0} s`;
  }
  /** Played to its last tick and not playing (nor stopped, nor asked to play again). */
  get ended(): boolean {
    return !this.running && !this.stopped && !this.again && this.index >= this.recording.ticks.length;
  }
  /** Resume at the end asked to play the recording again: run() it again (it clears this). */
  get replayRequested(): boolean {
    return this.again;
  }

  /**
   * Plays to the end (or until stop()); resolves with the number of ticks shown. At the end it is
   * left paused, so that the page offers Resume (which plays it again) and Step (refused: no tick).
   */
  run(): Promise<number> {
    this.running = true;
    this.again = false;
    const ticks = this.recording.ticks;
    const period = ticks.length > 1 ? (ticks[ticks.length - 1].time - ticks[0].time) / (ticks.length - 1) : 0.02;
    this.stats.start(steadyNow());
    let shown = 0;
    return new Promise((resolve) => {
      const next = () => {
        if (this.index >= ticks.length) {
          this.timer = undefined;
          this.running = false;
          if (!this.stopped) this._paused = true;
          resolve(shown);
          return;
        }
        if (!this._paused || this.stepRequested) {
          this.stepRequested = false;
          this.show(this.index++);
          shown++;
        }
        this.timer = setTimeout(next, (period / this.o.speed) * 1000);
      };
      this.stopResolve = () => resolve(shown);
      next();
    });
  }

  private stopResolve: (() => void) | undefined;

  stop(): void {
    this.stopped = true;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.index = this.recording.ticks.length;
    this.stopResolve?.();
  }

  private show(i: number): void {
    const t = this.recording.ticks[i];
    const obs = t.observation;
    this.robot.showPose(obs.jointPosition, obs.base?.position, obs.base?.orientation);
    const r = this.rec;
    r.seq = t.seq;
    r.time = t.time;
    r.lateness = t.latenessUs / 1e6;
    r.observation = obs;
    r.input = t.input;
    r.policyAction = t.raw;
    r.action = t.action;
    r.proposed.mode = t.proposed.mode;
    r.proposed.target.set(t.proposed.target);
    r.sent.mode = t.sent.mode;
    r.sent.target.set(t.sent.target);
    r.safetyState = t.safetyState;
    // The recorded events up to this tick (all before the seek point on the first tick shown;
    // those stamped after the last tick, with it). Off any control loop: a replay only.
    const ev = this.events, last = i === this.recording.ticks.length - 1;
    while (this.eventsSent < ev.length && (last || ev[this.eventsSent].seq <= t.seq)) this.events$.next(ev[this.eventsSent++]);
    r.episodeReturn = t.episodeReturn;
    r.terminated = t.terminated;
    if (t.worldModel) r.worldModel = { ...t.worldModel };
    const tr = this.trace, p = t.predicted;
    if (tr && p && p.points === tr.steps && p.states.length === tr.steps * tr.stateSize) {
      const S = tr.stateSize;
      tr.begin(p.states, 1);
      for (let k = 1; k < p.points; k++) tr.step(k - 1, p.states.subarray(k * S, (k + 1) * S), 1);
      tr.score(0, p.cost);
      tr.commit(0, t.seq);
    }
    stageNames.forEach((s, k) => (r.stageS[k] = (t.stageUs[s] ?? 0) / 1e6));
    this.stats.record(r.lateness, r.stageS, steadyNow());
    this.records$.next(r);
  }
}

/** A recording's length (s): its last tick's time from its first, to 3 decimals. */
export function recordingLength(recording: Recording): number {
  const t = recording.ticks;
  return t.length === 0 ? 0 : Math.round((t[t.length - 1].time - t[0].time) * 1000) / 1000;
}
