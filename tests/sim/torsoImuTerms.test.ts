/**
 * IMU terms read in different links (docs/byom.md, unitree_rl_mjlab's H1_2): the training's
 * base_ang_vel is the gyro of the `imu` site on torso_link, behind the waist-yaw torso_joint, and its
 * projected_gravity the root pelvis's. A term's manifest `link` names the frame it is read in; the
 * simulators (cannon-es, MuJoCo from the URDF and from the MJCF) report that link. With the torso
 * yawed 0.5 rad and the pelvis pitched 0.3 rad, projected_gravity must be the pelvis's (s, 0, −c),
 * not the torso's (s·cos 0.5, −s·sin 0.5, −c), and base_ang_vel the torso's own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManifestError, validateManifest, type ModelManifest } from '../../src/model/manifest.ts';
import { ObservationBuilder } from '../../src/model/ObservationBuilder.ts';
import { checkModel } from '../../src/model/checkModel.ts';
import { urdfSetup, type UrdfRobotFlags } from '../../src/cli/urdfSession.ts';
import { mjcfRobot, refuseMjcfIssues } from '../../src/cli/mjcfSession.ts';
import { createObservation, linkFrameKeys, type RobotSpec, type SimulatedRobot } from '../../src/core/robot.ts';
import { SimRobot, loadUrdf } from '../../sim/index.ts';
import { urdfTarget } from '../../src/cli/commands/inspect.ts';
import { TORSO_IMU_JOINTS, TORSO_IMU_MODEL_JOINTS, writeTorsoImuRobot } from '../helpers/torsoImuRobot.ts';

const PITCH = 0.3;
const YAW = 0.5;
const YAW_RATE = 1.0; // rad/s of torso_joint at the observation
const dir = mkdtempSync(join(tmpdir(), 'axon-torso-imu-'));
const files = writeTorsoImuRobot(dir, PITCH);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const s = Math.sin(PITCH), c = Math.cos(PITCH);
const PELVIS_GRAVITY = [s, 0, -c];
const TORSO_GRAVITY = [s * Math.cos(YAW), -s * Math.sin(YAW), -c];

function manifest(over: Partial<ModelManifest>): ModelManifest {
  return validateManifest({
    schema: 'axon.model/1',
    name: 'h1_2-like',
    kind: 'policy',
    robot: 'h1_2_like',
    joints: TORSO_IMU_MODEL_JOINTS,
    control_hz: 50,
    onnx: { file: 'model.onnx', input: 'obs', output: 'actions' },
    action: { type: 'joint_position', scale: 0.25 },
    pd: { kp: [100, 100, 100], kd: [2, 2, 2] },
    ...over,
  });
}

/** mjlab's H1_2: the gyro at the torso IMU, gravity projected in the root pelvis. */
const mjlabLike = (imuLink: string | undefined) =>
  manifest({ ...(imuLink ? { imu_link: imuLink } : {}), observation: { terms: [{ term: 'base_ang_vel' }, { term: 'projected_gravity', link: 'pelvis' }, { term: 'joint_pos_rel' }] } });
/** The other way round: the IMU on the pelvis, the gyro term read in torso_link (its angular velocity path). */
const gyroInTorso = manifest({ imu_link: 'pelvis', observation: { terms: [{ term: 'base_ang_vel', link: 'torso_link' }, { term: 'projected_gravity' }] } });

type Sim = SimulatedRobot & { setEpisodeInitialState(positions: ArrayLike<number>, velocities?: ArrayLike<number>): void };

/** Torso yawed YAW, turning at YAW_RATE, legs at 0; observed straight after the reset (nothing stepped). */
function observeYawed(robot: Sim, m: ModelManifest): Float32Array {
  const q = TORSO_IMU_JOINTS.map((j) => (j === 'torso_joint' ? YAW : 0));
  const qd = TORSO_IMU_JOINTS.map((j) => (j === 'torso_joint' ? YAW_RATE : 0));
  const order = robot.spec.joints.map((j) => TORSO_IMU_JOINTS.indexOf(j.name));
  robot.setEpisodeInitialState(order.map((k) => q[k]), order.map((k) => qd[k]));
  robot.reset();
  const b = new ObservationBuilder(m, robot.spec);
  return Float32Array.from(b.build(robot.observe(), new Float32Array(3)));
}

function expectClose(got: ArrayLike<number>, want: readonly number[], tol = 1e-4): void {
  expect(Array.from(got).map((x, i) => Math.abs(x - want[i]) < tol)).toEqual(want.map(() => true));
}

const flags = (o: Partial<UrdfRobotFlags> = {}): UrdfRobotFlags => ({ file: files.urdf, packagePaths: [], strict: false, meshCollision: 'none', ...o });
const pelvisPitched = { basePosition: [0, 0, 1.2] as const, baseOrientation: [0, Math.sin(PITCH / 2), 0, Math.cos(PITCH / 2)] as const, spawnOnGround: false };

async function urdfRobotPitched(m: ModelManifest, physics: 'cannon' | 'mujoco'): Promise<Sim & { close(): Promise<void> | void }> {
  const setup = urdfSetup(flags(), m, 0.005, 'manifest.json');
  const options = { ...setup.options, ...pelvisPitched };
  if (physics === 'cannon') return new SimRobot(setup.model, options);
  const { createMujocoUrdfRobot } = await import('../../sim/mujoco/createMujocoRobot.ts');
  return createMujocoUrdfRobot(files.urdf, setup.model, options);
}

describe.each(['cannon', 'mujoco'] as const)('a URDF robot with its IMU behind the waist (%s)', (physics) => {
  it('projected_gravity with link "pelvis" is the pelvis\'s, base_ang_vel the torso IMU\'s', async () => {
    const robot = await urdfRobotPitched(mjlabLike('imu_in_torso'), physics);
    expect(robot.spec.sensors.imuFrames).toEqual(['pelvis']);
    const out = observeYawed(robot, mjlabLike('imu_in_torso'));
    expectClose(out.subarray(0, 3), [0, 0, YAW_RATE], 1e-3);
    expectClose(out.subarray(3, 6), PELVIS_GRAVITY);
    // The torso's gravity is what one link for both terms gave: it differs by the yaw.
    expect(Math.abs(out[4] - TORSO_GRAVITY[1])).toBeGreaterThan(0.1);
    expectClose(out.subarray(6, 9), [YAW, 0, 0]); // joint_pos_rel in the model's order
    // Without `link`, both terms read the IMU's link, as every term did before: the torso's gravity.
    const oneLink = manifest({ imu_link: 'imu_in_torso', observation: { terms: [{ term: 'base_ang_vel' }, { term: 'projected_gravity' }] } });
    expectClose(observeYawed(robot, oneLink).subarray(3, 6), TORSO_GRAVITY);
    await robot.close();
  });

  it('base_ang_vel with link "torso_link" is the torso\'s rate in its own frame, with the IMU on the pelvis', async () => {
    const robot = await urdfRobotPitched(gyroInTorso, physics);
    const out = observeYawed(robot, gyroInTorso);
    // In the world frame it would be (s, 0, c)·rate; in the pelvis frame (0, 0, rate) too, but the pelvis itself is still.
    expectClose(out.subarray(0, 3), [0, 0, YAW_RATE], 1e-3);
    expectClose(out.subarray(3, 6), PELVIS_GRAVITY);
    await robot.close();
  });
});

describe('an MJCF robot whose imu site is on torso_link (MuJoCo)', () => {
  it('the IMU is the site\'s body by default; projected_gravity with link "pelvis" reads the root', async () => {
    const m = mjlabLike(undefined);
    const { robot, setup, issues } = await mjcfRobot({ file: files.mjcf }, m, 0.005);
    try {
      expect(issues).toEqual([]);
      expect(setup.imuLink).toBe('torso_link');
      expect(robot.spec.sensors.imuFrames).toEqual(['pelvis']);
      const out = observeYawed(robot, m);
      expectClose(out.subarray(0, 3), [0, 0, YAW_RATE], 1e-3);
      expectClose(out.subarray(3, 6), PELVIS_GRAVITY);
      expect(Math.abs(out[4] - TORSO_GRAVITY[1])).toBeGreaterThan(0.1);
    } finally {
      robot.dispose();
    }
  });

  it('a link the model lacks is refused naming the term, the link and the bodies', async () => {
    const m = manifest({ observation: { terms: [{ term: 'base_ang_vel' }, { term: 'projected_gravity', link: 'pelvis_link' }] } });
    const { robot, issues } = await mjcfRobot({ file: files.mjcf }, m, 0.005);
    robot.dispose();
    expect(issues).toEqual([{ where: '/observation/terms/1/link', model: 'projected_gravity in "pelvis_link"', robot: expect.stringContaining('no body "pelvis_link" (bodies: ') }]);
    expect(issues[0].robot).toContain('torso_link');
    expect(() => refuseMjcfIssues(issues, { file: files.mjcf }, 'manifest.json')).toThrow(/manifest\.json#\/observation\/terms\/1\/link: model projected_gravity in "pelvis_link" \| robot no body "pelvis_link"/);
  });
});

describe('refusals', () => {
  it('a URDF link that does not exist: MODEL_ROBOT_MISMATCH naming the term, the link and the links', () => {
    const m = manifest({ imu_link: 'imu_in_torso', observation: { terms: [{ term: 'base_ang_vel' }, { term: 'projected_gravity', link: 'base_link' }] } });
    let err: unknown;
    try {
      urdfSetup(flags(), m, 0.005, 'manifest.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ManifestError);
    expect(err).toMatchObject({ code: 'MODEL_ROBOT_MISMATCH' });
    expect(String((err as Error).message)).toContain('manifest.json#/observation/terms/1/link');
    expect(String((err as Error).message)).toContain('projected_gravity in "base_link", which is not a link of h1_2_like');
    expect(String((err as ManifestError).expected)).toContain('pelvis, left_thigh, right_thigh, torso_link, imu_in_torso');
  });

  it('inspect --urdf lists a term link the URDF lacks as a difference, and reports the known one', () => {
    const model = loadUrdf(files.urdf, { collisionMeshes: 'optional' });
    const bad = urdfTarget(files.urdf, model, manifest({ observation: { terms: [{ term: 'projected_gravity', link: 'base_link' }] } }), 200);
    expect(bad.issues).toEqual([{ where: '/observation/terms/0/link', model: 'projected_gravity in "base_link"', robot: 'no link "base_link" (links: pelvis, left_thigh, right_thigh, torso_link, imu_in_torso)' }]);
    const ok = urdfTarget(files.urdf, model, mjlabLike('imu_in_torso'), 200);
    expect(ok.issues).toEqual([]);
    expect(ok.spec.sensors.imuFrames).toEqual(['pelvis']);
  });

  /** A simulator's spec that lists the pelvis frame (its observation need not carry it). */
  const pelvisFrameSpec = (): RobotSpec => ({
    name: 'sim',
    joints: TORSO_IMU_JOINTS.map((name) => ({ name, type: 'revolute', lower: -1.5, upper: 1.5, velocityLimit: 10, effortLimit: 50, defaultPosition: 0, kp: 100, kd: 2 })),
    sensors: { imu: true, contacts: [], imuFrames: ['pelvis'] },
    controlModes: ['position'],
  });

  it('base_euler_xyz in a link reads that link\'s orientation from extras; a robot that listed the link and wrote nothing gives replaced bad values, never a throw', () => {
    const spec = pelvisFrameSpec();
    const m = manifest({ imu_link: 'imu_in_torso', observation: { terms: [{ term: 'base_euler_xyz', link: 'pelvis' }, { term: 'base_euler_xyz' }] } });
    const obs = createObservation(spec);
    obs.imu!.orientation.set([0, 0, Math.sin(YAW / 2), Math.cos(YAW / 2)]); // the torso: yawed
    const keys = linkFrameKeys('pelvis');
    const b = new ObservationBuilder(m, spec);
    expectClose(b.build(obs, new Float32Array(3)), [0, 0, 0, 0, 0, YAW]); // no pelvis frame written yet: replaced by 0; the IMU term reads the torso
    expect(b.badValuesLastBuild).toBe(3);
    obs.extras[keys.orientation] = new Float32Array([0, Math.sin(PITCH / 2), 0, Math.cos(PITCH / 2)]);
    obs.extras[keys.angularVelocity] = new Float32Array(3);
    expectClose(b.build(obs, new Float32Array(3)), [0, PITCH, 0, 0, 0, YAW]);
    expect(b.badValuesLastBuild).toBe(0);
  });

  it('base_ang_vel and projected_gravity in a link the robot wrote nothing for give replaced bad values too (3 each), then that link\'s own once written', () => {
    const spec = pelvisFrameSpec();
    const m = manifest({ imu_link: 'imu_in_torso', observation: { terms: [{ term: 'base_ang_vel', link: 'pelvis' }, { term: 'projected_gravity', link: 'pelvis' }] } });
    const obs = createObservation(spec);
    obs.imu!.orientation.set([0, 0, Math.sin(YAW / 2), Math.cos(YAW / 2)]); // the torso: yawed and turning
    obs.imu!.angularVelocity.set([0, 0, YAW_RATE]);
    const keys = linkFrameKeys('pelvis');
    const b = new ObservationBuilder(m, spec);
    expectClose(b.build(obs, new Float32Array(3)), [0, 0, 0, 0, 0, 0]); // never the torso's readings
    expect(b.badValuesLastBuild).toBe(6);
    obs.extras[keys.orientation] = new Float32Array([0, Math.sin(PITCH / 2), 0, Math.cos(PITCH / 2)]);
    obs.extras[keys.angularVelocity] = new Float32Array([0.1, -0.2, 0.3]);
    expectClose(b.build(obs, new Float32Array(3)), [0.1, -0.2, 0.3, ...PELVIS_GRAVITY]);
    expect(b.badValuesLastBuild).toBe(0);
  });

  it('link on a term that reads no IMU is a manifest field error', () => {
    expect(() => manifest({ observation: { terms: [{ term: 'joint_pos', link: 'pelvis' }] } })).toThrow(/#\/observation\/terms\/0\/link.*is given on term joint_pos/);
  });

  it('a robot measuring only its IMU (a servo robot, a bridge client) refuses a term read in another link, before arming', () => {
    const hw: RobotSpec = {
      name: 'h1_2-hw',
      joints: TORSO_IMU_JOINTS.map((name) => ({ name, type: 'revolute', lower: -1.5, upper: 1.5, velocityLimit: 10, effortLimit: 50, defaultPosition: 0, kp: 100, kd: 2 })),
      sensors: { imu: true, contacts: [] },
      controlModes: ['position'],
    };
    const m = mjlabLike('imu_in_torso');
    expect(checkModel(m, hw)).toEqual([
      { where: '/observation/terms/1', model: 'projected_gravity', robot: 'no orientation or angular velocity of link "pelvis" (it measures them only with its IMU, on its own link): the term is read in that link\'s frame, and no robot description gives the joints between (a bridge client derives it with --urdf FILE)' },
    ]);
    expect(() => new ObservationBuilder(m, hw)).toThrow(ManifestError);
    expect(() => new ObservationBuilder(m, hw)).toThrow(/#\/observation\/terms\/1\/link: reads term projected_gravity in link "pelvis", and robot "h1_2-hw" measures no orientation or angular velocity there/);
    // The term on the IMU's own link (imu_link, or no link) is what such a robot gives.
    expect(checkModel(manifest({ imu_link: 'imu_in_torso', observation: { terms: [{ term: 'projected_gravity', link: 'imu_in_torso' }] } }), hw)).toEqual([]);
  });
});
