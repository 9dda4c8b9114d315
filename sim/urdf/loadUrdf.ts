import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxonError } from '../../src/core/errors.ts';
import { parseUrdf, type UrdfModel, type UrdfSource } from './parseUrdf.ts';

export interface LoadUrdfOptions {
  /** Folders searched for package://PKG mesh paths (`--urdf-package-path`); $ROS_PACKAGE_PATH is added. */
  readonly packagePaths?: readonly string[];
  /** 'optional' under `--mesh-collision none`: a missing collision mesh is noted, not an error (ParseUrdfOptions). */
  readonly collisionMeshes?: 'required' | 'optional';
}

/**
 * Reads and parses a URDF file (configure time; synchronous), keeping the bytes read and their
 * sha256 as `source`. Errors name the file. Mesh
 * filenames are resolved against the file's folder and the package paths, and must exist (a
 * collision mesh need not under `collisionMeshes: 'optional'`).
 */
export function loadUrdf(path: string | URL, options: LoadUrdfOptions = {}): UrdfModel {
  const file = typeof path === 'string' ? path : fileURLToPath(path);
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    throw new AxonError('URDF_FILE', file, `cannot be read: ${(e as Error).message}`, 'a readable URDF file');
  }
  const model = parseUrdf(data.toString('utf8'), { source: file, baseDir: dirname(file), packagePaths: options.packagePaths ?? [], ...(options.collisionMeshes ? { collisionMeshes: options.collisionMeshes } : {}) });
  // The bytes parsed, hashed once: a file saved again later is not the one this model is.
  const source: UrdfSource = { data, sha256: createHash('sha256').update(data).digest('hex'), bytes: data.byteLength };
  return { ...model, source };
}
