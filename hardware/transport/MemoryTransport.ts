/**
 * Two in-memory transport ends joined back to back: what one writes, the other receives on a
 * later turn of the event loop (never synchronously, as on a real link). For tests and for the
 * built-in emulator (`emu://N`).
 */
import type { Transport, TransportHandlers } from './Transport.ts';
import { TransportError } from './Transport.ts';

export class MemoryTransport implements Transport {
  peer: MemoryTransport | undefined;
  private _h: TransportHandlers = {};
  private _open = false;
  private _closedByPeer = false;

  constructor(
    readonly name: string,
    readonly baud = 1_000_000,
  ) {}

  get isOpen(): boolean {
    return this._open;
  }

  async open(): Promise<void> {
    if (this._closedByPeer) throw new TransportError('TRANSPORT_CLOSED', this.name, 'the other end is gone');
    this._open = true;
  }

  on(handlers: TransportHandlers): void {
    this._h = handlers;
  }

  write(bytes: Uint8Array): void {
    if (!this._open) return; // like a port without a cable: bytes go nowhere
    const peer = this.peer;
    if (!peer) return;
    setImmediate(() => {
      if (peer._open) peer._h.data?.(bytes);
    });
  }

  async close(): Promise<void> {
    if (!this._open) return;
    this._open = false;
    const peer = this.peer;
    if (peer && peer._open) setImmediate(() => peer._lost(new Error('peer closed')));
  }

  /** Simulates the link breaking under this end (cable pulled): error, then close. */
  fail(message = 'device disconnected'): void {
    this._lost(new Error(message));
    const peer = this.peer;
    if (peer && peer._open) peer._lost(new Error(message));
  }

  private _lost(err: Error): void {
    if (!this._open) return;
    this._open = false;
    this._closedByPeer = true;
    this._h.error?.(err);
    this._h.close?.(err);
  }
}

/** A joined pair: `a` for the host, `b` for the device (e.g. the emulator). */
export function memoryPair(name = 'memory', baud = 1_000_000): [MemoryTransport, MemoryTransport] {
  const a = new MemoryTransport(name, baud);
  const b = new MemoryTransport(`${name}/device`, baud);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
