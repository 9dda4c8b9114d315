/**
 * `axon hw calibrate` for operators building a Feetech arm: homing offsets at the config's
 * calibration pose, then each joint's range of motion recorded while the operator (or, on emu://,
 * scripted hands) moves it; saved in the servos' EPROM and in the config file together, or refused
 * with a diff against the config's joint limits. With --from-lerobot, an arm LeRobot calibrated is
 * taken as it is instead (hwFromLerobot.ts). Scanning, emulation and set-id / set-baud stay in
 * hwServo.ts.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { AxonError, UsageError } from '../../core/errors.ts';
import { positiveNumber } from '../args.ts';
import { refuseOrphans } from '../companions.ts';
import { checkReplaceableFile } from '../preflight.ts';
import { calibrateFromLerobot, relocatedConfig } from './hwFromLerobot.ts';
import { FeetechBus } from '../../../hardware/feetech/FeetechBus.ts';
import type { CalibrationResult } from '../../../hardware/feetech/calibrate.ts';
import type { FeetechRobotConfig } from '../../../hardware/robots/feetechConfig.ts';
import { createFeetechPort, feetechServosOf, loadAnyRobotConfig } from '../../../hardware/robots/openRobot.ts';
import { busBaud } from './hwServo.ts';

export class CalibrationError extends AxonError {
  constructor(
    where: string,
    readonly diff: readonly string[],
  ) {
    super('HW_CALIBRATION', where, `the calibration does not fit the joint limits, nothing saved:\n  ${diff.join('\n  ')}`, 'every joint moved through at least its config limits (or limits narrowed in the config)');
  }
}

const sleep = (s: number) => new Promise<void>((r) => setTimeout(r, s * 1000));

/** Resolves at Enter on a terminal, else after `fallbackS`. */
function enterOr(fallbackS: number, prompt: string): Promise<void> {
  if (!process.stdin.isTTY) return sleep(fallbackS);
  process.stdout.write(`${prompt} [Enter] `);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      process.stdin.off('data', done);
      process.stdin.pause();
      resolve();
    };
    const timer = setTimeout(done, fallbackS * 1000);
    process.stdin.resume();
    process.stdin.once('data', done);
  });
}

/**
 * Saves a fitting calibration in both places, the file first: the config goes to a temp file next
 * to `out`; only once it is written are the offsets saved in the servos' EPROM, and then the temp
 * file is renamed over `out`. A file that cannot be written leaves the servos as they were (the
 * RAM offsets calibrateFeetech set are put back); a servo save that fails leaves the file as it was.
 * `from` is the file `config` was read from: its `urdf` is rewritten for `out`'s folder.
 */
export async function commitCalibration(bus: FeetechBus, config: FeetechRobotConfig, result: CalibrationResult, out: string, from = out): Promise<FeetechRobotConfig> {
  const { calibratedConfig, restoreOffsets, saveCalibration } = await import('../../../hardware/feetech/calibrate.ts');
  const next = relocatedConfig(calibratedConfig(config, result), from, out);
  const tmp = join(dirname(resolve(out)), `.${basename(out)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`);
  } catch (e) {
    await restoreOffsets(bus, config, result).catch(() => {});
    throw new Error(`${out}: the calibrated config cannot be written (${(e as NodeJS.ErrnoException).code ?? String(e)}): nothing saved, the servos keep their previous offsets`);
  }
  try {
    await saveCalibration(bus, config, result);
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return next;
}

export function calibrateCommand() {
  return new Command('calibrate')
    .description('Calibrate a Feetech arm by hand: homing offsets at the config\'s calibration pose, then the range of motion while you move each joint; saved in the servos and written into the config, or refused with a diff when the config limits do not fit. With --from-lerobot, take the calibration Hugging Face LeRobot gave the arm (Feetech or Dynamixel) into the config instead, leaving the servos as they are.')
    .requiredOption('--config <file>', 'robot config, e.g. hardware/robots/so101-follower.json (Feetech; a Dynamixel one with --from-lerobot)')
    .option('--from-lerobot <file>', "a LeRobot calibration file (~/.cache/huggingface/lerobot/calibration/robots/so101_follower/<id>.json, teleoperators/...): written into the config; the servos are only read (with --port), never written")
    .option('--narrow-limits', "with --from-lerobot: narrow joint limits that reach beyond LeRobot's recorded range to it (default: refuse)", false)
    .option('--port <port>', "serial device, tcp://host:port, or emu:// (the config's servos, emulated; with --from-lerobot, as LeRobot left them); default: the config's port (with --from-lerobot: none, the servos are not checked)")
    .option('--baud <bps>', "bus line rate (bit/s); default: the config's", busBaud)
    .option('--out <file>', 'write the calibrated config here (default: over --config)')
    .option('--pose-wait-s <s>', 'without a terminal: seconds before the pose is taken', positiveNumber, 5)
    .option('--record-s <s>', 'seconds of range recording (Enter ends it earlier on a terminal)', positiveNumber, 15)
    .option('--simulate-operator <how>', 'emu:// only: scripted hands hold the pose then sweep every joint (full), or stop the elbow 0.3 rad short (short)', (v) => {
      if (v !== 'full' && v !== 'short') throw new InvalidArgumentError('expected full or short');
      return v;
    })
    .option('--json', 'print one JSON summary object on the last line of stdout', false)
    .action(async (o, cmd) => {
      refuseOrphans(cmd, o, [
        { flag: '--narrow-limits', needs: '--from-lerobot FILE', ok: (x) => x.fromLerobot !== undefined },
        // A LeRobot calibration is taken as it is: nobody holds a pose or sweeps the joints.
        ...['--pose-wait-s', '--record-s', '--simulate-operator'].map((flag) => ({ flag, needs: 'a calibration by hand, not --from-lerobot', ok: (x: { fromLerobot?: string }) => x.fromLerobot === undefined })),
        { flag: '--baud', needs: '--port (with --from-lerobot)', ok: (x) => x.fromLerobot === undefined || x.port !== undefined },
      ]);
      if (o.fromLerobot !== undefined) {
        await calibrateFromLerobot({ config: o.config, fromLerobot: o.fromLerobot, narrowLimits: o.narrowLimits, json: o.json, ...(o.out !== undefined ? { out: o.out } : {}), ...(o.port !== undefined ? { port: o.port } : {}), ...(o.baud !== undefined ? { baud: o.baud } : {}) });
        return;
      }
      const loaded = loadAnyRobotConfig(o.config);
      if (loaded.protocol !== 'feetech') throw new UsageError('--config', `${o.config} is a Dynamixel config`, 'a Feetech config ("protocol": "feetech"); Dynamixel joints take their zero from "offset", or from a LeRobot calibration with --from-lerobot FILE');
      const config = loaded.config;
      const portName = o.port ?? config.port;
      if (!portName) throw new UsageError('--port', `is required: ${o.config} names no port`, 'a serial device, tcp://host:port or emu://');
      const baud = o.baud ?? config.baud;
      if (o.simulateOperator && !portName.startsWith('emu://')) throw new UsageError('--simulate-operator', `drives the emulated arm only, not ${portName}`, '--port emu://');
      const out = o.out ?? o.config;
      checkReplaceableFile(out, o.out ? '--out' : '--config'); // before the servos are touched: a calibration is never saved in them without its file
      const port = createFeetechPort(portName, { baud, servos: feetechServosOf(config) });
      const say = (s: string) => (o.json ? process.stderr : process.stdout).write(`axon hw calibrate: ${s}\n`);
      let waitForPose: () => Promise<void>;
      let recordUntil: () => Promise<void>;
      if (o.simulateOperator && port.emulator) {
        const { scriptCalibration } = await import('../../../hardware/emulator/scriptedOperator.ts');
        const sweepS = Math.min(o.recordS, 3);
        const hands = scriptCalibration(port.emulator, config, { sweepS, ...(o.simulateOperator === 'short' ? { short: { elbow_flex: 0.3 } } : {}) });
        waitForPose = async () => {}; // the hands hold the pose from the start
        recordUntil = () => {
          hands.startSweep();
          return sleep(sweepS + 0.3);
        };
      } else {
        waitForPose = () => enterOr(o.poseWaitS, 'Hold the arm in the calibration pose, then press');
        recordUntil = () => enterOr(o.recordS, 'Move every joint through its whole range, then press');
      }
      const bus = new FeetechBus(port.transport);
      await bus.open();
      try {
        const { calibrateFeetech } = await import('../../../hardware/feetech/calibrate.ts');
        const result = await calibrateFeetech(bus, config, { waitForPose, recordUntil, say });
        if (result.diff.length > 0) throw new CalibrationError(o.config, result.diff);
        await commitCalibration(bus, config, result, out, o.config);
        const summary = { command: 'hw calibrate', config: o.config, out, port: portName, samples: result.samples, joints: result.joints };
        if (o.json) console.log(JSON.stringify(summary));
        else {
          say(`saved in the servos and written to ${out} (${result.samples} samples):`);
          for (const j of result.joints) console.log(`  ${j.name.padEnd(14)} id ${j.id}  homing offset ${String(j.homing_offset).padStart(5)}  range ${j.range_ticks[0]}..${j.range_ticks[1]} ticks = [${j.range_rad[0]}, ${j.range_rad[1]}] rad`);
        }
      } finally {
        await bus.close();
      }
    });
}
