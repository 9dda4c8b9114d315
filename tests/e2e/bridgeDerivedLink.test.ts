/**
 * `axon sim --robot ws://... --policy P` where P reads projected_gravity and base_ang_vel in the
 * pelvis and the robot's IMU is on the torso behind a two-joint waist (docs/byom.md, an IMU term's
 * `link`): without `--urdf` the client refuses it before arming (exit 2, naming the term, the link
 * and the flag that would derive it); with `--urdf FILE` it says in one line which joints it derives
 * the pelvis through, runs, and records the derived pelvis beside the IMU, so that `axon replay
 * --policy` re-runs the policy on the recording as on a simulator's. A recording without the link
 * (a run of a policy that did not read it) replays such a policy with `--urdf FILE` only, the link
 * derived on every recorded tick: checked against what MuJoCo itself reported. The server (MuJoCo, in
 * this process) and the child are ended after each test (tests/helpers/axonChildren.ts).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { urdfSetup } from '../../src/cli/urdfSession.ts';
import { linkFrameKeys } from '../../src/core/robot.ts';
import { checkModel } from '../../src/model/checkModel.ts';
import { readManifest, type ModelManifest } from '../../src/model/manifest.ts';
import { readRecording, recordedSpec, type Recording } from '../../src/record/index.ts';
import { urdfRecordedLinks } from '../../src/cli/linkTree.ts';
import { loadUrdf } from '../../sim/index.ts';
import { linearPolicy } from '../helpers/onnxFixtures.ts';
import { startServer } from '../hardware/bridge/helpers.ts';
import { axonChildren } from '../helpers/axonChildren.ts';
import { TORSO_IMU_MODEL_JOINTS, writeTorsoImuRobot, writeWaistChainRobot } from '../helpers/torsoImuRobot.ts';
import { mjcfRobot } from '../../src/cli/mjcfSession.ts';

const { open, axon } = axonChildren();
const dir = mkdtempSync(join(tmpdir(), 'axon-bridge-derived-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const urdf = writeWaistChainRobot(dir);
const terms = [{ term: 'base_ang_vel' as const }, { term: 'projected_gravity' as const, link: 'pelvis' }, { term: 'base_ang_vel' as const, link: 'pelvis' }, { term: 'joint_pos_rel' as const }];
const manifest: ModelManifest = { schema: 'axon.model/1', name: 'waist-mover', kind: 'policy', robot: 'h1_2_waist_chain', joints: ['waist_yaw_joint', 'left_hip_pitch_joint', 'waist_roll_joint', 'right_hip_pitch_joint'], control_hz: 50, onnx: { file: 'model.onnx', input: 'obs', output: 'actions' }, imu_link: 'imu_in_torso', observation: { terms }, action: { type: 'joint_position', scale: 0.25 }, pd: { kp: [40, 40, 40, 40], kd: [1, 1, 1, 1] } };
const policy = linearPolicy(manifest, 13, 4, new Float32Array(4 * 13), new Float32Array([3.2, 1.6, -1.2, -1.6]));

/** The waist chain served from MuJoCo, set up from the policy's manifest (its IMU on the torso), as `axon bridge --urdf FILE --manifest P` serves it; `named`: the hello names the file, as axon bridge's does. */
async function serve(named = false): Promise<string> {
  const m = readManifest(join(policy, 'manifest.json'));
  // The server's simulator reports no link besides its IMU: the bridge would not carry it anyway.
  const setup = urdfSetup({ file: urdf, packagePaths: [], strict: false, meshCollision: 'none' }, { ...m, observation: { ...m.observation, terms: [] } }, 0.002, 'manifest.json');
  const { createMujocoUrdfRobot } = await import('../../sim/mujoco/createMujocoRobot.ts');
  const sim = await createMujocoUrdfRobot(urdf, setup.model, { ...setup.options, fixedBase: false, basePosition: [0, 0, 3], spawnOnGround: false });
  sim.reset(1);
  open.push({ close: () => sim.dispose() });
  const bytes = readFileSync(urdf);
  const robotFile = { format: 'urdf', name: basename(urdf), sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength, fixedBase: false, basePosition: [0, 0, 3], baseOrientation: [0, 0, 0, 1] };
  const server = await startServer({ robot: sim, ...(named ? { robotFile } : {}) });
  open.push(server);
  return server.url;
}

describe('a bridged robot whose policy reads IMU terms in the pelvis, its IMU on the torso', () => {
  it('without --urdf: refused before arming, exit 2, naming the term, the link and --urdf', async () => {
    const url = await serve();
    const run = axon(['sim', '--robot', url, '--token', 'secret-token', '--policy', policy, '--duration', '1']);
    expect(await run.done, run.err).toBe(2);
    expect(run.err).toContain('#/observation/terms/1: model projected_gravity | robot no orientation or angular velocity of link "pelvis"');
    expect(run.err).toContain('a bridge client derives it with --urdf FILE');
  }, 120_000);

  it('with --urdf FILE: derived through the waist, run, recorded; replay --policy reads the recorded pelvis', async () => {
    const url = await serve();
    const file = join(dir, 'derived.mcap');
    // --urdf alone (no --view, no --record) is taken over the bridge for a policy that reads a term link.
    const bare = axon(['sim', '--robot', url, '--token', 'secret-token', '--policy', policy, '--urdf', urdf, '--duration', '0.3']);
    expect(await bare.done, bare.err).toBe(0);
    const run = axon(['sim', '--robot', url, '--token', 'secret-token', '--policy', policy, '--urdf', urdf, '--duration', '1', '--record', file, '--json']);
    expect(await run.done, run.err).toBe(0);
    expect(run.err).toContain(`axon sim: IMU terms read in another link, derived from the IMU on "imu_in_torso" and the measured joints (${urdf}): "pelvis" through imu_in_torso_joint, waist_roll_joint, waist_frame_joint, waist_yaw_joint`);
    const summary = JSON.parse(run.out.trim().split('\n').pop()!);
    expect(summary.ticks).toBeGreaterThan(40);
    const rec = await readRecording(file);
    const spec = recordedSpec(rec);
    expect(spec.sensors.imuFrames).toEqual(['pelvis']);
    expect(checkModel(readManifest(join(policy, 'manifest.json')), spec)).toEqual([]);
    const k = linkFrameKeys('pelvis');
    const last = rec.ticks[rec.ticks.length - 1].observation;
    expect(last.extras[k.orientation]).toHaveLength(4);
    expect(last.extras[k.angularVelocity]).toHaveLength(3);
    const replay = axon(['replay', file, '--policy', policy, '--json']);
    expect(await replay.done, replay.err).toBe(0);
    const diff = JSON.parse(replay.out.trim().split('\n').pop()!).policy_diff;
    expect(diff.ticks).toBe(rec.ticks.length);
  }, 180_000);

  it('a client copy that is not the served file (a waist axis flipped) is refused when links are derived through it: exit 2 naming both sha256', async () => {
    const url = await serve(true);
    const flipped = join(mkdtempSync(join(dir, 'flipped-')), basename(urdf));
    const text = readFileSync(urdf, 'utf8');
    const yaw = /(<joint name="waist_yaw_joint"[\s\S]*?<axis xyz=")0 0 1(")/;
    expect(yaw.test(text)).toBe(true);
    writeFileSync(flipped, text.replace(yaw, '$10 0 -1$2'));
    const run = axon(['sim', '--robot', url, '--token', 'secret-token', '--policy', policy, '--urdf', flipped, '--duration', '0.5']);
    expect(await run.done, run.err).toBe(2);
    expect(run.err).toContain('LINK_CHAIN_FILE');
    expect(run.err).toContain(`this copy is sha256 ${createHash('sha256').update(readFileSync(flipped)).digest('hex')}`);
    expect(run.err).toContain(`not the file the server served, ${basename(urdf)} sha256 ${createHash('sha256').update(readFileSync(urdf)).digest('hex')}`);
  }, 120_000);

  it('replay --policy --urdf derives the link on every recorded tick, as MuJoCo reported it; without --urdf such a recording refuses the policy', async () => {
    // A local MuJoCo run of the policy: the simulator reports the pelvis, and the recording keeps it.
    const file = join(dir, 'local.mcap');
    const run = axon(['sim', '--urdf', urdf, '--physics', 'mujoco', '--policy', policy, '--duration', '1', '--fast', '--record', file]);
    expect(await run.done, run.err).toBe(0);
    const rec = await readRecording(file);
    const k = linkFrameKeys('pelvis');
    expect(recordedSpec(rec).sensors.imuFrames).toEqual(['pelvis']);
    // The same recording as a robot measuring only its IMU would have written it.
    const spec = recordedSpec(rec);
    const bare: Recording = {
      ...rec,
      spec: { ...spec, sensors: { ...spec.sensors, imuFrames: undefined } },
      ticks: rec.ticks.map((t) => {
        const extras = { ...t.observation.extras };
        delete extras[k.orientation];
        delete extras[k.angularVelocity];
        return { ...t, observation: { ...t.observation, extras } };
      }),
    };
    const m = readManifest(join(policy, 'manifest.json'));
    expect(checkModel(m, recordedSpec(bare)).map((x) => x.where)).toEqual(['/observation/terms/1', '/observation/terms/2']);
    const derived = urdfRecordedLinks(bare, m, loadUrdf(urdf, { collisionMeshes: 'optional' }), urdf);
    expect(checkModel(m, recordedSpec(derived.rec))).toEqual([]);
    let worstQ = 0, worstW = 0;
    derived.rec.ticks.forEach((t, i) => {
      const want = rec.ticks[i].observation.extras, got = t.observation.extras;
      const dot = Math.abs(want[k.orientation].reduce((a, x, j) => a + x * got[k.orientation][j], 0));
      worstQ = Math.max(worstQ, 1 - dot);
      worstW = Math.max(worstW, Math.hypot(...[0, 1, 2].map((j) => want[k.angularVelocity][j] - got[k.angularVelocity][j])));
    });
    expect(derived.rec.ticks.length).toBeGreaterThan(40);
    expect(worstQ).toBeLessThan(1e-6); // 1 − |q·q'|: Float32
    expect(worstW).toBeLessThan(1e-4); // rad/s
    console.log(`replay: derived pelvis vs MuJoCo's over ${derived.rec.ticks.length} ticks: 1 - |q·q'| ${worstQ.toExponential(2)}, angular velocity ${worstW.toExponential(2)} rad/s`);

    // From the CLI: a run recorded under a policy that reads the IMU only, replayed with this one.
    const plainPolicy = linearPolicy({ ...manifest, observation: { terms: [{ term: 'base_ang_vel' }, { term: 'joint_pos_rel' }] } }, 7, 4, new Float32Array(28), new Float32Array(4));
    const plainFile = join(dir, 'plain.mcap');
    const plain = axon(['sim', '--urdf', urdf, '--physics', 'mujoco', '--policy', plainPolicy, '--duration', '0.5', '--fast', '--record', plainFile]);
    expect(await plain.done, plain.err).toBe(0);
    const refused = axon(['replay', plainFile, '--policy', policy, '--json']);
    expect(await refused.done, refused.err).toBe(2);
    expect(refused.err).toContain('robot no orientation or angular velocity of link "pelvis"');
    const replay = axon(['replay', plainFile, '--policy', policy, '--urdf', urdf, '--json']);
    expect(await replay.done, replay.err).toBe(0);
    expect(replay.err).toContain('axon replay: IMU terms read in another link, derived on every recorded tick from the IMU on "imu_in_torso" and the recorded joints');
    expect(JSON.parse(replay.out.trim().split('\n').pop()!).policy_diff.ticks).toBe(25);
  }, 180_000);

  it('with --mjcf FILE: the served MJCF\'s body tree gives the chain (its IMU a site on the torso)', async () => {
    const { mjcf } = writeTorsoImuRobot(dir, 0.2);
    const m: ModelManifest = { ...manifest, robot: 'h1_2_like', joints: TORSO_IMU_MODEL_JOINTS, imu_link: 'torso_link', observation: { terms: [{ term: 'base_ang_vel' }, { term: 'projected_gravity', link: 'pelvis' }] }, pd: { kp: [40, 40, 40], kd: [1, 1, 1] } };
    const p = linearPolicy(m, 6, 3, new Float32Array(18), new Float32Array([2, 0.5, -0.5]));
    const { robot: sim } = await mjcfRobot({ file: mjcf }, { ...m, observation: { terms: [] } }, 0.002);
    sim.reset(1);
    open.push({ close: () => sim.dispose() });
    const server = await startServer({ robot: sim });
    open.push(server);
    const run = axon(['sim', '--robot', server.url, '--token', 'secret-token', '--policy', p, '--mjcf', mjcf, '--duration', '0.3']);
    expect(await run.done, run.err + run.out).toBe(0);
    expect(run.err).toContain(`axon sim: IMU terms read in another link, derived from the IMU on "torso_link" and the measured joints (${mjcf}): "pelvis" through torso_joint`);
  }, 120_000);

  it('replay --policy --mjcf FILE derives the link through the MJCF\'s body tree, as --urdf does', async () => {
    const { mjcf } = writeTorsoImuRobot(dir, 0.2);
    const m: ModelManifest = { ...manifest, robot: 'h1_2_like', joints: TORSO_IMU_MODEL_JOINTS, imu_link: 'torso_link', observation: { terms: [{ term: 'base_ang_vel' }, { term: 'projected_gravity', link: 'pelvis' }] }, pd: { kp: [40, 40, 40], kd: [1, 1, 1] } };
    const p = linearPolicy(m, 6, 3, new Float32Array(18), new Float32Array([2, 0.5, -0.5]));
    // Recorded under a policy that reads the IMU only: the recording has no pelvis.
    const plainPolicy = linearPolicy({ ...m, observation: { terms: [{ term: 'base_ang_vel' }, { term: 'joint_pos_rel' }] } }, 6, 3, new Float32Array(18), new Float32Array(3));
    const plainFile = join(dir, 'plain-mjcf.mcap');
    const plain = axon(['sim', '--mjcf', mjcf, '--policy', plainPolicy, '--duration', '0.5', '--fast', '--record', plainFile]);
    expect(await plain.done, plain.err).toBe(0);
    const refused = axon(['replay', plainFile, '--policy', p, '--json']);
    expect(await refused.done, refused.err).toBe(2);
    expect(refused.err).toContain('link "pelvis"');
    const replay = axon(['replay', plainFile, '--policy', p, '--mjcf', mjcf, '--json']);
    expect(await replay.done, replay.err).toBe(0);
    expect(replay.err).toContain(`axon replay: IMU terms read in another link, derived on every recorded tick from the IMU on "torso_link" and the recorded joints (${mjcf}): "pelvis" through torso_joint`);
    expect(JSON.parse(replay.out.trim().split('\n').pop()!).policy_diff.ticks).toBeGreaterThan(0);
  }, 120_000);
});
