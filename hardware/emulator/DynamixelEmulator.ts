/**
 * A virtual Dynamixel bus: N emulated servos answering real Protocol 2.0 bytes over a Transport.
 * It is what tests, CI, `--port emu://N` and `axon hw emulate` (over TCP) talk to.
 *
 * Every instruction of the spec is served: ping (unicast and broadcast), read, write, reg write,
 * action, factory reset, reboot, clear, sync read, fast sync read, sync write, bulk read, bulk
 * write; Status Return Level and Return Delay Time are honoured. Faults to drill against: lost
 * instruction packets, corrupted replies, extra latency, a reply stalled past the host's timeout
 * (the host's retry answered behind it), injected hardware errors, a dropped link, a power cycle.
 *
 * As on a real bus, a servo hears only packets sent at the line rate its Baud Rate register
 * (address 8) says: the line rate of a link is the transport's `baud` (emu://: the host's rate;
 * `axon hw emulate`: its --baud, the serial side of a ser2net-like server). A servo set to another
 * rate stays silent, so a scan at the wrong baud finds nothing. Servos start at the emulator's
 * `baud` unless their setup's table says otherwise. Every reply waits the servo's Return Delay
 * Time (address 9, 2 µs units, 500 µs by default; a timer, so at least ~1 ms in Node).
 *
 * A servo answers to the id in its ID register (address 7): a write there takes effect at once,
 * as on a real servo (the write's own status still comes from the id it was sent to).
 */
import { performance } from 'node:perf_hooks';
import { Rng } from '../../src/core/rng.ts';
import { PacketDecoder } from '../dynamixel/PacketDecoder.ts';
import {
  ALERT_BIT, BROADCAST_ID, Inst, encodeStatus, fastSyncReadStatus, readLe, type Packet,
} from '../dynamixel/packet.ts';
import { EmulatedServo, ERR_ACCESS, ERR_DATA_LENGTH, ERR_INSTRUCTION, type ServoSetup } from './EmulatedServo.ts';
import { wireTime, type Transport } from '../transport/Transport.ts';
import { baudCode } from '../dynamixel/controlTable.ts';
import { afterAtLeast, type LinkFaultOptions } from './LinkFaultOptions.ts';

/** The link options; replies always wait the servo's Return Delay Time as well. */
export interface EmulatorOptions extends LinkFaultOptions {
  readonly servos: readonly ServoSetup[];
  /** Line rate (bit/s): the servos' Baud Rate register at start (unless their table sets it), and wire times when `realTiming` is on. */
  readonly baud?: number;
}

export interface EmulatorStats {
  received: number;
  replies: number;
  lost: number;
  corrupted: number;
  badPackets: number;
}

/** `n` XM430-W350 servos with ids 1..n, all at their center position. */
export function defaultServos(n: number): ServoSetup[] {
  return Array.from({ length: n }, (_, i) => ({ id: i + 1 }));
}

export class DynamixelEmulator {
  /**
   * Every servo, keyed by the id it was created with. The id a servo answers to is its ID register
   * (`servo.id`), which a write to address 7 changes at once: look servos up with `servo(id)`.
   */
  readonly servos = new Map<number, EmulatedServo>();
  readonly stats: EmulatorStats = { received: 0, replies: 0, lost: 0, corrupted: 0, badPackets: 0 };
  latencyS: number;
  lossRate: number;
  corruptRate: number;
  readonly baud: number;
  private readonly _now: () => number;
  private readonly _rng: Rng;
  private readonly _realTiming: boolean;
  private readonly _links = new Set<Transport>();
  private _stall: ((p: Packet) => boolean) | undefined;
  /** A stalled reply, waiting for the next packet the bus hears. */
  private _held: { readonly t: Transport; readonly bytes: Uint8Array } | undefined;

  constructor(o: EmulatorOptions) {
    this._now = o.now ?? (() => performance.now() / 1000);
    this._rng = new Rng(o.seed ?? 1);
    this.latencyS = o.latencyS ?? 0;
    this.lossRate = o.lossRate ?? 0;
    this.corruptRate = o.corruptRate ?? 0;
    this.baud = o.baud ?? 1_000_000;
    this._realTiming = o.realTiming ?? false;
    const t = this._now();
    for (const s of o.servos) {
      if (!(Number.isInteger(s.id) && s.id >= 0 && s.id <= 252)) throw new Error(`emulated servo id ${s.id}: expected 0..252`);
      if (this.servos.has(s.id)) throw new Error(`emulated servo id ${s.id} appears twice`);
      const code = baudCode(this.baud);
      const withBaud = s.table?.baud_rate === undefined && code !== undefined ? { ...s, table: { ...s.table, baud_rate: code } } : s;
      this.servos.set(s.id, new EmulatedServo(withBaud, t));
    }
  }

  /** The servo now answering to `id` (ids change with a write to the ID register, e.g. `hw set-id`). */
  servo(id: number): EmulatedServo {
    const s = this._answering(id);
    if (!s) throw new Error(`no emulated servo with id ${id}`);
    return s;
  }

  /** The servo whose ID register holds `id` (of two set to one id, the one created first answers here). */
  private _answering(id: number): EmulatedServo | undefined {
    const s = this.servos.get(id);
    if (s !== undefined && s.id === id) return s;
    for (const x of this.servos.values()) if (x.id === id) return x;
    return undefined;
  }

  /** Brings every servo's motor model and watchdog up to now (tests call it before inspecting). */
  advance(): void {
    const t = this._now();
    for (const s of this.servos.values()) s.refresh(t);
  }

  /**
   * Fault drill: the reply to the next packet `match` accepts stalls (in the servo or the USB
   * adapter) past the host's reply timeout: it goes out only when the bus hears another packet
   * (the host's retry), just before that packet's own reply, as bytes on one wire follow each
   * other. The host's retry then gets the stalled reply, and the retry's reply comes while the
   * host has moved on to its next request.
   */
  stallReply(match: (p: Packet) => boolean = () => true): void {
    this._stall = match;
  }

  /** Every servo powered off and on where it stands (EmulatedServo.powerCycle: the turn count is lost). */
  powerCycle(): void {
    const t = this._now();
    for (const s of this.servos.values()) s.powerCycle(t);
  }

  injectHardwareError(id: number, bits: number): void {
    this.servo(id).injectHardwareError(bits, this._now());
  }

  /** Serves the bus on `t` (the device end of a link). Several links may be attached. */
  attach(t: Transport): void {
    const decoder = new PacketDecoder((p) => this._serve(t, p));
    this._links.add(t);
    t.on({
      data: (chunk) => decoder.push(chunk),
      close: () => this._links.delete(t),
    });
  }

  detach(t: Transport): void {
    this._links.delete(t);
  }

  private _serve(t: Transport, p: Packet): void {
    this.stats.received++;
    if (this.lossRate > 0 && this._rng.next() < this.lossRate) {
      this.stats.lost++;
      return;
    }
    const replies = this.handle(p, t.baud);
    const held = this._held;
    this._held = undefined;
    if (replies.length === 0) {
      if (held) afterAtLeast(this.latencyS, () => held.t.write(held.bytes));
      return;
    }
    let bytes = concat(replies);
    if (this.corruptRate > 0 && this._rng.next() < this.corruptRate) {
      bytes = bytes.slice();
      bytes[this._rng.int(bytes.length)] ^= 1 << this._rng.int(8);
      this.stats.corrupted++;
    }
    this.stats.replies += replies.length;
    if (!held && this._stall?.(p)) {
      this._stall = undefined;
      this._held = { t, bytes };
      return;
    }
    let delay = this.latencyS;
    const first = this._answering(p.id) ?? this.servos.values().next().value;
    if (first) delay += first.returnDelayS;
    if (this._realTiming) delay += wireTime(bytes.length, t.baud);
    afterAtLeast(delay, () => {
      if (held) held.t.write(held.bytes);
      t.write(bytes);
    });
  }

  /**
   * The status packets the bus sends back for one instruction packet, in wire order (empty when
   * nobody answers). Applies the instruction's effects. Synchronous; usable without a transport.
   * @param lineBaud the rate the packet was sent at (bit/s): only servos listening at it hear it; default: every servo hears it
   */
  handle(p: Packet, lineBaud?: number): Uint8Array[] {
    const now = this._now();
    if (p.instruction === Inst.Status) return []; // another device's reply on a shared bus
    const broadcast = p.id === BROADCAST_ID;
    const hears = (s: EmulatedServo | undefined): s is EmulatedServo => s !== undefined && (lineBaud === undefined || s.baud === lineBaud);
    const servo = (id: number) => {
      const s = this._answering(id);
      return hears(s) ? s : undefined;
    };
    const targets = broadcast ? [...this.servos.values()].filter(hears) : servo(p.id) ? [servo(p.id)!] : [];
    const out: Uint8Array[] = [];
    const P = p.params;
    const status = (s: EmulatedServo, err: number, data: ArrayLike<number> = [], id = s.id) => {
      const level = s.mem[68];
      const isPing = p.instruction === Inst.Ping;
      const isRead = p.instruction === Inst.Read || p.instruction === Inst.SyncRead || p.instruction === Inst.BulkRead || p.instruction === Inst.FastSyncRead;
      if (isPing || (level >= 1 && isRead) || level >= 2) out.push(encodeStatus(id, err | (s.hwError ? ALERT_BIT : 0), data));
    };
    switch (p.instruction) {
      case Inst.Ping:
        for (const s of sortById(targets)) {
          s.heard(now);
          status(s, 0, [s.mem[0], s.mem[1], s.mem[6]]);
        }
        return out;
      case Inst.Read: {
        if (broadcast) return out;
        for (const s of targets) {
          s.heard(now);
          if (P.length !== 4) { status(s, ERR_DATA_LENGTH); continue; }
          const a = readLe(P, 0, 2), n = readLe(P, 2, 2);
          const e = s.checkRead(a, n);
          s.refresh(now);
          status(s, e, e ? [] : s.mem.subarray(a, a + n));
        }
        return out;
      }
      case Inst.Write:
      case Inst.RegWrite: {
        for (const s of targets) {
          s.heard(now);
          if (P.length < 3) { if (!broadcast) status(s, ERR_DATA_LENGTH); continue; }
          const a = readLe(P, 0, 2);
          const data = P.slice(2);
          const id0 = s.id; // an ID write is answered from the id it was sent to (the SDK matches the reply's id), then the new id holds
          let e: number;
          if (p.instruction === Inst.Write) e = s.write(a, data, now);
          else {
            e = a + data.length > s.mem.length ? ERR_ACCESS : 0;
            if (!e) { s.registered = { address: a, data }; s.mem[69] = 1; }
          }
          if (!broadcast) status(s, e, [], id0);
        }
        return out;
      }
      case Inst.Action:
        for (const s of targets) {
          s.heard(now);
          let e = 0;
          if (s.registered) { e = s.write(s.registered.address, s.registered.data, now); s.registered = undefined; s.mem[69] = 0; }
          if (!broadcast) status(s, e);
        }
        return out;
      case Inst.FactoryReset:
        for (const s of targets) {
          s.heard(now);
          if (s.torqueOn) { if (!broadcast) status(s, ERR_ACCESS); continue; }
          if (!broadcast) status(s, 0); // it answers, then resets
          s.factoryReset(P[0] ?? 0xff);
        }
        return out;
      case Inst.Reboot:
        for (const s of targets) {
          if (!broadcast) status(s, 0);
          s.reboot(now);
        }
        return out;
      case Inst.Clear:
        for (const s of targets) {
          s.heard(now);
          const ok = P.length === 5 && P[0] === 0x01 && P[1] === 0x44 && P[2] === 0x58 && P[3] === 0x4c;
          if (ok && !s.torqueOn) s.clearMultiTurn(now);
          if (!broadcast) status(s, ok ? (s.torqueOn ? ERR_ACCESS : 0) : ERR_DATA_RANGE_OR_LEN(P));
        }
        return out;
      case Inst.SyncRead:
      case Inst.FastSyncRead: {
        if (!broadcast || P.length < 5) return out;
        const a = readLe(P, 0, 2), n = readLe(P, 2, 2);
        const listed: EmulatedServo[] = [];
        for (let i = 4; i < P.length; i++) {
          const s = servo(P[i]);
          if (s) { s.heard(now); listed.push(s); }
        }
        if (p.instruction === Inst.SyncRead) {
          for (const s of listed) {
            const e = s.checkRead(a, n);
            s.refresh(now);
            status(s, e, e ? [] : s.mem.subarray(a, a + n));
          }
        } else if (listed.length > 0) {
          const blocks = listed.map((s) => {
            const e = s.checkRead(a, n);
            s.refresh(now);
            return { error: e | (s.hwError ? ALERT_BIT : 0), id: s.id, data: e ? new Uint8Array(n) : s.mem.slice(a, a + n) };
          });
          out.push(fastSyncReadStatus(blocks));
        }
        return out;
      }
      case Inst.SyncWrite: {
        if (!broadcast || P.length < 4) return out;
        const a = readLe(P, 0, 2), n = readLe(P, 2, 2);
        for (let o = 4; o + 1 + n <= P.length; o += 1 + n) {
          const s = servo(P[o]);
          if (!s) continue;
          s.heard(now);
          s.write(a, P.slice(o + 1, o + 1 + n), now);
        }
        return out;
      }
      case Inst.BulkRead: {
        if (!broadcast) return out;
        for (let o = 0; o + 5 <= P.length; o += 5) {
          const s = servo(P[o]);
          if (!s) continue;
          s.heard(now);
          const a = readLe(P, o + 1, 2), n = readLe(P, o + 3, 2);
          const e = s.checkRead(a, n);
          s.refresh(now);
          status(s, e, e ? [] : s.mem.subarray(a, a + n));
        }
        return out;
      }
      case Inst.BulkWrite: {
        if (!broadcast) return out;
        for (let o = 0; o + 5 <= P.length; ) {
          const id = P[o], a = readLe(P, o + 1, 2), n = readLe(P, o + 3, 2);
          const s = servo(id);
          if (s && o + 5 + n <= P.length) { s.heard(now); s.write(a, P.slice(o + 5, o + 5 + n), now); }
          o += 5 + n;
        }
        return out;
      }
      default:
        for (const s of targets) if (!broadcast) status(s, ERR_INSTRUCTION);
        return out;
    }
  }
}

function ERR_DATA_RANGE_OR_LEN(P: Uint8Array): number {
  return P.length !== 5 ? ERR_DATA_LENGTH : 4;
}

function sortById(s: EmulatedServo[]): EmulatedServo[] {
  return s.length > 1 ? [...s].sort((a, b) => a.id - b.id) : s;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
