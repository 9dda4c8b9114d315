import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { linearPolicy } from '../helpers/onnxFixtures.ts';
import type { ModelManifest } from '../../src/model/manifest.ts';
import { createMujocoShippedRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { createSessionRobot } from '../../sim/session/index.ts';
import { createSimRobot, createTask, robotModel, Rng } from '../../sim/index.ts';
import { isRandomizable, randomize } from '../../sim/robots/index.ts';
import { ArmReachController, ARM_JOINTS } from '../../sim/robots/arm.ts';
import type { ReachTask } from '../../sim/tasks/arm.ts';
import type { SimulatedRobot } from '../../src/core/robot.ts';

/** Issue 20: the shipped arm in MuJoCo (through MuJoCo's URDF compiler), with its per-episode target and its reach task. */

function reach(robot: SimulatedRobot, seed: number): { success: boolean; distance: number } {
  const task = createTask('arm') as ReachTask;
  const ctl = new ArmReachController(robotModel('arm'), robot.spec.joints);
  robot.reset(seed);
  let obs = robot.observe();
  task.reset(obs);
  ctl.reset(obs);
  const cmd = { mode: 'position' as const, target: new Float64Array(6) };
  for (let k = 0; k < task.episodeS / 0.02; k++) {
    cmd.target.set(ctl.act(obs));
    robot.command(cmd);
    robot.step(0.02);
    obs = robot.observe();
    task.step(obs, 0.02);
  }
  return { success: task.success, distance: task.distance };
}

describe('the arm in MuJoCo', () => {
  it('same joints, limits and gains as cannon-es; the tool frame at the same place; the same target per seed in both engines', async () => {
    const mj = await createMujocoShippedRobot('arm');
    const cannon = createSimRobot('arm');
    expect(mj.spec.joints).toEqual(cannon.spec.joints);
    expect(Array.from(mj.observe().extras.ee_pos).map((v) => +v.toFixed(4))).toEqual([0.38, 0, 0.44]);
    for (const seed of [0, 1, 7]) {
      mj.reset(seed);
      cannon.reset(seed);
      expect(Array.from(mj.observe().extras.target_pos)).toEqual(Array.from(cannon.observe().extras.target_pos));
    }
    // The target is the robot's, not the randomizer's: a randomizer set later (as `axon bridge --randomize` does) keeps it.
    mj.setRandomizer((r, s) => void randomize(r, new Rng(s)));
    mj.reset(1);
    cannon.reset(1);
    expect(Array.from(mj.observe().extras.target_pos)).toEqual(Array.from(cannon.observe().extras.target_pos));
    mj.dispose();
  });

  it('randomize (typed on RandomizableRobot, no casts) draws the same episode in both engines', async () => {
    const mj = await createSessionRobot('arm', 'mujoco');
    const cannon = createSimRobot('arm');
    expect(isRandomizable(mj)).toBe(true);
    mj.reset(3);
    cannon.reset(3);
    const a = randomize(mj, new Rng(3));
    const b = randomize(cannon, new Rng(3));
    expect(a).toEqual(b);
    expect(mj.observe().jointPosition[1]).toBeCloseTo(a['q0_offset.shoulder'], 6);
    await mj.close();
  });

  it('reach task: the scripted IK controller succeeds in MuJoCo as in cannon-es', async () => {
    const mj = await createSessionRobot('arm', 'mujoco', { physicsDt: 0.002 });
    const seeds = [1, 2, 3, 4];
    const results = seeds.map((s) => reach(mj, s));
    console.log(`arm reach in MuJoCo: ${results.filter((r) => r.success).length}/${seeds.length}, final distance max ${(Math.max(...results.map((r) => r.distance)) * 1000).toFixed(2)} mm`);
    expect(results.filter((r) => r.success).length).toBeGreaterThanOrEqual(3);
    await mj.close();
  });

  it('axon eval --robot arm --physics mujoco runs its reach task under a policy, with the return cannon-es gives', () => {
    // No shipped policy fits the arm (models/arm6-pose is for arm6-xm430): a pose-holding linear policy written here.
    const manifest = { schema: 'axon.model/1', name: 'arm-pose-fixture', kind: 'policy', robot: 'arm', joints: [...ARM_JOINTS], control_hz: 50, onnx: { file: 'model.onnx', input: 'obs', output: 'action' }, observation: { terms: [{ term: 'joint_pos' }] }, action: { type: 'joint_position', scale: 1, clip: 1 } } as unknown as ModelManifest;
    const dir = linearPolicy(manifest, 6, 6, new Float32Array(36), new Float32Array([0.3, 0.4, -0.5, 0, 0.3, 0]));
    try {
      const out = (['cannon', 'mujoco'] as const).map((physics) => {
        const r = spawnSync(process.execPath, ['bin/axon.js', 'eval', '--robot', 'arm', '--policy', dir, '--episodes', '2', '--physics', physics, '--json'], { encoding: 'utf8', timeout: 120_000 });
        expect(r.status, r.stderr).toBe(0);
        return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      });
      expect(out[1]).toMatchObject({ command: 'eval', robot: 'arm', episodes: 2, mean_steps: 250, physics: 'mujoco' });
      // The same targets and the same held pose: the reach return (−distance·time) agrees within 1%.
      expect(out[1].mean_return).toBeLessThan(-0.5);
      expect(Math.abs(out[1].mean_return - out[0].mean_return)).toBeLessThan(0.01 * Math.abs(out[0].mean_return));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
