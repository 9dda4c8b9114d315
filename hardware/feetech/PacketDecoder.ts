/**
 * Streaming decoder for Feetech packets: feed it bytes in any chunks, get whole packets.
 *
 * Feetech packets have no byte stuffing, so FF FF may appear inside one (a position of 0xFFFF, a
 * run of 0xFF data) and a corrupted length byte may announce up to 255 bytes that never come. The
 * decoder therefore resynchronises on the checksum:
 * - garbage before a header is skipped and counted;
 * - a header whose length cannot be right (LEN < 2) or whose checksum fails drops only its first
 *   byte, and scanning goes on from the next one;
 * - while a packet waits for more bytes than have arrived, a complete packet with a valid
 *   checksum further on in the buffer wins: the stalled header was garbage (a torn reply, noise,
 *   a bad length byte) and the good packets behind it are delivered, never swallowed.
 * ID 0xFF cannot follow the header (FF FF FF ... is read as a header starting one byte later).
 */
import { checksum, type FeetechPacket } from './packet.ts';

export interface FeetechDecoderStats {
  packets: number;
  /** Checksum mismatches (named as the Dynamixel decoder's CRC errors so that summaries share keys). */
  crcErrors: number;
  /** Bytes skipped while looking for a header (noise, torn packets, rejected headers). */
  garbageBytes: number;
  badLengths: number;
  /** Stalled headers given up because a complete packet followed them. */
  resyncs: number;
}

export class FeetechPacketDecoder {
  readonly stats: FeetechDecoderStats = { packets: 0, crcErrors: 0, garbageBytes: 0, badLengths: 0, resyncs: 0 };
  private _buf = new Uint8Array(512);
  private _start = 0;
  private _end = 0;

  constructor(private readonly onPacket: (p: FeetechPacket) => void) {}

  /** Bytes buffered but not yet part of a packet. */
  get pending(): number {
    return this._end - this._start;
  }

  /** Drops everything buffered (before a new transaction, after a timeout). */
  reset(): void {
    this.stats.garbageBytes += this._end - this._start;
    this._start = this._end = 0;
  }

  push(chunk: Uint8Array): void {
    this._append(chunk);
    this._drain();
  }

  private _append(chunk: Uint8Array): void {
    const have = this._end - this._start;
    if (this._end + chunk.length > this._buf.length) {
      if (have + chunk.length <= this._buf.length && this._start > 0) {
        this._buf.copyWithin(0, this._start, this._end);
      } else {
        const nb = new Uint8Array(Math.max(this._buf.length * 2, have + chunk.length));
        nb.set(this._buf.subarray(this._start, this._end));
        this._buf = nb;
      }
      this._start = 0;
      this._end = have;
    }
    this._buf.set(chunk, this._end);
    this._end += chunk.length;
  }

  /** Index of the next header candidate at or after `from` (FF FF not followed by FF), or -1. */
  private _header(from: number): number {
    const b = this._buf;
    for (let h = from; h + 1 < this._end; h++) {
      if (b[h] !== 0xff || b[h + 1] !== 0xff) continue;
      if (h + 2 < this._end && b[h + 2] === 0xff) continue; // the header starts one byte later
      return h;
    }
    return -1;
  }

  /** A complete packet starting at `h` with a valid checksum: its total length, else 0. */
  private _completeAt(h: number): number {
    const b = this._buf;
    if (this._end - h < 6) return 0;
    const len = b[h + 3];
    if (len < 2 || b[h + 2] === 0xff) return 0;
    const total = 4 + len;
    if (this._end - h < total) return 0;
    return checksum(b, h + 2, h + total - 1) === b[h + total - 1] ? total : 0;
  }

  private _drain(): void {
    const b = this._buf;
    for (;;) {
      const h = this._header(this._start);
      if (h < 0) {
        // Keep a trailing FF (a possible header start) for the next chunk.
        const keep = this._end > this._start && b[this._end - 1] === 0xff ? 1 : 0;
        this.stats.garbageBytes += this._end - keep - this._start;
        this._start = this._end - keep;
        if (this._start === this._end) this._start = this._end = 0;
        return;
      }
      this.stats.garbageBytes += h - this._start;
      this._start = h;
      if (this._end - h < 4) return;
      const len = b[h + 3];
      if (len < 2) {
        this.stats.badLengths++;
        this.stats.garbageBytes++;
        this._start = h + 1;
        continue;
      }
      const total = 4 + len;
      if (this._end - h < total) {
        // Waiting for more. A complete, valid packet further on means this header was garbage.
        for (let k = this._header(h + 1); k >= 0; k = this._header(k + 1)) {
          if (this._completeAt(k) > 0) {
            this.stats.resyncs++;
            this.stats.garbageBytes += k - h;
            this._start = k;
            break;
          }
        }
        if (this._start !== h) continue;
        return;
      }
      if (checksum(b, h + 2, h + total - 1) !== b[h + total - 1]) {
        this.stats.crcErrors++;
        this.stats.garbageBytes++;
        this._start = h + 1;
        continue;
      }
      const packet: FeetechPacket = { id: b[h + 2], code: b[h + 4], params: b.slice(h + 5, h + total - 1) };
      this._start = h + total;
      this.stats.packets++;
      this.onPacket(packet);
    }
  }
}
