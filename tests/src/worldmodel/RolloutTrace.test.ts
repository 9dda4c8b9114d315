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
  it('is off until enabled, then keeps the first rows: row 0 is the plan, every row a real rollout', async () => {
    const p = new MppiPlanner(new IntegratorModel(), cost(), { samples: 64, horizon: 6, noiseStd: 0.4, actionClip: 0.7, seed: 3 });
    expect(p.trace).toBeUndefined();
    const tr = p.enableTrace(16);
    expect(tr.capacity).toBe(16);
    expect(p.enableTrace(1000).capacity).toBe(64); // never more rows than samples
    const trace = p.enableTrace(16);
    const a = new Float32Array(1);
    await p.plan(Float32Array.of(0), a, undefined, 7);
    // The next plan starts from the warm start: its sample 0 is exactly the shifted mean.
    const warm = Array.from(p.mean, (m) => Math.max(-0.7, Math.min(0.7, m)));
    await p.plan(Float32Array.of(0.2), a, undefined, 8);
    expect(trace.rows).toBe(16);
    expect(trace.seq).toBe(8);
    expect(trace.version).toBe(2);
    expect(trace.chosen).toBe(0);
    let x = 0.2;
    for (let t = 0; t <= 6; t++) {
      expect(at(trace, t, 0)).toBeCloseTo(x, 5);
      x += warm[t] ?? 0;
    }
    expect(trace.scores[0]).toBeCloseTo(p.lastCost, 3);
    // Every row starts at the state and moves by an action inside the clip each step (x' = x + a).
    for (let r = 0; r < 16; r++) {
      expect(at(trace, 0, r)).toBeCloseTo(0.2, 6);
      for (let t = 0; t < 6; t++) expect(Math.abs(at(trace, t + 1, r) - at(trace, t, r))).toBeLessThanOrEqual(0.7 + 1e-6);
    }
    // The rows differ (sampled), and their scores are their costs: recomputed from the states here.
    const spread = Math.max(...Array.from({ length: 16 }, (_, r) => at(trace, 6, r))) - Math.min(...Array.from({ length: 16 }, (_, r) => at(trace, 6, r)));
    expect(spread).toBeGreaterThan(0.1);
    for (let r = 0; r < 16; r++) {
      let c = 0;
      for (let t = 1; t <= 6; t++) {
        const u = at(trace, t, r) - at(trace, t - 1, r);
        c += (at(trace, t, r) - 0.5) ** 2 + 0.001 * u * u;
      }
      c += (at(trace, 6, r) - 0.5) ** 2; // terminal, weight 1
      expect(trace.scores[r]).toBeCloseTo(c, 3);
    }
  });

  it('a reader between the planner’s awaits sees the previous whole tick, never a half-written one', async () => {
    class Watched extends IntegratorModel {
      seen: number[] = [];
      trace?: RolloutTrace;
      override async predict(states: Float32Array, actions: Float32Array, batch: number): Promise<Prediction> {
        await new Promise((r) => setImmediate(r)); // a viewer timer could run here
        if (this.trace) this.seen.push(this.trace.version, at(this.trace, this.trace.steps - 1, 0));
        return super.predict(states, actions, batch);
      }
    }
    const model = new Watched();
    const p = new MppiPlanner(model, cost(), { samples: 8, horizon: 4, seed: 1 });
    model.trace = p.enableTrace(8);
    const a = new Float32Array(1);
    await p.plan(Float32Array.of(0), a);
    const end1 = at(model.trace, 4, 0);
    model.seen = [];
    await p.plan(Float32Array.of(5), a); // a different start: every new point differs from the old
    for (let i = 0; i < model.seen.length; i += 2) {
      expect(model.seen[i]).toBe(1);
      expect(model.seen[i + 1]).toBe(end1);
    }
    expect(model.trace.version).toBe(2);
    expect(at(model.trace, 0, 0)).toBe(5);
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
