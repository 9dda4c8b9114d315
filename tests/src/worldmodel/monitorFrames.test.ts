/**
 * The monitor's prediction is one model step (dt) ahead of the frame it started from. Over a bridge
 * or a loaded bus a tick may see the same frame again (0 ms) or a late one (54 ms): compared with the
 * 20 ms prediction they read as surprise although nothing is wrong (a healthy cartpole was
 * safe-stopped that way over the bridge). Those ticks are not compared; a real mismatch still is.
 */
import { describe, expect, it } from 'vitest';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { MonitorHook } from '../../../src/worldmodel/MonitorHook.ts';
import { IntegratorModel, RecordingSink, observationAt, oneJointManifest, oneJointSpec } from './helpers.ts';

/** A frame: position x, stamped `timeS`, sequence `seq`. */
function frame(x: number, timeS: number, seq: number) {
  const o = observationAt(x, seq);
  o.time = timeS;
  return o;
}

describe('monitor and the frame time step', () => {
  it('skips a repeated and a late frame (surprise NaN, counted), compares the next one-step frame, and still catches a real mismatch', async () => {
    // next = x + a; a held-out error of 0.01 makes any 1-unit miss a surprise of 100.
    const model = Object.assign(new IntegratorModel(), { errorStd: Float32Array.of(0.01) });
    const sink = new RecordingSink();
    const h = new MonitorHook(model, new ObservationBuilder(oneJointManifest(), oneJointSpec()), sink, { threshold: 6, ticks: 1, stopTicks: 1 });
    h.reset();
    const a = Float32Array.of(1);
    const none = new Float32Array(0);
    const surprise: number[] = [];
    const frames = [
      frame(0, 0, 0), // first: nothing to compare
      frame(0, 0, 0), // the same frame again (0 ms): skipped
      frame(1, 0.02, 1), // one step on: compared, as predicted
      frame(3, 0.074, 3), // 54 ms later (a frame dropped, late): skipped
      frame(4, 0.094, 4), // one step on: compared, as predicted
    ];
    for (const [k, f] of frames.entries()) {
      await h.apply(f, none, a, k);
      surprise.push(h.tick.surprise);
    }
    expect(surprise[0]).toBeNaN();
    expect(surprise[1]).toBeNaN();
    expect(surprise[2]).toBeCloseTo(0, 6);
    expect(surprise[3]).toBeNaN();
    expect(surprise[4]).toBeCloseTo(0, 6);
    expect(h.skippedTicks).toBe(2);
    expect(h.maxSurprise).toBeLessThan(1e-3);
    expect(sink.events).toEqual([]);
    // A frame one step on that is not what the model predicted (5): still a surprise.
    await h.apply(frame(10, 0.114, 5), none, a, 5);
    expect(h.tick.surprise).toBeCloseTo(500, 0);
    expect(sink.events.map((e) => e.kind)).toEqual(['surprise']);
  });
});
