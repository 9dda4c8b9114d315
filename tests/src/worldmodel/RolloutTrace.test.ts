import { describe, expect, it } from 'vitest';
import { MppiPlanner } from '../../../src/worldmodel/Planner.ts';
import { QuadraticCost } from '../../../src/worldmodel/TrajectoryCost.ts';
import { ShieldHook } from '../../../src/worldmodel/ShieldHook.ts';
import { Constraints } from '../../../src/worldmodel/Constraints.ts';
import { holdContinuation } from '../../../src/worldmodel/BatchPolicy.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import type { RolloutTrace } from '../../../src/worldmodel/RolloutTrace.ts';
import type { Prediction } from '../../../src/worldmodel/types.ts';
import { IntegratorModel, RecordingSink, observationAt, oneJointManifest, oneJointSpec } from './helpers.ts';

const cost = () => new QuadraticCost(1, 1, [{ index: 0, target: 0.5, weight: 1 }], new Uint8Array(1), 0.001, 1);
/** Row r's state at point t (t = 0 the start). */
const at = (tr: RolloutTrace, t: number, r: number) => tr.states[(t * tr.capacity + r) * tr.stateSize];

describe('RolloutTrace: the planner keeps its rollouts for a viewer', () => {
  it('is off until enabled; row 0 is the plan it settled on (first action = the one sent), rows 1.. its samples', async () => {
    const p = new MppiPlanner(new IntegratorModel(), cost(), { samples: 64, horizon: 6, noiseStd: 0.4, actionClip: 0.7, seed: 3 });
    expect(p.trace).toBeUndefined();
    expect(p.enableTrace(16).capacity).toBe(16);
    expect(p.enableTrace(1000).capacity).toBe(65); // the plan and at most every sample
    const trace = p.enableTrace(16);
    const a = new Float32Array(1);
    await p.plan(Float32Array.of(0), a, undefined, 7);
    await p.plan(Float32Array.of(0.2), a, undefined, 8);
    expect(trace.rows).toBe(16);
    expect(trace.seq).toBe(8);
    expect(trace.version).toBe(2);
    expect(trace.chosen).toBe(0);
    // The plan after the update: its first action was sent (a); the rest is the warm start now in mean, shifted by one.
    const plan = [a[0], ...Array.from(p.mean).slice(0, 5)];
    let x = 0.2;
    for (let t = 0; t <= 6; t++) {
      expect(at(trace, t, 0)).toBeCloseTo(x, 5);
      x += plan[t] ?? 0;
    }
    // Every row starts at the state and moves by an action inside the clip each step (x' = x + a).
    for (let r = 0; r < 16; r++) {
      expect(at(trace, 0, r)).toBeCloseTo(0.2, 6);
      for (let t = 0; t < 6; t++) expect(Math.abs(at(trace, t + 1, r) - at(trace, t, r))).toBeLessThanOrEqual(0.7 + 1e-6);
    }
    // The samples differ, and every row's score is its cost: recomputed from its states here.
    const ends = Array.from({ length: 15 }, (_, r) => at(trace, 6, r + 1));
    expect(Math.max(...ends) - Math.min(...ends)).toBeGreaterThan(0.1);
    for (let r = 0; r < 16; r++) {
      let c = 0;
      for (let t = 1; t <= 6; t++) {
        const u = at(trace, t, r) - at(trace, t - 1, r);
        c += (at(trace, t, r) - 0.5) ** 2 + 0.001 * u * u;
      }
      c += (at(trace, 6, r) - 0.5) ** 2; // terminal, weight 1
      expect(trace.scores[r]).toBeCloseTo(c, 3);
    }
    // MPPI's average is cheaper than the typical sample it averages.
    const sorted = Array.from(trace.scores.subarray(1, 16)).sort((u, v) => u - v);
    expect(trace.scores[0]).toBeLessThan(sorted[7]);
  });

  it('a reader between the planner’s awaits sees the previous whole tick, never a half-written one', async () => {
    class Watched extends IntegratorModel {
      checks = 0;
      trace?: RolloutTrace;
      snapshot?: { version: number; states: number[] };
      override async predict(states: Float32Array, actions: Float32Array, batch: number): Promise<Prediction> {
        await new Promise((r) => setImmediate(r)); // a viewer timer could run here
        if (this.trace && this.snapshot) {
          expect(this.trace.version).toBe(this.snapshot.version);
          expect(Array.from(this.trace.states)).toEqual(this.snapshot.states);
          this.checks++;
        }
        return super.predict(states, actions, batch);
      }
    }
    const model = new Watched();
    const p = new MppiPlanner(model, cost(), { samples: 8, horizon: 4, seed: 1 });
    const trace = (model.trace = p.enableTrace(9));
    const a = new Float32Array(1);
    await p.plan(Float32Array.of(0), a);
    model.snapshot = { version: trace.version, states: Array.from(trace.states) };
    await p.plan(Float32Array.of(5), a); // a different start: every new point differs from the old
    expect(model.checks).toBe(8); // 4 batched steps + 4 steps of the plan's own rollout
    expect(trace.version).toBe(2);
    expect(at(trace, 0, 0)).toBe(5);
    expect(at(trace, 1, 3)).not.toBe(model.snapshot.states[(1 * 9 + 3) * 1]);
  });
});

describe('RolloutTrace: the shield keeps the proposal, and after a veto every alternative', () => {
  const shield = () =>
    new ShieldHook(new IntegratorModel(), new ObservationBuilder(oneJointManifest(), oneJointSpec()), new Constraints(1, [{ name: 'a_range', index: 0, lower: -1, upper: 1 }]), holdContinuation, new RecordingSink(), { horizon: 3, samples: 10 });

  it('keeps the safe proposal as row 0 with score 0', async () => {
    const h = shield();
    const tr = h.enableTrace();
    h.reset();
    await h.apply(observationAt(0), new Float32Array(0), Float32Array.of(0.3), 4);
    expect(tr.rows).toBe(1);
    expect(tr.chosen).toBe(0);
    expect(tr.seq).toBe(4);
    [0, 0.3, 0.6, 0.9].forEach((x, t) => expect(at(tr, t, 0)).toBeCloseTo(x, 6));
    expect(tr.scores[0]).toBe(0);
  });

  it('after a veto: all alternatives, the proposal scored by its violation, the sent command chosen and safe', async () => {
    const h = shield();
    const tr = h.enableTrace();
    h.reset();
    const out = await h.apply(observationAt(0), new Float32Array(0), Float32Array.of(0.5), 5);
    expect(h.tick.vetoed).toBe(true);
    expect(tr.rows).toBe(12); // samples + proposal + zero
    expect(at(tr, 3, 0)).toBeCloseTo(1.5, 6); // the proposal, held: breaks the bound by 0.5
    expect(tr.scores[0]).toBeCloseTo(0.5, 6);
    expect(tr.chosen).toBeGreaterThan(0);
    expect(at(tr, 1, tr.chosen)).toBeCloseTo(out[0], 6); // the chosen row is the command sent
    expect(tr.scores[tr.chosen]).toBe(0);
    expect(Math.abs(at(tr, 3, tr.chosen))).toBeLessThanOrEqual(1 + 1e-6);
  });
});
