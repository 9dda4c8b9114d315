import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseUrdf, UrdfError } from '../../sim/urdf/parseUrdf.ts';
import { MASSLESS_LINK_INERTIA, MASSLESS_LINK_MASS } from '../../sim/urdf/urdfInertial.ts';
import { axon } from '../helpers/cli.ts';

/**
 * A 2-DoF hip as CAD exporters write it: revolute -> massless link -> revolute, the middle link
 * with `<mass value="0"/>` and an all-zero tensor (urdfdom reads it). The base is welded to a
 * zero-inertia IMU frame, the thigh's inertia is small, and the joints come before the links.
 */
const hip = (leaf = false) => `<robot name="hip2dof">
<joint name="hip_roll" type="revolute"><parent link="base"/><child link="hip_dummy"/><origin xyz="0 0.1 -0.05"/><axis xyz="1 0 0"/><limit lower="-1" upper="1" effort="10" velocity="5"/></joint>
${leaf ? '' : '<joint name="hip_pitch" type="revolute"><parent link="hip_dummy"/><child link="thigh"/><axis xyz="0 1 0"/><limit lower="-1" upper="1" effort="10" velocity="5"/></joint>'}
<joint name="imu_joint" type="fixed"><parent link="base"/><child link="imu"/></joint>
<link name="base"><inertial><mass value="2"/><inertia ixx="0.02" ixy="0" ixz="0" iyy="0.02" iyz="0" izz="0.02"/></inertial><collision><geometry><box size="0.2 0.2 0.1"/></geometry></collision></link>
<link name="imu"><inertial><mass value="0"/><inertia ixx="0" ixy="0" ixz="0" iyy="0" iyz="0" izz="0"/></inertial></link>
<link name="hip_dummy"><inertial><origin xyz="0 0 0"/><mass value="0"/><inertia ixx="0" ixy="0" ixz="0" iyy="0" iyz="0" izz="0"/></inertial></link>
${leaf ? '' : '<link name="thigh"><inertial><origin xyz="0 0 -0.1"/><mass value="0.5"/><inertia ixx="8.3e-4" ixy="0" ixz="0" iyy="8.3e-4" iyz="0" izz="1e-4"/></inertial></link>'}
</robot>`;

const dir = mkdtempSync(join(tmpdir(), 'axon-massless-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mass 0 on a moving link with mass below it (a 2-DoF hip\'s middle link) is a stated stand-in, not URDF_MASS', () => {
  it('parses to 1 g and 1e-5 kg·m² with a note naming the link; a leaf of mass 0 is still refused', () => {
    const m = parseUrdf(hip());
    const link = m.links.find((l) => l.name === 'hip_dummy')!;
    expect(link.inertial).toMatchObject({ mass: MASSLESS_LINK_MASS, ixx: MASSLESS_LINK_INERTIA, iyy: MASSLESS_LINK_INERTIA, izz: MASSLESS_LINK_INERTIA, massless: true });
    const note = m.notes.find((n) => n.code === 'URDF_MASS_STAND_IN')!;
    expect(note.where).toContain('<link name="hip_dummy">');
    expect(note.message).toContain('with 0.5 kg on the links below it: taken as 0.001 kg and 0.00001 kg·m² about each axis');
    let err: unknown;
    try {
      parseUrdf(hip(true));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UrdfError);
    expect((err as UrdfError).code).toBe('URDF_MASS');
    expect((err as UrdfError).message).toContain('nothing below it has mass');
  });

  for (const physics of ['cannon', 'mujoco'])
    it(`axon sim --physics ${physics} runs it 2 s standing with the note; --strict refuses it`, () => {
      const file = join(dir, `hip-${physics}.urdf`);
      writeFileSync(file, hip());
      const r = axon('sim', '--urdf', file, '--physics', physics, '--duration', '2', '--fast', '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('URDF_MASS_STAND_IN');
      const s = JSON.parse(r.lastLine);
      expect(s.duration_s).toBe(2);
      expect(s.episode.invalid).toBeUndefined();
      expect(s.episode.fell).toBe(false);
      expect(s.safety.events.state_watchdog).toBeUndefined();
      const strict = axon('sim', '--urdf', file, '--physics', physics, '--strict', '--duration', '1', '--fast', '--json');
      expect(strict.code, strict.stderr).toBe(2);
      expect(strict.stderr).toContain('error [URDF_MASS]: <link name="hip_dummy">');
    }, 60_000);
});
