import { UrdfError } from '../urdf/parseUrdf.ts';
import type { MeshData } from './MeshData.ts';

/**
 * Reads a Wavefront OBJ's geometry: `v x y z` vertices and `f` faces (v, v/vt, v//vn, v/vt/vn;
 * negative indices count back from the last vertex; polygons are fanned into triangles).
 * Materials, normals and texture coordinates are the viewer's business.
 */
export function readObj(text: string, where: string): MeshData {
  const verts: number[] = [];
  const idx: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln].trim();
    if (line.startsWith('v ') || line.startsWith('v\t')) {
      const p = line.split(/\s+/);
      const x = Number(p[1]), y = Number(p[2]), z = Number(p[3]);
      if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) {
        throw new UrdfError('URDF_MESH', `${where} line ${ln + 1}`, `"${line}" is not a vertex of three finite numbers`, 'v x y z');
      }
      verts.push(x, y, z);
    } else if (line.startsWith('f ') || line.startsWith('f\t')) {
      const p = line.split(/\s+/).slice(1);
      const count = verts.length / 3;
      const face = p.map((tok) => {
        const i = parseInt(tok, 10);
        const k = i < 0 ? count + i : i - 1;
        if (!Number.isInteger(i) || i === 0 || k < 0 || k >= count) {
          throw new UrdfError('URDF_MESH', `${where} line ${ln + 1}`, `face index "${tok}" does not name one of the ${count} vertices so far`, 'indices 1..n or -1..-n');
        }
        return k;
      });
      for (let t = 1; t + 1 < face.length; t++) idx.push(face[0], face[t], face[t + 1]);
    }
  }
  if (verts.length === 0) throw new UrdfError('URDF_MESH', where, 'has no vertices', 'an OBJ file with v lines');
  return { vertices: Float64Array.from(verts), indices: Uint32Array.from(idx), format: 'obj' };
}
