/**
 * The world model's rollouts of one tick, kept for a viewer: the predicted trajectory (row 0) and
 * sampled alternatives (rows 1..), each as the start state and the H predicted states.
 *
 * Real-time rules: every buffer is sized here. On the tick the planner (or shield) only copies the
 * first `rows` rows of each batched prediction into the back buffer; commit() swaps back and front
 * (no copy), so a reader off the tick (the viewer's frame timer) always sees one whole tick's
 * rollouts, never a half-written one, even though the planner awaits between steps.
 */
export class RolloutTrace {
  /** Points per row: the start state and H predicted states. */
  readonly steps: number;
  /** States kept per row. */
  readonly stateSize: number;
  /** Most rows kept. */
  readonly capacity: number;
  /** Front buffer, time-major: steps × capacity × stateSize (rows ≥ `rows` are stale). */
  states: Float32Array;
  /** Front: one score per row (plan: trajectory cost; shield: worst predicted violation, 0 = safe). */
  scores: Float32Array;
  /** Rows valid in the front buffer. */
  rows = 0;
  /** Row drawn as the predicted trajectory (plan: 0, the plan; shield: the command sent); −1 when not kept. */
  chosen = 0;
  /** Loop tick of the front buffer (the hook's seq). */
  seq = 0;
  /** Commits so far: a reader sends again only when it changed. */
  version = 0;
  private back: Float32Array;
  private backScores: Float32Array;
  private backRows = 0;

  /**
   * @param horizon predicted steps per row (H)
   * @param capacity most rows kept (row 0 is always the predicted trajectory)
   */
  constructor(
    readonly horizon: number,
    stateSize: number,
    capacity: number,
  ) {
    this.steps = horizon + 1;
    this.stateSize = stateSize;
    this.capacity = capacity;
    const n = this.steps * capacity * stateSize;
    this.states = new Float32Array(n);
    this.back = new Float32Array(n);
    this.scores = new Float32Array(capacity);
    this.backScores = new Float32Array(capacity);
  }

  /** Starts a tick's rollout of `batch` rows from one start state (stateSize). */
  begin(start: Float32Array, batch: number): void {
    const S = this.stateSize, C = this.capacity;
    this.backRows = batch < C ? batch : C;
    for (let r = 0; r < this.backRows; r++) for (let i = 0; i < S; i++) this.back[r * S + i] = start[i];
  }

  /** Copies the first rows of step t's predicted states (batch × stateSize, row-major), t = 0..H−1. */
  step(t: number, nextStates: Float32Array): void {
    const S = this.stateSize;
    const n = this.backRows * S;
    const at = (t + 1) * this.capacity * S;
    for (let i = 0; i < n; i++) this.back[at + i] = nextStates[i];
  }

  /** Publishes the rollout begun last: scores per row (the first `rows` are read), the chosen row, the tick. */
  commit(scores: ArrayLike<number>, chosen: number, seq: number): void {
    for (let r = 0; r < this.backRows; r++) this.backScores[r] = scores[r];
    const s = this.states;
    this.states = this.back;
    this.back = s;
    const sc = this.scores;
    this.scores = this.backScores;
    this.backScores = sc;
    this.rows = this.backRows;
    this.chosen = chosen < this.rows ? chosen : -1;
    this.seq = seq;
    this.version++;
  }
}
