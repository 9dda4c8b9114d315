/**
 * World-model training collects its transitions through the session builder's loop
 * (models/train/worldmodel/dynamics.ts collect): the same data a hand-wired builder -> mapper ->
 * safety -> robot loop gives (the shipped world models stay reproducible), episodes end on the
 * plan's stop rule, and actions are the mapper's clipped ones.
 */
import { describe, expect, it } from 'vitest';
import { createSimRobot } from '../../sim/index.ts';
import { createCommand, type SimulatedRobot } from '../../src/core/robot.ts';
import { Rng } from '../../src/core/rng.ts';
import { ObservationBuilder } from '../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../src/model/ActionMapper.ts';
import { SafetySupervisor } from '../../src/safety/SafetySupervisor.ts';
import type { ModelManifest } from '../../src/model/manifest.ts';
import { collect, openCollectSession, type Controller, type Dataset, type EpisodePlan } from '../../models/train/worldmodel/dynamics.ts';
import { pendulumWmManifest } from '../../models/train/worldmodel/pendulum.ts';

const manifest = pendulumWmManifest(1) as ModelManifest;

/** Random torques up to 1.5 × the clip: some are clipped. */
const random = (rng: Rng): Controller => (_s, _k, out) => {
  out[0] = rng.uniform(-1.5, 1.5);
};
const init = (robot: SimulatedRobot, rng: Rng) => {
  const r = robot as unknown as { setEpisodeInitialState(p: number[], v: number[]): void; reset(): void };
  r.setEpisodeInitialState([rng.uniform(-3, 3)], [rng.uniform(-2, 2)]);
  r.reset();
};
const plans: EpisodePlan[] = [
  { seed: 11, ticks: 30, init, controller: random },
  { seed: 12, ticks: 40, init, controller: random, stop: (s) => Math.abs(s[1]) > 4 },
  { seed: 13, ticks: 25, init, controller: random },
];

/** The loop collection replaced, wired by hand: the reference the session's loop must equal. */
function handCollect(robot: SimulatedRobot, m: ModelManifest, ps: readonly EpisodePlan[]): Dataset {
  const S = 2, A = 1, period = 1 / m.control_hz;
  const builder = new ObservationBuilder(m, robot.spec);
  const mapper = new ActionMapper(m, robot.spec);
  const proposed = createCommand(robot.spec, mapper.mode), sent = createCommand(robot.spec, mapper.mode);
  const state = new Float32Array(S), raw = new Float32Array(A);
  const d: Dataset = { S, A, s: [], a: [], next: [], episodes: [] };
  for (const p of ps) {
    const rng = new Rng(p.seed);
    robot.reset(p.seed);
    p.init(robot, rng);
    const ctrl = p.controller(rng);
    const safety = new SafetySupervisor(robot.spec, period);
    builder.reset();
    mapper.reset();
    let obs = robot.observe();
    safety.arm(obs, 0);
    state.set(builder.build(obs, mapper.clipped));
    d.episodes.push(d.s.length / S);
    for (let k = 0; k < p.ticks; k++) {
      void ctrl(state, k, raw);
      mapper.map(raw, proposed);
      safety.check(proposed, obs, obs.time, k, sent);
      robot.command(sent);
      robot.step(period);
      obs = robot.observe();
      d.s.push(...state);
      d.a.push(...mapper.clipped);
      state.set(builder.build(obs, mapper.clipped));
      d.next.push(...state);
      if (p.stop?.(state)) break;
    }
  }
  d.episodes.push(d.s.length / S);
  return d;
}

describe('world-model data collection through the session builder', () => {
  it('gives, value for value, what the hand-wired builder -> mapper -> safety -> robot loop gives', async () => {
    const d = await collect(await openCollectSession(createSimRobot('pendulum'), manifest), plans);
    const ref = handCollect(createSimRobot('pendulum'), manifest, plans);
    expect(d.episodes).toEqual(ref.episodes);
    expect(d.s).toEqual(ref.s);
    expect(d.a).toEqual(ref.a);
    expect(d.next).toEqual(ref.next);
  });

  it('takes whole episodes: chained states, clipped actions, the stop rule ends an episode on the state it rejects', async () => {
    const d = await collect(await openCollectSession(createSimRobot('pendulum'), manifest), plans);
    const [e0, e1, e2, end] = d.episodes;
    expect(e1 - e0).toBe(30);
    expect(end - e2).toBe(25);
    // The stopped episode: shorter than planned, its last next state is the first one past the rule.
    const stopped = e2 - e1;
    expect(stopped).toBeGreaterThan(0);
    expect(stopped).toBeLessThan(40);
    expect(Math.abs(d.next[(e2 - 1) * 2 + 1])).toBeGreaterThan(4);
    for (let n = e1; n < e2 - 1; n++) expect(Math.abs(d.next[n * 2 + 1])).toBeLessThanOrEqual(4);
    // Within an episode, each next state is the following transition's state.
    for (let n = e0; n < e1 - 1; n++) expect([d.s[(n + 1) * 2], d.s[(n + 1) * 2 + 1]]).toEqual([d.next[n * 2], d.next[n * 2 + 1]]);
    expect(Math.max(...d.a.map(Math.abs))).toBe(1);
  });
});
