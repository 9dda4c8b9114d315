import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { armatureHint, fallHint, urdfSetup } from '../../../src/cli/urdfSession.ts';
import { axon } from '../../helpers/cli.ts';
import { zeroPositionPolicy } from '../../helpers/onnxFixtures.ts';
import { VENDOR_QUADRUPED_STAND, vendorQuadrupedUrdf } from '../../helpers/vendorQuadruped.ts';
import { writeVendorHumanoid } from '../../helpers/vendorHumanoid.ts';

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

describe("a heavy floating robot that falls on axon's default gains is told they are not its own (unitree_ros h1.urdf on the rule)", () => {
  // Heavy links (no body under the light-link bound, so no armature hint), the pose within limits, a foot to stand on.
  const heavy = join(dir, 'h1_like.urdf');
  writeFileSync(
    heavy,
    `<robot name="h1_like">
  <link name="pelvis"><inertial><origin xyz="-0.0004 3.7E-05 -0.046864"/><mass value="5.983"/><inertia ixx="49168.411E-06" ixy="-19.869E-06" ixz="-48.460E-06" iyy="9025.844E-06" iyz="3.431E-06" izz="53155.891E-06"/></inertial></link>
  <joint name="left_knee_joint" type="revolute"><parent link="pelvis"/><child link="left_leg"/><origin xyz="0 0.0875 -0.1742"/><axis xyz="0 1 0"/><limit lower="-0.26" upper="2.05" effort="300" velocity="14"/></joint>
  <link name="left_leg"><inertial><origin xyz="0 0 -0.2"/><mass value="3.0"/><inertia ixx="0.03" ixy="0" ixz="0" iyy="0.03" iyz="0" izz="0.005"/></inertial><collision><origin xyz="0 0 -0.4"/><geometry><sphere radius="0.05"/></geometry></collision></link>
</robot>`,
  );

  it('names the default rule and --kp/--kd, and says nothing of gains the user gave', () => {
    const onRule = urdfSetup({ file: heavy, packagePaths: [], strict: false }, undefined, 1 / 200, 'manifest.json');
    expect([onRule.gains, onRule.lightBodies, onRule.heldAtLimit.length, onRule.fixedBase]).toEqual(['default', 0, 0, false]);
    const hint = fallHint(onRule, 'mujoco')!;
    expect(hint).toContain("the PD gains are axon's default rule (kp = 10 × effort limit");
    expect(hint).toContain('--kp/--kd');
    const given = urdfSetup({ file: heavy, packagePaths: [], strict: false, kp: 2000, kd: 50 }, undefined, 1 / 200, 'manifest.json');
    expect(given.gains).toBe('flags');
    expect(fallHint(given, 'mujoco')).toBeUndefined();
  });
});

describe('a floating MJCF robot that falls is told which joints ran on the default gains', () => {
  it('names the count and the rule when some joints had no gains of the model, the flags or a manifest', async () => {
    const { mjcfFallHint } = await import('../../../src/cli/mjcfSession.ts');
    const gains = { flags: 0, manifest: 0, model: 10, default: 2, passive: 0, followers: 0 };
    expect(mjcfFallHint({ floating: true, gains })).toMatch(/^2 joint\(s\) ran on axon's default gains \(kp = 10 × effort limit/);
    // the model's own actuators (Menagerie's Booster T1, which falls in plain MuJoCo too) or a fixed base: no hint
    expect(mjcfFallHint({ floating: true, gains: { ...gains, model: 12, default: 0 } })).toBeUndefined();
    expect(mjcfFallHint({ floating: false, gains })).toBeUndefined();
  });
});

describe('a fixed-base robot that does not hold its default pose is told what to try (unitree_ros g1_29dof_with_hand_rev_1_0.urdf on --fixed-base)', () => {
  // Unitree's G1 held up by its pelvis, no armature, default gains: in cannon-es the light waist
  // links (waist_roll_link 7e-6 kg·m²) let the torso whirl 3 rad about the waist, arms swinging,
  // while the run exited 0 with no word (a floating robot that falls gets the armature hint). The
  // test humanoid carries the same light waist and ankle links.
  const humanoid = writeVendorHumanoid(join(dir, 'g1'));

  it('prints the hint naming the joint that moved and --armature; with armature it holds and says nothing', () => {
    const bare = axon('sim', '--urdf', humanoid.urdf, '--fixed-base', '--duration', '2', '--fast', '--json');
    expect(bare.code, bare.stderr).toBe(0);
    const offset = JSON.parse(bare.lastLine).episode.pose_offset;
    expect(offset.max).toBeGreaterThan(0.5);
    expect(bare.stderr).toContain(`axon: hint: the robot did not hold its default pose (${offset.joint} moved ${offset.max} from it, more than 0.5); no joint armature is set`);
    expect(bare.stderr).toContain('--armature');
    const held = axon('sim', '--urdf', humanoid.urdf, '--fixed-base', '--armature', '0.01', '--duration', '2', '--fast', '--json');
    expect(held.code, held.stderr).toBe(0);
    expect(JSON.parse(held.lastLine).episode.pose_offset.max).toBeLessThan(0.05);
    expect(held.stderr).not.toContain('axon: hint');
  }, 60_000);

  it('says nothing of the pose when a policy moves the joints (it was told the robot did not hold its default pose)', () => {
    // Absolute targets of 0: the knees (default 0.669 rad) are driven 0.669 rad away on purpose.
    const joints = humanoid.sdkJoints.slice();
    const policy = zeroPositionPolicy(joints, { action: { type: 'joint_position_abs' }, default_joint_pos: joints.map((j) => humanoid.defaultPose[j] ?? 0) });
    const run = axon('sim', '--urdf', humanoid.urdf, '--fixed-base', '--policy', policy, '--duration', '1', '--fast', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.lastLine).episode.pose_offset.max).toBeGreaterThan(0.5);
    expect(run.stderr).not.toContain('did not hold its default pose');
    // --zero-policy with a relative action holds the default pose on the model's set-up: the hint applies.
    const relative = zeroPositionPolicy(joints, { default_joint_pos: joints.map((j) => humanoid.defaultPose[j] ?? 0) });
    const zero = axon('sim', '--urdf', humanoid.urdf, '--fixed-base', '--policy', relative, '--zero-policy', '--duration', '2', '--fast', '--json');
    expect(zero.code, zero.stderr).toBe(0);
    expect(JSON.parse(zero.lastLine).episode.pose_offset.max).toBeGreaterThan(0.5);
    expect(zero.stderr).toContain('axon: hint: the robot did not hold its default pose');
  }, 60_000);

  it('says the drift even when no advice applies (armature given, limp joints)', () => {
    const limp = axon('sim', '--urdf', humanoid.urdf, '--fixed-base', '--armature', '0.01', '--kp', '0', '--kd', '0', '--duration', '1', '--fast', '--json');
    expect(limp.code, limp.stderr).toBe(0);
    const offset = JSON.parse(limp.lastLine).episode.pose_offset;
    expect(offset.max).toBeGreaterThan(0.5);
    expect(limp.stderr).toContain(`axon: hint: the robot did not hold its default pose (${offset.joint} moved ${offset.max} from it, more than 0.5)\n`);
  }, 60_000);
});
