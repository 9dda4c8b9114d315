import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readStl } from '../../sim/mesh/readStl.ts';
import { UrdfError } from '../../sim/urdf/parseUrdf.ts';
import { axon } from '../helpers/cli.ts';

/** A 2 cm tetrahedron's four faces. */
const TRIS = [
  [[0, 0, 0], [0.02, 0, 0], [0, 0.02, 0]],
  [[0, 0, 0], [0, 0.02, 0], [0, 0, 0.02]],
  [[0, 0, 0], [0, 0, 0.02], [0.02, 0, 0]],
  [[0.02, 0, 0], [0, 0, 0.02], [0, 0.02, 0]],
];

/** ASCII STL as SolidWorks writes it: upper-case keywords, E notation, CRLF. `vertex` spells the vertex keyword. */
function ascii(vertex = 'VERTEX', solid = 'SOLID'): Buffer {
  const f = TRIS.map((t) => `  FACET NORMAL 0 0 0\r\n    OUTER LOOP\r\n${t.map((v) => `      ${vertex} ${v.map((x) => x.toExponential(6).toUpperCase()).join(' ')}\r\n`).join('')}    ENDLOOP\r\n  ENDFACET\r\n`).join('');
  return Buffer.from(`${solid} PART\r\n${f}END${solid} PART\r\n`, 'latin1');
}

/** Binary STL whose header begins with "solid" (SolidWorks), `count` in the count field, `pad` bytes after the triangles. */
function binary(count = TRIS.length, pad = 0): Buffer {
  const b = Buffer.alloc(84 + 50 * TRIS.length + pad);
  b.write('solid SolidWorks binary export', 0, 'latin1');
  b.writeUInt32LE(count, 80);
  TRIS.forEach((t, i) => t.flat().forEach((x, k) => b.writeFloatLE(x, 84 + 50 * i + 12 + 4 * k)));
  return b;
}

const refusal = (bytes: Buffer): UrdfError => {
  try {
    readStl(bytes, 'part.stl');
  } catch (e) {
    return e as UrdfError;
  }
  throw new Error('not refused');
};

describe('STL as exporters write it: keywords in any case, a binary STL told apart by its bytes', () => {
  it('reads upper-case and mixed-case ASCII keywords', () => {
    for (const b of [ascii(), ascii('Vertex', 'solid'), ascii('vertex', 'Solid')]) {
      const m = readStl(b, 'part.stl');
      expect(m.format).toBe('stl-ascii');
      expect(m.indices.length).toBe(12);
      expect(m.vertices.length).toBe(12);
    }
  });

  it('reads an ASCII STL padded after its endsolid (a trailing NUL, NUL padding, a DOS end-of-file mark)', () => {
    const lf = Buffer.from(ascii('vertex', 'solid').toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    for (const b of [Buffer.concat([lf, Buffer.from([0])]), Buffer.concat([ascii(), Buffer.alloc(7)]), Buffer.concat([lf, Buffer.from([26, 0, 0])])]) {
      const m = readStl(b, 'part.stl');
      expect(m.format).toBe('stl-ascii');
      expect(m.indices.length).toBe(12);
    }
    // A NUL inside the facets is no padding: the file is not read as text.
    const broken = Buffer.from(lf);
    broken[lf.indexOf('vertex') + 2] = 0;
    expect(refusal(broken).code).toBe('URDF_MESH');
  });

  it('reads a binary STL with a few trailing bytes, with a note', () => {
    const m = readStl(binary(TRIS.length, 2), 'part.stl');
    expect(m.format).toBe('stl-binary');
    expect(m.indices.length).toBe(12);
    expect(m.note).toBe('binary STL of 4 triangle(s) (284 bytes) with 2 byte(s) after them, ignored');
  });

  it('names a binary STL of the wrong size or with no triangles as binary, with the sizes', () => {
    const zero = refusal(binary(0));
    expect(zero.code).toBe('URDF_MESH');
    expect(zero.message).toContain('looks like a binary STL (header "solid SolidWorks binary export", 284 bytes, triangle count field 0) but its count is 0');
    const short = refusal(binary(9));
    expect(short.message).toContain('284 bytes, triangle count field 9) but 9 triangles are 84 + 50 × 9 = 534 bytes');
    const empty = Buffer.alloc(84);
    empty.write('solid empty', 0, 'latin1');
    expect(refusal(empty).message).toContain('with a triangle count of 0: no triangles');
  });

  const dir = mkdtempSync(join(tmpdir(), 'axon-stl-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const physics of ['cannon', 'mujoco'])
    it(`axon sim --physics ${physics} runs a robot on an upper-case ASCII STL and a padded binary one`, () => {
      const d = join(dir, physics);
      mkdirSync(join(d, 'meshes'), { recursive: true });
      writeFileSync(join(d, 'meshes', 'upper.stl'), ascii());
      writeFileSync(join(d, 'meshes', 'padded.STL'), binary(TRIS.length, 2));
      writeFileSync(
        join(d, 'robot.urdf'),
        `<robot name="stl"><link name="base"><inertial><mass value="2"/><inertia ixx="0.02" ixy="0" ixz="0" iyy="0.02" iyz="0" izz="0.02"/></inertial>
<collision><origin xyz="-0.1 0 0"/><geometry><mesh filename="meshes/upper.stl" scale="5 5 5"/></geometry></collision>
<collision><origin xyz="0.1 0 0"/><geometry><mesh filename="meshes/padded.STL" scale="5 5 5"/></geometry></collision></link>
<link name="l1"><inertial><mass value="0.2"/><inertia ixx="1e-4" ixy="0" ixz="0" iyy="1e-4" iyz="0" izz="1e-4"/></inertial></link>
<joint name="j1" type="revolute"><origin xyz="0 0 0.1"/><parent link="base"/><child link="l1"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="1" velocity="1"/></joint></robot>`,
      );
      const r = axon('sim', '--urdf', join(d, 'robot.urdf'), '--physics', physics, '--duration', '0.5', '--fast', '--json');
      expect(r.code, r.stderr).toBe(0);
      if (physics === 'cannon') expect(r.stderr).toContain('SIM_MESH_READ');
    }, 60_000);
});
