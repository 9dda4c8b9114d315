/**
 * The framing loop shared by the servo packet decoders (Dynamixel Protocol 2.0, Feetech): feed it
 * bytes in any chunks, get whole packets. The buffer grows as needed and is compacted in place.
 *
 * The loop: find a header; count the bytes skipped before it as garbage; once the head is in,
 * read the packet's length; a length that cannot be right, or a bad checksum, drops only the
 * header's first byte and scanning goes on from the next one, so a torn or corrupted packet never
 * swallows the good packets behind it. A packet still waiting for bytes may be given up for a
 * later one (`_stalled`). The protocol's rules (header, length, checksum, packet) are the
 * subclass's.
 */

export interface StreamDecoderStats {
  packets: number;
  crcErrors: number;
  /** Bytes skipped while looking for a header (noise, torn packets, rejected headers). */
  garbageBytes: number;
  badLengths: number;
}

export abstract class StreamDecoder<P, S extends StreamDecoderStats = StreamDecoderStats> {
  protected _buf: Uint8Array;
  protected _start = 0;
  protected _end = 0;

  /** @param initialBytes the buffer's starting size (it grows when a chunk does not fit). */
  constructor(
    readonly stats: S,
    initialBytes: number,
    private readonly onPacket: (p: P) => void,
  ) {
    this._buf = new Uint8Array(initialBytes);
  }

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

  /** Bytes from a header's start needed before its length can be read. */
  protected abstract readonly _headBytes: number;
  /** The next header at or after `from` in the buffer, or -1 when none is there. */
  protected abstract _header(from: number): number;
  /** With no header in the buffer: how many trailing bytes may start one (kept for the next chunk). */
  protected abstract _tail(): number;
  /** The whole packet's length (bytes) from the head at `h`, or 0 when that length cannot be right. */
  protected abstract _total(h: number): number;
  /** Whether the packet of `total` bytes at `h` passes its checksum. */
  protected abstract _checksumOk(h: number, total: number): boolean;
  /** The packet of `total` bytes at `h` (checked); must copy what it keeps out of the buffer. */
  protected abstract _packet(h: number, total: number): P;
  /** The packet at `h` waits for more bytes: may move `_start` on to give it up; default waits. */
  protected _stalled(_h: number): void {}

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
    const s = this.stats;
    for (;;) {
      const h = this._header(this._start);
      if (h < 0) {
        const keep = this._tail();
        s.garbageBytes += this._end - keep - this._start;
        this._start = this._end - keep;
        if (this._start === this._end) this._start = this._end = 0;
        return;
      }
      s.garbageBytes += h - this._start;
      this._start = h;
      if (this._end - h < this._headBytes) return;
      const total = this._total(h);
      if (total === 0) {
        s.badLengths++;
        s.garbageBytes++;
        this._start = h + 1;
        continue;
      }
      if (this._end - h < total) {
        this._stalled(h);
        if (this._start !== h) continue;
        return;
      }
      if (!this._checksumOk(h, total)) {
        s.crcErrors++;
        s.garbageBytes++;
        this._start = h + 1;
        continue;
      }
      const packet = this._packet(h, total);
      this._start = h + total;
      s.packets++;
      this.onPacket(packet);
    }
  }
}
