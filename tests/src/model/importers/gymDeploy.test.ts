/**
 * unitree_rl_gym's own deploy configs (deploy/deploy_mujoco/configs, deploy/deploy_real/configs, as
 * the repository holds them: comments, lists over several lines, a file without a final newline)
 * become manifests whose observation is, value for value, the one deploy_mujoco.py builds: the
 * script's arithmetic is written out below from its source and compared with axon's
 * ObservationBuilder on a robot that lists the joints in another order.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createObservation } from '../../../../src/core/robot.ts';
import { ActionMapper } from '../../../../src/model/ActionMapper.ts';
import { ObservationBuilder } from '../../../../src/model/ObservationBuilder.ts';
import { ImportError } from '../../../../src/model/importers/common.ts';
import { manifestFromDeploy, parseDeployYaml } from '../../../../src/model/importers/deploy.ts';
import { observationSize } from '../../../../src/model/manifest.ts';
import { joint, spec } from '../../../helpers/fakes.ts';
import { VENDOR_SDK_JOINTS } from '../../../helpers/vendorJoints.ts';

const gym = (path: string) => parseDeployYaml(readFileSync(`tests/fixtures/unitree-rl-gym/${path}`, 'utf8'), path.split('/').at(-1)).cfg;
const onnx = { file: 'policy.onnx', input: 'obs', output: 'actions' };
/** unitree_rl_gym's g1_12dof.xml joints, qpos[7:] order. */
const G1_12 = VENDOR_SDK_JOINTS.slice(0, 12);
const H1_10 = ['left_hip_yaw_joint', 'left_hip_roll_joint', 'left_hip_pitch_joint', 'left_knee_joint', 'left_ankle_joint', 'right_hip_yaw_joint', 'right_hip_roll_joint', 'right_hip_pitch_joint', 'right_knee_joint', 'right_ankle_joint'];
const importGym = (path: string, sdkJoints: readonly string[]) => manifestFromDeploy(gym(path), { sdkJoints, sdkSource: '--sdk-joints', name: 'g1', robot: 'g1', onnx }, path.split('/').at(-1));
const refusal = (path: string, sdkJoints: readonly string[] = G1_12): ImportError => {
  try {
    importGym(path, sdkJoints);
  } catch (e) {
    if (e instanceof ImportError) return e;
    throw e;
  }
  throw new Error(`${path} was imported`);
};

/** deploy_mujoco.py's get_gravity_orientation, on its (w, x, y, z) quaternion. */
function gravityOrientation([qw, qx, qy, qz]: number[]): number[] {
  return [2 * (-qz * qx + qw * qy), -2 * (qz * qy + qw * qx), 1 - 2 * (qw * qw + qz * qz)];
}

describe("unitree_rl_gym's deploy configs become manifests", () => {
  it('deploy_mujoco g1.yaml: the file\'s numbers, 50 Hz from simulation_dt × control_decimation, the MJCF\'s joint order', () => {
    const { manifest: m, notes } = importGym('deploy_mujoco/configs/g1.yaml', G1_12);
    expect(m.joints).toEqual(G1_12);
    expect(m.control_hz).toBe(50);
    expect(m.decimation).toBe(10);
    expect(m.default_joint_pos).toEqual([-0.1, 0, 0, 0.3, -0.2, 0, -0.1, 0, 0, 0.3, -0.2, 0]);
    expect(m.pd).toEqual({ kp: [100, 100, 100, 150, 40, 40, 100, 100, 100, 150, 40, 40], kd: [2, 2, 2, 4, 2, 2, 2, 2, 2, 4, 2, 2] });
    expect(m.action).toEqual({ type: 'joint_position', scale: 0.25 });
    expect(m.observation.terms).toEqual([
      { term: 'base_ang_vel', scale: 0.25 },
      { term: 'projected_gravity' },
      { term: 'velocity_commands', scale: [2, 2, 0.25] },
      { term: 'joint_pos_rel', scale: 1 },
      { term: 'joint_vel', scale: 0.05 },
      { term: 'last_action' },
      { term: 'gait_phase', period: 0.8 },
    ]);
    expect(observationSize(m)).toBe(47);
    expect(m.command_ranges).toBeUndefined();
    expect(notes).toContain('g1.yaml: cmd_init: deploy_mujoco.py runs with this command: give it with --command 0.5,0,0');
  });

  it("builds deploy_mujoco.py's observation value for value, step by step, on a robot listing the joints in another order", () => {
    const { manifest: m } = importGym('deploy_mujoco/configs/g1.yaml', G1_12);
    // The robot: the 12 leg joints reversed, with two joints the policy does not drive between them.
    const robotJoints = [...G1_12.slice(6).reverse(), 'waist_yaw_joint', ...G1_12.slice(0, 6).reverse(), 'left_elbow_joint'];
    const robot = spec(robotJoints.map((n) => joint(n, { lower: -3, upper: 3 })), true);
    const b = new ObservationBuilder(m, robot);
    b.velocityCommand.set([0.5, -0.2, 0.3]);
    const obs = createObservation(robot);
    const defaults = [-0.1, 0, 0, 0.3, -0.2, 0, -0.1, 0, 0, 0.3, -0.2, 0];
    let action = new Float32Array(12);
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    for (let step = 0; step < 60; step++) {
      // A state as MuJoCo gives it: qj, dqj in the MJCF's order, quat (w, x, y, z), omega in the body frame.
      const qj = G1_12.map(() => rand());
      const dqj = G1_12.map(() => 3 * rand());
      const [x, y, z, w] = [0.1 * rand(), 0.1 * rand(), 0.3 * rand(), 1];
      const nq = Math.hypot(x, y, z, w);
      const quat = [w / nq, x / nq, y / nq, z / nq];
      const omega = [rand(), rand(), rand()];
      G1_12.forEach((name, i) => {
        obs.jointPosition[robotJoints.indexOf(name)] = qj[i];
        obs.jointVelocity[robotJoints.indexOf(name)] = dqj[i];
      });
      obs.imu!.orientation.set([quat[1], quat[2], quat[3], quat[0]]); // axon: (x, y, z, w)
      obs.imu!.angularVelocity.set(omega);
      const out = b.build(obs, action);

      // deploy_mujoco.py, as written: counter counts physics steps, the policy runs when counter % 10 == 0.
      const counter = 10 * (step + 1);
      const phase = ((counter * 0.002) % 0.8) / 0.8;
      const expected = [
        ...omega.map((v) => v * 0.25),
        ...gravityOrientation(quat),
        ...[0.5 * 2, -0.2 * 2, 0.3 * 0.25],
        ...qj.map((q, i) => (q - defaults[i]) * 1),
        ...dqj.map((v) => v * 0.05),
        ...action,
        Math.sin(2 * Math.PI * phase),
        Math.cos(2 * Math.PI * phase),
      ];
      expect(out.length).toBe(expected.length);
      expected.forEach((v, i) => expect(out[i], `step ${step}, obs[${i}]`).toBeCloseTo(v, 5));
      action = Float32Array.from({ length: 12 }, () => rand());
    }
  });

  it('maps the action as the script: target = action × action_scale + default_angles, with kps/kds, by joint name', () => {
    const { manifest: m } = importGym('deploy_mujoco/configs/h1.yaml', H1_10);
    const robotJoints = [...H1_10].reverse();
    const robot = spec(robotJoints.map((n) => joint(n, { lower: -3, upper: 3 })), true);
    const mapper = new ActionMapper(m, robot);
    const n = robotJoints.length;
    const cmd = { mode: 'position' as const, target: new Float64Array(n), kp: new Float64Array(n), kd: new Float64Array(n) };
    mapper.map(Float32Array.from({ length: 10 }, (_, i) => 0.1 * i), cmd);
    const defaults = [0, 0, -0.1, 0.3, -0.2, 0, 0, -0.1, 0.3, -0.2];
    const kps = [150, 150, 150, 200, 40, 150, 150, 150, 200, 40];
    H1_10.forEach((name, i) => {
      const r = robotJoints.indexOf(name);
      expect(cmd.target[r]).toBeCloseTo(0.1 * i * 0.25 + defaults[i], 6);
      expect(cmd.kp[r]).toBe(kps[i]);
    });
    expect(observationSize(m)).toBe(41);
  });

  it('deploy_real: the policy\'s joints are motors leg_joint2motor_idx of the SDK order, the command bounded by max_cmd, the arm and waist hold named', () => {
    const { manifest: m, notes } = importGym('deploy_real/configs/h1_2.yaml', VENDOR_SDK_JOINTS);
    expect(m.joints).toEqual(VENDOR_SDK_JOINTS.slice(0, 12));
    expect(m.control_hz).toBe(50);
    expect(m.decimation).toBeUndefined();
    expect(m.command_ranges).toEqual({ lin_vel_x: [-0.8, 0.8], lin_vel_y: [-0.5, 0.5], ang_vel_z: [-1.57, 1.57] });
    expect(m.pd!.kp).toEqual([200, 200, 200, 300, 40, 40, 200, 200, 200, 300, 40, 40]);
    expect(notes.find((x) => x.includes('arm_waist_joint2motor_idx'))).toMatch(/not carried \(deploy_real\.py holds these motors at arm_waist_target with their own gains; axon holds a robot's joints outside the model at the robot's default pose with its gains\)/);
    expect(notes.find((x) => x.startsWith('h1_2.yaml: imu_type'))).toContain("turns a torso IMU's reading into the pelvis frame");
    expect(m.imu_link).toBeUndefined(); // no URDF: no link to name
    // A motor index beyond the SDK order given, and an SDK slot without a joint, are named.
    expect(refusal('deploy_real/configs/h1_2.yaml', VENDOR_SDK_JOINTS.slice(0, 8)).message).toMatch(/^h1_2\.yaml: leg_joint2motor_idx\[8\]: is 8 \(expected a motor index 0\.\.7 of the 8 joints of --sdk-joints\)$/);
    expect(refusal('deploy_real/configs/h1_2.yaml', ['', ...VENDOR_SDK_JOINTS.slice(1)]).message).toMatch(/leg_joint2motor_idx\[0\]: is motor 0, a slot --sdk-joints gives no joint name/);
  });

  it("deploy_real's imu_type: torso with the URDF's torso IMU: imu_link and both IMU terms read in the root, as transform_imu_data; imu_type: pelvis reads the IMU", () => {
    const torsoImu = { link: 'imu_in_torso', root: 'pelvis', behind: 'torso_joint' };
    const o = { sdkJoints: VENDOR_SDK_JOINTS, sdkSource: '--urdf h1_2.urdf', fromUrdf: true, torsoImu, name: 'h1_2', robot: 'h1_2', onnx };
    const { manifest: m, notes } = manifestFromDeploy(gym('deploy_real/configs/h1_2.yaml'), o, 'h1_2.yaml');
    expect(m.imu_link).toBe('imu_in_torso');
    expect(m.observation.terms.slice(0, 3)).toEqual([{ term: 'base_ang_vel', scale: 0.25, link: 'pelvis' }, { term: 'projected_gravity', link: 'pelvis' }, { term: 'velocity_commands', scale: [2, 2, 0.25] }]);
    expect(notes.filter((x) => x.startsWith('h1_2.yaml: imu_type'))).toEqual([
      'h1_2.yaml: imu_type: torso: imu_link "imu_in_torso" (the URDF\'s imu* link behind torso_joint) and base_ang_vel, projected_gravity read in "pelvis" (its root), as deploy_real.py\'s transform_imu_data turns the torso IMU\'s reading into the pelvis frame; a bridge client derives it with --urdf FILE (docs/byom.md)',
    ]);
    const g1 = manifestFromDeploy(gym('deploy_real/configs/g1.yaml'), o, 'g1.yaml');
    expect(g1.manifest.imu_link).toBeUndefined();
    expect(g1.manifest.observation.terms.slice(0, 2)).toEqual([{ term: 'base_ang_vel', scale: 0.25 }, { term: 'projected_gravity' }]);
    expect(g1.notes).toContain('g1.yaml: imu_type: ignored ("pelvis": the IMU terms read the robot\'s IMU, on the pelvis)');
  });

  it('reads the config with Windows or old Mac line ends, a lone \\r at the end of the file included, as the same manifest', () => {
    const text = readFileSync('tests/fixtures/unitree-rl-gym/deploy_mujoco/configs/h1.yaml', 'utf8'); // no final newline, as the repository has it
    const want = importGym('deploy_mujoco/configs/h1.yaml', H1_10).manifest;
    for (const ends of [text.replace(/\n/g, '\r\n') + '\r', text.replace(/\n/g, '\r')]) {
      const { cfg } = parseDeployYaml(ends, 'h1.yaml');
      expect(manifestFromDeploy(cfg, { sdkJoints: H1_10, sdkSource: '--sdk-joints', name: 'g1', robot: 'g1', onnx }, 'h1.yaml').manifest).toEqual(want);
    }
  });

  it("deploy_real h1.yaml (the H1 numbers its motors otherwise, msg_type go): the same legs from the URDF's order or from the motor order", () => {
    // unitree_ros / unitree_rl_gym h1.urdf: actuated joints in file order, legs first.
    const h1Urdf = [...H1_10, 'torso_joint', 'left_shoulder_pitch_joint', 'left_shoulder_roll_joint', 'left_shoulder_yaw_joint', 'left_elbow_joint', 'right_shoulder_pitch_joint', 'right_shoulder_roll_joint', 'right_shoulder_yaw_joint', 'right_elbow_joint'];
    const fromUrdf = manifestFromDeploy(gym('deploy_real/configs/h1.yaml'), { sdkJoints: h1Urdf, sdkSource: '--urdf h1.urdf', fromUrdf: true, name: 'h1', robot: 'h1', onnx }, 'h1.yaml');
    expect(fromUrdf.manifest.joints).toEqual(H1_10);
    expect(fromUrdf.jointOrder).toBe("the first 10 actuated joints of --urdf h1.urdf in file order: the policy's order, legs first as unitree_rl_gym's robots list them");
    // The H1's motor numbering ("go"): 0-2 right hip roll/pitch, knee; 3-5 left; 6 torso; 7-8 hip yaws; 9 unused; 10-11 ankles; 12-19 arms.
    const motors = ['right_hip_roll_joint', 'right_hip_pitch_joint', 'right_knee_joint', 'left_hip_roll_joint', 'left_hip_pitch_joint', 'left_knee_joint', 'torso_joint', 'left_hip_yaw_joint', 'right_hip_yaw_joint', '', 'left_ankle_joint', 'right_ankle_joint', 'right_shoulder_pitch_joint', 'right_shoulder_roll_joint', 'right_shoulder_yaw_joint', 'right_elbow_joint', 'left_shoulder_pitch_joint', 'left_shoulder_roll_joint', 'left_shoulder_yaw_joint', 'left_elbow_joint'];
    const fromMotors = manifestFromDeploy(gym('deploy_real/configs/h1.yaml'), { sdkJoints: motors, sdkSource: '--sdk-joints', name: 'h1', robot: 'h1', onnx }, 'h1.yaml');
    expect(fromMotors.manifest.joints).toEqual(H1_10);
    expect(observationSize(fromMotors.manifest)).toBe(41);
  });

  it('with a URDF: deploy_mujoco takes its first n joints as deploy_real does, --sdk-joints must be exactly n; an "hg" deploy_real whose motors are not the first n is refused', () => {
    // deploy_mujoco's G1 config (12 joints, g1_12dof.xml) with the URDF a G1 user has (g1_29dof.urdf, legs first): the first 12.
    const mujoco = manifestFromDeploy(gym('deploy_mujoco/configs/g1.yaml'), { sdkJoints: VENDOR_SDK_JOINTS, sdkSource: '--urdf g1_29dof.urdf', fromUrdf: true, name: 'g1', robot: 'g1', onnx }, 'g1.yaml');
    expect({ ...mujoco.manifest, provenance: undefined }).toEqual({ ...importGym('deploy_mujoco/configs/g1.yaml', G1_12).manifest, provenance: undefined });
    expect(mujoco.jointOrder).toBe("the first 12 actuated joints of --urdf g1_29dof.urdf in file order: deploy_mujoco.py's MJCF (qpos[7:]), legs first as unitree_rl_gym's robots list them");
    expect(mujoco.notes.join('\n')).toContain("g1.yaml: the policy's 12 joints are taken as --urdf g1_29dof.urdf's first 12 actuated joints (left_hip_pitch_joint,");
    // The same as its deploy_real config of the same policy with the same URDF.
    const real = manifestFromDeploy(gym('deploy_real/configs/g1.yaml'), { sdkJoints: VENDOR_SDK_JOINTS, sdkSource: '--urdf g1_29dof.urdf', fromUrdf: true, name: 'g1', robot: 'g1', onnx }, 'g1.yaml');
    expect(mujoco.manifest.joints).toEqual(real.manifest.joints);
    // Names given by hand are the policy's own: exactly num_actions of them.
    expect(refusal('deploy_mujoco/configs/h1.yaml', VENDOR_SDK_JOINTS).message).toBe("h1.yaml: num_actions: is 10, but --sdk-joints names 29 joints (expected the 10 joints deploy_mujoco.py drives, in the order of its MJCF (qpos[7:]): that robot's URDF (--urdf) or --sdk-joints)");
    // A URDF with fewer joints than the policy drives is still refused.
    expect(() => manifestFromDeploy(gym('deploy_mujoco/configs/g1.yaml'), { sdkJoints: VENDOR_SDK_JOINTS.slice(0, 8), sdkSource: '--urdf short.urdf', fromUrdf: true, name: 'g1', robot: 'g1', onnx }, 'g1.yaml')).toThrow(/num_actions: is 12, but --urdf short\.urdf names 8 joints/);
    // An "hg" robot numbers its motors in URDF order: motors other than 0..n-1 are not the URDF's first n.
    const cfg = gym('deploy_real/configs/h1_2.yaml');
    cfg.leg_joint2motor_idx = [1, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    expect(() => manifestFromDeploy(cfg, { sdkJoints: VENDOR_SDK_JOINTS, sdkSource: '--urdf g1_29dof.urdf', fromUrdf: true, name: 'h1_2', robot: 'h1_2', onnx }, 'h1_2.yaml')).toThrow(
      'h1_2.yaml: leg_joint2motor_idx: is [1, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] on an "hg" robot, whose motors follow its URDF\'s order, so the policy\'s joints are not --urdf g1_29dof.urdf\'s first 12 (expected motor-order joint names with --sdk-joints)',
    );
  });

  it('refuses a joint list that is not the policy\'s count, and a list of the wrong length, naming the key', () => {
    expect(refusal('deploy_mujoco/configs/g1.yaml', VENDOR_SDK_JOINTS).message).toBe(
      "g1.yaml: num_actions: is 12, but --sdk-joints names 29 joints (expected the 12 joints deploy_mujoco.py drives, in the order of its MJCF (qpos[7:]): that robot's URDF (--urdf) or --sdk-joints)",
    );
    const cfg = gym('deploy_mujoco/configs/g1.yaml');
    cfg.kds = [2, 2, 2];
    expect(() => manifestFromDeploy(cfg, { sdkJoints: G1_12, sdkSource: '--sdk-joints', name: 'g1', robot: 'g1', onnx }, 'g1.yaml')).toThrow('g1.yaml: kds: has 3 values (expected 12, one per action (num_actions))');
  });

  it("refuses an observation no unitree_rl_gym script builds, naming what its size shows", () => {
    // The Go2's 48 = 12 + 3 × 12: legged_gym's stock observation (with base_lin_vel), another script's.
    expect(refusal('deploy_mujoco/configs/go2.yaml').message).toMatch(
      /^go2\.yaml: is unitree_rl_gym's deploy_mujoco config .*its num_obs 48 is not the 47 \(= 9 \+ 3 × 12 \+ 2\) of the observation deploy_mujoco\.py builds for 12 actions: 48 = 12 \+ 3 × 12 is legged_gym's stock observation, which another script built \(expected for this policy, axon manifest from-legged-gym on its training config/,
    );
    // A fork's 29-joint G1, num_obs 96 = 9 + 3 × 29 (no gait clock): its own script.
    expect(refusal('g1_29dof/deploy_mujoco/configs/g1.yaml', VENDOR_SDK_JOINTS).message).toMatch(/num_obs 96 is not the 98 \(= 9 \+ 3 × 29 \+ 2\) of the observation deploy_mujoco\.py builds for 29 actions: another script built it, and the file does not describe it \(expected a manifest written by hand/);
  });
});
