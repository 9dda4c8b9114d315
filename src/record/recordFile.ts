/**
 * The recording file: opened on the loop's thread at attach time (a bad path fails there, at once),
 * written by the recorder's writer thread through the same file descriptor (threads share the
 * process's descriptors), and zstd for its chunks.
 */
import { fstatSync, ftruncateSync, openSync, statSync, write as fsWrite } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { IWritable } from '@mcap/core';
import { AxonError } from '../core/errors.ts';

/**
 * Creates (or truncates) a recording file; AxonError RECORD_FILE when it cannot be written, naming
 * why where the code alone does not say it (ENOENT: the folder is missing, and it is not made;
 * EISDIR, ENOTDIR).
 */
export function openRecordFile(file: string): number {
  try {
    return openSync(file, 'w');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const dir = dirname(resolve(file));
    const why = code === 'ENOENT' && !statSync(dir, { throwIfNoEntry: false }) ? `its folder ${dir} does not exist` : code === 'EISDIR' ? 'it is a folder' : code === 'ENOTDIR' ? 'a folder on its path is a file' : `cannot be written (${code ?? (e as Error).message})`;
    throw new AxonError('RECORD_FILE', file, why, 'a writable file path for --record, in a folder that exists');
  }
}

/**
 * An IWritable over a plain file descriptor (closed by its owner, not here). A write that fails
 * (disk full, I/O error) after writing part of its buffer is cut back: the file is truncated to the
 * end of the last whole write (shrinking a file needs no free space), so that it ends on a whole
 * MCAP record and holds exactly `position()` bytes, the bytes the recorder counts (review R30 F1).
 * `failAfterBytes` (tests): a disk that fills up there: the write that crosses it writes up to it,
 * then fails as write(2) does on a full disk (ENOSPC), and so does every later one.
 */
export class FdWritable implements IWritable {
  private pos = 0n;
  constructor(
    private readonly fd: number,
    private readonly failAfterBytes?: number,
  ) {}
  position(): bigint {
    return this.pos;
  }
  async write(buffer: Uint8Array): Promise<void> {
    try {
      await this.writeAll(buffer);
    } catch (e) {
      this.cutBack();
      throw e;
    }
    this.pos += BigInt(buffer.byteLength);
  }
  private async writeAll(buffer: Uint8Array): Promise<void> {
    let off = 0;
    if (this.failAfterBytes !== undefined && Number(this.pos) + buffer.byteLength > this.failAfterBytes) {
      const room = Math.max(0, this.failAfterBytes - Number(this.pos));
      if (room > 0) await new Promise<void>((resolve, reject) => fsWrite(this.fd, buffer, 0, room, null, (err) => (err ? reject(err) : resolve())));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    }
    while (off < buffer.byteLength) {
      off += await new Promise<number>((resolve, reject) =>
        fsWrite(this.fd, buffer, off, buffer.byteLength - off, null, (err, n) => (err ? reject(err) : resolve(n))),
      );
    }
  }
  /** The part of a failed write that reached the file, removed. A file that cannot be truncated (/dev/full, a pipe) is left as it is: its reader stops at the cut record. */
  private cutBack(): void {
    try {
      ftruncateSync(this.fd, Number(this.pos));
    } catch {
      // Nothing more to do: the write's own error is the one reported.
    }
  }
}

type ZstdModule = { isLoaded: Promise<boolean>; compress(b: Uint8Array, level?: number): Uint8Array };
let _zstd: Promise<ZstdModule> | undefined;
/** @foxglove/wasm-zstd, loaded once per thread (WebAssembly inside the package: works offline). */
export function loadZstd(): Promise<ZstdModule> {
  return (_zstd ??= import('@foxglove/wasm-zstd').then(async (m) => {
    const z = ((m as { default?: ZstdModule }).default ?? m) as ZstdModule;
    await z.isLoaded;
    return z;
  }));
}

/**
 * Undefined while `file` still names the recording's file (the descriptor's: same device and
 * inode); else why not: no file at that path now, or another one. A device or
 * a pipe given as the file (/dev/full, /dev/stdout) is not checked.
 */
export function linkLost(fd: number, file: string): string | undefined {
  try {
    const own = fstatSync(fd);
    if (!own.isFile()) return undefined;
    const now = statSync(file, { throwIfNoEntry: false });
    if (now !== undefined && now.dev === own.dev && now.ino === own.ino) return undefined;
    return `${file} was removed or replaced during the run (${now === undefined ? 'no file at that path now' : 'another file at that path now'}): none of the ticks written to it are there`;
  } catch {
    return undefined; // cannot tell: the write errors, if any, say what happened
  }
}
