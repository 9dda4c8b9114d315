/**
 * unitreerobotics/unitree_rl_mjlab's deploy files (tests/fixtures/unitree-rl-mjlab/, copies as forks hold
 * them) through from-deploy's importer, with the metadata_props its runner attaches to policy.onnx:
 * the gait clock as its C++ controller reads it (two steps in on the first policy step, zero while the
 * command asks to stand), and the files compared with the training's own description.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { manifestFromDeploy, parseDeployYaml } from '../../../../src/model/importers/deploy.ts';
import { observationSize } from '../../../../src/model/manifest.ts';
import { G1_JOINTS, mjlabEntries } from '../../../helpers/mjlabMetadata.ts';
import { GO2_MJCF_JOINTS, GO2_SDK_JOINTS, unitreeG1Metadata, unitreeGo2Metadata } from '../../../helpers/unitreeMjlab.ts';

const fixture = (name: string) => parseDeployYaml(readFileSync(`tests/fixtures/unitree-rl-mjlab/${name}`, 'utf8'), name).cfg;
const opts = (sdkJoints: readonly string[], meta?: Record<string, unknown>) => ({
  sdkJoints,
  sdkSource: '--sdk-joints',
  name: 'p',
  robot: 'unknown',
  onnx: { file: 'policy.onnx', input: 'obs', output: 'actions' },
  ...(meta ? { mjlabMetadata: mjlabEntries(meta as Parameters<typeof mjlabEntries>[0]) } : {}),
});

describe('from-deploy on unitree_rl_mjlab\'s deploy files', () => {
  it('reads the Go2 gait clock as unitree_rl_mjlab\'s controller does when policy.onnx carries mjlab\'s metadata: count_from 2, zero below ‖command‖ 0.1', () => {
    const { manifest: m, notes, differences } = manifestFromDeploy(fixture('go2-phase-deploy.yaml'), opts(GO2_SDK_JOINTS, unitreeGo2Metadata(true)), 'deploy.yaml');
    // joint_ids_map [3,4,5,0,1,2,...,] (trailing comma) turns the SDK order FR, FL, RR, RL into go2.xml's FL, FR, RL, RR.
    expect(m.joints).toEqual(GO2_MJCF_JOINTS);
    expect(m.default_joint_pos!.slice(0, 6)).toEqual([-0.1, 0.9, -1.8, 0.1, 0.9, -1.8]); // go2_constants.py: L hips -0.1, R hips +0.1
    expect(m.observation.terms.map((t) => t.term)).toEqual(['base_ang_vel', 'projected_gravity', 'velocity_commands', 'gait_phase', 'joint_pos_rel', 'joint_vel_rel', 'last_action']);
    expect(m.observation.terms[3]).toEqual({ term: 'gait_phase', scale: 1, period: 0.6, count_from: 2, stand_below: 0.1 });
    expect(observationSize(m)).toBe(47);
    expect(m.action).toEqual({ type: 'joint_position', scale: 0.25 });
    expect(m.pd).toEqual({ kp: [20, 20, 40, 20, 20, 40, 20, 20, 40, 20, 20, 40], kd: [1, 1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 2] });
    expect(notes).toContain("deploy.yaml: observations.gait_phase: zero while ‖command‖ < 0.1 (stand_below 0.1), as unitree_rl_mjlab's controller and its training's phase term have it (policy.onnx carries mjlab's metadata_props)");
    // The deploy file and the training agree on the Go2: nothing to warn about.
    expect(differences).toBeUndefined();
  });

  it('without mjlab\'s metadata the file cannot say which controller reads it: no gate, and a note saying how to add it', () => {
    const { manifest: m, notes } = manifestFromDeploy(fixture('go2-phase-deploy.yaml'), opts(GO2_SDK_JOINTS), 'deploy.yaml');
    expect(m.observation.terms[3]).toEqual({ term: 'gait_phase', scale: 1, period: 0.6, count_from: 2 });
    expect(notes.find((n) => n.includes('without a standing gate'))).toMatch(/set the term's "stand_below": 0.1$/);
  });

  it('says where the G1 file and its training disagree: waist_yaw_joint\'s action scale 0.35 against 0.548, the wrists\' 0.07 against 0.075', () => {
    const { manifest: m, differences } = manifestFromDeploy(fixture('g1-deploy.yaml'), opts(G1_JOINTS, unitreeG1Metadata(false)), 'deploy.yaml');
    expect(m.joints).toEqual(G1_JOINTS); // identity joint_ids_map: g1.xml lists the joints in motor order
    // The manifest keeps what the vendor's controller applies.
    expect((m.action.scale as number[])[12]).toBe(0.35);
    // The G1 23-dof leaves its last motor slots empty: a list one short (a trailing comma is dropped) is refused saying how to write them.
    expect(() => manifestFromDeploy(fixture('g1-deploy.yaml'), opts(G1_JOINTS.slice(0, 28)), 'deploy.yaml')).toThrow(
      "--sdk-joints: names 28 SDK slots, but deploy.yaml's joint_ids_map reaches motor 28 and its stiffness has 29 motor slots (expected 29 joint names in the robot's SDK (motor) order, one per slot (an empty entry for a slot without a joint: a,,b; empty slots at the end need one comma more, a,b,,, for two, as one trailing comma is dropped))",
    );
    expect(differences).toEqual([
      "policy.onnx metadata_props (the training's) and deploy.yaml (what unitree_rl_mjlab's controller applies; the manifest has these) differ in action scale of 5 joint(s): waist_yaw_joint 0.35 vs 0.548, left_wrist_pitch_joint 0.07 vs 0.075, left_wrist_yaw_joint 0.07 vs 0.075, right_wrist_pitch_joint 0.07 vs 0.075, right_wrist_yaw_joint 0.07 vs 0.075",
    ]);
  });

  it('names a gait clock the training has and the file lacks, and gains the file changed (the H1_2 fork\'s leg gains, in flow lists with comments)', () => {
    const g1Phase = manifestFromDeploy(fixture('g1-deploy.yaml'), opts(G1_JOINTS, unitreeG1Metadata(true)), 'deploy.yaml');
    expect(g1Phase.differences?.find((d) => d.includes('observation terms'))).toContain(
      "list different observation terms: the training's base_ang_vel, projected_gravity, command, phase, joint_pos, joint_vel, actions (base_ang_vel, projected_gravity, velocity_commands, gait_phase, joint_pos_rel, joint_vel, last_action), the deploy.yaml's base_ang_vel, projected_gravity, velocity_commands, joint_pos_rel, joint_vel_rel, last_action",
    );
    const h12 = ['left', 'right'].flatMap((s) => ['hip_yaw', 'hip_pitch', 'hip_roll', 'knee', 'ankle_pitch', 'ankle_roll'].map((j) => `${s}_${j}_joint`));
    const arms = ['left', 'right'].flatMap((s) => ['shoulder_pitch', 'shoulder_roll', 'shoulder_yaw', 'elbow', 'wrist_roll', 'wrist_pitch', 'wrist_yaw'].map((j) => `${s}_${j}_joint`));
    const joints = [...h12, 'torso_joint', ...arms];
    const gains = (j: string) => (/hip|torso/.test(j) ? [98.7, 6.3] : /knee/.test(j) ? [157.7, 10.1] : /ankle|shoulder_pitch|shoulder_roll/.test(j) ? [19.7, 1.3] : [7.9, 0.5]);
    const meta = { joint_names: joints, joint_stiffness: joints.map((j) => gains(j)[0]), joint_damping: joints.map((j) => gains(j)[1]), default_joint_pos: joints.map(() => 0), observation_names: ['base_ang_vel', 'projected_gravity', 'command', 'joint_pos', 'joint_vel', 'actions'], action_scale: 0.5 };
    const { manifest: m, differences } = manifestFromDeploy(fixture('h1_2-deploy.yaml'), opts(joints, meta), 'deploy.yaml');
    expect(m.pd!.kp.slice(0, 6)).toEqual([135, 167, 165, 278, 30, 30]); // the active list, not the commented-out one
    expect(differences!.find((d) => d.includes(' kp '))).toMatch(/differ in kp of 12 joint\(s\): left_hip_yaw_joint 135 vs 98\.7, left_hip_pitch_joint 167 vs 98\.7, .*, \.\.\.$/);
    expect(differences!.find((d) => d.includes('default_joint_pos'))).toMatch(/of 10 joint\(s\): left_hip_pitch_joint -0\.2 vs 0,/);
  });

  it('says when the training lists the joints in another order than joint_ids_map gives them', () => {
    const meta = unitreeGo2Metadata(true);
    const swapped = { ...meta, joint_names: GO2_SDK_JOINTS }; // as if joint_ids_map were wrong for this MJCF
    const { differences } = manifestFromDeploy(fixture('go2-phase-deploy.yaml'), opts(GO2_SDK_JOINTS, swapped), 'deploy.yaml');
    expect(differences![0]).toMatch(/list the joints in different orders \(the policy's is the metadata's, FR_hip_joint, FR_thigh_joint, FR_calf_joint, FL_hip_joint, \.\.\.; joint_ids_map and the SDK order give FL_hip_joint, .*\): check joint_ids_map$/);
  });
});
