import { describe, expect, it } from 'vitest';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { Constraints } from '../../../src/worldmodel/Constraints.ts';
import { holdContinuation } from '../../../src/worldmodel/BatchPolicy.ts';
import { ShieldHook } from '../../../src/worldmodel/ShieldHook.ts';
import { MonitorHook } from '../../../src/worldmodel/MonitorHook.ts';
import { IntegratorModel, RecordingSink, observationAt, oneJointManifest, oneJointSpec } from './helpers.ts';

const constraints = () => new Constraints(1, [{ name: 'a_range', index: 0, lower: -1, upper: 1 }]);

describe('ShieldHook', () => {
  const shield = (sink: RecordingSink) =>
    new ShieldHook(new IntegratorModel(), new ObservationBuilder(oneJointManifest(), oneJointSpec()), constraints(), holdContinuation, sink, { horizon: 3, samples: 64 });

  it('passes a command predicted safe unchanged', async () => {
    const sink = new RecordingSink();
    const h = shield(sink);
    h.reset();
    const proposal = Float32Array.of(0.3); // 3 held steps: 0.9 <= 1
    const out = await h.apply(observationAt(0), new Float32Array(0), proposal, 1);
    expect(out).toBe(proposal);
    expect(out[0]).toBeCloseTo(0.3, 6);
    expect(h.tick.vetoed).toBe(false);
    expect(sink.events).toEqual([]);
  });

  it('vetoes a command predicted to break a constraint, sends the closest safe one and reports the step', async () => {
    const sink = new RecordingSink();
    const h = shield(sink);
    h.reset();
    const out = await h.apply(observationAt(0), new Float32Array(0), Float32Array.of(0.5), 1); // 0.5, 1.0, 1.5: breaks at step 3
    expect(h.tick.vetoed).toBe(true);
    expect(3 * out[0]).toBeLessThanOrEqual(1 + 1e-6);
    expect(out[0]).toBeGreaterThan(0.2); // closest safe to 0.5 is just under 1/3
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]).toMatchObject({ kind: 'shield_veto', level: 'info' });
    expect(sink.events[0].reason).toContain('a_range');
    expect(sink.events[0].reason).toContain('step 3');
    expect(sink.events[0].value).toBeCloseTo(0.5, 5);
  });

  it('is a safety event counted by the supervisor', async () => {
    const safety = new SafetySupervisor(oneJointSpec(), 0.02);
    safety.arm(observationAt(0), 0);
    const h = new ShieldHook(new IntegratorModel(), new ObservationBuilder(oneJointManifest(), oneJointSpec()), constraints(), holdContinuation, safety, { horizon: 3 });
    await h.apply(observationAt(0.9), new Float32Array(0), Float32Array.of(1), 4);
    expect(safety.counts.shield_veto).toBe(1);
    expect(safety.state).toBe('running');
  });
});

describe('MonitorHook', () => {
  const monitor = (sink: SafetySupervisor | RecordingSink) =>
    new MonitorHook(new IntegratorModel(), new ObservationBuilder(oneJointManifest(), oneJointSpec()), sink, { threshold: 3, ticks: 4, stopTicks: 6, degradeScale: 0.5 });

  it('raises no event while the world follows the model, nor at an error just under the threshold', async () => {
    const sink = new RecordingSink();
    const h = monitor(sink);
    h.reset();
    let x = 0;
    for (let k = 0; k < 50; k++) {
      const a = await h.apply(observationAt(x, k), new Float32Array(0), Float32Array.of(0.01), k);
      x += a[0] + (k % 2 ? 2.9 : -2.9) * (k > 0 ? 1 : 0) * 0; // exact world
      if (k > 0) expect(h.tick.surprise).toBeCloseTo(0, 5);
    }
    // error of 2.9 (error_std 1): under the threshold 3
    for (let k = 50; k < 70; k++) {
      await h.apply(observationAt(x + 2.9, k), new Float32Array(0), Float32Array.of(0), k);
      x += 2.9;
    }
    expect(sink.events).toEqual([]);
    expect(h.tick.surprise).toBeLessThan(3);
  });

  it('degrades after M surprising ticks, then safe-stops the supervisor', async () => {
    const safety = new SafetySupervisor(oneJointSpec(), 0.02);
    safety.arm(observationAt(0), 0);
    const h = monitor(safety);
    h.reset();
    let x = 0, k = 0;
    const step = async (jump: number) => {
      const a = await h.apply(observationAt(x, k), new Float32Array(0), Float32Array.of(0.4), k);
      x += a[0] + jump;
      k++;
      return a[0];
    };
    await step(0);
    // A jump shows as surprise on the tick after it: ticks 3, 4, 5 count 1, 2, 3.
    for (let i = 0; i < 4; i++) expect(await step(5)).toBeCloseTo(0.4, 6);
    expect(safety.counts.surprise).toBe(0);
    expect(await step(5)).toBeCloseTo(0.2, 6); // 4th surprising tick: event, degraded, action scaled
    expect(safety.counts.surprise).toBe(1);
    expect(Number.isNaN(h.firstEventTime)).toBe(false);
    for (let i = 0; i < 5; i++) await step(5);
    expect(safety.state).not.toBe('safe-stop');
    await step(5);
    expect(safety.state).toBe('safe-stop');
    expect(safety.counts.surprise).toBe(2);
  });

  it('raises the event at once when the windowed surprise crosses its threshold, and not below it', async () => {
    const run = async (err: number) => {
      const sink = new RecordingSink();
      const h = new MonitorHook(new IntegratorModel(), new ObservationBuilder(oneJointManifest(), oneJointSpec()), sink, { threshold: 3, ticks: 4, window: 8, windowThreshold: 2 });
      h.reset();
      let x = 0;
      // An error alternating between err and err/4: never 4 ticks in a row over 3, RMS over 8 ticks ≈ 0.73 err.
      for (let k = 0; k < 40; k++) {
        await h.apply(observationAt(x, k), new Float32Array(0), Float32Array.of(0), k);
        x += k % 2 ? err : err / 4;
      }
      return { events: sink.events.map((e) => e.level), first: h.firstEventTime, windowed: h.windowedSurprise };
    };
    const quiet = await run(2.5); // RMS ≈ 1.82 < 2
    expect(quiet.events).toEqual([]);
    expect(quiet.windowed).toBeLessThan(2);
    const loud = await run(3.5); // ticks over 3 never 4 in a row; RMS ≈ 2.55 > 2
    // degrade as soon as the window is full; the persistent surprise then safe-stops after ticks + stopTicks
    expect(loud.events).toEqual(['degrade', 'stop']);
    expect(loud.windowed).toBeGreaterThan(2);
    expect(loud.first).toBeLessThan(observationAt(0, 10).time + 1e-9); // as soon as the window is full
  });
});
