/** A triangle mesh as read from a file: shared vertices (m, after the file's own units) and triangles. */
export interface MeshData {
  /** x y z per vertex, in the mesh file's frame (before the URDF scale). */
  readonly vertices: Float64Array;
  /** Three vertex indices per triangle. */
  readonly indices: Uint32Array;
  /** 'stl-binary' | 'stl-ascii' | 'obj'. */
  readonly format: string;
  /** What the reader made of an oddity it read past (a binary STL's trailing bytes), for a note. */
  readonly note?: string;
}

/**
 * Welds exactly equal vertices (STL repeats each corner in every triangle that uses it): an open
 * addressing table on the coordinates' bits. Returns shared vertices and remapped triangles.
 */
export function weldVertices(soup: Float32Array | Float64Array, format: string): MeshData {
  const n = soup.length / 3;
  let cap = 16;
  while (cap < n * 2) cap *= 2;
  const table = new Int32Array(cap).fill(-1);
  const out = new Float64Array(soup.length);
  const indices = new Uint32Array(n);
  const f = new Float32Array(3);
  const bits = new Uint32Array(f.buffer);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const x = soup[3 * i], y = soup[3 * i + 1], z = soup[3 * i + 2];
    f[0] = x; f[1] = y; f[2] = z;
    let h = Math.imul(bits[0] ^ Math.imul(bits[1], 0x9e3779b1) ^ Math.imul(bits[2], 0x85ebca77), 0xc2b2ae3d);
    h = (h ^ (h >>> 15)) & (cap - 1);
    for (;;) {
      const k = table[h];
      if (k < 0) {
        table[h] = count;
        out[3 * count] = x;
        out[3 * count + 1] = y;
        out[3 * count + 2] = z;
        indices[i] = count++;
        break;
      }
      if (out[3 * k] === x && out[3 * k + 1] === y && out[3 * k + 2] === z) {
        indices[i] = k;
        break;
      }
      h = (h + 1) & (cap - 1);
    }
  }
  return { vertices: out.slice(0, 3 * count), indices, format };
}
