import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Box, ConvexPolyhedron, Cylinder, Quaternion, Sphere, Vec3, type Shape } from 'cannon-es';
import { UrdfError, type Vec3Tuple } from '../urdf/parseUrdf.ts';
import { readStl } from './readStl.ts';
import { readObj } from './readObj.ts';
import { convexHull, DegenerateHullError, type Hull } from './convexHull.ts';
import type { MeshData } from './MeshData.ts';

/**
 * How a collision <mesh> becomes cannon-es shapes.
 *   'hull'    (default) the convex hull of the scaled vertices, at most `maxHullVertices` of them:
 *             the part's true outer shape with no tuning, and cheap where it matters here (robot
 *             bodies meet only the ground, and cannon's convex-plane test is one pass over the
 *             vertices). Concave parts are filled in.
 *   'box'     the mesh's axis-aligned bounding box in its own frame.
 *   'capsule' two spheres and a cylinder along the box's longest axis, radius the larger of the
 *             other two half-extents (rolls like a limb; cheapest contacts).
 *   'none'    meshes do not collide (the simulator's behaviour before meshes were read).
 */
export type MeshCollisionMode = 'hull' | 'box' | 'capsule' | 'none';

/** Hulls with more vertices are simplified to this many (farthest-point sampling). */
export const DEFAULT_MAX_HULL_VERTICES = 64;
/** Meshes above this many triangles are "very large": their hull cost is printed (once per file). */
export const LARGE_MESH_TRIANGLES = 20_000;

export interface MeshShapePart {
  readonly shape: Shape;
  /** Pose of the shape in the mesh's frame (the <collision> origin is applied by the caller). */
  readonly offset: Vec3;
  readonly orientation: Quaternion;
}

/** What one mesh became (for notes, `describe` and the tests). */
export interface MeshCollisionReport {
  readonly file: string;
  readonly format: string;
  readonly triangles: number;
  readonly vertices: number;
  readonly mode: MeshCollisionMode;
  /** Vertices of the hull used (0 unless mode 'hull'). */
  readonly hullVertices: number;
  /** The hull was capped at maxHullVertices (grown farthest point first and stopped). */
  readonly simplified: boolean;
  /** Largest distance (m) of a mesh vertex outside the hull used: what the cap cut off (0 for a full hull). */
  readonly cut: number;
  /** Time (ms) to read and fit, 0 when it came from the cache. */
  readonly ms: number;
  readonly cached: boolean;
  /** Set when the mesh could not be fitted as asked (flat mesh: box; DAE: no shape). */
  readonly fallback?: string;
  /** Set when the file was read past an oddity (MeshData.note; note SIM_MESH_READ). */
  readonly note?: string;
}

interface Fitted {
  readonly kind: 'hull' | 'box' | 'capsule' | 'none';
  /** Hull in its own frame: vertices relative to `centre`, faces counter-clockwise from outside. */
  readonly hull?: Hull;
  /** Where the hull's frame sits in the mesh frame (the mean of its vertices, inside it). */
  readonly centre?: Vec3Tuple;
  readonly min?: Vec3Tuple;
  readonly max?: Vec3Tuple;
  readonly report: Omit<MeshCollisionReport, 'ms' | 'cached' | 'file'>;
}

/** Fitted shapes by content hash + scale + mode: a mesh used by many links is read and fitted once per process. */
const cache = new Map<string, Fitted>();
/** Files whose large-mesh cost was already printed. */
const printed = new Set<string>();

export interface MeshCollisionOptions {
  readonly mode?: MeshCollisionMode;
  readonly maxHullVertices?: number;
  /** Where the one-line cost of a very large mesh goes; default stderr. */
  readonly log?: (line: string) => void;
}

/** Reads a mesh file (STL binary/ASCII, OBJ) into vertices and triangles. */
export function readMeshFile(path: string, where: string): MeshData {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UrdfError('URDF_MESH_NOT_FOUND', where, `mesh file "${path}" cannot be read: ${(e as Error).message}`, 'a readable mesh file');
  }
  return parseMeshBytes(bytes, path, where);
}

function parseMeshBytes(bytes: Uint8Array, path: string, where: string): MeshData {
  const ext = extname(path).toLowerCase();
  if (ext === '.stl') return readStl(bytes, `${where} ${path}`);
  if (ext === '.obj') return readObj(new TextDecoder().decode(bytes), `${where} ${path}`);
  throw new UrdfError('URDF_MESH', `${where} ${path}`, `mesh format "${ext}" is not read by the simulator`, '.stl or .obj (.dae is drawn by the viewer only)');
}

/**
 * The shapes for one collision <mesh> (`path` resolved, `scale` from the URDF), plus a report.
 * A .dae collision mesh gets no shape (a report with `fallback`), a flat mesh a thin box.
 */
export function meshCollisionShapes(path: string, scale: Vec3Tuple, where: string, o: MeshCollisionOptions = {}): { parts: MeshShapePart[]; report: MeshCollisionReport } {
  const mode = o.mode ?? 'hull';
  const maxV = o.maxHullVertices ?? DEFAULT_MAX_HULL_VERTICES;
  const t0 = performance.now();
  if (mode === 'none' || extname(path).toLowerCase() === '.dae') {
    const report: MeshCollisionReport = { file: path, format: extname(path).slice(1), triangles: 0, vertices: 0, mode, hullVertices: 0, simplified: false, cut: 0, ms: 0, cached: false, ...(mode === 'none' ? {} : { fallback: 'Collada collision meshes are not read by the simulator: no collision shape' }) };
    return { parts: [], report };
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UrdfError('URDF_MESH_NOT_FOUND', where, `mesh file "${path}" cannot be read: ${(e as Error).message}`, 'a readable mesh file');
  }
  const key = `${createHash('sha1').update(bytes).digest('hex')}|${scale.join(',')}|${mode}|${maxV}`;
  let fitted = cache.get(key);
  const cached = fitted !== undefined;
  if (fitted === undefined) {
    fitted = fit(parseMeshBytes(bytes, path, where), scale, mode, maxV);
    cache.set(key, fitted);
  }
  const ms = cached ? 0 : performance.now() - t0;
  const report: MeshCollisionReport = { ...fitted.report, file: path, ms, cached };
  if (!cached && report.triangles > LARGE_MESH_TRIANGLES && !printed.has(path)) {
    printed.add(path);
    const simplified = report.simplified ? ` (capped; largest cut ${(report.cut * 1000).toFixed(2)} mm)` : '';
    (o.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(
      `axon: large mesh ${basename(path)} (${report.triangles} triangles, ${report.vertices} vertices): ${mode === 'hull' ? `convex hull of ${report.hullVertices} vertices${simplified}` : mode} in ${ms.toFixed(0)} ms`,
    );
  }
  return { parts: makeParts(fitted), report };
}

function fit(mesh: MeshData, scale: Vec3Tuple, mode: MeshCollisionMode, maxV: number): Fitted {
  const V = new Float64Array(mesh.vertices.length);
  const min: Vec3Tuple = [Infinity, Infinity, Infinity];
  const max: Vec3Tuple = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < V.length; i++) {
    const k = i % 3;
    const v = (V[i] = mesh.vertices[i] * scale[k]);
    if (v < min[k]) min[k] = v;
    if (v > max[k]) max[k] = v;
  }
  const base = { format: mesh.format, triangles: mesh.indices.length / 3, vertices: V.length / 3, mode, hullVertices: 0, simplified: false, cut: 0, ...(mesh.note ? { note: mesh.note } : {}) };
  if (mode === 'hull') {
    try {
      const full = convexHull(V, maxV);
      const { hull, centre } = centredHull(full);
      return { kind: 'hull', hull, centre, report: { ...base, hullVertices: hull.vertices.length / 3, simplified: full.cut > 0, cut: full.cut } };
    } catch (e) {
      if (!(e instanceof DegenerateHullError)) throw e;
      return { kind: 'box', min, max, report: { ...base, fallback: `flat mesh (${e.message}): a thin box` } };
    }
  }
  return { kind: mode === 'capsule' ? 'capsule' : 'box', min, max, report: base };
}

/**
 * The hull moved into its own frame, origin at the mean of its vertices (strictly inside a hull
 * with volume), with every face wound counter-clockwise seen from outside. cannon-es's
 * ConvexPolyhedron takes the shape's origin to be inside it: it checks each face normal against
 * a face vertex seen from the origin and prints a warning per face and vertex when the origin is
 * outside. Vendor meshes are drawn in the link frame, far from the origin (a shank hangs 0.15 m
 * below its knee), so a hull kept in the mesh frame printed hundreds of warnings per robot and
 * gave the shape a bounding sphere around the link origin rather than around itself.
 */
function centredHull(h: Hull): { hull: Hull; centre: Vec3Tuple } {
  const n = h.vertices.length / 3;
  const c: Vec3Tuple = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) c[k] += h.vertices[3 * i + k] / n;
  const vertices = new Float64Array(h.vertices.length);
  for (let i = 0; i < vertices.length; i++) vertices[i] = h.vertices[i] - c[i % 3];
  const faces = Uint32Array.from(h.faces);
  const P = vertices;
  for (let t = 0; t < faces.length; t += 3) {
    const a = 3 * faces[t], b = 3 * faces[t + 1], d = 3 * faces[t + 2];
    const ux = P[b] - P[a], uy = P[b + 1] - P[a + 1], uz = P[b + 2] - P[a + 2];
    const wx = P[d] - P[a], wy = P[d + 1] - P[a + 1], wz = P[d + 2] - P[a + 2];
    // Outward when the normal points away from the (interior) origin.
    const dot = (uy * wz - uz * wy) * P[a] + (uz * wx - ux * wz) * P[a + 1] + (ux * wy - uy * wx) * P[a + 2];
    if (dot < 0) [faces[t + 1], faces[t + 2]] = [faces[t + 2], faces[t + 1]];
  }
  return { hull: { vertices, faces }, centre: c };
}

/** Thinnest box side (m) for a flat mesh. */
const MIN_BOX = 1e-3;

function makeParts(f: Fitted): MeshShapePart[] {
  if (f.kind === 'none') return [];
  if (f.kind === 'hull') {
    const h = f.hull!;
    const vertices: Vec3[] = [];
    for (let i = 0; i < h.vertices.length; i += 3) vertices.push(new Vec3(h.vertices[i], h.vertices[i + 1], h.vertices[i + 2]));
    const faces: number[][] = [];
    for (let t = 0; t < h.faces.length; t += 3) faces.push([h.faces[t], h.faces[t + 1], h.faces[t + 2]]);
    return [{ shape: new ConvexPolyhedron({ vertices, faces }), offset: new Vec3(...f.centre!), orientation: new Quaternion() }];
  }
  const min = f.min!, max = f.max!;
  const half = [0, 1, 2].map((k) => Math.max(MIN_BOX / 2, (max[k] - min[k]) / 2));
  const c = new Vec3((min[0] + max[0]) / 2, (min[1] + max[1]) / 2, (min[2] + max[2]) / 2);
  if (f.kind === 'box') return [{ shape: new Box(new Vec3(half[0], half[1], half[2])), offset: c, orientation: new Quaternion() }];
  // Capsule along the longest axis k.
  const k = half[0] >= half[1] && half[0] >= half[2] ? 0 : half[1] >= half[2] ? 1 : 2;
  const r = Math.max(...half.filter((_, i) => i !== k));
  const L = Math.max(0, 2 * half[k] - 2 * r);
  const axis = [0, 0, 0];
  axis[k] = 1;
  const parts: MeshShapePart[] = [];
  for (const s of L > 0 ? [-1, 1] : [0]) {
    parts.push({ shape: new Sphere(r), offset: new Vec3(c.x + (s * L * axis[0]) / 2, c.y + (s * L * axis[1]) / 2, c.z + (s * L * axis[2]) / 2), orientation: new Quaternion() });
  }
  if (L > 0) {
    // cannon's Cylinder runs along its y axis.
    const q = new Quaternion();
    if (k === 0) q.setFromAxisAngle(Vec3.UNIT_Z, -Math.PI / 2);
    else if (k === 2) q.setFromAxisAngle(Vec3.UNIT_X, Math.PI / 2);
    parts.push({ shape: new Cylinder(r, r, L, 12), offset: c, orientation: q });
  }
  return parts;
}

/** Empties the fitted-shape cache (tests). */
export function clearMeshCache(): void {
  cache.clear();
  printed.clear();
}
