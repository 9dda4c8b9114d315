/**
 * An MJCF model's files in MuJoCo's virtual file system (`--mjcf FILE`), so that the model reads
 * as it does on its maker's disk: every file under the model's folder under its path relative to
 * that folder, and, outside it, only the files the model names: its `<include>`s (and theirs) and
 * the files its assets name (`file`, a cubemap's `fileright`...), each resolved as MuJoCo 3.14
 * looks for it, under `<compiler meshdir texturedir assetdir>`: from the model's folder, and for a
 * path an included file writes, from that file's folder too (MuJoCo tries the model's first, then
 * the included file's, then a file of the same name anywhere in the virtual file system). humanoid-gym keeps its MJCF in XBot/mjcf/ and its
 * meshes in XBot/meshes/ (meshdir="../meshes/"): those go in as "../meshes/base_link.STL", which
 * MuJoCo resolves against the model's folder as a path on disk. A meshdir of "../" brings in the
 * meshes the model names, not the whole parent folder (a repository's other robots, its build
 * output). An absolute path goes in under that path.
 *
 * The model file and every file it includes are MJCF whatever their extension (`robot.mjcf`), and go
 * in as MuJoCo 3.14 reads them: MuJoCo removed sensor noise in 3.1.4 and now refuses `<option><flag
 * sensornoise="...">` (an unrecognized attribute), which models written for earlier versions carry
 * (humanoid-gym's XBot-L.xml, for MuJoCo 2.3); the attribute is taken out, its line kept, and noted.
 * A file's bytes are changed only there: every other byte goes in as on disk (a Latin-1 name too).
 *
 * What cannot be read on disk (a folder without permission, a broken link) is skipped, noted
 * (MUJOCO_MJCF_UNREADABLE) and remembered, so that MuJoCo's "Error opening file" can say why
 * (`whyMissing`). Configure time only.
 */
import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { MjVFS } from '@mujoco/mujoco';
import { AxonError } from '../../src/core/errors.ts';
import type { UrdfNote } from '../urdf/parseUrdf.ts';
import { meshBytesForMujoco } from './loadMujoco.ts';

/** Bytes of model and asset files one model may put in the virtual file system. */
export const MJCF_MAX_BYTES = 200e6;

/** What went into the virtual file system. */
export interface MjcfFiles {
  /** The model file's bytes as MuJoCo gets them (to parse as an mjSpec against the same files). */
  readonly main: Uint8Array;
  /**
   * The model file's bytes as read from disk, before any change: the bytes this model was compiled
   * from, which a served robot's sha256 is of (hello.robotFile), so the file is not read again.
   */
  readonly source: Uint8Array;
  /** The names given to the virtual file system, in the order they went in. */
  readonly names: readonly string[];
  /** Paths on disk that could not be read, with why (EACCES, a broken link): not in the file system. */
  readonly unreadable: ReadonlyMap<string, string>;
  /** Every MJCF file read (the model and what it includes, by absolute path), its bytes as on disk: what mjcfDigest hashes. */
  readonly sources: ReadonlyMap<string, Uint8Array>;
}

/**
 * Puts the model's files into `vfs` (see above), noting what was changed or skipped on the way.
 * `maxBytes` (tests) bounds the bytes put in; past it MUJOCO_MJCF_FOLDER names the model's folder,
 * or the file outside it that went past.
 */
export function addMjcfFiles(vfs: MjVFS, file: string, notes: UrdfNote[], o: { readonly maxBytes?: number } = {}): MjcfFiles {
  const mainPath = resolve(file);
  const root = dirname(mainPath);
  const maxBytes = o.maxBytes ?? MJCF_MAX_BYTES;
  const mb = `${maxBytes / 1e6} MB`;
  const expected = `an MJCF model folder (the model, its includes and assets) of at most ${mb}`;
  /** VFS name -> path on disk, in the order they go in. */
  const planned = new Map<string, string>();
  const sizes = new Map<string, number>();
  const unreadable = new Map<string, string>();
  let bytes = 0;
  const plan = (name: string, p: string, size: number, outside: boolean) => {
    if (planned.has(name)) return;
    planned.set(name, p);
    if (sizes.has(p)) return;
    sizes.set(p, size);
    bytes += size;
    if (bytes <= maxBytes) return;
    if (outside) throw new AxonError('MUJOCO_MJCF_FOLDER', p, `a file the model ${file} names outside its folder, brings the model's files past ${mb}`, expected);
    throw new AxonError('MUJOCO_MJCF_FOLDER', root, `holds more than ${mb} of files`, expected);
  };
  const nameOf = (p: string) => relative(root, p).split(sep).join('/');
  const outside = (p: string) => relative(root, p).startsWith('..') || isAbsolute(relative(root, p));

  // 1. Every file under the model's folder (filesUnder: dot-folders skipped; a folder reached twice through a link walked once).
  for (const f of filesUnder(root, (p, why) => unreadable.set(p, why))) plan(nameOf(f.path), f.path, f.size, false);

  // 2. The model file and what it includes, transitively: MJCF whatever their names, read for what they name.
  const xml = new Map<string, Uint8Array>(); // path -> bytes as MuJoCo gets them
  const dirs = new Set<string>(['']);
  const assets = new Set<string>();
  const queue = [mainPath];
  const sources = new Map<string, Uint8Array>(); // path -> bytes as on disk
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (xml.has(p)) continue;
    let raw: Uint8Array;
    try {
      raw = readFileSync(p);
    } catch (e) {
      if (p === mainPath) throw new AxonError('MUJOCO_MJCF_FILE', file, `cannot be read (${fsWhy(e)})`, 'a readable MJCF model file');
      // (A missing include is MuJoCo's to name.)
      if (!missing(e)) unreadable.set(p, fsWhy(e));
      continue;
    }
    sources.set(p, raw);
    // Latin-1 maps each byte to one character and back: the attribute's removal leaves every other byte as it was.
    const fixed = withoutSensorNoise(Buffer.from(raw).toString('latin1'));
    const name = nameOf(p);
    if (fixed.lines.length > 0) {
      raw = new Uint8Array(Buffer.from(fixed.text, 'latin1'));
      notes.push({
        code: 'MUJOCO_MJCF_SENSORNOISE',
        where: p === mainPath ? file : name,
        message: `<flag sensornoise> on line ${fixed.lines.join(', ')} taken out: MuJoCo removed sensor noise in 3.1.4 and 3.14 refuses the attribute; the sensors' noise= values are not applied (axon's readings carry the noise the run configures, none by default)`,
      });
    }
    xml.set(p, raw);
    const refs = mjcfReferences(new TextDecoder().decode(raw));
    for (const d of refs.dirs) dirs.add(d);
    // MuJoCo 3.14 looks for a path an included file writes from the model's folder first, then
    // from the included file's (then for a file of that name anywhere in the file system).
    const from = dirname(p) === root ? [root] : [root, dirname(p)];
    for (const a of refs.assets) for (const base of from) assets.add(JSON.stringify([base, a]));
    for (const inc of refs.includes) for (const base of from) queue.push(resolve(base, inc));
  }

  // 3. The files the assets name, under each dir (MuJoCo's meshdir for meshes, texturedir for
  // textures, assetdir for both when they are not given): those that exist go in, wherever they are.
  for (const key of assets) {
    const [base, a] = JSON.parse(key) as [string, string];
    for (const d of dirs) {
      const p = resolve(base, d, a);
      // An absolute path is looked up as MuJoCo composes it (dir + file, or the file alone); a relative one under the model's folder.
      const name = isAbsolute(a) ? a : isAbsolute(d) ? `${d}${d.endsWith('/') ? '' : '/'}${a}` : nameOf(p);
      if (planned.has(name) || xml.has(p)) continue;
      let st;
      try {
        st = statSync(p);
      } catch (e) {
        if (!missing(e)) unreadable.set(p, fsWhy(e));
        continue;
      }
      if (st.isFile()) plan(name, p, st.size, outside(p));
    }
  }
  for (const [p, raw] of xml) {
    const name = nameOf(p);
    if (!planned.has(name)) plan(name, p, raw.length, outside(p));
  }

  const names: string[] = [];
  for (const [name, p] of planned) {
    let data: Uint8Array;
    try {
      data = xml.get(p) ?? meshBytesForMujoco(p, p);
    } catch (e) {
      unreadable.set(p, fsWhy(e));
      continue;
    }
    vfs.addBuffer(name, data);
    names.push(name);
  }
  if (unreadable.size > 0) {
    const list = [...unreadable].map(([p, why]) => `${p} (${why})`);
    notes.push({ code: 'MUJOCO_MJCF_UNREADABLE', where: file, message: `${list.length} path(s) under the model's folder or named by the model could not be read, and are not given to MuJoCo: ${list.slice(0, 5).join(', ')}${list.length > 5 ? ', ...' : ''}` });
  }
  return { main: xml.get(mainPath)!, source: sources.get(mainPath)!, names, unreadable, sources };
}

/**
 * Every file under `dir`, depth first in readdir order (a folder's files and folders as listed,
 * each folder's contents where it is listed), names starting with a dot skipped (dot-folders and
 * dot-files), a real folder reached twice through links walked once: what addMjcfFiles gives MuJoCo
 * of the model's folder, and where mjcfDigest finds an include by its name. What cannot be read (a
 * folder without permission, a broken link) is skipped and passed to `unreadable` with why. Lazy:
 * a caller that stops early walks no further. Configure time only.
 */
export function* filesUnder(dir: string, unreadable: (path: string, why: string) => void = () => {}): Generator<{ readonly path: string; readonly name: string; readonly size: number }> {
  const walked = new Set<string>();
  function* walk(d: string): Generator<{ readonly path: string; readonly name: string; readonly size: number }> {
    let entries: string[];
    try {
      const real = realpathSync(d);
      if (walked.has(real)) return;
      walked.add(real);
      entries = readdirSync(d);
    } catch (e) {
      unreadable(d, fsWhy(e));
      return;
    }
    for (const e of entries) {
      if (e.startsWith('.')) continue;
      const p = join(d, e);
      let st;
      try {
        st = statSync(p);
      } catch (err) {
        // (Listed but not there: a link to nothing.)
        unreadable(p, missing(err) ? 'a broken link' : fsWhy(err));
        continue;
      }
      if (st.isDirectory()) yield* walk(p);
      else if (st.isFile()) yield { path: p, name: e, size: st.size };
    }
  }
  yield* walk(dir);
}

/**
 * Why a file MuJoCo could not open (its name as MuJoCo gave it, `name`, resolved against the model
 * `file`'s folder) is not in the virtual file system: it could not be read, it is a folder, it is on
 * disk but the model does not name it where axon looks, or there is no such file.
 */
export function whyMissing(name: string, file: string, files: Pick<MjcfFiles, 'unreadable'> | undefined): string {
  const p = resolve(dirname(resolve(file)), name);
  const unread = files?.unreadable.get(p);
  if (unread !== undefined) return `${p}: on disk but cannot be read (${unread})`;
  let st;
  try {
    st = statSync(p);
  } catch (e) {
    return missing(e) ? `${p}: no such file` : `${p}: cannot be read (${fsWhy(e)})`;
  }
  if (st.isDirectory()) return `${p}: a folder, not a file`;
  return `${p}: on disk, but not among the files axon gave MuJoCo (no <include> or asset file attribute axon read names it there)`;
}

/**
 * What MJCF text names: `<compiler>`'s meshdir, texturedir and assetdir, `<include file>`s, and
 * every other file attribute (`file`, a cubemap's `fileright`, `fileleft`, `fileup`, `filedown`,
 * `filefront`, `fileback`), XML entities decoded; comments are not read.
 */
export function mjcfReferences(text: string): { dirs: string[]; includes: string[]; assets: string[] } {
  const out = { dirs: [] as string[], includes: [] as string[], assets: [] as string[] };
  const body = text.replace(/<!--[\s\S]*?-->/g, '');
  for (const tag of body.matchAll(/<([A-Za-z_][\w.:-]*)\b([^>]*)>/g)) {
    const element = tag[1];
    for (const a of tag[2].matchAll(/([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      const attr = a[1];
      const value = xmlText(a[2] ?? a[3]);
      if (element === 'compiler' && /^(meshdir|texturedir|assetdir)$/.test(attr)) out.dirs.push(value);
      else if (/^file(right|left|up|down|front|back)?$/.test(attr) && value !== '') {
        // An <include> is MJCF; so is an <asset><model file> (MuJoCo 3.2's sub-model), looked for both ways.
        if (element === 'include' || element === 'model') out.includes.push(value);
        if (element !== 'include') out.assets.push(value);
      }
    }
  }
  return out;
}

/** The `file` of each `<include>` in MJCF text, in document order, XML entities decoded; comments are not read. */
export function mjcfIncludes(text: string): string[] {
  const out: string[] = [];
  const body = text.replace(/<!--[\s\S]*?-->/g, '');
  for (const tag of body.matchAll(/<include\b([^>]*)>/g)) {
    const a = /(?:^|\s)file\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(tag[1]);
    const value = a ? xmlText(a[1] ?? a[2]) : '';
    if (value !== '') out.push(value);
  }
  return out;
}

/**
 * `<flag sensornoise="...">` taken out of MJCF text (any quotes, in any `<flag>`), each line kept
 * (a newline inside the attribute stays), so that MuJoCo's line numbers still point at the file's.
 */
export function withoutSensorNoise(text: string): { text: string; lines: number[] } {
  const lines: number[] = [];
  const out = text.replace(/<flag\b[^>]*>/g, (tag, at: number) =>
    tag.replace(/\s+sensornoise\s*=\s*("[^"]*"|'[^']*')/g, (attr: string, _v: string, k: number) => {
      lines.push(text.slice(0, at + k).split('\n').length + (attr.match(/^\s*/)![0].split('\n').length - 1));
      return attr.replace(/[^\n]/g, '').replace(/^$/, ' ');
    }),
  );
  return { text: out, lines };
}

/** An attribute value with XML's entities decoded, as MuJoCo's reader (TinyXML-2) gives it. */
function xmlText(v: string): string {
  return v.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
    e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'amp' ? '&' : e === 'quot' ? '"' : e === 'apos' ? "'" : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
  );
}

/** Whether a filesystem error says there is nothing at the path (ENOENT, or a file where a folder was expected). */
function missing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A filesystem error as a short reason: its code (EACCES, ELOOP) and message. */
function fsWhy(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')}` : String(err?.message ?? e);
}
