/** Reading parquet files back (hyparquet): rows as objects, optionally a row range and some columns. */
import { readFileSync } from 'node:fs';
import { parquetReadObjects } from 'hyparquet';
import { AxonError } from '../core/errors.ts';

export async function readParquetRows(file: string, o: { rowStart?: number; rowEnd?: number; columns?: string[] } = {}): Promise<Record<string, unknown>[]> {
  let b: Buffer;
  try {
    b = readFileSync(file);
  } catch (e) {
    throw new AxonError('DATASET_READ', file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'a parquet file of a LeRobot dataset');
  }
  const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  try {
    return (await parquetReadObjects({ file: ab, ...o })) as Record<string, unknown>[];
  } catch (e) {
    throw new AxonError('DATASET_READ', file, `is not a readable parquet file (${(e as Error).message})`, 'a parquet file of a LeRobot dataset');
  }
}
