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
import { StreamDecoder, type StreamDecoderStats } from '../transport/StreamDecoder.ts';

export interface FeetechDecoderStats extends StreamDecoderStats {
  /** Checksum mismatches (named as the Dynamixel decoder's CRC errors so that summaries share keys). */
  crcErrors: number;
  /** Stalled headers given up because a complete packet followed them. */
  resyncs: number;
}

export class FeetechPacketDecoder extends StreamDecoder<FeetechPacket, FeetechDecoderStats> {
  protected readonly _headBytes = 4;

  constructor(onPacket: (p: FeetechPacket) => void) {
    super({ packets: 0, crcErrors: 0, garbageBytes: 0, badLengths: 0, resyncs: 0 }, 512, onPacket);
  }

  /** Index of the next header candidate at or after `from` (FF FF not followed by FF), or -1. */
  protected _header(from: number): number {
    const b = this._buf;
    for (let h = from; h + 1 < this._end; h++) {
      if (b[h] !== 0xff || b[h + 1] !== 0xff) continue;
      if (h + 2 < this._end && b[h + 2] === 0xff) continue; // the header starts one byte later
      return h;
    }
    return -1;
  }

  /** A trailing FF (a possible header start). */
  protected _tail(): number {
    return this._end > this._start && this._buf[this._end - 1] === 0xff ? 1 : 0;
  }

  /** FF FF, id, LEN and LEN bytes (LEN >= 2: the status byte and the checksum). */
  protected _total(h: number): number {
    const len = this._buf[h + 3];
    return len < 2 ? 0 : 4 + len;
  }

  protected _checksumOk(h: number, total: number): boolean {
    return checksum(this._buf, h + 2, h + total - 1) === this._buf[h + total - 1];
  }

  protected _packet(h: number, total: number): FeetechPacket {
    const b = this._buf;
    return { id: b[h + 2], code: b[h + 4], params: b.slice(h + 5, h + total - 1) };
  }

  /** Waiting for more: a complete, valid packet further on means this header was garbage. */
  protected override _stalled(h: number): void {
    for (let k = this._header(h + 1); k >= 0; k = this._header(k + 1)) {
      if (this._completeAt(k) > 0) {
        this.stats.resyncs++;
        this.stats.garbageBytes += k - h;
        this._start = k;
        return;
      }
    }
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
}
