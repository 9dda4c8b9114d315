/**
 * `axon eval merge` (src/eval/shards.ts): a split given whole, each shard once. A missing shard
 * used to surface as `episode 2: has no result (0 missing)`: the count came from filter() over a
 * sparse array, which skips its holes, and the message named an episode, not the file to add.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeShards, writeShard } from '../../../src/eval/shards.ts';
import { shardIndices, summarize } from '../../../src/eval/episodes.ts';
import type { EpisodeOutcome, EvalSpec } from '../../../src/eval/types.ts';

const spec: EvalSpec = { session: { robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 500 }, randomize: true, durationS: 2, seed: 11, episodes: 10 };
const outcome = (index: number): EpisodeOutcome => ({ index, seed: index, success: index % 3 !== 0, return: index, steps: 10 + index, events: {} });

/** Writes shards `ks` of a 4-way split of `spec`, as `eval --shard K/4 --out` does; their paths. */
function shards(ks: number[], n = 4): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'axon-shards-'));
  return ks.map((k) => {
    const file = join(dir, `shard-${k}.json`);
    writeShard(file, { format: 'axon.eval-shard/1', spec, shard: { k, n }, outcomes: shardIndices(spec.episodes, k, n).map(outcome) });
    return file;
  });
}

describe('eval merge', () => {
  it('gives the summary of one run from every shard', () => {
    const { summary, shards: count } = mergeShards(shards([2, 0, 3, 1]));
    expect(count).toBe(4);
    expect(summary).toEqual(summarize(spec, Array.from({ length: 10 }, (_, i) => outcome(i))));
  });

  it('names the missing shards, and how many of the split were given', () => {
    expect(() => mergeShards(shards([0, 1]))).toThrow('<files>: shards 2/4, 3/4 of this run are missing (2 of 4 given) (expected the files of all 4 shards K/4, K = 0..3)');
    expect(() => mergeShards(shards([0, 1, 3]))).toThrow('shard 2/4 of this run is missing (3 of 4 given)');
  });

  it('refuses a shard given twice, naming the file', () => {
    const [a, b, c, d] = shards([0, 1, 2, 3]);
    expect(() => mergeShards([a, b, b, c, d])).toThrow(`${b} is given twice`);
  });

  it('refuses a shard a signal interrupted, naming the file (not "episode 9 has no result")', () => {
    const [a, b, c, d] = shards([0, 1, 2, 3]);
    // Shard 1/4 is episodes 1, 5, 9: the signal stopped episode 9.
    const whole = JSON.parse(readFileSync(b, 'utf8'));
    writeShard(b, { ...whole, outcomes: whole.outcomes.slice(0, 2), interrupted: { signal: 'SIGTERM', episodes_completed: 2, episodes: 3, episode_interrupted: 9 } });
    expect(() => mergeShards([a, b, c, d])).toThrow(`<files>: ${b} is shard 1/4 interrupted by SIGTERM after 2 of its 3 episodes (expected the shard run to its end (rerun axon eval --shard 1/4))`);
  });

  it('refuses shards that ran other policy contents under the same path, naming both files (R29 F2)', () => {
    const [a, b, c, d] = shards([0, 1, 2, 3]);
    for (const f of [a, b, c, d]) writeShard(f, { ...JSON.parse(readFileSync(f, 'utf8')), model_hash: 'a'.repeat(64) });
    writeShard(c, { ...JSON.parse(readFileSync(c, 'utf8')), model_hash: 'b'.repeat(64) });
    expect(() => mergeShards([a, b, c, d])).toThrow(`<files>: ${c} ran policy models/cartpole-balance with sha256 bbbbbbbbbbbb, ${a} with sha256 aaaaaaaaaaaa: not the same policy`);
  });

  it('a shard of an older axon (no hash) beside a hashed one is named as such, not as "another run"', () => {
    const [a, b] = shards([0, 1], 2);
    writeShard(a, { ...JSON.parse(readFileSync(a, 'utf8')), model_hash: 'a'.repeat(64) });
    expect(() => mergeShards([a, b])).toThrow(`<files>: ${b} carries no policy hash (written by an older axon eval --shard) and ${a} does: their policy contents cannot be compared`);
  });

  it('refuses shards that ran other world-model contents (R29 F2/F3)', () => {
    const wmSpec: EvalSpec = { ...spec, session: { ...spec.session, worldModel: { dir: 'models/cartpole-wm', mode: 'shield' } } };
    const [a, b] = shards([0, 1], 2);
    writeShard(a, { ...JSON.parse(readFileSync(a, 'utf8')), spec: wmSpec, model_hash: 'a'.repeat(64), world_model_hash: 'c'.repeat(64) });
    writeShard(b, { ...JSON.parse(readFileSync(b, 'utf8')), spec: wmSpec, model_hash: 'a'.repeat(64), world_model_hash: 'd'.repeat(64) });
    expect(() => mergeShards([a, b])).toThrow(`${b} ran world model models/cartpole-wm with sha256 dddddddddddd, ${a} with sha256 cccccccccccc: not the same world model`);
  });

  it('merges shards whose policy paths are spelled differently when their contents are the same (./models/x, models/x)', () => {
    const [a, b, c, d] = shards([0, 1, 2, 3]);
    for (const f of [a, b, c, d]) writeShard(f, { ...JSON.parse(readFileSync(f, 'utf8')), model_hash: 'a'.repeat(64) });
    const dot = JSON.parse(readFileSync(d, 'utf8'));
    writeShard(d, { ...dot, spec: { ...dot.spec, session: { ...dot.spec.session, policy: './models/cartpole-balance' } } });
    expect(mergeShards([a, b, c, d]).summary).toEqual(summarize(spec, Array.from({ length: 10 }, (_, i) => outcome(i))));
  });

  it('refuses shards of splits with another N up front, naming both files (R29 F9: "episode 0: was reported twice")', () => {
    const [h0] = shards([0], 2);
    const [s0, s1, s2] = shards([0, 1, 2], 3);
    expect(() => mergeShards([h0, s0, s1, s2])).toThrow(`<files>: ${s0} is shard 0/3, ${h0} is shard 0/2: shards of one split share N`);
  });

  it('a summary short of episodes counts them (the array of results is sparse)', () => {
    expect(() => summarize(spec, [outcome(0), outcome(4)])).toThrow('episode 1: has no result (8 of 10 episodes missing)');
  });
});
