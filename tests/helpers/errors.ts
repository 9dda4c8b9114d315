import { expect } from 'vitest';
import { ManifestError } from '../../src/model/manifest.ts';

/** Runs `f`, which must throw a ManifestError, and returns it for the test to inspect. */
export function manifestErrorOf(f: () => unknown): ManifestError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return e as ManifestError;
  }
  throw new Error('expected a ManifestError');
}
