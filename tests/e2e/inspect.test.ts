/**
 * `axon inspect MODEL --urdf FILE | --mjcf FILE | --robot NAME`: the model checked against a robot before
 * anything runs, as a report; exit 0 when it fits, 1 with the differences listed when it does not.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mlp } from '../../models/train/mlp.ts';
import { mlpToOnnx } from '../../models/train/onnx/writeOnnx.ts';
import { Rng } from '../../src/core/rng.ts';
import { parseUrdf } from '../../sim/index.ts';
import { urdfFixedBase, urdfImuLink, urdfTarget } from '../../src/cli/commands/inspect.ts';
import { defaultGains } from '../../src/cli/defaultGains.ts';
import { urdfSetup } from '../../src/cli/urdfSession.ts';
import { validateManifest, type ModelManifest } from '../../src/model/manifest.ts';
import { writeMenagerieQuadruped } from '../helpers/menagerieMjcf.ts';
import { zeroPositionPolicy } from '../helpers/onnxFixtures.ts';
import { axon } from '../helpers/cli.ts';


const box = '<collision><geometry><box size="0.1 0.1 0.3"/></geometry></collision>';
const inertial = (mass: number) => `<inertial><mass value="${mass}"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial>`;
const revolute = (name: string, parent: string, child: string, effort = 30) =>
  `<joint name="${name}" type="revolute"><parent link="${parent}"/><child link="${child}"/><origin xyz="0 0 -0.3"/><axis xyz="0 1 0"/><limit lower="-1.5" upper="1.5" effort="${effort}" velocity="10"/></joint>`;

/**
 * Two legs on a floating base, written in an awkward order: links and joints out of tree order
 * (a knee before its hip), and a frame link (no inertial) for the IMU whose name does not start
 * with "imu". The simulator's (tree) joint order is hip_r, knee_r, hip_l, knee_l or so; the
 * model's is hip_l, knee_l, hip_r, knee_r.
 */
const URDF = `<?xml version="1.0"?>
<robot name="twoleg">
  <link name="shin_l">${inertial(0.5)}${box}</link>
  ${revolute('knee_l', 'thigh_l', 'shin_l')}
  <link name="thigh_r">${inertial(1)}${box}</link>
  ${revolute('hip_r', 'base', 'thigh_r', 40)}
  <joint name="gyro_mount" type="fixed"><parent link="base"/><child link="gyro_frame"/><origin xyz="0 0 0.05"/></joint>
  <link name="gyro_frame"/>
  <link name="base">${inertial(5)}${box}</link>
  ${revolute('knee_r', 'thigh_r', 'shin_r')}
  <link name="thigh_l">${inertial(1)}${box}</link>
  <link name="shin_r">${inertial(0.5)}${box}</link>
  ${revolute('hip_l', 'base', 'thigh_l', 40)}
</robot>
`;

const MODEL_JOINTS = ['hip_l', 'knee_l', 'hip_r', 'knee_r'];
const TERMS = ['base_ang_vel', 'projected_gravity', 'base_lin_vel', 'joint_pos_rel', 'joint_vel', 'last_action'] as const;

function manifestFor(over: Record<string, unknown> = {}): ModelManifest {
  return validateManifest({
    schema: 'axon.model/1',
    name: 'twoleg-walk',
    kind: 'policy',
    robot: 'twoleg',
    joints: MODEL_JOINTS,
    control_hz: 50,
    onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
    observation: { terms: TERMS.map((term) => ({ term })) },
    action: { type: 'joint_position', scale: 0.25, clip: 4 },
    pd: { kp: [40, 40, 40, 40], kd: [1, 1, 1, 1] },
    imu_link: 'gyro_frame',
    ...over,
  });
}

/** A model folder (zero-weight MLP of the right sizes) and the URDF, in a fresh folder. */
function writeCase(over: Record<string, unknown> = {}): { model: string; urdf: string } {
  const dir = mkdtempSync(join(tmpdir(), 'axon-inspect-'));
  const m = manifestFor(over);
  const nJ = m.joints.length;
  const obs = 9 + 3 * nJ;
  const mlp = new Mlp([obs, nJ], 'tanh', 'identity', new Rng(1));
  mlp.params.fill(0);
  writeFileSync(join(dir, 'model.onnx'), mlpToOnnx(mlp));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
  const urdf = join(dir, 'twoleg.urdf');
  writeFileSync(urdf, URDF);
  return { model: dir, urdf };
}

describe('the IMU link and the RobotSpec of a URDF, read without a physics world', () => {
  const model = parseUrdf(URDF);

  it('joints in the tree order the simulator uses, with the URDF limits and the default gains axon sim --urdf gives them', () => {
    const t = urdfTarget('twoleg.urdf', model, manifestFor(), 500);
    expect(t.spec.joints.map((j) => j.name).sort()).toEqual([...MODEL_JOINTS].sort());
    const order = t.spec.joints.map((j) => j.name);
    expect(order.indexOf('hip_l')).toBeLessThan(order.indexOf('knee_l'));
    expect(order.indexOf('hip_r')).toBeLessThan(order.indexOf('knee_r'));
    const mass = model.links.reduce((sum, l) => sum + (l.inertial?.mass ?? 0), 0);
    expect(t.spec.joints.find((j) => j.name === 'hip_r')).toMatchObject({ lower: -1.5, upper: 1.5, effortLimit: 40, velocityLimit: 10, ...defaultGains(40, { mass, floating: true }), defaultPosition: 0 });
    expect(t.spec.joints.find((j) => j.name === 'hip_r')!.kp).toBeGreaterThan(0);
    // The manifest's actuators.effort_limit goes under the rule, as axon sim --urdf applies it.
    const limited = urdfTarget('twoleg.urdf', model, { ...manifestFor(), actuators: { effort_limit: 5 } }, 500);
    expect(limited.spec.joints.find((j) => j.name === 'hip_r')).toMatchObject(defaultGains(5, { mass, floating: true }));
    expect(t.spec.sensors).toMatchObject({ imu: true, baseVelocity: true });
    expect(t.fixedBase).toBe(false);
    expect(t.imu).toEqual({ link: 'gyro_frame', why: 'manifest imu_link' });
    // --imu-link and --fixed-base (as on axon sim --urdf) win over the manifest.
    const flagged = urdfTarget('twoleg.urdf', model, manifestFor(), 500, { fixedBase: true, imuLink: 'thigh_l' });
    expect(flagged).toMatchObject({ fixedBase: true, imu: { link: 'thigh_l' }, issues: [] });
    expect(urdfTarget('twoleg.urdf', model, manifestFor(), 500, { imuLink: 'nope' }).issues).toEqual([expect.objectContaining({ where: '/imu_link (from --imu-link)' })]);
  });

  it("the rule: imu_link, else a link named imu*, else the floating root, else a fixed root when the model reads IMU terms", () => {
    const m = manifestFor({ imu_link: undefined });
    expect(urdfImuLink(model, m, false).imu).toEqual({ link: 'base', why: 'root link of the floating base' });
    const withImu = parseUrdf(URDF.replace(/gyro_frame/g, 'IMU_link'));
    expect(urdfImuLink(withImu, m, false).imu).toEqual({ link: 'IMU_link', why: 'link named imu* fixed to the base' });
    // imu as a word of the name (PAL's base_imu_link) counts too; imu inside a word does not
    expect(urdfImuLink(parseUrdf(URDF.replace(/gyro_frame/g, 'base_imu_link')), m, false).imu?.link).toBe('base_imu_link');
    expect(urdfImuLink(parseUrdf(URDF.replace(/gyro_frame/g, 'simulator_frame')), m, false).imu?.link).toBe('base');
    // an imu* link fixed to the base but rotated (legged_gym's anymal_c.urdf: rpy 0 0 1.5708) reads other axes: the root instead
    const turned = parseUrdf(URDF.replace('<origin xyz="0 0 0.05"/>', '<origin xyz="0 0 0.05" rpy="0 0 1.5708"/>').replace(/gyro_frame/g, 'imu_link'));
    expect(urdfImuLink(turned, m, false).imu).toEqual({ link: 'base', why: "root link of the floating base: imu_link is fixed to it but rotated, and the IMU terms read the base's axes (--imu-link imu_link reads its own)" });
    expect(urdfImuLink(turned, m, true).imu).toEqual({ link: 'base', why: expect.stringContaining('fixed base') });
    // an imu* link behind a moving joint (Unitree H1-2's imu_link on torso_link): taken, and the reason says where it moves
    const behind = parseUrdf(URDF.replace('<parent link="base"/><child link="gyro_frame"/>', '<parent link="shin_l"/><child link="gyro_frame"/>').replace(/gyro_frame/g, 'imu_link'));
    expect(urdfImuLink(behind, m, false).imu).toEqual({ link: 'imu_link', why: expect.stringContaining('it sits behind joint knee_l (not fixed to the base)') });
    const fixed = parseUrdf(URDF.replace('<link name="base">', '<link name="world"/><joint name="anchor" type="fixed"><parent link="world"/><child link="base"/></joint><link name="base">'));
    expect(urdfFixedBase(fixed, m)).toBe(true);
    expect(urdfImuLink(fixed, m, true).imu).toEqual({ link: 'world', why: expect.stringContaining('fixed base') });
    const noImuTerms = manifestFor({ imu_link: undefined, observation: { terms: [{ term: 'joint_pos' }] } });
    expect(urdfImuLink(fixed, noImuTerms, true).imu).toBeNull();
    expect(urdfFixedBase(model, { fixed_base: true })).toBe(true);
    const bad = urdfImuLink(model, manifestFor({ imu_link: 'imu_nowhere' }), false);
    expect(bad.issue).toMatchObject({ where: '/imu_link', model: '"imu_nowhere"', robot: expect.stringContaining('no such link') });
  });
});

describe('axon inspect --urdf FILE --mesh-collision none', () => {
  it('checks a URDF whose collision mesh files are absent, as axon sim --mesh-collision none runs it; without the flag it is refused naming it', () => {
    // unitree_rl_gym's g1_12dof.urdf as a checkout without its STL meshes has it: <collision> meshes
    // on most links (meshes/pelvis_contour_link.STL ...), primitive spheres under the feet.
    const c = writeCase();
    const withMeshes = URDF.replace(`<link name="base">${inertial(5)}${box}</link>`, `<link name="base">${inertial(5)}${box}<collision><geometry><mesh filename="meshes/pelvis_contour_link.STL"/></geometry></collision></link>`);
    writeFileSync(c.urdf, withMeshes);
    const refused = axon('inspect', c.model, '--urdf', c.urdf);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('URDF_MESH_NOT_FOUND');
    expect(refused.stderr).toContain('--mesh-collision none');
    const r = axon('inspect', c.model, '--urdf', c.urdf, '--mesh-collision', 'none');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('joints: all 4 model joints found in the robot');
    expect(r.stdout).not.toContain('SIM_NO_COLLISION');
    // every <collision> a mesh (unitree_rl_gym's h1.urdf): what axon sim refuses is a warning here
    writeFileSync(c.urdf, withMeshes.replaceAll(box, ''));
    const bare = axon('inspect', c.model, '--urdf', c.urdf, '--mesh-collision', 'none');
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stdout).toContain('warning: SIM_NO_COLLISION: axon sim --urdf refuses this robot: robot twoleg has a floating base and no collision shape left');
    // no <collision> at all: sim refuses it whatever the flag, and inspect says so without one too
    writeFileSync(c.urdf, URDF.replaceAll(box, ''));
    const none = axon('inspect', c.model, '--urdf', c.urdf);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain('warning: SIM_NO_COLLISION: axon sim --urdf refuses this robot: robot twoleg has a floating base and no <collision> on any link');
  });
});

describe('axon inspect --urdf / --robot', () => {
  it('a model that fits its URDF exits 0 and prints the report with the IMU link', () => {
    const c = writeCase();
    const r = axon('inspect', c.model, '--urdf', c.urdf);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('IMU link: gyro_frame (manifest imu_link) — read by base_ang_vel, projected_gravity');
    expect(r.stdout).toContain('joints: all 4 model joints found in the robot');
    expect(r.stdout).toContain('observation terms: base_ang_vel, projected_gravity, base_lin_vel, joint_pos_rel, joint_vel, last_action');
    expect(r.stdout).toContain('PD gains for position actions: from the manifest (pd)');
    expect(r.stdout).toMatch(/hip_r: \[-1\.5, 1\.5\] effort 40 velocity 10, default 0, kp 40 kd 1/);
    expect(r.stdout).toContain('sizes: observation 21 -> onnx input obs [batch, 21]; action 4 <- onnx output action [batch, 4]');
    expect(r.stdout).toContain('control 50 Hz policy, 500 Hz robot (10 steps per policy step)');
    expect(r.stdout).toContain(`check against ${c.urdf} (robot twoleg): ok`);
    const j = JSON.parse(axon('inspect', c.model, '--urdf', c.urdf, '--json').lastLine);
    expect(j.check).toMatchObject({ ok: true, source: 'urdf', fixed_base: false, imu: { link: 'gyro_frame' }, missing_joints: [], issues: [] });
  });

  it('a model joint missing from the URDF exits 1 naming it, with the robot joints; a bad imu_link and limits above the URDF are reported too', () => {
    const c = writeCase({ joints: [...MODEL_JOINTS, 'ankle_l'], pd: { kp: [40, 40, 40, 40, 40], kd: [1, 1, 1, 1, 1] }, imu_link: 'imu_nowhere', actuators: { effort_limit: 45 } });
    const r = axon('inspect', c.model, '--urdf', c.urdf);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/joints: MISSING ankle_l; the robot's joints are (hip_l|hip_r|knee_l|knee_r)(, (hip_l|hip_r|knee_l|knee_r)){3}\n/);
    expect(r.stdout).toContain('warning: manifest.json#/actuators/effort_limit: hip_r 45 exceeds the robot\'s 40');
    expect(r.stdout).toContain('DOES NOT FIT');
    // The differences are in the report; stderr says once, on one line, that it does not fit.
    expect(r.stdout).toContain('manifest.json#/joints/4: model ankle_l | robot no such joint\n');
    expect(r.stdout).toContain('manifest.json#/imu_link: model "imu_nowhere" | robot no such link');
    expect(r.stderr).toBe('axon: failed: model "twoleg-walk" does not fit robot "twoleg": 4 differences (listed in the report on stdout)\n');
    const j = axon('inspect', c.model, '--urdf', c.urdf, '--json');
    expect(j.code).toBe(1);
    // --json: the issues are complete in the JSON, stderr still one line
    expect(JSON.parse(j.lastLine).check.issues).toEqual(expect.arrayContaining([{ where: `${c.model}/manifest.json#/joints/4`, model: 'ankle_l', robot: 'no such joint' }]));
    expect(j.stderr.trim().split('\n')).toHaveLength(1);
    expect(j.stderr).toContain('(check.issues of the JSON on stdout)');
  });

  it("a model exported for another description of the robot: each missing joint's likely name, the common suffix said once, the robot's joints listed once", () => {
    // Vendor-style names: the URDF says L_hip_pitch_joint where the model says L_hip_pitch, and
    // names a joint (waist_yaw) the URDF lacks altogether.
    const vendor: Record<string, string> = { hip_l: 'L_hip_pitch_joint', knee_l: 'L_knee_joint', hip_r: 'R_hip_pitch_joint', knee_r: 'R_knee_joint' };
    const model = ['L_hip_pitch', 'L_knee', 'R_hip_pitch', 'R_knee', 'waist_yaw'];
    const c = writeCase({ joints: model, pd: { kp: [40, 40, 40, 40, 40], kd: [1, 1, 1, 1, 1] } });
    writeFileSync(c.urdf, URDF.replace(/<joint name="(hip_l|knee_l|hip_r|knee_r)"/g, (_, n: string) => `<joint name="${vendor[n]}"`));
    const r = axon('inspect', c.model, '--urdf', c.urdf);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('model L_hip_pitch | robot no such joint (did you mean L_hip_pitch_joint?)');
    expect(r.stdout).toContain('model R_knee | robot no such joint (did you mean R_knee_joint?)');
    expect(r.stdout).toMatch(/model waist_yaw \| robot no such joint\n/);
    expect(r.stdout).toContain("joints: the robot's names add the suffix '_joint' to 4 of the 5 missing model names");
    // Bounded: each robot joint name at most twice in all the output (the robot's list, one suggestion).
    const all = r.stdout + r.stderr;
    for (const name of Object.values(vendor)) expect(all.split(name).length - 1, name).toBeLessThanOrEqual(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const j = axon('inspect', c.model, '--urdf', c.urdf, '--json');
    const check = JSON.parse(j.lastLine).check;
    expect(check.robot_joints.sort()).toEqual(Object.values(vendor).sort());
    expect(check.joint_suggestions).toEqual({ L_hip_pitch: 'L_hip_pitch_joint', L_knee: 'L_knee_joint', R_hip_pitch: 'R_hip_pitch_joint', R_knee: 'R_knee_joint' });
    expect(check.joint_name_affix).toMatchObject({ side: 'suffix', text: '_joint', robot_adds: true, count: 4 });
    expect(check.issues).toHaveLength(5);
    // axon sim --urdf refuses the same model with the same help, before any physics is built.
    const m = JSON.parse(readFileSync(join(c.model, 'manifest.json'), 'utf8'));
    expect(() => urdfSetup({ file: c.urdf, packagePaths: [], strict: false }, validateManifest(m), 1 / 500, 'x/manifest.json')).toThrow(
      /names 5 joint\(s\) the URDF does not move: L_hip_pitch \(did you mean L_hip_pitch_joint\?\), .*waist_yaw; the robot's names add the suffix '_joint' to 4 of the 5/,
    );
  });

  it('--robot checks against a shipped robot: the humanoid policy fits the humanoid, not the arm', () => {
    const ok = axon('inspect', 'models/humanoid-balance', '--robot', 'humanoid');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('check against humanoid: ok');
    const arm = axon('inspect', 'models/humanoid-balance', '--robot', 'arm');
    expect(arm.code).toBe(1);
    expect(arm.stdout).toContain('joints: MISSING left_hip_yaw');
    expect(arm.stdout).toContain('model left_hip_yaw | robot no such joint');
    expect(arm.stdout).toContain('model base_ang_vel | robot no IMU');
    expect(axon('inspect', 'models/humanoid-balance', '--robot', 'arm', '--urdf', 'x.urdf').code).toBe(2);
  });
});

describe('axon inspect --mjcf (a menagerie-style quadruped: classes, <position kp> actuators, a keyframe)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'axon-inspect-mjcf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const quad = writeMenagerieQuadruped(dir);
  const terms = { observation: { terms: [{ term: 'base_ang_vel' as const }, { term: 'projected_gravity' as const }, { term: 'joint_pos_rel' as const }, { term: 'joint_vel' as const }] } };
  const stance = quad.joints.map((j) => (j.includes('thigh') ? 0.8 : -1.5));
  const pd = { kp: quad.joints.map(() => 20), kd: quad.joints.map(() => 0.5) };

  it('checks the model against the MJCF as sim --mjcf sets it up from the manifest: limits, pose, gains, IMU, terms (--mjcf was an unknown option)', () => {
    const model = zeroPositionPolicy(quad.joints, { ...terms, default_joint_pos: stance, pd });
    const r = axon('inspect', model, '--mjcf', quad.file, '--physics-hz', '200');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`check against ${quad.file} (robot quad scene):`);
    expect(r.stdout).toContain('joints: all 8 model joints found in the robot (8 robot joints)');
    expect(r.stdout).toContain('FL_calf_joint: [-2.7227, -0.8378] effort 23.7 velocity inf, default -1.5, kp 20 kd 0.5');
    expect(r.stdout).toContain('IMU link: base (root body of the floating base) — read by base_ang_vel, projected_gravity');
    expect(r.stdout).toContain('observation terms: base_ang_vel, projected_gravity, joint_pos_rel, joint_vel');
    expect(r.stdout).toContain('warning: MUJOCO_MJCF_MANIFEST:');
    // The calves' limits as the model sets them (MuJoCo's default solref): the 23.7 N·m motor presses one 0.034 rad in at the stance (sim/mujoco/limitPenetration.ts).
    expect(r.stdout).toContain('warning: MUJOCO_MJCF_SOFT_LIMIT:');
    expect(r.stdout).toContain('FL_calf_joint 0.034 of 1.9, FR_calf_joint 0.034 of 1.9, RL_calf_joint 0.034 of 1.9, RR_calf_joint 0.034 of 1.9;');
    expect(r.stdout).toContain(`check against ${quad.file} (robot quad scene): ok (joint names, limits, gains, sensors, tensor shapes, rate)`);
    const j = JSON.parse(axon('inspect', model, '--mjcf', quad.file, '--physics-hz', '200', '--json').lastLine);
    expect(j.check).toMatchObject({ ok: true, source: 'mjcf', fixed_base: false, robot_hz: 200, imu: { link: 'base' }, missing_joints: [], issues: [] });
    // Without pd: the model's own position actuators, said so, and warned that they are not the training's.
    const bare = axon('inspect', zeroPositionPolicy(quad.joints, terms), '--mjcf', quad.file);
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stdout).toContain('FL_calf_joint: [-2.7227, -0.8378] effort 23.7 velocity inf, default -1.8, kp 35 kd 0.5');
    expect(bare.stdout).toContain("PD gains for position actions: the model's position actuators, else axon's default rule");
    expect(bare.stdout).toContain("warning: manifest.json#/pd: absent, so axon sim --mjcf runs the policy on the model's position-actuator gains (8 joints)");
  });

  it('a model that does not fit the MJCF exits 1 with the differences: a joint by another name, an imu_link no body has, a fixed_base the model does not have', () => {
    const joints = quad.joints.map((j) => (j === 'RR_calf_joint' ? 'RR_calf' : j));
    const model = zeroPositionPolicy(joints, { ...terms, pd, imu_link: 'imu', fixed_base: true });
    const r = axon('inspect', model, '--mjcf', quad.file);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('manifest.json#/joints/7: model RR_calf | robot no such joint (did you mean RR_calf_joint?)');
    expect(r.stdout).toContain('manifest.json#/imu_link: model "imu" | robot no body "imu" in the model (bodies: base, ');
    expect(r.stdout).toContain('manifest.json#/fixed_base: model true | robot a floating base: the MJCF\'s root body "base" has a free joint');
    expect(r.stdout).toContain('DOES NOT FIT (3 differences)');
    expect(r.stderr).toBe('axon: failed: model "zero" does not fit robot "quad scene": 3 differences (listed in the report on stdout)\n');
  });

  it('one robot at a time; --fixed-base is the model file\'s to say', () => {
    const model = zeroPositionPolicy(quad.joints, terms);
    const both = axon('inspect', model, '--mjcf', quad.file, '--robot', 'humanoid');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--mjcf');
    const fixed = axon('inspect', model, '--mjcf', quad.file, '--fixed-base');
    expect(fixed.code).toBe(2);
    expect(fixed.stderr).toContain('--fixed-base');
  });
});
