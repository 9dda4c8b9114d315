import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelFolder } from '../model/manifest.ts';

/** Content hash of a model folder: sha256 over manifest.json and the ONNX file it names. */
export function modelHash(dir: string): string {
  const folder = loadModelFolder(dir);
  const h = createHash('sha256');
  h.update(readFileSync(join(folder.dir, 'manifest.json')));
  h.update(readFileSync(folder.onnxPath));
  return h.digest('hex');
}
