import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultGains } from '../../../src/cli/defaultGains.ts';
import { urdfSetup } from '../../../src/cli/urdfSession.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-partial-gains-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'arm.urdf');
writeFileSync(
  file,
  `<robot name="arm">
  <link name="world"/>
  <joint name="mount" type="fixed"><parent link="world"/><child link="base"/></joint>
  <link name="base"><inertial><mass value="1"/><inertia ixx="1e-3" ixy="0" ixz="0" iyy="1e-3" iyz="0" izz="1e-3"/></inertial></link>
  <joint name="shoulder" type="revolute"><parent link="base"/><child link="upper"/><axis xyz="0 1 0"/><limit lower="-2" upper="2" effort="12" velocity="4"/></joint>
  <link name="upper"><inertial><mass value="0.3"/><inertia ixx="1e-4" ixy="0" ixz="0" iyy="1e-4" iyz="0" izz="1e-4"/></inertial></link>
</robot>`,
);
const gains = (flags: { kp?: number; kd?: number }) => {
  const s = urdfSetup({ file, packagePaths: [], strict: false, ...flags }, undefined, 1 / 200, 'manifest.json');
  const d = s.options.jointDefaults!.shoulder;
  return [d.kp, d.kd];
};

describe('--kp or --kd given alone: the other gain from the default rule, not 0', () => {
  it('--kp 200 alone damps with kp / 40 (it had kd 0: a PD with no damping)', () => {
    expect(gains({ kp: 200 })).toEqual([200, 5]);
  });
  it('--kd alone takes the rule\'s kp; both given, or neither, as before', () => {
    expect(gains({ kd: 2 })).toEqual([defaultGains(12).kp, 2]);
    expect(gains({ kp: 50, kd: 0 })).toEqual([50, 0]);
    const rule = defaultGains(12);
    expect(gains({})).toEqual([rule.kp, rule.kd]);
    // --kp 0 alone (a joint to be damped only by the stop): kd 0 too, as the rule's ratio gives
    expect(gains({ kp: 0 })).toEqual([0, 0]);
  });
});
