/**
 * The served IMU's link, said by the server (hello.frame.imuLink), is where a bridge client starts
 * the chain to a link its policy reads (docs/byom.md, an IMU term's `link`), never a guess from
 * the client's copy of the file. `axon bridge --urdf F --imu-link pelvis` on the H1_2-like fixture,
 * whose own rule would put the IMU on `imu_in_torso` behind the waist: a client whose manifest has
 * no imu_link and reads projected_gravity in the pelvis derives the pelvis as the IMU itself (the
 * server's root), records the served link, and `axon replay --policy --urdf` starts there too.
 * Every process is ended (SIGKILL after each test, tests/helpers/axonChildren.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectBridgeRobot } from '../../hardware/bridge/index.ts';
import { urdfRecordedLinks } from '../../src/cli/linkTree.ts';
import { linkFrameKeys } from '../../src/core/robot.ts';
import { readManifest, type ModelManifest } from '../../src/model/manifest.ts';
import { readRecording, recordedSpec, type Recording } from '../../src/record/index.ts';
import { loadUrdf } from '../../sim/index.ts';
import { waitUntil } from '../hardware/bridge/helpers.ts';
import { axonChildren } from '../helpers/axonChildren.ts';
import { linearPolicy } from '../helpers/onnxFixtures.ts';
import { TORSO_IMU_MODEL_JOINTS, writeTorsoImuRobot } from '../helpers/torsoImuRobot.ts';

const { axon } = axonChildren();
const dir = mkdtempSync(join(tmpdir(), 'axon-bridge-imu-link-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'imu-link-token';

/** Angle (rad) between two orientations x y z w. */
function angleBetween(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const dot = Math.abs(a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]);
  return 2 * Math.acos(Math.min(1, dot));
}

describe('a server that says its IMU is on the pelvis (axon bridge --imu-link pelvis)', () => {
  it('the client derives the pelvis from the link the hello names, not the file\'s imu* link behind the waist; the recording keeps it for replay', async () => {
    const { urdf } = writeTorsoImuRobot(dir, 0);
    const server = axon(['bridge', '--urdf', urdf, '--imu-link', 'pelvis', '--port', '0', '--token', TOKEN, '--duration', '120']);
    await waitUntil(() => /listening on ws:\/\/\S+/.test(server.out), 'the listening line', 60_000);
    const url = /listening on (ws:\/\/\S+)/.exec(server.out)![1];
    expect(server.out).toContain('IMU at pelvis');
    const observer = await connectBridgeRobot(url, { token: TOKEN, role: 'observe' });
    try {
      expect(observer.hello.frame.imuLink).toBe('pelvis');
    } finally {
      await observer.close();
    }
    // No imu_link in the manifest; the policy turns the waist (torso_joint) to 0.5 rad.
    const m: ModelManifest = { schema: 'axon.model/1', name: 'pelvis-reader', kind: 'policy', robot: 'h1_2_like', joints: TORSO_IMU_MODEL_JOINTS, control_hz: 50, onnx: { file: 'model.onnx', input: 'obs', output: 'actions' }, observation: { terms: [{ term: 'projected_gravity', link: 'pelvis' }] }, action: { type: 'joint_position', scale: 0.25 }, pd: { kp: [40, 40, 40], kd: [1, 1, 1] } };
    const policy = linearPolicy(m, 3, 3, new Float32Array(9), new Float32Array([2, 0, 0]));
    const file = join(dir, 'pelvis.mcap');
    const run = axon(['sim', '--robot', url, '--token', TOKEN, '--policy', policy, '--urdf', urdf, '--duration', '1.5', '--record', file]);
    expect(await run.done, run.err + run.out).toBe(0);
    expect(run.err).toContain(`derived from the IMU on "pelvis" and the measured joints (${urdf}): "pelvis" through no joint`);
    const rec = await readRecording(file);
    expect(rec.run.imu_link).toBe('pelvis');
    const k = linkFrameKeys('pelvis');
    const torso = recordedSpec(rec).joints.findIndex((j) => j.name === 'torso_joint');
    let worst = 0, maxTorso = 0;
    for (const t of rec.ticks) {
      const o = t.observation;
      worst = Math.max(worst, angleBetween(o.extras[k.orientation], o.base!.orientation));
      maxTorso = Math.max(maxTorso, Math.abs(o.jointPosition[torso]));
    }
    // The waist did turn, and the derived pelvis is the server's root (its IMU) to Float32.
    expect(maxTorso).toBeGreaterThan(0.2);
    expect(worst).toBeLessThan(1e-3);

    // Replay of the run as a robot without the link would have written it: derived from the recorded imu_link.
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
    const derived = urdfRecordedLinks(bare, readManifest(join(policy, 'manifest.json')), loadUrdf(urdf, { collisionMeshes: 'optional' }), urdf, file);
    expect(derived.line).toContain('from the IMU on "pelvis"');
    let worstReplay = 0;
    derived.rec.ticks.forEach((t, i) => (worstReplay = Math.max(worstReplay, angleBetween(t.observation.extras[k.orientation], rec.ticks[i].observation.extras[k.orientation]))));
    expect(worstReplay).toBeLessThan(1e-3);
    // A recording that says nothing, and a manifest without imu_link: refused, not guessed.
    expect(() => urdfRecordedLinks({ ...bare, run: { ...bare.run, imu_link: undefined } }, readManifest(join(policy, 'manifest.json')), loadUrdf(urdf, { collisionMeshes: 'optional' }), urdf, file)).toThrow(expect.objectContaining({ code: 'LINK_CHAIN_IMU_UNKNOWN' }));
    // The recording names the served file (served_model): a copy with the waist axis flipped is refused, as live.
    const flipped = join(mkdtempSync(join(dir, 'flipped-')), 'h1_2_like.urdf');
    writeFileSync(flipped, readFileSync(urdf, 'utf8').replace('<axis xyz="0 0 1"/>\n    <limit lower="-2.35"', '<axis xyz="0 0 -1"/>\n    <limit lower="-2.35"'));
    expect(readFileSync(flipped, 'utf8')).not.toBe(readFileSync(urdf, 'utf8'));
    expect(() => urdfRecordedLinks(bare, readManifest(join(policy, 'manifest.json')), loadUrdf(flipped, { collisionMeshes: 'optional' }), flipped, file)).toThrow(expect.objectContaining({ code: 'LINK_CHAIN_FILE' }));
    console.log(`derived pelvis vs the server's root over ${rec.ticks.length} ticks: worst ${worst.toExponential(2)} rad (torso_joint up to ${maxTorso.toFixed(2)} rad); replay ${worstReplay.toExponential(2)} rad`);

    // A manifest whose imu_link is the file's imu* link: the hello disagrees, refused naming both.
    const disagree = linearPolicy({ ...m, imu_link: 'imu_in_torso' }, 3, 3, new Float32Array(9), new Float32Array(3));
    const refused = axon(['sim', '--robot', url, '--token', TOKEN, '--policy', disagree, '--urdf', urdf, '--duration', '0.5']);
    expect(await refused.done, refused.err).toBe(2);
    expect(refused.err).toContain('LINK_CHAIN_IMU_MISMATCH');
    expect(refused.err).toContain(`${url} hello.frame.imuLink (IMU on "pelvis") and ${disagree}/manifest.json#/imu_link ("imu_in_torso")`);
  }, 240_000);
});
