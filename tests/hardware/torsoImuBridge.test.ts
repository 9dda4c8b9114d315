/**
 * A robot that measures only its IMU gives an IMU term read in another link (the manifest term's
 * `link`, docs/byom.md) only through the joints between: a bridge client without the robot's
 * description refuses it at the pre-arm check, naming the term and the link, with the robot never
 * commanded, even when the server's simulator reports that link (the bridge carries the IMU only).
 * Given the URDF (`axon sim --robot ws://... --urdf FILE`: src/cli/linkTree.ts), it derives the
 * link from the IMU and the measured joints, as deploy_real.py does, and runs: checked at every
 * tick against the server's simulator, whose root is that link (its base state rides in each frame).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { rotateInverse } from '../../src/model/ObservationBuilder.ts';
import { urdfLinkFrames } from '../../src/cli/linkTree.ts';
import { linkFrameKeys, type Observation } from '../../src/core/robot.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connectBridgeRobot } from '../../hardware/bridge/index.ts';
import { runLive } from '../../src/cli/live.ts';
import { urdfSetup } from '../../src/cli/urdfSession.ts';
import { readManifest, type ModelManifest } from '../../src/model/manifest.ts';
import { ObservationBuilder } from '../../src/model/ObservationBuilder.ts';
import { SimRobot, loadUrdf } from '../../sim/index.ts';
import { linearPolicy, zeroPositionPolicy } from '../helpers/onnxFixtures.ts';
import { TORSO_IMU_MODEL_JOINTS, WAIST_CHAIN_JOINTS, writeTorsoImuRobot, writeWaistChainRobot } from '../helpers/torsoImuRobot.ts';
import { startServer } from './bridge/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-torso-bridge-'));
const files = writeTorsoImuRobot(dir, 0);
const waistChain = writeWaistChainRobot(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

describe('an IMU term read in another link than the IMU\'s, over the bridge', () => {
  it('runLive refuses projected_gravity in "pelvis" before any command; the simulator itself builds it', async () => {
    const policy = zeroPositionPolicy(TORSO_IMU_MODEL_JOINTS, {
      imu_link: 'imu_in_torso',
      observation: { terms: [{ term: 'base_ang_vel' }, { term: 'projected_gravity', link: 'pelvis' }, { term: 'joint_pos_rel' }, { term: 'joint_vel' }] },
    });
    const m = readManifest(join(policy, 'manifest.json'));
    const setup = urdfSetup({ file: files.urdf, packagePaths: [], strict: false, meshCollision: 'none' }, m, 0.005, 'manifest.json');
    const sim = new SimRobot(setup.model, setup.options);
    expect(sim.spec.sensors.imuFrames).toEqual(['pelvis']);
    expect(() => new ObservationBuilder(m, sim.spec)).not.toThrow();
    const server = await startServer({ robot: sim });
    open.push(server);
    const robot = await connectBridgeRobot(server.url, { token: 'secret-token' });
    open.push(robot);
    expect(robot.spec.sensors.imu).toBe(true);
    await expect(runLive(robot, { policy, durationS: 1, handleSignals: false })).rejects.toThrow(
      /#\/observation\/terms\/1: model projected_gravity \| robot no orientation or angular velocity of link "pelvis" \(it measures them only with its IMU, on its own link\)/,
    );
    expect(robot.counts.commandsSent).toBe(0);
  });

  it('with the URDF, the pelvis is derived through the waist and matches the server\'s simulator at every tick', async () => {
    // The model's joint order is neither the file's nor the robot's.
    const modelJoints = ['waist_yaw_joint', 'left_hip_pitch_joint', 'waist_roll_joint', 'right_hip_pitch_joint'];
    // A constant action: the soft start carries the waist and hips from the held pose to it, under way.
    const terms = [{ term: 'base_ang_vel' as const }, { term: 'projected_gravity' as const, link: 'pelvis' }, { term: 'base_ang_vel' as const, link: 'pelvis' }, { term: 'joint_pos_rel' as const }];
    const manifest: ModelManifest = { schema: 'axon.model/1', name: 'waist-mover', kind: 'policy', robot: 'h1_2_waist_chain', joints: modelJoints, control_hz: 50, onnx: { file: 'model.onnx', input: 'obs', output: 'actions' }, imu_link: 'imu_in_torso', observation: { terms }, action: { type: 'joint_position', scale: 0.25 } };
    const policy = linearPolicy(manifest, 13, 4, new Float32Array(4 * 13), new Float32Array([3.2, 1.6, -1.2, -1.6]));
    const m = readManifest(join(policy, 'manifest.json'));
    const setup = urdfSetup({ file: waistChain, packagePaths: [], strict: false, meshCollision: 'none' }, { ...m, observation: { ...m.observation, terms: [] } }, 0.002, 'manifest.json');
    // The server's simulator reports no link frame: the pelvis is its root, whose state each frame carries.
    // MuJoCo (generalized coordinates: its joints do not drift, so the check is to Float32 over the wire).
    const { createMujocoUrdfRobot } = await import('../../sim/mujoco/createMujocoRobot.ts');
    const sim = await createMujocoUrdfRobot(waistChain, setup.model, { ...setup.options, fixedBase: false, basePosition: [0, 0, 3], spawnOnGround: false });
    expect(sim.spec.sensors.imuFrames).toBeUndefined();
    sim.reset(1);
    open.push({ close: () => sim.dispose() });
    const server = await startServer({ robot: sim });
    open.push(server);
    const robot = await connectBridgeRobot(server.url, { token: 'secret-token' });
    open.push(robot);
    expect(robot.spec.joints.map((j) => j.name)).not.toEqual(WAIST_CHAIN_JOINTS);
    const { robot: derived, line } = urdfLinkFrames(robot, m, loadUrdf(waistChain, { collisionMeshes: 'optional' }), waistChain, 'imu_in_torso');
    expect(derived.spec.sensors.imuFrames).toEqual(['pelvis']);
    expect(line).toContain('"pelvis" through imu_in_torso_joint, waist_roll_joint, waist_frame_joint, waist_yaw_joint');
    // Every observation the loop reads: the derived pelvis against the simulator's root in the same frame.
    const keys = linkFrameKeys('pelvis');
    const g = new Float32Array(3), gSim = new Float32Array(3), wSim = new Float32Array(3);
    let worstGravity = 0, worstRate = 0, maxYawRate = 0, n = 0;
    const observe = derived.observe.bind(derived);
    derived.observe = (): Observation => {
      const o = observe();
      const b = o.base!;
      if (o.seq === 0) return o;
      n++;
      rotateInverse(o.extras[keys.orientation], 0, 0, -1, g, 0);
      rotateInverse(b.orientation, 0, 0, -1, gSim, 0);
      rotateInverse(b.orientation, b.angularVelocity[0], b.angularVelocity[1], b.angularVelocity[2], wSim, 0);
      const w = o.extras[keys.angularVelocity];
      worstGravity = Math.max(worstGravity, Math.hypot(g[0] - gSim[0], g[1] - gSim[1], g[2] - gSim[2]));
      worstRate = Math.max(worstRate, Math.hypot(w[0] - wSim[0], w[1] - wSim[1], w[2] - wSim[2]));
      maxYawRate = Math.max(maxYawRate, Math.abs(o.jointVelocity[robot.spec.joints.findIndex((j) => j.name === 'waist_yaw_joint')]));
      return o;
    };
    const r = await runLive(derived, { policy, durationS: 0.6, handleSignals: false, safety: { softStartS: 0.5 } });
    expect(r.loop.ticks).toBeGreaterThan(10);
    expect(robot.counts.commandsSent).toBeGreaterThan(10);
    expect(n).toBeGreaterThan(10);
    expect(maxYawRate).toBeGreaterThan(0.3);
    expect(worstGravity).toBeLessThan(1e-5);
    expect(worstRate).toBeLessThan(1e-4); // rad/s
    console.log(`bridge: derived pelvis vs the simulator's root over ${n} observations: gravity ${worstGravity.toExponential(2)}, angular velocity ${worstRate.toExponential(2)} rad/s (waist yaw rate up to ${maxYawRate.toFixed(2)} rad/s)`);
  });
});
