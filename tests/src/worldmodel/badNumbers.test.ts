import { describe, expect, it } from 'vitest';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { Constraints } from '../../../src/worldmodel/Constraints.ts';
import { holdContinuation } from '../../../src/worldmodel/BatchPolicy.ts';
import { ShieldHook } from '../../../src/worldmodel/ShieldHook.ts';
import { MonitorHook } from '../../../src/worldmodel/MonitorHook.ts';
import type { Prediction, WorldModel } from '../../../src/worldmodel/types.ts';
import { IntegratorModel, RecordingSink, observationAt, oneJointManifest, oneJointSpec } from './helpers.ts';

const constraints = () => new Constraints(1, [{ name: 'a_range', index: 0, lower: -1, upper: 1 }]);
const builder = () => new ObservationBuilder(oneJointManifest(), oneJointSpec());

/** Predicts NaN for every row (a model that blew up). */
class NaNModel implements WorldModel {
  readonly stateSize = 1;
  readonly actionSize = 1;
  readonly dt = 0.02;
  private readonly out = new Float32Array(4096).fill(Number.NaN);
  async predict(_s: Float32Array, _a: Float32Array, batch: number): Promise<Prediction> {
    return { nextStates: this.out.subarray(0, batch) };
  }
}

describe('world-model hooks and bad numbers', () => {
  for (const bad of [Number.NaN, Number.NEGATIVE_INFINITY, 2e10]) {
    it(`the shield does not roll out a ${bad} proposal: it goes on unchanged for the supervisor to reject, nothing predicted`, async () => {
      const model = new IntegratorModel();
      const sink = new RecordingSink();
      const h = new ShieldHook(model, builder(), constraints(), holdContinuation, sink, { horizon: 3, samples: 8 });
      h.reset();
      const proposal = Float32Array.of(bad);
      const out = await h.apply(observationAt(0), new Float32Array(0), proposal, 1);
      expect(out).toBe(proposal);
      expect(model.calls).toBe(0);
      expect(h.tick.vetoed).toBe(false);
      expect(sink.events).toEqual([]);
      // The next finite proposal is shielded as usual (nothing latched).
      const next = await h.apply(observationAt(0, 1), new Float32Array(0), Float32Array.of(0.5), 2);
      expect(h.tick.vetoed).toBe(true);
      expect(Number.isFinite(next[0])).toBe(true);
    });
  }

  it('a world model predicting NaN for every alternative: a veto to zero (row 1), never index -1', async () => {
    const sink = new RecordingSink();
    const h = new ShieldHook(new NaNModel(), builder(), constraints(), holdContinuation, sink, { horizon: 3, samples: 8 });
    h.reset();
    const out = await h.apply(observationAt(0), new Float32Array(0), Float32Array.of(0.2), 1);
    expect(Array.from(out)).toEqual([0]);
    expect(h.tick.vetoed).toBe(true);
    expect(sink.events[0].reason).toContain('a_range');
  });

  it('the monitor does not predict from a NaN proposal, and compares nothing on the tick after it', async () => {
    const model = new IntegratorModel();
    const sink = new RecordingSink();
    const h = new MonitorHook(model, builder(), sink, { threshold: 3, ticks: 1, stopTicks: 1 });
    h.reset();
    await h.apply(observationAt(0, 0), new Float32Array(0), Float32Array.of(0.1), 0);
    const proposal = Float32Array.of(Number.NaN);
    expect(await h.apply(observationAt(0.1, 1), new Float32Array(0), proposal, 1)).toBe(proposal);
    expect(model.calls).toBe(1);
    await h.apply(observationAt(5, 2), new Float32Array(0), Float32Array.of(0.1), 2);
    expect(h.tick.surprise).toBeNaN(); // no prediction to compare with
    expect(sink.events).toEqual([]);
  });
});
