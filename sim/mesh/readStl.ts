import { UrdfError } from '../urdf/parseUrdf.ts';
import { weldVertices, type MeshData } from './MeshData.ts';

/**
 * Reads an STL file, binary or ASCII. Binary is decided by size, never by the first bytes: a
 * binary STL is exactly 84 + 50·n bytes with n the triangle count at byte 80, and many exporters
 * begin the 80-byte binary header with "solid" (the ASCII keyword). Anything else is read as ASCII.
 */
export function readStl(bytes: Uint8Array, where: string): MeshData {
  if (isBinaryStl(bytes)) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = view.getUint32(80, true);
    const soup = new Float32Array(9 * n);
    for (let t = 0; t < n; t++) {
      const o = 84 + 50 * t + 12; // skip the facet normal
      for (let k = 0; k < 9; k++) soup[9 * t + k] = view.getFloat32(o + 4 * k, true);
    }
    return weldVertices(soup, 'stl-binary');
  }
  const text = new TextDecoder('latin1').decode(bytes);
  if (!/^\s*solid/.test(text)) {
    const n = bytes.length >= 84 ? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(80, true) : 0;
    throw new UrdfError('URDF_MESH', where, `is ${bytes.length} bytes: not a binary STL (${n} triangles would be ${84 + 50 * n} bytes) and not ASCII STL (no "solid")`, 'a binary or ASCII STL file');
  }
  const values: number[] = [];
  const re = /vertex\s+(\S+)\s+(\S+)\s+(\S+)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const x = Number(m[1]), y = Number(m[2]), z = Number(m[3]);
    if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) {
      throw new UrdfError('URDF_MESH', `${where} line ${lineOf(text, m.index)}`, `vertex "${m[0]}" is not three finite numbers`, 'vertex x y z');
    }
    values.push(x, y, z);
  }
  if (values.length === 0 || values.length % 9 !== 0) {
    throw new UrdfError('URDF_MESH', where, `ASCII STL has ${values.length / 3} vertices`, 'three vertices per facet, at least one facet');
  }
  return weldVertices(Float64Array.from(values), 'stl-ascii');
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** A binary STL by size: exactly 84 + 50·n bytes, n the triangle count at byte 80 (the header's words say nothing). */
export function isBinaryStl(bytes: Uint8Array): boolean {
  return bytes.length >= 84 && bytes.length === 84 + 50 * new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(80, true);
}
