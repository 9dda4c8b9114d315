/**
 * `axon hw calibrate --config C --from-lerobot FILE [--port P] [--narrow-limits] [--out F]`: an arm
 * Hugging Face LeRobot calibrated, taken as it is (docs/feetech.md, "A LeRobot calibration"). The
 * file is read and fitted to the config first; with --port the servos' calibration registers are
 * read and compared with it (nothing is written to them); only then is the config written, to a
 * temp file beside --out renamed over it, its file paths rewritten for --out's folder.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { checkReplaceableFile } from '../preflight.ts';
import { createPort } from '../../../hardware/transport/openPort.ts';
import { createFeetechPort, loadAnyRobotConfig } from '../../../hardware/robots/openRobot.ts';
import { LEROBOT_HOME_TICKS, importLerobotCalibration, readLerobotCalibration, type LerobotImport } from '../../../hardware/robots/lerobotCalibration.ts';
import { LerobotServoMismatchError, lerobotServoDiff } from '../../../hardware/robots/lerobotServos.ts';
import type { DynamixelRobotConfig } from '../../../hardware/robots/config.ts';
import type { FeetechRobotConfig } from '../../../hardware/robots/feetechConfig.ts';
import { dynamixelServosAsLerobotLeft, feetechServosAsLerobotLeft } from '../../../hardware/emulator/lerobotArm.ts';

export interface FromLerobotOptions {
  readonly config: string;
  readonly fromLerobot: string;
  readonly out?: string;
  readonly port?: string;
  readonly baud?: number;
  readonly narrowLimits: boolean;
  readonly json: boolean;
}

/** Writes `text` to a temp file beside `out`, then renames it over `out` (never a half-written config). */
export function writeFileAtomically(out: string, text: string): void {
  const tmp = join(dirname(resolve(out)), `.${basename(out)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(`${out}: the config cannot be written (${(e as NodeJS.ErrnoException).code ?? String(e)}): nothing written`);
  }
}

/**
 * `config`, read from the file `from`, as it must read once written to `out`: the paths it holds
 * relative to its own file (`urdf`, the only one in both schemas: hardware/robots/config.ts,
 * feetechConfig.ts) made relative to `out`'s folder instead, so that a config written elsewhere
 * still draws and records the same robot (run.ts and teleop.ts resolve `urdf` against the
 * config's folder). An absolute path stays as it is; the same folder changes nothing.
 */
export function relocatedConfig<C extends FeetechRobotConfig | DynamixelRobotConfig>(config: C, from: string, out: string): C {
  const urdf = config.urdf;
  if (urdf === undefined || isAbsolute(urdf)) return config;
  const fromDir = dirname(resolve(from));
  const outDir = dirname(resolve(out));
  if (fromDir === outDir) return config;
  return { ...config, urdf: relative(outDir, resolve(fromDir, urdf)) };
}

export async function calibrateFromLerobot(o: FromLerobotOptions): Promise<LerobotImport> {
  const loaded = loadAnyRobotConfig(o.config);
  const cal = readLerobotCalibration(o.fromLerobot);
  const imported = importLerobotCalibration(loaded, cal, { narrowLimits: o.narrowLimits });
  const out = o.out ?? o.config;
  checkReplaceableFile(out, o.out ? '--out' : '--config');
  const say = (s: string) => (o.json ? process.stderr : process.stdout).write(`axon hw calibrate: ${s}\n`);
  if (o.port !== undefined) {
    const baud = o.baud ?? loaded.config.baud;
    const transport =
      loaded.protocol === 'feetech'
        ? createFeetechPort(o.port, { baud, servos: feetechServosAsLerobotLeft(loaded.config, cal) }).transport
        : createPort(o.port, { baud, servos: dynamixelServosAsLerobotLeft(loaded.config, cal) }).transport;
    const diff = await lerobotServoDiff(loaded, cal, transport);
    if (diff.length > 0) throw new LerobotServoMismatchError(`${o.fromLerobot} against ${loaded.config.name} on ${o.port}`, diff);
    say(`the servos on ${o.port} carry ${o.fromLerobot}'s calibration (homing offsets, position limits${loaded.protocol === 'dynamixel' ? ', drive modes' : ''})`);
  } else say('servos not checked (no --port); axon run and teleop compare the homing offsets at connect');
  writeFileAtomically(out, `${JSON.stringify(relocatedConfig(imported.loaded.config, o.config, out), null, 2)}\n`);
  const summary = { command: 'hw calibrate', config: o.config, from_lerobot: o.fromLerobot, out, port: o.port ?? null, servos_checked: o.port !== undefined, joints: imported.joints, notes: imported.notes };
  if (o.json) console.log(JSON.stringify(summary));
  else {
    say(`${o.fromLerobot} written into ${out}; LeRobot's calibration pose reads the config's calibration pose (present position ${LEROBOT_HOME_TICKS}):`);
    for (const j of imported.joints)
      console.log(
        `  ${j.name.padEnd(14)} id ${j.id}  homing offset ${String(j.homing_offset).padStart(5)}  range ${j.range_ticks[0]}..${j.range_ticks[1]} ticks = [${j.range_rad[0]}, ${j.range_rad[1]}] rad${j.full_turn ? ' (full turn)' : ''}  direction ${j.direction}  offset ${j.offset.toFixed(6)} rad  limits [${j.lower}, ${j.upper}] rad  LeRobot's 0 at ${j.lerobot_zero_rad} rad${j.turn_ticks ? `  power-up turn ${j.turn_ticks[0]}..${j.turn_ticks[1]} ticks` : ''}`,
      );
    for (const n of imported.notes) say(n);
  }
  return imported;
}
