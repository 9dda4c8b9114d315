/** The session builder: robot-agnostic, owns the robot from the call on, the same loop parts for every robot. */
import { describe, expect, it } from 'vitest';
import { createSimRobot, createTask } from '../../../sim/index.ts';
import { openSimSession } from '../../../sim/session/index.ts';
import { openSession } from '../../../src/session/index.ts';
import { SimClock } from '../../../src/clock/SimClock.ts';
import { ShieldHook } from '../../../src/worldmodel/ShieldHook.ts';
import { AxonError } from '../../../src/core/errors.ts';

describe('openSession', () => {
  it('refuses a model that does not fit with the robot closed', async () => {
    const robot = createSimRobot('pendulum');
    let closed = false;
    const close = robot.close.bind(robot);
    robot.close = async () => {
      closed = true;
      await close();
    };
    await expect(openSession(robot, { policy: 'models/cartpole-balance' })).rejects.toBeInstanceOf(AxonError);
    expect(closed).toBe(true);
  });

  it('builds policy, shield, task and command for any Robot; each loop gets its own supervisor and hook', async () => {
    const robot = createSimRobot('cartpole');
    const s = await openSession(robot, { policy: 'models/cartpole-balance', worldModel: { dir: 'models/cartpole-wm', mode: 'shield' }, actionNoise: 0.3, task: createTask('cartpole') });
    try {
      expect(s.period).toBeCloseTo(0.02);
      expect(s.task?.name).toBeDefined();
      const clock = new SimClock(s.period, (dt) => robot.step(dt));
      const a = s.loop({ clock, maxTicks: 10, seed: 3 });
      const b = s.loop({ clock, maxTicks: 10, seed: 3 });
      expect(a.hook).toBeInstanceOf(ShieldHook);
      expect(a.hook).not.toBe(b.hook);
      expect(a.safety).not.toBe(b.safety);
      expect(a.traced?.mode).toBe('shield');
      const r = await a.loop.run();
      expect(r.ticks).toBe(10);
      expect(s.worldModelResult(a.hook)).toMatchObject({ mode: 'shield' });
    } finally {
      await s.close();
    }
  });

  it('a simulated session runs the same episode twice from its seed', async () => {
    const s = await openSimSession({ robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 500, actionNoise: 0.2 });
    try {
      const one = await s.runEpisode({ seed: 5, randomize: true, durationS: 1 });
      const two = await s.runEpisode({ seed: 5, randomize: true, durationS: 1 });
      expect(two.episodeReturn).toBe(one.episodeReturn);
      expect(two.randomization).toEqual(one.randomization);
      expect(one.steps).toBe(50);
    } finally {
      await s.close();
    }
  });
});
