/**
 * A dataset's JSON files (meta/info.json, meta/stats.json, the journal) read as data, so that a
 * file a disk or an interrupted copy broke is an AxonError naming it (docs/style.md 5), not the
 * JSON parser's message on its own.
 */
import { readFileSync } from 'node:fs';
import { AxonError, oneLineMessage } from '../core/errors.ts';

/** The parsed JSON of `file`; AxonError DATASET_READ naming the file and `expected` when it cannot be read or is not JSON. */
export function readJsonFile(file: string, expected: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AxonError('DATASET_READ', file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, expected);
  }
  if (text.trim() === '') throw new AxonError('DATASET_READ', file, `is empty (${text.length} bytes)`, expected);
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8 quotes the text around the fault, newlines and all: one line on stderr.
    throw new AxonError('DATASET_READ', file, `is not valid JSON (${oneLineMessage(e)})`, expected);
  }
}
