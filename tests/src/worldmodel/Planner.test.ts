import { describe, expect, it } from 'vitest';
import { CemPlanner, MppiPlanner, type SamplingPlanner } from '../../../src/worldmodel/Planner.ts';
import { QuadraticCost } from '../../../src/worldmodel/TrajectoryCost.ts';
import { IntegratorModel } from './helpers.ts';

// x' = x + a, cost Σ_t (x_t+1 − 0.5)² + 0.001 a²: from x = 0 the optimum is a = 0.5 now and ~0 after.
const cost = () => new QuadraticCost(1, 1, [{ index: 0, target: 0.5, weight: 1 }], new Uint8Array(1), 0.001, 1);

async function closedLoop(p: SamplingPlanner, steps: number): Promise<{ x: number; first: number }> {
  let x = 0, first = NaN;
  const s = new Float32Array(1), a = new Float32Array(1);
  for (let k = 0; k < steps; k++) {
    s[0] = x;
    await p.plan(s, a);
    if (k === 0) first = a[0];
    x += a[0];
  }
  return { x, first };
}

describe('sampling planners on a known quadratic cost', () => {
  it('CEM finds the optimal first action and holds the optimum', async () => {
    const p = new CemPlanner(new IntegratorModel(), cost(), { samples: 256, horizon: 8, iterations: 15, noiseStd: 0.5, seed: 1 });
    const r = await closedLoop(p, 10);
    expect(r.first).toBeCloseTo(0.5, 1);
    expect(Math.abs(r.x - 0.5)).toBeLessThan(0.02);
  });

  it('MPPI converges to the optimum in closed loop (warm start carries the plan)', async () => {
    const p = new MppiPlanner(new IntegratorModel(), cost(), { samples: 256, horizon: 8, noiseStd: 0.3, temperature: 0.05, seed: 2 });
    const r = await closedLoop(p, 15);
    expect(r.first).toBeGreaterThan(0.2);
    expect(Math.abs(r.x - 0.5)).toBeLessThan(0.03);
  });

  it('rolls the whole batch with one predict per step, and respects the action clip', async () => {
    const model = new IntegratorModel();
    const far = new QuadraticCost(1, 1, [{ index: 0, target: 50, weight: 1 }], new Uint8Array(1));
    const p = new MppiPlanner(model, far, { samples: 64, horizon: 5, actionClip: 0.7 });
    const a = new Float32Array(1);
    await p.plan(new Float32Array(1), a);
    expect(model.calls).toBe(5);
    expect(a[0]).toBeLessThanOrEqual(0.7);
    expect(a[0]).toBeGreaterThan(0.5);
  });

  it('is deterministic under its seed, and reset(seed) forgets the warm start', async () => {
    const run = async () => {
      const p = new MppiPlanner(new IntegratorModel(), cost(), { samples: 32, horizon: 4, seed: 7 });
      return (await closedLoop(p, 3)).x;
    };
    expect(await run()).toBe(await run());
    const p = new CemPlanner(new IntegratorModel(), cost(), { samples: 32, horizon: 4 });
    await closedLoop(p, 2);
    p.reset(3);
    expect(Array.from(p.mean)).toEqual([0, 0, 0, 0]);
  });
});
