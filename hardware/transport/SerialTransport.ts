/**
 * A serial port (USB adapter such as the ROBOTIS U2D2 or any FTDI/CH340 cable, or a pty) through
 * `serialport` 13. On Linux it asks for low latency twice: the tty's ASYNC_LOW_LATENCY flag and,
 * for FTDI chips, the adapter's latency timer (/sys/bus/usb-serial/devices/ttyUSBn/latency_timer,
 * 16 ms by default, which would add up to 16 ms to every reply). Both need write access; when they
 * cannot be set, `lowLatency` says why and the port still works.
 */
import { readFileSync, writeFileSync, existsSync, readdirSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';

/** The part of serialport's SerialPort this transport uses (its own d.ts does not resolve under NodeNext). */
interface SerialPort {
  readonly isOpen: boolean;
  open(cb: (err: Error | null) => void): void;
  close(cb: (err: Error | null) => void): void;
  drain(cb: (err: Error | null) => void): void;
  write(data: Uint8Array): boolean;
  set(options: Record<string, boolean>, cb: (err: Error | null) => void): void;
  on(event: 'data', cb: (d: Buffer) => void): void;
  on(event: 'error', cb: (e: Error) => void): void;
  on(event: 'close', cb: (e?: Error | null) => void): void;
}
interface SerialPortModule {
  SerialPort: (new (o: object) => SerialPort) & { list(): Promise<{ path: string; manufacturer?: string; serialNumber?: string }[]> };
  SerialPortMock: new (o: object) => SerialPort;
}
const loadSerialport = async (): Promise<SerialPortModule> => (await import('serialport' as string)) as SerialPortModule;
import type { Transport, TransportHandlers } from './Transport.ts';
import { TransportError } from './Transport.ts';

export interface SerialOptions {
  readonly path: string;
  /** Line rate (bit/s). */
  readonly baud: number;
  /** Ask the OS and the adapter for low latency (default true). */
  readonly lowLatency?: boolean;
  /** Use serialport's mock binding (tests create the port with MockBinding.createPort first). */
  readonly mock?: boolean;
}

/**
 * What serialport's open error means, in a few words, and what to check: its message repeats the
 * path ("Error: No such file or directory, cannot open /dev/ttyUSB0"), which the error's `where`
 * already names.
 */
export function serialOpenFailure(message: string, path: string): { readonly failure: string; readonly expected: string } {
  const m = message.replace(/^Error:?\s*/, '').replace(`, cannot open ${path}`, '').trim();
  const device = 'a serial device such as /dev/ttyUSB0 (`axon hw scan --list` lists them)';
  if (/ENOENT|No such file/i.test(message)) return { failure: 'not found', expected: 'an existing serial device: is the adapter plugged in? (`axon hw scan --list` lists them)' };
  if (/EACCES|EPERM|permission denied/i.test(message)) return { failure: 'permission denied', expected: 'read/write access: add your user to the "dialout" group (or install a udev rule) and log in again' };
  if (/EBUSY|lock|Resource temporarily unavailable/i.test(message)) return { failure: 'busy (another program holds it open)', expected: `a port no other program holds open (\`fuser ${path}\` names it)` };
  if (/EISDIR|Is a directory/i.test(message)) return { failure: 'it is a folder, not a serial device', expected: device };
  if (/ENOTTY|Inappropriate ioctl/i.test(message)) return { failure: `not a serial device (${m})`, expected: device };
  return { failure: m, expected: 'a serial port that can be opened' };
}

/** Longest wait for the port's output to drain before it is closed anyway (ms). */
export const DRAIN_TIMEOUT_MS = 500;

export class SerialTransport implements Transport {
  readonly name: string;
  readonly baud: number;
  /** What the low-latency request achieved, in words (after open). */
  lowLatency = 'not requested';
  private _port: SerialPort | undefined;
  private _h: TransportHandlers = {};
  private _closing = false;

  constructor(private readonly o: SerialOptions) {
    this.name = o.path;
    this.baud = o.baud;
  }

  get isOpen(): boolean {
    return this._port?.isOpen === true && !this._closing;
  }

  on(handlers: TransportHandlers): void {
    this._h = handlers;
  }

  async open(): Promise<void> {
    let sp: SerialPortModule;
    try {
      sp = await loadSerialport();
    } catch (e) {
      throw new TransportError('TRANSPORT_OPEN', this.o.path, `the serialport package cannot be loaded (${(e as Error).message})`, 'npm install (serialport 13 is a dependency of axon)');
    }
    const opts = { path: this.o.path, baudRate: this.o.baud, autoOpen: false, highWaterMark: 65536 };
    const port = this.o.mock ? new sp.SerialPortMock(opts) : new sp.SerialPort(opts);
    await new Promise<void>((resolve, reject) =>
      port.open((err) => {
        if (!err) return resolve();
        const f = serialOpenFailure(err.message, this.o.path);
        reject(new TransportError('TRANSPORT_OPEN', this.o.path, `cannot open the serial port: ${f.failure}`, f.expected));
      }),
    );
    this._port = port;
    port.on('data', (d: Buffer) => this._h.data?.(d));
    port.on('error', (e: Error) => this._h.error?.(e));
    port.on('close', (e?: Error | null) => {
      // Said once, the first cause kept: an unplug can emit 'close' again (the failed read's EBADF).
      if (!this._closing) (this._closing = true), this._h.close?.(e ?? new Error('port closed (device unplugged?)'));
    });
    if (this.o.lowLatency ?? true) this.lowLatency = await this._requestLowLatency(port);
  }

  write(bytes: Uint8Array): void {
    if (this.isOpen) this._port!.write(bytes);
  }

  /**
   * Drains, then closes. The last write before a close is the robot's safe stop (a sync write, no
   * reply): without the drain it can still sit in serialport's queue or the tty's buffer when the
   * port closes, and be dropped. The drain is bounded (`DRAIN_TIMEOUT_MS`) so that a wedged adapter
   * cannot hang the close.
   */
  async close(): Promise<void> {
    const p = this._port;
    if (!p || !p.isOpen) return;
    this._closing = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => p.drain(() => resolve())),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    await new Promise<void>((resolve) => p.close(() => resolve()));
  }

  private async _requestLowLatency(port: SerialPort): Promise<string> {
    const said: string[] = [];
    if (process.platform !== 'linux' || this.o.mock) return 'not available on this platform';
    try {
      await new Promise<void>((resolve, reject) => port.set({ lowLatency: true }, (e) => (e ? reject(e) : resolve())));
      said.push('tty low-latency flag set');
    } catch (e) {
      said.push(`tty low-latency flag not set (${(e as Error).message})`);
    }
    const timer = ftdiLatencyTimerPath(this.o.path);
    if (timer) {
      try {
        if (readFileSync(timer, 'utf8').trim() !== '1') writeFileSync(timer, '1');
        said.push('FTDI latency timer 1 ms');
      } catch (e) {
        said.push(`FTDI latency timer left at ${safeRead(timer)} ms (${(e as Error).message}; see docs/hardware.md, Permissions (Linux))`);
      }
    }
    return said.join('; ');
  }
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** /sys/bus/usb-serial/devices/ttyUSBn/latency_timer for an FTDI port, when there is one. */
export function ftdiLatencyTimerPath(path: string): string | undefined {
  let dev = basename(path);
  try {
    dev = basename(realpathSync(path)); // /dev/serial/by-id/... links resolve to ../../ttyUSBn
  } catch {
    /* keep the name */
  }
  const p = `/sys/bus/usb-serial/devices/${dev}/latency_timer`;
  return existsSync(p) ? p : undefined;
}

export interface PortListing {
  readonly path: string;
  readonly manufacturer?: string;
  readonly serialNumber?: string;
}

/**
 * Serial ports on this machine. serialport's list() needs udev (`udevadm`), which containers and
 * minimal systems lack (`spawn udevadm ENOENT`): then fall back to /dev/serial/by-id and
 * /dev/ttyUSB*, /dev/ttyACM*.
 */
export async function listSerialPorts(): Promise<PortListing[]> {
  try {
    const { SerialPort } = await loadSerialport();
    const ports = await SerialPort.list();
    return ports.map((p) => ({ path: p.path, ...(p.manufacturer ? { manufacturer: p.manufacturer } : {}), ...(p.serialNumber ? { serialNumber: p.serialNumber } : {}) }));
  } catch {
    const out: PortListing[] = [];
    const byId = '/dev/serial/by-id';
    if (existsSync(byId)) for (const f of readdirSync(byId)) out.push({ path: `${byId}/${f}` });
    if (existsSync('/dev'))
      for (const f of readdirSync('/dev')) if (/^tty(USB|ACM)\d+$/.test(f)) out.push({ path: `/dev/${f}` });
    return out;
  }
}
