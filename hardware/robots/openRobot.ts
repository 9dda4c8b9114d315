/**
 * Robot configs name their protocol: this is where a config file becomes the right Robot on the
 * right port, Dynamixel or Feetech, for the CLI (run, teleop, calibrate) and tests.
 *
 *   emu://N  with --protocol feetech: N emulated STS3215, ids 1..N
 *   emu://   a Feetech config's servos, emulated (its calibration already on them); a Dynamixel
 *            config's servos, emulated in the operating modes the config asks of them (and with
 *            the Homing Offset and Drive Mode it names, if it names them)
 *   anything else: as createPort (tcp://host:port, a serial device)
 */
import { UsageError } from '../../src/core/errors.ts';
import { createPort, type OpenedPort } from '../transport/openPort.ts';
import { memoryPair } from '../transport/MemoryTransport.ts';
import type { Transport } from '../transport/Transport.ts';
import { FeetechEmulator, defaultStsServos, type FeetechEmulatorOptions } from '../emulator/FeetechEmulator.ts';
import type { StsServoSetup } from '../emulator/EmulatedStsServo.ts';
import type { ServoSetup } from '../emulator/EmulatedServo.ts';
import { OperatingMode, POSITION_CENTER as DXL_CENTER, RAD_PER_TICK as DXL_RAD_PER_TICK } from '../dynamixel/controlTable.ts';
import { FEETECH_BAUD_CODES, RAD_PER_TICK, feetechBaudCode } from '../feetech/controlTable.ts';
import { MAX_ID as STS_MAX_ID } from '../feetech/packet.ts';
import { loadRobotConfig, type DynamixelRobotConfig } from './config.ts';
import { readConfigJson } from './busConfig.ts';
import { isFeetechConfig, validateFeetechConfig, type FeetechRobotConfig } from './feetechConfig.ts';
import { DynamixelRobot, type DynamixelRobotOptions } from './DynamixelRobot.ts';
import { FeetechRobot, type FeetechRobotOptions } from './FeetechRobot.ts';

export type BusProtocol = 'dynamixel' | 'feetech';

export type LoadedConfig = { readonly protocol: 'dynamixel'; readonly config: DynamixelRobotConfig } | { readonly protocol: 'feetech'; readonly config: FeetechRobotConfig };

/** Reads a robot config of either protocol (a Feetech one says `"protocol": "feetech"`). */
export function loadAnyRobotConfig(path: string): LoadedConfig {
  const raw = readConfigJson(path, 'a robot config, e.g. hardware/robots/arm6-xm430.json or so101-follower.json');
  if (isFeetechConfig(raw)) return { protocol: 'feetech', config: validateFeetechConfig(raw, path) };
  return { protocol: 'dynamixel', config: loadRobotConfig(path) };
}

export interface FeetechPort {
  readonly transport: Transport;
  readonly emulator?: FeetechEmulator;
}

/** The emulated servos of a Feetech config: its ids, its calibration, every joint at its default position. */
export function feetechServosOf(c: FeetechRobotConfig): StsServoSetup[] {
  return c.joints.map((j) => {
    const h = j.homing_offset ?? 0;
    const present = ((j.default_position ?? 0) - (j.offset ?? 0)) * (j.direction ?? 1);
    return { id: j.id, model: j.model, position: present + h * RAD_PER_TICK, table: { homing_offset: h, baud_rate: feetechBaudCode(c.baud) ?? 0 } };
  });
}

/**
 * The emulated servos of a Dynamixel config: its ids and models, each in the operating mode the
 * config asks of it (Operating Mode is EEPROM, set once by whoever set the arm up: LeRobot's Koch
 * configure() leaves extended position on the joints and current-based position on the gripper),
 * so that `--port emu://` exercises the config as the arm it describes would answer.
 */
export function dynamixelServosOf(c: DynamixelRobotConfig): ServoSetup[] {
  return c.joints.map((j) => {
    const table = { operating_mode: OperatingMode[j.operating_mode ?? c.operating_mode] };
    if (j.homing_offset === undefined && j.drive_mode === undefined) return { id: j.id, model: j.model, table };
    // A calibrated config (axon hw calibrate --from-lerobot): its Homing Offset and Drive Mode on
    // the servos, each joint held at its default position (as a Feetech config's servos are).
    const h = j.homing_offset ?? 0;
    const reverse = j.drive_mode === 1;
    const present = (((j.default_position ?? 0) - (j.offset ?? 0)) * (j.gear_ratio ?? 1) * (j.direction ?? 1)) / DXL_RAD_PER_TICK + DXL_CENTER;
    const actual = reverse ? 2 * DXL_CENTER - (present - h) : present - h; // the emulator's reverse count (EmulatedServo)
    return { id: j.id, model: j.model, position: (actual - DXL_CENTER) * DXL_RAD_PER_TICK, table: { ...table, homing_offset: h, drive_mode: reverse ? 1 : 0 } };
  });
}

/** Builds (does not open) a transport for a Feetech bus; emu:// gets an in-process Feetech emulator. */
export function createFeetechPort(value: string, o: { baud: number; servos?: readonly StsServoSetup[]; emulator?: Partial<FeetechEmulatorOptions> }, flag = '--port'): FeetechPort {
  const v = value.trim();
  if (!v.startsWith('emu://')) return { transport: createPort(value, { baud: o.baud }, flag).transport };
  // emu://N, emu:// (the config's servos), either with ?baud=B: servos set to B (Feetech's table).
  const m = /^emu:\/\/(\d*)(?:\?baud=(\d+))?$/.exec(v);
  const n = m && m[1] !== '' ? Number(m[1]) : undefined;
  // Ids run 1..N, and 254 (0xFE) is the broadcast id: no servo has it.
  if (!m || (n !== undefined && (n < 1 || n > STS_MAX_ID))) throw new UsageError(flag, `"${value}" is not an emulator address`, `emu://N with N from 1 to ${STS_MAX_ID} (ids 1..N; 254 is the broadcast id), or emu:// for the servos of --config, optionally ?baud=B`);
  let servos = n !== undefined ? defaultStsServos(n) : o.servos;
  if (!servos) throw new UsageError(flag, 'emu:// needs a servo count here', 'emu://N');
  const servoBaud = m[2] === undefined ? o.baud : Number(m[2]);
  const code = feetechBaudCode(servoBaud);
  if (code === undefined) throw new UsageError(flag, `"${value}": ${servoBaud} is not a Feetech baud rate`, Object.values(FEETECH_BAUD_CODES).join(', '));
  servos = servos.map((s) => ({ ...s, table: { ...s.table, baud_rate: code } }));
  const emulator = new FeetechEmulator({ baud: o.baud, ...o.emulator, servos });
  const [host, device] = memoryPair(value, o.baud);
  void device.open();
  emulator.attach(device);
  return { transport: host, emulator };
}

/** Moves an emulator to a fresh in-memory link at `baud` (after a baud change, as a host reopens its port). */
export function reattachEmulator(emulator: FeetechEmulator | { attach(t: Transport): void }, name: string, baud: number): Transport {
  const [host, device] = memoryPair(name, baud);
  void device.open();
  emulator.attach(device);
  return host;
}

export type ConfiguredRobot = DynamixelRobot | FeetechRobot;

/** The robot a loaded config describes, on `portName` at `baud` (emu:// emulates the config's servos). */
export function openConfiguredRobot(loaded: LoadedConfig, portName: string, baud: number, options: DynamixelRobotOptions & FeetechRobotOptions = {}): { robot: ConfiguredRobot; port: OpenedPort | FeetechPort } {
  if (loaded.protocol === 'feetech') {
    const port = createFeetechPort(portName, { baud, servos: feetechServosOf(loaded.config) });
    return { robot: new FeetechRobot(loaded.config, port.transport, options), port };
  }
  const c = loaded.config;
  const port = createPort(portName, { baud, servos: dynamixelServosOf(c) });
  return { robot: new DynamixelRobot(c, port.transport, options), port };
}
