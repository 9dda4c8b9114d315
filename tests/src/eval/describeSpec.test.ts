/**
 * Every mode's summary names the perturbations and world model the episodes ran with (review R29
 * F4): `action_noise`, `fault` and `world_model` were added by the local eval only, after
 * summarize(); `--workers`, `--queue` and `eval merge` dropped them, so a sharded figure with
 * `--action-noise 3` read exactly like a clean one.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeShards, writeShard } from '../../../src/eval/shards.ts';
import { shardIndices, summarize } from '../../../src/eval/episodes.ts';
import type { EpisodeOutcome, EvalSpec } from '../../../src/eval/types.ts';
import { runAxon } from '../../helpers/cli.ts';

const spec: EvalSpec = {
  session: { robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 500, actionNoise: 3, fault: { kind: 'mass', factor: 2, atS: 0.5 }, worldModel: { dir: 'models/cartpole-wm', mode: 'shield' } },
  randomize: true,
  durationS: 2,
  seed: 11,
  episodes: 6,
};
const outcome = (index: number): EpisodeOutcome => ({ index, seed: index, success: true, return: index, steps: 10, events: index % 2 ? { shield_veto: index } : {} });

describe('the summary of every mode names action noise, fault and world model', () => {
  it('summarize (used by --workers, --queue and merge) adds them from the spec, shield vetoes from the outcomes', () => {
    const s = summarize(spec, Array.from({ length: 6 }, (_, i) => outcome(i)));
    expect(s).toMatchObject({ action_noise: 3, fault: { kind: 'mass', factor: 2, atS: 0.5 }, world_model: { model: 'models/cartpole-wm', mode: 'shield', shield: { vetoes: 1 + 3 + 5, episodes_with_veto: 3 } } });
  });

  it('eval merge keeps them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-describe-'));
    const files = [0, 1, 2].map((k) => {
      const f = join(dir, `s${k}.json`);
      writeShard(f, { format: 'axon.eval-shard/1', spec, shard: { k, n: 3 }, outcomes: shardIndices(6, k, 3).map(outcome) });
      return f;
    });
    expect(mergeShards(files).summary).toMatchObject({ action_noise: 3, fault: { kind: 'mass', factor: 2, atS: 0.5 }, world_model: { model: 'models/cartpole-wm', mode: 'shield' } });
  });

  it('eval --workers 2 --action-noise 3 says action_noise as a local eval does', () => {
    const r = runAxon(['eval', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--episodes', '2', '--duration', '0.2', '--action-noise', '3', '--workers', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.lastLine)).toMatchObject({ action_noise: 3, workers: 2 });
  }, 120_000);
});
