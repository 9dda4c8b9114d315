/**
 * Host side of a Feetech STS bus: one transaction at a time over a Transport (half duplex),
 * replies matched by id, timeouts sized from the bytes on the wire, and sync reads (0x82) that
 * retry the servos that did not answer while the caller's deadline allows. Mirrors DynamixelBus
 * (same statistics, same errors) for the other protocol; there is no bulk read.
 *
 * A reply's first byte after LEN is the servo's status (StatusBit: voltage, angle sensor,
 * overheat, overcurrent, overload), not a processing error: a nonzero one is reported as an alert.
 * Nothing here throws inside a tick: `syncRead` returns which servos answered. Configure-time
 * calls (ping, read, write) reject with a BusError naming the servo.
 */
import { performance } from 'node:perf_hooks';
import { wireTime, type Transport } from '../transport/Transport.ts';
import { TransactionBus, type SyncReadResult } from '../transport/TransactionBus.ts';
import { BusError } from '../dynamixel/DynamixelBus.ts';
import { FeetechPacketDecoder } from './PacketDecoder.ts';
import * as F from './packet.ts';
import { describeStatus, readLe, type FeetechPacket } from './packet.ts';
import { feetechModelByNumber, S_PER_RETURN_DELAY_UNIT } from './controlTable.ts';

export interface FeetechBusOptions {
  /** Time allowed beyond the wire time for a reply to start (s): USB adapter latency, return delay. Default 0.01. */
  readonly replyMarginS?: number;
  /** Attempts for configure-time calls (ping, read, write). Default 3. */
  readonly attempts?: number;
}

export interface FeetechIdentity {
  readonly id: number;
  readonly model: number;
  readonly modelName: string;
  /** "major.minor" */
  readonly firmware: string;
  /** The status byte of its ping reply (0 = fine). */
  readonly status: number;
}

export class FeetechBus extends TransactionBus<FeetechPacket, FeetechPacketDecoder> {
  readonly protocol = 'feetech' as const;
  private readonly _attempts: number;

  constructor(transport: Transport, o: FeetechBusOptions = {}) {
    super(transport, {
      decoder: (take) => new FeetechPacketDecoder(take),
      replyMarginS: o.replyMarginS ?? 0.01,
      now: () => performance.now() / 1000,
      integrity: 'checksum',
      countReply: (p, stats) => {
        if (p.code !== 0) stats.alerts++;
      },
      // A request read back as a status: same id, its instruction where the status byte goes, its parameters.
      isEcho: (p, sent) => sent.length === p.params.length + 6 && p.id === sent[2] && p.code === sent[4] && p.params.every((b, i) => b === sent[5 + i]),
    });
    this._attempts = o.attempts ?? 3;
  }

  // ---- configure-time calls ----

  /** The status byte of a ping reply, or undefined when nothing answered. */
  async ping(id: number, attempts = this._attempts, marginS?: number): Promise<number | undefined> {
    const pkt = F.ping(id);
    const timeout = marginS === undefined ? this.timeoutFor(pkt.length, 6) : wireTime(pkt.length + 6, this.baud) + marginS;
    const mark = this.noiseMark();
    for (let a = 0; a < attempts; a++) {
      if (a > 0) this.stats.retries++;
      const [r] = await this.transact(pkt, 1, timeout, [id]);
      if (r) return r.code;
    }
    this.missed(mark); // lastMiss: what arrived instead
    return undefined;
  }

  /** Model number (address 3) and firmware (0, 1) of a servo that answers. */
  async identify(id: number, status = 0): Promise<FeetechIdentity> {
    const head = await this.read(id, 0, 5);
    const model = readLe(head, 3, 2);
    return { id, model, modelName: feetechModelByNumber(model)?.name ?? `unknown model ${model}`, firmware: `${head[0]}.${head[1]}`, status };
  }

  /**
   * Unicast pings of `ids` (Feetech's manual: a broadcast ping answers correctly only with one
   * servo on the bus), each waiting its wire time + `marginS` (default the bus's reply margin:
   * enough for a USB adapter's latency timer), then identify() for each that answered.
   */
  async scan(ids: readonly number[], marginS = this.replyMarginS): Promise<FeetechIdentity[]> {
    const found: FeetechIdentity[] = [];
    for (const id of ids) {
      const s = await this.ping(id, 1, marginS);
      if (s === undefined) continue;
      try {
        found.push(await this.identify(id, s));
      } catch {
        found.push({ id, model: -1, modelName: 'unknown (model number unreadable)', firmware: '?', status: s });
      }
    }
    return found;
  }

  async read(id: number, address: number, length: number): Promise<Uint8Array> {
    const pkt = F.read(id, address, length);
    const timeout = this.timeoutFor(pkt.length, F.statusBytes(length));
    const mark = this.noiseMark();
    let why = 'no reply';
    for (let a = 0; a < this._attempts; a++) {
      if (a > 0) this.stats.retries++;
      // A reply of another length is not this read's (a late one to an earlier request): waited past.
      const [r] = await this.transact(pkt, 1, timeout, [id], (p) => p.params.length === length);
      if (!r) continue;
      if (r.params.length === length) return r.params.slice();
      why = `reply of ${r.params.length} bytes`;
    }
    throw new BusError('BUS_TIMEOUT', `feetech servo ${id} read ${address}+${length} on ${this.transport.name}`, `${why} after ${this._attempts} attempts (${this.missed(mark)})`, `a reply within ${Math.round(timeout * 1000)} ms at ${this.baud} bit/s`);
  }

  async readValue(id: number, address: number, size: 1 | 2, signBit?: number): Promise<number> {
    const v = readLe(await this.read(id, address, size), 0, size);
    return signBit === undefined ? v : F.decodeSignMagnitude(v, signBit);
  }

  /**
   * Write with a reply expected from `replyFrom` (default `id`; broadcast writes get none).
   * Resolves with the reply's status byte.
   */
  async write(id: number, address: number, data: ArrayLike<number>, replyFrom: number | 'any' = id): Promise<number> {
    const pkt = F.write(id, address, data);
    if (id === F.BROADCAST_ID) {
      await this.transact(pkt, 0, 0);
      return 0;
    }
    const mark = this.noiseMark();
    for (let a = 0; a < this._attempts; a++) {
      if (a > 0) this.stats.retries++;
      const [r] = await this.transact(pkt, 1, this.timeoutFor(pkt.length, 6), replyFrom === 'any' ? undefined : [replyFrom]);
      if (r) return r.code;
    }
    throw new BusError('BUS_TIMEOUT', `feetech servo ${id} write ${address} on ${this.transport.name}`, `no reply after ${this._attempts} attempts (${this.missed(mark)})`, 'a servo with this id at this baud rate, Response Status Level 1');
  }

  /** Restart (no reply; the servo is back after about 0.8 s). */
  async reboot(id: number): Promise<void> {
    await this.transact(F.reboot(id), 0, 0);
  }

  // ---- tick-time group calls ----

  /** Sync write: `data` holds `length` bytes per id, in id order. No reply. */
  syncWrite(address: number, length: number, ids: readonly number[], data: Uint8Array): Promise<void> {
    this.stats.syncWrites++;
    return this.transact(F.syncWrite(address, length, ids, data), 0, 0).then(() => undefined);
  }

  /**
   * Sync read of `length` bytes at `address` from `ids` into `out` (`length` bytes per id, in the
   * order of `ids`), retrying the servos that did not answer (or whose reply failed its checksum)
   * until `deadline` (steady s, performance.now()/1000). Never throws. A nonzero status byte puts
   * the servo in `alerts` (its data is still taken).
   */
  syncRead(address: number, length: number, ids: readonly number[], out: Uint8Array, deadline: number): Promise<SyncReadResult> {
    return this.syncReadRetrying(ids, deadline, async (todo, _attempt, left, res) => {
      const pkt = F.syncRead(address, length, todo);
      const timeout = Math.min(Math.max(left, 0.001), this.timeoutFor(pkt.length, todo.length * F.statusBytes(length)));
      const got = await this.transact(pkt, todo.length, timeout, todo);
      const answered = new Set<number>();
      for (const r of got) {
        const k = ids.indexOf(r.id);
        if (k < 0 || r.params.length !== length) continue;
        if (r.code !== 0) {
          const a = res.alerts.indexOf(r.id);
          if (a < 0) {
            res.alerts.push(r.id);
            res.alertCodes.push(r.code);
          } else res.alertCodes[a] |= r.code;
        }
        out.set(r.params, k * length);
        answered.add(r.id);
      }
      return answered;
    });
  }
}

/** Bytes on the wire for one bus cycle: sync write of `writeLen` + sync read of `readLen` from n servos. */
export function feetechCycleBytes(n: number, readLen: number, writeLen: number): { out: number; in: number } {
  const syncWrite = 8 + n * (1 + writeLen);
  const syncRead = 8 + n;
  return { out: syncWrite + syncRead, in: n * F.statusBytes(readLen) };
}

/** Reply time added by Return Delay Time `raw` (s). */
export const returnDelayS = (raw: number) => raw * S_PER_RETURN_DELAY_UNIT;

export { describeStatus };
