/**
 * Checks a command makes before it touches a real robot, so that a bad flag fails with the robot
 * still untouched (not armed, then stopped): the recording file can be written, the viewer port is
 * free, the drawing model fits the robot.
 */
import { accessSync, closeSync, constants, lstatSync, mkdirSync, openSync, rmdirSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AxonError, UsageError } from '../core/errors.ts';
import { openRecordFile, prepareRecorderThread } from '../record/McapRecorder.ts';
import { ViewerServer } from '../viewer/ViewerServer.ts';
import { loadUrdf } from '../../sim/urdf/loadUrdf.ts';
import type { UrdfModel } from '../../sim/urdf/parseUrdf.ts';

/**
 * Checks that the recording file can be written, with the recorder's own error (RECORD_FILE), and
 * leaves nothing behind: a file that was not there is created and removed again, one that was is
 * opened for writing without being truncated. A path that is there must be a regular file (or a
 * link to one): a device (/dev/full, every write ENOSPC; /dev/null), a pipe or a socket would take
 * the run's recording and keep nothing, so it is refused before the robot is touched. The recorder creates it when it is attached, once the
 * robot connected, so a run that fails before (an arm that does not answer) leaves no empty file to
 * break `axon export lerobot DIR`. The writer thread starts now, to be ready before the loop.
 */
export function checkWritable(file: string): void {
  const st = statIfAny(file, true); // a link is there (opened, never removed), even a broken one
  if (st === undefined || st.isDirectory()) {
    closeSync(openRecordFile(file)); // a folder throws here (EISDIR), as a missing folder on the path does
    unlinkSync(file);
  } else {
    const target = statIfAny(file); // through a link; undefined for a broken one (the recorder makes its target)
    if (target !== undefined && !target.isFile())
      throw new AxonError('RECORD_FILE', file, `is not a regular file (${kindOf(target)})`, 'a writable file path for --record, in a folder that exists');
    try {
      closeSync(openSync(file, 'r+'));
    } catch (e) {
      throw new AxonError('RECORD_FILE', file, `cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'a writable file path for --record, in a folder that exists');
    }
  }
  prepareRecorderThread();
}

/**
 * Checks, without creating or changing anything, that `file` can be written later: not a folder,
 * in a folder that exists, writable (the file if it exists, else its folder). For outputs written
 * at the end of a command that changes hardware first (hw calibrate --out).
 */
export function checkReplaceableFile(file: string, flag: string): void {
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

/** What a path that is not a regular file or a folder is, in words. */
function kindOf(st: Stats): string {
  return st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isFIFO() ? 'a named pipe' : st.isSocket() ? 'a socket' : st.isDirectory() ? 'a folder' : 'not a file';
}

/** stat (or lstat) of a path, undefined where nothing is there, also when a folder above it is a file (ENOTDIR). */
function statIfAny(p: string, link = false): Stats | undefined {
  try {
    return link ? lstatSync(p) : statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * A folder the command writes into (`eval --record DIR`, `export lerobot --out DIR`), checked before
 * any work so that a bad path is a usage error naming `flag`, not a raw fs error (exit 1) after it:
 * the path and every folder above it must be folders (or missing), none a broken link, and it must
 * be writable. Missing folders are made one level at a time (Node's recursive mkdir loops forever
 * under /proc, where mkdir fails with ENOENT); `keep: false` removes them again (a probe: the
 * command makes the folder itself once its input has been read).
 */
export function checkOutputDir(dir: string, flag: string, o: { keep: boolean; expected?: string }): void {
  const expected = o.expected ?? 'a folder that can be written (made if missing)';
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    const st = statIfAny(p);
    if (st) {
      if (!st.isDirectory()) throw new UsageError(flag, p === resolve(dir) ? `${dir} is a file, not a folder` : `${dir}: ${p} is a file, not a folder`, expected);
      break;
    }
    if (statIfAny(p, true)) throw new UsageError(flag, `${dir}: ${p} is a broken symbolic link`, expected);
    missing.unshift(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  if (missing.length === 0) {
    try {
      accessSync(p, constants.W_OK);
    } catch (e) {
      throw new UsageError(flag, `${dir} cannot be written (${(e as NodeJS.ErrnoException).code})`, expected);
    }
    return;
  }
  const made: string[] = [];
  try {
    for (const m of missing) {
      mkdirSync(m);
      made.push(m);
    }
  } catch (e) {
    throw new UsageError(flag, `${dir} cannot be made (${(e as NodeJS.ErrnoException).code} at ${missing[made.length]})`, expected);
  } finally {
    if (!o.keep || made.length < missing.length) for (const m of made.reverse()) rmdirSync(m);
  }
}

/**
 * A file the command writes, maybe only at its end (`eval --shard K/N --out FILE`, `manifest
 * from-isaaclab --out FILE`), checked before any work: not a folder, writable if it exists, and its
 * folder as checkOutputDir (made now when missing).
 */
export function checkOutputFile(file: string, flag: string, expected = 'a file path that can be written'): void {
  const st = statIfAny(file);
  if (st?.isDirectory()) throw new UsageError(flag, `${file} is a folder`, expected);
  if (st) {
    try {
      accessSync(file, constants.W_OK);
    } catch (e) {
      throw new UsageError(flag, `${file} cannot be written (${(e as NodeJS.ErrnoException).code})`, expected);
    }
    return;
  }
  checkOutputDir(dirname(resolve(file)), flag, { keep: true, expected: `${expected} (its folder exists or can be made)` });
  // A folder's access bits do not say whether a file can be made in it (/proc: writable to root,
  // yet no file can be created there): the file is created and removed again.
  try {
    closeSync(openSync(file, 'wx'));
    unlinkSync(file);
  } catch (e) {
    throw new UsageError(flag, `${file} cannot be made (${(e as NodeJS.ErrnoException).code ?? String(e)})`, expected);
  }
}

/**
 * A `--dataset DIR` (sim, eval, run, teleop): checked as export lerobot's --out is, before the run
 * (under /proc the dataset writer's recursive mkdir looped for ever, so the run never started nor
 * ended); the writer makes the folder itself when it opens the dataset.
 */
export function checkDatasetDir(dir: string): void {
  checkOutputDir(dir, '--dataset', { keep: false, expected: 'a dataset folder (made if missing, or appended to)' });
}

/**
 * An input file argument or flag (`<config>`, `--mjcf FILE`): it must exist, be a file, not a
 * folder (readFileSync's bare EISDIR, exit 1), and be readable; a UsageError naming the flag and
 * the path, before the command reads, connects or opens anything.
 */
export function checkInputFile(file: string, where: string, expected: string): void {
  const st = statIfAny(file);
  if (!st) throw new UsageError(where, `no such file ${file}`, expected);
  if (st.isDirectory()) throw new UsageError(where, `${file} is a folder`, expected);
  try {
    accessSync(file, constants.R_OK);
  } catch (e) {
    throw new UsageError(where, `${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, expected);
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
