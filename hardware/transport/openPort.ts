/**
 * `--port` strings to transports:
 *   emu://N          N emulated XM430-W350 servos, ids 1..N, in this process (in-memory link)
 *   emu://           the servos a robot config names (ids and models), emulated
 *   tcp://host:port  serial-over-TCP (ser2net, a serial-to-Ethernet adapter, `axon hw emulate`)
 *   anything else    a serial device path (/dev/ttyUSB0, /dev/serial/by-id/..., COM3, a pty)
 */
import { UsageError } from '../../src/core/errors.ts';
import type { Transport } from './Transport.ts';
import { memoryPair } from './MemoryTransport.ts';
import { TcpTransport } from './TcpTransport.ts';
import { SerialTransport } from './SerialTransport.ts';
import { DynamixelEmulator, defaultServos, type EmulatorOptions } from '../emulator/DynamixelEmulator.ts';
import type { ServoSetup } from '../emulator/EmulatedServo.ts';

export type PortSpec =
  | { readonly kind: 'emu'; readonly servos: number | undefined }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'serial'; readonly path: string };

/** Parses a `--port` value; `flag` names the flag in errors. */
export function parsePort(value: string, flag = '--port'): PortSpec {
  const v = value.trim();
  if (v.startsWith('emu://')) {
    const rest = v.slice(6);
    if (rest === '') return { kind: 'emu', servos: undefined };
    if (!/^\d+$/.test(rest) || Number(rest) < 1 || Number(rest) > 253) throw new UsageError(flag, `"${value}" is not an emulator address`, 'emu://N with N from 1 to 253, or emu:// for the servos of --config');
    return { kind: 'emu', servos: Number(rest) };
  }
  if (v.startsWith('tcp://')) {
    const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)$/.exec(v);
    const port = m ? Number(m[2]) : NaN;
    if (!m || !(port >= 1 && port <= 65535)) throw new UsageError(flag, `"${value}" is not a TCP address`, 'tcp://host:port');
    return { kind: 'tcp', host: m[1].replace(/^\[|\]$/g, ''), port };
  }
  if (v === '' || v.includes('://')) throw new UsageError(flag, `"${value}" is not a port`, 'a serial device (/dev/ttyUSB0), tcp://host:port or emu://N');
  return { kind: 'serial', path: v };
}

export interface OpenedPort {
  readonly transport: Transport;
  /** The in-process emulator behind an emu:// port. */
  readonly emulator?: DynamixelEmulator;
}

export interface OpenPortOptions {
  readonly baud: number;
  /** Servos for `emu://` without a count (from a robot config). */
  readonly servos?: readonly ServoSetup[];
  /** Emulator settings (latency, loss, ...) for emu:// ports. */
  readonly emulator?: Partial<EmulatorOptions>;
}

/** Builds (does not open) the transport for a `--port` value. */
export function createPort(value: string, o: OpenPortOptions, flag = '--port'): OpenedPort {
  const spec = parsePort(value, flag);
  if (spec.kind === 'tcp') return { transport: new TcpTransport(spec.host, spec.port, o.baud) };
  if (spec.kind === 'serial') return { transport: new SerialTransport({ path: spec.path, baud: o.baud }) };
  const servos = spec.servos !== undefined ? defaultServos(spec.servos) : o.servos;
  if (!servos) throw new UsageError(flag, 'emu:// needs a servo count here', 'emu://N');
  const emulator = new DynamixelEmulator({ baud: o.baud, ...o.emulator, servos });
  const [host, device] = memoryPair(value, o.baud);
  void device.open();
  emulator.attach(device);
  return { transport: host, emulator };
}
