/**
 * Host side of a Dynamixel Protocol 2.0 bus: one transaction at a time over a Transport
 * (half duplex), replies matched by id, timeouts sized from the bytes on the wire, and sync reads
 * that retry the servos that did not answer as long as the caller's deadline allows.
 *
 * Nothing here throws on a bad reply inside a tick: `syncRead` returns which servos answered.
 * Configure-time calls (ping, read, write) reject with a BusError naming the servo.
 */
import { performance } from 'node:perf_hooks';
import { AxonError } from '../../src/core/errors.ts';
import type { Transport } from '../transport/Transport.ts';
import { TransactionBus, type SyncReadResult } from '../transport/TransactionBus.ts';
import { PacketDecoder } from './PacketDecoder.ts';
import * as P from './packet.ts';
import { ALERT_BIT, Inst, describeStatusError, readLe, type Packet } from './packet.ts';
import { modelByNumber } from './servoModels.ts';

export class BusError extends AxonError {
  constructor(code: string, where: string, message: string, expected?: string) {
    super(code, where, message, expected);
  }
}

/** FTDI-based USB adapters (U2D2, USB2Dynamixel) hold received bytes up to this long by default (s). */
export const DEFAULT_LATENCY_TIMER_S = 0.016;

/**
 * Time allowed beyond a transaction's wire time for its reply (s), as ROBOTIS's DynamixelSDK sizes
 * it (port_handler_linux.cpp: `LATENCY_TIMER * 2 + 2.0` ms): twice the USB adapter's latency
 * timer (the reply may wait one timer in the adapter; the request's USB frame and the host's
 * scheduling another) plus 2 ms for the servo's Return Delay Time (500 µs by default) and slack.
 * 16 ms (FTDI's default) gives 34 ms; an adapter set to 1 ms gives 4 ms.
 */
export function defaultReplyMarginS(latencyTimerS = DEFAULT_LATENCY_TIMER_S): number {
  return 2 * latencyTimerS + 0.002;
}

export interface BusOptions {
  /**
   * Time allowed beyond the wire time for a reply to arrive (s): USB adapter latency, return
   * delay, network. Default `defaultReplyMarginS(latencyTimerS)`.
   */
  readonly replyMarginS?: number;
  /** The USB adapter's latency timer (s) the default margin is derived from. Default 0.016. */
  readonly latencyTimerS?: number;
  /** Attempts for configure-time calls (ping, read, write). Default 3. */
  readonly attempts?: number;
  /** Steady clock (s) that sync read deadlines are on; default performance.now() / 1000. */
  readonly now?: () => number;
}

export interface PingResult {
  readonly id: number;
  readonly model: number;
  readonly modelName: string;
  readonly firmware: number;
}

export { BusStats, type SyncReadResult } from '../transport/TransactionBus.ts';

export class DynamixelBus extends TransactionBus<Packet, PacketDecoder> {
  private readonly _attempts: number;

  constructor(transport: Transport, o: BusOptions = {}) {
    super(transport, {
      decoder: (take) => new PacketDecoder(take),
      replyMarginS: o.replyMarginS ?? defaultReplyMarginS(o.latencyTimerS),
      now: o.now ?? (() => performance.now() / 1000),
      isReply: (p) => p.instruction === Inst.Status,
      integrity: 'CRC',
      countReply: (p, stats) => {
        if ((p.error & 0x7f) !== 0) stats.statusErrors++;
        if (p.error & ALERT_BIT) stats.alerts++;
      },
    });
    this._attempts = o.attempts ?? 3;
  }

  /** Attempts a configure-time call (ping, read, write) makes before giving up. */
  get attempts(): number {
    return this._attempts;
  }

  // ---- configure-time calls ----

  async ping(id: number, attempts = this._attempts): Promise<PingResult | undefined> {
    const pkt = P.ping(id);
    const mark = this.noiseMark();
    for (let a = 0; a < attempts; a++) {
      const [r] = await this.transact(pkt, 1, this.timeoutFor(pkt.length, 14), [id]);
      if (r && r.params.length >= 3) return pingResult(r);
      if (a > 0) this.stats.retries++;
    }
    this.missed(mark); // lastMiss: what arrived instead
    return undefined;
  }

  /** Every servo answering a broadcast ping within `windowS`, by id. */
  async broadcastPing(windowS = 0.1): Promise<PingResult[]> {
    const pkt = P.ping(P.BROADCAST_ID);
    const got = await this.transact(pkt, 253, windowS);
    const seen = new Map<number, PingResult>();
    for (const r of got) if (r.params.length >= 3) seen.set(r.id, pingResult(r));
    return [...seen.values()].sort((a, b) => a.id - b.id);
  }

  async read(id: number, address: number, length: number): Promise<Uint8Array> {
    const pkt = P.read(id, address, length);
    const mark = this.noiseMark();
    let why = 'no reply';
    for (let a = 0; a < this._attempts; a++) {
      if (a > 0) this.stats.retries++;
      // A reply of another length is not this read's (a late one to an earlier request): waited past.
      const [r] = await this.transact(pkt, 1, this.timeoutFor(pkt.length, 11 + length), [id], (p) => (p.error & 0x7f) !== 0 || p.params.length === length);
      if (!r) continue;
      if ((r.error & 0x7f) !== 0) throw new BusError('BUS_STATUS', `servo ${id} read ${address}+${length}`, describeStatusError(r.error));
      if (r.params.length === length) return r.params.slice();
      why = `reply of ${r.params.length} bytes`;
    }
    throw new BusError('BUS_TIMEOUT', `servo ${id} read ${address}+${length}`, `${why} after ${this._attempts} attempts (${this.missed(mark)})`, `a status packet within ${Math.round(this.timeoutFor(pkt.length, 11 + length) * 1000)} ms`);
  }

  async readValue(id: number, address: number, size: 1 | 2 | 4, signed = false): Promise<number> {
    return readLe(await this.read(id, address, size), 0, size, signed);
  }

  async write(id: number, address: number, data: ArrayLike<number>): Promise<void> {
    const pkt = P.write(id, address, data);
    const mark = this.noiseMark();
    for (let a = 0; a < this._attempts; a++) {
      if (a > 0) this.stats.retries++;
      const [r] = await this.transact(pkt, 1, this.timeoutFor(pkt.length, 11), [id]);
      if (!r) continue;
      if ((r.error & 0x7f) !== 0) throw new BusError('BUS_STATUS', `servo ${id} write ${address}`, describeStatusError(r.error));
      return;
    }
    throw new BusError('BUS_TIMEOUT', `servo ${id} write ${address}`, `no reply after ${this._attempts} attempts (${this.missed(mark)})`);
  }

  async reboot(id: number): Promise<boolean> {
    const pkt = P.reboot(id);
    const [r] = await this.transact(pkt, 1, this.timeoutFor(pkt.length, 11), [id]);
    return r !== undefined;
  }

  async factoryReset(id: number, mode: 0xff | 0x01 | 0x02): Promise<boolean> {
    const pkt = P.factoryReset(id, mode);
    const [r] = await this.transact(pkt, 1, this.timeoutFor(pkt.length, 11), [id]);
    return r !== undefined && (r.error & 0x7f) === 0;
  }

  /** Broadcast instructions that get no reply. */
  async regWriteAction(items: readonly { id: number; address: number; data: ArrayLike<number> }[]): Promise<void> {
    for (const it of items) {
      const pkt = P.regWrite(it.id, it.address, it.data);
      await this.transact(pkt, 1, this.timeoutFor(pkt.length, 11), [it.id]);
    }
    await this.transact(P.action(P.BROADCAST_ID), 0, 0);
  }

  // ---- tick-time group calls ----

  /** Sync write: `data` holds `length` bytes per id, in id order. No reply. */
  syncWrite(address: number, length: number, ids: readonly number[], data: Uint8Array): Promise<void> {
    const rows: Uint8Array[] = [];
    for (let i = 0; i < ids.length; i++) rows.push(data.subarray(i * length, (i + 1) * length));
    this.stats.syncWrites++;
    return this.transact(P.syncWrite(address, length, ids, rows), 0, 0).then(() => undefined);
  }

  bulkWrite(items: readonly P.BulkWriteItem[]): Promise<void> {
    return this.transact(P.bulkWrite(items), 0, 0).then(() => undefined);
  }

  /** Bulk read: resolves id -> data for the servos that answered. */
  async bulkRead(items: readonly P.BulkReadItem[], timeoutS?: number): Promise<Map<number, Uint8Array>> {
    const pkt = P.bulkRead(items);
    const inBytes = items.reduce((s, it) => s + 11 + it.length, 0);
    const got = await this.transact(pkt, items.length, timeoutS ?? this.timeoutFor(pkt.length, inBytes), items.map((i) => i.id));
    return new Map(got.filter((r) => (r.error & 0x7f) === 0).map((r) => [r.id, r.params.slice()]));
  }

  /**
   * Sync read (or fast sync read) of `length` bytes at `address` from `ids` into `out`
   * (`length` bytes per id, in the order of `ids`), retrying the servos that did not answer (or
   * answered with a bad CRC, which the decoder drops, or with a processing error, whose data is not
   * taken) until `deadline` (steady s, on the bus's clock: performance.now()/1000 unless one was given).
   * Never throws.
   */
  syncRead(address: number, length: number, ids: readonly number[], out: Uint8Array, deadline: number, fast = false): Promise<SyncReadResult> {
    return this.syncReadRetrying(ids, deadline, async (todo, attempt, left, res) => {
      const useFast = fast && attempt === 0 && todo.length > 1;
      const pkt = useFast ? P.fastSyncRead(address, length, todo) : P.syncRead(address, length, todo);
      const inBytes = useFast ? 10 + todo.length * (length + 4) : todo.length * (11 + length);
      const timeout = Math.min(Math.max(left, 0.001), this.timeoutFor(pkt.length, inBytes));
      const got = await this.transact(pkt, useFast ? 1 : todo.length, timeout, useFast ? [P.BROADCAST_ID] : todo);
      const answered = new Set<number>();
      if (useFast) {
        const r = got[0];
        if (r) {
          // ERR ID DATA CRC2 per block (the last block's CRC is the packet's), starting at the error byte.
          const body = new Uint8Array(1 + r.params.length);
          body[0] = r.error;
          body.set(r.params, 1);
          for (let o = 0; o + 2 + length <= body.length; o += length + 4) {
            // The packet's error byte (block 0) was counted with the packet; the other blocks' here.
            if (o > 0 && (body[o] & 0x7f) !== 0) this.stats.statusErrors++;
            if (o > 0 && body[o] & ALERT_BIT) this.stats.alerts++;
            this._take(body[o], body[o + 1], body.subarray(o + 2, o + 2 + length), ids, length, out, res, answered);
          }
        }
      } else {
        for (const r of got) this._take(r.error, r.id, r.params, ids, length, out, res, answered);
      }
      return answered;
    });
  }

  private _take(error: number, id: number, data: Uint8Array, ids: readonly number[], length: number, out: Uint8Array, res: SyncReadResult, answered: Set<number>): void {
    const k = ids.indexOf(id);
    if (k < 0 || answered.has(id)) return;
    if (error & ALERT_BIT && !res.alerts.includes(id)) {
      res.alerts.push(id);
      res.alertCodes.push(error);
    }
    if ((error & 0x7f) !== 0) {
      // A processing error (Result Fail, Access Error, ...): the reply's data (none, or the fast
      // read's zero-filled block) is not the servo's state. Not taken: the servo stays to do,
      // retried within the deadline, and missing (with its error) if it never answers cleanly.
      const e = res.errors.indexOf(id);
      if (e < 0) {
        res.errors.push(id);
        res.errorCodes.push(error);
      } else res.errorCodes[e] = error;
      return;
    }
    if (data.length !== length) return;
    out.set(data, k * length);
    answered.add(id);
  }
}

function pingResult(r: Packet): PingResult {
  const model = r.params[0] | (r.params[1] << 8);
  return { id: r.id, model, modelName: modelByNumber(model)?.name ?? `unknown model ${model}`, firmware: r.params[2] };
}

/** Bytes on the wire for one bus cycle (sync write of `writeLen` + sync read of `readLen` from n servos). */
export function cycleBytes(n: number, readLen: number, writeLen: number, fast = false): { out: number; in: number } {
  const syncWrite = 14 + n * (1 + writeLen);
  const syncRead = 14 + n;
  const replies = fast ? 10 + n * (readLen + 4) : n * (11 + readLen);
  return { out: syncWrite + syncRead, in: replies };
}
