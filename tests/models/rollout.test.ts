/**
 * Training rollouts run the runtime's stages: the shipped cartpole policy, as the MLP training
 * optimises (its weights read back from model.onnx) in a Rollout, commands the robot as the same
 * policy does through the session's ControlLoop (onnxruntime), tick for tick from the same state.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSimRobot, createTask } from '../../sim/index.ts';
import { openSession } from '../../src/session/index.ts';
import { SimClock } from '../../src/clock/SimClock.ts';
import { loadModelFolder, observationSize, actionSize } from '../../src/model/manifest.ts';
import { Rng } from '../../src/core/rng.ts';
import { Mlp } from '../../models/train/mlp.ts';
import { readMlpWeights } from '../../models/train/onnx/readMlp.ts';
import { Rollout } from '../../models/train/rollout.ts';
import type { JointCommand } from '../../src/core/robot.ts';

const POLICY = 'models/cartpole-balance';
const TICKS = 100;

describe('Rollout (models/train)', () => {
  it('commands the robot as the session loop does with the same policy, tick for tick', async () => {
    const folder = loadModelFolder(POLICY);
    const m = folder.manifest;
    const mlp = new Mlp([observationSize(m), 16, actionSize(m)], 'tanh', 'tanh', new Rng(1));
    readMlpWeights(readFileSync(folder.onnxPath), mlp, folder.onnxPath);

    // Training's path: the stages from the session builder, run synchronously.
    const trainRobot = createSimRobot('cartpole', { randomize: { angle: 0.05 }, seed: 3 });
    const trained: number[] = [];
    const command = trainRobot.command.bind(trainRobot);
    trainRobot.command = (c: JointCommand) => {
      trained.push(c.target[0]);
      command(c);
    };
    const rollout = await Rollout.open(trainRobot, createTask('cartpole'), m);
    const r = rollout.run(mlp, TICKS);
    await rollout.close();

    // The runtime's path: the session's ControlLoop with onnxruntime, same start.
    const runRobot = createSimRobot('cartpole', { randomize: { angle: 0.05 }, seed: 3 });
    const s = await openSession(runRobot, { policy: POLICY });
    const ran: number[] = [];
    try {
      const { loop } = s.loop({ clock: new SimClock(s.period, (dt) => runRobot.step(dt)), maxTicks: TICKS });
      loop.records$.subscribe((rec) => ran.push(rec.sent.target[0]));
      await loop.run();
    } finally {
      await s.close();
    }

    expect(r.steps).toBe(TICKS);
    expect(ran).toHaveLength(TICKS);
    expect(trained).toHaveLength(TICKS);
    expect(Math.max(...trained.map(Math.abs))).toBeGreaterThan(1); // the policy pushed: not a run of zeros
    // The same stages: only the float32 forward passes (TS vs onnxruntime) differ.
    for (let k = 0; k < TICKS; k++) expect(trained[k]).toBeCloseTo(ran[k], 3);
  });
});
