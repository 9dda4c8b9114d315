import { expect } from 'vitest';
import { AxonError } from '../../src/core/errors.ts';
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

/**
 * The AxonError that building a robot throws (`build` returns a promise of something with
 * dispose(), as createMujocoMjcfRobot and createMujocoUrdfRobot do); a robot built instead is
 * disposed and the test fails.
 */
export async function buildRefusal(build: () => Promise<{ dispose(): void }>): Promise<AxonError> {
  const e = await build().then(
    (r) => {
      r.dispose();
      return undefined;
    },
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AxonError);
  return e as AxonError;
}

/** The AxonError that `p` rejects with; the test fails if it resolves or rejects with anything else. */
export async function axonErrorOf(p: Promise<unknown>): Promise<AxonError> {
  try {
    await p;
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(AxonError);
    return e as AxonError;
  }
  throw new Error('expected an AxonError');
}
