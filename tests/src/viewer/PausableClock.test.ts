import { describe, expect, it } from 'vitest';
import { ControlLoop } from '../../../src/loop/ControlLoop.ts';
import { SimClock } from '../../../src/clock/SimClock.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../../src/model/ActionMapper.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { PassThroughHook } from '../../../src/worldmodel/types.ts';
import { ZeroPolicy } from '../../../src/policy/Policy.ts';
import { validateManifest, observationSize, actionSize } from '../../../src/model/manifest.ts';
import { PausableClock } from '../../../src/viewer/PausableClock.ts';
import { PointMassRobot, joint, manifest, spec } from '../../helpers/fakes.ts';

function setup(maxTicks: number, realtime = false) {
  const robot = new PointMassRobot(spec([joint('a'), joint('b')]), 0.02);
  const m = validateManifest(manifest());
  let steps = 0;
  const clock = new PausableClock(new SimClock(1 / 50, (dt) => { steps++; robot.step(dt); }), { realtime });
  const loop = new ControlLoop({
    robot,
    clock,
    builder: new ObservationBuilder(m, robot.spec),
    policy: new ZeroPolicy(m, observationSize(m), actionSize(m)),
    worldModel: new PassThroughHook(),
    mapper: new ActionMapper(m, robot.spec),
    safety: new SafetySupervisor(robot.spec, 1 / 50),
    maxTicks,
  });
  return { clock, loop, steps: () => steps };
}

const settle = () => new Promise((r) => setTimeout(r, 30));

describe('PausableClock (viewer pause/step)', () => {
  it('runs like an unpaced SimClock when never paused', async () => {
    const { loop, steps } = setup(100);
    const r = await loop.run();
    expect(r.ticks).toBe(100);
    expect(steps()).toBe(100); // as SimClock: the last tick's done$ advances the simulation once more
  });

  it('holds the simulation while paused, steps exactly one tick, then resumes', async () => {
    const { clock, loop } = setup(40, true);
    const seqs: number[] = [];
    loop.records$.subscribe((r) => {
      seqs.push(r.seq);
      if (r.seq === 4) clock.pause();
    });
    const done = loop.run();
    while (seqs.length < 5) await settle();
    await settle();
    await settle();
    expect(seqs.length).toBe(5); // paused after tick 4
    expect(clock.paused).toBe(true);
    clock.step();
    await settle();
    expect(seqs.length).toBe(6);
    clock.step();
    clock.step(); // a step while the previous one is still pending releases nothing more
    await settle();
    expect(seqs.length).toBe(7);
    const t0 = performance.now();
    clock.resume();
    const r = await done;
    expect(r.ticks).toBe(40);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // No catch-up burst after the pause: the remaining 33 ticks took about 33 periods of 20 ms.
    expect(performance.now() - t0).toBeGreaterThan(33 * 20 * 0.8);
  });
});
