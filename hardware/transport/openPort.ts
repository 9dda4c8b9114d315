/**
 * `--port` strings to transports:
 *   emu://N          N emulated XM430-W350 servos, ids 1..N, in this process (in-memory link),
 *                    set to the host's baud
 *   emu://           the servos a robot config names (ids and models), emulated
 *   emu://N?baud=B   servos whose Baud Rate register says B (bit/s): a host at another rate
 *                    hears nothing, as on a real bus (e.g. new servos at the factory 57600)
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
import { BAUD_CODES, baudCode } from '../dynamixel/controlTable.ts';
import { MAX_ID } from '../dynamixel/packet.ts';

export type PortSpec =
  | { readonly kind: 'emu'; readonly servos: number | undefined; readonly servoBaud?: number }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'serial'; readonly path: string };

/** Parses a `--port` value; `flag` names the flag in errors. */
export function parsePort(value: string, flag = '--port'): PortSpec {
  const v = value.trim();
  if (v.startsWith('emu://')) {
    const m = /^emu:\/\/(\d*)(?:\?baud=(\d+))?$/.exec(v);
    const n = m && m[1] !== '' ? Number(m[1]) : undefined;
    // Ids run 1..N: Protocol 2.0 reserves 253 (0xFD, a header byte) and 254 (0xFE) is the broadcast id.
    if (!m || (n !== undefined && (n < 1 || n > MAX_ID))) throw new UsageError(flag, `"${value}" is not an emulator address`, `emu://N with N from 1 to ${MAX_ID} (ids 1..N; 253 is reserved and 254 is the broadcast id in Protocol 2.0), or emu:// for the servos of --config, optionally ?baud=B`);
    if (m[2] === undefined) return { kind: 'emu', servos: n };
    const b = Number(m[2]);
    if (baudCode(b) === undefined) throw new UsageError(flag, `"${value}": ${b} is not a Dynamixel baud rate`, Object.values(BAUD_CODES).join(', '));
    return { kind: 'emu', servos: n, servoBaud: b };
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
  let servos = spec.servos !== undefined ? defaultServos(spec.servos) : o.servos;
  if (!servos) throw new UsageError(flag, 'emu:// needs a servo count here', 'emu://N');
  const code = spec.servoBaud !== undefined ? baudCode(spec.servoBaud) : undefined;
  if (code !== undefined) servos = servos.map((s) => ({ ...s, table: { ...s.table, baud_rate: code } }));
  const emulator = new DynamixelEmulator({ baud: o.baud, ...o.emulator, servos });
  const [host, device] = memoryPair(value, o.baud);
  void device.open();
  emulator.attach(device);
  return { transport: host, emulator };
}
