import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AxonError } from '../../../src/core/errors.ts';
import { refuseNoCollision } from '../../../src/cli/refuseNoCollision.ts';
import { parseUrdf } from '../../../sim/urdf/parseUrdf.ts';
import { axon } from '../../helpers/cli.ts';

const inertial = (m: number, i: number) => `<inertial><mass value="${m}"/><inertia ixx="${i}" iyy="${i}" izz="${i}" ixy="0" ixz="0" iyz="0"/></inertial>`;
const mesh = (file: string) => `<collision><origin xyz="0 0 0" rpy="0 0 0"/><geometry><mesh filename="meshes/${file}.stl"/></geometry></collision>`;

/**
 * As K-Scale's zbot2 robot.urdf ships (kscalelabs/sim, sim/resources/zbot2): a 1 g root link "base"
 * welded by a fixed joint named floating_base to the real body, locked arm joints (lower="0"
 * upper="0"), and every <collision> a mesh, none of them primitives. With --mesh-collision none no
 * shape is left and the robot fell through the ground until the state watchdog stopped it (exit 3),
 * with a hint about armature.
 */
const meshOnly = (extra = '') => `<robot name="z-bot2_like">
  <link name="base">${inertial(0.001, 1e-6)}</link>
  <joint name="floating_base" type="fixed"><origin rpy="0 0 1.57" xyz="0 0 0"/><parent link="base"/><child link="BODY-SKELETON"/></joint>
  <link name="BODY-SKELETON">${mesh('BODY-SKELETON')}${inertial(1.0, 2.5e-3)}${extra}</link>
  <joint name="L_Shoulder_Pitch" type="revolute"><origin xyz="0.056 0 0"/><parent link="BODY-SKELETON"/><child link="SHOULDER"/><limit effort="80" velocity="5" lower="0" upper="0"/><axis xyz="0 0 1"/></joint>
  <link name="SHOULDER">${mesh('SHOULDER')}${inertial(0.008, 2.5e-6)}</link>
  <joint name="L_Hip_Pitch" type="revolute"><origin xyz="0.043 0 -0.084"/><parent link="BODY-SKELETON"/><child link="FOOT"/><limit effort="80" velocity="5" lower="-1.54" upper="1.0"/><axis xyz="0 0 1"/></joint>
  <link name="FOOT">${mesh('FOOT')}${inertial(0.095, 1.5e-5)}</link>
</robot>`;

const dir = mkdtempSync(join(tmpdir(), 'axon-nocollision-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(f: () => void): AxonError {
  try {
    f();
  } catch (e) {
    return e as AxonError;
  }
  throw new Error('not refused');
}

describe('a floating URDF robot with no collision shape left is refused, not dropped through the ground (K-Scale zbot2 under --mesh-collision none)', () => {
  it('names the robot, the mesh-only collisions and the ways out; meshes read, a primitive or a fixed base pass', () => {
    const model = parseUrdf(meshOnly());
    const e = refusal(() => refuseNoCollision(model, 'none', false, 'robot.urdf'));
    expect(e).toBeInstanceOf(AxonError);
    expect(e.code).toBe('SIM_NO_COLLISION');
    expect(e.where).toBe('robot.urdf');
    expect(e.message).toContain('robot z-bot2_like has a floating base and no collision shape left: its 3 <collision>(s) are all meshes and --mesh-collision none leaves every mesh out');
    expect(e.expected).toContain('--fixed-base');
    expect(() => refuseNoCollision(model, 'hull', false, 'robot.urdf')).not.toThrow();
    expect(() => refuseNoCollision(model, undefined, false, 'robot.urdf')).not.toThrow();
    expect(() => refuseNoCollision(model, 'none', true, 'robot.urdf')).not.toThrow();
    const withBox = parseUrdf(meshOnly('<collision><geometry><box size="0.1 0.1 0.1"/></geometry></collision>'));
    expect(() => refuseNoCollision(withBox, 'none', false, 'robot.urdf')).not.toThrow();
    const bare = parseUrdf(meshOnly().replace(/<collision>.*?<\/collision>/g, ''));
    expect(refusal(() => refuseNoCollision(bare, 'hull', false, 'robot.urdf')).message).toContain('no <collision> on any link');
  });

  it('axon sim --urdf exits 2 with the refusal instead of a run the watchdog ends; on --fixed-base it runs', () => {
    const file = join(dir, 'robot.urdf');
    writeFileSync(file, meshOnly());
    const r = axon('sim', '--urdf', file, '--mesh-collision', 'none', '--duration', '0.5', '--fast', '--json');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('axon: error [SIM_NO_COLLISION]');
    const fixed = axon('sim', '--urdf', file, '--mesh-collision', 'none', '--fixed-base', '--armature', '0.001', '--duration', '0.5', '--fast', '--json');
    expect(fixed.code, fixed.stderr).toBe(0);
  }, 60_000);
});

/**
 * A vendor description whose collisions are Collada only (as some CAD exports ship: the visual file
 * reused as the collision): neither simulator builds a shape from a .dae, so the robot fell 3 m
 * until the watchdog stopped it (exit 3) with a hint about PD gains. The .dae is written with a
 * millimetre <unit> and Z_UP, as SolidWorks exports are.
 */
const daeOnly = `<robot name="dae_only"><link name="base"><inertial><mass value="2"/><inertia ixx="0.02" ixy="0" ixz="0" iyy="0.02" iyz="0" izz="0.02"/></inertial>
<visual><geometry><mesh filename="meshes/part.dae"/></geometry></visual>
<collision><geometry><mesh filename="meshes/part.dae" scale="1 1 1"/></geometry></collision>
<collision><geometry><mesh filename="meshes/Shell.DAE"/></geometry></collision></link>
<link name="l1"><inertial><mass value="0.5"/><inertia ixx="1e-3" ixy="0" ixz="0" iyy="1e-3" iyz="0" izz="1e-3"/></inertial></link>
<joint name="j1" type="revolute"><parent link="base"/><child link="l1"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="1" velocity="1"/></joint></robot>`;
const dae = `<?xml version="1.0"?><COLLADA xmlns="http://www.collada.org/2005/11/COLLADASchema" version="1.4.1"><asset><unit meter="0.001"/><up_axis>Z_UP</up_axis></asset></COLLADA>`;

describe('a floating robot whose collisions are all Collada is refused: a .dae builds no shape in either engine', () => {
  it('names the .dae files and the ways out; one STL beside them passes', () => {
    const e = refusal(() => refuseNoCollision(parseUrdf(daeOnly), undefined, false, 'robot.urdf'));
    expect(e.code).toBe('SIM_NO_COLLISION');
    expect(e.message).toContain('its 2 <collision>(s) are all meshes neither simulator reads (part.dae, Shell.DAE');
    expect(e.expected).toContain('converted to STL or OBJ');
    expect(e.expected).toContain('--fixed-base');
    expect(refusal(() => refuseNoCollision(parseUrdf(daeOnly), 'hull', false, 'robot.urdf')).code).toBe('SIM_NO_COLLISION');
    expect(() => refuseNoCollision(parseUrdf(daeOnly), undefined, true, 'robot.urdf')).not.toThrow();
    const withStl = parseUrdf(daeOnly.replace('meshes/Shell.DAE', 'meshes/foot.STL'));
    expect(() => refuseNoCollision(withStl, undefined, false, 'robot.urdf')).not.toThrow();
  });

  for (const physics of ['cannon', 'mujoco'])
    it(`axon sim --urdf --physics ${physics} exits 2 naming the .dae instead of a 3 m fall`, () => {
      const d = join(dir, `dae-${physics}`);
      mkdirSync(join(d, 'meshes'), { recursive: true });
      writeFileSync(join(d, 'meshes', 'part.dae'), dae);
      writeFileSync(join(d, 'meshes', 'Shell.DAE'), dae);
      writeFileSync(join(d, 'robot.urdf'), daeOnly);
      const r = axon('sim', '--urdf', join(d, 'robot.urdf'), '--physics', physics, '--duration', '1', '--fast', '--json');
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('axon: error [SIM_NO_COLLISION]');
      expect(r.stderr).toContain('part.dae, Shell.DAE');
      expect(r.stderr).not.toContain('the robot fell');
    }, 60_000);
});

/** A floating robot whose collisions are MuJoCo MSH only (an MJCF asset reused in a URDF): MuJoCo builds them, cannon-es does not. */
describe('a floating robot whose collisions are all .msh is refused under cannon-es, not under MuJoCo', () => {
  const mshOnly = daeOnly.replace('meshes/part.dae" scale', 'meshes/part.msh" scale').replace('meshes/Shell.DAE', 'meshes/Foot.MSH');
  it('names the .msh files and --physics mujoco under cannon-es (the default); passes under MuJoCo', () => {
    for (const physics of [undefined, 'cannon'] as const) {
      const e = refusal(() => refuseNoCollision(parseUrdf(mshOnly), undefined, false, 'robot.urdf', physics));
      expect(e.code).toBe('SIM_NO_COLLISION');
      expect(e.message).toContain("all meshes in MuJoCo's MSH format (part.msh, Foot.MSH), which cannon-es does not read");
      expect(e.expected).toContain('--physics mujoco');
    }
    expect(() => refuseNoCollision(parseUrdf(mshOnly), undefined, false, 'robot.urdf', 'mujoco')).not.toThrow();
    // A .dae beside the .msh under MuJoCo: the .msh is built, the robot stands on it.
    expect(() => refuseNoCollision(parseUrdf(daeOnly.replace('meshes/Shell.DAE', 'meshes/Foot.msh')), undefined, false, 'robot.urdf', 'mujoco')).not.toThrow();
    expect(refusal(() => refuseNoCollision(parseUrdf(daeOnly.replace('meshes/Shell.DAE', 'meshes/Foot.msh')), undefined, false, 'robot.urdf')).message).toContain('neither simulator reads (part.dae, Foot.msh');
  });
});
