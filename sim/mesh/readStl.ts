import { UrdfError } from '../urdf/parseUrdf.ts';
import { weldVertices, type MeshData } from './MeshData.ts';

/**
 * Reads an STL file, binary or ASCII. Binary is decided by size, never by the first bytes: a
 * binary STL is exactly 84 + 50·n bytes with n the triangle count at byte 80, and many exporters
 * begin the 80-byte binary header with "solid" (the ASCII keyword). A file of another size whose
 * bytes after the header are not text is a binary STL too: with fewer than 50 bytes after its n
 * triangles (an exporter's padding) it is read with a note, otherwise refused as a binary STL of
 * the wrong size, unless it is an ASCII STL padded after its "endsolid" (a trailing NUL). Anything
 * else is ASCII, its keywords in any case (SolidWorks writes "SOLID",
 * "FACET NORMAL", "VERTEX").
 */
export function readStl(bytes: Uint8Array, where: string): MeshData {
  const count = bytes.length >= 84 ? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(80, true) : 0;
  if (isBinaryStl(bytes)) {
    if (count === 0) throw new UrdfError('URDF_MESH', where, `is a binary STL (${bytes.length} bytes) with a triangle count of 0: no triangles`, 'a binary or ASCII STL file with at least one triangle');
    return readBinary(bytes, count);
  }
  if (bytes.length >= 84 && !isText(bytes, 84, bytes.length) && !isAsciiStl(bytes)) {
    const whole = 84 + 50 * count;
    const extra = bytes.length - whole;
    if (count > 0 && extra > 0 && extra < 50) {
      return { ...readBinary(bytes, count), note: `binary STL of ${count} triangle(s) (${whole} bytes) with ${extra} byte(s) after them, ignored` };
    }
    throw new UrdfError(
      'URDF_MESH',
      where,
      `looks like a binary STL (header "${header(bytes)}", ${bytes.length} bytes, triangle count field ${count}) but ${count === 0 ? 'its count is 0' : `${count} triangles are 84 + 50 × ${count} = ${whole} bytes`}: a truncated or damaged file`,
      'a whole binary STL (80-byte header, triangle count, 50 bytes per triangle) or an ASCII STL; export the mesh again',
    );
  }
  const text = new TextDecoder('latin1').decode(bytes);
  if (!/^\s*solid/i.test(text)) {
    throw new UrdfError('URDF_MESH', where, `is ${bytes.length} bytes: not a binary STL (${count} triangles would be ${84 + 50 * count} bytes) and not ASCII STL (no "solid")`, 'a binary or ASCII STL file');
  }
  const values: number[] = [];
  const re = /vertex\s+(\S+)\s+(\S+)\s+(\S+)/gi;
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

function readBinary(bytes: Uint8Array, n: number): MeshData {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const soup = new Float32Array(9 * n);
  for (let t = 0; t < n; t++) {
    const o = 84 + 50 * t + 12; // skip the facet normal
    for (let k = 0; k < 9; k++) soup[9 * t + k] = view.getFloat32(o + 4 * k, true);
  }
  return weldVertices(soup, 'stl-binary');
}

/**
 * An ASCII STL whatever bytes follow its end: it begins with "solid", holds "facet" and "vertex", and
 * is text up to its "endsolid" line. Editors and some exporters pad the end (a NUL, a DOS end-of-file
 * mark); a binary STL's triangles are not text before an "endsolid".
 */
function isAsciiStl(bytes: Uint8Array): boolean {
  const text = new TextDecoder('latin1').decode(bytes);
  if (!/^\s*solid/i.test(text)) return false;
  const end = text.toLowerCase().lastIndexOf('endsolid');
  if (end < 0) return false;
  const head = text.slice(0, end);
  return /\bfacet\b/i.test(head) && /\bvertex\b/i.test(head) && isText(bytes, 0, end);
}

/** No control byte but tab, line feed, form feed and carriage return in [from, to) (latin1 letters are text). */
function isText(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const b = bytes[i];
    if ((b < 9 || (b > 13 && b < 32) || b === 127) && b !== 26) return false; // 26: a DOS end-of-file mark
  }
  return true;
}

/** The header's printable start, for a message. */
function header(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 80 && i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0) break;
    s += b >= 32 && b < 127 ? String.fromCharCode(b) : '?';
  }
  return s.trim().slice(0, 40);
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
