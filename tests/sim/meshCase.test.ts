import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveMeshPath } from '../../sim/urdf/resolveMeshPath.ts';
import { parseUrdf, UrdfError } from '../../sim/urdf/parseUrdf.ts';

/** A URDF edited on Windows: it names meshes/base_link.stl, the exporter wrote base_link.STL. */
const dir = mkdtempSync(join(tmpdir(), 'axon-meshcase-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'meshes'));
writeFileSync(join(dir, 'meshes', 'base_link.STL'), Buffer.alloc(84));
const urdf = (file: string) => `<robot name="c"><link name="base"><inertial><mass value="1"/><inertia ixx="1e-3" ixy="0" ixz="0" iyy="1e-3" iyz="0" izz="1e-3"/></inertial>
<visual><geometry><mesh filename="meshes/Base_Link.stl"/></geometry></visual>
<collision><geometry><mesh filename="${file}"/></geometry></collision></link></robot>`;

describe('a mesh missing whose name differs only in case from a file present is named', () => {
  it('resolveMeshPath says which file it is, and does not use it', () => {
    const r = resolveMeshPath('meshes/base_link.stl', { baseDir: dir });
    expect(r).toMatchObject({ ok: false, reason: 'missing', otherCase: join(dir, 'meshes', 'base_link.STL') });
    expect(resolveMeshPath('meshes/other.stl', { baseDir: dir })).not.toHaveProperty('otherCase');
  });

  it('the URDF_MESH_NOT_FOUND error and the visual note name it', () => {
    let err: unknown;
    try {
      parseUrdf(urdf('meshes/base_link.stl'), { baseDir: dir });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UrdfError);
    expect((err as UrdfError).code).toBe('URDF_MESH_NOT_FOUND');
    expect((err as UrdfError).message).toContain(`${join(dir, 'meshes', 'base_link.STL')} exists, its name differing only in case`);
    const m = parseUrdf(urdf('meshes/base_link.STL'), { baseDir: dir });
    expect(m.notes.find((n) => n.code === 'URDF_VISUAL_MESH_MISSING')?.message).toContain('base_link.STL exists, its name differing only in case');
  });
});
