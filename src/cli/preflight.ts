/**
 * Checks a command makes before it touches a real robot, so that a bad flag fails with the robot
 * still untouched (not armed, then stopped): the recording file can be written, the viewer port is
 * free, the drawing model fits the robot.
 */
import { accessSync, closeSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../core/errors.ts';
import { openRecordFile, prepareRecorderThread } from '../record/McapRecorder.ts';
import { ViewerServer } from '../viewer/ViewerServer.ts';
import { loadUrdf } from '../../sim/urdf/loadUrdf.ts';
import type { UrdfModel } from '../../sim/urdf/parseUrdf.ts';

/** Creates (or truncates) the recording file now, with the recorder's own error; the recorder opens it again (and its writer thread starts now, to be ready before the loop). */
export function checkWritable(file: string): void {
  closeSync(openRecordFile(file));
  prepareRecorderThread();
}

/**
 * Checks, without creating or changing anything, that `file` can be written later: not a folder,
 * in a folder that exists, writable (the file if it exists, else its folder). For outputs written
 * at the end of a command that changes hardware first (hw calibrate --out).
 */
export function checkOutputFile(file: string, flag: string): void {
  const expected = 'a writable file path whose folder exists';
  const st = statSync(file, { throwIfNoEntry: false });
  if (st?.isDirectory()) throw new UsageError(flag, `${file} is a directory`, expected);
  const dir = dirname(resolve(file));
  const dst = statSync(dir, { throwIfNoEntry: false });
  if (!dst) throw new UsageError(flag, `${file}: its folder ${dir} does not exist`, expected);
  if (!dst.isDirectory()) throw new UsageError(flag, `${file}: ${dir} is not a folder`, expected);
  try {
    accessSync(st ? file : dir, constants.W_OK);
    if (st) accessSync(dir, constants.W_OK); // written as a temp file in the same folder, then renamed over it
  } catch (e) {
    throw new UsageError(flag, `${file} cannot be written (${(e as NodeJS.ErrnoException).code ?? String(e)})`, expected);
  }
}

/** Throws the viewer's own VIEWER_LISTEN error when `port` cannot be listened on (0: any port, always free). */
export async function checkPortFree(port: number): Promise<void> {
  if (port === 0) return;
  const probe = new ViewerServer(() => {}, () => {});
  await probe.listen({ port });
  await probe.close();
}

/**
 * The URDF a viewer draws a robot with. Its moving joints must all be joints of the robot (matched
 * by name: the page poses them from the measured positions); the robot may have more.
 */
export function drawingModel(file: string, jointNames: readonly string[], where: string): UrdfModel {
  const model = loadUrdf(file);
  const names = new Set(jointNames);
  const moving = model.treeOrder.filter((j) => j.type !== 'fixed').map((j) => j.name);
  const unknown = moving.filter((n) => !names.has(n));
  if (unknown.length > 0)
    throw new UsageError(where, `${file}: joint${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not in the robot`, `moving joints named as the robot's: ${[...names].join(', ')}`);
  return model;
}
