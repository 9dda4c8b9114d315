/**
 * The sha256 an MJCF robot is named by (a bridge server's hello.robotFile, a recording's
 * served_model; hardware/PROTOCOL.md section 4, "robotFile of an MJCF"): over what MuJoCo
 * compiles, the model file and every file it `<include>`s, not the model file alone (two copies
 * whose top files are alike but whose included hand differs are different robots).
 *
 * The files, in include order: the model file, then each `<include file>` in document order,
 * depth first (an included file's own includes right after it), each file once, where it is first
 * included. An include's path is resolved as MuJoCo 3.14 resolves it against the files axon gives
 * it (mjcfFolder.ts; checkMjcfNumbers does the first two): against the model's folder, and for a
 * path written in an included file elsewhere, then against that file's folder; failing both, a
 * file of the same name anywhere under the model's folder (MuJoCo's third place: a file of that
 * name anywhere in its virtual file system, which holds the model's folder), the first in
 * directory order, dot-folders skipped, as mjcfFolder.ts walks it.
 *
 * What is hashed: the model file's bytes, then for each included file a NUL byte, its name as
 * the `<include file>` that first included it writes it ('\\' made '/', then normalised as a POSIX
 * path: `./motors.xml` is `motors.xml`; UTF-8), a NUL byte, its size in bytes (decimal ASCII), a
 * NUL byte, and its bytes. Not its path on disk: the same files give the same digest whatever
 * folder holds them and however MuJoCo found them (a model file given through a symlink finds its
 * includes in the link target's folder by the third place; a plain copy of that folder finds them
 * beside it, and both hash alike; review R3 F3). A model that includes nothing is hashed as its bytes alone,
 * as before includes were covered. `bytes` is the files' sizes summed. Configure time only.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, posix, resolve } from 'node:path';
import { AxonError } from '../../src/core/errors.ts';
import type { FileBytes } from '../../src/record/drawingMeta.ts';
import { filesUnder, mjcfIncludes } from './mjcfFolder.ts';

/** One file the digest covers: its name (the model file's file name; an include's path as written, normalised), and its bytes. */
export interface MjcfDigestFile {
  readonly name: string;
  readonly data: Uint8Array;
}

/** The digest of an MJCF and its includes; `data` is the bytes hashed (the model file's bytes alone when it includes nothing). */
export interface MjcfDigest extends FileBytes {
  /** The files covered, in include order (the model file first, named by its file name). */
  readonly files: readonly MjcfDigestFile[];
}

/**
 * The MJCF `file` and what it includes, hashed as above. `read` gives a file's bytes by absolute
 * path (default: from disk; a compiled model passes the bytes MuJoCo was given, MjcfFiles.sources)
 * and throws as readFileSync does. AxonError MJCF_INCLUDE naming the include and the file that
 * includes it when no candidate can be read, or when it is an include cycle (a file already being
 * included, however its path is spelled: the files are compared by absolute path); MUJOCO_MJCF_FILE when the model file cannot.
 */
export function mjcfDigest(file: string, read: (path: string) => Uint8Array = (p) => readFileSync(p)): MjcfDigest {
  const main = resolve(file);
  const root = dirname(main);
  const files: MjcfDigestFile[] = [];
  const seen = new Set<string>();
  // The files being included, outermost first: one met again on it is an include cycle.
  const stack: string[] = [];
  const visit = (path: string, data: Uint8Array, name: string) => {
    seen.add(path);
    stack.push(path);
    files.push({ name, data });
    for (const inc of mjcfIncludes(new TextDecoder().decode(data))) {
      const candidates = [...new Set(dirname(path) === root ? [resolve(root, inc)] : [resolve(root, inc), resolve(dirname(path), inc)])];
      let found: { path: string; data: Uint8Array } | undefined;
      const why: string[] = [];
      for (const c of candidates) {
        try {
          found = { path: c, data: read(c) };
          break;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          why.push(`${c} (${code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : code === 'EISDIR' ? 'a folder' : (code ?? (e as Error).message)})`);
        }
      }
      const where = `${path === main ? file : path} <include file="${inc}">`;
      const elsewhere = found ? undefined : sameNameUnder(root, basename(inc));
      if (elsewhere !== undefined && !candidates.includes(elsewhere)) {
        try {
          found = { path: elsewhere, data: read(elsewhere) };
        } catch (e) {
          why.push(`${elsewhere} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        }
      }
      if (!found) throw new AxonError('MJCF_INCLUDE', where, `cannot be read: ${why.join(', ')}`, 'the included file, where MuJoCo looks for it (the model\'s folder, then the including file\'s): a copy of the whole model folder');
      // A cycle through another spelling of the path (sub/c.xml including ../f/sub/c.xml, itself) ran
      // MuJoCo 3.14 into a WebAssembly trap, "memory access out of bounds" (review R24 F7): refused here.
      if (stack.includes(found.path)) {
        const shown = (p: string) => (p === main ? file : p);
        throw new AxonError(
          'MJCF_INCLUDE',
          where,
          `is an include cycle: it names ${shown(found.path)}, which is already being included (${[...stack.slice(stack.indexOf(found.path)), found.path].map(shown).join(' → ')})`,
          'includes that form no cycle (each file included from outside itself)',
        );
      }
      if (!seen.has(found.path)) visit(found.path, found.data, posix.normalize(inc.replace(/\\/g, '/')));
    }
    stack.pop();
  };
  let top: Uint8Array;
  try {
    top = read(main);
  } catch (e) {
    throw new AxonError('MUJOCO_MJCF_FILE', file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'a readable MJCF model file');
  }
  visit(main, top, basename(main));
  const d = digestOfFiles(files);
  return files.length > 1 ? { ...d, lineEndingSha256: () => lineEndingDigests(d) } : d;
}

/** The first file named `name` under `dir`, in the order filesUnder walks it (mjcfFolder.ts), or undefined. */
function sameNameUnder(dir: string, name: string): string | undefined {
  for (const f of filesUnder(dir)) if (f.name === name) return f.path;
  return undefined;
}

/** The digest of `files` (the model file first) as defined above. */
export function digestOfFiles(files: readonly MjcfDigestFile[]): MjcfDigest {
  const parts: Uint8Array[] = [files[0].data];
  for (const f of files.slice(1)) parts.push(Buffer.from(`\0${f.name}\0${f.data.byteLength}\0`, 'utf8'), f.data);
  const data = parts.length === 1 ? files[0].data : new Uint8Array(Buffer.concat(parts));
  const bytes = files.reduce((n, f) => n + f.data.byteLength, 0);
  return { data, sha256: createHash('sha256').update(data).digest('hex'), bytes, files };
}

/**
 * The sha256s of the same files with their line ends made alike (CRLF to LF, and LF to CRLF),
 * each file on its own: a copy checked out on another system is the served model but for its
 * line ends (drawingMeta.ts's check, for a model of several files).
 */
export function lineEndingDigests(d: MjcfDigest): string[] {
  const map = (fn: (t: string) => string) => digestOfFiles(d.files.map((f) => ({ name: f.name, data: new Uint8Array(Buffer.from(fn(Buffer.from(f.data).toString('latin1')), 'latin1')) }))).sha256;
  const lf = (t: string) => t.replace(/\r\n/g, '\n');
  return [...new Set([map(lf), map((t) => lf(t).replace(/\n/g, '\r\n'))])].filter((h) => h !== d.sha256);
}
