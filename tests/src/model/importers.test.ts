import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { manifestFromIsaacLab } from '../../../src/model/importers/isaaclab.ts';
import { manifestFromLeggedGym } from '../../../src/model/importers/leggedGym.ts';
import { observationSize } from '../../../src/model/manifest.ts';
import { ImportError } from '../../../src/model/importers/common.ts';

const joints = ['FL_hip_joint', 'FR_hip_joint', 'RL_hip_joint', 'RR_hip_joint', 'FL_thigh_joint', 'FR_thigh_joint', 'RL_thigh_joint', 'RR_thigh_joint', 'FL_calf_joint', 'FR_calf_joint', 'RL_calf_joint', 'RR_calf_joint'];
const isaac = () => parse(readFileSync('tests/fixtures/isaaclab-env.yaml', 'utf8'));
const legged = () => parse(readFileSync('tests/fixtures/legged-gym-config.yaml', 'utf8'));

describe('manifest from Isaac Lab env.yaml', () => {
  it('reads terms in order with scale, clip, noise, history; rates; default pose by pattern; relative joint position action', () => {
    const m = manifestFromIsaacLab(isaac(), { joints, name: 'go', robot: 'quadruped' });
    expect(m.control_hz).toBe(50);
    expect(m.decimation).toBe(4);
    expect(m.observation.terms.map((t) => t.term)).toEqual(['base_lin_vel', 'base_ang_vel', 'projected_gravity', 'velocity_commands', 'joint_pos_rel', 'joint_vel_rel', 'last_action']);
    expect(m.observation.terms[1]).toMatchObject({ scale: 0.25, noise: 0.2 });
    expect(m.observation.terms[4]).toMatchObject({ history: 3 });
    expect(m.observation.terms[5]).toMatchObject({ scale: 0.05, clip: 100 });
    expect(m.default_joint_pos).toEqual([0.1, -0.1, 0.1, -0.1, 0.8, 0.8, 1.0, 1.0, -1.5, -1.5, -1.5, -1.5]);
    expect(m.action).toEqual({ type: 'joint_position', scale: 0.25 });
    expect(observationSize(m)).toBe(3 + 3 + 3 + 3 + 36 + 12 + 12);
  });

  it('names the term it cannot compute', () => {
    const cfg = isaac();
    cfg.observations.policy.height_scan = { func: 'isaaclab.envs.mdp.observations:height_scan' };
    expect(() => manifestFromIsaacLab(cfg, { joints, name: 'x', robot: 'y' }, 'env.yaml')).toThrow(/observations\.policy\.height_scan\.func: is "isaaclab.envs.mdp.observations:height_scan"/);
    const noDt = isaac();
    delete noDt.sim.dt;
    expect(() => manifestFromIsaacLab(noDt, { joints, name: 'x', robot: 'y' }, 'env.yaml')).toThrow(ImportError);
  });
});

describe('manifest from a legged_gym config', () => {
  it('builds the fixed legged_gym observation with the config scales, clip and PD gains', () => {
    const m = manifestFromLeggedGym(legged(), { joints, name: 'a1', robot: 'quadruped' });
    expect(m.observation.terms.map((t) => [t.term, t.scale ?? 1])).toEqual([
      ['base_lin_vel', 2],
      ['base_ang_vel', 0.25],
      ['projected_gravity', 1],
      ['velocity_commands', [2, 2, 0.25]],
      ['joint_pos_rel', 1],
      ['joint_vel', 0.05],
      ['last_action', 1],
    ]);
    expect(observationSize(m)).toBe(48);
    expect(m.action).toEqual({ type: 'joint_position', scale: 0.25, clip: 100 });
    expect(m.pd!.kp).toEqual(new Array(12).fill(20));
    expect(m.default_joint_pos!.slice(0, 4)).toEqual([0.1, -0.1, 0.1, -0.1]);
    // the joints' order is the one given, never the dictionary's: default_joint_angles lists RL_hip_joint second
    expect(Object.keys(legged().init_state.default_joint_angles)[1]).toBe('RL_hip_joint');
    expect(m.joints[1]).toBe('FR_hip_joint');
    expect(m.default_joint_pos![1]).toBe(legged().init_state.default_joint_angles.FR_hip_joint);
  });

  it('requires the joint order and names a joint without a default angle', () => {
    expect(() => manifestFromLeggedGym(legged(), { joints: [], name: 'a1', robot: 'q' }, 'cfg.yaml')).toThrow(/--joints: is empty/);
    expect(() => manifestFromLeggedGym(legged(), { joints: [...joints.slice(0, 11), 'tail_joint'], name: 'a1', robot: 'q' }, 'cfg.yaml')).toThrow(/has no angle for joint "tail_joint"/);
  });

  it('refuses a policy that needs a height scan', () => {
    const cfg = legged();
    cfg.terrain.measure_heights = true;
    expect(() => manifestFromLeggedGym(cfg, { joints, name: 'a', robot: 'b' }, 'cfg.yaml')).toThrow(/terrain.measure_heights/);
  });
});
