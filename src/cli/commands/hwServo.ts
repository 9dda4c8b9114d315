/**
 * `axon hw` for operators building an arm: scan by protocol (Dynamixel 2.0, Feetech STS, auto),
 * serve an emulated Feetech bus, and give a new servo its id and baud rate (set-id, set-baud: one
 * servo on the bus at a time, verified by reading back). The Dynamixel-only parts stay in hw.ts;
 * calibrating a Feetech arm is in hwCalibrate.ts.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { AxonError, UsageError } from '../../core/errors.ts';
import { positiveInt } from '../args.ts';
import { createPort, parsePort } from '../../../hardware/transport/openPort.ts';
import { TcpTransport } from '../../../hardware/transport/TcpTransport.ts';
import { SerialTransport } from '../../../hardware/transport/SerialTransport.ts';
import type { Transport, TransportHandlers } from '../../../hardware/transport/Transport.ts';
import { DynamixelBus } from '../../../hardware/dynamixel/DynamixelBus.ts';
import { BAUD_CODES, baudCode, ticksToRad } from '../../../hardware/dynamixel/controlTable.ts';
import { MAX_ID as DXL_MAX_ID, readLe as dxlReadLe } from '../../../hardware/dynamixel/packet.ts';
import { FeetechBus } from '../../../hardware/feetech/FeetechBus.ts';
import { FEETECH_BAUD_CODES, feetechBaudCode, stsTicksToRad } from '../../../hardware/feetech/controlTable.ts';
import { MAX_ID as STS_MAX_ID, decodeSignMagnitude, readLe } from '../../../hardware/feetech/packet.ts';
import { FeetechEmulator, defaultStsServos } from '../../../hardware/emulator/FeetechEmulator.ts';
import { createFeetechPort, feetechServosOf, loadAnyRobotConfig, reattachEmulator, type BusProtocol } from '../../../hardware/robots/openRobot.ts';

export type ScanProtocol = BusProtocol | 'auto';

export function protocolArg(v: string): ScanProtocol {
  if (v !== 'dynamixel' && v !== 'feetech' && v !== 'auto') throw new InvalidArgumentError('expected dynamixel, feetech or auto');
  return v;
}

/** Any line rate of either protocol's table (bit/s). */
export function busBaud(v: string): number {
  const x = Number(v);
  const all = new Set([...Object.values(BAUD_CODES), ...Object.values(FEETECH_BAUD_CODES)]);
  if (!all.has(x)) throw new InvalidArgumentError(`expected a bus rate: Dynamixel ${Object.values(BAUD_CODES).join(', ')}; Feetech ${Object.values(FEETECH_BAUD_CODES).join(', ')}`);
  return x;
}

/** Factory rate: Dynamixel X 57600, Feetech STS 1 Mbps. */
export const defaultBaud = (p: ScanProtocol) => (p === 'feetech' ? 1_000_000 : 57_600);

function checkBaud(p: BusProtocol, baud: number, flag = '--baud'): void {
  const table = p === 'feetech' ? FEETECH_BAUD_CODES : BAUD_CODES;
  if (!Object.values(table).includes(baud)) throw new UsageError(flag, `${baud} bit/s is not a ${p === 'feetech' ? 'Feetech STS' : 'Dynamixel'} rate`, Object.values(table).join(', '));
}

const ALL_FEETECH_IDS = Array.from({ length: 254 }, (_, i) => i);

/**
 * A second Feetech scan's reply margin (s), after a first at the bus's own (10 ms) found nothing:
 * a reply can be late on a loaded host, over TCP, or behind a USB adapter's 16 ms latency timer
 * (docs/feetech.md, "Commands": scan, set-id / set-baud). Used by `hw scan` and by set-id/set-baud.
 */
const LATE_REPLY_MARGIN_S = 0.05;

/**
 * `hw scan` without --ids, when some Feetech servos answered the first pass: the second pass asks
 * again only the ids up to this one that did not (32 × 50 ms, under 2 s; an arm's servos are ids
 * 1..6 or so). Higher ids were asked once, and the output says so (--ids asks them again).
 */
const LATE_PASS_MAX_ID = 31;

export interface ScannedServo {
  protocol: BusProtocol;
  id: number;
  model: number;
  model_name: string;
  firmware: string | number;
  position_ticks: number | null;
  position_rad: number | null;
  status?: number;
  /** Which pass found it: 1 at the bus's reply margin (or --timeout-ms), 2 the Feetech late pass at LATE_REPLY_MARGIN_S. */
  pass: 1 | 2;
}

async function scanFeetechBus(bus: FeetechBus, ids: readonly number[] | undefined, marginS?: number, pass: 1 | 2 = 1): Promise<ScannedServo[]> {
  const found = await bus.scan(ids ?? ALL_FEETECH_IDS, marginS);
  const out: ScannedServo[] = [];
  for (const p of found) {
    let ticks: number | null = null;
    try {
      ticks = decodeSignMagnitude(readLe(await bus.read(p.id, 56, 2), 0, 2), 15);
    } catch {
      /* listed without a position */
    }
    out.push({ protocol: 'feetech', id: p.id, model: p.model, model_name: p.modelName, firmware: p.firmware, position_ticks: ticks, position_rad: ticks === null ? null : Math.round(stsTicksToRad(ticks) * 1e4) / 1e4, status: p.status, pass });
  }
  return out;
}

async function scanDynamixelBus(bus: DynamixelBus, ids: readonly number[] | undefined, windowS: number): Promise<ScannedServo[]> {
  if (ids) ids = ids.filter((id) => id <= DXL_MAX_ID); // auto: 253 is Feetech's alone (Protocol 2.0 reserves it)
  const found = ids ? (await Promise.all(ids.map((id) => bus.ping(id, 2)))).filter((p) => p !== undefined) : await bus.broadcastPing(windowS);
  const out: ScannedServo[] = [];
  for (const p of found) {
    let ticks: number | null = null;
    try {
      ticks = dxlReadLe(await bus.read(p.id, 132, 4), 0, 4, true);
    } catch {
      /* listed without a position */
    }
    out.push({ protocol: 'dynamixel', id: p.id, model: p.model, model_name: p.modelName, firmware: p.firmware, position_ticks: ticks, position_rad: ticks === null ? null : Math.round(ticksToRad(ticks) * 1e4) / 1e4, pass: 1 });
  }
  return out;
}

export interface ScanOptions {
  port: string;
  protocol: ScanProtocol;
  baud?: number;
  ids?: number[];
  /** Dynamixel broadcast window / Feetech per-id reply window (ms). */
  timeoutMs?: number;
  json: boolean;
}

/**
 * `axon hw scan --protocol feetech|auto` (and dynamixel, when called with it). Each protocol is
 * scanned at `--baud`, or without it at its own factory rate (Dynamixel X 57600, Feetech STS
 * 1000000): `auto` then reopens the port at the second rate (an emu:// emulator is moved to a new
 * link at it, as the host reopens its port), so an SO-101 on a real adapter is found at 1 Mbps.
 */
export async function scanBus(o: ScanOptions): Promise<void> {
  const rates: Partial<Record<BusProtocol, number>> = {};
  if (o.protocol !== 'feetech') rates.dynamixel = o.baud ?? defaultBaud('dynamixel');
  if (o.protocol !== 'dynamixel') rates.feetech = o.baud ?? defaultBaud('feetech');
  if (o.protocol !== 'auto') checkBaud(o.protocol, rates[o.protocol]!);
  const first = o.protocol === 'feetech' ? createFeetechPort(o.port, { baud: rates.feetech! }) : createPort(o.port, { baud: rates.dynamixel! });
  let transport = first.transport;
  const t0 = performance.now();
  const servos: ScannedServo[] = [];
  let timeouts = 0, crc = 0;
  let lateIds: number[] = []; // the ids the Feetech late pass asked again
  let lateAll = false; // it asked every id: nothing had answered
  try {
    // One transport, one protocol at a time: each bus owns the link while it scans.
    if (rates.dynamixel !== undefined) {
      const bus = new DynamixelBus(transport);
      await bus.open();
      servos.push(...(await scanDynamixelBus(bus, o.ids, (o.timeoutMs ?? 100) / 1000)));
      timeouts += bus.stats.timeouts;
      crc += bus.decoder.stats.crcErrors;
    }
    if (rates.feetech !== undefined) {
      if (transport.baud !== rates.feetech) {
        // auto without --baud: the port again, at Feetech's rate.
        await transport.close();
        transport = first.emulator ? reattachEmulator(first.emulator, o.port, rates.feetech) : createPort(o.port, { baud: rates.feetech }).transport;
      }
      const bus = new FeetechBus(transport);
      await bus.open();
      const found = await scanFeetechBus(bus, o.ids, o.timeoutMs === undefined ? undefined : o.timeoutMs / 1000);
      // No --timeout-ms (the user's choice: one pass): the ids that did not answer within the bus's
      // 10 ms margin are asked once more at LATE_REPLY_MARGIN_S each, as set-id/set-baud do. One
      // reply that made the 10 ms window on a slow adapter must not end the scan with the rest
      // missing (review R25 F6: 1 of 6 servos listed, exit 0). Nothing answered: every id asked
      // again (as before); some did: the --ids that did not, or without --ids those up to
      // LATE_PASS_MAX_ID. A Dynamixel bus `auto` found servos on gets no Feetech late pass.
      if (o.timeoutMs === undefined && !(found.length === 0 && servos.length > 0)) {
        const answered = new Set(found.map((x) => x.id));
        lateAll = found.length === 0;
        lateIds = (o.ids ?? ALL_FEETECH_IDS).filter((id) => !answered.has(id) && (lateAll || o.ids !== undefined || id <= LATE_PASS_MAX_ID));
        if (lateIds.length > 0) {
          // A bus of its own at the late margin takes the link over: the model, firmware and
          // position reads of a late servo wait as long as its ping did (at the 10 ms margin, a
          // servo 30 ms late answered the ping and could be listed "model number unreadable").
          const lateBus = new FeetechBus(transport, { replyMarginS: LATE_REPLY_MARGIN_S });
          await lateBus.open();
          found.push(...(await scanFeetechBus(lateBus, lateIds, undefined, 2)));
          timeouts += lateBus.stats.timeouts;
          crc += lateBus.decoder.stats.crcErrors;
        }
        found.sort((a, b) => a.id - b.id);
      }
      servos.push(...found);
      timeouts += bus.stats.timeouts;
      crc += bus.decoder.stats.crcErrors;
    }
  } finally {
    await transport.close();
  }
  const ms = Math.round(performance.now() - t0);
  const two = rates.dynamixel !== undefined && rates.feetech !== undefined && rates.dynamixel !== rates.feetech;
  const baud = two ? null : (rates.dynamixel ?? rates.feetech)!;
  if (o.json) {
    console.log(JSON.stringify({ command: 'hw scan', protocol: o.protocol, port: o.port, baud, bauds: rates, servos, late_pass: lateIds.length > 0, late_pass_ids: lateIds, scan_ms: ms, bus: { timeouts, crc_errors: crc } }));
    if (servos.length === 0) noServoAnswered(o.port, two ? `(Dynamixel at ${rates.dynamixel} bit/s, Feetech at ${rates.feetech} bit/s)` : `at ${baud} bit/s`, o.protocol, o.ids);
    return;
  }
  const at = two ? `Dynamixel at ${rates.dynamixel} bit/s, Feetech at ${rates.feetech} bit/s (each protocol's factory rate; --baud sets one for both)` : `at ${baud} bit/s`;
  console.log(`axon hw scan: ${o.port} ${at} (${o.protocol}): ${servos.length} servo${servos.length === 1 ? '' : 's'} in ${ms} ms`);
  const late = LATE_REPLY_MARGIN_S * 1000;
  if (lateAll && lateIds.length > 0) console.log(`  nothing answered within the 10 ms reply margin: a second, slower pass waited ${late} ms per id (a USB adapter's latency timer, TCP or a loaded host delays replies; --timeout-ms makes one pass)`);
  else if (lateIds.length > 0) {
    const more = servos.filter((x) => x.pass === 2).length;
    const notAsked = o.ids === undefined ? `; ids ${LATE_PASS_MAX_ID + 1}..253 were asked once (--ids asks them again at ${late} ms)` : '';
    console.log(`  ${lateIds.length} id${lateIds.length === 1 ? '' : 's'} did not answer within the 10 ms reply margin: a second, slower pass waited ${late} ms per id on them (${idRanges(lateIds)}) and found ${more} more${notAsked}; --timeout-ms makes one pass`);
  }
  if (servos.some((x) => x.pass === 2)) console.log(`  replies came later than the 10 ms margin: a run on this adapter needs a longer one (reply_timeout_ms or latency_timer_ms in the config: docs/feetech.md)`);
  if (servos.length > 0) console.log('  protocol   id  model               firmware  position');
  for (const s of servos)
    console.log(`  ${s.protocol.padEnd(9)} ${String(s.id).padStart(3)}  ${`${s.model_name} (${s.model})`.padEnd(19)} ${String(s.firmware).padStart(7)}   ${s.position_ticks === null ? '?' : `${s.position_ticks} ticks = ${s.position_rad} rad`}${s.status ? `  status 0x${s.status.toString(16)}` : ''}${s.pass === 2 ? `  (2nd pass, ${late} ms)` : ''}`);
  const factory = o.protocol === 'feetech' ? 'STS factory rate 1000000' : o.protocol === 'dynamixel' ? 'Dynamixel X factory rate 57600' : 'factory rates: Dynamixel X 57600, Feetech STS 1000000';
  if (servos.length === 0) console.log(`  nothing answered: check power, wiring, the baud rate (--baud; ${factory}) and the ids (--ids)`);
  if (servos.length === 0) noServoAnswered(o.port, two ? `(Dynamixel at ${rates.dynamixel} bit/s, Feetech at ${rates.feetech} bit/s)` : `at ${baud} bit/s`, o.protocol, o.ids);
}

/** Ascending ids as ranges: 0, 3..6, 9. */
function idRanges(ids: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ids.length; ) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    out.push(j === i ? `${ids[i]}` : `${ids[i]}..${ids[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

/**
 * A scan that found nothing fails as `axon run` fails on a silent bus (HW_NO_SERVO, exit 2), after
 * its summary was printed (`servos: []` with --json): `axon hw scan --port P && axon run ...` can
 * tell "found servos" from "found none" (docs/cli.md, "hw scan").
 */
export function noServoAnswered(port: string, at: string, protocol: ScanProtocol, ids: readonly number[] | undefined): never {
  const which = ids === undefined ? (protocol === 'dynamixel' ? 'to a broadcast ping' : 'ids pinged: 0..253') : ids.length === 1 ? `id pinged: ${ids[0]}` : `ids pinged: ${ids.length} from ${ids[0]} to ${ids.at(-1)}`;
  throw new ServoSetupError('HW_NO_SERVO', `${port} ${at}`, `no ${protocol === 'auto' ? 'Dynamixel or Feetech' : protocol === 'feetech' ? 'Feetech' : 'Dynamixel'} servo answered (${which})`, 'a servo connected, powered, at this baud rate (--baud) and among the ids scanned (--ids)');
}

// ---- axon hw emulate --protocol feetech ----

export interface FeetechEmulateOptions {
  servos: number;
  config?: string;
  listen: string;
  baud: number;
  servoBaud?: number;
  latencyMs: number;
  loss: number;
  corrupt: number;
  realTiming: boolean;
  seed: number;
}

export async function emulateFeetech(o: FeetechEmulateOptions): Promise<void> {
  checkBaud('feetech', o.baud);
  if (o.servoBaud !== undefined) checkBaud('feetech', o.servoBaud, '--servo-baud');
  if (o.servos > STS_MAX_ID) throw new UsageError('--servos', `${o.servos} servos (ids 1..${o.servos}) do not fit on one bus`, `1..${STS_MAX_ID} (254 is the broadcast id)`);
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(o.listen);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new UsageError('--listen', `"${o.listen}" is not host:port`, 'e.g. 127.0.0.1:9000');
  const host = m[1].replace(/^\[|\]$/g, '');
  let servos = defaultStsServos(o.servos);
  if (o.config) {
    const loaded = loadAnyRobotConfig(o.config);
    if (loaded.protocol !== 'feetech') throw new UsageError('--config', `${o.config} is a Dynamixel config`, 'a Feetech config with --protocol feetech, or --protocol dynamixel');
    servos = feetechServosOf(loaded.config);
  }
  // The servos start at the serial side's rate (--baud) unless --servo-baud sets them elsewhere.
  const servoCode = feetechBaudCode(o.servoBaud ?? o.baud)!;
  servos = servos.map((s) => ({ ...s, table: { ...s.table, baud_rate: servoCode } }));
  const emu = new FeetechEmulator({ servos, baud: o.baud, latencyS: o.latencyMs / 1000, lossRate: o.loss, corruptRate: o.corrupt, realTiming: o.realTiming, seed: o.seed });
  const server = createServer((sock) => {
    sock.setNoDelay(true);
    emu.attach(socketTransport(sock, o.baud), o.baud);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new UsageError('--listen', `cannot listen on ${o.listen}: ${e.message}`, 'a free local address')));
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const where = typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : o.listen;
  const rate = o.servoBaud ?? o.baud;
  console.log(`axon hw emulate: ${servos.length} Feetech STS3215 servos (ids ${servos.map((s) => s.id).join(',')}, set to ${rate} bit/s) on a ${o.baud} bit/s bus at tcp://${where}; Ctrl-C to stop`);
  console.log(`  reach it: axon hw scan --protocol feetech --port tcp://${where}   or through a pty: socat pty,link=/tmp/ttySTS,raw,echo=0 tcp:${where},nodelay`);
  await serveUntilSignal(server);
  console.log(`axon hw emulate: stopped after ${emu.stats.received} packets (${emu.stats.baudMismatches} at a rate the servos were not set to)`);
}

/**
 * Resolves at the first SIGINT or SIGTERM, once the server is closed: it stops listening and every
 * connection it accepted is ended too (server.close() alone waits for them, so a connected client
 * kept the emulator serving until a second signal). Track connections from the moment it listens.
 */
export function serveUntilSignal(server: Server): Promise<void> {
  const open = new Set<Socket>();
  server.on('connection', (sock) => {
    open.add(sock);
    sock.once('close', () => open.delete(sock));
  });
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close(() => resolve());
      for (const sock of open) sock.destroy();
      setTimeout(resolve, 500).unref();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** A TCP connection as the Transport an emulator answers on (hw emulate; tests serve emulators the same way). */
export function socketTransport(sock: Socket, baud: number): Transport {
  let h: TransportHandlers = {};
  sock.on('data', (d) => h.data?.(d));
  sock.on('error', () => {});
  sock.on('close', () => h.close?.());
  return {
    name: `tcp peer ${sock.remoteAddress}:${sock.remotePort}`,
    baud,
    get isOpen() {
      return !sock.destroyed;
    },
    open: async () => {},
    write: (b) => {
      if (!sock.destroyed) sock.write(b);
    },
    on: (handlers) => {
      h = handlers;
    },
    close: async () => {
      sock.end();
    },
  };
}

// ---- set-id / set-baud ----

/** A link to a bus that can be reopened at another rate (after set-baud), emulator included. */
class Link {
  transport: Transport;
  private readonly _emu: FeetechEmulator | { attach(t: Transport): void } | undefined;
  constructor(
    readonly port: string,
    readonly protocol: BusProtocol,
    public baud: number,
  ) {
    const p = protocol === 'feetech' ? createFeetechPort(port, { baud }) : createPort(port, { baud });
    this.transport = p.transport;
    this._emu = p.emulator;
  }
  reopen(baud: number): Transport {
    this.baud = baud;
    const spec = parsePort(this.port);
    if (this._emu) this.transport = reattachEmulator(this._emu, this.port, baud);
    else if (spec.kind === 'tcp') this.transport = new TcpTransport(spec.host, spec.port, baud);
    else if (spec.kind === 'serial') this.transport = new SerialTransport({ path: spec.path, baud });
    return this.transport;
  }
}

export class ServoSetupError extends AxonError {
  constructor(code: string, where: string, message: string, expected?: string) {
    super(code, where, message, expected);
  }
}

/** Exactly one servo answering on the bus, or a refusal naming what answered. */
async function theOnlyServo(link: Link, bus: FeetechBus | DynamixelBus): Promise<{ id: number; model: number; modelName: string }> {
  let found: { id: number; model: number; modelName: string }[];
  if (bus instanceof FeetechBus) {
    // Pings of every id, one by one: seconds with nothing on the bus; said first, so that a silent
    // wait is not mistaken for a hang (the cable pulled mid-scan).
    const secs = Math.ceil(ALL_FEETECH_IDS.length * (bus.replyMarginS + LATE_REPLY_MARGIN_S));
    process.stderr.write(`axon hw: looking for the one servo on ${link.port} at ${link.baud} bit/s: pinging ids 0..${ALL_FEETECH_IDS.length - 1} (a second, slower pass if none answers: about ${secs} s with nothing on the bus)\n`);
    found = await bus.scan(ALL_FEETECH_IDS);
    // Nothing within the bus's reply margin (10 ms): asked once more, 50 ms each, before refusing, as a
    // reply can be late on a loaded host, over TCP, or behind a USB adapter's 16 ms latency timer.
    if (found.length === 0) found = await bus.scan(ALL_FEETECH_IDS, LATE_REPLY_MARGIN_S);
  } else found = await bus.broadcastPing(0.1);
  const where = `${link.port} at ${link.baud} bit/s`;
  if (found.length === 0) throw new ServoSetupError('HW_NO_SERVO', where, `no ${link.protocol} servo answered`, 'one servo connected, powered, at this baud rate (--baud)');
  if (found.length > 1) throw new ServoSetupError('HW_MANY_SERVOS', where, `${found.length} servos answered (ids ${found.map((f) => f.id).join(', ')})`, 'exactly one servo on the bus: connect the new servo alone');
  return found[0];
}

export interface ServoSetupResult {
  command: string;
  protocol: BusProtocol;
  port: string;
  model: number;
  model_name: string;
  from: { id: number; baud: number };
  to: { id: number; baud: number };
  verified: string[];
}

export async function setServoId(port: string, protocol: BusProtocol, baud: number, to: number): Promise<ServoSetupResult> {
  checkBaud(protocol, baud);
  const max = protocol === 'feetech' ? 253 : 252;
  if (!(to >= 0 && to <= max)) throw new UsageError('--to', `id ${to} is out of range`, `0..${max}`);
  const link = new Link(port, protocol, baud);
  const bus = protocol === 'feetech' ? new FeetechBus(link.transport) : new DynamixelBus(link.transport);
  await bus.open();
  try {
    const servo = await theOnlyServo(link, bus);
    const verified: string[] = [];
    if (servo.id !== to) {
      if (bus instanceof FeetechBus) {
        await bus.write(servo.id, 40, [0]); // torque off
        await bus.write(servo.id, 55, [0]); // unlock: EPROM writes are saved
        await bus.write(servo.id, 5, [to], 'any');
        await bus.write(to, 55, [1]); // lock again
        const back = await bus.readValue(to, 5, 1);
        if (back !== to) throw new ServoSetupError('HW_VERIFY', `${port} id ${to}`, `ID register reads ${back} after the write`, String(to));
        verified.push(`ping id ${to}: answered`, `ID register (5) reads ${back}`);
        if ((await bus.ping(servo.id, 2)) !== undefined) throw new ServoSetupError('HW_VERIFY', `${port} id ${servo.id}`, 'the old id still answers', 'only the new id');
        verified.push(`old id ${servo.id}: silent`);
      } else {
        await bus.write(servo.id, 64, [0]);
        await bus.write(servo.id, 7, [to]).catch(() => {}); // the reply may come from either id
        const p = await bus.ping(to, 3);
        if (!p) throw new ServoSetupError('HW_VERIFY', `${port} id ${to}`, 'the servo does not answer at its new id', `a ping reply from id ${to}`);
        const back = await bus.readValue(to, 7, 1);
        if (back !== to) throw new ServoSetupError('HW_VERIFY', `${port} id ${to}`, `ID register reads ${back} after the write`, String(to));
        verified.push(`ping id ${to}: answered`, `ID register (7) reads ${back}`);
      }
    } else verified.push(`already id ${to}: nothing written`);
    return { command: 'hw set-id', protocol, port, model: servo.model, model_name: servo.modelName, from: { id: servo.id, baud }, to: { id: to, baud }, verified };
  } finally {
    await bus.close();
  }
}

export async function setServoBaud(port: string, protocol: BusProtocol, baud: number, to: number): Promise<ServoSetupResult> {
  checkBaud(protocol, baud);
  checkBaud(protocol, to, '--to');
  // A serial-over-TCP server (ser2net, axon hw emulate) keeps its own line rate: the servo would be
  // set to the new rate (saved in its EPROM) and no longer heard through it. Refused before anything
  // is written (docs/feetech.md; review R19 F4: it was written, then the check failed).
  if (to !== baud && port.startsWith('tcp://'))
    throw new ServoSetupError('HW_SET_BAUD_TCP', port, `a serial-over-TCP server keeps its own line rate (${baud} bit/s): the servo would listen at ${to} bit/s and no longer be heard through it; nothing was written`, 'a local serial adapter (a device path), or the server reconfigured to the new rate after setting the servo over a local one');
  const link = new Link(port, protocol, baud);
  let bus: FeetechBus | DynamixelBus = protocol === 'feetech' ? new FeetechBus(link.transport) : new DynamixelBus(link.transport);
  await bus.open();
  let servo: { id: number; model: number; modelName: string };
  try {
    servo = await theOnlyServo(link, bus);
    if (to === baud) return { command: 'hw set-baud', protocol, port, model: servo.model, model_name: servo.modelName, from: { id: servo.id, baud }, to: { id: servo.id, baud: to }, verified: [`already at ${to} bit/s: nothing written`] };
    if (bus instanceof FeetechBus) {
      await bus.write(servo.id, 40, [0]);
      await bus.write(servo.id, 55, [0]);
      await bus.write(servo.id, 6, [feetechBaudCode(to)!]).catch(() => {}); // answered at the old rate, or not heard back
    } else {
      await bus.write(servo.id, 64, [0]);
      await bus.write(servo.id, 8, [baudCode(to)!]).catch(() => {});
    }
  } finally {
    await bus.close();
  }
  // The servo now listens at `to`: reopen the port there and read the register back.
  bus = protocol === 'feetech' ? new FeetechBus(link.reopen(to)) : new DynamixelBus(link.reopen(to));
  await bus.open();
  try {
    const verified: string[] = [];
    const ok = bus instanceof FeetechBus ? (await bus.ping(servo.id, 3)) !== undefined : (await bus.ping(servo.id, 3)) !== undefined;
    if (!ok) throw new ServoSetupError('HW_VERIFY', `${port} at ${to} bit/s`, `servo ${servo.id} does not answer at the new rate (it may listen at ${to} bit/s now, or still at ${baud}: scan both)`, `a ping reply at ${to} bit/s`);
    verified.push(`ping id ${servo.id} at ${to} bit/s: answered`);
    if (bus instanceof FeetechBus) {
      const code = await bus.readValue(servo.id, 6, 1);
      if (FEETECH_BAUD_CODES[code] !== to) throw new ServoSetupError('HW_VERIFY', `${port} id ${servo.id}`, `Baud Rate register reads ${code} (${FEETECH_BAUD_CODES[code]} bit/s)`, `${feetechBaudCode(to)} (${to} bit/s)`);
      await bus.write(servo.id, 55, [1]);
      verified.push(`Baud Rate register (6) reads ${code} = ${to} bit/s`);
    } else {
      const code = await bus.readValue(servo.id, 8, 1);
      if (BAUD_CODES[code] !== to) throw new ServoSetupError('HW_VERIFY', `${port} id ${servo.id}`, `Baud Rate register reads ${code} (${BAUD_CODES[code]} bit/s)`, `${baudCode(to)} (${to} bit/s)`);
      verified.push(`Baud Rate register (8) reads ${code} = ${to} bit/s`);
    }
    return { command: 'hw set-baud', protocol, port, model: servo.model, model_name: servo.modelName, from: { id: servo.id, baud }, to: { id: servo.id, baud: to }, verified };
  } finally {
    await bus.close();
  }
}

function printSetup(r: ServoSetupResult, json: boolean): void {
  if (json) return void console.log(JSON.stringify(r));
  console.log(`axon ${r.command}: ${r.model_name} (${r.model}) on ${r.port}: id ${r.from.id} at ${r.from.baud} bit/s -> id ${r.to.id} at ${r.to.baud} bit/s`);
  for (const v of r.verified) console.log(`  verified: ${v}`);
}

function setupCommand(name: 'set-id' | 'set-baud') {
  const c = new Command(name)
    .description(name === 'set-id' ? 'Give the one servo on the bus a new id (saved in its EPROM), verified by reading it back.' : 'Set the line rate of the one servo on the bus, then reopen the port at the new rate and read it back.')
    .requiredOption('--port <port>', 'serial device, tcp://host:port, or emu://1 (built-in emulator)')
    .option('--protocol <p>', 'dynamixel or feetech', (v) => {
      const p = protocolArg(v);
      if (p === 'auto') throw new InvalidArgumentError('expected dynamixel or feetech');
      return p;
    }, 'feetech' as BusProtocol)
    .option('--baud <bps>', 'present line rate (default: the protocol\'s factory rate)', busBaud)
    .requiredOption('--to <value>', name === 'set-id' ? 'new id' : 'new line rate (bit/s)', (v) => {
      const x = Number(v);
      if (!Number.isInteger(x) || x < 0) throw new InvalidArgumentError(name === 'set-id' ? 'expected an id' : 'expected a rate in bit/s');
      return x;
    })
    .option('--json', 'print one JSON summary object on the last line of stdout', false)
    .action(async (o) => {
      const baud = o.baud ?? defaultBaud(o.protocol);
      const r = name === 'set-id' ? await setServoId(o.port, o.protocol, baud, o.to) : await setServoBaud(o.port, o.protocol, baud, o.to);
      printSetup(r, o.json);
    });
  return c;
}

export const setIdCommand = () => setupCommand('set-id');
export const setBaudCommand = () => setupCommand('set-baud');
