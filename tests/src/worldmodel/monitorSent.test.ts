/**
 * The monitor predicts from the command the robot was actually sent (the loop's `commanded`), over
 * the part of the step it was in effect (`command_age` from a bridged robot), not from its own
 * proposal. A live run's soft start sends a fraction of the proposal for its first second, and a
 * bridged robot gets each command a few ms into the step (or after its next frame): predicted from
 * the proposal over the whole step, a healthy bridged cartpole read as a surprise of 40 and was
 * safe-stopped (docs/world-model.md, "Monitor").
 */
import { describe, expect, it } from 'vitest';
import { createCommand } from '../../../src/core/robot.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { MonitorHook } from '../../../src/worldmodel/MonitorHook.ts';
import { SentAction } from '../../../src/worldmodel/SentAction.ts';
import type { WorldModelHook } from '../../../src/worldmodel/types.ts';
import { IntegratorModel, RecordingSink, observationAt, oneJointManifest, oneJointSpec } from './helpers.ts';

/** next = x + a over 0.02 s; a held-out error of 0.01: a miss of 0.1 is a surprise of 10. */
function monitor(sink: RecordingSink) {
  const model = Object.assign(new IntegratorModel(), { errorStd: Float32Array.of(0.01) });
  const h = new MonitorHook(model, new ObservationBuilder(oneJointManifest(), oneJointSpec()), sink, { threshold: 1, ticks: 3, stopTicks: 3 }, new SentAction(oneJointManifest(), oneJointSpec()));
  h.reset();
  return h;
}

const none = new Float32Array(0);

describe('monitor predicts from the command sent', () => {
  it('a soft start (the robot gets 10 % of each proposal) is no surprise; the same robot with half-strength motors is', async () => {
    for (const strength of [1, 0.5]) {
      const sink = new RecordingSink();
      const h: WorldModelHook = monitor(sink);
      const cmd = createCommand(oneJointSpec(), 'effort');
      let x = 0;
      const surprise: number[] = [];
      for (let k = 0; k < 20; k++) {
        const proposal = Float32Array.of(k % 2 === 0 ? 0.8 : -0.5);
        const out = await h.apply(observationAt(x, k), none, proposal, k);
        surprise.push(h.tick!.surprise);
        // The supervisor's soft start: the robot is sent 10 % of the raw action (scale 1).
        cmd.target[0] = 0.1 * out[0];
        h.commanded?.(cmd);
        x += strength * cmd.target[0]; // the world: next = x + (strength ×) what the robot got
      }
      if (strength === 1) {
        expect(Math.max(...surprise.slice(1))).toBeLessThan(1e-3);
        expect(sink.events).toEqual([]);
      } else {
        expect(Math.min(...surprise.slice(1))).toBeGreaterThan(1);
        expect(sink.events.map((e) => e.level)).toEqual(['degrade', 'stop']);
      }
    }
  });

  it('a command that took effect a few ms into the step (command_age), or after the next frame (NaN), is predicted over its part of the step', async () => {
    const sink = new RecordingSink();
    const h: WorldModelHook = monitor(sink);
    const cmd = createCommand(oneJointSpec(), 'effort');
    const age = new Float32Array(1);
    let x = 0;
    let prev = 0;
    const surprise: number[] = [];
    // The newest command's share of each step: 16 ms of 20, the whole step, none (it reached the
    // robot after the frame: NaN), 4 ms.
    const shares = [0.016, 0.02, Number.NaN, 0.004];
    for (let k = 0; k < 12; k++) {
      const o = observationAt(x, k);
      o.extras.command_age = age;
      await h.apply(o, none, Float32Array.of(k % 3 === 0 ? 0.9 : -0.6), k);
      surprise.push(h.tick!.surprise);
      cmd.target[0] = k % 3 === 0 ? 0.9 : -0.6;
      h.commanded?.(cmd);
      // The world over the next step: the command before for part of it, this one for the rest.
      const c = shares[k % shares.length];
      const part = Number.isNaN(c) ? 0 : c / 0.02;
      x += (1 - part) * prev + part * cmd.target[0];
      age[0] = c;
      if (part > 0) prev = cmd.target[0];
    }
    // Not compared: the first tick; the first step, partly under a command before the first (not
    // known to the monitor); a step that began before the command then sent had taken effect (NaN
    // at its start frame) and saw another switch (three commands in one step).
    expect(surprise.flatMap((v, k) => (Number.isNaN(v) ? [k] : []))).toEqual([0, 1, 4, 8]);
    expect((h as MonitorHook).skippedTicks).toBe(3);
    expect(Math.max(...surprise.filter((v) => !Number.isNaN(v)))).toBeLessThan(1e-3);
    expect(sink.events).toEqual([]);
  });

  it('a tick the hook did not run (a hold) leaves nothing to compare; a command in another mode is not predicted from', async () => {
    const sink = new RecordingSink();
    const h = monitor(sink);
    const effort = createCommand(oneJointSpec(), 'effort');
    const hold = createCommand(oneJointSpec(), 'position');
    await h.apply(observationAt(0, 0), none, Float32Array.of(0.5), 0);
    h.commanded(hold); // the supervisor held the pose: no effort action to predict from
    await h.apply(observationAt(5, 1), none, Float32Array.of(0.5), 1);
    expect(h.tick.surprise).toBeNaN();
    effort.target[0] = 0.5;
    h.commanded(effort);
    h.commanded(effort); // the next tick, the hook not run (a policy miss)
    await h.apply(observationAt(9, 2), none, Float32Array.of(0.5), 2);
    expect(h.tick.surprise).toBeNaN();
    expect(sink.events).toEqual([]);
  });
});
