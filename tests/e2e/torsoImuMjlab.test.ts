/**
 * An mjlab export for a robot whose imu site is not on the root (unitree_rl_mjlab's H1_2: `imu` on
 * torso_link, behind the waist yaw): mjlab's base_ang_vel is that site's gyro and its
 * projected_gravity the root's. `inspect policy.onnx --draft M --mjcf ROBOT.xml` reads both bodies
 * from the MJCF and writes imu_link and the projected_gravity term's link; without --mjcf the draft
 * says it could not. The drafted model then checks and runs against the MJCF.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    // No <gyro> in this MJCF: the imu* site rule picks the torso, and the note says so.
    expect(draft.stdout).toContain('note: imu_link: "torso_link", no <gyro> sensor on a site in h1_2_like.xml, so the simulator\'s imu* site rule picked it');
    expect(draft.stdout).toContain('projected_gravity reads the root "pelvis"');
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

    // Unitree's layout (the G1 family): an imu site on the pelvis too, mjlab's gyro on the torso
    // one. The gyro decides, not "an imu* site on the root wins" (review R3 F2: it wrote pelvis,
    // no link on projected_gravity, and "as mjlab does").
    const two = join(root, 'two_sites.xml');
    writeFileSync(two, readFileSync(files.mjcf, 'utf8')
      .replace('<freejoint/>', '<freejoint/>\n      <site name="imu_in_pelvis" pos="0 0 0"/>')
      .replace('</worldbody>', '</worldbody>\n  <sensor><gyro name="imu_ang_vel" site="imu"/><framequat name="pelvis_quat" objtype="site" objname="imu_in_pelvis"/></sensor>'));
    const twoDraft = axon('inspect', onnx, '--draft', join(root, 'two.json'), '--mjcf', two);
    expect(twoDraft.code, twoDraft.stderr).toBe(0);
    const t = JSON.parse(readFileSync(join(root, 'two.json'), 'utf8'));
    expect(t.imu_link).toBe('torso_link');
    expect(t.observation.terms.slice(0, 2)).toEqual([{ term: 'base_ang_vel' }, { term: 'projected_gravity', link: 'pelvis' }]);
    expect(twoDraft.stdout).toContain('note: imu_link: "torso_link", the body of two_sites.xml\'s gyro sensor "imu_ang_vel" (site "imu"), where mjlab reads base_ang_vel; the imu* site rule alone would pick "pelvis": the gyro decides; projected_gravity reads the root "pelvis"');
    expect(twoDraft.stdout).not.toContain('as mjlab does');

    // The gyro on the root's site: one body for both terms, as mjlab reads them.
    const rootGyro = join(root, 'root_gyro.xml');
    writeFileSync(rootGyro, readFileSync(two, 'utf8').replace('<gyro name="imu_ang_vel" site="imu"/>', '<gyro name="imu_ang_vel" site="imu_in_pelvis"/>'));
    const rootDraft = axon('inspect', onnx, '--draft', join(root, 'root.json'), '--mjcf', rootGyro);
    expect(rootDraft.code, rootDraft.stderr).toBe(0);
    const r = JSON.parse(readFileSync(join(root, 'root.json'), 'utf8'));
    expect(r.imu_link).toBe('pelvis');
    expect(r.observation.terms[1]).toEqual({ term: 'projected_gravity' });
    expect(rootDraft.stdout).toContain('gyro sensor "imu_ang_vel" (site "imu_in_pelvis")');
    expect(rootDraft.stdout).toContain('as mjlab does');

    // --mjcf with a bare ONNX file and no --draft is refused, never ignored.
    const bare = axon('inspect', onnx, '--mjcf', files.mjcf);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('--mjcf');
  });
});
