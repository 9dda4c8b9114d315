/**
 * A link's frame derived from the IMU and the measured joints (src/model/linkFrames.ts), checked
 * against the simulator's own report of that link (RobotSpec.sensors.imuFrames, Observation.extras):
 * a floating H1_2-like robot in free fall, its waist and hips driven along sinusoids, read at every
 * control step. The chain is vendor-shaped: origins with non-zero rpy, a zero-inertia frame link
 * on a fixed joint between the waist's two joints, an IMU frame link turned 90° on the torso, tiny
 * inertias, and the file's (SDK) joint order unlike the tree's. Every frame is derived from the IMU
 * reading (on the torso) and the joint state alone: the pelvis (up the tree, through both waist
 * joints), the left thigh (up to the pelvis, then down a hip) and the waist's frame link (between);
 * and the other way, the torso's turned IMU frame from the pelvis's reported frame (down the chain).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCommand, linkFrameKeys } from '../../src/core/robot.ts';
import { LinkFrame } from '../../src/model/linkFrames.ts';
import { urdfLinkTree } from '../../src/cli/linkTree.ts';
import { SimRobot, loadUrdf } from '../../sim/index.ts';
import { writeWaistChainRobot } from '../helpers/torsoImuRobot.ts';


const dir = mkdtempSync(join(tmpdir(), 'axon-derived-frames-'));
const file = writeWaistChainRobot(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Angle (rad) between two orientations x y z w: of conj(a) ⊗ b, 2·atan2(|vector|, |scalar|) (exact near 0, where acos of the dot product is not). */
function angleBetween(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const [ax, ay, az, aw] = [-a[0], -a[1], -a[2], a[3]];
  const x = aw * b[0] + ax * b[3] + ay * b[2] - az * b[1];
  const y = aw * b[1] - ax * b[2] + ay * b[3] + az * b[0];
  const z = aw * b[2] + ax * b[1] - ay * b[0] + az * b[3];
  const w = aw * b[3] - ax * b[0] - ay * b[1] - az * b[2];
  return 2 * Math.atan2(Math.hypot(x, y, z), Math.abs(w));
}

/**
 * Tolerances per engine. MuJoCo's joints are generalized coordinates: the derived frame is the
 * simulator's to Float32 (measured: 1.3e-7 rad and rad/s). cannon-es's joints are constraints
 * between bodies, which drift: the light waist link (0.3 kg, 1e-5 kg·m²) between the pelvis and
 * the torso turns off its axis by about a milliradian and 0.2 rad/s (measured: 1.35e-3 rad,
 * 0.21 rad/s), which no joint reading sees.
 */
const TOLERANCE = { cannon: { angle: 3e-3, rate: 0.3 }, mujoco: { angle: 1e-5, rate: 1e-5 } } as const;

describe.each(['cannon', 'mujoco'] as const)('a link frame derived from the IMU and the joints matches the simulator\'s (%s)', (physics) => {
  it('pelvis, left thigh and the waist\'s frame link, at every step of 1 s of free fall with the waist and hips moving', async () => {
    const model = loadUrdf(file, { collisionMeshes: 'optional' });
    const links = ['pelvis', 'left_thigh', 'waist_frame'];
    const tilt = 0.4;
    const options = {
      physicsDt: 0.001,
      pd: 'implicit',
      imuLink: 'imu_in_torso',
      imuFrames: links,
      fixedBase: false,
      basePosition: [0, 0, 20],
      baseOrientation: [Math.sin(tilt / 2) * 0.6, Math.sin(tilt / 2) * 0.8, 0, Math.cos(tilt / 2)],
      spawnOnGround: false,
    } as const;
    const robot = physics === 'cannon' ? new SimRobot(model, options) : await (await import('../../sim/mujoco/createMujocoRobot.ts')).createMujocoUrdfRobot(file, model, options);
    try {
      const spec = robot.spec;
      // The robot's joint order (the tree's) is not the file's: the frames find their joints by name.
      expect(spec.joints.map((j) => j.name)).not.toEqual(model.joints.filter((j) => j.type !== 'fixed').map((j) => j.name));
      const tree = urdfLinkTree(model, file);
      const frames = links.map((l) => new LinkFrame(tree, 'imu_in_torso', l, spec.joints.map((j) => j.name)));
      expect(frames.map((f) => f.path)).toEqual([
        ['imu_in_torso_joint', 'waist_roll_joint', 'waist_frame_joint', 'waist_yaw_joint'],
        ['imu_in_torso_joint', 'waist_roll_joint', 'waist_frame_joint', 'waist_yaw_joint', 'left_hip_pitch_joint'],
        ['imu_in_torso_joint', 'waist_roll_joint'],
      ]);
      // The other way: an IMU on the pelvis, the torso's IMU frame derived down the whole chain.
      const down = new LinkFrame(tree, 'pelvis', 'imu_in_torso', spec.joints.map((j) => j.name));
      expect(down.path).toEqual(['waist_yaw_joint', 'waist_frame_joint', 'waist_roll_joint', 'imu_in_torso_joint']);
      robot.reset(1);
      const cmd = createCommand(spec, 'position');
      const amp: Record<string, [number, number]> = { waist_yaw_joint: [1.2, 2.5], waist_roll_joint: [0.4, 3.1], left_hip_pitch_joint: [0.8, 4.0], right_hip_pitch_joint: [0.6, 1.7] };
      const o = new Float32Array(4), w = new Float32Array(3);
      let worstAngle = 0, worstRate = 0, maxYawRate = 0, maxBaseRate = 0;
      const dt = 0.02;
      for (let k = 1; k <= 50; k++) {
        const t = k * dt;
        spec.joints.forEach((j, i) => {
          const [a, f] = amp[j.name];
          cmd.target[i] = a * Math.sin(f * t);
          cmd.kp![i] = 50;
          cmd.kd![i] = 1;
        });
        robot.command(cmd);
        robot.step(dt);
        const obs = robot.observe();
        maxYawRate = Math.max(maxYawRate, Math.abs(obs.jointVelocity[spec.joints.findIndex((j) => j.name === 'waist_yaw_joint')]));
        maxBaseRate = Math.max(maxBaseRate, Math.hypot(...obs.base!.angularVelocity));
        for (const [n, l] of links.entries()) {
          frames[n].update(obs.imu!.orientation, obs.imu!.angularVelocity, obs.jointPosition, obs.jointVelocity, o, w);
          const keys = linkFrameKeys(l);
          const so = obs.extras[keys.orientation], sw = obs.extras[keys.angularVelocity];
          worstAngle = Math.max(worstAngle, angleBetween(o, so));
          worstRate = Math.max(worstRate, Math.hypot(w[0] - sw[0], w[1] - sw[1], w[2] - sw[2]));
        }
        const pelvis = linkFrameKeys('pelvis');
        down.update(obs.extras[pelvis.orientation], obs.extras[pelvis.angularVelocity], obs.jointPosition, obs.jointVelocity, o, w);
        const imu = obs.imu!;
        worstAngle = Math.max(worstAngle, angleBetween(o, imu.orientation));
        worstRate = Math.max(worstRate, Math.hypot(w[0] - imu.angularVelocity[0], w[1] - imu.angularVelocity[1], w[2] - imu.angularVelocity[2]));
      }
      // The joints did move, and the base turned: the check is not of a robot at rest.
      expect(maxYawRate).toBeGreaterThan(1);
      expect(maxBaseRate).toBeGreaterThan(0.1);
      // Float32 readings; cannon-es's joints are constraints, and drift by a little.
      expect(worstAngle).toBeLessThan(TOLERANCE[physics].angle); // rad
      expect(worstRate).toBeLessThan(TOLERANCE[physics].rate); // rad/s
      console.log(`${physics}: derived vs simulator: worst orientation ${worstAngle.toExponential(2)} rad, worst angular velocity ${worstRate.toExponential(2)} rad/s (waist yaw rate up to ${maxYawRate.toFixed(2)} rad/s, base ${maxBaseRate.toFixed(2)} rad/s)`);
    } finally {
      await robot.close();
    }
  });
});
