import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveMeshPath } from '../../sim/urdf/resolveMeshPath.ts';
import { axon, runAxon } from '../helpers/cli.ts';

/**
 * A package whose folder is not named as the package, as a clone of
 * UniversalRobots/Universal_Robots_ROS2_Description is (it holds ur_description) and as a GitHub
 * zip unpacks (`X-main/`): package.xml (format 3, a comment naming another package first) says
 * ur_description, the URDF uses package://ur_description/meshes/base_link.STL, the mesh is an
 * ASCII STL with CRLF.
 */
const root = mkdtempSync(join(tmpdir(), 'axon-pkgname-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const pkg = join(root, 'src', 'Universal_Robots_ROS2_Description');
mkdirSync(join(pkg, 'urdf'), { recursive: true });
mkdirSync(join(pkg, 'meshes'), { recursive: true });
writeFileSync(
  join(pkg, 'package.xml'),
  `<?xml version="1.0"?>\n<?xml-model href="http://download.ros.org/schema/package_format3.xsd"?>\n<package format="3">\n  <!-- was <name>ur_description_old</name> -->\n  <name>ur_description</name>\n  <version>2.1.0</version>\n</package>\n`,
);
const tri = (z: number) => `facet normal 0 0 1\r\n outer loop\r\n  vertex 0 0 ${z}\r\n  vertex 0.1 0 ${z}\r\n  vertex 0 0.1 ${z}\r\n endloop\r\nendfacet\r\n`;
writeFileSync(join(pkg, 'meshes', 'base_link.STL'), `solid base\r\n${tri(0)}${tri(0.05)}facet normal 1 0 0\r\n outer loop\r\n  vertex 0 0 0\r\n  vertex 0 0.1 0.05\r\n  vertex 0.1 0 0.05\r\n endloop\r\nendfacet\r\nendsolid base\r\n`);
const urdf = `<robot name="ur_like"><link name="base"><inertial><mass value="2"/><inertia ixx="0.02" ixy="0" ixz="0" iyy="0.02" iyz="0" izz="0.02"/></inertial>
<collision><geometry><mesh filename="package://ur_description/meshes/base_link.STL"/></geometry></collision></link></robot>`;
writeFileSync(join(pkg, 'urdf', 'robot.urdf'), urdf);
const elsewhere = join(root, 'elsewhere');
mkdirSync(elsewhere);
writeFileSync(join(elsewhere, 'robot.urdf'), urdf);
const want = join(pkg, 'meshes', 'base_link.STL');

describe('package://PKG is also found through a folder whose package.xml <name> is PKG', () => {
  it('from the URDF inside the package, with no flag', () => {
    expect(resolveMeshPath('package://ur_description/meshes/base_link.STL', { baseDir: join(pkg, 'urdf') })).toEqual({ ok: true, path: want });
  });

  it('through a package path that is the package or holds it one level down', () => {
    for (const p of [pkg, join(root, 'src')]) expect(resolveMeshPath('package://ur_description/meshes/base_link.STL', { baseDir: elsewhere, packagePaths: [p] })).toEqual({ ok: true, path: want });
    expect(resolveMeshPath('package://ur_description_old/meshes/base_link.STL', { baseDir: elsewhere, packagePaths: [pkg] }).ok).toBe(false);
  });

  it('axon describe reads it with no flag, with --urdf-package-path and with $ROS_PACKAGE_PATH', () => {
    const plain = axon('describe', join(pkg, 'urdf', 'robot.urdf'));
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('collision: mesh base_link.STL');
    const flag = axon('describe', join(elsewhere, 'robot.urdf'), '--urdf-package-path', pkg);
    expect(flag.code, flag.stderr).toBe(0);
    const env = runAxon(['describe', join(elsewhere, 'robot.urdf')], 60_000, { ...process.env, ROS_PACKAGE_PATH: join(root, 'src') });
    expect(env.code, env.stderr).toBe(0);
  }, 60_000);
});

describe('two clones of one package side by side (a_clone, b_clone, both <name>mypkg</name>)', () => {
  const ws = join(root, 'ws');
  for (const c of ['a_clone', 'b_clone']) {
    mkdirSync(join(ws, c, 'urdf'), { recursive: true });
    mkdirSync(join(ws, c, 'meshes'), { recursive: true });
    writeFileSync(join(ws, c, 'package.xml'), '<package format="2"><name>mypkg</name></package>\n');
  }
  writeFileSync(join(ws, 'a_clone', 'meshes', 'box.STL'), `solid box\r\n${tri(0)}endsolid box\r\n`);
  writeFileSync(join(ws, 'a_clone', 'meshes', 'both.STL'), `solid a\r\n${tri(0)}endsolid a\r\n`);
  writeFileSync(join(ws, 'b_clone', 'meshes', 'both.STL'), `solid b\r\n${tri(0)}endsolid b\r\n`);

  it("each URDF's own clone is the package", () => {
    for (const c of ['a_clone', 'b_clone']) expect(resolveMeshPath('package://mypkg/meshes/both.STL', { baseDir: join(ws, c, 'urdf') })).toEqual({ ok: true, path: join(ws, c, 'meshes', 'both.STL') });
  });

  it("a mesh missing from the URDF's own clone is missing, not taken from the sibling clone (ROS resolves the package, then the file)", () => {
    const r = resolveMeshPath('package://mypkg/meshes/box.STL', { baseDir: join(ws, 'b_clone', 'urdf') });
    expect(r).toEqual({ ok: false, reason: 'missing', looked: [join(ws, 'b_clone', 'meshes', 'box.STL')] });
  });
});
