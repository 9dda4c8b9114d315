import { describe, expect, it } from 'vitest';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { Constraints } from '../../../src/worldmodel/Constraints.ts';
import { holdContinuation } from '../../../src/worldmodel/BatchPolicy.ts';
import { ShieldHook, WorldModelFault } from '../../../src/worldmodel/ShieldHook.ts';
import { MonitorHook } from '../../../src/worldmodel/MonitorHook.ts';
import type { Prediction, WorldModel } from '../../../src/worldmodel/types.ts';
import { validateManifest } from '../../../src/model/manifest.ts';
import { IntegratorModel, RecordingSink, observationAt, oneJointManifest, oneJointSpec, wmManifest } from './helpers.ts';

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

  it("a world model predicting NaN: the hook fails (WorldModelFault), no veto, nothing sent in the proposal's place", async () => {
    const sink = new RecordingSink();
    const h = new ShieldHook(new NaNModel(), builder(), constraints(), holdContinuation, sink, { horizon: 3, samples: 8 });
    h.reset();
    const p = h.apply(observationAt(0), new Float32Array(0), Float32Array.of(0.2), 1);
    await expect(p).rejects.toBeInstanceOf(WorldModelFault);
    await expect(p).rejects.toThrow(/non-finite state .* at step 1 of the proposal's rollout: the shield cannot judge the command, so it is held/);
    expect(h.tick.vetoed).toBe(false);
    expect(h.vetoes).toBe(0);
    expect(sink.events).toEqual([]); // no shield_veto naming a constraint nothing predicted
  });

  it('a bad number in an element no constraint reads is still a fault, not a safe prediction', async () => {
    // State [a, b]: the constraint reads a only; the model blows up in b.
    class HalfNaN implements WorldModel {
      readonly stateSize = 2;
      readonly actionSize = 1;
      readonly dt = 0.02;
      private readonly out = new Float32Array(8192);
      async predict(s: Float32Array, a: Float32Array, batch: number): Promise<Prediction> {
        for (let b = 0; b < batch; b++) {
          this.out[2 * b] = s[2 * b] + a[b];
          this.out[2 * b + 1] = Number.POSITIVE_INFINITY;
        }
        return { nextStates: this.out.subarray(0, 2 * batch) };
      }
    }
    const posVel = validateManifest({
      ...wmManifest(),
      joints: ['a'],
      observation: { terms: [{ term: 'joint_pos' }, { term: 'joint_vel' }] },
      action: { type: 'joint_effort', joints: ['a'], scale: 1, clip: 1 },
      world_model: { dt: 0.02, state: { mean: [0, 0], std: [1, 1] }, output: { mean: [0, 0], std: [1, 1] }, constraints: [{ name: 'a_range', state: 'joint_pos.a', lower: -1, upper: 1 }] },
    });
    const two = new ObservationBuilder(posVel, oneJointSpec());
    const onA = new Constraints(2, [{ name: 'a_range', index: 0, lower: -1, upper: 1 }]);
    const h = new ShieldHook(new HalfNaN(), two, onA, holdContinuation, undefined, { horizon: 3, samples: 8 });
    h.reset();
    await expect(h.apply(observationAt(0), new Float32Array(0), Float32Array.of(0.1), 1)).rejects.toBeInstanceOf(WorldModelFault);
  });

  it('alternatives the model cannot predict are never chosen: the veto sends one it predicted', async () => {
    // Finite for the proposal's rollout (batch 1), NaN for every alternative but the proposal again (row 0).
    class AltNaN implements WorldModel {
      readonly stateSize = 1;
      readonly actionSize = 1;
      readonly dt = 0.02;
      private readonly out = new Float32Array(4096);
      async predict(s: Float32Array, a: Float32Array, batch: number): Promise<Prediction> {
        for (let b = 0; b < batch; b++) this.out[b] = b === 0 ? s[b] + a[b] : Number.NaN;
        return { nextStates: this.out.subarray(0, batch) };
      }
    }
    const h = new ShieldHook(new AltNaN(), builder(), constraints(), holdContinuation, new RecordingSink(), { horizon: 3, samples: 8 });
    h.reset();
    const out = await h.apply(observationAt(0), new Float32Array(0), Float32Array.of(0.9), 1);
    expect(h.tick.vetoed).toBe(true);
    expect(Array.from(out)).toEqual([Math.fround(0.9)]); // the only row it predicted (breaks later), not zero
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
