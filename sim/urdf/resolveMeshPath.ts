import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where a URDF's mesh `filename` points on this machine. Robot makers ship three spellings:
 *   package://PKG/rest   a ROS package name; PKG is looked up in the package paths, then in the
 *                        URDF file's own folder and its ancestors (a folder named PKG, or holding
 *                        a PKG folder: the usual `PKG/urdf/robot.urdf` + `PKG/meshes/...` layout;
 *                        or a folder, there or one level below, whose package.xml `<name>` is PKG);
 *                        the first such folder is the package and the file must be in it
 *   file:///abs/path     a file URL (file://rel is taken as relative to the URDF's folder)
 *   rel/or/abs/path      a plain path, relative to the URDF file's folder
 * A relative path written with backslashes (a Windows exporter) is also tried with slashes.
 * An absolute path (plain, Windows `C:\...`, or file://) that is not on this machine is the exporter's: a URDF
 * expanded from xacro on another machine names /home/them/ws/src/pkg/meshes/visual/base.dae. It
 * is looked for by its tail, longest first, down to its last folder and file name
 * (`visual/base.dae`), under the URDF's folder and its parent; a file found so is `relocated`.
 */
export interface MeshPathOptions {
  /** Folder of the URDF file (relative paths and the package search start here). */
  readonly baseDir?: string;
  /**
   * Folders that hold packages (`DIR/PKG/...`) or are a package themselves (`DIR` named PKG):
   * `--urdf-package-path`, then $ROS_PACKAGE_PATH (both searched in order).
   */
  readonly packagePaths?: readonly string[];
}

export type MeshPathResult =
  | { readonly ok: true; readonly path: string; readonly relocated?: true }
  | { readonly ok: false; readonly reason: 'scheme'; readonly scheme: string }
  | {
      readonly ok: false;
      readonly reason: 'missing';
      readonly looked: readonly string[];
      /** A file present in one of those folders whose name differs only in case (edited on Windows or macOS). */
      readonly otherCase?: string;
    };

/** How many folders above the URDF's folder the package:// search climbs. */
const ANCESTOR_LEVELS = 4;

/** Resolves a mesh filename to an existing file, or says every place it looked. */
export function resolveMeshPath(filename: string, o: MeshPathOptions = {}): MeshPathResult {
  const base = o.baseDir ?? process.cwd();
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(.*)$/.exec(filename);
  let candidates: string[];
  let absolute: string | undefined;
  if (m === null) {
    // A Windows exporter's path (C:\Users\them\robot\meshes\base.STL) is absolute there; its
    // backslashes are separators on any machine that wrote them.
    const windows = /^[A-Za-z]:[\\/]/.test(filename);
    if (isAbsolute(filename) || windows) absolute = filename;
    candidates = [absolute ?? resolve(base, filename)];
    if (!windows && filename.includes('\\')) candidates.push(resolve(base, filename.replace(/\\/g, '/')));
  } else {
    const scheme = m[1].toLowerCase();
    const rest = m[2];
    if (scheme === 'file') {
      if (rest.startsWith('/')) absolute = fileURLToPath(`file://${rest}`);
      candidates = [absolute ?? resolve(base, decodeURIComponent(rest))];
    } else if (scheme === 'package') {
      const slash = rest.indexOf('/');
      const pkg = slash < 0 ? rest : rest.slice(0, slash);
      const inPkg = slash < 0 ? '' : rest.slice(slash + 1);
      // ROS resolves the package, then the file: once a folder is package PKG (by its name or its
      // package.xml), the file is looked for in it alone, never in another clone of the same name.
      const dirs = [...new Set(packageCandidates(pkg, base, o.packagePaths ?? []))];
      const found = dirs.find(isDir);
      candidates = (found !== undefined ? [found] : dirs).map((d) => join(d, inPkg));
    } else {
      return { ok: false, reason: 'scheme', scheme };
    }
  }
  const unique = [...new Set(candidates)];
  for (const c of unique) if (isFile(c)) return { ok: true, path: c };
  if (absolute !== undefined) {
    const tails = tailCandidates(absolute, base);
    for (const c of tails) if (isFile(c)) return { ok: true, path: c, relocated: true };
    unique.push(...tails);
  }
  const otherCase = caseVariant(unique);
  return { ok: false, reason: 'missing', looked: unique, ...(otherCase ? { otherCase } : {}) };
}

/**
 * The first file, in the folders looked in, whose path differs from a candidate's only in the
 * case of its name: `meshes/base_link.stl` written, `base_link.STL` on disk. Windows and macOS
 * find it; Linux (and ROS on it) does not. Named in the error, never used.
 */
function caseVariant(candidates: readonly string[]): string | undefined {
  for (const c of candidates) {
    const dir = dirname(c);
    const want = basename(c).toLowerCase();
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    const hit = names.find((n) => n.toLowerCase() === want && n !== basename(c));
    if (hit !== undefined && isFile(join(dir, hit))) return join(dir, hit);
  }
  return undefined;
}

/**
 * How many folders above the URDF's folder an exporter's path is looked for by its tail: the
 * URDF's folder and its parent (the `PKG/urdf/robot.urdf` + `PKG/meshes/...` layout). Higher up,
 * a short tail (`meshes/gripper.stl`) could be another robot's file.
 */
const TAIL_LEVELS = 1;

/** An absolute path's tails (at least a folder and the file), longest first, under `base` and its parent. */
function tailCandidates(absolute: string, base: string): string[] {
  const parts = absolute.split(/[\\/]+/).filter((p) => p !== '');
  if (/^[A-Za-z]:$/.test(parts[0] ?? '')) parts.shift(); // a Windows drive is no folder of the tail
  const out: string[] = [];
  for (let k = parts.length; k >= 2; k--) {
    const tail = parts.slice(parts.length - k);
    let dir = resolve(base);
    for (let level = 0; level <= TAIL_LEVELS; level++) {
      out.push(join(dir, ...tail));
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return [...new Set(out)];
}

/** The package folders given on the command line followed by $ROS_PACKAGE_PATH. */
export function defaultPackagePaths(extra: readonly string[] = []): string[] {
  const env = process.env.ROS_PACKAGE_PATH;
  return [...extra, ...(env ? env.split(delimiter).filter((p) => p !== '') : [])];
}

/** The folders that would be package PKG, in the order they are tried (the first that exists is it). */
function packageCandidates(pkg: string, base: string, packagePaths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of defaultPackagePaths(packagePaths)) {
    const dir = resolve(p);
    out.push(join(dir, pkg));
    if (basename(dir) === pkg) out.push(dir);
    for (const d of namedPackages(dir, pkg)) out.push(d);
  }
  let dir = resolve(base);
  for (let level = 0; level <= ANCESTOR_LEVELS; level++) {
    if (basename(dir) === pkg) out.push(dir);
    out.push(join(dir, pkg));
    for (const d of namedPackages(dir, pkg)) out.push(d);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return out;
}

/**
 * ROS names a package by its package.xml `<name>`, not by its folder: a clone of
 * UniversalRobots/Universal_Robots_ROS2_Description holds `ur_description`, a GitHub zip unpacks
 * to `X-main/`. The folders `dir` itself and one level below it whose package.xml names `pkg`.
 */
function namedPackages(dir: string, pkg: string): string[] {
  const out: string[] = [];
  if (packageName(dir) === pkg) out.push(dir);
  for (const sub of subfolders(dir)) if (packageName(sub) === pkg) out.push(sub);
  return out;
}

/**
 * package.xml names and folder listings read once per process (a run loads its URDF once; the
 * lookup is at load time, never on a tick). Empty on a robot reload only through clearPackageCache.
 */
const packageNames = new Map<string, string | null>();
const listings = new Map<string, string[]>();

/** The `<name>` in DIR/package.xml, or null when there is none. */
function packageName(dir: string): string | null {
  let name = packageNames.get(dir);
  if (name === undefined) {
    name = null;
    try {
      const xml = readFileSync(join(dir, 'package.xml'), 'utf8');
      name = /<name>\s*([^<\s]+)\s*<\/name>/.exec(xml.replace(/<!--[\s\S]*?-->/g, ''))?.[1] ?? null;
    } catch {
      // No package.xml (or unreadable): not a package by name.
    }
    packageNames.set(dir, name);
  }
  return name;
}

function subfolders(dir: string): string[] {
  let list = listings.get(dir);
  if (list === undefined) {
    try {
      // Sorted: the filesystem's order is no order, and two clones of one package must not swap.
      list = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => join(dir, e.name)).sort();
    } catch {
      list = [];
    }
    listings.set(dir, list);
  }
  return list;
}

/** Forgets the package.xml names and folder listings read (tests that write packages). */
export function clearPackageCache(): void {
  packageNames.clear();
  listings.clear();
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return existsSync(p) && statSync(p).isFile();
  } catch {
    return false;
  }
}
