/**
 * STL files whose facets say `normal 0 0 0` (allowed by the format, common in CAD exports; the
 * fixture's binary chassis.stl and ASCII wheel.stl both do) are lit by their vertex order, not drawn
 * black: the page's ensureNormals (src/viewer/page/meshNormals.js) on three's STLLoader output, as
 * the page loads them (review R18 finding 5). The page itself: tests/src/viewer/meshes.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureNormals } from '../../../src/viewer/page/meshNormals.js';

// three as the page imports it (no type declarations installed: imported by a name tsc does not resolve).
const [THREE, STL] = ['three', 'three/addons/loaders/STLLoader.js'];
const { BoxGeometry, BufferAttribute, BufferGeometry, Vector3 } = (await import(THREE)) as any;
const { STLLoader } = (await import(STL)) as any;
type BufferGeometry = any;

const MESHES = join(import.meta.dirname, '../../fixtures/urdf/mesh_bot_description/meshes');
const load = (name: string): BufferGeometry => {
  const b = readFileSync(join(MESHES, name));
  return new STLLoader().parse(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
};
const lengths = (g: BufferGeometry) => {
  const n = g.attributes.normal;
  return Array.from({ length: n.count }, (_, i) => Math.hypot(n.getX(i), n.getY(i), n.getZ(i)));
};

describe('mesh normals for the page', () => {
  it.each(['chassis.stl', 'wheel.stl'])('%s: zero facet normals are computed from the vertex order (right-hand rule), one per facet', (name) => {
    const g = load(name);
    expect(g.attributes.normal).toBeDefined(); // STLLoader always sets it ...
    expect(lengths(g).every((l) => l === 0)).toBe(true); // ... here from the file's zero normals
    expect(ensureNormals(g)).toBe(true);
    expect(lengths(g).every((l) => Math.abs(l - 1) < 1e-6)).toBe(true);
    const p = g.attributes.position, n = g.attributes.normal;
    const a = new Vector3(), b = new Vector3(), c = new Vector3();
    for (let f = 0; f < p.count / 3; f++) {
      a.fromBufferAttribute(p, 3 * f);
      b.fromBufferAttribute(p, 3 * f + 1);
      c.fromBufferAttribute(p, 3 * f + 2);
      const face = b.clone().sub(a).cross(c.clone().sub(a)).normalize();
      for (let k = 0; k < 3; k++) expect(new Vector3().fromBufferAttribute(n, 3 * f + k).dot(face)).toBeCloseTo(1, 6);
    }
    expect(ensureNormals(g)).toBe(false); // good now: left alone
  });

  it('keeps a file’s own normals; one zero or NaN normal among good ones is enough to recompute; none at all are computed', () => {
    const box = new BoxGeometry(1, 2, 3).toNonIndexed();
    const own = Float32Array.from(box.attributes.normal.array);
    expect(ensureNormals(box)).toBe(false);
    expect(Array.from(box.attributes.normal.array)).toEqual(Array.from(own));
    for (const bad of [0, Number.NaN]) {
      const g = new BoxGeometry(1, 2, 3).toNonIndexed();
      (g.attributes.normal.array as Float32Array).fill(bad, 6, 9);
      expect(ensureNormals(g)).toBe(true);
      expect(lengths(g).every((l) => Math.abs(l - 1) < 1e-6)).toBe(true);
    }
    const bare = new BufferGeometry();
    bare.setAttribute('position', new BufferAttribute(Float32Array.from([0, 0, 0, 1, 0, 0, 0, 1, 0]), 3));
    expect(ensureNormals(bare)).toBe(true);
    expect(Array.from(bare.attributes.normal.array)).toEqual([0, 0, 1, 0, 0, 1, 0, 0, 1]);
  });
});
