/**
 * An MJCF model's files in MuJoCo's virtual file system (`--mjcf FILE`), so that the model reads
 * as it does on its maker's disk: every file under the model's folder under its path relative to
 * that folder, and the folders the model reaches outside it through `<compiler meshdir texturedir
 * assetdir>` or a `file` attribute under theirs. humanoid-gym keeps its MJCF in XBot/mjcf/ and its
 * meshes in XBot/meshes/ (meshdir="../meshes/"): those go in as "../meshes/base_link.STL", which
 * MuJoCo resolves against the model's folder as a path on disk.
 *
 * Model files (.xml) go in as MuJoCo 3.14 reads them: MuJoCo removed sensor noise in 3.1.4 and
 * now refuses `<option><flag sensornoise="...">` (an unrecognized attribute), which models written
 * for earlier versions carry (humanoid-gym's XBot-L.xml, for MuJoCo 2.3); the attribute is taken
 * out, its line kept, and noted. Configure time only.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { MjVFS } from '@mujoco/mujoco';
import { AxonError } from '../../src/core/errors.ts';
import type { UrdfNote } from '../urdf/parseUrdf.ts';
import { meshBytesForMujoco } from './loadMujoco.ts';

/** Bytes of model and asset files one model may put in the virtual file system. */
const MAX_BYTES = 200e6;

/**
 * Puts the model's files into `vfs` (see above), noting what was changed on the way. Returns the
 * model file's text as MuJoCo gets it (to parse as an mjSpec against the same files).
 */
export function addMjcfFiles(vfs: MjVFS, file: string, notes: UrdfNote[]): string {
  const root = dirname(resolve(file));
  const added = new Set<string>();
  let bytes = 0;
  let main: string | undefined;
  const xmlTexts: string[] = [];
  const add = (p: string) => {
    if (added.has(p)) return;
    added.add(p);
    bytes += statSync(p).size;
    if (bytes > MAX_BYTES) throw new AxonError('MUJOCO_MJCF_FOLDER', root, `holds more than ${MAX_BYTES / 1e6} MB of files (with the folders its model reaches)`, 'an MJCF model folder (the model, its includes and assets)');
    const name = relative(root, p).split(sep).join('/');
    if (/\.xml$/i.test(p)) {
      const text = readFileSync(p, 'utf8');
      const fixed = withoutSensorNoise(text);
      if (fixed.lines.length > 0)
        notes.push({
          code: 'MUJOCO_MJCF_SENSORNOISE',
          where: p === resolve(file) ? file : name,
          message: `<flag sensornoise> on line ${fixed.lines.join(', ')} taken out: MuJoCo removed sensor noise in 3.1.4 and 3.14 refuses the attribute; the sensors' noise= values are not applied (axon's readings carry the noise the run configures, none by default)`,
        });
      xmlTexts.push(fixed.text);
      if (p === resolve(file)) main = fixed.text;
      vfs.addBuffer(name, new TextEncoder().encode(fixed.text));
    } else vfs.addBuffer(name, meshBytesForMujoco(p, p));
  };
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      if (e.startsWith('.')) continue;
      const p = join(dir, e);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) add(p);
    }
  };
  walk(root);
  // The folders the model files reach outside the model's folder (meshdir="../meshes/").
  for (const dir of outsideFolders(xmlTexts, root)) walk(dir);
  return main ?? readFileSync(file, 'utf8');
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

/**
 * Existing folders outside `root` that model text reaches: a `meshdir`, `texturedir` or
 * `assetdir` there, or the folder of a `file` there (taken as given and under each of those
 * dirs). Absolute paths are left to MuJoCo.
 */
function outsideFolders(texts: readonly string[], root: string): string[] {
  const dirs = new Set<string>(['']);
  const files = new Set<string>();
  for (const t of texts) {
    for (const m of t.matchAll(/\b(meshdir|texturedir|assetdir)\s*=\s*("([^"]*)"|'([^']*)')/g)) dirs.add(m[3] ?? m[4]);
    for (const m of t.matchAll(/\bfile\s*=\s*("([^"]*)"|'([^']*)')/g)) files.add(m[2] ?? m[3]);
  }
  const found = new Set<string>();
  const consider = (p: string) => {
    const r = relative(root, p);
    if (r === '' || !r.startsWith('..') || isAbsolute(r)) return;
    if (existsSync(p) && statSync(p).isDirectory()) found.add(p);
  };
  for (const d of dirs) {
    if (isAbsolute(d)) continue;
    consider(resolve(root, d));
    for (const f of files) if (!isAbsolute(f)) consider(dirname(resolve(root, d, f)));
  }
  // A folder inside another one found is walked with it.
  const all = [...found].sort();
  return all.filter((p) => !all.some((q) => q !== p && !relative(q, p).startsWith('..')));
}
