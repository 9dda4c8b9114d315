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
import { Subject } from 'rxjs';
import type { Clock, Tick } from '../../../src/clock/types.ts';
import { virtualTimers } from '../clock/virtualTimers.ts';

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

/**
 * Runs `make(host, step)` for n ticks on virtual time, a physics step costing 1.3 ms of a 2 ms
 * period; returns the ticks with their virtual emit time, the times of the physics steps and the start.
 */
function onVirtualTime(n: number, make: (host: ReturnType<typeof virtualTimers>, step: (dt: number) => void) => Clock, onTick?: (t: Tick, clock: Clock) => void) {
  const host = virtualTimers((i) => (i % 40 === 0 ? 120e-6 : 40e-6));
  const stepAt: number[] = [];
  const clock = make(host, () => {
    stepAt.push(host.t);
    host.cost(1.3e-3);
  });
  const done$ = new Subject<void>();
  const ticks: Tick[] = [];
  const start = host.t;
  const sub = clock.ticks(done$).subscribe((t) => {
    ticks.push(t);
    onTick?.(t, clock);
    if (ticks.length < n) done$.next();
  });
  host.run(() => ticks.length >= n);
  sub.unsubscribe();
  return { ticks, stepAt, start, host };
}

describe('PausableClock in real time, not paused (virtual time)', () => {
  const N = 600;
  const bare = onVirtualTime(N, (h, step) => new SimClock(0.002, step, { realtime: true, now: h.now, setTimer: h.setTimer }));
  const pacedHere = onVirtualTime(N, (h, step) => new PausableClock(new SimClock(0.002, step), { realtime: true, now: h.now, setTimer: h.setTimer }));
  const pacedInside = onVirtualTime(N, (h, step) => new PausableClock(new SimClock(0.002, step, { realtime: true, now: h.now, setTimer: h.setTimer }), { realtime: true }));

  it('reports the same ticks and lateness as the SimClock it wraps', () => {
    for (const run of [pacedHere, pacedInside]) {
      expect(run.ticks.map((t) => t.seq)).toEqual(bare.ticks.map((t) => t.seq));
      expect(run.ticks.map((t) => t.time)).toEqual(bare.ticks.map((t) => t.time));
      for (let k = 0; k < N; k++) expect(Math.abs(run.ticks[k].lateness - bare.ticks[k].lateness)).toBeLessThan(3e-6);
    }
    // Lateness is the wake-up after the learned spin, not the 1.3 ms physics step.
    const worst = Math.max(...pacedHere.ticks.slice(300).map((t) => t.lateness));
    expect(worst).toBeLessThan(3e-6);
  });

  it('steps the physics before each deadline, as SimClock does', () => {
    for (const run of [bare, pacedHere, pacedInside])
      for (let k = 1; k < N; k++) expect(run.stepAt[k - 1]).toBeLessThan(run.start + k * 0.002);
  });

  it('after a pause, the next tick is due one period after resume (inner clock paced or not)', () => {
    for (const pacedInner of [false, true]) {
      const h = virtualTimers();
      let steps = 0;
      const step = () => {
        steps++;
        h.cost(1.3e-3);
      };
      const inner = pacedInner ? new SimClock(0.002, step, { realtime: true, now: h.now, setTimer: h.setTimer }) : new SimClock(0.002, step);
      const clock = new PausableClock(inner, { realtime: true, now: h.now, setTimer: h.setTimer });
      const done$ = new Subject<void>();
      const seen: { t: Tick; at: number }[] = [];
      const sub = clock.ticks(done$).subscribe((t) => {
        seen.push({ t, at: h.t });
        if (t.seq === 4) clock.pause();
        if (seen.length < 12) done$.next();
      });
      h.run();
      expect(seen.length).toBe(5); // held after tick 4
      expect(steps).toBe(4); // nothing advanced while paused
      h.cost(1); // a second later the operator resumes
      const resumedAt = h.t;
      clock.resume();
      h.run();
      sub.unsubscribe();
      expect(seen.map((s) => s.t.seq)).toEqual([...Array(12).keys()]);
      expect(seen[5].at - resumedAt).toBeGreaterThan(0.002 - 1e-5); // one period, no catch-up burst
      for (const s of seen.slice(5)) expect(s.t.lateness).toBeLessThan(3e-6);
    }
  });
});
