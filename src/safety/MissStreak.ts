/**
 * The supervisor's run of consecutive deadline misses (reportDeadlineMiss without a timely tick
 * between), counted by kind, so that the stop it ends in says what missed: a world-model hook that
 * threw three times is "3 consecutive world model errors: world model failed: ...", not a
 * deadline (docs/safety.md, "Deadlines").
 *
 * Real-time rules: add() and clear() allocate nothing; why() builds the stop's reason (once, at
 * the stop).
 */
export type MissKind = 'policy_deadline' | 'world_model_deadline' | 'world_model_error';

export class MissStreak {
  /** Misses in a row, all kinds. */
  n = 0;
  private _policy = 0;
  private _wmLate = 0;
  private _wmError = 0;

  add(kind: MissKind): void {
    this.n++;
    if (kind === 'policy_deadline') this._policy++;
    else if (kind === 'world_model_deadline') this._wmLate++;
    else this._wmError++;
  }

  clear(): void {
    this.n = this._policy = this._wmLate = this._wmError = 0;
  }

  /**
   * The stop's reason: "3 consecutive policy deadline misses: <last>", "... world model deadline
   * misses: <last>", "... world model errors: <last>", or for a mixed run "3 consecutive misses
   * (2 policy deadline misses, 1 world model error): <last>".
   * @param last the reason of the miss that stopped
   */
  why(last: string): string {
    const n = this.n;
    if (this._policy === n) return `${count(n, 'policy deadline miss', 'consecutive policy deadline misses')}: ${last}`;
    if (this._wmLate === n) return `${count(n, 'world model deadline miss', 'consecutive world model deadline misses')}: ${last}`;
    if (this._wmError === n) return `${count(n, 'world model error', 'consecutive world model errors')}: ${last}`;
    const parts: string[] = [];
    if (this._policy > 0) parts.push(count(this._policy, 'policy deadline miss', 'policy deadline misses'));
    if (this._wmLate > 0) parts.push(count(this._wmLate, 'world model deadline miss', 'world model deadline misses'));
    if (this._wmError > 0) parts.push(count(this._wmError, 'world model error', 'world model errors'));
    return `${n} consecutive misses (${parts.join(', ')}): ${last}`;
  }
}

function count(k: number, one: string, many: string): string {
  return `${k} ${k === 1 ? one : many}`;
}
