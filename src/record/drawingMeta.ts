/**
 * What a recording keeps of the URDF its robot is drawn with, so that `axon replay --view` can
 * draw the run again: the `drawing` object of the `axon.run` metadata (schema `axon.drawing/1`).
 *
 * The URDF's text is not embedded: the recording names the file by its absolute path and pins it
 * by its sha256 (docs/viewer.md, "Which URDF a replay draws": the size measured, and why). Its
 * meshes were never in the recording either. `run.urdf` (the path alone) is still written beside
 * it: it is what recordings of `axon run` and `axon teleop` held before the schema, and what an
 * older axon reads.
 *
 * Read side: a recording without `drawing` but with a `urdf` path (an `axon run` recording made
 * before the schema) is read as a drawing with no sha256 (the file is not checked); one with
 * neither has no drawing model (a `sim --urdf` run recorded before it: `replay --urdf FILE`).
 *
 * A run over the bridge (`sim --robot ws://...`) has no path to the served robot's file: the server
 * names it in its hello by file name and sha256 only (hardware/PROTOCOL.md, hello.robotFile). The
 * recording keeps that as `served_model` (below); with the client's `--urdf FILE` it keeps that
 * file's `drawing` too. `served_model` is what `replay --view` names when it has no file to draw,
 * and what it checks a file it draws against.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { AxonError } from '../core/errors.ts';
import { printable } from '../core/printable.ts';

export const DRAWING_SCHEMA = 'axon.drawing/1';

/** `axon.run`'s `drawing`: the URDF and the set-up that decide where the robot is drawn. */
export interface RecordedDrawing {
  readonly schema: typeof DRAWING_SCHEMA;
  /** The URDF file, absolute. */
  readonly urdf: string;
  /** sha256 of the file's bytes (hex), and their count. */
  readonly sha256: string;
  readonly bytes: number;
  /** The root link was fixed to the world (`--fixed-base`, the manifest's fixed_base, a `world` link, a real arm). */
  readonly fixed_base: boolean;
  /**
   * Where the set-up put the root link (m, world; x y z w) before the first tick (a simulation's
   * spawn pose before any drop to the ground; a real robot's: the origin, where it is drawn). A
   * simulated tick carries the base pose itself.
   */
  readonly base_position: readonly [number, number, number];
  readonly base_orientation: readonly [number, number, number, number];
  /** Folders searched for package:// meshes (`--urdf-package-path`, absolute); $ROS_PACKAGE_PATH is added at replay as at record time. */
  readonly package_paths: readonly string[];
}

/** A `drawing` as read back: the recorded one, or (`legacy`) an older recording's bare `urdf` path, with nothing to check it by. */
export type DrawingOnRecord = (RecordedDrawing & { readonly legacy?: undefined }) | { readonly legacy: true; readonly urdf: string };

/** The set-up facts `drawingMeta` records (urdfSession.ts's UrdfSetup gives them for `sim --urdf`). */
export interface DrawingSetup {
  readonly fixedBase: boolean;
  readonly basePosition?: readonly number[];
  readonly baseOrientation?: readonly number[];
  readonly packagePaths?: readonly string[];
}

/**
 * Where a set-up puts the robot's root before the first step, as a hello's robotFile and this
 * module's callers speak of it (camelCase; m, world; x y z w). A recording keeps it in snake_case:
 * recordedRoot and rootOnRecord are the one place the names are turned, both ways.
 */
export interface RootSetup {
  readonly fixedBase: boolean;
  readonly basePosition: [number, number, number];
  readonly baseOrientation: [number, number, number, number];
}

/** The root set-up of `s`, at the origin and unrotated where it says nothing. */
export function rootSetup(s: Omit<DrawingSetup, 'packagePaths'>): RootSetup {
  const p = s.basePosition ?? [0, 0, 0];
  const q = s.baseOrientation ?? [0, 0, 0, 1];
  return { fixedBase: s.fixedBase, basePosition: [p[0], p[1], p[2]], baseOrientation: [q[0], q[1], q[2], q[3]] };
}

/** The recorded fields of a root set-up (a drawing's, a served model's). */
type RecordedRoot = Pick<RecordedDrawing, 'fixed_base' | 'base_position' | 'base_orientation'>;

/** A root set-up as a recording keeps it. */
function recordedRoot(r: Omit<DrawingSetup, 'packagePaths'>): RecordedRoot {
  const s = rootSetup(r);
  return { fixed_base: s.fixedBase, base_position: s.basePosition, base_orientation: s.baseOrientation };
}

/** A recorded root set-up as the simulator takes it (replay, a bridged robot's drawing). */
export function rootOnRecord(d: RecordedRoot): RootSetup {
  return rootSetup({ fixedBase: d.fixed_base, basePosition: d.base_position, baseOrientation: d.base_orientation });
}

/** A root set-up read from a recording's object, a missing or malformed part at its default. */
function readRecordedRoot(o: { fixed_base?: unknown; base_position?: unknown; base_orientation?: unknown }): RecordedRoot {
  return { fixed_base: o.fixed_base === true, base_position: triple(o.base_position, [0, 0, 0]), base_orientation: quad(o.base_orientation) };
}

/** sha256 (hex) of a file's bytes, and their count. */
export interface FileDigest {
  readonly sha256: string;
  readonly bytes: number;
}

/** A file's bytes as read once, with their digest: what was parsed is what is hashed and compared. */
export interface FileBytes extends FileDigest {
  readonly data: Uint8Array;
  /**
   * The sha256s of the same content with its line ends made alike, where they cannot be had by
   * changing `data`'s line ends: an MJCF with includes, whose `data` frames each file with its
   * size (sim/mujoco/mjcfDigest.ts). Without it the line ends of `data` are changed.
   */
  readonly lineEndingSha256?: () => readonly string[];
}

/** The digest of `data`. */
export function digestOf(data: Uint8Array): FileBytes {
  return { data, sha256: createHash('sha256').update(data).digest('hex'), bytes: data.byteLength };
}

/** A file's bytes and their digest; AxonError RECORD_DRAWING naming it and what it was to be (`expected`) when it cannot be read. */
export function readFileBytes(file: string, expected = 'the URDF the robot is drawn with'): FileBytes {
  let b: Buffer;
  try {
    b = readFileSync(file);
  } catch (e) {
    throw new AxonError('RECORD_DRAWING', file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, expected);
  }
  return digestOf(b);
}

/** sha256 (hex) and size of a file's bytes; AxonError RECORD_DRAWING naming it when it cannot be read. */
export function fileDigest(file: string): FileDigest {
  const { sha256, bytes } = readFileBytes(file);
  return { sha256, bytes };
}

/**
 * The `axon.run` fields that let a replay draw a URDF robot: `urdf` (absolute path; what older
 * readers use) and `drawing`. Configure time: reads and hashes the file once, or takes `digest`,
 * the one of the bytes the robot was built from (UrdfModel.source).
 */
export function drawingMeta(file: string, s: DrawingSetup, digest?: FileDigest): { urdf: string; drawing: RecordedDrawing } {
  const urdf = resolve(file);
  const d = digest ?? fileDigest(urdf);
  return {
    urdf,
    drawing: {
      schema: DRAWING_SCHEMA,
      urdf,
      sha256: d.sha256,
      bytes: d.bytes,
      ...recordedRoot(s),
      package_paths: (s.packagePaths ?? []).map((p) => resolve(p)),
    },
  };
}

/**
 * The drawing a recording's `axon.run` names, if any. A `drawing` of another schema (a newer
 * axon's) is AxonError RECORD_READ naming it: the drawing cannot be trusted to mean what this
 * reader thinks (the caller shows the panels and says why).
 */
export function drawingOnRecord(run: Record<string, unknown>, file: string): DrawingOnRecord | undefined {
  const d = run.drawing;
  if (d !== undefined) {
    const o = d as Partial<RecordedDrawing> | null;
    if (typeof o !== 'object' || o === null || o.schema !== DRAWING_SCHEMA)
      throw new AxonError('RECORD_READ', `${file} metadata "axon.run" drawing`, `has schema ${JSON.stringify((o as { schema?: unknown } | null)?.schema)}`, `"${DRAWING_SCHEMA}" (a newer axon wrote it?)`);
    if (typeof o.urdf !== 'string' || typeof o.sha256 !== 'string')
      throw new AxonError('RECORD_READ', `${file} metadata "axon.run" drawing`, 'has no urdf path or sha256', `an ${DRAWING_SCHEMA} object`);
    return {
      schema: DRAWING_SCHEMA,
      urdf: o.urdf,
      sha256: o.sha256,
      bytes: typeof o.bytes === 'number' ? o.bytes : -1,
      ...readRecordedRoot(o),
      package_paths: Array.isArray(o.package_paths) ? o.package_paths.filter((x): x is string => typeof x === 'string') : [],
    };
  }
  return typeof run.urdf === 'string' ? { legacy: true, urdf: run.urdf } : undefined;
}

/**
 * How a file compares with the bytes a record pins by sha256: `same`; `lineEndings` when they are
 * those bytes once CRLF and LF line ends are made alike (a copy checked out on another system); or
 * `now`, what the file is. `error`: why it cannot be read. `file` may be bytes already read
 * (FileBytes: the ones a URDF was parsed from), so that what is compared is what is drawn.
 */
function compareFile(file: string | FileBytes | (() => FileBytes), sha256: string, expected?: string): { error: string } | { same: boolean; lineEndings: boolean; now: FileDigest } {
  let now: FileBytes;
  try {
    now = typeof file === 'string' ? readFileBytes(file, expected) : typeof file === 'function' ? file() : file;
  } catch (e) {
    return { error: (e as Error).message };
  }
  if (now.sha256 === sha256) return { same: true, lineEndings: false, now };
  if (now.lineEndingSha256) return { same: false, lineEndings: now.lineEndingSha256().includes(sha256), now };
  // latin1 maps each byte to one character and back: only the line ends change.
  const text = Buffer.from(now.data).toString('latin1');
  const lf = text.replace(/\r\n/g, '\n');
  const hash = (t: string) => digestOf(Buffer.from(t, 'latin1')).sha256;
  const lineEndings = (lf !== text && hash(lf) === sha256) || hash(lf.replace(/\n/g, '\r\n')) === sha256;
  return { same: false, lineEndings, now };
}

/**
 * Why the recorded URDF cannot be drawn now, in words naming the path and what differs (it is
 * gone, it is a folder, its bytes changed); undefined when it is the file recorded. A legacy
 * drawing (no sha256 kept) is only checked for being there.
 */
export function drawingFileProblem(d: DrawingOnRecord): string | undefined {
  const st = statSync(d.urdf, { throwIfNoEntry: false });
  if (!st) return `its URDF ${d.urdf} is not here`;
  if (!st.isFile()) return `its URDF ${d.urdf} is not a file`;
  if (d.legacy) return undefined;
  const c = compareFile(d.urdf, d.sha256);
  if ('error' in c) return c.error;
  if (c.same) return undefined;
  const size = d.bytes >= 0 && d.bytes !== c.now.bytes ? `${c.now.bytes} bytes, recorded ${d.bytes}` : `same size, ${c.now.bytes} bytes`;
  return `its URDF ${d.urdf} has changed since the run (sha256 ${c.now.sha256.slice(0, 12)}…, recorded ${d.sha256.slice(0, 12)}…; ${size})`;
}

/**
 * `axon.run`'s `served_model`: the robot description file a bridge server built the run's robot
 * from, as its hello named it (hello.robotFile): `format` ("urdf" or "mjcf", the kinds axon sends), the
 * file `name` on the server (never a path), and a drawing's sha256, size and root set-up.
 */
export type ServedModel = { readonly format: string; readonly name: string } & Pick<RecordedDrawing, 'sha256' | 'bytes'> & RecordedRoot;

/** A served file as a hello names it (hello.robotFile, camelCase): what servedModelOf records. */
export type ServedFile = { readonly format: string; readonly name: string } & FileDigest & Omit<DrawingSetup, 'packagePaths'>;

/** A hello's robotFile as `axon.run`'s served_model. */
export function servedModelOf(f: ServedFile): ServedModel {
  return { format: f.format, name: f.name, sha256: f.sha256, bytes: f.bytes, ...recordedRoot(f) };
}

/**
 * The served model a recording's `axon.run` names, if any. One that is not such an object is
 * AxonError RECORD_READ naming it (the caller says why and draws what it can without it).
 */
export function servedModelOnRecord(run: Record<string, unknown>, file: string): ServedModel | undefined {
  const m = run.served_model as Partial<ServedModel> | null | undefined;
  if (m === undefined || m === null) return undefined;
  const ok = typeof m === 'object' && typeof m.format === 'string' && typeof m.name === 'string' && typeof m.sha256 === 'string' && /^[0-9a-f]{64}$/.test(m.sha256);
  if (!ok) throw new AxonError('RECORD_READ', `${file} metadata "axon.run" served_model`, 'has no file name or sha256', '{ format, name, sha256, bytes, fixed_base, base_position, base_orientation }');
  return { format: m.format!, name: m.name!, sha256: m.sha256!, bytes: typeof m.bytes === 'number' ? m.bytes : -1, ...readRecordedRoot(m) };
}

/** The served file in words: `mesh_bot.urdf (sha256 0123456789ab…, 2980 bytes)`; a name read from elsewhere is made printable. */
export function servedModelText(m: ServedModel): string {
  return `${printable(m.name)} (${m.format === 'urdf' ? '' : `${printable(m.format.toUpperCase())}, `}sha256 ${m.sha256.slice(0, 12)}…${m.bytes >= 0 ? `, ${m.bytes} bytes` : ''})`;
}

/**
 * Why a URDF (or, `format` "mjcf", an MJCF) `file` is not the one the server served, as the rest of a warning line naming both by
 * sha256 and size and saying it is drawn anyway; undefined when its bytes are the served file's.
 * The same bytes but for their line ends (a CRLF copy of an LF file) say only that: the drawing is
 * the served robot's. `file` may be the bytes already read (FileBytes); `label` names the file as
 * the caller's user knows it (`--urdf /path/robot.urdf`, `its URDF /path/robot.urdf`).
 */
export function servedFileProblem(m: ServedModel, file: string | FileBytes | (() => FileBytes), label: string, format: 'urdf' | 'mjcf' = 'urdf'): string | undefined {
  const anyway = 'drawn anyway, the drawing may not match the robot';
  if (m.format !== format) return `${label} cannot be checked: the server served a ${printable(m.format.toUpperCase())} file, ${servedModelText(m)}, not ${format === 'urdf' ? 'a URDF' : 'an MJCF'}: ${anyway}`;
  const c = compareFile(file, m.sha256, format === 'mjcf' ? 'the MJCF the robot is drawn with' : undefined);
  if ('error' in c) return `${c.error}: ${anyway}`;
  if (c.same) return undefined;
  if (c.lineEndings) return `${label} is the same file as the served ${printable(m.name)} but for line endings`;
  return `${label} is not the file the server served, ${servedModelText(m)}: this one is sha256 ${c.now.sha256.slice(0, 12)}…, ${c.now.bytes} bytes: ${anyway}`;
}

/**
 * Why `file` cannot stand for the served file where links a policy reads are derived through it
 * (src/cli/linkTree.ts): another file (both sha256 in full), another format, or one that cannot be
 * read; undefined when its bytes are the served file's, or are them but for line endings (the same
 * joints). Unlike servedFileProblem's warning, the caller refuses on it: the file then drives the
 * policy's observations, not only a drawing.
 */
export function servedFileRefusal(m: ServedModel, file: string | FileBytes | (() => FileBytes), label: string, format: 'urdf' | 'mjcf' = 'urdf'): string | undefined {
  if (m.format !== format) return `${label} cannot be checked: the server served a ${printable(m.format.toUpperCase())} file, ${servedModelText(m)}, not ${format === 'urdf' ? 'a URDF' : 'an MJCF'}`;
  const c = compareFile(file, m.sha256, format === 'mjcf' ? 'the MJCF the robot is drawn with' : undefined);
  if ('error' in c) return c.error;
  if (c.same || c.lineEndings) return undefined;
  return `${label} is sha256 ${c.now.sha256} (${c.now.bytes} bytes), not the file the server served, ${printable(m.name)} sha256 ${m.sha256}${m.bytes >= 0 ? ` (${m.bytes} bytes)` : ''}`;
}

function triple(v: unknown, dflt: [number, number, number]): [number, number, number] {
  return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number') ? [v[0], v[1], v[2]] : dflt;
}

function quad(v: unknown): [number, number, number, number] {
  return Array.isArray(v) && v.length === 4 && v.every((x) => typeof x === 'number') ? [v[0], v[1], v[2], v[3]] : [0, 0, 0, 1];
}
