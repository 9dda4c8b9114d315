/**
 * Serial-over-TCP: a raw byte stream to host:port, as ser2net, a serial-to-Ethernet adapter or
 * `axon hw emulate` serve it. Nagle is off so a packet leaves at once.
 */
import { Socket } from 'node:net';
import type { Transport, TransportHandlers } from './Transport.ts';
import { TransportError } from './Transport.ts';

export class TcpTransport implements Transport {
  readonly name: string;
  private _sock: Socket | undefined;
  private _h: TransportHandlers = {};
  private _closing = false;

  /** @param baud nominal line rate of the serial device behind the socket (bit/s), for wire-time figures */
  constructor(
    readonly host: string,
    readonly port: number,
    readonly baud = 1_000_000,
    private readonly connectTimeoutS = 3,
  ) {
    this.name = `tcp://${host}:${port}`;
  }

  get isOpen(): boolean {
    return this._sock !== undefined && !this._sock.destroyed && !this._closing;
  }

  on(handlers: TransportHandlers): void {
    this._h = handlers;
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = new Socket();
      const timer = setTimeout(() => {
        s.destroy();
        reject(new TransportError('TRANSPORT_OPEN', this.name, `no connection within ${this.connectTimeoutS} s`, 'a listening serial-over-TCP server'));
      }, this.connectTimeoutS * 1000);
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new TransportError('TRANSPORT_OPEN', this.name, `cannot connect: ${tcpFailure(e as NodeJS.ErrnoException)}`, 'a listening serial-over-TCP server (ser2net, axon hw emulate)'));
      });
      s.connect(this.port, this.host, () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        s.setNoDelay(true);
        this._sock = s;
        s.on('data', (d: Buffer) => this._h.data?.(d));
        s.on('error', (e) => this._h.error?.(e));
        s.on('close', () => {
          if (!this._closing) this._h.close?.(new Error('connection closed by the server'));
        });
        resolve();
      });
    });
  }

  write(bytes: Uint8Array): void {
    if (this.isOpen) this._sock!.write(bytes);
  }

  close(): Promise<void> {
    const s = this._sock;
    if (!s || s.destroyed) return Promise.resolve();
    this._closing = true;
    return new Promise((resolve) => {
      s.once('close', () => resolve());
      s.end();
      setTimeout(() => s.destroy(), 200).unref();
    });
  }
}

/** A connect error in a few words, without the address the error's `where` names already. */
function tcpFailure(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused (nothing listens on that port)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
      return 'timed out';
    default:
      return e.message;
  }
}
