import { describe, expect, it } from 'vitest';
import { createCommand } from '../../src/core/robot.ts';
import { loadModelFolder } from '../../src/model/manifest.ts';
import { ObservationBuilder } from '../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../src/model/ActionMapper.ts';
import { OnnxWorldModel, wrapAngle } from '../../src/worldmodel/OnnxWorldModel.ts';
import { createSimRobot } from '../../sim/index.ts';

/** The shipped world models predict axon's own simulator one tick ahead within a few held-out error stds. */
describe.each([
  ['models/pendulum-wm', 'pendulum', [2.5, 1.0], [0.7]],
  ['models/cartpole-wm', 'cartpole', [0.3, 0.05, -0.2, 0.3], [-0.5]],
])('%s', (dir, robotName, q, action) => {
  it('loads, and its one-step prediction matches the sim', async () => {
    const folder = loadModelFolder(dir);
    const m = folder.manifest;
    expect(m.kind).toBe('world-model');
    expect(m.provenance?.eval).toHaveProperty('one_step_rms');
    const wm = await OnnxWorldModel.load(folder, { maxBatch: 4 });
    const robot = createSimRobot(robotName);
    const n = robot.spec.joints.length;
    robot.setEpisodeInitialState(q.slice(0, n), q.slice(n));
    robot.reset();
    const builder = new ObservationBuilder(m, robot.spec);
    const mapper = new ActionMapper(m, robot.spec);
    const s = Float32Array.from(builder.build(robot.observe(), mapper.clipped));
    const cmd = createCommand(robot.spec, mapper.mode);
    mapper.map(Float32Array.from(action), cmd);
    robot.command(cmd);
    robot.step(1 / m.control_hz);
    const truth = builder.build(robot.observe(), mapper.clipped);
    const p = await wm.predict(s, Float32Array.from(action), 1);
    for (let i = 0; i < s.length; i++) {
      const e = wm.isAngle[i] ? wrapAngle(p.nextStates[i] - truth[i]) : p.nextStates[i] - truth[i];
      expect(Math.abs(e)).toBeLessThan(6 * wm.errorStd[i] + 1e-3);
    }
    await wm.close();
  });
});
