import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseUrdf, UrdfError } from '../../sim/urdf/parseUrdf.ts';
import { SimRobot } from '../../sim/SimRobot.ts';
import { createMujocoUrdfRobot, readUrdf } from '../../sim/mujoco/createMujocoRobot.ts';
import { floatingStart } from '../../src/cli/urdfSession.ts';
import type { SimulatedRobot } from '../../src/core/robot.ts';
import { axon } from '../helpers/cli.ts';

/**
 * A description that states its free base, as some vendor and Drake-style files do: an empty
 * `<link name="world"/>`, a `floating` joint named floating_base to the trunk (listed before the
 * links, with an <origin> at the height the plain file's trunk is put down at: its box's half
 * height), a zero-inertia IMU frame fixed to the trunk.
 */
const body = `<link name="trunk"><inertial><mass value="2"/><inertia ixx="0.02" ixy="0" ixz="0" iyy="0.02" iyz="0" izz="0.02"/></inertial><collision><geometry><box size="0.2 0.2 0.1"/></geometry></collision></link>
<link name="imu"><inertial><mass value="0"/><inertia ixx="0" ixy="0" ixz="0" iyy="0" iyz="0" izz="0"/></inertial></link>
<link name="l1"><inertial><mass value="0.5"/><inertia ixx="1e-4" ixy="0" ixz="0" iyy="1e-4" iyz="0" izz="5e-5"/></inertial><collision><geometry><sphere radius="0.03"/></geometry></collision></link>
<joint name="imu_joint" type="fixed"><parent link="trunk"/><child link="imu"/></joint>
<joint name="j1" type="revolute"><parent link="trunk"/><child link="l1"/><origin xyz="0.1 0 0"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="1" velocity="1"/></joint>`;
const stated = (world = '<link name="world"/>') => `<robot name="stated">
<joint name="floating_base" type="floating"><parent link="world"/><child link="trunk"/><origin xyz="0 0 0.05" rpy="0 0 0"/></joint>
${world}
${body}
</robot>`;
const plain = `<robot name="stated">${body}</robot>`;

const dir = mkdtempSync(join(tmpdir(), 'axon-floatingbase-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refusal = (xml: string): UrdfError => {
  try {
    parseUrdf(xml);
  } catch (e) {
    return e as UrdfError;
  }
  throw new Error('not refused');
};

describe('<joint type="floating"> from a bare root (world) is read as axon\'s floating base', () => {
  it('gives the same robot as the file without world and the joint, with a note', () => {
    const m = parseUrdf(stated());
    const p = parseUrdf(plain);
    expect(m.root).toBe('trunk');
    expect(m.links.map((l) => l.name)).toEqual(p.links.map((l) => l.name));
    expect(m.joints.map((j) => [j.name, j.type])).toEqual(p.joints.map((j) => [j.name, j.type]));
    expect(m.floatingBase).toEqual({ link: 'world', joint: 'floating_base', child: 'trunk', origin: { xyz: [0, 0, 0.05], rpy: [0, 0, 0] } });
    const note = m.notes.find((n) => n.code === 'URDF_FLOATING_BASE')!;
    expect(note.where).toBe('<joint name="floating_base">');
    expect(note.message).toContain('read as axon\'s floating base on <link name="trunk">');
  });

  it('is still refused, saying what to do, from a root with mass or geometry and deeper in the tree', () => {
    const heavy = refusal(stated('<link name="world"><inertial><mass value="1"/><inertia ixx="1" ixy="0" ixz="0" iyy="1" iyz="0" izz="1"/></inertial></link>'));
    expect(heavy.code).toBe('URDF_JOINT_TYPE');
    expect(heavy.expected).toContain('from a root link with no geometry, no mass and no other joint');
    const deep = refusal(plain.replace('<joint name="j1" type="revolute">', '<joint name="j1" type="floating">'));
    expect(deep.code).toBe('URDF_JOINT_TYPE');
    expect(deep.where).toContain('<joint name="j1">');
    expect(deep.expected).toContain('a fixed joint in its place');
    expect(refusal(plain.replace('<joint name="j1" type="revolute">', '<joint name="j1" type="planar">')).expected).toContain('two prismatic joints and a revolute one');
  });

  for (const physics of ['cannon', 'mujoco'])
    it(`axon sim --physics ${physics} runs it on a floating base, standing as the plain file does`, () => {
      const file = join(dir, `stated-${physics}.urdf`);
      writeFileSync(file, stated());
      const r = axon('sim', '--urdf', file, '--physics', physics, '--duration', '1', '--fast', '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('URDF_FLOATING_BASE');
      const s = JSON.parse(r.lastLine);
      expect(s.robot_setup.base).toBe('floating');
      expect(s.episode.fell).toBe(false);
      const plainFile = join(dir, `plain-${physics}.urdf`);
      writeFileSync(plainFile, plain);
      const q = JSON.parse(axon('sim', '--urdf', plainFile, '--physics', physics, '--duration', '1', '--fast', '--json').lastLine);
      expect(s.episode.base_height_start).toBeCloseTo(q.episode.base_height_start, 6);
      expect(s.episode.base_height_min).toBeCloseTo(q.episode.base_height_min, 6);
    }, 60_000);
});

/**
 * A vendor's humanoid as some ship it: `world` -> a floating joint whose <origin> stands the pelvis
 * at z = 0.93 with a small yaw -> pelvis; legs of light links with tiny inertias, the right leg
 * listed first, joints before links, a zero-inertia IMU frame. The feet's soles are 0.91 m below
 * the pelvis origin: the file's pose starts them 2 cm above the ground, where putting the robot
 * down (axon's default spawn) would start the pelvis at 0.91.
 */
const Z0 = 0.93;
const YAW = 0.12;
const tiny = (mass: number) => `<inertial><origin xyz="0 0 0"/><mass value="${mass}"/><inertia ixx="2e-5" ixy="0" ixz="0" iyy="2e-5" iyz="0" izz="1e-5"/></inertial>`;
const leg = (side: 'left' | 'right', y: number) => `<joint name="${side}_hip_pitch_joint" type="revolute"><parent link="pelvis"/><child link="${side}_thigh"/><origin xyz="0 ${y} -0.05"/><axis xyz="0 1 0"/><limit lower="-1.5" upper="1.5" effort="80" velocity="20"/></joint>
<joint name="${side}_knee_joint" type="revolute"><parent link="${side}_thigh"/><child link="${side}_shin"/><origin xyz="0 0 -0.4"/><axis xyz="0 1 0"/><limit lower="0" upper="2.2" effort="80" velocity="20"/></joint>
<joint name="${side}_ankle_joint" type="fixed"><parent link="${side}_shin"/><child link="${side}_foot"/><origin xyz="0 0 -0.42"/></joint>
<link name="${side}_thigh">${tiny(1.2)}<collision><origin xyz="0 0 -0.2"/><geometry><box size="0.06 0.06 0.4"/></geometry></collision></link>
<link name="${side}_shin">${tiny(0.8)}<collision><origin xyz="0 0 -0.2"/><geometry><box size="0.05 0.05 0.4"/></geometry></collision></link>
<link name="${side}_foot">${tiny(0.3)}<collision><origin xyz="0.03 0 0"/><geometry><box size="0.2 0.08 0.08"/></geometry></collision></link>`;
const vendor = (origin = `<origin xyz="0 0 ${Z0}" rpy="0 0 ${YAW}"/>`) => `<?xml version="1.0"?>
<robot name="vendor_biped">
  <joint name="floating_base_joint" type="floating"><parent link="world"/><child link="pelvis"/>${origin}</joint>
  ${leg('right', -0.1)}
  ${leg('left', 0.1)}
  <joint name="imu_joint" type="fixed"><parent link="pelvis"/><child link="imu_link"/><origin xyz="0 0 0.05"/></joint>
  <link name="world"/>
  <link name="pelvis"><inertial><origin xyz="0 0 0"/><mass value="4"/><inertia ixx="0.02" ixy="0" ixz="0" iyy="0.015" iyz="0" izz="0.02"/></inertial><collision><geometry><box size="0.2 0.25 0.1"/></geometry></collision></link>
  <link name="imu_link"><inertial><mass value="0"/><inertia ixx="0" ixy="0" ixz="0" iyy="0" iyz="0" izz="0"/></inertial></link>
</robot>`;
const YAW_QUAT = [0, 0, Math.sin(YAW / 2), Math.cos(YAW / 2)];

/** The base's pose in a robot's first observation (privileged base state). */
function startBase(r: SimulatedRobot): { position: number[]; orientation: number[] } {
  const b = r.observe().base!;
  return { position: Array.from(b.position), orientation: Array.from(b.orientation) };
}
const expectNear = (got: readonly number[], want: readonly number[], digits = 5) => want.forEach((w, i) => expect(got[i], `[${i}] of ${got.join(', ')}`).toBeCloseTo(w, digits));

describe('the stated floating joint\'s <origin> is where the base starts (docs/urdf.md, "Start pose")', () => {
  const file = join(dir, 'vendor_biped.urdf');
  writeFileSync(file, vendor());

  it('is read with the joint, and said in the note', () => {
    const m = parseUrdf(vendor());
    expect(m.floatingBase).toEqual({ link: 'world', joint: 'floating_base_joint', child: 'pelvis', origin: { xyz: [0, 0, Z0], rpy: [0, 0, YAW] } });
    expect(m.notes.find((n) => n.code === 'URDF_FLOATING_BASE')!.message).toContain(`its <origin> (xyz 0 0 ${Z0}, rpy 0 0 ${YAW}) is the base's start pose`);
    const bad = refusal(vendor('<origin xyz="0 0 high"/>'));
    expect(bad.code).toBe('URDF_NUMBER');
    expect(bad.where).toBe('<joint name="floating_base_joint"> <origin>');
  });

  it('cannon-es: the pelvis starts at z 0.93, yawed; options given win, each field on its own; a fixed base ignores it', () => {
    const m = parseUrdf(vendor());
    const s = startBase(new SimRobot(m, { pd: 'implicit' }));
    expectNear(s.position, [0, 0, Z0]);
    expectNear(s.orientation, YAW_QUAT);
    const high = startBase(new SimRobot(m, { pd: 'implicit', basePosition: [0.5, 0, 1.5] }));
    expectNear(high.position, [0.5, 0, 1.5]);
    expectNear(high.orientation, YAW_QUAT);
    expectNear(startBase(new SimRobot(m, { pd: 'implicit', baseOrientation: [0, 0, 0, 1] })).orientation, [0, 0, 0, 1]);
    expectNear(startBase(new SimRobot(m, { pd: 'implicit', fixedBase: true })).position, [0, 0, 0]);
  });

  it('MuJoCo (its URDF compiler): the pelvis starts there too', async () => {
    const r = await createMujocoUrdfRobot(file, readUrdf(file), { pd: 'implicit' });
    try {
      const s = startBase(r);
      expectNear(s.position, [0, 0, Z0]);
      expectNear(s.orientation, YAW_QUAT);
    } finally {
      r.dispose();
    }
  }, 60_000);

  it('axon sim --urdf: base_height beats the file\'s height (its x, y and yaw kept); an origin at z 0 is put down on the ground as before', () => {
    const m = parseUrdf(vendor(`<origin xyz="0.2 -0.1 ${Z0}" rpy="0 0 ${YAW}"/>`));
    expect(floatingStart(m, undefined)).toEqual({ basePosition: [0.2, -0.1, Z0], baseOrientation: YAW_QUAT.map((v) => expect.closeTo(v, 12)), spawnOnGround: 'lift' });
    expect(floatingStart(m, 0.8)).toEqual({ basePosition: [0.2, -0.1, 0.8], baseOrientation: YAW_QUAT.map((v) => expect.closeTo(v, 12)) });
    expect(floatingStart(parseUrdf(vendor('<origin xyz="0 0 0" rpy="0 0 0"/>')), undefined)).toEqual({ basePosition: [0, 0, 0], baseOrientation: [0, 0, 0, 1], spawnOnGround: true });
    expect(floatingStart(parseUrdf(plain), undefined)).toEqual({ spawnOnGround: true });
    expect(floatingStart(parseUrdf(plain), 0.4)).toEqual({ basePosition: [0, 0, 0.4] });
  });

  for (const physics of ['cannon', 'mujoco'])
    it(`axon sim --urdf --physics ${physics}: the stand task's start height is the file's 0.93 m, not the 0.91 m of a robot put down on the ground`, () => {
      const r = axon('sim', '--urdf', file, '--physics', physics, '--duration', '0.1', '--fast', '--json');
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.lastLine);
      expect(s.robot_setup.base).toBe('floating');
      expect(s.episode.base_height_start).toBeCloseTo(Z0, 3);
    }, 60_000);

  // R9: an origin height that buries the feet (a Gazebo spawn height, another frame's z) is raised to the ground, with a note.
  const low = join(dir, 'vendor_biped_low.urdf');
  writeFileSync(low, vendor(`<origin xyz="0.2 -0.1 0.5" rpy="0 0 ${YAW}"/>`));
  for (const physics of ['cannon', 'mujoco'])
    it(`axon sim --urdf --physics ${physics}: an origin at z 0.5, 0.41 m too low for the soles, starts them on the ground (0.91 m), x, y and yaw kept, and says so`, () => {
      const r = axon('sim', '--urdf', low, '--physics', physics, '--duration', '0.1', '--fast', '--json');
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.lastLine);
      expect(s.episode.invalid).toBeUndefined();
      expect(s.episode.base_height_start).toBeCloseTo(0.91, 3);
      expect(r.stderr).toContain(`axon: note URDF_FLOATING_BASE: ${low}: <joint name="floating_base_joint">: its <origin> z 0.5 puts the lowest collision geometry 0.410 m below the ground: the base starts at z 0.910 instead`);
      // The 0.93 file (soles 0.02 m above the ground) gets no such note.
      const high = axon('sim', '--urdf', file, '--physics', physics, '--duration', '0.1', '--fast', '--json');
      expect(high.code, high.stderr).toBe(0);
      expect(high.stderr).not.toContain('below the ground');
    }, 60_000);

  it('the lift keeps the origin\'s x, y and yaw in both engines; in code (no spawnOnGround) the origin is used as written', async () => {
    const m = parseUrdf(vendor(`<origin xyz="0.2 -0.1 0.5" rpy="0 0 ${YAW}"/>`));
    const lifted = new SimRobot(m, { pd: 'implicit', ...floatingStart(m, undefined) });
    expectNear(startBase(lifted).position, [0.2, -0.1, 0.91]);
    expectNear(startBase(lifted).orientation, YAW_QUAT);
    expect(lifted.groundLift).toBeCloseTo(0.41, 5);
    expectNear(startBase(new SimRobot(m, { pd: 'implicit' })).position, [0.2, -0.1, 0.5]);
    const r = await createMujocoUrdfRobot(low, readUrdf(low), { pd: 'implicit', ...floatingStart(readUrdf(low), undefined) });
    try {
      expectNear(startBase(r).position, [0.2, -0.1, 0.91], 3);
      expectNear(startBase(r).orientation, YAW_QUAT);
    } finally {
      r.dispose();
    }
    // Above the ground: 'lift' leaves it where the origin puts it.
    const m93 = parseUrdf(vendor());
    const kept = new SimRobot(m93, { pd: 'implicit', ...floatingStart(m93, undefined) });
    expectNear(startBase(kept).position, [0, 0, Z0]);
    expect(kept.groundLift).toBe(0);
  }, 60_000);
});
