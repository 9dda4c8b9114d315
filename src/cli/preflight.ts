/**
 * Checks a command makes before it touches a real robot, so that a bad flag fails with the robot
 * still untouched (not armed, then stopped): the recording file can be written, the viewer port is
 * free, the drawing model fits the robot.
 */
import { closeSync } from 'node:fs';
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
