/**
 * A robot that measures only its IMU cannot give an IMU term read in another link (the manifest
 * term's `link`, docs/byom.md): a bridge client refuses it at the pre-arm check, naming the term
 * and the link, with the robot never commanded, even when the server's simulator reports that link
 * (the bridge carries the IMU only). The same model runs on the simulator itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connectBridgeRobot } from '../../hardware/bridge/index.ts';
import { runLive } from '../../src/cli/live.ts';
import { urdfSetup } from '../../src/cli/urdfSession.ts';
import { readManifest } from '../../src/model/manifest.ts';
import { ObservationBuilder } from '../../src/model/ObservationBuilder.ts';
import { SimRobot } from '../../sim/index.ts';
import { zeroPositionPolicy } from '../helpers/onnxFixtures.ts';
import { TORSO_IMU_MODEL_JOINTS, writeTorsoImuRobot } from '../helpers/torsoImuRobot.ts';
import { startServer } from './bridge/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-torso-bridge-'));
const files = writeTorsoImuRobot(dir, 0);
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
});
