/**
 * A sync write that is read back: the safe stop and a leader's torque off (DynamixelRobot,
 * FeetechRobot). A SYNC WRITE is a broadcast and gets no reply in either protocol, so one packet
 * lost or corrupted on a noisy daisy chain would leave a servo as it was while the log said
 * otherwise. `writeConfirmed` sends the write, sync-reads the same bytes back, and sends it again
 * to the servos that do not show the value (silent ones included), up to `tries` writes, each
 * read-back given `windowS`; it returns the servos it could not confirm. docs/feetech.md ("No bus
 * watchdog") and docs/hardware.md ("Faults") say what the robots do with them.
 *
 * Not on the tick: the robots call it from their own bus cycle, connect() or close(); it allocates.
 */
import type { SyncReadResult } from '../transport/TransactionBus.ts';

/** What writeConfirmed needs of a servo bus (DynamixelBus, FeetechBus). */
export interface ConfirmBus {
  /** The link failed: nothing more is sent. */
  readonly lost: Error | undefined;
  /** Time allowed beyond the wire time for a reply (s). */
  readonly replyMarginS: number;
  syncWrite(address: number, length: number, ids: readonly number[], data: Uint8Array): Promise<void>;
  syncRead(address: number, length: number, ids: readonly number[], out: Uint8Array, deadline: number): Promise<SyncReadResult>;
}

export interface ConfirmOptions {
  /** Writes at most, each followed by a read-back (default 3). */
  readonly tries?: number;
  /** The whole read-back time (s) spread over the tries (default 0.1); each read gets at least two reply margins. */
  readonly budgetS?: number;
  /** What each servo must read back, `length` bytes per id in `ids` order, when not the bytes written (a servo that clamps them). */
  readonly expected?: Uint8Array;
  /**
   * Another row each servo may read back instead of `expected` (same layout): where the servo may
   * store either the value written or a clamped one (an STS Goal Position beyond its angle limits).
   */
  readonly alsoAccept?: Uint8Array;
}

export interface ConfirmResult {
  /** Ids that did not read back the value after the last write (no reply, an error reply, or another value), in `ids` order. */
  readonly unconfirmed: number[];
  /** Sync writes sent (1 when every servo showed the value at the first read-back). */
  readonly writes: number;
}

/** Tries of a confirmed safe stop and its read-back time, as docs/feetech.md states them. */
export const SAFE_STOP_TRIES = 3;
export const SAFE_STOP_BUDGET_S = 0.1;

/**
 * Writes `data` (`length` bytes per id, in `ids` order) at `address` of `ids` with sync writes
 * until every servo reads it back (or `expected`, or `alsoAccept`), at most `tries` writes. `now` is the bus's
 * steady clock (s), the one its sync-read deadlines are on.
 */
export async function writeConfirmed(
  bus: ConfirmBus,
  now: () => number,
  address: number,
  length: number,
  ids: readonly number[],
  data: Uint8Array,
  o: ConfirmOptions = {},
): Promise<ConfirmResult> {
  const tries = o.tries ?? SAFE_STOP_TRIES;
  const windowS = Math.max((o.budgetS ?? SAFE_STOP_BUDGET_S) / tries, 2 * bus.replyMarginS);
  const expected = o.expected ?? data;
  const also = o.alsoAccept;
  let todo = ids.slice();
  let writes = 0;
  while (todo.length > 0 && writes < tries && !bus.lost) {
    await bus.syncWrite(address, length, todo, rowsOf(ids, data, length, todo));
    writes++;
    const out = new Uint8Array(todo.length * length);
    const r = await bus.syncRead(address, length, todo, out, now() + windowS);
    todo = todo.filter((id, k) => {
      if (r.missing.includes(id) || r.errors.includes(id)) return true;
      const i = ids.indexOf(id);
      return !sameRow(out, k, expected, i, length) && !(also !== undefined && sameRow(out, k, also, i, length));
    });
  }
  return { unconfirmed: todo, writes };
}

/** The rows of `data` (per id of `ids`) for the ids in `some`, in that order. */
function rowsOf(ids: readonly number[], data: Uint8Array, length: number, some: readonly number[]): Uint8Array {
  if (some.length === ids.length) return data;
  const rows = new Uint8Array(some.length * length);
  some.forEach((id, k) => {
    const i = ids.indexOf(id);
    rows.set(data.subarray(i * length, (i + 1) * length), k * length);
  });
  return rows;
}

function sameRow(a: Uint8Array, ka: number, b: Uint8Array, kb: number, length: number): boolean {
  for (let j = 0; j < length; j++) if (a[ka * length + j] !== b[kb * length + j]) return false;
  return true;
}

/** `joint (id n), ...` for the unconfirmed ids of a safe_stop event. */
export function namedIds(ids: readonly number[], jointOf: (id: number) => string): string {
  return ids.map((id) => `${jointOf(id)} (id ${id})`).join(', ');
}

/** The unconfirmed servos of `r`, as `joint (id n)`. */
export function unconfirmedNames(r: ConfirmResult, jointOf: (id: number) => string): string[] {
  return r.unconfirmed.map((id) => `${jointOf(id)} (id ${id})`);
}

/**
 * The fault of a safe stop some servos did not confirm, e.g. `robot closed: safe stop (torque off)
 * not confirmed on gripper (id 6) after 3 writes: torque may still be on there`; `risk` says what
 * such a servo may still be doing.
 */
export function unconfirmedFault(why: string, what: string, r: ConfirmResult, jointOf: (id: number) => string, risk: string): string {
  return `${why}: safe stop (${what}) not confirmed on ${namedIds(r.unconfirmed, jointOf)} after ${r.writes} writes: ${risk}`;
}

/**
 * A confirmed write in words, for an event: `torque off on all 6 servos (read back)`, or `torque
 * off confirmed on 5 of 6 servos; unconfirmed after 3 writes (no reply or another value): gripper (id 6)`.
 */
export function confirmedSaid(what: string, n: number, r: ConfirmResult, jointOf: (id: number) => string): string {
  const bad = r.unconfirmed;
  if (bad.length === 0) return `${what} on all ${n} servos (read back)`;
  return `${what} confirmed on ${n - bad.length} of ${n} servos; unconfirmed after ${r.writes} writes (no reply or another value): ${namedIds(bad, jointOf)}`;
}
