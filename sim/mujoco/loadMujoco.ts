/**
 * MuJoCo's official WebAssembly build (`@mujoco/mujoco`), loaded only when a MuJoCo robot is asked
 * for (dynamic import: the cannon-es paths never pay its ~10 MB compile), and what the two ways a
 * robot becomes an mjModel share (compileUrdf.ts: a URDF through MuJoCo's own URDF compiler;
 * compileMjcf.ts: an MJCF as robot makers ship it): MuJoCo's parse and compile as AxonErrors, a
 * mesh file's bytes for the virtual file system, and the spec edits both make (axon's ground plane,
 * axon's PD actuator on a joint, a mimic follower's tendon).
 *
 * After compiling, armature, damping, friction loss and the contact filter are written into the
 * model's arrays (MujocoRobot). Configure time only: nothing here runs on the tick.
 */
import { readFileSync } from 'node:fs';
import type { MainModule, MjModel, MjSpec, MjVFS } from '@mujoco/mujoco';
import { AxonError, oneLineMessage } from '../../src/core/errors.ts';
import type { UrdfNote } from '../urdf/parseUrdf.ts';
import { isBinaryStl, readStl } from '../mesh/readStl.ts';

let modulePromise: Promise<MainModule> | undefined;

/** The MuJoCo WebAssembly module, instantiated once per process (first call ~0.6 s). */
export function loadMujocoModule(): Promise<MainModule> {
  modulePromise ??= import('@mujoco/mujoco').then((m) => m.default() as Promise<MainModule>);
  return modulePromise;
}

/** The version string of the loaded build (e.g. "3.14.0"). */
export async function mujocoVersion(): Promise<string> {
  const mj = await loadMujocoModule();
  return mj.mj_versionString();
}

/**
 * An element's name in the compiled model, '' when it has none. The build's mj_id2name reads an
 * unnamed element's null name as the string at address 0 ("emsc"): an unnamed hinge joint was
 * named "emsc", and every unnamed body the same. A name is kept only when it names that element back.
 */
export function mujocoName(mj: MainModule, m: MjModel, obj: number, id: number): string {
  const n = mj.mj_id2name(m, obj, id);
  return typeof n === 'string' && n !== '' && mj.mj_name2id(m, obj, n) === id ? n : '';
}

export interface CompiledMujoco {
  readonly model: MjModel;
  /** What the import decided (options replaced, defaults given), one line each. */
  readonly notes: UrdfNote[];
}

/** A model file through MuJoCo's XML loader, against the virtual file system (MUJOCO_COMPILE, MuJoCo's message on one line, when it refuses it). */
export function loadXml(mj: MainModule, name: string, vfs: MjVFS, where: string): MjModel {
  try {
    return mj.MjModel.from_xml_path(name, vfs);
  } catch (e) {
    throw new AxonError('MUJOCO_COMPILE', where, `MuJoCo refused it: ${errText(mj, e)}`, 'a model MuJoCo 3.14 compiles');
  }
}

/** URDF or MJCF text (or a file's bytes, as they are) as an mjSpec (MUJOCO_PARSE when MuJoCo cannot read it). */
export function parseSpec(mj: MainModule, text: string | Uint8Array, where: string, vfs?: MjVFS): MjSpec {
  try {
    // An MJCF parses against the VFS so that its <include>s resolve there.
    return vfs ? mj.parseXMLString(text, vfs) : mj.parseXMLString(text);
  } catch (e) {
    throw new AxonError('MUJOCO_PARSE', where, `MuJoCo could not parse it: ${errText(mj, e)}`, 'a URDF or MJCF MuJoCo 3.14 reads');
  }
}

/** An mjSpec compiled into an mjModel (MUJOCO_COMPILE when MuJoCo's compiler refuses it). */
export function compileSpec(mj: MainModule, spec: MjSpec, vfs: MjVFS, where: string): MjModel {
  let model: MjModel | undefined;
  try {
    model = mj.mj_compile(spec, vfs);
  } catch (e) {
    const said = errText(mj, e);
    throw new AxonError('MUJOCO_COMPILE', where, `MuJoCo's compiler refused it: ${said}${specError(mj, spec, said)}`, 'a model MuJoCo 3.14 compiles');
  }
  if (!model) throw new AxonError('MUJOCO_COMPILE', where, `MuJoCo's compiler refused it${specError(mj, spec)}`, 'a model MuJoCo 3.14 compiles');
  return model;
}

/** The spec's own error (one line), unless `said` (the thrown error's text) already says it. */
function specError(mj: MainModule, spec: MjSpec, said = ''): string {
  try {
    const s = mj.mjs_getError(spec);
    if (!s) return '';
    const line = mujocoMessage(s);
    return said.includes(line) ? '' : `: ${line}`;
  } catch {
    return '';
  }
}

/** A thrown MuJoCo error's text (an Emscripten exception pointer or an Error) on one line (mujocoMessage). */
function errText(mj: MainModule, e: unknown): string {
  if (typeof e === 'number') {
    const getMsg = (mj as unknown as { getExceptionMessage?: (x: number) => [string, string] }).getExceptionMessage;
    if (getMsg) return mujocoMessage(getMsg(e).join(': '));
  }
  return mujocoMessage((e as Error)?.message ?? String(e));
}

/**
 * MuJoCo's message on one line (an AxonError is one line on stderr), the element and line it names
 * kept: its parser and compiler write "XML Error: ...\nElement 'joint', line 12" or "Error: ...\n
 * Element name 'x', id 3, line 0". The element line is kept whole, joined with "; "; the text before
 * it is cut as oneLineMessage cuts (160 characters), without its "MuJoCo Error: " (the AxonError
 * says MuJoCo already). A ", line 0" is dropped: it is MuJoCo's line for an element it read from an
 * included file or a spec, where it has none.
 */
export function mujocoMessage(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const isElement = (l: string) => /^Element\b/.test(l);
  const head = lines.filter((l) => !isElement(l)).join(' ').replace(/^MuJoCo Error:\s*/, '');
  const elements = lines.filter(isElement).map((l) => l.replace(/,\s*line 0$/, ''));
  return [head === '' ? '' : oneLineMessage(head), ...elements].filter((x) => x !== '').join('; ');
}

export function addGround(mj: MainModule, spec: MjSpec): void {
  const world = mj.mjs_findBody(spec, 'world')!;
  const g = mj.mjs_addGeom(world, mj.mjs_getSpecDefault(spec)!)!;
  g.type = mj.mjtGeom.mjGEOM_PLANE;
  g.size.set([0, 0, 1]);
  // Every collision bit: a model's own default may say contype/conaffinity 0 and its collision
  // classes other bits (Agility Cassie's), and the ground it inherits would then touch nothing.
  g.contype = 0x7fffffff;
  g.conaffinity = 0x7fffffff;
  mj.mjs_setName(g.element, 'axon_ground');
}

/**
 * One "general" actuator on the joint: force = ctrl + b1·q + b2·q̇ (gain 1, affine bias). The
 * robot writes ctrl, b1 = −kp and b2 = −(kd + dt·kp | kd) every physics step, so MuJoCo's
 * implicitfast integrator solves the velocity term with the next velocity (as the cannon-es side's
 * implicit PD row does). With `tendon`, the actuator drives that fixed tendon instead (a URDF
 * <mimic> follower's, which carries only damping: sim/mujoco/MujocoMimicGroups.ts).
 */
export function addActuator(mj: MainModule, spec: MjSpec, joint: string, tendon?: string): void {
  const a = mj.mjs_addActuator(spec, mj.mjs_getSpecDefault(spec)!)!;
  a.trntype = tendon === undefined ? mj.mjtTrn.mjTRN_JOINT : mj.mjtTrn.mjTRN_TENDON;
  a.target = tendon ?? joint;
  a.gaintype = mj.mjtGain.mjGAIN_FIXED;
  a.biastype = mj.mjtBias.mjBIAS_AFFINE;
  a.gainprm[0] = 1;
  a.ctrllimited = mj.mjtLimited.mjLIMITED_FALSE;
  a.forcelimited = mj.mjtLimited.mjLIMITED_FALSE;
  mj.mjs_setName(a.element, `axon_${joint}`);
}

/**
 * The fixed tendon a mimic follower's actuator drives (`axon_mimic_<joint>`, over the joint first,
 * then `along`: the joints of its group it rides on, and its leader where it carries it), for a
 * URDF <mimic> (compileUrdf.ts) and an MJCF's <equality><joint> (mjcfMimic.ts): placeholder
 * coefficients, non-zero so that the compiled tendon keeps every joint; MujocoMimicGroups sets
 * them. Returns its name.
 */
export function addMimicTendon(mj: MainModule, spec: MjSpec, joint: string, along: readonly string[]): string {
  const t = mj.mjs_addTendon(spec, mj.mjs_getSpecDefault(spec)!)!;
  const name = `axon_mimic_${joint}`;
  mj.mjs_setName(t.element, name);
  t.limited = mj.mjtLimited.mjLIMITED_FALSE;
  // Nothing of its own (a model's <default><tendon> may give damping, stiffness, friction): it only carries the actuator.
  t.actfrclimited = mj.mjtLimited.mjLIMITED_FALSE;
  t.armature = 0;
  t.frictionloss = 0;
  (t.damping as Float64Array).fill(0);
  (t.stiffness as Float64Array).fill(0);
  for (const j of [joint, ...along]) mj.mjs_wrapJoint(t, j, 1);
  return name;
}

/**
 * A mesh file's bytes as MuJoCo reads them (a URDF's collision mesh, a file of an MJCF's folder): its STL decoder takes binary STL only, and vendors
 * ship ASCII STL too, so an ASCII STL (by size, as readStl decides) is handed over re-encoded as
 * binary, the same triangles; anything else as it is.
 */
export function meshBytesForMujoco(path: string, where: string): Uint8Array {
  const bytes = readFileSync(path);
  if (!/\.stl$/i.test(path) || isBinaryStl(bytes)) return bytes;
  let m;
  try {
    m = readStl(bytes, where);
  } catch {
    return bytes; // not an STL axon reads either: MuJoCo says so if the model uses it
  }
  const n = m.indices.length / 3;
  const out = new Uint8Array(84 + 50 * n);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode('binary STL from an ASCII STL by axon'));
  view.setUint32(80, n, true);
  for (let t = 0; t < n; t++)
    for (let k = 0; k < 3; k++) {
      const v = m.indices[3 * t + k];
      for (let c = 0; c < 3; c++) view.setFloat32(84 + 50 * t + 12 + 12 * k + 4 * c, m.vertices[3 * v + c], true);
    }
  return out;
}
