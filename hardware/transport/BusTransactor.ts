/**
 * The request/reply core shared by the servo buses (DynamixelBus, FeetechBus): one transaction at
 * a time over a half-duplex Transport, replies matched by id, a reply timeout that still takes
 * replies queued behind its timer, a link that fails every further call fast once lost, and the
 * sync-read retry loop (retry the servos that did not answer while the caller's deadline allows).
 * The protocol (encoding, decoding, what a reply is, what it counts) is the bus's: the decoder and
 * the hooks are injected.
 */
import { wireTime, type Transport } from './Transport.ts';
import type { BusStats, SyncReadResult } from '../dynamixel/DynamixelBus.ts';

/** A packet decoder as the buses use it: bytes in (packets go to its own callback), reset between transactions. */
export interface BusDecoder {
  push(chunk: Uint8Array): void;
  reset(): void;
}

export interface BusTransactorOptions<P extends { readonly id: number }> {
  readonly transport: Transport;
  readonly stats: BusStats;
  readonly decoder: BusDecoder;
  /** Time allowed beyond the wire time for a reply (s). */
  readonly replyMarginS: number;
  /** Steady clock (s) that sync-read deadlines are on. */
  readonly now: () => number;
  /** Whether a decoded packet is a reply at all (others are dropped); default every packet. */
  readonly isReply?: (p: P) => boolean;
  /** Counts a reply taken by a transaction in the stats (status errors, alerts). */
  readonly countReply: (p: P, stats: BusStats) => void;
  /** The link went away on its own (once). */
  readonly onLost: (err: Error) => void;
}

interface Waiter<P> {
  readonly want: Set<number> | undefined; // ids expected; undefined: any id
  readonly count: number;
  readonly got: P[];
  readonly resolve: (p: P[]) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class BusTransactor<P extends { readonly id: number }> {
  private _queue: Promise<unknown> = Promise.resolve();
  private _waiter: Waiter<P> | undefined;
  private _lost: Error | undefined;

  constructor(private readonly o: BusTransactorOptions<P>) {}

  /** The link failed; every further call fails fast. */
  get lost(): Error | undefined {
    return this._lost;
  }

  async open(): Promise<void> {
    const o = this.o;
    o.transport.on({
      data: (c) => {
        o.stats.bytesIn += c.length;
        o.decoder.push(c);
      },
      close: (err) => {
        if (!err) return;
        this._lost = err;
        this._finish();
        o.onLost(err);
      },
    });
    if (!o.transport.isOpen) await o.transport.open();
  }

  async close(): Promise<void> {
    await this._queue.catch(() => {});
    await this.o.transport.close();
  }

  /**
   * Sends `packet` and collects up to `count` replies (from `ids` when given) until `timeoutS`.
   * Serialised with every other call. Resolves with what arrived (maybe fewer).
   */
  transact(packet: Uint8Array, count: number, timeoutS: number, ids?: Iterable<number>): Promise<P[]> {
    const o = this.o;
    const run = () =>
      new Promise<P[]>((resolve) => {
        if (this._lost || !o.transport.isOpen) return resolve([]);
        o.stats.transactions++;
        o.decoder.reset(); // stale bytes of an earlier, timed-out reply
        if (count > 0) {
          const w: Waiter<P> = { want: ids ? new Set(ids) : undefined, count, got: [], resolve, timer: undefined };
          // When the timer fires, bytes that arrived while the host was stalled may still be
          // queued behind it (timers run before I/O and immediates): let two turns deliver them.
          w.timer = setTimeout(() => {
            setImmediate(() =>
              setImmediate(() => {
                if (this._waiter !== w) return;
                o.stats.timeouts++;
                this._finish();
              }),
            );
          }, Math.max(1, timeoutS * 1000));
          this._waiter = w;
        }
        o.stats.bytesOut += packet.length;
        o.transport.write(packet);
        if (count === 0) resolve([]);
      });
    const p = this._queue.then(run, run);
    this._queue = p;
    return p;
  }

  /** A decoded packet (the decoder's callback). */
  take(p: P): void {
    const w = this._waiter;
    if (!w || (this.o.isReply !== undefined && !this.o.isReply(p))) return;
    if (w.want) {
      if (!w.want.has(p.id)) return;
      w.want.delete(p.id);
    }
    w.got.push(p);
    this.o.countReply(p, this.o.stats);
    if (w.got.length >= w.count) this._finish();
  }

  private _finish(): void {
    const w = this._waiter;
    if (!w) return;
    this._waiter = undefined;
    if (w.timer) clearTimeout(w.timer);
    w.resolve(w.got);
  }

  /** Reply timeout for a request of `outBytes` expecting `inBytes` back (s). */
  timeoutFor(outBytes: number, inBytes: number): number {
    return wireTime(outBytes + inBytes, this.o.transport.baud) + this.o.replyMarginS;
  }

  /**
   * The sync-read loop: `attempt(todo, n, left, res)` reads the servos still to do (attempt `n`,
   * `left` s before `deadline`) and returns the ids it took; the rest are retried until the
   * deadline passes or the link is lost. Counts syncReads, retries and the cycle's latency.
   */
  async syncReadRetrying(
    ids: readonly number[],
    deadline: number,
    attempt: (todo: readonly number[], n: number, left: number, res: SyncReadResult) => Promise<ReadonlySet<number>>,
  ): Promise<SyncReadResult> {
    const { stats, now } = this.o;
    const t0 = now();
    const res: SyncReadResult = { ok: false, missing: [], alerts: [], errors: [], retries: 0 };
    let todo = ids.slice();
    stats.syncReads++;
    for (let n = 0; todo.length > 0; n++) {
      const left = deadline - now();
      if (n > 0) {
        if (left <= 0) break;
        res.retries++;
        stats.retries++;
      }
      const answered = await attempt(todo, n, left, res);
      todo = todo.filter((id) => !answered.has(id));
      if (this._lost) break;
    }
    res.missing = todo;
    res.ok = todo.length === 0;
    stats.recordLatency(now() - t0);
    return res;
  }
}
