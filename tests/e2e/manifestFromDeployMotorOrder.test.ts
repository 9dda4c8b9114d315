/**
 * `axon manifest from-deploy`: where the SDK (motor) order comes from (review R31 F1). A deploy.yaml
 * holds no joint names, only joint_ids_map (model index -> motor index); unitree_rl_lab's training
 * writes the motor order as scene.robot.joint_sdk_names into params/env.yaml beside it. A vendor
 * URDF's file order need not be the motor order: taken as it, every joint got another joint's
 * default pose, gains and action, and the import exited 0.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelFolder } from '../../src/model/manifest.ts';
import { writeVendorOnnx } from '../helpers/vendorDeploy.ts';
import { axon } from '../helpers/cli.ts';

/** Motor order, with a motor slot without a joint (as unitree_rl_lab's H1 has one) after the waist. */
const SDK = ['l_hip_joint', 'l_knee_joint', 'l_ankle_joint', 'r_hip_joint', 'r_knee_joint', 'r_ankle_joint', 'waist_yaw_joint', '', 'l_shoulder_joint', 'l_elbow_joint'];
/** PhysX's articulation (breadth-first) order: the policy's. */
const MODEL = ['l_hip_joint', 'r_hip_joint', 'waist_yaw_joint', 'l_knee_joint', 'r_knee_joint', 'l_shoulder_joint', 'l_ankle_joint', 'r_ankle_joint', 'l_elbow_joint'];
const KP: Record<string, number> = { l_hip_joint: 100, r_hip_joint: 100, waist_yaw_joint: 200, l_knee_joint: 150, r_knee_joint: 150, l_shoulder_joint: 60, l_ankle_joint: 40, r_ankle_joint: 40, l_elbow_joint: 30 };
const DEFAULT: Record<string, number> = { l_hip_joint: -0.1, r_hip_joint: -0.1, waist_yaw_joint: 0, l_knee_joint: 0.3, r_knee_joint: 0.3, l_shoulder_joint: 0.2, l_ankle_joint: -0.2, r_ankle_joint: -0.2, l_elbow_joint: 0.9 };
/** The vendor's file order: right leg, arm, waist, left leg (not the motor order, not the tree's). */
const FILE_ORDER = ['r_hip_joint', 'r_knee_joint', 'r_ankle_joint', 'l_shoulder_joint', 'l_elbow_joint', 'waist_yaw_joint', 'l_hip_joint', 'l_knee_joint', 'l_ankle_joint'];
const PARENT: Record<string, [string, string]> = {
  l_hip_joint: ['pelvis', 'l_hip_link'], l_knee_joint: ['l_hip_link', 'l_knee_link'], l_ankle_joint: ['l_knee_link', 'l_foot_link'],
  r_hip_joint: ['pelvis', 'r_hip_link'], r_knee_joint: ['r_hip_link', 'r_knee_link'], r_ankle_joint: ['r_knee_link', 'r_foot_link'],
  waist_yaw_joint: ['pelvis', 'waist_link'], l_shoulder_joint: ['torso_link', 'l_upper_link'], l_elbow_joint: ['l_upper_link', 'l_fore_link'],
};

/** A vendor-like URDF: joints in `order`, each before its child link, fixed frames (IMU, torso) between them, a gazebo tag. */
function writeUrdf(file: string, order: readonly string[]): string {
  const link = (n: string) => `  <link name="${n}"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial></link>`;
  const parts = ['<?xml version="1.0"?>', '<robot name="mini_humanoid">', '  <gazebo><plugin name="x" filename="x.so"/></gazebo>', link('pelvis'), link('imu_in_pelvis')];
  parts.push('  <joint name="imu_in_pelvis_joint" type="fixed"><parent link="pelvis"/><child link="imu_in_pelvis"/></joint>');
  for (const [i, j] of order.entries()) {
    const [p, c] = PARENT[j];
    parts.push(`  <joint name="${j}" type="revolute"><origin xyz="0 ${i % 2 ? 0.05 : -0.05} -0.1"/><parent link="${p}"/><child link="${c}"/><axis xyz="0 1 0"/><limit lower="-2.5" upper="2.5" effort="88" velocity="32"/></joint>`, link(c));
    if (j === 'waist_yaw_joint') parts.push(link('torso_link'), '  <joint name="torso_joint" type="fixed"><parent link="waist_link"/><child link="torso_link"/></joint>');
  }
  parts.push('</robot>', '');
  writeFileSync(file, parts.join('\n'));
  return file;
}

/** unitree_rl_lab's deploy.yaml for motor order `sdk`: joint_ids_map into it, stiffness/damping per motor slot. */
function writeDeploy(file: string, sdk: readonly string[]): string {
  const ids = MODEL.map((j) => sdk.indexOf(j));
  const perSlot = (f: (j: string) => number) => sdk.map((j) => (j === '' ? 0 : f(j)));
  const def = MODEL.map((j) => DEFAULT[j]);
  writeFileSync(
    file,
    [
      `joint_ids_map: [${ids.join(', ')}]`,
      'step_dt: 0.02',
      `stiffness: [${perSlot((j) => KP[j]).join(', ')}]`,
      `damping: [${perSlot((j) => KP[j] / 50).join(', ')}]`,
      `default_joint_pos: [${def.join(', ')}]`,
      'commands:',
      '  base_velocity: {ranges: {lin_vel_x: !!python/tuple [-0.5, 1.0], lin_vel_y: [0.0, 0.0], ang_vel_z: [-1.0, 1.0], heading: null}}',
      'actions:',
      `  JointPositionAction: {clip: null, joint_names: [.*], scale: [${MODEL.map(() => 0.25).join(', ')}], offset: [${def.join(', ')}], joint_ids: null}`,
      'observations:',
      `  joint_pos_rel: {params: {asset_cfg: {name: robot, joint_ids: !!python/object/apply:builtins.slice [null, null, null]}}, clip: null, scale: [${MODEL.map(() => 1.0).join(', ')}], history_length: 1}`,
      '',
    ].join('\n'),
  );
  return file;
}

/** An Isaac Lab dump_yaml env.yaml holding unitree_rl_lab's scene.robot.joint_sdk_names (a Python tuple, '' for an empty slot). */
function writeEnv(file: string, sdk: readonly string[] | undefined): string {
  const names = sdk === undefined ? [] : ['    joint_sdk_names: !!python/tuple', ...sdk.map((n) => `    - '${n}'`)];
  writeFileSync(
    file,
    [
      'viewer: {eye: !!python/tuple [7.5, 7.5, 7.5]}',
      'sim: {dt: 0.005, render_interval: 4}',
      'decimation: 4',
      'scene:',
      '  num_envs: 4096',
      '  robot:',
      '    class_type: isaaclab.assets.articulation.articulation:Articulation',
      '    spawn:',
      '      func: isaaclab.sim.converters.urdf_converter:spawn_from_urdf',
      '      asset_path: /home/user/robots/mini.urdf',
      '      joint_drive: {gains: {stiffness: 0, damping: 0}, target_type: position}',
      ...names,
      '    init_state: {pos: !!python/tuple [0.0, 0.0, 0.8], joint_pos: {.*: 0.0}}',
      '',
    ].join('\n'),
  );
  return file;
}

function run(dir: string) {
  mkdirSync(join(dir, 'params'), { recursive: true });
  return { onnx: writeVendorOnnx(join(dir, 'policy.onnx'), MODEL.length, MODEL.length), out: join(dir, 'model') };
}

describe('axon manifest from-deploy: the SDK (motor) order', () => {
  it("refuses a --urdf whose file order is not the motor order: the model order then lists a joint before its parent joint, which no articulation does", () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-deploy-order-'));
    const { onnx, out } = run(dir);
    const motors = SDK.filter((n) => n !== ''); // 9 slots: the URDF has one name per slot
    const deploy = writeDeploy(join(dir, 'params', 'deploy.yaml'), motors);
    const urdf = writeUrdf(join(dir, 'mini.urdf'), FILE_ORDER);
    const r = axon('manifest', 'from-deploy', deploy, '--onnx', onnx, '--out', out, '--urdf', urdf);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toContain('axon: error [IMPORT_CONFIG]: deploy.yaml: joint_ids_map: with the SDK (motor) order from --urdf mini.urdf gives a model order with l_shoulder_joint (model joint 1) before its parent joint waist_yaw_joint (model joint 7)');
    expect(r.stderr).toContain('--sdk-joints');
    expect(r.stderr).toContain('--env params/env.yaml');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);

    // The same URDF with --sdk-joints in motor order: checked against its tree and imported.
    const s = axon('manifest', 'from-deploy', deploy, '--onnx', onnx, '--out', out, '--urdf', urdf, '--sdk-joints', motors.join(','));
    expect(s.code, s.stderr).toBe(0);
    const m = loadModelFolder(out).manifest;
    expect(m.joints).toEqual(MODEL);
    expect(m.robot).toBe('mini_humanoid');
    expect(m.pd!.kp).toEqual(MODEL.map((j) => KP[j]));
    expect(m.default_joint_pos).toEqual(MODEL.map((j) => DEFAULT[j]));

    // --sdk-joints naming an order the tree rules out is refused the same way.
    const bad = axon('manifest', 'from-deploy', deploy, '--onnx', onnx, '--out', out, '--urdf', urdf, '--sdk-joints', FILE_ORDER.join(','));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('with the SDK (motor) order from --sdk-joints gives a model order with l_shoulder_joint (model joint 1) before its parent joint waist_yaw_joint');
  });

  it("does not refuse a URDF listed depth first (breadth- against depth-first is not a check): its file order is the motor order here", () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-deploy-order-'));
    const { onnx, out } = run(dir);
    const motors = SDK.filter((n) => n !== '');
    const deploy = writeDeploy(join(dir, 'params', 'deploy.yaml'), motors);
    const r = axon('manifest', 'from-deploy', deploy, '--onnx', onnx, '--out', out, '--urdf', writeUrdf(join(dir, 'mini.urdf'), motors));
    expect(r.code, r.stderr).toBe(0);
    expect(loadModelFolder(out).manifest.joints).toEqual(MODEL);
  });

  it("reads scene.robot.joint_sdk_names from the env.yaml beside deploy.yaml (an empty entry is a slot without a joint), before --urdf's file order, and says so", () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-deploy-order-'));
    const { onnx, out } = run(dir);
    const deploy = writeDeploy(join(dir, 'params', 'deploy.yaml'), SDK);
    writeEnv(join(dir, 'params', 'env.yaml'), SDK);
    const urdf = writeUrdf(join(dir, 'mini.urdf'), FILE_ORDER);
    const r = axon('manifest', 'from-deploy', deploy, '--onnx', onnx, '--out', out, '--urdf', urdf);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`note: SDK (motor) order from ${join(dir, 'params', 'env.yaml')} scene.robot.joint_sdk_names (10 slots)`);
    expect(r.stdout).toContain('(slot 7 (no joint))');
    expect(r.stdout).toContain('model order: from env.yaml scene.robot.joint_sdk_names by joint_ids_map');
    const m = loadModelFolder(out).manifest;
    expect(m.joints).toEqual(MODEL);
    expect(m.pd!.kp).toEqual(MODEL.map((j) => KP[j]));
    expect(m.pd!.kd).toEqual(MODEL.map((j) => KP[j] / 50));
    expect(m.default_joint_pos).toEqual(MODEL.map((j) => DEFAULT[j]));

    // --sdk-joints comes first: an env.yaml beside naming another order is not read.
    writeEnv(join(dir, 'params', 'env.yaml'), [...SDK].reverse());
    const s = axon('manifest', 'from-deploy', deploy, '--onnx', onnx, '--out', out, '--sdk-joints', SDK.join(',') + ',');
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).not.toContain('joint_sdk_names');
    expect(loadModelFolder(out).manifest.joints).toEqual(MODEL);
  });

  it('takes --env FILE from elsewhere, and refuses one without scene.robot.joint_sdk_names naming the flag', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-deploy-order-'));
    const { onnx, out } = run(dir);
    const deploy = writeDeploy(join(dir, 'params', 'deploy.yaml'), SDK);
    const env = writeEnv(join(dir, 'run-env.yaml'), SDK);
    const r = axon('manifest', 'from-deploy', deploy, '--onnx', onnx, '--out', out, '--env', env);
    expect(r.code, r.stderr).toBe(0);
    expect(loadModelFolder(out).manifest.joints).toEqual(MODEL);
    const plain = writeEnv(join(dir, 'plain-env.yaml'), undefined);
    const n = axon('manifest', 'from-deploy', deploy, '--onnx', onnx, '--out', out, '--env', plain);
    expect(n.code).toBe(2);
    expect(n.stderr).toContain(`--env: ${plain} has no scene.robot.joint_sdk_names`);
  });
});
