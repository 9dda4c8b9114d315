/**
 * `npm run models` leaves the tree as committed: a shipped model's README holds what the seed
 * decides (eval outcomes, errors, hashes), never a time measured on the machine that ran it.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EvalSummary } from '../../src/eval/evaluate.ts';
import { cartpoleReadme, fromFolder, pendulumReadme } from '../../models/train/worldmodel/index.ts';

/** An eval summary as runEval returns one; `us` sets the world-model stage's time. */
function summary(success: number, episodes: number, us: number, wm: Partial<NonNullable<EvalSummary['world_model']>> = {}): EvalSummary {
  return {
    command: 'eval', robot: 'r', policy: 'p', episodes, success_rate: success, failure_rate: 1 - success, mean_return: 12.5, mean_steps: 500, seed: 1, randomize: true, safety_events: {},
    world_model: {
      model: 'm', mode: 'plan', stage_us: { p50: us, p99: 7 * us, max: 9 * us }, tick_share_p99: (7 * us) / 20_000, max_loop_hz_p99: 1e6 / (8 * us),
      planner: { name: 'mppi', samples: 256, horizon: 20, iterations: 3, noise_std: 0.5, temperature: 1, elite_fraction: 0.1 },
      shield: { horizon: 10, samples: 1, continuation: 'policy', vetoes: 42, episodes_with_veto: 9 },
      monitor: { episodes_with_event: 97, detection_s: { mean: 0.3, max: 1.1 }, max_surprise: 2.5 },
      ...wm,
    },
    baseline: { success_rate: 0.1, mean_return: 3, failure_rate: 0.9 } as EvalSummary['baseline'],
  } as EvalSummary;
}

describe('shipped model READMEs', () => {
  it('pendulum-wm and cartpole-wm: the text does not change with the machine\'s timing, and carries the eval outcomes', () => {
    const p = fromFolder('models/pendulum-wm');
    const slow = pendulumReadme(p, 1, summary(0.96, 50, 1200), { noEnergy: summary(0.2, 10, 1100), cem: summary(1, 10, 3500) });
    const fast = pendulumReadme(p, 1, summary(0.96, 50, 150), { noEnergy: summary(0.2, 10, 140), cem: summary(1, 10, 420) });
    expect(fast).toBe(slow);
    expect(slow).toContain('swings up in 2 of 10');
    expect(slow).toContain('swings up in 10 of 10');
    expect(slow).toContain('| 0.96 |');

    const c = fromFolder('models/cartpole-wm');
    const a = cartpoleReadme(c, 1, summary(0.97, 100, 900), summary(0.9, 100, 800), summary(0.8, 100, 700));
    const b = cartpoleReadme(c, 1, summary(0.97, 100, 90), summary(0.9, 100, 80), summary(0.8, 100, 70));
    expect(a).toBe(b);
    expect(a).toContain('| 42 |');
  });

  it('no committed README carries a measured time (µs per stage, seconds of training)', () => {
    const dirs = readdirSync('models').filter((d) => existsSync(join('models', d, 'README.md')));
    expect(dirs.length).toBeGreaterThanOrEqual(5);
    for (const d of dirs) {
      const text = readFileSync(join('models', d, 'README.md'), 'utf8');
      expect(text, d).not.toMatch(/\d\s*µs/);
      expect(text, d).not.toMatch(/\(\d+(\.\d+)? s on \d/);
    }
  });
});
