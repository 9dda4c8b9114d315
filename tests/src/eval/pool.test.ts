import { describe, expect, it } from 'vitest';
import { runPool } from '../../../src/eval/pool.ts';
import { sessions } from '../../../sim/session/index.ts';
import { shardIndices, summarize } from '../../../src/eval/episodes.ts';
import type { EpisodeOutcome, EvalSpec } from '../../../src/eval/types.ts';

const spec: EvalSpec = { session: { robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 500 }, randomize: true, durationS: 2, seed: 11, episodes: 6 };

describe('eval over worker threads', () => {
  it('gives the same outcome per episode and the same summary with 1 or 2 workers', async () => {
    const one: EpisodeOutcome[] = [];
    const two: EpisodeOutcome[] = [];
    await runPool(spec, 1, (o) => one.push(o), sessions);
    await runPool(spec, 2, (o) => two.push(o), sessions);
    expect(two).toHaveLength(6);
    expect([...two].sort((a, b) => a.index - b.index)).toEqual(one);
    expect(summarize(spec, two)).toEqual(summarize(spec, one));
  });

  it('shards cover every episode exactly once; a summary refuses gaps and duplicates', () => {
    const n = 4;
    const all = Array.from({ length: n }, (_, k) => shardIndices(103, k, n)).flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 103 }, (_, i) => i));
    const o = (index: number): EpisodeOutcome => ({ index, seed: 0, success: true, return: 1, steps: 1, events: {} });
    const s2 = { ...spec, episodes: 2 };
    expect(() => summarize(s2, [o(0)])).toThrow(/episode 1: has no result/);
    expect(() => summarize(s2, [o(0), o(1), o(1)])).toThrow(/reported twice/);
  });

  it('names MuJoCo in the summary however the episodes ran (workers, shards and eval merge summarize too); cannon-es, the default, is not named', () => {
    const o = (index: number): EpisodeOutcome => ({ index, seed: 0, success: true, return: 1, steps: 1, events: {} });
    const s2 = { ...spec, episodes: 2 };
    expect(summarize({ ...s2, session: { ...s2.session, physics: 'mujoco' } }, [o(0), o(1)]).physics).toBe('mujoco');
    expect(summarize({ ...s2, session: { ...s2.session, physics: 'cannon' } }, [o(0), o(1)])).not.toHaveProperty('physics');
    expect(summarize(s2, [o(0), o(1)])).not.toHaveProperty('physics');
  });
});
