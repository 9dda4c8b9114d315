/**
 * The world model's rollouts of one tick, kept for a viewer and a recording: the predicted
 * trajectory (the `chosen` row) and the alternatives sampled around it, each as the start state
 * and the H predicted states.
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

  /** Starts a tick's rollout of `rows` rows (at most `capacity` are kept), all from one start state (stateSize). */
  begin(start: Float32Array, rows: number): void {
    const S = this.stateSize, C = this.capacity;
    this.backRows = rows < C ? rows : C;
    for (let r = 0; r < this.backRows; r++) for (let i = 0; i < S; i++) this.back[r * S + i] = start[i];
  }

  /**
   * Copies `n` rows of step t's predicted states (batch × stateSize, row-major, rows from 0) into
   * rows atRow.. of the trace (those beyond the rows begun are left out); t = 0..H−1.
   */
  step(t: number, nextStates: Float32Array, n: number, atRow = 0): void {
    const S = this.stateSize;
    const rows = Math.min(n, this.backRows - atRow);
    if (rows <= 0) return;
    const at = ((t + 1) * this.capacity + atRow) * S;
    for (let i = 0, end = rows * S; i < end; i++) this.back[at + i] = nextStates[i];
  }

  /** Sets the score of a row of the rollout begun last. */
  score(row: number, value: number): void {
    if (row < this.backRows) this.backScores[row] = value;
  }

  /** Publishes the rollout begun last: the chosen row (−1 none) and the loop tick. */
  commit(chosen: number, seq: number): void {
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
