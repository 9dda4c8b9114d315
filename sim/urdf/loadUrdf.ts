import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AxonError } from '../../src/core/errors.ts';
import { parseUrdf, type UrdfModel } from './parseUrdf.ts';

/** Reads and parses a URDF file (configure time; synchronous). Errors name the file. */
export function loadUrdf(path: string | URL): UrdfModel {
  const file = typeof path === 'string' ? path : fileURLToPath(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AxonError('URDF_FILE', file, `cannot be read: ${(e as Error).message}`, 'a readable URDF file');
  }
  return parseUrdf(text, { source: file });
}
