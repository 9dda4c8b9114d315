import { describe, expect, it } from 'vitest';
import { axon } from '../../helpers/cli.ts';


describe('axon --world-model', () => {
  it('plans without a policy and reports the world-model stage', () => {
    const r = axon('sim', '--robot', 'pendulum', '--world-model', 'models/pendulum-wm', '--wm-mode', 'plan', '--samples', '32', '--duration', '1', '--fast', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.lastLine);
    expect(s).toMatchObject({ command: 'sim', robot: 'pendulum', ticks: 50, world_model: { mode: 'plan' } });
    expect(s.loop.stage_us.world_model.p50).toBeGreaterThan(0);
  });

  it.each([
    [['sim', '--robot', 'pendulum', '--wm-mode', 'plan', '--duration', '1'], '--wm-mode', '--world-model'],
    [['sim', '--robot', 'pendulum', '--duration', '1'], '--policy', 'required'],
    [['sim', '--robot', 'cartpole', '--world-model', 'models/cartpole-wm', '--wm-mode', 'shield'], '--policy', 'only --wm-mode plan'],
    [['sim', '--robot', 'cartpole', '--world-model', 'models/pendulum-wm', '--wm-mode', 'plan'], 'joints', 'slider'],
    [['sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--world-model', 'models/cartpole-balance'], 'kind', 'world-model'],
    [['eval', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--fault', 'banana'], '--fault', 'KIND:FACTOR@SECONDS'],
    [['eval', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--world-model', 'models/cartpole-wm', '--wm-mode', 'dream'], '--wm-mode', 'plan'],
  ])('refuses %j with one line naming the problem, exit code 2', (args, what, expected) => {
    const r = axon(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(what);
    expect(r.stderr).toContain(expected);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
