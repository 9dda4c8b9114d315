import { describe, expect, it } from 'vitest';
import { makeObjective, humanoidManifest, main } from '../../models/train/humanoid.ts';
import { runEval } from '../../src/cli/evaluate.ts';
import { loadModelFolder, observationSize, actionSize } from '../../src/model/manifest.ts';
import { createSimRobot } from '../../sim/index.ts';
import { mapJoints } from '../../src/model/jointMap.ts';

describe('humanoid-balance', () => {
  it('ships a manifest with Isaac Lab style terms that fits the humanoid', () => {
    const folder = loadModelFolder('models/humanoid-balance');
    const m = folder.manifest;
    expect(m.observation.terms.map((t) => t.term)).toEqual(['base_ang_vel', 'projected_gravity', 'joint_pos_rel', 'joint_vel', 'last_action']);
    expect(m.action).toMatchObject({ type: 'joint_position', scale: 0.25 });
    expect(observationSize(m)).toBe(42);
    expect(actionSize(m)).toBe(12);
    expect(() => mapJoints(m.joints, createSimRobot('humanoid').spec, 'test')).not.toThrow();
    expect(m.joints).toEqual(humanoidManifest(1).joints);
  });

  it('stands for 5 s without pushes under the shipped policy', async () => {
    const s = await runEval({ robot: 'humanoid', policy: 'models/humanoid-balance', episodes: 1, seed: 3, randomize: false, durationS: 5, physicsHz: 500 });
    expect(s.success_rate).toBe(1);
    expect(s.mean_steps).toBe(250);
  });

  it('training rollouts are a pure function of (parameters, seed)', async () => {
    const f = await makeObjective(1, 0.4);
    const g = await makeObjective(1, 0.4);
    const p = new Float32Array(42 * 12 + 12).map((_, i) => 0.01 * Math.sin(i));
    expect(f(p, 11)).toBe(g(p, 11));
    expect(f(p, 11)).toBe(f(p, 11));
  });

  it('training rollouts in MuJoCo (--physics mujoco) are a pure function of (parameters, seed) too', async () => {
    const f = await makeObjective(1, 0.4, 'mujoco');
    const g = await makeObjective(1, 0.4, 'mujoco');
    const cannon = await makeObjective(1, 0.4);
    const p = new Float32Array(42 * 12 + 12).map((_, i) => 0.01 * Math.sin(i));
    expect(f(p, 11)).toBe(g(p, 11));
    expect(f(p, 11)).toBe(f(p, 11));
    expect(f(p, 11)).not.toBe(cannon(p, 11));
    expect(f(p, 11)).toBeGreaterThan(0);
  });

  it('the training script refuses an unknown --physics before training, naming the flag and the engines', async () => {
    await expect(main(['--physics', 'MuJoCo', '--out', '/nonexistent/never-written'])).rejects.toThrow('--physics: unknown physics engine "MuJoCo" (expected one of cannon, mujoco)');
    await expect(main(['--workers', 'two', '--out', '/nonexistent/never-written'])).rejects.toThrow('--workers: "two" is not a whole number from 0');
  });
});
