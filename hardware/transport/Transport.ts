/**
 * A byte stream to a device: a serial port, a TCP socket (ser2net, serial-to-Ethernet adapters,
 * `axon hw emulate`), or an in-memory pair (tests). Half- or full-duplex is the protocol's business.
 */
import { AxonError } from '../../src/core/errors.ts';

export interface TransportHandlers {
  /** Bytes as they arrive, in order; the chunk may be reused after the call returns. */
  data?: (chunk: Uint8Array) => void;
  /** The link failed (read/write error, cable pulled). `close` follows. */
  error?: (err: Error) => void;
  /** The link is gone; `err` when it closed on its own (not through close()). */
  close?: (err?: Error) => void;
}

export interface Transport {
  /** What it is connected to, e.g. "/dev/ttyUSB0", "tcp://127.0.0.1:9000", "emu://6". */
  readonly name: string;
  /** Bits per second on the wire (serial line rate; nominal for TCP and memory). */
  readonly baud: number;
  readonly isOpen: boolean;
  open(): Promise<void>;
  /** Queues bytes for sending; never blocks. The array must not be modified afterwards. */
  write(bytes: Uint8Array): void;
  /** Sets the handlers (replaces the previous ones). */
  on(handlers: TransportHandlers): void;
  close(): Promise<void>;
}

/** A transport could not be opened or used. `where` is the port. */
export class TransportError extends AxonError {
  constructor(code: string, where: string, message: string, expected?: string) {
    super(code, where, message, expected);
  }
}

/** Seconds to send `bytes` bytes at `baud` (8N1: 10 bits per byte). */
export function wireTime(bytes: number, baud: number): number {
  return (bytes * 10) / baud;
}
