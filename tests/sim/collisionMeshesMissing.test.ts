/**
 * A URDF copied without its meshes, as a user takes TheRobotStudio/SO-ARM100's
 * Simulation/SO101/so101_new_calib.urdf (commit 0aee1d0f885a9643b91f544be1ef86d1200432c2) out of its
 * folder: every collision is a mesh by a relative path (assets/*.stl) that is not there. Without
 * its meshes nothing can fit a collision shape, so the default (hull) refuses it, naming the way
 * out; `--mesh-collision none` reads no collision mesh, so it loads and runs, with one note.
 * The fixture keeps the file's awkward parts: collisions only as meshes, the visual and collision
 * of a part on the same file, an `<origin>` element inside a frame link (onshape-to-robot writes
 * one), 1e-9 kg frame links with a zero tensor, joints listed after every link, in reverse.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createUrdfSimRobot } from '../../sim/describeRobot.ts';
import { loadUrdf } from '../../sim/urdf/loadUrdf.ts';
import { UrdfError } from '../../sim/urdf/parseUrdf.ts';
import { axon } from '../helpers/cli.ts';

const part = (xyz: string, rpy: string, mesh: string) => {
  const o = `<origin xyz="${xyz}" rpy="${rpy}"/>`;
  const g = `<geometry><mesh filename="assets/${mesh}.stl"/></geometry>`;
  return `<visual>${o}${g}<material name="3d_printed"/></visual><collision>${o}${g}</collision>`;
};
const inertial = (xyz: string, m: string, i: string) => `<inertial><origin xyz="${xyz}" rpy="0 0 0"/><mass value="${m}"/><inertia ${i}/></inertial>`;
const URDF = `<?xml version="1.0" encoding="utf-8"?>
<!-- Generated using onshape-to-robot -->
<robot name="so101_new_calib">
  <material name="3d_printed"><color rgba="1.0 0.82 0.12 1.0"/></material>
  <link name="base">${inertial('0.020739 0.00204287 0.065966', '0.147', 'ixx="0.000136117" ixy="4.59787e-07" ixz="9.75275e-08" iyy="0.000114686" iyz="-4.97151e-06" izz="0.000130364"')}
    ${part('0.0206915 0.0221255 0.0300817', '1.5708 -1.23909e-16 2.33147e-15', 'base_motor_holder_so101_v1')}
    ${part('0.0207909 0.0221255 0.0300817', '1.5708 -0 0', 'base_so101_v2')}</link>
  <link name="baseframe"><origin xyz="0 0 0" rpy="0 -0 0"/>${inertial('0 0 0', '1e-9', 'ixx="0" ixy="0" ixz="0" iyy="0" iyz="0" izz="0"')}</link>
  <joint name="baseframe_frame" type="fixed"><origin xyz="0.020791 0.0157608 0.0324817" rpy="2.77556e-17 -9.52796e-30 -2.64454e-46"/><parent link="base"/><child link="baseframe"/><axis xyz="0 0 0"/></joint>
  <link name="shoulder">${inertial('-0.0307604 -1.66727e-05 -0.0252713', '0.100006', 'ixx="8.3759e-05" ixy="7.55525e-08" ixz="-1.16342e-06" iyy="8.10403e-05" iyz="1.54663e-07" izz="2.39783e-05"')}
    ${part('-0.0303992 0.000422241 -0.0417', '1.5708 1.5708 0', 'sts3215_03a_v1')}</link>
  <link name="upper_arm">${inertial('-0.0898471 -0.00838224 0.0184089', '0.103', 'ixx="4.08002e-05" ixy="-1.97819e-05" ixz="-4.03016e-08" iyy="0.000147318" iyz="8.97326e-09" izz="0.000142487"')}
    ${part('-0.11257 -0.0155 0.0187', '-3.14159 -6.8695e-16 -1.5708', 'sts3215_03a_v1')}
    ${part('-0.065085 0.012 0.0182', '3.14159 -9.35612e-32 0', 'upper_arm_so101_v1')}</link>
  <joint name="shoulder_lift" type="revolute"><origin xyz="-0.0303992 -0.0182778 -0.0542" rpy="-1.5708 -1.5708 0"/><parent link="shoulder"/><child link="upper_arm"/><axis xyz="0 0 1"/><limit effort="10" velocity="10" lower="-1.74533" upper="1.74533"/></joint>
  <joint name="shoulder_pan" type="revolute"><origin xyz="0.0207909 -0.0230745 0.0948817" rpy="-3.14159 6.03684e-16 1.5708"/><parent link="base"/><child link="shoulder"/><axis xyz="0 0 1"/><limit effort="10" velocity="10" lower="-1.91986" upper="1.91986"/></joint>
</robot>
`;

const dir = mkdtempSync(join(tmpdir(), 'axon-nomesh-'));
const file = join(dir, 'so101_new_calib.urdf');
writeFileSync(file, URDF);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a URDF without its collision meshes (SO-101 copied out of its folder)', () => {
  it('by default is URDF_MESH_NOT_FOUND naming the file, where axon looked, and --mesh-collision none', () => {
    let err: UrdfError | undefined;
    try {
      loadUrdf(file);
    } catch (e) {
      err = e as UrdfError;
    }
    expect(err).toBeInstanceOf(UrdfError);
    expect(err!.code).toBe('URDF_MESH_NOT_FOUND');
    expect(err!.where).toBe(`${file}: <link name="base"> <collision> #1 <geometry> <mesh>`);
    expect(err!.message).toContain(`mesh file "assets/base_motor_holder_so101_v1.stl" not found; looked in: ${join(dir, 'assets/base_motor_holder_so101_v1.stl')}`);
    expect(err!.expected).toBe('an existing file, or --mesh-collision none to simulate without collision meshes');
  });

  it('with collision meshes optional (--mesh-collision none) loads, each left out, one note with a count', () => {
    const m = loadUrdf(file, { collisionMeshes: 'optional' });
    expect(m.linkByName.get('upper_arm')!.collisions.map((c) => c.geometry)).toEqual([
      { kind: 'mesh', filename: 'assets/sts3215_03a_v1.stl', scale: [1, 1, 1] },
      { kind: 'mesh', filename: 'assets/upper_arm_so101_v1.stl', scale: [1, 1, 1] },
    ]);
    const notes = m.notes.filter((n) => n.code === 'URDF_COLLISION_MESH_MISSING');
    expect(notes).toHaveLength(1);
    expect(notes[0].message).toBe(`mesh file "assets/base_motor_holder_so101_v1.stl" not found (looked in ${join(dir, 'assets/base_motor_holder_so101_v1.stl')}): left out, as --mesh-collision none leaves out every collision mesh (and 4 more collision meshes likewise)`);
    // a mesh that is there is still resolved (its path kept) under 'optional'
    expect(m.linkByName.get('base')!.visuals).toEqual([]);
  });

  it('builds in cannon-es with --mesh-collision none: the joints and masses of the file, no collision shape from a mesh', () => {
    const robot = createUrdfSimRobot(file, { meshCollision: 'none', fixedBase: true });
    expect(robot.spec.joints.map((j) => j.name)).toEqual(['shoulder_pan', 'shoulder_lift']);
    expect(robot.linkMass('upper_arm')).toBeCloseTo(0.103, 6);
    expect(robot.notes.map((n) => n.code)).toContain('URDF_COLLISION_MESH_MISSING');
  });

  it('axon describe and axon sim (both engines) run it with --mesh-collision none; without it describe exits 2 with the way out', () => {
    const refused = axon('describe', file);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('URDF_MESH_NOT_FOUND');
    expect(refused.stderr).toContain('--mesh-collision none');
    const described = axon('describe', file, '--mesh-collision', 'none');
    expect(described.code).toBe(0);
    expect(described.stdout).toContain('URDF_COLLISION_MESH_MISSING');
    for (const physics of ['cannon', 'mujoco']) {
      const r = axon('sim', '--urdf', file, '--mesh-collision', 'none', '--fixed-base', '--physics', physics, '--duration', '0.5', '--fast', '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.lastLine).episode.steps).toBe(25);
    }
  }, 60_000);
});
