import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxonError } from '../../src/core/errors.ts';
import { parseUrdf, type UrdfModel } from './parseUrdf.ts';

export interface LoadUrdfOptions {
  /** Folders searched for package://PKG mesh paths (`--urdf-package-path`); $ROS_PACKAGE_PATH is added. */
  readonly packagePaths?: readonly string[];
  /** 'optional' under `--mesh-collision none`: a missing collision mesh is noted, not an error (ParseUrdfOptions). */
  readonly collisionMeshes?: 'required' | 'optional';
}

/**
 * Reads and parses a URDF file (configure time; synchronous). Errors name the file. Mesh
 * filenames are resolved against the file's folder and the package paths, and must exist (a
 * collision mesh need not under `collisionMeshes: 'optional'`).
 */
export function loadUrdf(path: string | URL, options: LoadUrdfOptions = {}): UrdfModel {
  const file = typeof path === 'string' ? path : fileURLToPath(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AxonError('URDF_FILE', file, `cannot be read: ${(e as Error).message}`, 'a readable URDF file');
  }
  return parseUrdf(text, { source: file, baseDir: dirname(file), packagePaths: options.packagePaths ?? [], ...(options.collisionMeshes ? { collisionMeshes: options.collisionMeshes } : {}) });
}
