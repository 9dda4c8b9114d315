/**
 * 3-D convex hull by quickhull (Barber, Dobkin & Huhdanpaa 1996): an initial tetrahedron from
 * extreme points, each remaining point assigned to one face it lies outside of; repeatedly the
 * farthest outside point of a face is added, the faces it sees removed and the horizon closed
 * with new faces. Faces are triangles, counter-clockwise seen from outside (what cannon-es's
 * ConvexPolyhedron wants). Units are the input's.
 */

export interface Hull {
  /** x y z per hull vertex. */
  readonly vertices: Float64Array;
  /** Three indices into `vertices` per triangle, counter-clockwise from outside. */
  readonly faces: Uint32Array;
}

/** A point set with no volume (all on a plane or a line): the caller fits something else. */
export class DegenerateHullError extends Error {}

interface Face {
  a: number;
  b: number;
  c: number;
  nx: number;
  ny: number;
  nz: number;
  d: number;
  alive: boolean;
  outside: number[];
  /** Farthest outside point and its distance (-1, 0 when none). */
  far: number;
  farD: number;
}

/**
 * The convex hull of `points` (x y z each). Throws DegenerateHullError for a flat or tiny set.
 * With `maxVertices`, the hull grows farthest point first (over all faces) and stops at that many
 * vertices: the best inner approximation this greedy order gives; `cut` is then the distance of
 * the farthest point left outside (0 for a full hull).
 */
export function convexHull(points: Float64Array, maxVertices = Infinity): Hull & { readonly cut: number } {
  const n = points.length / 3;
  if (n < 4) throw new DegenerateHullError(`${n} points`);
  const P = points;
  // Extreme points along the axes.
  const ext = [0, 0, 0, 0, 0, 0];
  for (let i = 1; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      if (P[3 * i + k] < P[3 * ext[2 * k] + k]) ext[2 * k] = i;
      if (P[3 * i + k] > P[3 * ext[2 * k + 1] + k]) ext[2 * k + 1] = i;
    }
  }
  const span = Math.hypot(P[3 * ext[1]] - P[3 * ext[0]], P[3 * ext[3] + 1] - P[3 * ext[2] + 1], P[3 * ext[5] + 2] - P[3 * ext[4] + 2]);
  if (!(span > 0)) throw new DegenerateHullError('all points coincide');
  const eps = 1e-9 * span + 1e-12;
  const d2 = (i: number, j: number) => {
    const x = P[3 * i] - P[3 * j], y = P[3 * i + 1] - P[3 * j + 1], z = P[3 * i + 2] - P[3 * j + 2];
    return x * x + y * y + z * z;
  };
  let i0 = ext[0], i1 = ext[1], best = -1;
  for (let a = 0; a < 6; a++) for (let b = a + 1; b < 6; b++) {
    const v = d2(ext[a], ext[b]);
    if (v > best) [best, i0, i1] = [v, ext[a], ext[b]];
  }
  // Farthest from the line i0-i1.
  const ux = P[3 * i1] - P[3 * i0], uy = P[3 * i1 + 1] - P[3 * i0 + 1], uz = P[3 * i1 + 2] - P[3 * i0 + 2];
  let i2 = -1;
  best = 0;
  for (let i = 0; i < n; i++) {
    const wx = P[3 * i] - P[3 * i0], wy = P[3 * i + 1] - P[3 * i0 + 1], wz = P[3 * i + 2] - P[3 * i0 + 2];
    const cx = uy * wz - uz * wy, cy = uz * wx - ux * wz, cz = ux * wy - uy * wx;
    const v = cx * cx + cy * cy + cz * cz;
    if (v > best) [best, i2] = [v, i];
  }
  if (i2 < 0 || Math.sqrt(best) / Math.sqrt(ux * ux + uy * uy + uz * uz) < eps * 10) throw new DegenerateHullError('points on a line');
  // Farthest from the plane i0-i1-i2.
  const plane0 = makeFace(P, i0, i1, i2);
  let i3 = -1;
  best = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(dist(P, plane0, i));
    if (v > best) [best, i3] = [v, i];
  }
  if (i3 < 0 || best < eps * 10) throw new DegenerateHullError('points on a plane');

  const faces: Face[] = [];
  const edges = new Map<number, number>(); // directed edge u->v (key u·n+v) -> face index
  const addFace = (a: number, b: number, c: number): number => {
    const f = makeFace(P, a, b, c);
    const id = faces.length;
    faces.push(f);
    edges.set(a * n + b, id);
    edges.set(b * n + c, id);
    edges.set(c * n + a, id);
    return id;
  };
  // Tetrahedron, outward: i3 must be behind face (i0, i1, i2).
  const created: number[] = [];
  if (dist(P, plane0, i3) > 0) {
    created.push(addFace(i0, i2, i1), addFace(i0, i1, i3), addFace(i1, i2, i3), addFace(i2, i0, i3));
  } else {
    created.push(addFace(i0, i1, i2), addFace(i0, i3, i1), addFace(i1, i3, i2), addFace(i2, i3, i0));
  }
  const assign = (pts: Iterable<number>, target: number[]) => {
    for (const i of pts) {
      let bestFace = -1;
      let bestD = eps;
      for (const fi of target) {
        const v = dist(P, faces[fi], i);
        if (v > bestD) [bestD, bestFace] = [v, fi];
      }
      if (bestFace >= 0) {
        const f = faces[bestFace];
        f.outside.push(i);
        if (bestD > f.farD) [f.farD, f.far] = [bestD, i];
      }
    }
  };
  const all: number[] = [];
  for (let i = 0; i < n; i++) if (i !== i0 && i !== i1 && i !== i2 && i !== i3) all.push(i);
  assign(all, created);

  // Faces that may have outside points (a stack; dead or emptied faces are skipped when popped).
  const pending: number[] = [...created];
  const greedy = Number.isFinite(maxVertices);
  let added = 4;
  for (let guard = 0; guard < 4 * n + 16; guard++) {
    let fi = -1;
    if (greedy) {
      // Farthest outside point over every face (the hull stays small, so a scan is cheap).
      let bd = 0;
      for (let k = 0; k < faces.length; k++) if (faces[k].alive && faces[k].farD > bd) [bd, fi] = [faces[k].farD, k];
      if (fi >= 0 && added >= maxVertices) break;
    } else {
      while (pending.length > 0) {
        const k = pending.pop()!;
        if (faces[k].alive && faces[k].outside.length > 0) {
          fi = k;
          break;
        }
      }
    }
    if (fi < 0) break;
    added++;
    const f = faces[fi];
    const p = f.far;
    // Faces p sees: flood from fi across edges (the visible set is connected).
    const visible = new Set<number>([fi]);
    const stack = [fi];
    while (stack.length > 0) {
      const g = faces[stack.pop()!];
      for (const [u, v] of [[g.a, g.b], [g.b, g.c], [g.c, g.a]]) {
        const h = edges.get(v * n + u);
        if (h === undefined || visible.has(h)) continue;
        if (dist(P, faces[h], p) > eps) {
          visible.add(h);
          stack.push(h);
        }
      }
    }
    // Horizon: edges of visible faces whose other side is not visible.
    const horizon: [number, number][] = [];
    const orphans: number[] = [];
    for (const vi of visible) {
      const g = faces[vi];
      for (const [u, v] of [[g.a, g.b], [g.b, g.c], [g.c, g.a]]) {
        const h = edges.get(v * n + u);
        if (h === undefined || !visible.has(h)) horizon.push([u, v]);
      }
    }
    for (const vi of visible) {
      const g = faces[vi];
      g.alive = false;
      for (const i of g.outside) if (i !== p) orphans.push(i);
      g.outside = [];
      for (const [u, v] of [[g.a, g.b], [g.b, g.c], [g.c, g.a]]) if (edges.get(u * n + v) === vi) edges.delete(u * n + v);
    }
    const fresh = horizon.map(([u, v]) => addFace(u, v, p));
    assign(orphans, fresh);
    for (const k of fresh) if (faces[k].outside.length > 0) pending.push(k);
  }

  // Compact the used vertices.
  const map = new Map<number, number>();
  const tri: number[] = [];
  let cut = 0;
  for (const f of faces) {
    if (!f.alive) continue;
    if (f.farD > cut) cut = f.farD;
    for (const i of [f.a, f.b, f.c]) {
      if (!map.has(i)) map.set(i, map.size);
      tri.push(map.get(i)!);
    }
  }
  const vertices = new Float64Array(3 * map.size);
  for (const [i, k] of map) vertices.set(P.subarray(3 * i, 3 * i + 3), 3 * k);
  return { vertices, faces: Uint32Array.from(tri), cut };
}

function makeFace(P: Float64Array, a: number, b: number, c: number): Face {
  const ax = P[3 * a], ay = P[3 * a + 1], az = P[3 * a + 2];
  const ux = P[3 * b] - ax, uy = P[3 * b + 1] - ay, uz = P[3 * b + 2] - az;
  const vx = P[3 * c] - ax, vy = P[3 * c + 1] - ay, vz = P[3 * c + 2] - az;
  let nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
  const len = Math.hypot(nx, ny, nz) || 1;
  nx /= len;
  ny /= len;
  nz /= len;
  return { a, b, c, nx, ny, nz, d: nx * ax + ny * ay + nz * az, alive: true, outside: [], far: -1, farD: 0 };
}

function dist(P: Float64Array, f: Face, i: number): number {
  return f.nx * P[3 * i] + f.ny * P[3 * i + 1] + f.nz * P[3 * i + 2] - f.d;
}

/**
 * At most `maxVertices` of the hull's vertices, grown farthest point first (convexHull with a
 * cap); `cut` is how far (same units) the farthest of `original` (default: the hull's own
 * vertices) lies outside the smaller hull: the largest error the simplification makes.
 */
export function simplifyHull(h: Hull, maxVertices: number, original: Float64Array = h.vertices): { hull: Hull; cut: number } {
  const n = h.vertices.length / 3;
  if (n <= maxVertices) return { hull: h, cut: original === h.vertices ? 0 : maxOutside(original, h) };
  const small = convexHull(h.vertices, maxVertices);
  return { hull: small, cut: original === h.vertices ? small.cut : maxOutside(original, small) };
}

/** How far (same units) the farthest of `points` lies outside `hull` (0 when all are inside). */
export function maxOutside(points: Float64Array, hull: Hull): number {
  const F = hull.faces, S = hull.vertices;
  const planes: Face[] = [];
  for (let t = 0; t < F.length; t += 3) planes.push(makeFace(S, F[t], F[t + 1], F[t + 2]));
  let cut = 0;
  const n = points.length / 3;
  for (let j = 0; j < n; j++) {
    let out = -Infinity;
    for (const f of planes) {
      const d = dist(points, f, j);
      if (d > out) out = d;
    }
    if (out > cut) cut = out;
  }
  return cut;
}

/**
 * The points extreme along `count` directions spread evenly over the sphere (a Fibonacci
 * lattice): all of them are hull vertices, so their hull is an inner approximation of the full
 * one, found in count·n multiply-adds instead of a hull over every vertex of a large mesh.
 */
export function directionalExtremes(points: Float64Array, count: number): Float64Array {
  const n = points.length / 3;
  const chosen = new Set<number>();
  const golden = Math.PI * (3 - Math.sqrt(5));
  for (let k = 0; k < count; k++) {
    const z = 1 - (2 * (k + 0.5)) / count;
    const r = Math.sqrt(1 - z * z);
    const dx = r * Math.cos(golden * k), dy = r * Math.sin(golden * k), dz = z;
    let best = 0, bd = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = dx * points[3 * i] + dy * points[3 * i + 1] + dz * points[3 * i + 2];
      if (v > bd) [bd, best] = [v, i];
    }
    chosen.add(best);
  }
  const out = new Float64Array(3 * chosen.size);
  let k = 0;
  for (const i of chosen) out.set(points.subarray(3 * i, 3 * i + 3), 3 * k++);
  return out;
}
