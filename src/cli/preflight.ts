/**
 * Checks a command makes before it touches a real robot, so that a bad flag fails with the robot
 * still untouched (not armed, then stopped): the recording file can be written, the viewer port is
 * free, the drawing model fits the robot.
 */
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { AxonError, UsageError } from '../core/errors.ts';
import { loadUrdf } from '../../sim/urdf/loadUrdf.ts';
import type { UrdfModel } from '../../sim/urdf/parseUrdf.ts';

/** Creates (or truncates) `file` now; the recorder opens it again. */
export function checkWritable(file: string, flag: string): void {
  try {
    closeSync(openSync(file, 'w'));
  } catch (e) {
    throw new AxonError('RECORD_FILE', file, `cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, `a writable file path for ${flag}`);
  }
}

/** Resolves when `port` can be listened on at `host` (0: any port, always). */
export async function checkPortFree(port: number, host = '127.0.0.1'): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once('error', (e: NodeJS.ErrnoException) =>
      reject(new AxonError('VIEWER_LISTEN', `${host}:${port}`, `cannot listen (${e.code ?? e.message})`, 'a free port for --view-port')),
    );
    s.listen(port, host, () => s.close(() => resolve()));
  });
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
