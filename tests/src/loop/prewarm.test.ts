/**
 * The policy warm-up (Policy.prewarm): a paced clock runs it once before each tick, just before
 * the deadline; a lockstep (fast) clock never; `prewarm: false` turns it off. Virtual time.
 */
import { describe, expect, it } from 'vitest';
import { ControlLoop } from '../../../src/loop/ControlLoop.ts';
import { SimClock } from '../../../src/clock/SimClock.ts';
import { PausableClock } from '../../../src/viewer/PausableClock.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../../src/model/ActionMapper.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { PassThroughHook } from '../../../src/worldmodel/types.ts';
import { validateManifest, type ModelManifest } from '../../../src/model/manifest.ts';
import type { Policy } from '../../../src/policy/Policy.ts';
import type { Clock } from '../../../src/clock/types.ts';
import { PointMassRobot, joint, manifest, spec } from '../../helpers/fakes.ts';
import { virtualTimers } from '../clock/virtualTimers.ts';

/** Logs act and prewarm calls with the virtual time they ran at. */
class LoggingPolicy implements Policy {
  readonly inputSize = 2;
  readonly outputSize = 1;
  readonly log: { kind: 'act' | 'warm'; at: number }[] = [];
  private readonly out = new Float32Array(1);
  constructor(
    readonly manifest: ModelManifest,
    private readonly host: ReturnType<typeof virtualTimers>,
  ) {}
  reset(): void {}
  act(): Float32Array {
    this.log.push({ kind: 'act', at: this.host.t });
    return this.out;
  }
  prewarm(): void {
    this.log.push({ kind: 'warm', at: this.host.t });
    this.host.cost(80e-6);
  }
  async close(): Promise<void> {}
}

async function run(makeClock: (host: ReturnType<typeof virtualTimers>, step: (dt: number) => void) => Clock, prewarm?: boolean) {
  const host = virtualTimers(() => 50e-6);
  const robot = new PointMassRobot(spec([joint('a', { lower: -100, upper: 100, effortLimit: 1 })]), 0.002);
  const m = validateManifest(manifest({ joints: ['a'], control_hz: 50, action: { type: 'joint_effort', scale: 1 } }));
  const policy = new LoggingPolicy(m, host);
  const clock = makeClock(host, (dt) => robot.step(dt));
  const loop = new ControlLoop({
    robot,
    clock,
    builder: new ObservationBuilder(m, robot.spec),
    policy,
    worldModel: new PassThroughHook(),
    mapper: new ActionMapper(m, robot.spec),
    safety: new SafetySupervisor(robot.spec, 1 / 50),
    maxTicks: 30,
    ...(prewarm !== undefined ? { prewarm } : {}),
  });
  const start = host.t;
  const done = loop.run();
  host.run();
  const result = await done;
  return { result, log: policy.log, start, clock };
}

const paced = (host: ReturnType<typeof virtualTimers>, step: (dt: number) => void) =>
  new SimClock(1 / 50, step, { realtime: true, now: host.now, setTimer: host.setTimer, spinMargin: 0.3e-3 });

describe('policy warm-up before each tick', () => {
  it('a paced clock warms the policy once before each tick after the first, ending at the deadline', async () => {
    const { result, log, start, clock } = await run(paced);
    expect(result.ticks).toBe(30);
    const acts = log.filter((e) => e.kind === 'act');
    const warms = log.filter((e) => e.kind === 'warm');
    expect(acts).toHaveLength(30);
    expect(warms).toHaveLength(29);
    // Each warm-up directly precedes its tick's act, and (once its cost is known) ran within its
    // cost of the deadline: the closer to the call, the warmer what it touched stays.
    for (let k = 1; k < 30; k++) {
      const i = log.indexOf(acts[k]);
      expect(log[i - 1]).toBe(warms[k - 1]);
      if (k >= 2) {
        const left = start + k / 50 - warms[k - 1].at;
        expect(left).toBeGreaterThan(75e-6);
        expect(left).toBeLessThan(90e-6);
      }
    }
    expect((clock as SimClock).sleeper.warmRuns).toBe(29);
    // The run is over: the clock no longer holds the policy's warm-up.
    expect((clock as SimClock).sleeper.warm).toBeUndefined();
  });

  it('a paced PausableClock (the viewer) warms too', async () => {
    const { log } = await run((host, step) => new PausableClock(new SimClock(1 / 50, step), { realtime: true, now: host.now, setTimer: host.setTimer, spinMargin: 0.3e-3 }));
    expect(log.filter((e) => e.kind === 'warm')).toHaveLength(29);
  });

  it('a lockstep clock (fast mode) never warms; prewarm: false turns it off on a paced one', async () => {
    const fast = await run((_host, step) => new SimClock(1 / 50, step));
    expect(fast.log.filter((e) => e.kind === 'warm')).toHaveLength(0);
    const off = await run(paced, false);
    expect(off.log.filter((e) => e.kind === 'warm')).toHaveLength(0);
    expect(off.log.filter((e) => e.kind === 'act')).toHaveLength(30);
  });
});
