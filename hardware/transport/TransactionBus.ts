/**
 * The request/reply core the servo buses (DynamixelBus, FeetechBus) extend: one transaction at
 * a time over a half-duplex Transport, replies matched by id, a reply timeout that still takes
 * replies queued behind its timer, a link that fails every further call fast once lost, and the
 * sync-read retry loop (retry the servos that did not answer while the caller's deadline allows).
 * The protocol (encoding, decoding, what a reply is, what it counts) is the subclass's: the decoder
 * and the hooks are given to the constructor.
 */
import { wireTime, type Transport } from './Transport.ts';

export interface SyncReadResult {
  /** All servos answered with a clean CRC. */
  ok: boolean;
  /**
   * Ids with no valid data this cycle: no reply within the deadline, or only replies that carried
   * a processing error (those are in `errors` too).
   */
  missing: number[];
  /** Ids whose status carried the hardware alert bit. */
  alerts: number[];
  /**
   * The status byte that raised each alert, same order as `alerts` (Feetech: its StatusBit bits,
   * OR-ed over the replies of this read; Dynamixel: the error byte with its alert bit). What a
   * fault names: the servo's own status register may no longer show the bit (review R25 F4).
   */
  alertCodes: number[];
  /**
   * Ids whose last reply carried a processing error (error number != 0: its data is not the
   * servo's state) and that never answered cleanly within the deadline; a subset of `missing`.
   */
  errors: number[];
  /** The error byte of each id in `errors`, same order. */
  errorCodes: number[];
  /** Extra sync reads spent on missing servos. */
  retries: number;
}

/** Counters since open; read by the `--json` summary and the bench. */
export class BusStats {
  transactions = 0;
  syncReads = 0;
  syncWrites = 0;
  retries = 0;
  timeouts = 0;
  /** Requests that came back on the receive line (an adapter that echoes its transmit line), dropped. */
  echoes = 0;
  /**
   * Replies from the servo asked that were not the answer to the request (a read reply of another
   * length: a late answer to an earlier request that timed out), dropped while the transaction
   * waits on for its own.
   */
  stale = 0;
  /**
   * Replies that came when no transaction was waiting for them, or from a servo the one waiting
   * was not asking (any more): answers that arrived after their request had timed out. With
   * `stale`, what says "the servos answer, too late" (review R25 F5: a connect failing on a slow
   * adapter was told nothing had arrived at all).
   */
  late = 0;
  statusErrors = 0;
  alerts = 0;
  bytesOut = 0;
  bytesIn = 0;
  /** Sync read cycle latencies (s), ring buffer. */
  readonly latency = new Float64Array(8192);
  latencyCount = 0;

  recordLatency(s: number): void {
    this.latency[this.latencyCount % this.latency.length] = s;
    this.latencyCount++;
  }

  /** p50 / p99 / max of the recorded sync read latencies (µs). */
  latencyUs(): { p50: number; p99: number; max: number } {
    const n = Math.min(this.latencyCount, this.latency.length);
    if (n === 0) return { p50: 0, p99: 0, max: 0 };
    const a = Array.from(this.latency.subarray(0, n)).sort((x, y) => x - y);
    const q = (f: number) => Math.round(a[Math.min(n - 1, Math.floor(f * n))] * 1e6);
    return { p50: q(0.5), p99: q(0.99), max: Math.round(a[n - 1] * 1e6) };
  }
}

/** A packet decoder as the buses use it: bytes in (packets go to its own callback), reset between transactions. */
export interface BusDecoder {
  push(chunk: Uint8Array): void;
  reset(): void;
  /** Replies dropped for a bad CRC / checksum and bytes skipped as garbage, since construction. */
  readonly stats: { readonly crcErrors: number; readonly garbageBytes: number };
}

/** What the decoder and the bus counted during some calls (`TransactionBus.noiseMark` / `noiseSince`). */
export interface NoiseCount {
  readonly crcErrors: number;
  readonly garbageBytes: number;
  /** Valid replies that came after their request had timed out (BusStats `late` + `stale`). */
  readonly late: number;
}

export interface TransactionBusOptions<P extends { readonly id: number }, D extends BusDecoder> {
  /** Makes the bus's decoder, which hands each packet it decodes to `take`. */
  readonly decoder: (take: (p: P) => void) => D;
  /** Time allowed beyond the wire time for a reply (s). */
  readonly replyMarginS: number;
  /** Steady clock (s) that sync-read deadlines are on. */
  readonly now: () => number;
  /** Whether a decoded packet is a reply at all (others are dropped); default every packet. */
  readonly isReply?: (p: P) => boolean;
  /** Counts a reply taken by a transaction in the stats (status errors, alerts). */
  readonly countReply: (p: P, stats: BusStats) => void;
  /** What a corrupt reply fails on, for messages: 'CRC' (Dynamixel), 'checksum' (Feetech). */
  readonly integrity: string;
  /**
   * Whether a decoded packet is the request `sent` itself, come back on the receive line (a
   * half-duplex adapter that echoes what it transmits; Feetech's SDK flushes its input after each
   * write for this). Only the first packet after a request is checked; default never.
   */
  readonly isEcho?: (p: P, sent: Uint8Array) => boolean;
}

/**
 * Why a configure-time call got no valid reply, from what the decoder and the bus saw meanwhile:
 * valid replies that came after their request had timed out point at the reply timeout (a USB
 * adapter's latency timer, a Return Delay Time, a loaded host); replies that failed their
 * `integrity` check (CRC, checksum) at the wire (noise, a bad ground, a marginal adapter, a baud
 * rate slightly off); bytes that never made a packet at a wrong baud rate or another device; and
 * nothing at all at power, the id or the baud rate.
 */
export function describeNoReply(n: NoiseCount, integrity: string): string {
  const late =
    n.late > 0
      ? `${n.late === 1 ? '1 valid reply arrived after its' : `${n.late} valid replies arrived after their`} request had timed out: the servos answer, slower than the reply timeout; raise reply_timeout_ms in the config (or latency_timer_ms, a USB adapter's latency timer)`
      : '';
  if (n.crcErrors === 0 && n.garbageBytes === 0) return late || 'nothing arrived at all: check power, the id and the baud rate';
  // A reply failing its check is also counted in the garbage bytes (it made no valid packet).
  const what =
    n.crcErrors > 0
      ? `${n.crcErrors} repl${n.crcErrors === 1 ? 'y' : 'ies'} with a bad ${integrity} (${n.garbageBytes} byte${n.garbageBytes === 1 ? '' : 's'} in all that made no valid packet)`
      : `${n.garbageBytes} byte${n.garbageBytes === 1 ? '' : 's'} that made no valid packet`;
  return `${what} arrived: noise or wiring, or a baud rate slightly off; check the cable, its ground and the baud rate${late ? `; also ${late}` : ''}`;
}

interface Waiter<P> {
  readonly want: Set<number> | undefined; // ids expected; undefined: any id
  readonly accept: ((p: P) => boolean) | undefined; // what answers this request (else stale)
  readonly count: number;
  readonly got: P[];
  readonly resolve: (p: P[]) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The request, until the first packet after it has been checked for being its echo. */
  sent: Uint8Array | undefined;
}

export abstract class TransactionBus<P extends { readonly id: number }, D extends BusDecoder> {
  readonly stats = new BusStats();
  readonly decoder: D;
  /** Called once when the link goes away on its own (unplugged, server gone). */
  onLost: ((err: Error) => void) | undefined;
  /** Time allowed beyond the wire time for a reply (s). */
  readonly replyMarginS: number;
  private _queue: Promise<unknown> = Promise.resolve();
  private _waiter: Waiter<P> | undefined;
  private _lost: Error | undefined;
  private readonly _now: () => number;
  private readonly _isReply: ((p: P) => boolean) | undefined;
  private readonly _countReply: (p: P, stats: BusStats) => void;
  private readonly _isEcho: ((p: P, sent: Uint8Array) => boolean) | undefined;
  private readonly _integrity: string;
  private _lastMiss = '';

  constructor(
    readonly transport: Transport,
    o: TransactionBusOptions<P, D>,
  ) {
    this.replyMarginS = o.replyMarginS;
    this._now = o.now;
    this._isReply = o.isReply;
    this._countReply = o.countReply;
    this._isEcho = o.isEcho;
    this._integrity = o.integrity;
    this.decoder = o.decoder((p) => this._onReply(p));
  }

  get baud(): number {
    return this.transport.baud;
  }

  /** The link failed; every further call fails fast. */
  get lost(): Error | undefined {
    return this._lost;
  }

  async open(): Promise<void> {
    this.transport.on({
      data: (c) => {
        this.stats.bytesIn += c.length;
        this.decoder.push(c);
      },
      close: (err) => {
        // One loss is reported once, with its first cause: a transport may say it twice (serialport
        // emits 'close' for the unplug, then again with the failed read's EBADF).
        if (!err || this._lost) return;
        this._lost = err;
        this._finish();
        this.onLost?.(err);
      },
    });
    if (!this.transport.isOpen) await this.transport.open();
  }

  async close(): Promise<void> {
    await this._queue.catch(() => {});
    await this.transport.close();
  }

  /**
   * Sends `packet` and collects up to `count` replies (from `ids` when given) until `timeoutS`.
   * Serialised with every other call. Resolves with what arrived (maybe fewer). `accept`, when
   * given, says which replies answer this request: a reply from an asked id that it refuses is
   * stale (a late reply to an earlier request: the protocols carry no sequence number, so a reply
   * is matched by id and shape) and is dropped, the transaction waiting on for its own.
   */
  transact(packet: Uint8Array, count: number, timeoutS: number, ids?: Iterable<number>, accept?: (p: P) => boolean): Promise<P[]> {
    const run = () =>
      new Promise<P[]>((resolve) => {
        if (this._lost || !this.transport.isOpen) return resolve([]);
        this.stats.transactions++;
        this.decoder.reset(); // stale bytes of an earlier, timed-out reply
        if (count > 0) {
          const w: Waiter<P> = { want: ids ? new Set(ids) : undefined, accept, count, got: [], resolve, timer: undefined, sent: this._isEcho ? packet : undefined };
          // When the timer fires, bytes that arrived while the host was stalled may still be
          // queued behind it (timers run before I/O and immediates): let two turns deliver them.
          w.timer = setTimeout(() => {
            setImmediate(() =>
              setImmediate(() => {
                if (this._waiter !== w) return;
                this.stats.timeouts++;
                this._finish();
              }),
            );
          }, Math.max(1, timeoutS * 1000));
          this._waiter = w;
        }
        this.stats.bytesOut += packet.length;
        this.transport.write(packet);
        if (count === 0) resolve([]);
      });
    const p = this._queue.then(run, run);
    this._queue = p;
    return p;
  }

  /** A decoded packet (the decoder's callback). */
  private _onReply(p: P): void {
    const w = this._waiter;
    if (w?.sent) {
      const sent = w.sent;
      w.sent = undefined;
      if (this._isEcho!(p, sent)) {
        this.stats.echoes++;
        return;
      }
    }
    if (this._isReply !== undefined && !this._isReply(p)) return;
    // Late: nobody waits, or the one waiting does not ask this servo (any more). Not a broadcast
    // id (0xFE in both protocols): that is a request come back, not a servo's answer.
    if (!w || (w.want && !w.want.has(p.id))) {
      if (p.id !== 0xfe) this.stats.late++;
      return;
    }
    if (w.accept && !w.accept(p)) {
      this.stats.stale++;
      return;
    }
    w.want?.delete(p.id);
    w.got.push(p);
    this._countReply(p, this.stats);
    if (w.got.length >= w.count) this._finish();
  }

  private _finish(): void {
    const w = this._waiter;
    if (!w) return;
    this._waiter = undefined;
    if (w.timer) clearTimeout(w.timer);
    w.resolve(w.got);
  }

  /**
   * What arrived during the last configure-time call (ping, read, write) that got no valid reply,
   * in words (`describeNoReply`): '' before any such call.
   */
  get lastMiss(): string {
    return this._lastMiss;
  }

  /** Records (and returns) what arrived since `mark` as the reason a call got no valid reply. */
  protected missed(mark: NoiseCount): string {
    this._lastMiss = describeNoReply(this.noiseSince(mark), this._integrity);
    return this._lastMiss;
  }

  /** The decoder's counts now, to compare with after some calls (`noiseSince`). */
  noiseMark(): NoiseCount {
    return { crcErrors: this.decoder.stats.crcErrors, garbageBytes: this.decoder.stats.garbageBytes, late: this.stats.late + this.stats.stale };
  }

  /** What arrived but was not a valid reply since `mark` (bad CRC / checksum, garbage bytes, replies too late). */
  noiseSince(mark: NoiseCount): NoiseCount {
    const now = this.noiseMark();
    return { crcErrors: now.crcErrors - mark.crcErrors, garbageBytes: now.garbageBytes - mark.garbageBytes, late: now.late - mark.late };
  }

  /** Reply timeout for a request of `outBytes` expecting `inBytes` back (s). */
  timeoutFor(outBytes: number, inBytes: number): number {
    return wireTime(outBytes + inBytes, this.baud) + this.replyMarginS;
  }

  /**
   * The sync-read loop: `attempt(todo, n, left, res)` reads the servos still to do (attempt `n`,
   * `left` s before `deadline`) and returns the ids it took; the rest are retried until the
   * deadline passes or the link is lost. Counts syncReads, retries and the cycle's latency.
   */
  protected async syncReadRetrying(
    ids: readonly number[],
    deadline: number,
    attempt: (todo: readonly number[], n: number, left: number, res: SyncReadResult) => Promise<ReadonlySet<number>>,
  ): Promise<SyncReadResult> {
    const stats = this.stats;
    const t0 = this._now();
    const res: SyncReadResult = { ok: false, missing: [], alerts: [], alertCodes: [], errors: [], errorCodes: [], retries: 0 };
    let todo = ids.slice();
    stats.syncReads++;
    for (let n = 0; todo.length > 0; n++) {
      const left = deadline - this._now();
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
    // A servo that answered with an error and then cleanly on a retry has valid data: not an error.
    for (let i = res.errors.length - 1; i >= 0; i--) {
      if (todo.includes(res.errors[i])) continue;
      res.errors.splice(i, 1);
      res.errorCodes.splice(i, 1);
    }
    stats.recordLatency(this._now() - t0);
    return res;
  }
}
