/**
 * The LeRobot calibration fixtures (tests/fixtures/lerobot/calibration, in LeRobot's folder layout:
 * robots/<type>/<id>.json, teleoperators/<type>/<id>.json) and what the tests do with them: a
 * variant written out of that layout, an import expected to fail, an emulator on a memory link.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryPair } from '../../../hardware/transport/MemoryTransport.ts';
import type { Transport } from '../../../hardware/transport/Transport.ts';
import { loadAnyRobotConfig, type LoadedConfig } from '../../../hardware/robots/openRobot.ts';
import { importLerobotCalibration, readLerobotCalibration, type LerobotCalibrationError, type LerobotImportOptions, type LerobotRangeError } from '../../../hardware/robots/lerobotCalibration.ts';

export const FIX = 'tests/fixtures/lerobot/calibration';
export const SO_F = `${FIX}/robots/so101_follower/my_follower_arm.json`;
export const SO_L = `${FIX}/teleoperators/so101_leader/my_leader_arm.json`;
export const KOCH_F = `${FIX}/robots/koch_follower/my_koch_follower.json`;
export const KOCH_L = `${FIX}/teleoperators/koch_leader/my_koch_leader.json`;
/** One tick of a 4096-tick servo (rad). */
export const TICK = (2 * Math.PI) / 4096;

export const so101 = (arm: 'follower' | 'leader') => loadAnyRobotConfig(`hardware/robots/so101-${arm}.json`);
export const koch = (arm: 'follower' | 'leader') => loadAnyRobotConfig(`hardware/robots/koch-${arm}.json`);

/**
 * A LeRobot file with `edit` applied (or `text` as it is), written to a fresh temp folder as `at`
 * (default arm.json: out of LeRobot's layout; e.g. robots/lekiwi/arm.json puts it in).
 */
export function variant(base: string, edit: (d: Record<string, Record<string, unknown>>) => void, text?: string, at = 'arm.json'): string {
  const d = JSON.parse(readFileSync(base, 'utf8'));
  edit(d);
  const f = join(mkdtempSync(join(tmpdir(), 'axon-lerobot-')), at);
  mkdirSync(join(f, '..'), { recursive: true });
  writeFileSync(f, text ?? JSON.stringify(d, null, 4));
  return f;
}

/** The error importing `file` into `loaded` throws (a test failure if it imports): any of lerobotCalibration.ts's, `diff` on a LerobotRangeError. */
export function importError(loaded: LoadedConfig, file: string, o: LerobotImportOptions = {}): LerobotCalibrationError & LerobotRangeError {
  try {
    importLerobotCalibration(loaded, readLerobotCalibration(file), o);
  } catch (e) {
    return e as LerobotCalibrationError & LerobotRangeError;
  }
  throw new Error(`${file} imported into ${loaded.config.name}`);
}

/** The host end of a memory link the emulator serves. */
export async function link(emu: { attach(t: Transport): void }, baud?: number): Promise<Transport> {
  const [host, dev] = memoryPair('lerobot', baud);
  await dev.open();
  emu.attach(dev);
  return host;
}
