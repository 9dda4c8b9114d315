import type { JointCommand, Observation } from '../core/robot.ts';
import { InferenceTimeout } from '../policy/InferenceTimeout.ts';
import type { ObservationBuilder } from '../model/ObservationBuilder.ts';
import { wrapAngle } from './OnnxWorldModel.ts';
import type { SentAction } from './SentAction.ts';
import { COMMAND_AGE_KEY, type WorldModel, type WorldModelEventSink, type WorldModelHook, type WorldModelTickInfo } from './types.ts';

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
 * The prediction is made from the command the robot was actually sent (`commanded`, after the
 * safety supervisor: a live run's soft start sends a fraction of the proposal for its first second),
 * read back into the raw action space (SentAction), and over the part of the step each command was
 * in effect where the robot reports it (COMMAND_AGE_KEY: a bridged robot gets each command a few ms
 * into the step, or after its next frame). Without a SentAction (or before the loop says), the
 * monitor's own output stands for what was sent (docs/world-model.md, "Monitor").
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
  /** The frame the next comparison predicts from: its state, observation time (s) and seq. */
  private readonly start: Float32Array;
  private startTime = Number.NaN;
  private startSeq = -1;
  private haveStart = false;
  /** The start frame came before the newest command then sent had taken effect (its COMMAND_AGE_KEY NaN). */
  private startPending = false;
  /** Raw action sent after the start frame (the newest command) and the one before it; whether each is known. */
  private readonly sent: Float32Array;
  private readonly prev: Float32Array;
  private sentOk = false;
  private prevOk = false;
  /** apply() ran this tick and the loop has not yet said what was sent (commanded). */
  private awaiting = false;
  /** The step's parts (s) under the command before the newest and under the newest, and the predicted state. */
  private prevS = 0;
  private sentS = 0;
  private readonly pred: Float32Array;
  /** Two rows of the batched split-step prediction (states, actions). */
  private readonly xs: Float32Array;
  private readonly as: Float32Array;
  /** State elements that are joint positions (the second integral of the action). */
  private isPos: Uint8Array;
  private readonly S: number;
  private readonly A: number;
  private readonly a: Float32Array;
  private readonly out: Float32Array;
  private readonly invErr: Float32Array;
  private readonly isAngle: Uint8Array;
  private readonly win: Float64Array;
  private readonly winThreshold2: number;
  private winSum = 0;
  private winN = 0;
  private streak = 0;
  private degraded = false;
  private stopped = false;

  constructor(
    private readonly model: WorldModel & { errorStd?: Float32Array; isAngle?: Uint8Array; stateNames?: readonly string[] },
    private readonly state: ObservationBuilder,
    private readonly sink: WorldModelEventSink | undefined,
    options: Partial<MonitorOptions> = {},
    private readonly sentAction?: SentAction,
  ) {
    this.options = { ...defaultMonitorOptions, ...options };
    this.S = model.stateSize;
    this.A = model.actionSize;
    this.start = new Float32Array(this.S);
    this.sent = new Float32Array(this.A);
    this.prev = new Float32Array(this.A);
    this.pred = new Float32Array(this.S);
    this.xs = new Float32Array(2 * this.S);
    this.as = new Float32Array(2 * this.A);
    this.isPos = Uint8Array.from(model.stateNames ?? [], (n) => (n.startsWith('joint_pos') ? 1 : 0));
    if (this.isPos.length !== this.S) this.isPos = new Uint8Array(this.S);
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
    this.haveStart = false;
    this.sentOk = false;
    this.prevOk = false;
    this.awaiting = false;
    this.sent.fill(0);
    this.prev.fill(0);
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
    // A model whose call still has not answered is a miss every tick, also on a tick that would not
    // call it (after a hold): not an unmonitored pass-through every other tick (review R22 F4).
    if (this.model.stuck) throw new InferenceTimeout('world model', 'onnxruntime has not answered its last call');
    const { S, A, options: o } = this;
    const s = this.state.build(obs, this.a);
    let surprise = Number.NaN;
    let compare = false;
    let repeated = false;
    if (this.haveStart) {
      const step = obs.time - this.startTime, dt = this.model.dt;
      repeated = obs.seq === this.startSeq || !(step > 0);
      compare = this.sentOk;
      if (compare && (repeated || !(Math.abs(step - dt) <= STEP_TOLERANCE * dt))) {
        compare = false;
        this.skippedTicks++;
      }
      if (compare && !this.splitStep(obs, step)) {
        compare = false;
        this.skippedTicks++;
      }
    }
    if (compare) {
      const pred = await this.predictStep();
      let sum = 0;
      for (let i = 0; i < S; i++) {
        const d = this.isAngle[i] ? wrapAngle(s[i] - pred[i]) : s[i] - pred[i];
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
    // The same frame again: the next frame is compared with a prediction from this one (its
    // step is checked against the time of this frame, not of this tick).
    if (!repeated) {
      for (let i = 0; i < S; i++) this.start[i] = s[i];
      this.startTime = obs.time;
      this.startSeq = obs.seq;
      this.haveStart = true;
      const age = obs.extras[COMMAND_AGE_KEY];
      this.startPending = age !== undefined && age.length > 0 && !(age[0] >= 0);
    }
    this.prev.set(this.sent);
    this.prevOk = this.sentOk;
    this.awaiting = true;
    let bad = false;
    for (let j = 0; j < A; j++) if (!(Math.abs(action[j]) <= 1e10)) bad = true;
    if (bad) {
      this.sentOk = false;
      return action;
    }
    const scale = this.degraded ? o.degradeScale : 1;
    for (let j = 0; j < A; j++) {
      let v = action[j] * scale;
      if (v > o.actionClip) v = o.actionClip;
      else if (v < -o.actionClip) v = -o.actionClip;
      this.out[j] = v;
      this.a[j] = v;
      this.sent[j] = v;
    }
    // Until the loop says what was sent (commanded), the robot is taken to get this action.
    this.sentOk = true;
    return this.out;
  }

  /**
   * The command actually sent this tick: the action the next comparison predicts from (and the
   * state's last action). Without an `sentAction` reader the monitor's own output stands. A tick
   * the hook did not run (a hold, a stop) leaves no state to predict from.
   */
  commanded(sent: JointCommand): void {
    if (!this.awaiting) {
      this.haveStart = false;
      this.prev.set(this.sent);
      this.prevOk = this.sentOk;
      this.sentOk = this.sentAction !== undefined && this.sentAction.read(sent, this.sent);
      if (this.sentOk) this.a.set(this.sent);
      return;
    }
    this.awaiting = false;
    if (this.sentAction === undefined) return;
    this.sentOk = this.sentAction.read(sent, this.sent);
    if (this.sentOk) this.a.set(this.sent);
  }

  /**
   * Splits the step from the start frame to `obs` (`step` s) at the moment the newest command took
   * effect: `prevS` s under the command before it, then `sentS` s under it. A robot that applies a
   * command at once reports no COMMAND_AGE_KEY: the whole step is the newest command's. A bridged
   * robot's command reaches it a few ms into the step, or after its next frame (age NaN: the whole
   * step was the command before's). False when the part under the command before is not known.
   */
  private splitStep(obs: Observation, step: number): boolean {
    const age = obs.extras[COMMAND_AGE_KEY];
    let c = step;
    if (age !== undefined && age.length > 0) c = age[0] > 0 ? Math.min(age[0], step) : 0;
    this.sentS = c;
    this.prevS = step - c;
    // The command before had not taken effect at the start frame either: a third one (or more) was
    // in effect over the step.
    return !(this.prevS > 0 && (!this.prevOk || this.startPending));
  }

  /**
   * The predicted state at the end of the split step (into `pred`): the change over a step split
   * at the switch is, to second order, the model's whole-step change under the impulse-mean action
   * for the state's rates (velocities: a1·τ1 + a2·τ2, over h) and under the action whose double
   * integral matches for its positions (joint_pos: a1·(τ1² + 2·τ1·τ2) + a2·τ2², over h²): one
   * batched call of two rows. The change is scaled by h / dt (first order: a frame a few ms off dt).
   */
  private async predictStep(): Promise<Float32Array> {
    const S = this.S, A = this.A, dt = this.model.dt;
    const t1 = this.prevS, t2 = this.sentS, h = t1 + t2;
    const split = t1 > 0 && t2 > 0;
    const xs = this.xs, as = this.as;
    for (let i = 0; i < S; i++) xs[i] = xs[S + i] = this.start[i];
    for (let j = 0; j < A; j++) {
      const a1 = this.prev[j], a2 = this.sent[j];
      as[j] = t2 <= 0 ? a1 : t1 <= 0 ? a2 : (a1 * t1 + a2 * t2) / h;
      as[A + j] = split ? (a1 * (t1 * t1 + 2 * t1 * t2) + a2 * t2 * t2) / (h * h) : as[j];
    }
    const rows = split ? 2 : 1;
    const p = (await this.model.predict(xs, as, rows)).nextStates;
    const k = h / dt, x = this.pred;
    for (let i = 0; i < S; i++) {
      const r = split && this.isPos[i] ? S + i : i;
      const d = this.isAngle[i] ? wrapAngle(p[r] - this.start[i]) : p[r] - this.start[i];
      x[i] = this.start[i] + k * d;
    }
    return x;
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
