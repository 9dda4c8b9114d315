/**
 * Servos that answer a read with a processing error (Dynamixel Protocol 2.0: the status packet's
 * error number, bits 0-6, nonzero): their reply carries no valid data, so the bus leaves them
 * missing (the cycle fails, health goes stale, then silent_bus, as for a servo that did not
 * answer) and this says why, once per servo per failed streak: a `status_error` event naming the
 * joint and the decoded error. A complete read ends the streak. Nothing here runs on a cycle that
 * read cleanly, and nothing allocates on one that failed after its first report.
 */
import type { SyncReadResult } from '../transport/TransactionBus.ts';
import type { HardwareEventKind } from './HardwareEvent.ts';

export class StatusErrorReport {
  /** Ids reported in the current failed streak. */
  private readonly _said = new Set<number>();

  constructor(
    private readonly emit: (kind: HardwareEventKind, reason: string, id: number) => void,
    private readonly jointOf: (id: number) => string,
    private readonly describe: (error: number) => string,
  ) {}

  /** A cycle that did not read every servo: reports the ids in `r.errors` not yet reported in this streak. */
  failed(r: SyncReadResult): void {
    for (let i = 0; i < r.errors.length; i++) {
      const id = r.errors[i];
      if (this._said.has(id)) continue;
      this._said.add(id);
      this.emit('status_error', `joint ${this.jointOf(id)} (id ${id}) answered the sync read with ${this.describe(r.errorCodes[i])}: no valid data from it (retried within the read budget; the cycle counts as failed)`, id);
    }
  }

  /** A complete read: the streak is over. */
  ok(): void {
    if (this._said.size > 0) this._said.clear();
  }
}
