import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseUrdf } from '../../sim/urdf/parseUrdf.ts';
import { axon } from '../helpers/cli.ts';

/**
 * XML escapes in attributes as exporters and hand edits leave them: numeric character references
 * for spaces (`&#x20;`, `&#32;`) and an underscore (`&#95;`), an entity from the internal DTD
 * (`&len;`), `&amp;` in the robot's name, a tab inside an axis.
 */
const URDF = `<?xml version="1.0"?>
<!DOCTYPE robot [ <!ENTITY len "0.1"> ]>
<robot name="k&amp;co"><link name="base"><inertial><mass value="2"/><inertia ixx="0.02" ixy="0" ixz="0" iyy="0.02" iyz="0" izz="0.02"/></inertial><collision><geometry><box size="0.2&#x20;0.2&#32;0.1"/></geometry></collision></link><link name="l1"><inertial><mass value="0.5"/><inertia ixx="1e-3" ixy="0" ixz="0" iyy="1e-3" iyz="0" izz="1e-3"/></inertial></link>
<joint name="hip&#95;joint" type="revolute"><parent link="base"/><child link="l1"/><origin xyz="0&#x20;0&#32;&len;" rpy=" 0  0   0 "/><axis xyz="	0 0 1	"/><limit lower="-1" upper="1" effort="1" velocity="1"/></joint></robot>`;

const dir = mkdtempSync(join(tmpdir(), 'axon-entities-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('numeric character references in URDF attributes are decoded', () => {
  it('reads the origin, box size and joint name they spell', () => {
    const m = parseUrdf(URDF);
    expect(m.name).toBe('k&co');
    const j = m.joints[0];
    expect(j.name).toBe('hip_joint');
    expect(j.origin.xyz).toEqual([0, 0, 0.1]);
    const box = m.links[0].collisions[0].geometry;
    expect(box).toEqual({ kind: 'box', size: [0.2, 0.2, 0.1] });
  });

  for (const physics of ['cannon', 'mujoco'])
    it(`axon sim --physics ${physics} runs it (the DTD entity expanded for MuJoCo's reader too)`, () => {
      const file = join(dir, `k-${physics}.urdf`);
      writeFileSync(file, URDF);
      const r = axon('sim', '--urdf', file, '--physics', physics, '--duration', '0.5', '--fast', '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.lastLine).robot).toBe('k&co');
    }, 60_000);
});
