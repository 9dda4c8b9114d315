import { describe, it, expect, beforeEach, vi } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Box, ConvexPolyhedron, Cylinder, Sphere } from 'cannon-es';
import { createUrdfSimRobot, describeRobot, FreeRunTask, loadUrdf, parseUrdf, SimRobot, UrdfError } from '../../sim/index.ts';
import { readStl } from '../../sim/mesh/readStl.ts';
import { readObj } from '../../sim/mesh/readObj.ts';
import { convexHull, DegenerateHullError, maxOutside } from '../../sim/mesh/convexHull.ts';
import { clearMeshCache, meshCollisionShapes } from '../../sim/mesh/meshCollision.ts';
import { resolveMeshPath } from '../../sim/urdf/resolveMeshPath.ts';

const FIXTURE_PKG = join(import.meta.dirname, '../fixtures/urdf/mesh_bot_description');
const FIXTURE = join(FIXTURE_PKG, 'urdf/mesh_bot.urdf');

/** Binary STL bytes of `tris` (each 9 numbers), with an 80-byte header starting with `header`. */
function binaryStl(tris: number[][], header = 'solid looks like ascii but is binary'): Uint8Array {
  const b = Buffer.alloc(84 + 50 * tris.length);
  b.write(header.padEnd(80, ' '), 0, 'latin1');
  b.writeUInt32LE(tris.length, 80);
  tris.forEach((t, i) => t.forEach((v, k) => b.writeFloatLE(v, 84 + 50 * i + 12 + 4 * k)));
  return new Uint8Array(b);
}

/** Triangles of a UV sphere (radius r), `rings` x `segments`. */
function sphereTris(r: number, rings: number, segments: number): number[][] {
  const p = (i: number, j: number) => {
    const th = (Math.PI * i) / rings, ph = (2 * Math.PI * j) / segments;
    return [r * Math.sin(th) * Math.cos(ph), r * Math.sin(th) * Math.sin(ph), r * Math.cos(th)];
  };
  const tris: number[][] = [];
  for (let i = 0; i < rings; i++) for (let j = 0; j < segments; j++) {
    tris.push([...p(i, j), ...p(i + 1, j), ...p(i + 1, j + 1)], [...p(i, j), ...p(i + 1, j + 1), ...p(i, j + 1)]);
  }
  return tris;
}

beforeEach(() => clearMeshCache());

describe('mesh files', () => {
  it('reads a binary STL whose header begins with "solid" as binary (decided by size)', () => {
    const stl = readFileSync(join(FIXTURE_PKG, 'meshes/chassis.stl'));
    expect(new TextDecoder().decode(stl.subarray(0, 5))).toBe('solid');
    expect(stl.length).toBe(84 + 50 * 12);
    const m = readStl(stl, 'chassis.stl');
    expect(m.format).toBe('stl-binary');
    expect(m.indices.length / 3).toBe(12);
    expect(m.vertices.length / 3).toBe(8); // welded corners
    expect(Math.max(...m.vertices)).toBe(200); // mm, before the URDF scale
  });

  it('reads an ASCII STL, and refuses a truncated binary one with URDF_MESH', () => {
    const m = readStl(readFileSync(join(FIXTURE_PKG, 'meshes/wheel.stl')), 'wheel.stl');
    expect(m.format).toBe('stl-ascii');
    expect(m.indices.length / 3).toBe(32);
    expect(m.vertices.length / 3).toBe(18);
    const cut = binaryStl(sphereTris(1, 4, 4), 'binary').subarray(0, 300);
    expect(() => readStl(cut, 'cut.stl')).toThrow(UrdfError);
    try {
      readStl(cut, 'cut.stl');
    } catch (e) {
      expect((e as UrdfError).code).toBe('URDF_MESH');
      expect((e as UrdfError).message).toContain('300 bytes');
    }
  });

  it('reads OBJ quads (fanned), v/vt/vn and negative indices; a bad index is URDF_MESH', () => {
    const m = readObj(readFileSync(join(FIXTURE_PKG, 'meshes/arm.obj'), 'utf8'), 'arm.obj');
    expect(m.vertices.length / 3).toBe(8);
    expect(m.indices.length / 3).toBe(12);
    expect(Array.from(m.indices.slice(-6))).toEqual([1, 5, 7, 1, 7, 3]); // "f -7//1 -3//1 -1//1 -5//1"
    expect(() => readObj('v 0 0 0\nf 1 2 3\n', 'bad.obj')).toThrow(/does not name one of the 1 vertices/);
  });
});

describe('convex hull', () => {
  it('is the cube for a cube with interior points; faces counter-clockwise from outside', () => {
    const pts: number[] = [];
    for (const x of [-1, 1]) for (const y of [-1, 1]) for (const z of [-1, 1]) pts.push(x, y, z);
    for (let i = 0; i < 200; i++) pts.push(Math.sin(i) * 0.9, Math.cos(i * 1.3) * 0.9, Math.sin(i * 0.7) * 0.9);
    const h = convexHull(Float64Array.from(pts));
    expect(h.vertices.length / 3).toBe(8);
    expect(h.faces.length / 3).toBe(12);
    expect(maxOutside(Float64Array.from(pts), h)).toBe(0);
    // Signed volume of the closed surface (divergence theorem) is +8: outward faces.
    let vol = 0;
    const V = h.vertices;
    for (let t = 0; t < h.faces.length; t += 3) {
      const [a, b, c] = [h.faces[t], h.faces[t + 1], h.faces[t + 2]].map((i) => [V[3 * i], V[3 * i + 1], V[3 * i + 2]]);
      vol += (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) + a[2] * (b[0] * c[1] - b[1] * c[0])) / 6;
    }
    expect(vol).toBeCloseTo(8, 9);
    expect(() => convexHull(Float64Array.from([0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0.5, 0.5, 0]))).toThrow(DegenerateHullError);
  });

  it('caps a large hull at maxHullVertices, reports the cut, prints the cost of a very large mesh once, and caches by file hash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-mesh-'));
    const file = join(dir, 'ball.stl');
    writeFileSync(file, binaryStl(sphereTris(0.1, 100, 120))); // 24,000 triangles
    const lines: string[] = [];
    const a = meshCollisionShapes(file, [1, 1, 1], 'test', { log: (l) => lines.push(l) });
    expect(a.report.triangles).toBe(24_000);
    expect(a.report.hullVertices).toBe(64);
    expect(a.report.simplified).toBe(true);
    expect(a.report.cut).toBeGreaterThan(0);
    expect(a.report.cut).toBeLessThan(0.01); // < 1 cm on a 10 cm ball
    expect(a.parts[0].shape).toBeInstanceOf(ConvexPolyhedron);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/large mesh ball\.stl \(24000 triangles, \d+ vertices\): convex hull of 64 vertices \(capped; largest cut [\d.]+ mm\) in \d+ ms/);
    // Same bytes under another name: from the cache, nothing printed.
    copyFileSync(file, join(dir, 'ball2.stl'));
    const b = meshCollisionShapes(join(dir, 'ball2.stl'), [1, 1, 1], 'test', { log: (l) => lines.push(l) });
    expect(b.report.cached).toBe(true);
    expect(b.report.ms).toBe(0);
    expect(lines).toHaveLength(1);
    console.log(`hull of a 24,000-triangle sphere: ${a.report.vertices} vertices -> 64, cut ${(a.report.cut * 1000).toFixed(2)} mm, ${a.report.ms.toFixed(0)} ms`);
  });

  it('builds a hull in its own frame, placed by an offset, so cannon-es finds every face normal outward (no warnings)', () => {
    // A box far from its file's origin, as vendor meshes sit in the link frame: x 0.1..0.3, z -0.4..-0.2.
    const q = (a: number[], b: number[], c: number[], d: number[]) => [[...a, ...b, ...c], [...a, ...c, ...d]];
    const v = (i: number) => [i & 1 ? 0.3 : 0.1, i & 2 ? 0.05 : -0.05, i & 4 ? -0.2 : -0.4];
    const tris = [[0, 2, 3, 1], [4, 5, 7, 6], [0, 1, 5, 4], [2, 6, 7, 3], [0, 4, 6, 2], [1, 3, 7, 5]].flatMap(([a, b, c, d]) => q(v(a), v(b), v(c), v(d)));
    const dir = mkdtempSync(join(tmpdir(), 'axon-mesh-'));
    writeFileSync(join(dir, 'shank.stl'), binaryStl(tris));
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    try {
      const { parts } = meshCollisionShapes(join(dir, 'shank.stl'), [1, 1, 1], 'test');
      expect(warn).not.toHaveBeenCalled();
      expect(error).not.toHaveBeenCalled();
      expect([parts[0].offset.x, parts[0].offset.y, parts[0].offset.z].map((x) => +x.toFixed(6))).toEqual([0.2, 0, -0.3]);
      const hull = parts[0].shape as ConvexPolyhedron;
      const xs = hull.vertices.map((p) => +p.x.toFixed(6)), zs = hull.vertices.map((p) => +p.z.toFixed(6));
      expect([Math.min(...xs), Math.max(...xs), Math.min(...zs), Math.max(...zs)]).toEqual([-0.1, 0.1, -0.1, 0.1]);
      hull.faceNormals.forEach((n, i) => expect(n.dot(hull.vertices[hull.faces[i][0]])).toBeGreaterThan(0));
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
  });

  it('fits a box or a capsule (two spheres + a cylinder) by choice', () => {
    const file = join(FIXTURE_PKG, 'meshes/arm.obj'); // 0.04 x 0.04 x 0.30, z from 0 to 0.3
    const box = meshCollisionShapes(file, [1, 1, 1], 'test', { mode: 'box' });
    expect(box.parts).toHaveLength(1);
    const b = box.parts[0].shape as Box;
    expect([b.halfExtents.x, b.halfExtents.y, b.halfExtents.z].map((v) => +v.toFixed(6))).toEqual([0.02, 0.02, 0.15]);
    expect(box.parts[0].offset.z).toBeCloseTo(0.15, 9);
    const cap = meshCollisionShapes(file, [1, 1, 2], 'test', { mode: 'capsule' }); // scaled: 0.6 long
    expect(cap.parts.map((p) => p.shape.constructor)).toEqual([Sphere, Sphere, Cylinder]);
    expect((cap.parts[0].shape as Sphere).radius).toBeCloseTo(0.02, 9);
    expect([cap.parts[0].offset.z, cap.parts[1].offset.z].map((z) => +z.toFixed(6))).toEqual([0.02, 0.58]);
  });
});

describe('mesh paths', () => {
  it('resolves package:// from --urdf-package-path and from the URDF folder\'s ancestors, file:// and relative paths', () => {
    const pkgParent = join(FIXTURE_PKG, '..');
    const viaPath = resolveMeshPath('package://mesh_bot_description/meshes/wheel.stl', { baseDir: '/nonexistent', packagePaths: [pkgParent] });
    expect(viaPath).toEqual({ ok: true, path: join(FIXTURE_PKG, 'meshes/wheel.stl') });
    const viaAncestor = resolveMeshPath('package://mesh_bot_description/meshes/wheel.stl', { baseDir: join(FIXTURE_PKG, 'urdf') });
    expect(viaAncestor.ok).toBe(true);
    expect(resolveMeshPath(`file://${join(FIXTURE_PKG, 'meshes/arm.obj')}`, {}).ok).toBe(true);
    expect(resolveMeshPath('../meshes/arm.obj', { baseDir: join(FIXTURE_PKG, 'urdf') })).toEqual({ ok: true, path: join(FIXTURE_PKG, 'meshes/arm.obj') });
    expect(resolveMeshPath('http://x/y.stl', {})).toMatchObject({ ok: false, reason: 'scheme', scheme: 'http' });
  });

  it('a missing collision mesh is URDF_MESH_NOT_FOUND naming the file and every place looked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-urdf-'));
    mkdirSync(join(dir, 'pkgs'));
    const file = join(dir, 'r.urdf');
    writeFileSync(file, `<robot name="r"><link name="a"><collision><geometry><mesh filename="package://robot_description/meshes/base.stl"/></geometry></collision></link></robot>`);
    let err: UrdfError | undefined;
    try {
      loadUrdf(file, { packagePaths: [join(dir, 'pkgs')] });
    } catch (e) {
      err = e as UrdfError;
    }
    expect(err).toBeInstanceOf(UrdfError);
    expect(err!.code).toBe('URDF_MESH_NOT_FOUND');
    expect(err!.where).toBe(`${file}: <link name="a"> <collision> #1 <geometry> <mesh>`);
    expect(err!.message).toContain('"package://robot_description/meshes/base.stl" not found; looked in: ');
    expect(err!.message).toContain(join(dir, 'pkgs', 'robot_description/meshes/base.stl'));
    expect(err!.message).toContain(join(dir, 'robot_description/meshes/base.stl'));
    expect(err!.expected).toContain('--urdf-package-path');
  });

  it('a missing visual mesh is left out with a note (physics never reads visuals)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-urdf-'));
    const file = join(dir, 'r.urdf');
    writeFileSync(file, `<robot name="r"><link name="a"><visual><geometry><mesh filename="meshes/visual/base.dae"/></geometry></visual><visual><geometry><box size="1 1 1"/></geometry></visual></link></robot>`);
    const m = loadUrdf(file);
    expect(m.linkByName.get('a')!.visuals.map((v) => v.geometry.kind)).toEqual(['box']);
    // a visual with a scheme axon does not read (Gazebo's model://) is left out the same way; a collision one is refused
    writeFileSync(join(dir, 'g.urdf'), `<robot name="g"><link name="a"><visual><geometry><mesh filename="model://cafe/meshes/table.dae"/></geometry></visual></link></robot>`);
    expect(loadUrdf(join(dir, 'g.urdf')).notes.find((n) => n.code === 'URDF_VISUAL_MESH_MISSING')?.message).toContain('uses the scheme model://');
    writeFileSync(join(dir, 'c.urdf'), `<robot name="c"><link name="a"><collision><geometry><mesh filename="model://cafe/meshes/table.dae"/></geometry></collision></link></robot>`);
    expect(() => loadUrdf(join(dir, 'c.urdf'))).toThrow(/uses the scheme model:\/\//);
    expect(m.notes.find((n) => n.code === 'URDF_VISUAL_MESH_MISSING')).toMatchObject({
      where: `${file}: <link name="a"> <visual> #1 <geometry> <mesh>`,
      message: `mesh file "meshes/visual/base.dae" not found (looked in ${join(dir, 'meshes/visual/base.dae')}): the visual is left out; physics never reads it`,
    });
    rmSync(dir, { recursive: true, force: true });
  });

  it("an exporter's absolute mesh path (xacro expanded on another machine) is found by its tail under the URDF's folder, and noted", () => {
    // Universal Robots' ur5e.urdf as a user expanded it: /home/<them>/ws/src/ur_description/meshes/ur5e/...
    const dir = mkdtempSync(join(tmpdir(), 'axon-urdf-'));
    const pkg = join(dir, 'ur_description');
    mkdirSync(join(pkg, 'urdf'), { recursive: true });
    mkdirSync(join(pkg, 'meshes', 'ur5e', 'collision'), { recursive: true });
    copyFileSync(join(FIXTURE_PKG, 'meshes/wheel.stl'), join(pkg, 'meshes/ur5e/collision/base.stl'));
    const abs = '/home/iarc4080/ros2_ws/src/ur_description/meshes/ur5e/collision/base.stl';
    const file = join(pkg, 'urdf', 'ur5e.urdf');
    writeFileSync(file, `<robot name="r"><link name="a"><collision><geometry><mesh filename="file://${abs}"/></geometry></collision><visual><geometry><mesh filename="${abs.replace('collision', 'visual').replace('.stl', '.dae')}"/></geometry></visual></link></robot>`);
    const m = loadUrdf(file);
    expect(m.linkByName.get('a')!.collisions[0].geometry).toMatchObject({ kind: 'mesh', path: join(pkg, 'meshes/ur5e/collision/base.stl') });
    expect(m.notes.find((n) => n.code === 'URDF_MESH_RELOCATED')?.message).toBe(`"file://${abs}" is not on this machine: taken from ${join(pkg, 'meshes/ur5e/collision/base.stl')}, the same folders and file under the URDF's`);
    expect(m.linkByName.get('a')!.visuals).toEqual([]);
    expect(m.notes.map((n) => n.code)).toContain('URDF_VISUAL_MESH_MISSING');
    // a tail is at least a folder and the file: a bare file name elsewhere is not taken
    expect(resolveMeshPath('/home/them/other/wheel.stl', { baseDir: join(FIXTURE_PKG, 'meshes') }).ok).toBe(false); // meshes/wheel.stl exists
    // a one-folder absolute path (a container's /meshes/...) is found by its tail too
    expect(resolveMeshPath('/meshes/wheel.stl', { baseDir: FIXTURE_PKG })).toEqual({ ok: true, path: join(FIXTURE_PKG, 'meshes/wheel.stl'), relocated: true });
    // no further up than the URDF's folder's parent: a short tail there could be another robot's file
    expect(resolveMeshPath('/home/them/armB/meshes/wheel.stl', { baseDir: join(FIXTURE_PKG, 'urdf', 'deeper') }).ok).toBe(false);
    // a Windows exporter (SolidWorks to URDF): an absolute C:\ path, or a relative one with backslashes
    expect(resolveMeshPath('C:\\Users\\them\\Desktop\\mesh_bot_description\\meshes\\wheel.stl', { baseDir: join(FIXTURE_PKG, 'urdf') })).toEqual({ ok: true, path: join(FIXTURE_PKG, 'meshes/wheel.stl'), relocated: true });
    expect(resolveMeshPath('..\\meshes\\wheel.stl', { baseDir: join(FIXTURE_PKG, 'urdf') })).toEqual({ ok: true, path: join(FIXTURE_PKG, 'meshes/wheel.stl') });
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('a robot as makers ship it (tests/fixtures/urdf/mesh_bot_description)', () => {
  it('loads: tree from parent/child (joints are listed tip first), meshes resolved, extensions ignored with one note', () => {
    const m = loadUrdf(FIXTURE);
    expect(m.root).toBe('base_link');
    expect(m.joints.map((j) => j.name)).toEqual(['camera_fixed', 'arm_joint', 'wheel_joint', 'imu_fixed', 'base_fixed']);
    expect(m.treeOrder.map((j) => j.name)).toEqual(['base_fixed', 'arm_joint', 'camera_fixed', 'wheel_joint', 'imu_fixed']);
    const g = m.linkByName.get('chassis')!.collisions[0].geometry;
    expect(g).toMatchObject({ kind: 'mesh', scale: [0.001, 0.001, 0.001], path: join(FIXTURE_PKG, 'meshes/chassis.stl') });
    expect(m.notes).toHaveLength(1);
    expect(m.notes[0]).toMatchObject({ code: 'URDF_EXTENSION_IGNORED', message: 'ignored extension elements: <gazebo> x2, <transmission>, <mujoco>' });
  });

  it('floats (the massless base_link is fixed to the massive chassis), falls under gravity and rests on the ground on its hulls', () => {
    const r = new SimRobot(loadUrdf(FIXTURE), { basePosition: [0, 0, 0.3], imuLink: 'imu_link' });
    expect(r.spec.joints.map((j) => j.name)).toEqual(['arm_joint', 'wheel_joint']);
    expect(r.bodyOf('chassis').shapes.map((s) => s.constructor)).toEqual([ConvexPolyhedron]);
    expect(r.bodyOf('wheel').shapes.map((s) => s.constructor)).toEqual([ConvexPolyhedron]);
    expect(r.meshReports.map((x) => [x.format, x.triangles, x.hullVertices])).toEqual([['stl-binary', 12, 8], ['obj', 12, 8], ['stl-ascii', 32, 16]]);
    expect(r.frameNames()).toEqual(['camera_mount', 'imu_link']);
    const pos = new Float64Array(3), quat = new Float64Array(4);
    const z: number[] = [];
    for (let k = 0; k < 6; k++) {
      r.step(0.5);
      r.linkPose('chassis', pos, quat);
      z.push(pos[2]);
      expect(pos.every(Number.isFinite)).toBe(true);
    }
    expect(z[0]).toBeLessThan(0.2); // fell from 0.3 m
    expect(Math.abs(z[5] - z[3])).toBeLessThan(1e-3); // and rests
    expect(z[5]).toBeGreaterThan(0.04); // on its collision shapes, not through the ground
    const task = new FreeRunTask();
    task.reset(r.observe());
    task.step(r.observe(), 0.02);
    expect(task.success).toBe(true); // no NaN after 3 s
    // The IMU on the empty frame link reads +g up at rest.
    const acc = r.observe().imu!.linearAcceleration;
    expect(Math.hypot(acc[0], acc[1], acc[2])).toBeCloseTo(9.81, 0);
  });

  it('collision meshes as fitted boxes, or none, by choice', () => {
    const box = new SimRobot(loadUrdf(FIXTURE), { meshCollision: 'box' });
    expect(box.bodyOf('chassis').shapes.map((s) => s.constructor)).toEqual([Box]);
    const none = new SimRobot(loadUrdf(FIXTURE), { meshCollision: 'none' });
    expect(none.bodyOf('chassis').shapes).toHaveLength(0);
    // Parsed from text without a folder: meshes unresolved, they do not collide, and a note says so.
    const text = new SimRobot(parseUrdf(readFileSync(FIXTURE, 'utf8')));
    expect(text.bodyOf('chassis').shapes).toHaveLength(0);
    expect(text.notes.map((n) => n.code)).toContain('SIM_MESH_UNRESOLVED');
  });

  it('describe: the tree, the joints in axon order, total mass, actuated count and what was approximated', () => {
    const r = createUrdfSimRobot(FIXTURE, { packagePaths: [join(FIXTURE_PKG, '..')] });
    const text = describeRobot(r.model, r);
    expect(text[0]).toBe('robot mesh_bot: 6 links, 5 joints, 2 actuated, total mass 4.800 kg, floating base');
    expect(text).toContain('        <- arm_joint (revolute axis 0 1 0 [-1.5, 1.5] effort 5 velocity 3)');
    expect(text).toContain('        <- wheel_joint (continuous axis 0 1 0 effort inf velocity inf)'); // a continuous joint has limits of effort and speed too
    expect(text).toContain('              camera_mount [frame]');
    expect(text.slice(text.indexOf('actuated joints in axon order:') + 1, text.indexOf('actuated joints in axon order:') + 3)).toEqual([
      '  0: arm_joint revolute [-1.5, 1.5] effort 5 velocity 3',
      '  1: wheel_joint continuous [-inf, inf] effort inf velocity inf',
    ]);
    expect(text.some((l) => l.includes('URDF_EXTENSION_IGNORED') && l.includes('<gazebo> x2, <transmission>, <mujoco>'))).toBe(true);
    expect(text.some((l) => l.includes('SIM_MESH_COLLISION: <robot name="mesh_bot">: 3 collision mesh(es) as convex hulls (56 triangles in, 32 hull vertices out)'))).toBe(true);
  });
});
