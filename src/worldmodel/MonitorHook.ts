import type { Observation } from '../core/robot.ts';
import type { ObservationBuilder } from '../model/ObservationBuilder.ts';
import { wrapAngle } from './OnnxWorldModel.ts';
import type { WorldModel, WorldModelEventSink, WorldModelHook, WorldModelTickInfo } from './types.ts';

export interface MonitorOptions {
  /** Surprise (RMS of the one-step error in units of error_std) above which a tick counts. Default 6. */
  readonly threshold: number;
  /** Consecutive ticks above the threshold that raise a 'surprise' event and degrade. Default 5. */
  readonly ticks: number;
  /** Further consecutive ticks above it, once degraded, that safe-stop. Default 25. */
  readonly stopTicks: number;
  /** While degraded, actions are multiplied by this (slow down). Default 0.5. */
  readonly degradeScale: number;
  /** Raw action clip (the manifest's), applied before predicting. Default 1. */
  readonly actionClip: number;
  /**
   * Ticks of the windowed surprise: the RMS of the surprise over the last `window` ticks. Default 8
   * (0.16 s at 50 Hz). A small persistent error (a heavier pole) shows in it long before `ticks`
   * ticks in a row cross `threshold`, while one tick's noise averages out.
   */
  readonly window: number;
  /** Windowed surprise above which the event is raised at once (and a tick counts as surprising). Default 1.25 × threshold. */
  readonly windowThreshold?: number;
}

/** How far (fraction of the model's dt) an observation's time step may be from dt and still be compared with the prediction. */
export const STEP_TOLERANCE = 0.25;

export const defaultMonitorOptions: MonitorOptions = { threshold: 6, ticks: 5, stopTicks: 25, degradeScale: 0.5, actionClip: 1, window: 8 };

/**
 * `--wm-mode monitor`: every tick the world model predicts the next state from this state and the
 * action sent on; the next tick compares the prediction with what the robot reports. The error,
 * per element in units of the model's own held-out one-step error (error_std), RMS over elements,
 * is the surprise. Above `threshold` for `ticks` ticks in a row it is a 'surprise' safety event and
 * the hook degrades (scales actions by degradeScale); for `stopTicks` more ticks it asks the
 * supervisor for a safe-stop. The windowed surprise (RMS of the surprise over the last `window`
 * ticks) above `windowThreshold` raises the event at once and counts as a surprising tick too.
 * The first tick after reset has no prediction (surprise NaN).
 *
 * The prediction is one model step (`dt`) ahead of the observation it started from, so it is
 * compared only with an observation one step later: a repeated frame (the same `seq`, or no time
 * passed: a bridge link that had nothing new) or one whose time step differs from `dt` by more than
 * STEP_TOLERANCE (a late frame, a dropped one) is not compared. That tick's surprise is NaN, it
 * counts in `skippedTicks`, and the streak and window are left as they were (docs/world-model.md,
 * "Monitor").
 *
 * A proposal with a NaN, ±Inf or |x| > 1e10 goes on unchanged (the supervisor rejects it and
 * holds) and is not predicted from: the next tick has no prediction to compare, and the
 * monitor's own last action (`a`, its state's last_action) keeps the last finite one.
 */
export class MonitorHook implements WorldModelHook {
  readonly mode = 'monitor' as const;
  readonly tick: WorldModelTickInfo = { surprise: Number.NaN, cost: Number.NaN, vetoed: false };
  readonly options: MonitorOptions;
  /** Time (s, observation time) of the first 'surprise' event since reset; NaN when none. */
  firstEventTime = Number.NaN;
  /** Largest surprise since reset. */
  maxSurprise = 0;
  /** Ticks whose observation was not one model step after the prediction's (repeated, late or early frames): not compared. */
  skippedTicks = 0;
  /** Observation time (s) and seq the prediction started from. */
  private predTime = Number.NaN;
  private predSeq = -1;
  private readonly S: number;
  private readonly A: number;
  private readonly pred: Float32Array;
  private readonly a: Float32Array;
  private readonly out: Float32Array;
  private readonly invErr: Float32Array;
  private readonly isAngle: Uint8Array;
  private readonly win: Float64Array;
  private readonly winThreshold2: number;
  private winSum = 0;
  private winN = 0;
  private havePred = false;
  private streak = 0;
  private degraded = false;
  private stopped = false;

  constructor(
    private readonly model: WorldModel & { errorStd?: Float32Array; isAngle?: Uint8Array },
    private readonly state: ObservationBuilder,
    private readonly sink: WorldModelEventSink | undefined,
    options: Partial<MonitorOptions> = {},
  ) {
    this.options = { ...defaultMonitorOptions, ...options };
    this.S = model.stateSize;
    this.A = model.actionSize;
    this.pred = new Float32Array(this.S);
    this.a = new Float32Array(this.A);
    this.out = new Float32Array(this.A);
    this.invErr = Float32Array.from(model.errorStd ?? new Float32Array(this.S).fill(1), (e) => 1 / e);
    this.isAngle = model.isAngle ?? new Uint8Array(this.S);
    const w = this.options.window;
    if (!(Number.isInteger(w) && w >= 1)) throw new RangeError(`monitor window is ${w}: a whole number of ticks >= 1`);
    this.win = new Float64Array(w);
    const wt = this.options.windowThreshold ?? 1.25 * this.options.threshold;
    this.winThreshold2 = wt * wt;
  }

  /** RMS of the surprise over the last `window` ticks; NaN until the window is full. */
  get windowedSurprise(): number {
    return this.winN >= this.win.length ? Math.sqrt(Math.max(0, this.winSum) / this.win.length) : Number.NaN;
  }

  reset(): void {
    this.state.reset();
    this.havePred = false;
    this.win.fill(0);
    this.winSum = 0;
    this.winN = 0;
    this.streak = 0;
    this.degraded = false;
    this.stopped = false;
    this.firstEventTime = Number.NaN;
    this.maxSurprise = 0;
    this.skippedTicks = 0;
    this.a.fill(0);
    this.tick.surprise = Number.NaN;
  }

  async apply(obs: Observation, _input: Float32Array, action: Float32Array, seq = 0): Promise<Float32Array> {
    const { S, A, options: o } = this;
    const s = this.state.build(obs, this.a);
    let surprise = Number.NaN;
    let compare = this.havePred;
    let repeated = false;
    if (compare) {
      const step = obs.time - this.predTime, dt = this.model.dt;
      repeated = obs.seq === this.predSeq || !(step > 0);
      if (repeated || !(Math.abs(step - dt) <= STEP_TOLERANCE * dt)) {
        compare = false;
        this.skippedTicks++;
      }
    }
    if (compare) {
      let sum = 0;
      for (let i = 0; i < S; i++) {
        const d = this.isAngle[i] ? wrapAngle(s[i] - this.pred[i]) : s[i] - this.pred[i];
        const z = d * this.invErr[i];
        sum += z * z;
      }
      surprise = Math.sqrt(sum / S);
      if (!(surprise <= 1e10)) surprise = 1e10; // a NaN state is as surprising as it gets
      if (surprise > this.maxSurprise) this.maxSurprise = surprise;
      // Sliding sum of surprise² over the last `window` ticks (re-summed each lap against drift).
      const W = this.win.length, slot = this.winN % W, s2 = surprise * surprise;
      this.winSum += s2 - this.win[slot];
      this.win[slot] = s2;
      this.winN++;
      if (slot === W - 1) {
        let t = 0;
        for (let i = 0; i < W; i++) t += this.win[i];
        this.winSum = t;
      }
      this.track(surprise, this.winN >= W && this.winSum / W > this.winThreshold2, obs.time, seq);
    }
    this.tick.surprise = surprise;
    let bad = false;
    for (let j = 0; j < A; j++) if (!(Math.abs(action[j]) <= 1e10)) bad = true;
    if (bad) {
      this.havePred = false;
      return action;
    }
    const scale = this.degraded ? o.degradeScale : 1;
    for (let j = 0; j < A; j++) {
      let v = action[j] * scale;
      if (v > o.actionClip) v = o.actionClip;
      else if (v < -o.actionClip) v = -o.actionClip;
      this.out[j] = v;
      this.a[j] = v;
    }
    // The same frame again: the prediction made from it stands (the robot has not moved on from it;
    // this tick's action reaches it during the step the prediction covers, as the last one did).
    if (repeated) return this.out;
    const p = await this.model.predict(s, this.a, 1);
    this.pred.set(p.nextStates.subarray(0, S));
    this.havePred = true;
    this.predTime = obs.time;
    this.predSeq = obs.seq;
    return this.out;
  }

  private track(surprise: number, windowed: boolean, time: number, seq: number): void {
    const o = this.options;
    if (surprise > o.threshold || windowed) this.streak++;
    else {
      if (this.degraded && !this.stopped && this.streak === 0) {
        this.degraded = false;
        this.sink?.reportWorldModel('surprise', 'info', `surprise back under ${o.threshold}: full actions again`, time, seq, surprise);
      }
      this.streak = 0;
      return;
    }
    if ((this.streak >= o.ticks || windowed) && !this.degraded) {
      this.degraded = true;
      if (Number.isNaN(this.firstEventTime)) this.firstEventTime = time;
      const why = this.streak >= o.ticks
        ? `prediction error ${surprise.toFixed(1)} (threshold ${o.threshold}) for ${o.ticks} ticks`
        : `prediction error RMS ${this.windowedSurprise.toFixed(2)} over ${this.win.length} ticks (threshold ${Math.sqrt(this.winThreshold2).toFixed(2)})`;
      this.sink?.reportWorldModel('surprise', 'degrade', `${why}: the world differs from the model, actions scaled by ${o.degradeScale}`, time, seq, surprise);
    } else if (this.streak >= o.ticks + o.stopTicks && this.degraded && !this.stopped) {
      this.stopped = true;
      this.sink?.reportWorldModel('surprise', 'stop', `prediction error above ${o.threshold} for ${this.streak} ticks: safe-stop`, time, seq, surprise);
    }
  }
}
