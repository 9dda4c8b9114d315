import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMujocoUrdfRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { loadMujocoModule } from '../../sim/mujoco/loadMujoco.ts';
import { readStl } from '../../sim/mesh/readStl.ts';
import { SimRobot } from '../../sim/SimRobot.ts';
import { loadUrdf } from '../../sim/urdf/loadUrdf.ts';
import { boxTris } from '../helpers/meshHumanoid.ts';
import { solidHeaderStl } from '../helpers/vendorHumanoid.ts';

/**
 * A wheeled base as Unitree's go2w ships it: an STL body and Collada wheels (`.dae`), which
 * MuJoCo cannot decode. axon leaves the wheels' collision out with a note, as cannon-es does,
 * instead of failing the compile; `--mesh-collision none` leaves out every collision mesh; a
 * primitive fit (box, capsule) is cannon-es's and is refused under MuJoCo.
 */
describe('collision meshes a simulator cannot read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'axon-mjmesh-'));
  mkdirSync(join(dir, 'meshes'));
  writeFileSync(join(dir, 'meshes', 'base.STL'), solidHeaderStl(boxTris(0.4, 0.2, 0.1), 'base'));
  writeFileSync(join(dir, 'meshes', 'wheel.dae'), '<?xml version="1.0"?><COLLADA xmlns="http://www.collada.org/2005/11/COLLADASchema" version="1.4.1"/>');
  const file = join(dir, 'wheely.urdf');
  writeFileSync(
    file,
    `<robot name="wheely">
  <link name="base">
    <inertial><mass value="5"/><inertia ixx="0.02" iyy="0.07" izz="0.08" ixy="0" ixz="0" iyz="0"/></inertial>
    <collision><geometry><mesh filename="meshes/base.STL"/></geometry></collision>
  </link>
  <link name="wheel">
    <inertial><mass value="0.5"/><inertia ixx="0.001" iyy="0.002" izz="0.001" ixy="0" ixz="0" iyz="0"/></inertial>
    <collision><geometry><mesh filename='meshes/wheel.dae'/></geometry></collision>
  </link>
  <gazebo reference="wheel"><collision><surface><friction><ode><mu>0.9</mu></ode></friction></surface></collision></gazebo>
  <joint name="wheel_joint" type="continuous"><parent link="base"/><child link="wheel"/><origin xyz="0.2 0.15 -0.05"/><axis xyz="0 1 0"/><limit effort="10" velocity="30"/></joint>
</robot>`,
  );
  const load = () => loadUrdf(file);

  it('leaves out what MuJoCo cannot decode, with a note, and keeps the STL', async () => {
    const r = await createMujocoUrdfRobot(file, load(), { physicsDt: 0.002, spawnOnGround: true });
    const note = r.notes.find((n) => n.code === 'MUJOCO_MESH_DROPPED');
    expect(note?.message).toBe('1 collision mesh(es) left out (MuJoCo reads STL, OBJ and MSH only): wheel.dae; those collisions do not exist');
    // the STL body still collides: the base rests on the ground, 5 cm of box below its origin
    for (let k = 0; k < 200; k++) r.step(0.002);
    expect(r.observe().base!.position[2]).toBeGreaterThan(0.03);
    r.dispose();
  });

  it('cannon-es: the Collada wheel gets no shape and the mesh summary counts only the meshes that became shapes', () => {
    const r = new SimRobot(load(), { physicsDt: 0.002 });
    const notes = Object.fromEntries(r.notes.map((n) => [n.code, n.message]));
    expect(notes.SIM_MESH_FALLBACK).toContain('wheel.dae: Collada collision meshes are not read');
    expect(notes.SIM_MESH_COLLISION).toMatch(/^1 collision mesh\(es\) as convex hulls \(12 triangles in/);
  });

  it('--mesh-collision none leaves out every collision mesh; box and capsule are refused', async () => {
    const r = await createMujocoUrdfRobot(file, load(), { physicsDt: 0.002, meshCollision: 'none', basePosition: [0, 0, 1] });
    expect(r.notes.find((n) => n.code === 'MUJOCO_MESH_DROPPED')?.message).toContain('2 collision mesh(es) left out (--mesh-collision none): base.STL, wheel.dae');
    r.dispose();
    await expect(createMujocoUrdfRobot(file, load(), { physicsDt: 0.002, meshCollision: 'box' })).rejects.toThrow(/--mesh-collision box: fits a primitive for cannon-es; MuJoCo collides with each mesh's convex hull/);
  });
});

describe('an ASCII STL collision mesh under MuJoCo (its decoder reads binary STL only)', () => {
  it('is handed over as binary, the same triangles: the wheel of tests/fixtures mesh_bot compiles with its extents', async () => {
    const file = join(import.meta.dirname, '../fixtures/urdf/mesh_bot_description/urdf/mesh_bot.urdf');
    const stl = readFileSync(join(import.meta.dirname, '../fixtures/urdf/mesh_bot_description/meshes/wheel.stl'));
    expect(new TextDecoder().decode(stl.subarray(0, 5))).toBe('solid'); // ASCII: the compile failed on it before
    const r = await createMujocoUrdfRobot(file, loadUrdf(file), { physicsDt: 0.002, basePosition: [0, 0, 0.3] });
    const mj = await loadMujocoModule();
    const m = r.model;
    const id = mj.mj_name2id(m, mj.mjtObj.mjOBJ_MESH.value, 'wheel');
    expect(id).toBeGreaterThanOrEqual(0);
    const adr = (m.mesh_vertadr as Int32Array)[id], num = (m.mesh_vertnum as Int32Array)[id];
    const vert = (m.mesh_vert as Float32Array).subarray(3 * adr, 3 * (adr + num));
    // MuJoCo moves a mesh to its centre and principal axes: compare the sorted extents.
    const extents = (v: ArrayLike<number>, count: number) =>
      [0, 1, 2].map((c) => {
        let lo = Infinity, hi = -Infinity;
        for (let i = 0; i < count; i++) (lo = Math.min(lo, v[3 * i + c])), (hi = Math.max(hi, v[3 * i + c]));
        return hi - lo;
      }).sort((a, b) => a - b);
    const ascii = readStl(stl, 'wheel.stl');
    const scale = loadUrdf(file).linkByName.get('wheel')!.collisions[0].geometry as { scale: number[] };
    const want = extents(ascii.vertices, ascii.vertices.length / 3).map((e) => e * Math.abs(scale.scale[0]));
    extents(vert, num).forEach((e, i) => expect(e).toBeCloseTo(want[i], 5));
    r.dispose();
  });
});
