/**
 * A virtual Feetech STS bus: emulated STS3215 servos answering real bytes over a Transport. It is
 * what tests, `--port emu://` with a Feetech config, `axon hw scan --protocol feetech --port
 * emu://N` and `axon hw emulate --protocol feetech` (over TCP) talk to.
 *
 * Served: ping (unicast and broadcast, in id order), read, write, reg write + action, sync read
 * (0x82, replies in the order listed), sync write (0x83), reboot (no reply). As a real bus:
 * - a servo hears only a link at the rate its Baud Rate register (address 6) names: a scan at
 *   1 Mbps finds nothing on servos set to 57600 (`baudMismatches` counts what they missed);
 * - each reply waits the servo's Return Delay Time (address 7, 2 µs units) plus `latencyS`
 *   (and the wire time of the reply with `realTiming`);
 * - Response Status Level (8) = 0 answers only reads and pings; broadcasts get no reply but ping;
 * - an ID write answers from the new id; a Baud Rate write answers at the old rate, then listens at the new one.
 * Faults to drill against: lost instruction packets, corrupted replies, extra latency, injected
 * servo faults, a frozen bus (`frozen`: nobody answers), a dropped link.
 */
import { performance } from 'node:perf_hooks';
import { Rng } from '../../src/core/rng.ts';
import { FeetechPacketDecoder } from '../feetech/PacketDecoder.ts';
import { BROADCAST_ID, Inst, encodeStatus, type FeetechPacket } from '../feetech/packet.ts';
import { FEETECH_BAUD_CODES, S_PER_RETURN_DELAY_UNIT } from '../feetech/controlTable.ts';
import { EmulatedStsServo, type StsServoSetup } from './EmulatedStsServo.ts';
import { wireTime, type Transport } from '../transport/Transport.ts';
import { afterAtLeast, type LinkFaultOptions } from './LinkFaultOptions.ts';

export interface FeetechEmulatorOptions extends LinkFaultOptions {
  readonly servos: readonly StsServoSetup[];
  /** Line rate of links that carry no rate of their own (TCP, a pty behind socat), bit/s. Default 1 Mbps. */
  readonly baud?: number;
}

export interface FeetechEmulatorStats {
  received: number;
  replies: number;
  lost: number;
  corrupted: number;
  /** Packets the servos could not hear because the link ran at another rate than their Baud Rate register. */
  baudMismatches: number;
}

/** `n` STS3215 servos with ids 1..n at their center position, factory settings (1 Mbps). */
export function defaultStsServos(n: number): StsServoSetup[] {
  return Array.from({ length: n }, (_, i) => ({ id: i + 1 }));
}

export class FeetechEmulator {
  readonly servos: EmulatedStsServo[] = [];
  readonly stats: FeetechEmulatorStats = { received: 0, replies: 0, lost: 0, corrupted: 0, baudMismatches: 0 };
  latencyS: number;
  lossRate: number;
  corruptRate: number;
  /** While true nobody answers (a bus gone silent: power lost on the servo side, a frozen adapter). */
  frozen = false;
  readonly baud: number;
  private readonly _now: () => number;
  private readonly _rng: Rng;
  private readonly _realTiming: boolean;

  constructor(o: FeetechEmulatorOptions) {
    this._now = o.now ?? (() => performance.now() / 1000);
    this._rng = new Rng(o.seed ?? 1);
    this.latencyS = o.latencyS ?? 0;
    this.lossRate = o.lossRate ?? 0;
    this.corruptRate = o.corruptRate ?? 0;
    this.baud = o.baud ?? 1_000_000;
    this._realTiming = o.realTiming ?? false;
    const t = this._now();
    const seen = new Set<number>();
    for (const s of o.servos) {
      if (!(Number.isInteger(s.id) && s.id >= 0 && s.id <= 253)) throw new Error(`emulated Feetech servo id ${s.id}: expected 0..253`);
      if (seen.has(s.id)) throw new Error(`emulated Feetech servo id ${s.id} appears twice`);
      seen.add(s.id);
      this.servos.push(new EmulatedStsServo(s, t));
    }
  }

  /** The servo now answering to `id` (ids change with set-id). */
  servo(id: number): EmulatedStsServo {
    const s = this.servos.find((x) => x.id === id);
    if (!s) throw new Error(`no emulated Feetech servo with id ${id}`);
    return s;
  }

  advance(): void {
    const t = this._now();
    for (const s of this.servos) s.refresh(t);
  }

  injectFault(id: number, bits: number): void {
    this.servo(id).injectFault(bits, this._now());
  }

  /** Every servo off and on again (unsaved EPROM writes are lost). */
  powerCycle(): void {
    const t = this._now();
    for (const s of this.servos) s.powerCycle(t);
  }

  /**
   * Serves the bus on `t` (the device end of a link), at `lineBaud` (default: the link's own rate
   * for in-memory links, else the emulator's `baud`). Several links may be attached.
   */
  attach(t: Transport, lineBaud = t.baud): void {
    const decoder = new FeetechPacketDecoder((p) => this._serve(t, p, lineBaud));
    t.on({ data: (chunk) => decoder.push(chunk) });
  }

  private _serve(t: Transport, p: FeetechPacket, lineBaud: number): void {
    this.stats.received++;
    if (this.frozen) return;
    if (this.lossRate > 0 && this._rng.next() < this.lossRate) {
      this.stats.lost++;
      return;
    }
    const replies = this.handle(p, lineBaud);
    if (replies.length === 0) return;
    for (const r of replies) {
      let bytes = r.bytes;
      if (this.corruptRate > 0 && this._rng.next() < this.corruptRate) {
        bytes = bytes.slice();
        bytes[this._rng.int(bytes.length)] ^= 1 << this._rng.int(8);
        this.stats.corrupted++;
      }
      this.stats.replies++;
      const delay = this.latencyS + r.delayS + (this._realTiming ? wireTime(bytes.length, lineBaud) : 0);
      afterAtLeast(delay, () => t.write(bytes));
    }
  }

  /**
   * The replies the bus sends for one instruction packet heard at `lineBaud`, in wire order, each
   * with its Return Delay Time. Applies the instruction's effects. Synchronous; usable without a transport.
   */
  handle(p: FeetechPacket, lineBaud = this.baud): { bytes: Uint8Array; delayS: number }[] {
    const now = this._now();
    const hearing = this.servos.filter((s) => FEETECH_BAUD_CODES[s.baudCode] === lineBaud);
    if (hearing.length < this.servos.length) this.stats.baudMismatches++;
    const broadcast = p.id === BROADCAST_ID;
    const targets = broadcast ? hearing : hearing.filter((s) => s.id === p.id);
    const out: { bytes: Uint8Array; delayS: number }[] = [];
    const P = p.params;
    const reply = (s: EmulatedStsServo, data: ArrayLike<number> = []) => {
      const isRead = p.code === Inst.Ping || p.code === Inst.Read || p.code === Inst.SyncRead;
      if (!isRead && (broadcast || s.mem[8] === 0)) return;
      out.push({ bytes: encodeStatus(s.id, s.fault, data), delayS: s.mem[7] * S_PER_RETURN_DELAY_UNIT });
    };
    switch (p.code) {
      case Inst.Ping:
        for (const s of [...targets].sort((a, b) => a.id - b.id)) {
          s.advance(now);
          out.push({ bytes: encodeStatus(s.id, s.fault), delayS: s.mem[7] * S_PER_RETURN_DELAY_UNIT });
        }
        return out;
      case Inst.Read:
        if (broadcast || P.length !== 2) return out;
        for (const s of targets) {
          if (!s.canRead(P[0], P[1])) continue; // no reply: the host times out and names the read
          s.refresh(now);
          reply(s, s.mem.subarray(P[0], P[0] + P[1]));
        }
        return out;
      case Inst.Write:
        if (P.length < 2) return out;
        for (const s of targets) {
          s.write(P[0], P.slice(1), now);
          reply(s);
        }
        return out;
      case Inst.RegWrite:
        if (P.length < 2) return out;
        for (const s of targets) {
          s.registered = { address: P[0], data: P.slice(1) };
          s.mem[64] = 1;
          reply(s);
        }
        return out;
      case Inst.Action:
        for (const s of targets) {
          if (s.registered) s.write(s.registered.address, s.registered.data, now);
          s.registered = undefined;
          s.mem[64] = 0;
          reply(s);
        }
        return out;
      case Inst.Reboot:
        for (const s of targets) s.powerCycle(now);
        return out;
      case Inst.SyncRead: {
        if (!broadcast || P.length < 3) return out;
        const [a, n] = [P[0], P[1]];
        for (let i = 2; i < P.length; i++) {
          const s = hearing.find((x) => x.id === P[i]);
          if (!s || !s.canRead(a, n)) continue;
          s.refresh(now);
          out.push({ bytes: encodeStatus(s.id, s.fault, s.mem.subarray(a, a + n)), delayS: s.mem[7] * S_PER_RETURN_DELAY_UNIT });
        }
        return out;
      }
      case Inst.SyncWrite: {
        if (!broadcast || P.length < 2) return out;
        const [a, n] = [P[0], P[1]];
        for (let o = 2; o + 1 + n <= P.length; o += 1 + n) {
          const s = hearing.find((x) => x.id === P[o]);
          if (s) s.write(a, P.slice(o + 1, o + 1 + n), now);
        }
        return out;
      }
      default:
        return out; // unknown instruction: a servo says nothing
    }
  }
}
