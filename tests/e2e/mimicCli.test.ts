/**
 * URDF <mimic> through the CLI, on the Franka hand and the Robotiq 2F-85 as vendors ship them:
 * `describe` marks the followers, `sim --urdf F --json` runs both engines with the followers coupled
 * (one URDF_MIMIC note, and the summary's episode.mimic_error), a policy
 * that commands only the leader closes the whole gripper, and `inspect` / `sim` say when a
 * manifest commands a follower (SIM_MIMIC_ACTION).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { axon } from '../helpers/cli.ts';
import { closePolicy } from '../helpers/gripperClose.ts';
import { writeFrankaHand, writeRobotiq2f85 } from '../helpers/vendorGrippers.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-mimic-cli-'));
const franka = writeFrankaHand(dir);
const robotiq = writeRobotiq2f85(dir);

type Summary = { episode: { success: boolean; pose_offset: { max: number }; mimic_error?: { max: number; final: number; joint: string } }; safety: { state: string } };

describe('axon describe / sim on mimic grippers', () => {
  it('describe marks the followers and their leader', () => {
    const r = axon('describe', robotiq);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('6 actuated (5 follow another: <mimic>)');
    expect(r.stdout).toContain('right_inner_finger_joint revolute [-0.8757, 0] effort 1000 (mimic: follows finger_joint, q = -1·q + 0; not driven)');
    expect(r.stdout.match(/\(mimic: follows finger_joint, q = -?1·q \+ 0; not driven\)/g)).toHaveLength(5);
  });

  for (const physics of ['cannon', 'mujoco'] as const)
    it(`sim --urdf --json in ${physics}: exit 0, URDF_MIMIC noted, followers held on their leader (episode.mimic_error)`, () => {
      for (const file of [franka, robotiq]) {
        const r = axon('sim', '--urdf', file, '--duration', '1', '--fast', '--json', '--physics', physics);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr.match(/note URDF_MIMIC: .*: follows .*: moved by it, not commanded/g)).toHaveLength(1);
        const s = JSON.parse(r.lastLine) as Summary;
        expect(s.episode.success).toBe(true);
        expect(s.episode.mimic_error!.max).toBeLessThan(1e-4);
      }
    });

  for (const physics of ['cannon', 'mujoco'] as const)
    it(`a policy that commands only finger_joint closes the whole Robotiq in ${physics} (followers within 5e-3 rad)`, () => {
      const policy = closePolicy(['finger_joint'], [0.8], 100);
      const r = axon('sim', '--urdf', robotiq, '--policy', policy, '--duration', '1', '--fast', '--json', '--physics', physics, '--physics-hz', '200');
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.lastLine) as Summary;
      if (process.env.AXON_PRINT) console.log(JSON.stringify({ physics, episode: s.episode }));
      expect(s.episode.pose_offset.max).toBeGreaterThan(0.79); // it closed
      expect(s.episode.mimic_error!.max).toBeLessThan(5e-3);
      expect(s.safety.state).toBe('running');
    });
});

describe('a manifest that commands a follower (an Isaac Lab Franka policy drives both fingers)', () => {
  const policy = closePolicy(['panda_finger_joint1', 'panda_finger_joint2'], [-0.04, -0.04], 1000);

  it('inspect: fits, with a SIM_MIMIC_ACTION warning naming the follower and its leader', () => {
    const r = axon('inspect', policy, '--urdf', franka, '--physics-hz', '200');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('warning: SIM_MIMIC_ACTION: manifest.json#/joints/1: panda_finger_joint2 follows panda_finger_joint1 (coupled, q = 1·q(panda_finger_joint1) + 0): the robot ignores its action and moves it with panda_finger_joint1');
  });

  it('sim: runs, says so once (SIM_MIMIC_ACTION), and the follower closes with its leader', () => {
    const r = axon('sim', '--urdf', franka, '--init-pose', 'panda_finger_joint1=0.04,panda_finger_joint2=0.04', '--policy', policy, '--duration', '1', '--fast', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/SIM_MIMIC_ACTION/g)).toHaveLength(1);
    const s = JSON.parse(r.lastLine) as Summary;
    expect(s.episode.pose_offset.max).toBeGreaterThan(0.039);
    expect(s.episode.mimic_error!.max).toBeLessThan(1e-4);
  });
});

describe('a manifest that commands only a follower (panda_finger_joint2 alone: the gripper would never move)', () => {
  const policy = closePolicy(['panda_finger_joint2'], [-0.04], 1000);
  const line = 'manifest.json#/joints/0: model panda_finger_joint2 driven | robot the policy cannot move panda_finger_joint2: it follows panda_finger_joint1 (coupled to it), which the policy does not drive';

  it('inspect: does not fit, naming the follower and its leader (not the harmless SIM_MIMIC_ACTION warning)', () => {
    const r = axon('inspect', policy, '--urdf', franka, '--physics-hz', '200');
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('the policy cannot move panda_finger_joint2: it follows panda_finger_joint1 (coupled to it), which the policy does not drive');
    expect(r.stdout + r.stderr).not.toContain('SIM_MIMIC_ACTION');
  });

  for (const physics of ['cannon', 'mujoco'] as const)
    it(`sim in ${physics}: refused (MODEL_ROBOT_MISMATCH) before the run, not a success with the gripper still`, () => {
      const r = axon('sim', '--urdf', franka, '--init-pose', 'panda_finger_joint1=0.04', '--policy', policy, '--duration', '1', '--fast', '--json', '--physics', physics);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('MODEL_ROBOT_MISMATCH');
      expect(r.stderr).toContain(line);
      expect(r.stderr).not.toContain('SIM_MIMIC_ACTION');
    });
});
