import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSimSession } from '../../../src/cli/wiring.ts';
import { createCommand } from '../../../src/core/robot.ts';
import type { ModelManifest } from '../../../src/model/manifest.ts';
import { zeroPositionPolicy } from '../../helpers/onnxFixtures.ts';
import { writeMenagerieHand, writeMenagerieQuadruped } from '../../helpers/menagerieMjcf.ts';
import type { AxonError } from '../../../src/core/errors.ts';

/** The composition root's set-up of a user's robot (`sim --urdf | --mjcf`) under a policy's manifest. */

const dir = mkdtempSync(join(tmpdir(), 'axon-wiring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const zeroPolicy = zeroPositionPolicy;

describe('--kp/--kd on a user\'s URDF under a manifest with pd', () => {
  it("the commands carry the flags' gains, as the flags' help and robot_setup say (they carried the manifest's)", async () => {
    const file = join(dir, 'arm.urdf');
    writeFileSync(
      file,
      `<robot name="arm">
  <link name="world"/>
  <joint name="mount" type="fixed"><parent link="world"/><child link="base"/></joint>
  <link name="base"><inertial><mass value="1"/><inertia ixx="0.01" ixy="0" ixz="0" iyy="0.01" iyz="0" izz="0.01"/></inertial></link>
  <joint name="j1" type="revolute"><parent link="base"/><child link="l1"/><axis xyz="0 1 0"/><limit lower="-2" upper="2" effort="10" velocity="5"/></joint>
  <link name="l1"><inertial><mass value="0.3"/><inertia ixx="0.001" ixy="0" ixz="0" iyy="0.001" iyz="0" izz="0.001"/></inertial></link>
  <joint name="j2" type="revolute"><parent link="l1"/><child link="l2"/><origin xyz="0 0 0.2"/><axis xyz="0 1 0"/><limit lower="-2" upper="2" effort="10" velocity="5"/></joint>
  <link name="l2"><inertial><mass value="0.2"/><inertia ixx="0.001" ixy="0" ixz="0" iyy="0.001" iyz="0" izz="0.001"/></inertial></link>
</robot>`,
    );
    const policy = zeroPolicy(['j1', 'j2'], { pd: { kp: [20, 20], kd: [0.5, 0.5] } });
    const urdf = { file, packagePaths: [], strict: false };
    for (const [flags, kp, kd] of [
      [{}, [20, 20], [0.5, 0.5]],
      [{ kp: 100, kd: 3 }, [100, 100], [3, 3]],
      [{ kd: 3 }, [20, 20], [3, 3]],
    ] as const) {
      const s = await openSimSession({ robot: 'arm', policy, physicsHz: 500, urdf: { ...urdf, ...flags } });
      const cmd = createCommand(s.robot.spec, 'position');
      s.stages().mapper.map(new Float32Array(2), cmd);
      expect([Array.from(cmd.kp!), Array.from(cmd.kd!)]).toEqual([kp, kd]);
      await s.close();
    }
  });
});

describe("sim --mjcf under a policy's manifest (a menagerie-style quadruped: classes, <position kp> actuators, a keyframe)", () => {
  const quad = writeMenagerieQuadruped(dir);
  // The training's stance and gains, not the model file's keyframe (thighs 0.9, knees -1.8) and actuators (kp 35, kv 0.5, 23.7 N·m).
  const stance = quad.joints.map((j) => (j.includes('thigh') ? 0.8 : -1.5));
  const manifest = {
    default_joint_pos: stance,
    pd: { kp: quad.joints.map(() => 20), kd: quad.joints.map(() => 0.5) },
    actuators: { armature: 0.02, effort_limit: 30 },
  };

  it('starts at the manifest\'s default_joint_pos, with its pd and actuators, and the set-up says so (it started at the keyframe, and said the gains were the model\'s)', async () => {
    const policy = zeroPolicy(quad.joints, manifest);
    const s = await openSimSession({ robot: '(urdf)', policy, physicsHz: 500, mjcf: { file: quad.file } });
    try {
      s.robot.reset(1);
      const q = Array.from(s.robot.observe().jointPosition);
      q.forEach((x, i) => expect(x).toBeCloseTo(stance[i], 5));
      for (const j of s.robot.spec.joints) expect(j).toMatchObject({ kp: 20, kd: 0.5, effortLimit: 30, defaultPosition: stance[quad.joints.indexOf(j.name)] });
      expect(s.mjcfSetup).toMatchObject({
        pose: 'manifest default_joint_pos (8 joints) over keyframe "home"',
        gains: { flags: 0, manifest: 8, model: 0, default: 0, passive: 0 },
        armature: 'manifest',
        pd: 'implicit',
        manifest: ['default_joint_pos', 'pd', 'actuators.armature', 'actuators.effort_limit'],
      });
      // What the model said and the manifest replaced is noted.
      const note = (s.robot as unknown as { notes: { code: string; message: string }[] }).notes.find((n) => n.code === 'MUJOCO_MJCF_MANIFEST')?.message;
      expect(note).toContain('default position (the model\'s from its keyframe "home") of 8 joint(s): FL_thigh_joint 0.9 → 0.8');
      expect(note).toContain('kp/kd of 8 joint(s): FL_thigh_joint 35/0.5 → 20/0.5');
      expect(note).toContain('effort limit of 8 joint(s): FL_thigh_joint 23.7 → 30');
      expect(note).toContain('armature of 8 joint(s): FL_thigh_joint 0.01 → 0.02');
    } finally {
      await s.close();
    }
    // The flags go over the manifest (in every command, too), and --init-pose over its pose.
    const f = await openSimSession({ robot: '(urdf)', policy, physicsHz: 500, mjcf: { file: quad.file, kp: 50, initPose: { FL_calf_joint: -1.2 } } });
    try {
      expect(f.mjcfSetup).toMatchObject({ pose: '--init-pose (1 joint), manifest default_joint_pos (7 joints) over keyframe "home"', gains: { flags: 8, manifest: 0 } });
      const cmd = createCommand(f.robot.spec, 'position');
      f.stages().mapper.map(new Float32Array(8), cmd);
      expect(Array.from(cmd.kp!)).toEqual(quad.joints.map(() => 50));
      expect(Array.from(cmd.kd!)).toEqual(quad.joints.map(() => 0.5));
    } finally {
      await f.close();
    }
  });

  it("the manifest's base_height and actuators.pd, as for a URDF", async () => {
    const s = await openSimSession({ robot: '(urdf)', policy: zeroPolicy(quad.joints, { base_height: 0.5, actuators: { pd: 'explicit' } }), physicsHz: 500, mjcf: { file: quad.file } });
    try {
      expect(s.mjcfSetup).toMatchObject({ pd: 'explicit', manifest: ['actuators.pd', 'base_height'] });
      s.robot.reset(1);
      expect(s.robot.observe().base!.position[2]).toBeCloseTo(0.5, 6);
    } finally {
      await s.close();
    }
  });

  it("without a policy the model's keyframe and position actuators hold, as before", async () => {
    const s = await openSimSession({ robot: '(urdf)', physicsHz: 500, mjcf: { file: quad.file } });
    try {
      expect(s.mjcfSetup).toMatchObject({ pose: 'keyframe "home"', gains: { model: 8, manifest: 0 }, armature: 'model', manifest: [] });
      expect(s.robot.spec.joints[0]).toMatchObject({ kp: 35, kd: 0.5, effortLimit: 23.7, defaultPosition: 0.9 });
    } finally {
      await s.close();
    }
  });

  it("an imu_link, --imu-link or fixed_base the model file contradicts is refused, naming the field or flag", async () => {
    const refused = async (over: Partial<ModelManifest>, flags: { imuLink?: string } = {}) => {
      const policy = zeroPolicy(quad.joints, { ...manifest, ...over });
      return openSimSession({ robot: '(urdf)', policy, physicsHz: 500, mjcf: { file: quad.file, ...flags } }).then(
        async (s) => (await s.close(), undefined),
        (e: unknown) => e as AxonError,
      );
    };
    const imu = await refused({ imu_link: 'imu_link' });
    expect(imu?.code).toBe('MODEL_ROBOT_MISMATCH');
    expect(imu?.message).toContain('manifest.json#/imu_link: model "imu_link" | robot no body "imu_link" in the model (bodies: base, FL_thigh');
    const fixed = await refused({ fixed_base: true });
    expect(fixed?.message).toContain('manifest.json#/fixed_base: model true | robot a floating base: the MJCF\'s root body "base" has a free joint');
    const flag = await refused({}, { imuLink: 'nope' });
    expect(flag?.code).toBe('CLI_USAGE');
    expect(flag?.message).toContain('--imu-link');
    // A manifest imu_link naming a body of the model is used.
    const ok = await openSimSession({ robot: '(urdf)', policy: zeroPolicy(quad.joints, { ...manifest, imu_link: 'FL_thigh' }), physicsHz: 500, mjcf: { file: quad.file } });
    expect(ok.mjcfSetup).toMatchObject({ imuLink: 'FL_thigh', imuWhy: 'manifest imu_link' });
    await ok.close();
  });

  it('a fixed-base hand under a policy that reads the IMU gets it at its root, as a fixed URDF does', async () => {
    const hand = writeMenagerieHand(dir);
    const policy = zeroPolicy(hand.joints, { observation: { terms: [{ term: 'projected_gravity' }, { term: 'joint_pos_rel' }, { term: 'joint_vel' }] }, default_joint_pos: [0, 0.5, 0.5, 0.3] });
    const s = await openSimSession({ robot: '(urdf)', policy, physicsHz: 500, mjcf: { file: hand.file } });
    try {
      expect(s.mjcfSetup).toMatchObject({ floating: false, imuLink: 'palm', imuWhy: 'root body of the fixed base (the model reads IMU terms)' });
      expect(s.robot.spec.sensors.imu).toBe(true);
    } finally {
      await s.close();
    }
  });
});
