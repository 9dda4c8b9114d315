/**
 * An mjlab export for a robot whose imu site is not on the root (unitree_rl_mjlab's H1_2: `imu` on
 * torso_link, behind the waist yaw): mjlab's base_ang_vel is that site's gyro and its
 * projected_gravity the root's. `inspect policy.onnx --draft M --mjcf ROBOT.xml` reads both bodies
 * from the MJCF and writes imu_link and the projected_gravity term's link; without --mjcf the draft
 * says it could not. The drafted model then checks and runs against the MJCF.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { axon } from '../helpers/cli.ts';
import { exportedPolicyOnnx } from '../helpers/onnxFixtures.ts';
import { mjlabEntries } from '../helpers/mjlabMetadata.ts';
import { TORSO_IMU_JOINTS, writeTorsoImuRobot } from '../helpers/torsoImuRobot.ts';

const root = mkdtempSync(join(tmpdir(), 'axon-torso-mjlab-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const TERMS = ['base_ang_vel', 'projected_gravity', 'joint_pos', 'joint_vel', 'actions', 'command'];

describe('an mjlab export for a torso-IMU robot', () => {
  it('inspect --draft --mjcf writes imu_link at the imu site\'s body and projected_gravity at the root; inspect and sim take it', () => {
    const files = writeTorsoImuRobot(root, 0);
    const dir = join(root, 'exported');
    mkdirSync(dir);
    const onnx = join(dir, 'policy.onnx');
    const n = TORSO_IMU_JOINTS.length;
    exportedPolicyOnnx(onnx, { inDim: 9 + 3 * n, outDim: n }, mjlabEntries({
      run_path: 'local',
      joint_names: TORSO_IMU_JOINTS,
      joint_stiffness: [150, 150, 200],
      joint_damping: [5, 5, 5],
      default_joint_pos: [-0.2, -0.2, 0],
      command_names: ['twist'],
      observation_names: TERMS,
      observation_terms_scale: Array(TERMS.length).fill(1.0),
      observation_terms_flatten_history_dim: Array(TERMS.length).fill(true),
      observation_terms_history_length: Array(TERMS.length).fill(0),
      observation_terms_clip: Array(TERMS.length).fill([-Infinity, Infinity]),
      action_scale: [0.25, 0.25, 0.25],
    }));

    const plain = axon('inspect', onnx, '--draft', join(root, 'plain.json'));
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain("not in the file: imu_link: none written: the robot description's imu* link, else its root, carries the IMU; give --mjcf (the robot's MJCF) to read it from the imu site");
    const pm = JSON.parse(readFileSync(join(root, 'plain.json'), 'utf8'));
    expect(pm.imu_link).toBeUndefined();
    expect(pm.observation.terms[1]).toEqual({ term: 'projected_gravity' });

    const draft = axon('inspect', onnx, '--draft', join(dir, 'manifest.json'), '--mjcf', files.mjcf);
    expect(draft.code, draft.stderr).toBe(0);
    expect(draft.stdout).toContain('note: imu_link: "torso_link", the body of h1_2_like.xml\'s imu site (mjlab\'s base_ang_vel gyro); projected_gravity reads the root "pelvis"');
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(m.imu_link).toBe('torso_link');
    expect(m.observation.terms.slice(0, 2)).toEqual([{ term: 'base_ang_vel' }, { term: 'projected_gravity', link: 'pelvis' }]);

    const check = axon('inspect', dir, '--mjcf', files.mjcf);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('IMU link: torso_link (manifest imu_link) — read by base_ang_vel\n');
    expect(check.stdout).toContain("projected_gravity read in link pelvis (the term's link), not on the IMU");
    const run = axon('sim', '--mjcf', files.mjcf, '--policy', dir, '--duration', '0.2', '--fast', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.lastLine)).toMatchObject({ ticks: 10, policy: dir });

    // --mjcf with a bare ONNX file and no --draft is refused, never ignored.
    const bare = axon('inspect', onnx, '--mjcf', files.mjcf);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('--mjcf');
  });
});
