/**
 * The recording file: opened on the loop's thread at attach time (a bad path fails there, at once),
 * written by the recorder's writer thread through the same file descriptor (threads share the
 * process's descriptors), and zstd for its chunks.
 */
import { openSync, write as fsWrite } from 'node:fs';
import type { IWritable } from '@mcap/core';
import { AxonError } from '../core/errors.ts';

/** Creates (or truncates) a recording file; AxonError RECORD_FILE when it cannot be written. */
export function openRecordFile(file: string): number {
  try {
    return openSync(file, 'w');
  } catch (e) {
    throw new AxonError('RECORD_FILE', file, `cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'a writable file path for --record');
  }
}

/** An IWritable over a plain file descriptor (closed by its owner, not here). */
export class FdWritable implements IWritable {
  private pos = 0n;
  constructor(private readonly fd: number) {}
  position(): bigint {
    return this.pos;
  }
  async write(buffer: Uint8Array): Promise<void> {
    let off = 0;
    while (off < buffer.byteLength) {
      off += await new Promise<number>((resolve, reject) =>
        fsWrite(this.fd, buffer, off, buffer.byteLength - off, null, (err, n) => (err ? reject(err) : resolve(n))),
      );
    }
    this.pos += BigInt(buffer.byteLength);
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
