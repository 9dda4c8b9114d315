import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelFolder, observationSize } from '../../src/model/manifest.ts';
import { VENDOR_MODEL_JOINTS, VENDOR_SDK_JOINTS } from '../helpers/vendorJoints.ts';
import { writeVendorDeploy, writeVendorLstmOnnx, writeVendorOnnx, writeVendorUrdf } from '../helpers/vendorDeploy.ts';
import { axon } from '../helpers/cli.ts';
import { OnnxGraphBuilder } from '../../models/train/onnx/OnnxGraphBuilder.ts';
import { attr, encodeModel } from '../../models/train/onnx/onnxModel.ts';
import { ONNX_IR_VERSION, ONNX_OPSET } from '../../models/train/onnx/writeOnnx.ts';
import { writeVendorHumanoid } from '../helpers/vendorHumanoid.ts';


function vendorRun() {
  const dir = mkdtempSync(join(tmpdir(), 'axon-deploy-cli-'));
  const d = writeVendorDeploy(join(dir, 'params'));
  const onnx = writeVendorOnnx(join(dir, 'policy.onnx'));
  const urdf = writeVendorUrdf(join(dir, 'g1_29dof.urdf'));
  return { dir, d, onnx, urdf, out: join(dir, 'model') };
}

describe('axon manifest from-deploy', () => {
  it('writes DIR/manifest.json beside a copy of the ONNX file, says what it did not map; the folder loads and inspects', () => {
    const { d, onnx, urdf, out } = vendorRun();
    const r = axon('manifest', 'from-deploy', d.path, '--onnx', onnx, '--out', out, '--urdf', urdf, '--name', 'g1-walk');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('not mapped: deploy.yaml: commands.base_velocity.ranges.heading');
    expect(r.stdout).toContain(`wrote ${join(out, 'manifest.json')}`);
    expect(existsSync(join(out, 'policy.onnx'))).toBe(true);
    expect(readFileSync(join(out, 'policy.onnx'))).toEqual(readFileSync(onnx));
    const folder = loadModelFolder(out);
    const m = folder.manifest;
    expect(m).toMatchObject({ name: 'g1-walk', robot: 'vendor_humanoid', control_hz: 50, onnx: { file: 'policy.onnx', input: 'obs', output: 'actions' } });
    expect(m.joints).toEqual(VENDOR_MODEL_JOINTS);
    expect(m.pd!.kp[m.joints.indexOf('waist_yaw_joint')]).toBe(200);
    expect(observationSize(m)).toBe(480);
    const i = axon('inspect', out);
    expect(i.code, i.stderr).toBe(0);
    expect(i.stdout).toContain('observation: 480 values');
    expect(i.stdout).toContain('input  obs float32 [1, 480]');
    // --sdk-joints gives the same manifest
    const out2 = join(out, '..', 'model2');
    expect(axon('manifest', 'from-deploy', d.path, '--onnx', onnx, '--out', out2, '--sdk-joints', VENDOR_SDK_JOINTS.join(','), '--name', 'g1-walk', '--robot', 'vendor_humanoid').code).toBe(0);
    const m2 = JSON.parse(readFileSync(join(out2, 'manifest.json'), 'utf8'));
    expect({ ...m2, provenance: undefined }).toEqual({ ...m, provenance: undefined });
  });

  it('refuses bad input with exit 2 and one line naming the field or flag', () => {
    const { dir, d, onnx, urdf, out } = vendorRun();
    const noOrder = axon('manifest', 'from-deploy', d.path, '--onnx', onnx, '--out', out);
    expect(noOrder.code).toBe(2);
    expect(noOrder.stderr).toContain('--urdf');
    expect(noOrder.stderr).toContain('--sdk-joints');
    const short = axon('manifest', 'from-deploy', d.path, '--onnx', onnx, '--out', out, '--sdk-joints', VENDOR_SDK_JOINTS.slice(1).join(','));
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("names 28 SDK slots, but deploy.yaml's joint_ids_map reaches motor 28 and its stiffness has 29 motor slots");
    const broken = writeVendorDeploy(join(dir, 'broken'), { edits: [['  last_action:', '  height_scan:\n    params: {sensor_cfg: {name: height_scanner}}\n    clip: [-1.0, 1.0]\n    scale: 1.0\n    history_length: 1\n  last_action:']] });
    const term = axon('manifest', 'from-deploy', broken.path, '--onnx', onnx, '--out', out, '--urdf', urdf);
    expect(term.code).toBe(2);
    expect(term.stderr).toContain('observations.height_scan: is a term axon cannot compute');
    expect(term.stderr).not.toMatch(/\n\s+at /);
    const wrongOnnx = writeVendorOnnx(join(dir, 'small.onnx'), 96, 29);
    const shape = axon('manifest', 'from-deploy', d.path, '--onnx', wrongOnnx, '--out', out, '--urdf', urdf);
    expect(shape.code).toBe(2);
    expect(shape.stderr).toContain('has last dimension 96 but the manifest implies 480');
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
  });
});

describe("axon manifest from-deploy on unitree_rl_gym's deploy configs", () => {
  it("imports deploy_real's G1 config against the vendor's 29-joint URDF (its first 12 joints, the legs) and the policy runs on that robot from the CLI", () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-deploy-gym-'));
    const onnx = writeVendorOnnx(join(dir, 'policy.onnx'), 47, 12);
    const robot = writeVendorHumanoid(dir);
    const model = join(dir, 'model');
    const r = axon('manifest', 'from-deploy', 'tests/fixtures/unitree-rl-gym/deploy_real/configs/g1.yaml', '--onnx', onnx, '--out', model, '--urdf', robot.urdf);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("12 joints (model order: the first 12 actuated joints of --urdf g1_29dof.urdf in file order: the policy's order, legs first as unitree_rl_gym's robots list them), 7 observation terms (47 values), 50 Hz");
    expect(r.stdout).toContain('not mapped: g1.yaml: arm_waist_joint2motor_idx, arm_waist_kps, arm_waist_kds, arm_waist_target: not carried');
    const m = loadModelFolder(model).manifest;
    expect(m.joints).toEqual(VENDOR_SDK_JOINTS.slice(0, 12));
    expect(m.observation.terms.at(-1)).toEqual({ term: 'gait_phase', period: 0.8 });
    const run = axon('sim', '--urdf', robot.urdf, '--policy', model, '--command', '0.4,0,0', '--duration', '0.5', '--fast', '--json');
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.lastLine);
    expect(summary).toMatchObject({ ticks: 25, policy: model, velocity_command: [0.4, 0, 0], robot_setup: { gains: 'manifest' } });
  });

  it("imports deploy_real's H1_2 config (imu_type: torso) against a URDF with IMUs in the pelvis and behind the waist: imu_link is the torso's, both IMU terms read in the root, and it runs", () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-deploy-gym-torso-'));
    const onnx = writeVendorOnnx(join(dir, 'policy.onnx'), 47, 12);
    const robot = writeVendorHumanoid(dir); // imu_in_pelvis first in the file, imu_in_torso behind the waist's three joints
    const model = join(dir, 'model');
    const r = axon('manifest', 'from-deploy', 'tests/fixtures/unitree-rl-gym/deploy_real/configs/h1_2.yaml', '--onnx', onnx, '--out', model, '--urdf', robot.urdf);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('not mapped: h1_2.yaml: imu_type: torso: imu_link "imu_in_torso" (the URDF\'s imu* link behind waist_pitch_joint) and base_ang_vel, projected_gravity read in "pelvis" (its root)');
    const m = loadModelFolder(model).manifest;
    expect(m.imu_link).toBe('imu_in_torso');
    expect(m.observation.terms.slice(0, 2)).toEqual([{ term: 'base_ang_vel', scale: 0.25, link: 'pelvis' }, { term: 'projected_gravity', link: 'pelvis' }]);
    const run = axon('sim', '--urdf', robot.urdf, '--policy', model, '--duration', '0.5', '--fast', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.lastLine)).toMatchObject({ ticks: 25, policy: model });
  });

  it("takes an LSTM policy as rsl_rl exports it (obs, h_in, c_in -> actions, h_out, c_out): its states become the manifest's recurrent pairs, and it runs", () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-deploy-gym-lstm-'));
    const onnx = writeVendorLstmOnnx(join(dir, 'policy.onnx'), 47, 12, 64);
    const robot = writeVendorHumanoid(dir);
    const model = join(dir, 'model');
    const r = axon('manifest', 'from-deploy', 'tests/fixtures/unitree-rl-gym/deploy_real/configs/g1.yaml', '--onnx', onnx, '--out', model, '--urdf', robot.urdf);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("recurrent: h_in -> h_out [1, 1, 64], c_in -> c_out [1, 1, 64] (policy.onnx's inputs after the observation, fed from its outputs after the action in order, as rsl_rl exports an LSTM or GRU policy");
    expect(loadModelFolder(model).manifest.recurrent).toEqual([
      { input: 'h_in', output: 'h_out', shape: [1, 1, 64] },
      { input: 'c_in', output: 'c_out', shape: [1, 1, 64] },
    ]);
    const run = axon('sim', '--urdf', robot.urdf, '--policy', model, '--command', '0.4,0,0', '--duration', '0.5', '--fast', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.lastLine).ticks).toBe(25);
    // A feed-forward export has no recurrent entry.
    const plain = axon('manifest', 'from-deploy', 'tests/fixtures/unitree-rl-gym/deploy_real/configs/g1.yaml', '--onnx', writeVendorOnnx(join(dir, 'plain.onnx'), 47, 12), '--out', join(dir, 'plain'), '--urdf', robot.urdf);
    expect(plain.code, plain.stderr).toBe(0);
    expect(loadModelFolder(join(dir, 'plain')).manifest.recurrent).toBeUndefined();
    // A state input with no output to feed it from is no rsl_rl export: refused naming both lists.
    const g = new OnnxGraphBuilder('odd');
    const x = g.input('obs', 'float32', [1, 47]);
    g.input('h_in', 'float32', [1, 1, 64]);
    g.node('Gemm', [x, g.initializer('W', 'float32', [12, 47], new Float32Array(12 * 47))], ['actions'], { transB: attr.int(1) });
    g.output('actions', 'float32', [1, 12]);
    const oddFile = join(dir, 'odd.onnx');
    writeFileSync(oddFile, encodeModel({ irVersion: ONNX_IR_VERSION, opsetImports: [{ domain: '', version: ONNX_OPSET }], producerName: 'axon-tests', graph: g.build() }));
    const odd = axon('manifest', 'from-deploy', 'tests/fixtures/unitree-rl-gym/deploy_real/configs/g1.yaml', '--onnx', oddFile, '--out', join(dir, 'odd'), '--urdf', robot.urdf);
    expect(odd.code).toBe(2);
    expect(odd.stderr).toContain(`--onnx: ${oddFile} has inputs obs, h_in and outputs actions (expected one observation input and an action output, then any recurrent states as rsl_rl exports them`);
    // One input and an extra output (a value head): feed-forward, as before the recurrent reading.
    const v = new OnnxGraphBuilder('value_head');
    const vx = v.input('obs', 'float32', [1, 47]);
    v.node('Gemm', [vx, v.initializer('W', 'float32', [12, 47], new Float32Array(12 * 47))], ['actions'], { transB: attr.int(1) });
    v.node('Gemm', [vx, v.initializer('V', 'float32', [1, 47], new Float32Array(47))], ['value'], { transB: attr.int(1) });
    v.output('actions', 'float32', [1, 12]);
    v.output('value', 'float32', [1, 1]);
    const valueFile = join(dir, 'value.onnx');
    writeFileSync(valueFile, encodeModel({ irVersion: ONNX_IR_VERSION, opsetImports: [{ domain: '', version: ONNX_OPSET }], producerName: 'axon-tests', graph: v.build() }));
    const value = axon('manifest', 'from-deploy', 'tests/fixtures/unitree-rl-gym/deploy_real/configs/g1.yaml', '--onnx', valueFile, '--out', join(dir, 'value'), '--urdf', robot.urdf);
    expect(value.code, value.stderr).toBe(0);
    expect(loadModelFolder(join(dir, 'value')).manifest.recurrent).toBeUndefined();
  });

  it('refuses a config whose observation no unitree_rl_gym script builds with one line naming what its size shows, before asking for the joint order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-deploy-gym-'));
    const onnx = writeVendorOnnx(join(dir, 'policy.onnx'), 48, 12);
    const r = axon('manifest', 'from-deploy', 'tests/fixtures/unitree-rl-gym/deploy_mujoco/configs/go2.yaml', '--onnx', onnx, '--out', join(dir, 'model'));
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^axon: error \[IMPORT_CONFIG\]: go2\.yaml: is unitree_rl_gym's deploy_mujoco config .*48 = 12 \+ 3 × 12 is legged_gym's stock observation.* \(expected for this policy, axon manifest from-legged-gym .*\)$/);
    expect(r.stderr).not.toContain('--urdf');
    expect(existsSync(join(dir, 'model'))).toBe(false);
  });
});

describe('axon manifest from-legged-gym', () => {
  it('requires --joints: the order of default_joint_angles is not the asset\'s DOF order', () => {
    const r = axon('manifest', 'from-legged-gym', 'tests/fixtures/legged-gym-config.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--joints');
    const joints = ['FL_hip_joint', 'FR_hip_joint', 'RL_hip_joint', 'RR_hip_joint', 'FL_thigh_joint', 'FR_thigh_joint', 'RL_thigh_joint', 'RR_thigh_joint', 'FL_calf_joint', 'FR_calf_joint', 'RL_calf_joint', 'RR_calf_joint'];
    const ok = axon('manifest', 'from-legged-gym', 'tests/fixtures/legged-gym-config.yaml', '--joints', joints.join(','));
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).joints).toEqual(joints);
    // --out naming a folder (as from-deploy takes one) is a usage error naming the flag, not EISDIR
    const folder = mkdtempSync(join(tmpdir(), 'axon-lg-out-'));
    const dirOut = axon('manifest', 'from-legged-gym', 'tests/fixtures/legged-gym-config.yaml', '--joints', joints.join(','), '--out', folder);
    expect(dirOut.code).toBe(2);
    expect(dirOut.stderr).toContain(`--out: is ${folder}, a folder (expected the manifest's file path, e.g. ${join(folder, 'manifest.json')}`);
  });

  it('keeps an empty --sdk-joints entry as a motor slot, and says when --urdf lists its joints leaf first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-deploy-slots-'));
    const onnx = writeVendorOnnx(join(dir, 'policy.onnx'), 3, 3);
    const deploy = (ids: number[], kp: number[]) =>
      [
        `joint_ids_map: [${ids.join(', ')}]`,
        'step_dt: 0.02',
        `stiffness: [${kp.join(', ')}]`,
        `damping: [${kp.map(() => 1).join(', ')}]`,
        'default_joint_pos: [0.1, 0.2, 0.3]',
        'actions:',
        '  JointPositionAction: {clip: null, joint_names: [.*], scale: [0.25, 0.25, 0.25], offset: [0.1, 0.2, 0.3], joint_ids: null}',
        'observations:',
        '  joint_pos_rel: {params: {}, clip: null, scale: [1.0, 1.0, 1.0], history_length: 1}',
        '',
      ].join('\n');
    writeFileSync(join(dir, 'slots.yaml'), deploy([0, 3, 1], [10, 20, 0, 30]));
    const r = axon('manifest', 'from-deploy', join(dir, 'slots.yaml'), '--onnx', onnx, '--out', join(dir, 'slots'), '--sdk-joints', 'a, b, , c');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('(slot 2 (no joint))');
    const m = loadModelFolder(join(dir, 'slots')).manifest;
    expect(m.joints).toEqual(['a', 'c', 'b']);
    expect(m.pd!.kp).toEqual([10, 30, 20]);

    // An arm written leaf first (as SO-101's URDF is): the file's order is taken, and the note says it is not the tree's;
    // a model order it gives that lists a joint before its parent (no articulation does) is refused (review R31 F1).
    const link = (n: string) => `<link name="${n}"><inertial><mass value="0.1"/><inertia ixx="1e-5" iyy="1e-5" izz="1e-5" ixy="0" ixz="0" iyz="0"/></inertial></link>`;
    const rev = (n: string, p: string, c: string) => `<joint name="${n}" type="revolute"><parent link="${p}"/><child link="${c}"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="3" velocity="5"/></joint>`;
    writeFileSync(join(dir, 'arm.urdf'), `<?xml version="1.0"?>\n<robot name="arm">${['base', 'l1', 'l2', 'l3'].map(link).join('')}${rev('wrist', 'l2', 'l3')}${rev('elbow', 'l1', 'l2')}${rev('shoulder', 'base', 'l1')}</robot>\n`);
    writeFileSync(join(dir, 'arm.yaml'), deploy([2, 1, 0], [10, 20, 30]));
    const a = axon('manifest', 'from-deploy', join(dir, 'arm.yaml'), '--onnx', onnx, '--out', join(dir, 'arm'), '--urdf', join(dir, 'arm.urdf'));
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toContain("note: --urdf arm.urdf: the SDK (motor) order is taken as the file's joint order (wrist, elbow, shoulder), which is not its tree order (shoulder, elbow, wrist)");
    expect(loadModelFolder(join(dir, 'arm')).manifest.joints).toEqual(['shoulder', 'elbow', 'wrist']);
    writeFileSync(join(dir, 'arm.yaml'), deploy([0, 1, 2], [10, 20, 30]));
    const leafFirst = axon('manifest', 'from-deploy', join(dir, 'arm.yaml'), '--onnx', onnx, '--out', join(dir, 'arm2'), '--urdf', join(dir, 'arm.urdf'));
    expect(leafFirst.code).toBe(2);
    expect(leafFirst.stderr).toContain('gives a model order with wrist (model joint 0) before its parent joint elbow (model joint 1)');
  });
});
