/**
 * The files beside a dataset's tables that keep it whole when two processes or a kill meet it:
 *
 * - the writer lock (`.axon-lock`, created with O_EXCL, holding the writer's pid, host, start and
 *   command): one writer at a time, so that two runs cannot both append episode N to one data file
 *   (review R13 F5). A lock whose pid is gone on this host is stale (a killed writer) and reclaimed
 *   with a note; a lock from another host is never taken over.
 * - atomic file writes: to a temporary file in the same folder, fsync, rename, fsync of the folder,
 *   so that a reader (LeRobot globs every `data/*\/*.parquet`) sees the old file or the new one,
 *   never a half-written one (review R13 F8). Temporary names end in `.partial`, outside that glob.
 */
import { closeSync, constants, copyFileSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AxonError } from '../core/errors.ts';
import { makeDirs } from '../core/makeDirs.ts';

/** The writer lock, in the dataset folder. */
export const LOCK_PATH = '.axon-lock';

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  readonly command: string;
}

/** A held lock: `release()` removes it (only if it is still this one). */
export interface DatasetLock {
  readonly file: string;
  /** Set when a stale lock (its writer gone) was reclaimed: what the caller should tell the operator. */
  readonly note: string | undefined;
  release(): void;
}

/** A lock file a writer created but had not filled when it died is stale after this long (ms). */
const EMPTY_LOCK_STALE_MS = 10_000;

/**
 * Takes the writer lock of `dir` (created when missing), naming `command` as the writer. AxonError DATASET_BUSY naming the
 * dataset and the holder (pid, host, since, command) when another live writer holds it, this
 * process included (a second store on the same folder).
 */
export function lockDataset(dir: string, command?: string): DatasetLock {
  makeDirs(dir);
  const file = join(dir, LOCK_PATH);
  // `command`: the writer's command line (a worker thread's process.argv has none of it).
  const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command: command ?? ['axon', ...process.argv.slice(2)].join(' ') };
  let note: string | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new AxonError('DATASET_WRITE', file, `cannot be created (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'a dataset folder this process can write');
      const holder = readHolder(file);
      if (!isStale(file, holder) || attempt > 0)
        throw new AxonError(
          'DATASET_BUSY',
          dir,
          holder ? `is being written by pid ${holder.pid} on ${holder.host} since ${holder.since} (${holder.command})` : `is locked by ${file}, which a writer is creating`,
          `one writer at a time: wait for that run to end (or, if that process is gone from ${holder?.host ?? 'its host'}, remove ${file})`,
        );
      note = `${file}: reclaimed the lock of ${holder ? `pid ${holder.pid} (${holder.command}, since ${holder.since})` : 'a writer that died creating it'}, which is no longer running`;
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(me));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    let released = false;
    return {
      file,
      note,
      release() {
        if (released) return;
        released = true;
        const h = readHolder(file);
        if (h && h.pid === me.pid && h.host === me.host && h.since === me.since) rmSync(file, { force: true });
      },
    };
  }
  throw new Error('unreachable');
}

/** Who holds `dir`'s lock, when a live writer does (undefined: none, or a stale one). */
export function lockHolder(dir: string): LockHolder | undefined {
  const file = join(dir, LOCK_PATH);
  if (!existsSync(file)) return undefined;
  const h = readHolder(file);
  return h && !isStale(file, h) ? h : undefined;
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const x = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    return Number.isInteger(x?.pid) && typeof x.host === 'string' ? x : undefined;
  } catch {
    return undefined;
  }
}

/** A lock is stale when its pid is not running on this host, or when it was never filled in and is old. */
function isStale(file: string, h: LockHolder | undefined): boolean {
  if (h === undefined) {
    try {
      return Date.now() - statSync(file).mtimeMs > EMPTY_LOCK_STALE_MS;
    } catch {
      return true;
    }
  }
  if (h.host !== hostname()) return false;
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  // A killed writer its parent has not reaped yet still answers kill 0 (Linux: state Z).
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${h.pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The temporary name of `file` while it is written: hidden, and outside LeRobot's `*.parquet` glob. */
export function partialPath(file: string): string {
  return join(dirname(file), `.${basename(file)}.partial`);
}

/** Writes `b` to `file` atomically: temporary file, fsync, rename, fsync of the folder. */
export function writeFileAtomic(file: string, b: Uint8Array): void {
  makeDirs(dirname(file));
  const tmp = partialPath(file);
  const fd = openSync(tmp, 'w');
  try {
    writeAll(fd, b, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  commit(tmp, file);
}

export function writeJsonAtomic(file: string, x: unknown): void {
  writeFileAtomic(file, new TextEncoder().encode(JSON.stringify(x, null, 4)));
}

/**
 * `file` with `bytes` written at byte `at` and cut there after them, atomically (copy-on-write: a
 * copy of `file`, or a new file when it is missing, is changed and renamed over it). `head`: the
 * bytes a new file starts with.
 */
export function patchFileAtomic(file: string, at: number, bytes: Uint8Array, head?: Uint8Array): void {
  const tmp = partialPath(file);
  makeDirs(dirname(file));
  const old = existsSync(file);
  if (old) copyFileSync(file, tmp, constants.COPYFILE_FICLONE);
  const fd = openSync(tmp, old ? 'r+' : 'w');
  try {
    if (head) writeAll(fd, head, 0);
    writeAll(fd, bytes, at);
    ftruncateSync(fd, at + bytes.length); // the file ends after the new bytes
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  commit(tmp, file);
}

function commit(tmp: string, file: string): void {
  renameSync(tmp, file);
  try {
    const d = openSync(dirname(file), 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // A folder that cannot be opened for fsync (some filesystems): the rename stands.
  }
}

export function writeAll(fd: number, b: Uint8Array, at: number): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off, at + off);
}
