/**
 * `mkdir -p` that always ends. Node 20's `mkdirSync(p, { recursive: true })` loops for ever where
 * mkdir fails with ENOENT under an existing folder (/proc/x: checked by hand, `timeout 5 node -e
 * "require('fs').mkdirSync('/proc/foo', {recursive: true})"` exits 124); this makes the missing
 * folders one level at a time and throws the first failure: AxonError MAKE_DIR naming the folder it
 * could not make and why (the errno).
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AxonError } from './errors.ts';

/** Makes `dir` and the folders above it that are missing; returns those it made, outermost first. */
export function makeDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let p = resolve(dir); ; ) {
    if (exists(p)) break;
    missing.unshift(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  const made: string[] = [];
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Made meanwhile by another writer: fine, as mkdir -p.
      if (code === 'EEXIST') continue;
      throw new AxonError('MAKE_DIR', m, `cannot be made (${code ?? String(e)})${m === resolve(dir) ? '' : ` on the way to ${dir}`}`, 'a folder that can be made');
    }
    made.push(m);
  }
  return made;
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}
