/**
 * vitest globalSetup: every temporary file of a test run goes into one folder that is removed when
 * the run ends. Tests and the CLIs they start call os.tmpdir(), which reads TMPDIR on each call; the
 * test workers and their child processes inherit it from here. A run that crashes leaves the one
 * folder (named axon-test-run-*) instead of thousands of axon-* folders beside it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'axon-test-run-'));
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true });
  };
}
