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
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCommand, linkFrameKeys } from '../../src/core/robot.ts';
import { LinkFrame } from '../../src/model/linkFrames.ts';
import { urdfLinkTree } from '../../src/cli/linkTree.ts';
import { SimRobot, loadUrdf } from '../../sim/index.ts';
import { writeWaistChainRobot } from '../helpers/torsoImuRobot.ts';
import { mjcfRobot } from '../../src/cli/mjcfSession.ts';
import { validateManifest } from '../../src/model/manifest.ts';
import { mjcfLinkTree } from '../../sim/mujoco/mjcfLinkTree.ts';


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

/**
 * The same from an MJCF (`--mjcf FILE` over the bridge: sim/mujoco/mjcfLinkTree.ts): a body with two
 * hinges (MuJoCo turns it by both, in order, about their local axes), bodies turned by their quat,
 * the IMU a site on the torso, a body without joints between, tiny inertias; MuJoCo's own report of
 * the pelvis and a thigh is the reference. The waist yaw has a `ref`: MuJoCo turns its body by
 * qpos − ref while the robot reports qpos, so the chain must subtract it.
 */
const MJCF = `<mujoco model="waist_two_hinges">
  <compiler angle="radian"/>
  <option timestep="0.001"/>
  <worldbody>
    <body name="pelvis" pos="0 0 20" quat="0.98 0.1 0.15 0.05">
      <freejoint name="floating_base"/>
      <inertial pos="0 0 0" mass="5" diaginertia="0.05 0.05 0.05"/>
      <geom type="box" size="0.1 0.1 0.05"/>
      <body name="left_thigh" pos="0 0.1 -0.1" quat="0.995 0.0998 0 0">
        <joint name="left_hip_pitch_joint" axis="0 0.6 0.8" range="-1.5 1.5"/>
        <inertial pos="0.02 0 -0.1" mass="0.5" diaginertia="1e-5 1e-5 1e-5"/>
      </body>
      <body name="waist" pos="0 0 0.1" quat="0.9997 0 0.025 0">
        <joint name="waist_yaw_joint" axis="0 0 1" range="-2.3 2.3" ref="0.3"/>
        <joint name="waist_roll_joint" axis="1 0 0" range="-0.5 0.5"/>
        <inertial pos="0.03 0 0.02" mass="0.3" diaginertia="1e-5 1e-5 1e-5"/>
        <body name="waist_frame" pos="0 0 0.03" quat="0.9938 0.0998 0 0.0499">
          <body name="torso_link" pos="0 0 0.05" quat="0.9888 0 0 -0.1494">
            <joint name="waist_pitch_joint" axis="0 1 0" range="-0.5 0.5"/>
            <inertial pos="0.05 0 0.1" mass="2" diaginertia="1e-5 1e-5 1e-5"/>
            <site name="imu" pos="0 0 0.2"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
</mujoco>
`;

describe('a link frame derived through an MJCF\'s body tree matches MuJoCo\'s', () => {
  it('pelvis and left thigh from the torso IMU, the waist\'s two hinges in one body, at every step with every joint moving', async () => {
    const xml = join(dir, 'waist_two_hinges.xml');
    writeFileSync(xml, MJCF);
    const m = validateManifest({
      schema: 'axon.model/1', name: 'mjcf-waist', kind: 'policy', robot: 'waist_two_hinges',
      joints: ['waist_roll_joint', 'left_hip_pitch_joint', 'waist_pitch_joint', 'waist_yaw_joint'], control_hz: 50,
      onnx: { file: 'model.onnx', input: 'obs', output: 'actions' }, imu_link: 'torso_link',
      observation: { terms: [{ term: 'projected_gravity', link: 'pelvis' }, { term: 'base_ang_vel', link: 'left_thigh' }] },
      action: { type: 'joint_position', scale: 0.25 },
    });
    const { robot, issues } = await mjcfRobot({ file: xml }, m, 0.001);
    try {
      expect(issues).toEqual([]);
      expect(robot.spec.sensors.imuFrames).toEqual(['pelvis', 'left_thigh']);
      const tree = mjcfLinkTree(robot, xml);
      const names = robot.spec.joints.map((j) => j.name);
      const links = ['pelvis', 'left_thigh'];
      const frames = links.map((l) => new LinkFrame(tree, 'torso_link', l, names));
      expect(frames.map((f) => f.path)).toEqual([
        ['waist_pitch_joint', 'waist_frame (fixed to waist)', 'waist_roll_joint', 'waist_yaw_joint'],
        ['waist_pitch_joint', 'waist_frame (fixed to waist)', 'waist_roll_joint', 'waist_yaw_joint', 'left_hip_pitch_joint'],
      ]);
      // The floating base's free joint is off the chain; a chain through it is refused, naming it.
      expect(() => new LinkFrame(tree, 'torso_link', 'world', names)).toThrow(/joint "floating_base": is a floating joint/);
      robot.reset(1);
      const cmd = createCommand(robot.spec, 'position');
      const amp: Record<string, [number, number]> = { waist_yaw_joint: [1.2, 2.5], waist_roll_joint: [0.4, 3.1], waist_pitch_joint: [0.4, 2.2], left_hip_pitch_joint: [0.8, 4.0] };
      const o = new Float32Array(4), w = new Float32Array(3);
      let worstAngle = 0, worstRate = 0, maxRate = 0;
      for (let k = 1; k <= 50; k++) {
        robot.spec.joints.forEach((j, i) => {
          const [a, f] = amp[j.name];
          cmd.target[i] = a * Math.sin(f * k * 0.02);
          cmd.kp![i] = 50;
          cmd.kd![i] = 1;
        });
        robot.command(cmd);
        robot.step(0.02);
        const obs = robot.observe();
        maxRate = Math.max(maxRate, ...Array.from(obs.jointVelocity, Math.abs));
        for (const [n, l] of links.entries()) {
          frames[n].update(obs.imu!.orientation, obs.imu!.angularVelocity, obs.jointPosition, obs.jointVelocity, o, w);
          const keys = linkFrameKeys(l);
          const sw = obs.extras[keys.angularVelocity];
          worstAngle = Math.max(worstAngle, angleBetween(o, obs.extras[keys.orientation]));
          worstRate = Math.max(worstRate, Math.hypot(w[0] - sw[0], w[1] - sw[1], w[2] - sw[2]));
        }
      }
      expect(maxRate).toBeGreaterThan(1);
      expect(worstAngle).toBeLessThan(1e-5);
      expect(worstRate).toBeLessThan(1e-5);
      console.log(`mjcf: derived vs MuJoCo: worst orientation ${worstAngle.toExponential(2)} rad, worst angular velocity ${worstRate.toExponential(2)} rad/s (joint rates up to ${maxRate.toFixed(2)} rad/s)`);
    } finally {
      robot.dispose();
    }
  });
});
