import { describe, expect, it } from 'vitest';
import { parseUrdf } from '../../../sim/urdf/parseUrdf.ts';
import { armatureHint, lightBodies, type UrdfSetup } from '../../../src/cli/urdfSession.ts';

const inertial = (m: number, i: number) => `<inertial><mass value="${m}"/><inertia ixx="${i}" iyy="${i}" izz="${i}" ixy="0" ixz="0" iyz="0"/></inertial>`;
const link = (name: string, m: number, i: number) => `<link name="${name}">${inertial(m, i)}</link>`;
const joint = (name: string, type: string, parent: string, child: string) =>
  `<joint name="${name}" type="${type}"><parent link="${parent}"/><child link="${child}"/><axis xyz="0 0 1"/>${type === 'fixed' ? '' : '<limit lower="-1" upper="1" effort="10" velocity="10"/>'}</joint>`;

/**
 * As Fourier's GR1T1 lower limb ships: a light foot_pitch link (1e-5 kg·m²) behind the moving
 * ankle pitch joint, with the heavy foot_roll fixed to it (the ankle roll joint is fixed); and a
 * light wrist that does move on its own.
 */
const URDF = `<robot name="r">
  ${link('base', 10, 0.1)}
  ${link('foot_pitch', 0.05, 1e-5)}${link('foot_roll', 0.6, 2e-3)}
  ${link('wrist', 0.05, 2e-5)}
  ${link('imu', 1e-9, 1e-12)}
  ${joint('ankle_pitch', 'revolute', 'base', 'foot_pitch')}${joint('ankle_roll', 'fixed', 'foot_pitch', 'foot_roll')}
  ${joint('wrist_yaw', 'revolute', 'base', 'wrist')}${joint('imu_mount', 'fixed', 'base', 'imu')}
</robot>`;

describe('the armature hint counts the bodies the simulator moves, not the URDF links', () => {
  it('a light link fixed to a heavy one is not light; a light link that moves alone is', () => {
    const model = parseUrdf(URDF);
    expect(lightBodies(model)).toBe(1); // the wrist; foot_pitch + foot_roll is 2.01e-3
    const setup = { model, fixedBase: false, armature: 'none', lightBodies: lightBodies(model) } as unknown as UrdfSetup;
    expect(armatureHint(setup, 'cannon')).toMatch(/^no joint armature is set .* 1 moving body is below 0\.0001 kg·m² about some axis: cannon-es does not hold/);
    expect(armatureHint(setup, 'mujoco')).not.toContain('cannon-es');
    expect(armatureHint({ ...setup, armature: 'flags' }, 'cannon')).toBeUndefined();
    expect(armatureHint({ ...setup, lightBodies: 0 }, 'cannon')).toBeUndefined();
  });

  it('a fixed-base robot gets it too, worded for a pose not held (it was undefined on a fixed base)', () => {
    const model = parseUrdf(URDF);
    const fixed = { model, fixedBase: true, armature: 'none', lightBodies: lightBodies(model) } as unknown as UrdfSetup;
    expect(armatureHint(fixed, 'cannon')).toMatch(/^no joint armature is set .* which may be why this run did not hold its pose\. If it does not hold it with armature too, look elsewhere/);
    expect(armatureHint(fixed, 'mujoco')).toContain('a robot trained with armature may not hold its pose without it');
    expect(armatureHint({ ...fixed, armature: 'flags' }, 'cannon')).toBeUndefined();
    // A run the state watchdog stopped is told so, not that it fell (it may not have yet).
    expect(armatureHint({ ...fixed, fixedBase: false }, 'cannon', true)).toMatch(/which may be why this run was stopped by the state watchdog\. If it is stopped with armature too, look elsewhere/);
  });
});
