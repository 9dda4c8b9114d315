/**
 * Streaming Protocol 2.0 decoder: feed it bytes in any chunks, get whole packets.
 *
 * It finds the header FF FF FD 00, waits for the declared length, checks the CRC and unstuffs.
 * Garbage before a header is skipped and counted; a length that cannot be right, or a bad CRC,
 * drops only the first header byte and scans on, so a torn or corrupted packet never swallows
 * the good packets behind it (stuffing guarantees FF FF FD 00 never occurs inside a packet).
 */
import { crc16 } from './crc.ts';
import { Inst, unstuff, type Packet } from './packet.ts';

/** Longest packet accepted (bytes after the length field); longer declared lengths are garbage. */
export const MAX_PACKET_LENGTH = 4096;

export interface DecoderStats {
  packets: number;
  crcErrors: number;
  /** Bytes skipped while looking for a header (noise, torn packets, rejected headers). */
  garbageBytes: number;
  badLengths: number;
}

export class PacketDecoder {
  readonly stats: DecoderStats = { packets: 0, crcErrors: 0, garbageBytes: 0, badLengths: 0 };
  private _buf = new Uint8Array(1024);
  private _start = 0;
  private _end = 0;

  constructor(private readonly onPacket: (p: Packet) => void) {}

  /** Bytes buffered but not yet part of a packet. */
  get pending(): number {
    return this._end - this._start;
  }

  /** Drops everything buffered (e.g. after a timeout, before a new transaction). */
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

  private _drain(): void {
    const b = this._buf;
    for (;;) {
      // Find a header.
      let h = this._start;
      while (h + 3 < this._end && !(b[h] === 0xff && b[h + 1] === 0xff && b[h + 2] === 0xfd && b[h + 3] === 0x00)) h++;
      if (h + 3 >= this._end) {
        // Keep a possible header prefix (up to 3 bytes) for the next chunk.
        const keep = Math.min(3, this._end - this._start);
        let k = keep;
        while (k > 0 && !this._isHeaderPrefix(this._end - k, k)) k--;
        this.stats.garbageBytes += this._end - k - this._start;
        this._start = this._end - k;
        if (this._start === this._end) this._start = this._end = 0;
        return;
      }
      this.stats.garbageBytes += h - this._start;
      this._start = h;
      if (this._end - h < 7) return;
      const len = b[h + 5] | (b[h + 6] << 8);
      if (len < 3 || len > MAX_PACKET_LENGTH || b[h + 4] === 0xfd || b[h + 4] === 0xff) {
        this.stats.badLengths++;
        this.stats.garbageBytes++;
        this._start = h + 1;
        continue;
      }
      const total = 7 + len;
      if (this._end - h < total) return;
      const crc = crc16(b, h, h + total - 2);
      if (crc !== (b[h + total - 2] | (b[h + total - 1] << 8))) {
        this.stats.crcErrors++;
        this.stats.garbageBytes++;
        this._start = h + 1;
        continue;
      }
      const body = unstuff(b.slice(h + 7, h + total - 2));
      const id = b[h + 4];
      this._start = h + total;
      this.stats.packets++;
      const inst = body[0];
      const packet: Packet =
        inst === Inst.Status && body.length >= 2
          ? { id, instruction: inst, error: body[1], params: body.subarray(2) }
          : { id, instruction: inst, error: 0, params: body.subarray(1) };
      this.onPacket(packet);
    }
  }

  private _isHeaderPrefix(at: number, k: number): boolean {
    const hdr = [0xff, 0xff, 0xfd];
    for (let i = 0; i < k; i++) if (this._buf[at + i] !== hdr[i]) return false;
    return true;
  }
}
