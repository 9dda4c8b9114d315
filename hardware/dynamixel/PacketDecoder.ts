/**
 * Streaming Protocol 2.0 decoder: feed it bytes in any chunks, get whole packets.
 *
 * It finds the header FF FF FD 00, waits for the declared length, checks the CRC and unstuffs,
 * except a status from the broadcast id (a Fast Sync or Fast Bulk Read reply), which the servos
 * send unstuffed (ROBOTIS e-Manual, Protocol 2.0: "does not perform Byte Stuffing (0xFD)").
 * Garbage before a header is skipped and counted; a length that cannot be right, or a bad CRC,
 * drops only the first header byte and scans on, so a torn or corrupted packet never swallows
 * the good packets behind it (stuffing guarantees FF FF FD 00 never occurs inside a packet).
 */
import { crc16 } from './crc.ts';
import { BROADCAST_ID, Inst, unstuff, type Packet } from './packet.ts';
import { StreamDecoder, type StreamDecoderStats } from '../transport/StreamDecoder.ts';

/** Longest packet accepted (bytes after the length field); longer declared lengths are garbage. */
export const MAX_PACKET_LENGTH = 4096;

export type DecoderStats = StreamDecoderStats;

const HEADER = [0xff, 0xff, 0xfd];

export class PacketDecoder extends StreamDecoder<Packet, DecoderStats> {
  protected readonly _headBytes = 7;

  constructor(onPacket: (p: Packet) => void) {
    super({ packets: 0, crcErrors: 0, garbageBytes: 0, badLengths: 0 }, 1024, onPacket);
  }

  /** FF FF FD 00 at or after `from`, or -1. */
  protected _header(from: number): number {
    const b = this._buf;
    let h = from;
    while (h + 3 < this._end && !(b[h] === 0xff && b[h + 1] === 0xff && b[h + 2] === 0xfd && b[h + 3] === 0x00)) h++;
    return h + 3 >= this._end ? -1 : h;
  }

  /** A possible header prefix (up to 3 bytes) at the end. */
  protected _tail(): number {
    let k = Math.min(3, this._end - this._start);
    while (k > 0 && !this._isHeaderPrefix(this._end - k, k)) k--;
    return k;
  }

  /** Header (4), id, LEN (2 bytes) and LEN bytes; the id byte may not be FD or FF. */
  protected _total(h: number): number {
    const b = this._buf;
    const len = b[h + 5] | (b[h + 6] << 8);
    if (len < 3 || len > MAX_PACKET_LENGTH || b[h + 4] === 0xfd || b[h + 4] === 0xff) return 0;
    return 7 + len;
  }

  protected _checksumOk(h: number, total: number): boolean {
    const b = this._buf;
    return crc16(b, h, h + total - 2) === (b[h + total - 2] | (b[h + total - 1] << 8));
  }

  protected _packet(h: number, total: number): Packet {
    const b = this._buf;
    const id = b[h + 4];
    const raw = b.slice(h + 7, h + total - 2);
    const body = id === BROADCAST_ID && raw[0] === Inst.Status ? raw : unstuff(raw);
    const inst = body[0];
    return inst === Inst.Status && body.length >= 2
      ? { id, instruction: inst, error: body[1], params: body.subarray(2) }
      : { id, instruction: inst, error: 0, params: body.subarray(1) };
  }

  private _isHeaderPrefix(at: number, k: number): boolean {
    for (let i = 0; i < k; i++) if (this._buf[at + i] !== HEADER[i]) return false;
    return true;
  }
}
