/**
 * The files beside a dataset's tables that keep it whole when two processes or a kill meet it:
 *
 * - the writer lock (`.axon-lock`, created with O_EXCL, holding the writer's pid, host, start and
 *   command, and on Linux its boot id, pid namespace and process start time): one writer at a time,
 *   so that two runs cannot both append episode N to one data file (review R13 F5). A lock whose
 *   writer is gone (docs/dataset.md "How it is written") is reclaimed with a note, exclusively (R17
 *   F5); a lock from another host or another pid namespace is never taken over (R17 F8).
 * - atomic file writes: to a temporary file in the same folder, fsync, rename, fsync of the folder,
 *   so that a reader (LeRobot globs every `data/*\/*.parquet`) sees the old file or the new one,
 *   never a half-written one (review R13 F8). Temporary names end in `.partial`, outside that glob.
 */
import { closeSync, constants, copyFileSync, existsSync, fsyncSync, ftruncateSync, linkSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
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
  /** Linux: /proc/sys/kernel/random/boot_id, the pid namespace (/proc/self/ns/pid) and the start time (field 22 of /proc/PID/stat). */
  readonly bootId?: string;
  readonly pidns?: string;
  readonly startTime?: string;
}

/** A held lock: `release()` removes it (only if it is still this one). */
export interface DatasetLock {
  readonly file: string;
  /** Set when a stale lock (its writer gone) was reclaimed: what the caller should tell the operator. */
  readonly note: string | undefined;
  release(): void;
}

/** Test hook: called when a writer has found the lock stale, before it takes it over (a race test runs a second writer there). */
export const lockHooks: { beforeTakeover?: (file: string) => void; /** Tests: how long a writer waits for another's take-over (default RECLAIM_WAIT_MS). */ reclaimWaitMs?: number } = {};

/** A lock file a writer created but had not filled when it died is stale after this long (ms). */
const EMPTY_LOCK_STALE_MS = 10_000;
/**
 * A `.reclaim` marker holds its writer (as the lock does) and is stale by the lock's rules
 * (`isStale`); one that names no writer (a writer that died between creating and filling it, or
 * a power cut before it reached the disk), or whose writer cannot be checked from here (another host
 * or pid namespace), is stale when its mtime is this far from now, either way (a clock set back
 * after a power cut) (ms). A take-over holds it for milliseconds.
 */
const RECLAIM_STALE_MS = 5_000;
/** How long a writer waits for another's take-over before it is refused (ms). */
const RECLAIM_WAIT_MS = 3_000;

/**
 * Takes the writer lock of `dir` (created when missing), naming `command` as the writer. AxonError DATASET_BUSY naming the
 * dataset and the holder (pid, host, since, command) when another live writer holds it, this
 * process included (a second store on the same folder). A stale lock is taken over under
 * `.axon-lock.reclaim` (O_EXCL), re-read there, so that of two writers meeting one stale lock only
 * one takes it (review R17 F5).
 */
export function lockDataset(dir: string, command?: string): DatasetLock {
  makeDirs(dir);
  const file = join(dir, LOCK_PATH);
  const ids = procIds();
  // `command`: the writer's command line (a worker thread's process.argv has none of it).
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    command: command ?? ['axon', ...process.argv.slice(2)].join(' '),
    ...(ids ? { bootId: ids.bootId, pidns: ids.pidns, startTime: startTimeOf(process.pid) } : {}),
  };
  let note: string | undefined;
  const deadline = Date.now() + (lockHooks.reclaimWaitMs ?? RECLAIM_WAIT_MS);
  for (;;) {
    let fd = tryCreate(file);
    if (fd === undefined) {
      const raw = readRaw(file);
      if (raw === undefined) {
        if (existsSync(file)) throw busy(dir, file, undefined); // there, but unreadable
        continue; // removed meanwhile: try again
      }
      const holder = parseHolder(raw);
      if (!isStale(file, holder)) throw busy(dir, file, holder);
      lockHooks.beforeTakeover?.(file);
      const reclaim = `${file}.reclaim`;
      const rfd = tryCreate(reclaim);
      if (rfd === undefined) {
        // Another writer is taking it over, or died doing so: a marker whose writer is gone is
        // removed by the lock's own rules (boot id, pid namespace, start time), not left to block
        // every later writer.
        const markerRaw = readRaw(reclaim);
        if (markerRaw === undefined) continue; // removed meanwhile
        if (isStaleMarker(reclaim, markerRaw)) removeStaleMarker(reclaim, markerRaw);
        else if (Date.now() > deadline) throw busyTakingOver(dir, reclaim, parseHolder(markerRaw));
        else sleepMs(20);
        continue;
      }
      try {
        writeSync(rfd, JSON.stringify(me));
      } finally {
        closeSync(rfd);
      }
      try {
        // Under the marker: still the stale lock this writer judged? (Another may have taken it over already.)
        if (readRaw(file) !== raw) continue;
        rmSync(file, { force: true });
        fd = tryCreate(file);
        if (fd === undefined) continue; // a writer that found no lock created one meanwhile: judged anew
        note = `${file}: reclaimed the lock of ${holder ? `pid ${holder.pid} (${holder.command}, since ${holder.since})` : 'a writer that died creating it'}, which is no longer running`;
      } finally {
        rmSync(reclaim, { force: true });
      }
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
}

/** Who holds `dir`'s lock, when a live writer does (undefined: none, or a stale one). */
export function lockHolder(dir: string): LockHolder | undefined {
  const file = join(dir, LOCK_PATH);
  if (!existsSync(file)) return undefined;
  const h = readHolder(file);
  return h && !isStale(file, h) ? h : undefined;
}

/** A `.reclaim` marker whose writer is gone (see RECLAIM_STALE_MS). */
function isStaleMarker(file: string, raw: string): boolean {
  const h = parseHolder(raw);
  if (h !== undefined && isStale(file, h)) return true;
  if (h !== undefined && checkable(h)) return false; // a live writer of this host, boot and namespace
  return Math.abs(mtimeAge(file)) > RECLAIM_STALE_MS;
}

/**
 * Removes a stale marker only if it is still the one judged stale: it is renamed aside first (one
 * writer of several wins the rename), and a marker another writer created meanwhile is put back.
 */
function removeStaleMarker(file: string, raw: string): void {
  const aside = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // gone already
  }
  if (readRaw(aside) !== raw)
    try {
      linkSync(aside, file); // another writer's fresh marker: back where it was
    } catch {
      // A third writer created one meanwhile: it holds the take-over.
    }
  rmSync(aside, { force: true });
}

/** Whether `h`'s liveness can be told from here: this host, and (where /proc has them) this boot and pid namespace. */
function checkable(h: LockHolder): boolean {
  if (h.host !== hostname()) return false;
  const ids = procIds();
  return ids === undefined || h.bootId === undefined || (h.bootId === ids.bootId && h.pidns === ids.pidns);
}

function busyTakingOver(dir: string, marker: string, h: LockHolder | undefined): AxonError {
  return new AxonError(
    'DATASET_BUSY',
    dir,
    `its stale lock is being taken over by ${h ? `pid ${h.pid} on ${h.host} since ${h.since} (${h.command})` : 'another writer'} (${marker})`,
    `one writer at a time: run again once that writer has the lock (or, if you are sure that process is gone from ${h?.host ?? 'its host'}, remove ${marker} by hand)`,
  );
}

function busy(dir: string, file: string, holder: LockHolder | undefined): AxonError {
  const ids = procIds();
  const elsewhere = holder && holder.host === hostname() && ids && holder.pidns !== undefined && holder.pidns !== ids.pidns && holder.bootId === ids.bootId;
  return new AxonError(
    'DATASET_BUSY',
    dir,
    holder
      ? `is being written by pid ${holder.pid} on ${holder.host}${elsewhere ? ` in pid namespace ${holder.pidns} (a container, or the host seen from one; this process is in ${ids.pidns}, where that pid cannot be checked)` : ''} since ${holder.since} (${holder.command})`
      : `is locked by ${file}, which a writer is creating`,
    `one writer at a time: wait for that run to end (or, if you are sure that process is gone from ${holder?.host ?? 'its host'}${elsewhere ? ` (pid namespace ${holder.pidns})` : ''}, remove ${file} by hand)`,
  );
}

/** O_EXCL create; undefined when the file exists. */
function tryCreate(file: string): number | undefined {
  try {
    return openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw new AxonError('DATASET_WRITE', file, `cannot be created (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'a dataset folder this process can write');
  }
}

function readRaw(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function mtimeAge(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function readHolder(file: string): LockHolder | undefined {
  const raw = readRaw(file);
  return raw === undefined ? undefined : parseHolder(raw);
}

function parseHolder(raw: string): LockHolder | undefined {
  try {
    const x = JSON.parse(raw) as LockHolder;
    return Number.isInteger(x?.pid) && typeof x.host === 'string' ? x : undefined;
  } catch {
    return undefined;
  }
}

/** This boot's id and this process's pid namespace; undefined where /proc lacks them (not Linux). */
let ids: { bootId: string; pidns: string } | null | undefined;
function procIds(): { bootId: string; pidns: string } | undefined {
  if (ids === undefined) {
    try {
      ids = { bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), pidns: readlinkSync('/proc/self/ns/pid') };
    } catch {
      ids = null;
    }
  }
  return ids ?? undefined;
}

/** /proc/PID/stat: the state (field 3) and the start time in clock ticks since boot (field 22); undefined when gone. */
function procStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0], startTime: f[19] };
  } catch {
    return undefined;
  }
}

function startTimeOf(pid: number): string | undefined {
  return procStat(pid)?.startTime;
}

/** This host's boot time (ms since the epoch), from /proc/stat; undefined without it. */
function bootTimeMs(): number | undefined {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    return m ? Number(m[1]) * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A lock is stale (its writer gone) when it was never filled in and is old; or, from this host:
 * from an earlier boot, or from this boot and pid namespace with its pid not running or running
 * another process (another start time), or a zombie. A lock from another host or another pid
 * namespace (a container) is never stale: its pid cannot be checked from here (review R17 F8, F1).
 * Without /proc (or for a lock written without it) the pid alone decides.
 */
function isStale(file: string, h: LockHolder | undefined): boolean {
  if (h === undefined) return mtimeAge(file) > EMPTY_LOCK_STALE_MS || !existsSync(file);
  if (h.host !== hostname()) return false;
  const ids = procIds();
  const checkStart = ids !== undefined && h.bootId !== undefined;
  if (ids && h.bootId !== undefined) {
    if (h.bootId !== ids.bootId) return true;
    if (h.pidns !== ids.pidns) return false;
  } else if (ids) {
    // A lock written without a boot id (an older axon): one dated before this boot is stale.
    const boot = bootTimeMs();
    const since = Date.parse(h.since);
    if (boot !== undefined && Number.isFinite(since) && since < boot) return true;
  }
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const st = procStat(h.pid);
  if (st === undefined) return false;
  // A killed writer its parent has not reaped yet still answers kill 0 (Linux: state Z).
  if (st.state === 'Z') return true;
  return checkStart && h.startTime !== undefined && st.startTime !== h.startTime;
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
