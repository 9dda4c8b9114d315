import { createServer, type Socket } from 'node:net';
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { UsageError } from '../../core/errors.ts';
import { nonNegative, positiveInt } from '../args.ts';
import { refuseOrphans } from '../companions.ts';
import { createPort } from '../../../hardware/transport/openPort.ts';
import { listSerialPorts } from '../../../hardware/transport/SerialTransport.ts';
import type { Transport, TransportHandlers } from '../../../hardware/transport/Transport.ts';
import { DynamixelBus } from '../../../hardware/dynamixel/DynamixelBus.ts';
import { ticksToRad, BAUD_CODES } from '../../../hardware/dynamixel/controlTable.ts';
import { MAX_ID as DXL_MAX_ID, readLe } from '../../../hardware/dynamixel/packet.ts';
import { MAX_ID as STS_MAX_ID } from '../../../hardware/feetech/packet.ts';
import { DynamixelEmulator, defaultServos } from '../../../hardware/emulator/DynamixelEmulator.ts';
import { dynamixelServosOf, loadAnyRobotConfig } from '../../../hardware/robots/openRobot.ts';
import { busBaud, emulateFeetech, noServoAnswered, protocolArg, scanBus, serveUntilSignal, setBaudCommand, setIdCommand, type ScanProtocol } from './hwServo.ts';
import { calibrateCommand } from './hwCalibrate.ts';

/**
 * "1-20", "1,3,7-9" -> sorted unique ids (0..253: Feetech's unicast range; a Dynamixel scan refuses
 * 253, which Protocol 2.0 reserves, once the protocol is known: scanIdsFor).
 */
export function idList(v: string): number[] {
  const out = new Set<number>();
  for (const part of v.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new InvalidArgumentError('expected ids like 1-20 or 1,3,7-9 (0..252 on Dynamixel, 0..253 on Feetech)');
    const a = Number(m[1]), b = m[2] === undefined ? a : Number(m[2]);
    if (a > b || b > STS_MAX_ID) throw new InvalidArgumentError('expected ids like 1-20 or 1,3,7-9 (0..252 on Dynamixel, 0..253 on Feetech)');
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

export function baudRate(v: string): number {
  const x = Number(v);
  if (!Object.values(BAUD_CODES).includes(x)) throw new InvalidArgumentError(`expected a Dynamixel baud rate: ${Object.values(BAUD_CODES).join(', ')}`);
  return x;
}

function fraction(v: string): number {
  const x = Number(v);
  if (v.trim() === '' || !(x >= 0 && x <= 1)) throw new InvalidArgumentError('expected a number from 0 to 1');
  return x;
}


export function hwCommand() {
  const hw = new Command('hw').description('Servo hardware (Dynamixel 2.0, Feetech STS): find servos on a bus, serve an emulated bus, set a new servo\'s id and baud rate, calibrate an arm (or take its LeRobot calibration).');
  hw.addCommand(scanCommand());
  hw.addCommand(emulateCommand());
  hw.addCommand(setIdCommand());
  hw.addCommand(setBaudCommand());
  hw.addCommand(calibrateCommand());
  for (const c of hw.commands) c.exitOverride();
  return hw;
}

function scanCommand() {
  return new Command('scan')
    .description('Find servos on a bus (Dynamixel Protocol 2.0 by default, --protocol feetech|auto): id, model, firmware, present position.')
    .option('--port <port>', 'serial device (/dev/ttyUSB0), tcp://host:port, or emu://N (built-in emulator)')
    .option('--protocol <p>', 'dynamixel, feetech (STS, unicast pings of ids 0..253) or auto (both)', protocolArg, 'dynamixel' as ScanProtocol)
    .option('--baud <bps>', 'bus line rate (bit/s) for every protocol scanned; default each protocol\'s factory rate: Dynamixel 57600, Feetech 1000000 (auto reopens the port at each)', busBaud)
    .option('--ids <list>', 'ids to ping one by one, e.g. 1-20 (default: one broadcast ping)', idList)
    .option('--timeout-ms <ms>', 'Dynamixel: broadcast ping listening window (default 100 ms); Feetech: reply window per pinged id (default 10 ms)', positiveInt)
    .option('--list', 'list the serial ports of this machine and exit', false)
    .option('--json', 'print one JSON summary object on the last line of stdout', false)
    .action(async (o, cmd) => {
      refuseOrphans(cmd, o, [
        // --list lists this machine's ports and scans nothing.
        ...['--port', '--protocol', '--baud', '--ids', '--timeout-ms'].map((flag) => ({ flag, needs: 'a scan, not --list', ok: (x: { list: boolean }) => !x.list, instead: () => '--list only lists the serial ports' })),
        // Dynamixel ids are pinged one by one with the bus's own reply timeout; the window is the broadcast ping's.
        { flag: '--timeout-ms', needs: 'a broadcast ping (no --ids) or --protocol feetech|auto', ok: (x) => !(x.ids && x.protocol === 'dynamixel'), instead: () => 'Dynamixel ids given with --ids are pinged one by one' },
      ]);
      if (o.list) {
        const ports = await listSerialPorts();
        if (o.json) console.log(JSON.stringify({ command: 'hw scan', ports }));
        else if (ports.length === 0) console.log('no serial ports found (is the adapter plugged in? see docs/hardware.md on udev and permissions)');
        else for (const p of ports) console.log(`${p.path}${p.manufacturer ? `  ${p.manufacturer}` : ''}${p.serialNumber ? `  ${p.serialNumber}` : ''}`);
        return;
      }
      if (!o.port) throw new UsageError('--port', 'is required', 'a serial device, tcp://host:port or emu://N (or --list)');
      // 253 answers on Feetech (its unicast range is 0..253) but is reserved on Dynamixel (Protocol 2.0).
      if (o.protocol === 'dynamixel' && o.ids?.some((id) => id > DXL_MAX_ID)) throw new UsageError('--ids', `id ${o.ids.at(-1)} is reserved on Dynamixel (Protocol 2.0)`, `ids 0..${DXL_MAX_ID}, or --protocol feetech for 253`);
      if (o.protocol !== 'dynamixel') return scanBus({ port: o.port, protocol: o.protocol, ...(o.baud !== undefined ? { baud: o.baud } : {}), ...(o.ids ? { ids: o.ids } : {}), ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}), json: o.json });
      o.baud = o.baud === undefined ? 57600 : baudRate(String(o.baud));
      const { transport } = createPort(o.port, { baud: o.baud });
      const bus = new DynamixelBus(transport);
      await bus.open();
      try {
        const t0 = performance.now();
        const found = o.ids
          ? (await Promise.all(o.ids.map((id) => bus.ping(id, 2)))).filter((p) => p !== undefined)
          : await bus.broadcastPing((o.timeoutMs ?? 100) / 1000);
        const servos = [];
        for (const p of found) {
          let ticks: number | null = null;
          try {
            ticks = readLe(await bus.read(p.id, 132, 4), 0, 4, true);
          } catch {
            /* listed without a position */
          }
          servos.push({ id: p.id, model: p.model, model_name: p.modelName, firmware: p.firmware, position_ticks: ticks, position_rad: ticks === null ? null : Math.round(ticksToRad(ticks) * 1e4) / 1e4 });
        }
        const ms = Math.round(performance.now() - t0);
        if (o.json) {
          console.log(JSON.stringify({ command: 'hw scan', port: o.port, baud: o.baud, servos, scan_ms: ms, bus: { timeouts: bus.stats.timeouts, crc_errors: bus.decoder.stats.crcErrors } }));
        } else {
          console.log(`axon hw scan: ${o.port} at ${o.baud} bit/s: ${servos.length} servo${servos.length === 1 ? '' : 's'} in ${ms} ms`);
          if (servos.length > 0) console.log('  id  model            firmware  position');
          for (const s of servos)
            console.log(`  ${String(s.id).padStart(3)} ${`${s.model_name} (${s.model})`.padEnd(18)} ${String(s.firmware).padStart(6)}    ${s.position_ticks === null ? '?' : `${s.position_ticks} ticks = ${s.position_rad} rad`}`);
          if (servos.length === 0) console.log('  nothing answered: check power, wiring, the baud rate (--baud) and the ids (--ids)');
        }
        if (servos.length === 0) noServoAnswered(o.port, `at ${o.baud} bit/s`, 'dynamixel', o.ids);
      } finally {
        await bus.close();
      }
    });
}

function emulateCommand() {
  return new Command('emulate')
    .description('Serve an emulated Dynamixel (or, with --protocol feetech, Feetech STS) bus over TCP as a serial-over-TCP device (like ser2net); reach it with --port tcp://host:port or through a pty made by socat.')
    .option('--protocol <p>', "dynamixel (XM430-W350) or feetech (STS3215); default: the --config's protocol, else dynamixel", (v) => {
      // One bus is served: `auto` (a scan's "try both") is not offered, nor accepted.
      if (v !== 'dynamixel' && v !== 'feetech') throw new InvalidArgumentError('expected dynamixel or feetech');
      return v as ScanProtocol;
    })
    .option('--servo-baud <bps>', 'feetech: the rate the servos are set to (default: --baud); a bus at another rate hears nothing', busBaud)
    .option('--servos <n>', 'number of servos, ids 1..n (XM430-W350, or STS3215 with --protocol feetech)', positiveInt, 12)
    .option('--config <file>', 'emulate the servos of a robot config instead (ids, models and operating modes)')
    .option('--listen <host:port>', 'address to listen on (loopback by default)', '127.0.0.1:9000')
    .option('--baud <bps>', 'line rate of the emulated serial side (bit/s): the servos start at it, and servos set to another rate stay silent', busBaud, 1_000_000)
    .option('--latency-ms <ms>', 'extra delay before each reply (ms)', nonNegative, 0)
    .option('--loss <p>', 'probability an instruction packet is lost', fraction, 0)
    .option('--corrupt <p>', 'probability a reply has a flipped byte', fraction, 0)
    .option('--real-timing', 'delay replies by return delay time + wire time', false)
    .option('--seed <n>', 'seed for loss and corruption', positiveInt, 1)
    .action(async (opts, cmd) => {
      // A config says its protocol (`"protocol": "feetech"`), as `run --config` reads it (review R19 F2).
      const loaded = opts.config ? loadAnyRobotConfig(opts.config) : undefined;
      if (loaded && opts.protocol !== undefined && opts.protocol !== loaded.protocol)
        throw new UsageError('--protocol', `${opts.protocol}, but ${opts.config} is a ${loaded.protocol} config`, `--protocol ${loaded.protocol}, or no --protocol`);
      const o = { ...opts, protocol: opts.protocol ?? loaded?.protocol ?? 'dynamixel' };
      refuseOrphans(cmd, o, [
        { flag: '--servo-baud', needs: '--protocol feetech', ok: (x) => x.protocol === 'feetech' },
        { flag: '--servos', needs: 'the default servos, not --config', ok: (x) => x.config === undefined, instead: () => "--config emulates the config's servos" },
      ]);
      if (o.protocol === 'feetech') return emulateFeetech({ servos: o.servos, ...(o.config ? { config: o.config } : {}), listen: o.listen, baud: o.baud, ...(o.servoBaud !== undefined ? { servoBaud: o.servoBaud } : {}), latencyMs: o.latencyMs, loss: o.loss, corrupt: o.corrupt, realTiming: o.realTiming, seed: o.seed });
      o.baud = baudRate(String(o.baud));
      if (o.servos > DXL_MAX_ID) throw new UsageError('--servos', `${o.servos} servos (ids 1..${o.servos}) do not fit on one bus`, `1..${DXL_MAX_ID} (Protocol 2.0: 253 is reserved, 254 is the broadcast id)`);
      const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(o.listen);
      const port = m ? Number(m[2]) : NaN;
      if (!m || !(port >= 0 && port <= 65535)) throw new UsageError('--listen', `"${o.listen}" is not host:port`, 'e.g. 127.0.0.1:9000');
      const host = m[1].replace(/^\[|\]$/g, '');
      const servos = loaded?.protocol === 'dynamixel' ? dynamixelServosOf(loaded.config) : defaultServos(o.servos);
      const emu = new DynamixelEmulator({ servos, baud: o.baud, latencyS: o.latencyMs / 1000, lossRate: o.loss, corruptRate: o.corrupt, realTiming: o.realTiming, seed: o.seed });
      const server = createServer((sock) => {
        sock.setNoDelay(true);
        emu.attach(socketTransport(sock, emu.baud));
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e) => reject(new UsageError('--listen', `cannot listen on ${o.listen}: ${e.message}`, 'a free local address')));
        server.listen(port, host, () => resolve());
      });
      const addr = server.address();
      const where = typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : o.listen;
      console.log(`axon hw emulate: ${servos.length} servos (ids ${servos.map((s) => s.id).join(',')}) on tcp://${where}; Ctrl-C to stop`);
      console.log(`  reach it: axon hw scan --port tcp://${where}   or through a pty: socat pty,link=/tmp/ttyDXL,raw,echo=0 tcp:${where},nodelay`);
      await serveUntilSignal(server);
      console.log(`axon hw emulate: stopped after ${emu.stats.received} packets`);
    });
}

/** The device end of an accepted TCP connection, as a Transport for the emulator. */
function socketTransport(sock: Socket, baud: number): Transport {
  let h: TransportHandlers = {};
  sock.on('data', (d) => h.data?.(d));
  sock.on('error', () => {});
  sock.on('close', () => h.close?.());
  return {
    name: `tcp peer ${sock.remoteAddress}:${sock.remotePort}`,
    baud, // the serial side's line rate: servos at another rate do not hear this link
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

