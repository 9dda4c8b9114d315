import type { Observation } from '../core/robot.ts';
import { Rng } from '../core/rng.ts';
import type { ObservationBuilder } from '../model/ObservationBuilder.ts';
import type { Constraints } from './Constraints.ts';
import { RolloutTrace } from './RolloutTrace.ts';
import type { Continuation } from './BatchPolicy.ts';
import type { WorldModel, WorldModelEventSink, WorldModelHook, WorldModelTickInfo } from './types.ts';

export interface ShieldOptions {
  /** Steps the proposal (then the continuation) is rolled forward (N). Default 10. */
  readonly horizon: number;
  /** Alternatives tried when the proposal is predicted unsafe (besides zero). Default 64. */
  readonly samples: number;
  /** Std of the alternatives sampled around the proposal (raw action units); half of them are uniform over the clip box. Default 0.3. */
  readonly noiseStd: number;
  /** Raw action clip (the manifest's). Default 1. */
  readonly actionClip: number;
  readonly seed: number;
}

export const defaultShieldOptions: ShieldOptions = { horizon: 10, samples: 64, noiseStd: 0.3, actionClip: 1, seed: 1 };

/**
 * `--wm-mode shield`: before a command goes to safety, the world model rolls the proposed raw
 * action, then the continuation (the policy's own reaction, or a hold), N steps forward. If a
 * predicted state breaks a declared constraint, the shield tries alternatives in one batch (zero,
 * samples around the proposal, uniform samples) and sends the safe one closest to the proposal (or,
 * if none is safe, the one whose violation comes latest and smallest). The veto is a safety event
 * carrying the predicted violation and its step. A safe proposal passes through unchanged.
 *
 * Bad numbers: a proposal with a NaN, ±Inf or |x| > 1e10 is not rolled out; it goes on unchanged,
 * so the safety supervisor rejects it as a whole (hold, then safe-stop) and names the field. A
 * predicted state with a bad number (any element) is the world model's fault, not a constraint
 * prediction: when the proposal's own rollout has one, or every alternative's does, apply() rejects
 * (WorldModelFault) and the loop treats it as a failed hook: the supervisor holds the present pose
 * (`world_model_error`, "world model failed: ...") and safe-stops at the 3rd tick in a row. An
 * error thrown by the continuation policy in the rollouts fails the hook the same way
 * (docs/world-model.md, "Shield"). An alternative whose rollout has one is never chosen. Nothing is
 * ever sent in place of the proposal but an alternative the model predicted. Only finite actions are
 * fed back into the shield's own state (`last`).
 */
export class ShieldHook implements WorldModelHook {
  readonly mode = 'shield' as const;
  readonly tick: WorldModelTickInfo = { surprise: Number.NaN, cost: Number.NaN, vetoed: false };
  readonly options: ShieldOptions;
  /** Vetoes since construction. */
  vetoes = 0;
  private readonly S: number;
  private readonly A: number;
  private readonly R: number;
  private readonly x: Float32Array;
  private readonly first: Float32Array;
  private readonly prev: Float32Array;
  private readonly act: Float32Array;
  private readonly firstBad: Int32Array;
  /** Per row of the last roll: the first step whose predicted state had a bad number, -1 when none. */
  private readonly nonFinite: Int32Array;
  private readonly worst: Float64Array;
  private readonly worstWhich: Int32Array;
  private readonly which = new Int32Array(1);
  private readonly out: Float32Array;
  private readonly last: Float32Array;
  private rng: Rng;
  /** Each tick's rollouts (enableTrace): the proposal, and after a veto every alternative. */
  trace: RolloutTrace | undefined;

  constructor(
    private readonly model: WorldModel,
    private readonly state: ObservationBuilder,
    private readonly constraints: Constraints,
    private readonly continuation: Continuation,
    private readonly sink: WorldModelEventSink | undefined,
    options: Partial<ShieldOptions> = {},
  ) {
    this.options = { ...defaultShieldOptions, ...options };
    this.S = model.stateSize;
    this.A = model.actionSize;
    this.R = 2 + this.options.samples;
    const R = this.R;
    this.x = new Float32Array(R * this.S);
    this.first = new Float32Array(R * this.A);
    this.prev = new Float32Array(R * this.A);
    this.act = new Float32Array(R * this.A);
    this.firstBad = new Int32Array(R);
    this.nonFinite = new Int32Array(R);
    this.worst = new Float64Array(R);
    this.worstWhich = new Int32Array(R);
    this.out = new Float32Array(this.A);
    this.last = new Float32Array(this.A);
    this.rng = new Rng(this.options.seed);
    (model as { reserve?: (n: number) => void }).reserve?.(R);
  }

  /**
   * Keeps each tick's rollouts for a viewer: row 0 the proposal; after a veto all R = samples + 2
   * alternatives (so the command sent is always among them; `rows` is not needed to size it).
   */
  enableTrace(_rows?: number): RolloutTrace {
    return (this.trace = new RolloutTrace(this.options.horizon, this.S, this.R));
  }

  reset(seed?: number): void {
    this.state.reset();
    this.last.fill(0);
    this.rng = new Rng(seed ?? this.options.seed);
    this.tick.vetoed = false;
  }

  /** Rolls rows 0..n-1 (first actions in `first`) forward; fills firstBad (horizon when safe) and worst. */
  private async roll(s: Float32Array, n: number): Promise<void> {
    const { S, A, x } = this;
    const H = this.options.horizon;
    for (let r = 0; r < n; r++) {
      x.set(s.subarray(0, S), r * S);
      this.firstBad[r] = H;
      this.worst[r] = 0;
      this.nonFinite[r] = -1;
    }
    this.act.set(this.first.subarray(0, n * A));
    this.trace?.begin(s, n);
    for (let t = 0; t < H; t++) {
      if (t > 0) {
        this.prev.set(this.act.subarray(0, n * A));
        await this.continuation.act(x.subarray(0, n * S), this.prev.subarray(0, n * A), n, this.act.subarray(0, n * A));
      }
      const p = await this.model.predict(x.subarray(0, n * S), this.act.subarray(0, n * A), n);
      x.set(p.nextStates);
      this.trace?.step(t, p.nextStates, n);
      for (let r = 0; r < n; r++) {
        if (this.nonFinite[r] < 0)
          for (let i = r * S, e = i + S; i < e; i++)
            if (!(Math.abs(x[i]) <= BAD_VALUE)) {
              this.nonFinite[r] = t;
              break;
            }
        let v = this.constraints.violation(x, r, this.which);
        if (!(v <= BAD_VALUE)) v = BAD_VALUE; // a NaN prediction is a violation, not safe
        if (v > 0) {
          if (this.firstBad[r] === H) this.firstBad[r] = t;
          if (v > this.worst[r]) {
            this.worst[r] = v;
            this.worstWhich[r] = this.which[0];
          }
        }
      }
    }
  }

  /** The model predicted a bad number: the hook fails this tick (the loop holds, then safe-stops). */
  private fault(where: string, step: number): never {
    this.tick.cost = Number.NaN;
    this.tick.vetoed = false;
    throw new WorldModelFault(`predicted a non-finite state (NaN, ±Inf or |x| > 1e10) at step ${step + 1} of ${where}: the shield cannot judge the command, so it is held`);
  }

  /** Publishes the last roll's rows, scored by their worst predicted violation (0 = safe), `chosen` the command sent. */
  private publishTrace(chosen: number, seq: number): void {
    const tr = this.trace;
    if (!tr) return;
    for (let r = 0; r < tr.capacity; r++) tr.score(r, this.worst[r]);
    tr.commit(chosen, seq);
  }

  async apply(obs: Observation, _input: Float32Array, action: Float32Array, seq = 0): Promise<Float32Array> {
    const { A, R, first } = this;
    const H = this.options.horizon, c = this.options.actionClip;
    const s = this.state.build(obs, this.last);
    this.tick.vetoed = false;
    for (let j = 0; j < A; j++) {
      if (!(Math.abs(action[j]) <= BAD_VALUE)) {
        // Nothing to predict from: the supervisor holds on this proposal (a clamp is not a NaN guard).
        this.tick.cost = Number.NaN;
        return action;
      }
      first[j] = Math.max(-c, Math.min(c, action[j]));
    }
    await this.roll(s, 1);
    if (this.nonFinite[0] >= 0) this.fault(`the proposal's rollout`, this.nonFinite[0]);
    if (this.firstBad[0] === H) {
      this.out.set(first.subarray(0, A));
      this.last.set(this.out);
      this.tick.cost = 0;
      this.publishTrace(0, seq);
      return action;
    }
    const badStep = this.firstBad[0], badBy = this.worst[0], badName = this.constraints.names[this.worstWhich[0]];
    // Alternatives: row 0 the proposal again, row 1 zero (the action's origin: for a position action
    // the default pose, not a hold), then half around the proposal, half uniform.
    for (let r = 1; r < R; r++)
      for (let j = 0; j < A; j++) {
        let v = r === 1 ? 0 : r % 2 === 0 ? first[j] + this.options.noiseStd * this.rng.normal() : this.rng.uniform(-c, c);
        if (v > c) v = c;
        else if (v < -c) v = -c;
        first[r * A + j] = v;
      }
    await this.roll(s, R);
    let best = -1, bestKey = Infinity;
    for (let r = 0; r < R; r++) {
      if (this.nonFinite[r] >= 0) continue; // the model could not predict it: never chosen
      let d = 0;
      for (let j = 0; j < A; j++) d += (first[r * A + j] - first[j]) ** 2;
      // Safe rows first (by distance to the proposal), then later and smaller violations.
      const key = this.firstBad[r] === H ? d : 1e6 * (H - this.firstBad[r]) + 1e3 * this.worst[r] + d;
      if (key < bestKey) {
        bestKey = key;
        best = r;
      }
    }
    // No row the model could predict: nothing to choose by, and nothing else is sent in its place.
    if (best < 0) this.fault('every alternative\'s rollout', Math.min(...this.nonFinite));
    for (let j = 0; j < A; j++) this.out[j] = first[best * A + j];
    this.last.set(this.out);
    this.vetoes++;
    this.tick.vetoed = true;
    this.tick.cost = this.worst[best];
    this.publishTrace(best, seq);
    const dt = this.model.dt;
    const safe = this.firstBad[best] === H;
    this.sink?.reportWorldModel(
      'shield_veto',
      'info',
      `proposed [${fmt(first, A)}] predicted to break ${badName} by ${badBy.toPrecision(3)} at step ${badStep + 1} (${((badStep + 1) * dt).toFixed(2)} s); ` +
        `sent [${fmt(this.out, A)}]${safe ? ', predicted safe' : `, best found (breaks at step ${this.firstBad[best] + 1})`}`,
      obs.time,
      seq,
      badBy,
    );
    return this.out;
  }
}

/**
 * The world model predicted something the shield cannot use (a bad number): apply() rejects with
 * it, and the control loop reports it as a failed hook ("world model failed: ...").
 */
export class WorldModelFault extends Error {
  override readonly name = 'WorldModelFault';
}

/** MuJoCo's mju_isBad bound (the supervisor's default badValue). */
const BAD_VALUE = 1e10;

function fmt(a: Float32Array, n: number): string {
  let s = '';
  for (let j = 0; j < n; j++) s += (j ? ', ' : '') + a[j].toFixed(3);
  return s;
}
