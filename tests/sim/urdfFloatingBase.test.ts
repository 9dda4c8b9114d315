import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseUrdf, UrdfError } from '../../sim/urdf/parseUrdf.ts';
import { axon } from '../helpers/cli.ts';

/**
 * A description that states its free base, as some vendor and Drake-style files do: an empty
 * `<link name="world"/>`, a `floating` joint named floating_base to the trunk (listed before the
 * links, with an <origin> lifting it), a zero-inertia IMU frame fixed to the trunk.
 */
const body = `<link name="trunk"><inertial><mass value="2"/><inertia ixx="0.02" ixy="0" ixz="0" iyy="0.02" iyz="0" izz="0.02"/></inertial><collision><geometry><box size="0.2 0.2 0.1"/></geometry></collision></link>
<link name="imu"><inertial><mass value="0"/><inertia ixx="0" ixy="0" ixz="0" iyy="0" iyz="0" izz="0"/></inertial></link>
<link name="l1"><inertial><mass value="0.5"/><inertia ixx="1e-4" ixy="0" ixz="0" iyy="1e-4" iyz="0" izz="5e-5"/></inertial><collision><geometry><sphere radius="0.03"/></geometry></collision></link>
<joint name="imu_joint" type="fixed"><parent link="trunk"/><child link="imu"/></joint>
<joint name="j1" type="revolute"><parent link="trunk"/><child link="l1"/><origin xyz="0.1 0 0"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="1" velocity="1"/></joint>`;
const stated = (world = '<link name="world"/>') => `<robot name="stated">
<joint name="floating_base" type="floating"><parent link="world"/><child link="trunk"/><origin xyz="0 0 0.5" rpy="0 0 0"/></joint>
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
    expect(m.floatingBase).toEqual({ link: 'world', joint: 'floating_base', child: 'trunk' });
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
