/**
 * R21 F4 and F7. F4: `manifest from-isaaclab --joints` given the URDF's joints in file order (a user with only
 * the vendor's files pastes that; Isaac Lab's articulation order is PhysX's breadth-first one) passed
 * every check, and the policy then drives the wrong joints. `inspect --urdf` (urdfTarget) now warns,
 * giving the breadth-first order, and says nothing for the right order or another importer's manifest.
 * F7: Isaac Lab reads base_ang_vel and projected_gravity in the root link; on a robot whose only
 * IMU link sits behind the waist, axon's rule reads them there, and inspect said ok: it now warns,
 * naming the terms, the joint and the `link` to set.
 * The robot is the vendor humanoid fixture: SDK order = file order != Isaac Lab order, links shuffled
 * in the file, frame links on fixed joints, binary STL meshes with "solid" headers.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadUrdf } from '../../../sim/index.ts';
import { urdfTarget } from '../../../src/cli/commands/inspect.ts';
import { manifest } from '../../helpers/fakes.ts';
import { writeVendorHumanoid } from '../../helpers/vendorHumanoid.ts';
import { runAxon } from '../../helpers/cli.ts';
import { VENDOR_MODEL_JOINTS, VENDOR_SDK_JOINTS } from '../../helpers/vendorJoints.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-isaaclab-order-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const robot = writeVendorHumanoid(dir);
const model = loadUrdf(robot.urdf, { collisionMeshes: 'optional' });
const fromIsaacLab = { command: 'axon manifest from-isaaclab logs/rsl_rl/g1/params/env.yaml' };
const warningsFor = (joints: readonly string[], provenance: { command: string } = fromIsaacLab) =>
  urdfTarget(robot.urdf, model, manifest({ joints: [...joints], observation: { terms: [{ term: 'joint_pos_rel' }] }, action: { type: 'joint_position', scale: 0.25 }, provenance }), 200).warnings.filter((w) => w.includes('ISAACLAB_JOINT_ORDER'));

describe('inspect --urdf: a from-isaaclab manifest in the URDF file order', () => {
  it("warns, giving Isaac Lab's breadth-first order, and says nothing for that order or another importer's manifest", () => {
    expect(robot.sdkJoints).toEqual(VENDOR_SDK_JOINTS);
    const w = warningsFor(VENDOR_SDK_JOINTS);
    expect(w).toHaveLength(1);
    expect(w[0]).toContain("ISAACLAB_JOINT_ORDER: manifest.json#/joints: are in the URDF's file order, and the manifest is from an Isaac Lab env.yaml (axon manifest from-isaaclab logs/rsl_rl/g1/params/env.yaml)");
    expect(w[0]).toContain(`breadth-first one, likely ${VENDOR_MODEL_JOINTS.join(', ')}; check it with env.scene["robot"].joint_names`);
    // Nothing for Isaac Lab's order, or for a manifest from another importer.
    expect(warningsFor(VENDOR_MODEL_JOINTS)).toEqual([]);
    expect(warningsFor(VENDOR_SDK_JOINTS, { command: 'axon manifest from-deploy deploy.yaml' })).toEqual([]);
  });
});

describe('inspect --urdf: a from-isaaclab manifest on a robot whose only IMU is behind a joint', () => {
  // The vendor humanoid without its pelvis IMU: imu_in_torso, behind the waist joints, is left (an H1's imu_link on torso_link).
  const torso = join(dir, 'torso.urdf');
  writeFileSync(torso, readFileSync(robot.urdf, 'utf8').replace(/\s*<link name="imu_in_pelvis">\s*<\/link>/, '').replace(/\s*<joint name="imu_in_pelvis_joint"[\s\S]*?<\/joint>/, ''));
  const torsoModel = loadUrdf(torso, { collisionMeshes: 'optional', packagePaths: [dir] });
  const terms = [{ term: 'base_ang_vel' as const, scale: 0.2 }, { term: 'projected_gravity' as const }, { term: 'joint_pos_rel' as const }];
  const imuWarnings = (t: typeof terms | { term: 'base_ang_vel' | 'projected_gravity' | 'joint_pos_rel'; link?: string }[], provenance = fromIsaacLab) =>
    urdfTarget(torso, torsoModel, manifest({ joints: [...VENDOR_MODEL_JOINTS], observation: { terms: t }, action: { type: 'joint_position', scale: 0.25 }, provenance }), 200).warnings.filter((w) => w.includes('ISAACLAB_IMU_LINK'));

  it('warns, naming the terms, the joint and the root link to read them in; not once the terms name the root', () => {
    expect(torsoModel.linkByName.has('imu_in_pelvis')).toBe(false);
    const w = imuWarnings(terms);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^ISAACLAB_IMU_LINK: manifest\.json#\/observation\/terms: base_ang_vel \(\/observation\/terms\/0\), projected_gravity \(\/observation\/terms\/1\) would be read in IMU link imu_in_torso, behind joint waist_pitch_joint; .*root_ang_vel_b, projected_gravity_b\): set each term's "link" to "pelvis"/);
    expect(imuWarnings(terms.map((t) => (t.term === 'joint_pos_rel' ? t : { ...t, link: 'pelvis' })))).toEqual([]);
    expect(imuWarnings(terms, { command: 'axon manifest from-deploy deploy.yaml' })).toEqual([]);
  });
});


describe('manifest from-isaaclab --urdf (R21 F7, fixed at import)', () => {
  // The G1 env.yaml's 15 joints, in Isaac Lab's order; all are joints of the vendor humanoid.
  const g1Joints = ['left_hip_pitch_joint', 'right_hip_pitch_joint', 'waist_yaw_joint', 'left_hip_roll_joint', 'right_hip_roll_joint', 'left_shoulder_pitch_joint', 'right_shoulder_pitch_joint', 'left_hip_yaw_joint', 'right_hip_yaw_joint', 'left_knee_joint', 'right_knee_joint', 'left_ankle_pitch_joint', 'right_ankle_pitch_joint', 'left_ankle_roll_joint', 'right_ankle_roll_joint'];
  const torso = join(dir, 'torso-only.urdf');
  writeFileSync(torso, readFileSync(robot.urdf, 'utf8').replace(/\s*<link name="imu_in_pelvis">\s*<\/link>/, '').replace(/\s*<joint name="imu_in_pelvis_joint"[\s\S]*?<\/joint>/, ''));

  it("writes imu_link as the URDF's root, so the IMU terms are read where Isaac Lab read them (no warning left); --robot defaults to the URDF's name", () => {
    const out = join(dir, 'from-isaaclab', 'manifest.json');
    const r = runAxon(['manifest', 'from-isaaclab', 'tests/fixtures/isaaclab-g1-env.yaml', '--joints', g1Joints.join(','), '--urdf', torso, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(out, 'utf8'));
    const torsoModel = loadUrdf(torso, { collisionMeshes: 'optional', packagePaths: [dir] });
    expect(m.imu_link).toBe(torsoModel.root);
    expect(m.robot).toBe(torsoModel.name);
    expect(m.observation.terms.map((t: { term: string }) => t.term)).toContain('projected_gravity');
    expect(urdfTarget(torso, torsoModel, m, 200).warnings.filter((w) => w.includes('ISAACLAB_IMU_LINK'))).toEqual([]);
    // Without --urdf the manifest names no IMU link, and the same robot gets the warning.
    const bare = runAxon(['manifest', 'from-isaaclab', 'tests/fixtures/isaaclab-g1-env.yaml', '--joints', g1Joints.join(',')]);
    expect(bare.code, bare.stderr).toBe(0);
    const mb = JSON.parse(bare.stdout);
    expect(mb.imu_link).toBeUndefined();
    expect(urdfTarget(torso, torsoModel, mb, 200).warnings.filter((w) => w.includes('ISAACLAB_IMU_LINK'))).toHaveLength(1);
  }, 120_000);

  it('refuses --joints naming a joint the URDF does not have (exit 2), naming it and listing the URDF\'s', () => {
    const joints = g1Joints.map((n) => (n === 'left_knee_joint' ? 'left_knee' : n));
    const r = runAxon(['manifest', 'from-isaaclab', 'tests/fixtures/isaaclab-g1-env.yaml', '--joints', joints.join(','), '--urdf', torso]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--joints');
    expect(r.stderr).toContain('"left_knee", not a moving joint of torso-only.urdf');
    expect(r.stderr).toContain('left_knee_joint');
    expect(r.stdout).toBe('');
  }, 120_000);
});
