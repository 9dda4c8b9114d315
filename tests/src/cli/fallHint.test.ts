import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { armatureHint, fallHint, urdfSetup } from '../../../src/cli/urdfSession.ts';
import { axon } from '../../helpers/cli.ts';
import { VENDOR_QUADRUPED_STAND, vendorQuadrupedUrdf } from '../../helpers/vendorQuadruped.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-fallhint-'));
const file = join(dir, 'go2_description.urdf');
writeFileSync(file, vendorQuadrupedUrdf());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CALVES = ['FL_calf_joint', 'FR_calf_joint', 'RL_calf_joint', 'RR_calf_joint'];

describe('a robot that falls from a default pose outside its limits is told so (unitree_ros go2_description.urdf)', () => {
  it('the set-up lists the joints held at a limit, and the hint names them and --init-pose before any armature advice', () => {
    const setup = urdfSetup({ file, packagePaths: [], strict: false }, undefined, 1 / 500, 'manifest.json');
    expect(setup.heldAtLimit.map((h) => h.joint)).toEqual(CALVES);
    expect(setup.heldAtLimit[0]).toEqual({ joint: 'FL_calf_joint', wanted: 0, held: -0.83776 });
    const hint = fallHint(setup, 'cannon')!;
    expect(hint).toMatch(/^4 joint\(s\) have a default position outside their limits and hold at the nearest limit \(FL_calf_joint 0 -> -0\.8378, FR_calf_joint 0 -> -0\.8378, /);
    expect(hint).toContain('--init-pose');
    expect(hint).not.toContain('armature');
    // a standing pose inside the limits leaves the armature hint (the light calves with their feet) as before
    const pose = Object.fromEntries(VENDOR_QUADRUPED_STAND.split(',').map((kv) => [kv.split('=')[0], Number(kv.split('=')[1])]));
    const standing = urdfSetup({ file, packagePaths: [], strict: false, initPose: pose }, undefined, 1 / 500, 'manifest.json');
    expect(standing.heldAtLimit).toEqual([]);
    expect(fallHint(standing, 'cannon')).toBe(armatureHint(standing, 'cannon'));
  });

  it('axon sim prints the pose hint when the dog topples from its calves held at -0.838, and it stands from a pose within the limits', () => {
    const fell = axon('sim', '--urdf', file, '--duration', '2', '--fast', '--json');
    expect(fell.code).toBe(0);
    expect(JSON.parse(fell.lastLine).episode.fell).toBe(true);
    expect(fell.stderr).toContain('axon: hint: the robot fell; 4 joint(s) have a default position outside their limits');
    expect(fell.stderr).not.toContain('no joint armature is set');
    const stood = axon('sim', '--urdf', file, '--duration', '2', '--fast', '--json', '--init-pose', VENDOR_QUADRUPED_STAND);
    expect(stood.code).toBe(0);
    expect(JSON.parse(stood.lastLine).episode.fell).toBe(false);
    expect(stood.stderr).not.toContain('axon: hint');
  }, 60_000);
});
