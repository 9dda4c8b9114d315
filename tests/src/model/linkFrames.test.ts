/**
 * A link's frame derived from the IMU and the joints (src/model/linkFrames.ts, withLinkFrames.ts):
 * the waist transform unitree_rl_gym's deploy_real.py computes for a torso IMU, the chains that
 * cannot be followed (a floating, planar or mimic joint on them, a joint the robot does not
 * report, a link not in the tree) refused with a typed error naming it, and the robot wrapper the
 * pre-arm check and the observation builder see. The simulators' own link reports are the check
 * of the general chain (tests/sim/derivedLinkFrames.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { of } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createObservation, linkFrameKeys, type Observation, type Robot, type RobotSpec } from '../../../src/core/robot.ts';
import { LinkChainError, LinkFrame, quatFromRpy, type LinkJoint, type LinkTree } from '../../../src/model/linkFrames.ts';
import { linksToDerive, withLinkFrames } from '../../../src/model/withLinkFrames.ts';
import { checkModel } from '../../../src/model/checkModel.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { validateManifest } from '../../../src/model/manifest.ts';
import { imuLinkOf, urdfLinkFrames, urdfLinkTree } from '../../../src/cli/linkTree.ts';
import { loadUrdf } from '../../../sim/index.ts';
import { joint, manifest } from '../../helpers/fakes.ts';

const ID = [0, 0, 0, 1] as const;
const rev = (name: string, parent: string, child: string, axis: readonly [number, number, number], origin: readonly [number, number, number, number] = ID, extra: Partial<LinkJoint> = {}): LinkJoint => ({ name, type: 'revolute', parent, child, origin, axis, ...extra });

/** The H1's waist as deploy_real reads it: pelvis -> torso_joint (z) -> torso_link (the IMU's). */
const waist: LinkTree = { source: 'h1.urdf', joints: [rev('left_hip_yaw_joint', 'pelvis', 'left_hip_yaw_link', [0, 0, 1]), rev('torso_joint', 'pelvis', 'torso_link', [0, 0, 1])] };
const WAIST_JOINTS = ['torso_joint', 'left_hip_yaw_joint']; // the SDK's order, not the tree's

/** Rotation matrix (row-major) of a quaternion x y z w. */
function mat(q: ArrayLike<number>): number[] {
  const [x, y, z, w] = [q[0], q[1], q[2], q[3]];
  return [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w), 2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w), 2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)];
}
const mul3 = (a: number[], b: number[]) => [0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => a[3 * r] * b[c] + a[3 * r + 1] * b[3 + c] + a[3 * r + 2] * b[6 + c]));
const transpose = (a: number[]) => [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]];
const apply = (a: number[], v: number[]) => [0, 1, 2].map((r) => a[3 * r] * v[0] + a[3 * r + 1] * v[1] + a[3 * r + 2] * v[2]);
const rz = (t: number) => [Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0, 0, 0, 1];
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6) => Array.from(a).every((x, i) => Math.abs(x - b[i]) < tol);

describe('the waist transform of deploy_real.py (imu_type: torso)', () => {
  it('R_pelvis = R_torso·Rz(yaw)ᵀ and ω_pelvis = Rz(yaw)·ω_torso − (0, 0, yaw rate)', () => {
    const f = new LinkFrame(waist, 'torso_link', 'pelvis', WAIST_JOINTS);
    expect(f.path).toEqual(['torso_joint']);
    const imuQ = quatFromRpy(0.2, -0.3, 1.1);
    const imuW = [0.4, -0.7, 1.3];
    const o = new Float32Array(4), w = new Float32Array(3);
    for (const [yaw, rate] of [[0.5, 1.0], [-1.2, -0.3], [2.3, 2.5]]) {
      f.update(imuQ, imuW, [yaw, 0.9], [rate, -4], o, w);
      expect(close(mat(o), mul3(mat(imuQ), transpose(rz(yaw))))).toBe(true);
      const want = apply(rz(yaw), imuW);
      want[2] -= rate;
      expect(close(w, want)).toBe(true);
    }
  });

  it('the other way (IMU on the pelvis, a term in the torso) undoes it; a link read on the IMU\'s own link is the IMU', () => {
    const up = new LinkFrame(waist, 'torso_link', 'pelvis', WAIST_JOINTS);
    const down = new LinkFrame(waist, 'pelvis', 'torso_link', WAIST_JOINTS);
    const same = new LinkFrame(waist, 'torso_link', 'torso_link', WAIST_JOINTS);
    expect(same.path).toEqual([]);
    const q = [0.8, -0.2], qd = [1.5, 0.3];
    const imuQ = quatFromRpy(-0.4, 0.1, 0.7), imuW = [0.2, 0.5, -0.9];
    const po = new Float32Array(4), pw = new Float32Array(3), to = new Float32Array(4), tw = new Float32Array(3);
    up.update(imuQ, imuW, q, qd, po, pw);
    down.update(po, pw, q, qd, to, tw);
    expect(close(mat(to), mat(imuQ), 1e-6)).toBe(true);
    expect(close(tw, imuW, 1e-6)).toBe(true);
    same.update(imuQ, imuW, q, qd, to, tw);
    expect(close(to, imuQ)).toBe(true);
  });
});

const dir = mkdtempSync(join(tmpdir(), 'axon-link-chain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A vendor-like URDF whose waist roll mimics the waist yaw (a linkage), with a gripper mimic off the chain. */
function mimicUrdf(): string {
  const file = join(dir, 'mimic_waist.urdf');
  writeFileSync(file, `<?xml version="1.0"?>
<robot name="mimic_waist">
  <link name="pelvis"><inertial><mass value="5"/><inertia ixx="0.05" iyy="0.05" izz="0.05" ixy="0" ixz="0" iyz="0"/></inertial></link>
  <joint name="waist_yaw_joint" type="revolute"><parent link="pelvis"/><child link="waist"/><origin rpy="0 0 0.1"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="50" velocity="5"/></joint>
  <link name="waist"><inertial><mass value="0.1"/><inertia ixx="1e-6" iyy="1e-6" izz="1e-6" ixy="0" ixz="0" iyz="0"/></inertial></link>
  <joint name="waist_roll_joint" type="revolute"><parent link="waist"/><child link="torso_link"/><axis xyz="1 0 0"/><limit lower="-1" upper="1" effort="50" velocity="5"/><mimic joint="waist_yaw_joint" multiplier="0.5"/></joint>
  <link name="torso_link"><inertial><mass value="2"/><inertia ixx="1e-5" iyy="1e-5" izz="1e-5" ixy="0" ixz="0" iyz="0"/></inertial></link>
  <joint name="imu_joint" type="fixed"><parent link="torso_link"/><child link="imu_link"/><origin rpy="3.14159265 0 0"/></joint>
  <link name="imu_link"/>
  <joint name="finger_joint" type="prismatic"><parent link="pelvis"/><child link="finger"/><axis xyz="0 1 0"/><limit lower="0" upper="0.04" effort="5" velocity="1"/></joint>
  <link name="finger"><inertial><mass value="0.01"/><inertia ixx="1e-8" iyy="1e-8" izz="1e-8" ixy="0" ixz="0" iyz="0"/></inertial></link>
  <joint name="finger2_joint" type="prismatic"><parent link="pelvis"/><child link="finger2"/><axis xyz="0 -1 0"/><limit lower="0" upper="0.04" effort="5" velocity="1"/><mimic joint="finger_joint"/></joint>
  <link name="finger2"><inertial><mass value="0.01"/><inertia ixx="1e-8" iyy="1e-8" izz="1e-8" ixy="0" ixz="0" iyz="0"/></inertial></link>
</robot>
`);
  return file;
}

function thrown(f: () => unknown): LinkChainError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LinkChainError);
    return e as LinkChainError;
  }
  throw new Error('did not throw');
}

describe('chains that cannot be followed are refused, naming the joint or link', () => {
  const names = ['waist_yaw_joint', 'waist_roll_joint', 'finger_joint', 'finger2_joint'];

  it('a mimic joint between the IMU and the link (a URDF <mimic>): LINK_CHAIN_MIMIC', () => {
    const file = mimicUrdf();
    const tree = urdfLinkTree(loadUrdf(file, { collisionMeshes: 'optional' }), file);
    const e = thrown(() => new LinkFrame(tree, 'imu_link', 'pelvis', names));
    expect(e.code).toBe('LINK_CHAIN_MIMIC');
    expect(e.where).toBe(`${file}: joint "waist_roll_joint"`);
    expect(e.message).toContain('mimics "waist_yaw_joint" on the chain from "imu_link" (the IMU\'s link) to "pelvis"');
    // A mimic off the chain (the gripper's second finger) does not matter: the torso is reached.
    expect(new LinkFrame(tree, 'imu_link', 'torso_link', names).path).toEqual(['imu_joint']);
    // A prismatic joint turns nothing: the finger's frame is the pelvis's; its mimicking twin is refused.
    const finger = new LinkFrame(tree, 'pelvis', 'finger', names);
    expect(finger.path).toEqual(['finger_joint']);
    const o = new Float32Array(4), w = new Float32Array(3);
    finger.update([0.1, 0.2, 0.3, 0.9], [1, 2, 3], [0, 0, 0.03, 0.03], [0, 0, 0.5, 0.5], o, w);
    expect(close(o, [0.1, 0.2, 0.3, 0.9].map((x) => x / Math.hypot(0.1, 0.2, 0.3, 0.9)))).toBe(true);
    expect(close(w, [1, 2, 3])).toBe(true);
    expect(thrown(() => new LinkFrame(tree, 'pelvis', 'finger2', names)).code).toBe('LINK_CHAIN_MIMIC');
  });

  it('a floating, planar or ball joint on the chain (an MJCF free joint, a mobile base, a ball): LINK_CHAIN_FREE_JOINT', () => {
    for (const type of ['floating', 'planar', 'ball'] as const) {
      const tree: LinkTree = { source: 'robot.xml', joints: [{ name: 'trunk_free', type, parent: 'world_frame', child: 'trunk', origin: ID, axis: [0, 0, 1] }, rev('neck', 'trunk', 'head', [0, 0, 1])] };
      const e = thrown(() => new LinkFrame(tree, 'head', 'world_frame', ['neck']));
      expect(e.code).toBe('LINK_CHAIN_FREE_JOINT');
      expect(e.where).toBe('robot.xml: joint "trunk_free"');
      expect(e.message).toContain(`is a ${type} joint on the chain from "head"`);
      expect(new LinkFrame(tree, 'head', 'trunk', ['neck']).path).toEqual(['neck']); // off the chain: fine
    }
  });

  it('a turning joint the robot does not report, a link not in the tree', () => {
    expect(thrown(() => new LinkFrame(waist, 'torso_link', 'pelvis', ['left_hip_yaw_joint'])).code).toBe('LINK_CHAIN_UNMEASURED');
    const e = thrown(() => new LinkFrame(waist, 'torso_link', 'base_link', WAIST_JOINTS));
    expect(e.code).toBe('LINK_CHAIN_NO_LINK');
    expect(e.message).toContain('h1.urdf: link "base_link": is not a link of the robot description (expected one of its links: pelvis, left_hip_yaw_link, torso_link)');
  });
});

/** A robot measuring only its IMU (a bridge client), with the streamed-state and clock hooks a bridge robot has. */
function imuOnlyRobot(): Robot & { obs: Observation; clockSet: number } {
  const spec: RobotSpec = { name: 'h1-hw', joints: [joint('torso_joint', { lower: -2, upper: 2 }), joint('left_hip_yaw_joint', { lower: -1, upper: 1 })], sensors: { imu: true, contacts: [] }, controlModes: ['position'] };
  const obs = createObservation(spec);
  const r = {
    spec,
    obs,
    clockSet: 0,
    streamsState: true,
    health$: of({ connected: true, stale: false, faults: [] }),
    connect: async () => {},
    observe: () => obs,
    command: () => {},
    close: async () => {},
    useClock(this: { clockSet: number }) {
      this.clockSet++;
    },
  };
  return r;
}

describe('withLinkFrames: the robot the pre-arm check and the observation builder see', () => {
  const m = validateManifest(manifest({ joints: ['left_hip_yaw_joint', 'torso_joint'], imu_link: 'torso_link', observation: { terms: [{ term: 'base_ang_vel' }, { term: 'projected_gravity', link: 'pelvis' }] } }));

  it('without a chain the term is refused before arming, as before; with one it is built from the derived pelvis', () => {
    const hw = imuOnlyRobot();
    expect(checkModel(m, hw.spec).map((i) => i.where)).toEqual(['/observation/terms/1']);
    expect(linksToDerive(m, hw.spec)).toEqual(['pelvis']);
    const robot = withLinkFrames(hw, waist, 'torso_link', linksToDerive(m, hw.spec));
    expect(robot.spec.sensors.imuFrames).toEqual(['pelvis']);
    expect(checkModel(m, robot.spec)).toEqual([]);
    // The torso yawed 0.5 and pitched 0.3 in its own frame, turning at 1 rad/s: the pelvis is pitched only.
    const yaw = 0.5, pitch = 0.3;
    const pelvis = quatFromRpy(0, pitch, 0);
    const torso = [0, 0, 0, 0];
    const z = [0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)];
    torso[0] = pelvis[3] * z[0] + pelvis[0] * z[3] + pelvis[1] * z[2] - pelvis[2] * z[1];
    torso[1] = pelvis[3] * z[1] - pelvis[0] * z[2] + pelvis[1] * z[3] + pelvis[2] * z[0];
    torso[2] = pelvis[3] * z[2] + pelvis[0] * z[1] - pelvis[1] * z[0] + pelvis[2] * z[3];
    torso[3] = pelvis[3] * z[3] - pelvis[0] * z[0] - pelvis[1] * z[1] - pelvis[2] * z[2];
    hw.obs.imu!.orientation.set(torso);
    hw.obs.imu!.angularVelocity.set([0, 0, 1]);
    hw.obs.jointPosition.set([yaw, 0]);
    hw.obs.jointVelocity.set([1, 0]);
    const b = new ObservationBuilder(m, robot.spec);
    const out = b.build(robot.observe(), new Float32Array(2));
    expect(close(out, [0, 0, 1, Math.sin(pitch), 0, -Math.cos(pitch)], 1e-6)).toBe(true);
    expect(b.badValuesLastBuild).toBe(0);
    // Written into the robot's own observation, the same arrays every tick.
    const k = linkFrameKeys('pelvis');
    const first = hw.obs.extras[k.orientation];
    robot.observe();
    expect(hw.obs.extras[k.orientation]).toBe(first);
  });

  it('keeps the robot\'s hooks: streamed state, its clock; a robot with nothing to derive is itself', () => {
    const hw = imuOnlyRobot();
    const robot = withLinkFrames(hw, waist, 'torso_link', ['pelvis']);
    expect(robot.streamsState).toBe(true);
    expect(robot.settle).toBeUndefined();
    robot.useClock!(() => 0);
    expect(hw.clockSet).toBe(1);
    expect(withLinkFrames(hw, waist, 'torso_link', [])).toBe(hw);
  });

  it('the IMU link is the server\'s or the manifest\'s, never guessed from the file; both and differing, or neither, is refused; a mimic on the way is refused', () => {
    const file = mimicUrdf();
    const model = loadUrdf(file, { collisionMeshes: 'optional' });
    const spec: RobotSpec = { name: 'mimic_waist', joints: ['waist_yaw_joint', 'waist_roll_joint', 'finger_joint', 'finger2_joint'].map((n) => joint(n, { lower: -1, upper: 1 })), sensors: { imu: true, contacts: [] }, controlModes: ['position'] };
    const hw = { ...imuOnlyRobot(), spec };
    const torsoTerm = validateManifest(manifest({ joints: ['waist_yaw_joint'], observation: { terms: [{ term: 'projected_gravity', link: 'torso_link' }] } }));
    // No imu_link and a server that says nothing: not guessed from the file's imu* link (a server set up with --imu-link reads it elsewhere).
    expect(() => imuLinkOf(null, torsoTerm, 'ws://h hello.frame.imuLink', 'p/manifest.json')).toThrow(expect.objectContaining({ code: 'LINK_CHAIN_IMU_UNKNOWN' }));
    // The server says: its link.
    const { line } = urdfLinkFrames(hw, torsoTerm, model, file, imuLinkOf('imu_link', torsoTerm, 'ws://h hello.frame.imuLink', 'p/manifest.json'));
    expect(line).toContain('derived from the IMU on "imu_link"');
    expect(line).toContain('"torso_link" through imu_joint');
    const pelvisTerm = validateManifest(manifest({ joints: ['waist_yaw_joint'], imu_link: 'imu_link', observation: { terms: [{ term: 'projected_gravity', link: 'pelvis' }] } }));
    expect(imuLinkOf(null, pelvisTerm, 'ws://h hello.frame.imuLink', 'p/manifest.json')).toBe('imu_link');
    // The server and the manifest disagree: refused naming both.
    expect(() => imuLinkOf('pelvis', pelvisTerm, 'ws://h hello.frame.imuLink', 'p/manifest.json')).toThrow(/ws:\/\/h hello.frame.imuLink \(IMU on "pelvis"\) and p\/manifest.json#\/imu_link \("imu_link"\)/);
    expect(() => urdfLinkFrames(hw, pelvisTerm, model, file, 'imu_link')).toThrow(LinkChainError);
    expect(() => urdfLinkFrames(hw, pelvisTerm, model, file, 'imu_link')).toThrow(/joint "waist_roll_joint": mimics "waist_yaw_joint"/);
  });
});
