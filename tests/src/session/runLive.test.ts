/**
 * The live runner on virtual time (VirtualClock): a robot fault mid-run is a safe-stop at the
 * exact loop time it came; a robot faulted before the loop arms is e-stopped; the robot is given
 * the loop's clock; a clock at another period is refused with the robot closed.
 */
import { BehaviorSubject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createSimRobot, createTask } from '../../../sim/index.ts';
import type { JointCommand, Observation, Robot, RobotHealth } from '../../../src/core/robot.ts';
import { VirtualClock, VirtualTime } from '../../../src/clock/VirtualTime.ts';
import { WorkerClock } from '../../../src/clock/WorkerClock.ts';
import type { Worker } from 'node:worker_threads';
import { runLive, type LiveResult } from '../../../src/cli/live.ts';
import { defaultLiveClock } from '../../../src/session/index.ts';
import type { SafetyEvent } from '../../../src/safety/types.ts';

const PERIOD = 0.02; // models/cartpole-balance: 50 Hz

/** A robot that keeps its own time: a cartpole simulation stepped one period per observe(). */
class SelfTimedRobot implements Robot {
  readonly sim = createSimRobot('cartpole');
  readonly spec = this.sim.spec;
  readonly health$ = new BehaviorSubject<RobotHealth>({ connected: true, stale: false, faults: [] });
  runClock: (() => number) | undefined;
  closed = false;
  /** Set by a test: what connecting waits for (e.g. a slow bus scan on virtual time). */
  connecting: (() => Promise<void>) | undefined;
  async connect(): Promise<void> {
    await this.connecting?.();
  }
  observe(): Observation {
    this.sim.step(PERIOD);
    return this.sim.observe();
  }
  command(cmd: JointCommand): void {
    this.sim.command(cmd);
  }
  useClock(now: () => number): void {
    this.runClock = now;
  }
  async close(): Promise<void> {
    this.closed = true;
    await this.sim.close();
  }
}

/** Runs the cartpole policy for `durationS` on virtual time; `onStart` runs before the first tick. */
async function run(robot: SelfTimedRobot, durationS: number, onStart: (time: VirtualTime) => void = () => {}, period = PERIOD, time = new VirtualTime(100)): Promise<{ r: LiveResult; events: SafetyEvent[]; time: VirtualTime }> {
  const events: SafetyEvent[] = [];
  let ended = false;
  const p = runLive(robot, {
    policy: 'models/cartpole-balance',
    durationS,
    handleSignals: false,
    clock: new VirtualClock(period, time),
    onLoop: (_loop, safety) => {
      safety.events$.subscribe((e) => events.push(e));
      onStart(time);
    },
  }).finally(() => (ended = true));
  p.catch(() => {});
  while (!ended) {
    if (time.pendingCount > 0) time.advanceTo(time.nextDue());
    await new Promise((r) => setImmediate(r));
  }
  return { r: await p, events, time };
}

/** A self-timed robot whose data can stop changing (a link or bus that delivers nothing new): the same observation, same seq. */
class FreezingRobot extends SelfTimedRobot {
  frozen = false;
  private last: Observation | undefined;
  override observe(): Observation {
    if (this.frozen && this.last) return this.last;
    this.last = super.observe();
    return this.last;
  }
}

/** A self-timed robot whose reads take `readS` of the loop clock's time once `slow` (a slow bus). */
class SlowReadRobot extends SelfTimedRobot {
  slow = false;
  constructor(
    private readonly time: VirtualTime,
    private readonly readS: number,
  ) {
    super();
  }
  override observe(): Observation {
    if (this.slow) this.time.advance(this.readS);
    return super.observe();
  }
}

/** run() with the supervisor handed to `onStart`. */
function run2(robot: SelfTimedRobot, durationS: number, onStart: (safety: LiveResult['safety'], time: VirtualTime) => void) {
  let safety: LiveResult['safety'] | undefined;
  const time = new VirtualTime(100);
  return runWith(robot, durationS, time, (s) => {
    safety = s;
    onStart(safety, time);
  });
}

async function runWith(robot: SelfTimedRobot, durationS: number, time: VirtualTime, onStart: (safety: LiveResult['safety']) => void): Promise<{ r: LiveResult; events: SafetyEvent[] }> {
  const events: SafetyEvent[] = [];
  let ended = false;
  const p = runLive(robot, {
    policy: 'models/cartpole-balance',
    durationS,
    handleSignals: false,
    task: createTask('cartpole'),
    clock: new VirtualClock(PERIOD, time),
    onLoop: (_loop, safety) => {
      safety.events$.subscribe((e) => events.push(e));
      onStart(safety);
    },
  }).finally(() => (ended = true));
  p.catch(() => {});
  while (!ended) {
    if (time.pendingCount > 0) time.advanceTo(time.nextDue());
    await new Promise((r) => setImmediate(r));
  }
  return { r: await p, events };
}

const sigintBefore = process.listenerCount('SIGINT');

describe('runLive on virtual time', () => {
  it('a robot fault mid-run: a safe-stop naming it at the loop time it came, and the run ends stopped', async () => {
    const robot = new SelfTimedRobot();
    const { r, events } = await run(robot, 1, (time) => {
      time.setTimeout(() => robot.health$.next({ connected: true, stale: false, faults: ['servo 3 overload'] }), 0.5);
    });
    const stops = events.filter((e) => e.kind === 'safe_stop' || e.kind === 'estop');
    expect(stops).toEqual([expect.objectContaining({ kind: 'safe_stop', state: 'safe-stop', time: 0.5, seq: 24, reason: 'robot fault: servo 3 overload' })]);
    expect(r.safety.state).toBe('safe-stop');
    expect(r.endedBy).toBe('fault');
    expect(r.loop.ticks).toBe(50);
    expect(robot.closed).toBe(true);
  });

  it('a robot already faulted when the run starts is e-stopped: the loop never arms', async () => {
    const robot = new SelfTimedRobot();
    robot.health$.next({ connected: true, stale: false, faults: ['bridge: served robot is safe-stop (deadman)'] });
    const { r, events } = await run(robot, 0.2);
    // (The e-stop came before onLoop subscribed: only its effect is seen here.)
    expect(events.some((e) => e.kind === 'state_change' && e.state === 'running')).toBe(false);
    expect(r.safety.state).toBe('e-stopped');
    expect(r.endedBy).toBe('fault');
  });

  it("gives the robot the loop's clock: one time base for ticks and observations", async () => {
    const robot = new SelfTimedRobot();
    let clockAtStart = Number.NaN;
    const { time } = await run(robot, 0.3, () => {
      clockAtStart = robot.runClock!();
    });
    expect(robot.runClock).toBeDefined();
    expect(clockAtStart).toBe(0); // the VirtualClock before its first tick: 0 s since it was made
    expect(robot.runClock!()).toBeCloseTo(time.now() - 100, 12); // 100: the virtual time the run started at
  });

  it('a slow connect: the clock reads on from when it was made, and the soft start runs from the first tick', async () => {
    const robot = new SelfTimedRobot();
    const time = new VirtualTime(100);
    robot.connecting = () => new Promise((r) => time.setTimeout(r, 2)); // the clock is made, then 2 s pass
    let stampedBeforeRun = Number.NaN;
    const { r, events } = await run(robot, 1.5, () => {
      stampedBeforeRun = robot.runClock!(); // e.g. a bus read completed before the loop started
    }, PERIOD, time);
    expect(stampedBeforeRun).toBeCloseTo(2, 12);
    // Armed, and soft-started, at the first tick on the same base: not before what was stamped, and
    // the soft start is not taken as already over (it would be, counted from a time 0 two seconds back).
    const armed = events.find((e) => e.kind === 'state_change' && e.state === 'running')!;
    expect(armed.time).toBeCloseTo(2, 12);
    expect(armed.time).toBeGreaterThanOrEqual(stampedBeforeRun);
    const soft = events.find((e) => e.kind === 'soft_start')!;
    expect(soft.time).toBeCloseTo(2, 12);
    expect(r.loop.ticks).toBe(75);
    expect(r.safety.state).toBe('running');
    // The live profile, every check named: overspeed stop, impossible-reading bounds, soft start.
    const c = r.safety.config;
    expect([c.overspeedFactor, c.positionMargin, c.jumpFactor, c.softStartS]).toEqual([2, 0.1, 3, 1]);
  });

  it('--duration is time on the loop clock: a bus read that takes 3 periods gives a 1 s run of fewer ticks, not a 4 s one of 50 (review R15 F12)', async () => {
    const time = new VirtualTime(100);
    const robot = new SlowReadRobot(time, 3 * PERIOD);
    const { r } = await run(robot, 1, () => {
      robot.slow = true;
    }, PERIOD, time);
    expect(r.endedBy).toBe('duration');
    expect(r.loop.ticks).toBeLessThan(50);
    expect(r.loop.ticks).toBeGreaterThan(5);
    expect(r.loop.timeS).toBeGreaterThanOrEqual(1 - 1e-9);
    expect(r.loop.timeS).toBeLessThan(1 + 4 * PERIOD); // at most the last tick's own read beyond it
  });

  it('a worker clock whose timing thread dies mid-run ends the run with CLOCK_LOST, the robot closed (its safe state)', async () => {
    const robot = new SelfTimedRobot();
    const clock = await WorkerClock.start(PERIOD);
    const worker = (clock as unknown as { worker: Worker }).worker;
    try {
      const p = runLive(robot, {
        policy: 'models/cartpole-balance',
        durationS: 30,
        handleSignals: false,
        clock,
        onLoop: (loop) => {
          let n = 0;
          loop.records$.subscribe(() => {
            if (++n === 5) void worker.terminate();
          });
        },
      });
      await expect(p).rejects.toMatchObject({ code: 'CLOCK_LOST' });
      expect(robot.closed).toBe(true);
    } finally {
      await clock.close();
    }
  });

  it('a stale observation the supervisor safe-stops on: the run ends by safe_stop, naming it, and is no success', async () => {
    const robot = new FreezingRobot();
    const { r, events } = await run2(robot, 1.5, (_s, time) => {
      time.setTimeout(() => (robot.frozen = true), 0.5); // the link delivers nothing new for 0.3 s
      time.setTimeout(() => (robot.frozen = false), 0.8);
    });
    expect(r.safety.state).toBe('safe-stop'); // latched: the robot held to the end
    expect(r.endedBy).toBe('safe_stop');
    expect(r.safety.ownStop).toMatchObject({ kind: 'stale_observation', requested: false, reason: expect.stringMatching(/^stale observation for 3 ticks/) });
    expect(r.episode?.success).toBe(false);
    expect(events.filter((e) => e.kind === 'stale_observation').map((e) => e.state)).toEqual(['degraded', 'degraded', 'safe-stop']);
  });

  it('re-armed by the operator after that stop and run to the end: ended by duration (the state at the end decides)', async () => {
    const robot = new FreezingRobot();
    let safety: LiveResult['safety'] | undefined;
    const { r, events } = await run2(robot, 1.5, (s, time) => {
      safety = s;
      time.setTimeout(() => (robot.frozen = true), 0.5);
      time.setTimeout(() => (robot.frozen = false), 0.8);
      time.setTimeout(() => safety!.reset('operator re-arm (test)', robot.sim.observe(), 0, 1), 1);
    });
    expect(events.some((e) => e.kind === 'stale_observation' && e.state === 'safe-stop')).toBe(true);
    expect(r.safety.state).toBe('running');
    expect(r.safety.ownStop).toBeUndefined();
    expect(r.endedBy).toBe('duration');
  });

  it("an operator's e-stop keeps its outcome: ended by duration, the stop named as a request", async () => {
    const robot = new FreezingRobot();
    const { r } = await run2(robot, 1, (s, time) => {
      time.setTimeout(() => s.estop('operator e-stop (viewer)', 0.5, 25), 0.5);
    });
    expect(r.safety.state).toBe('e-stopped');
    expect(r.endedBy).toBe('duration');
    expect(r.safety.ownStop).toBeUndefined();
    expect(r.safety.stopCause).toMatchObject({ kind: 'estop', requested: true, reason: 'operator e-stop (viewer)' });
  });

  it.each([
    [true, 'after the supervisor had stale-stopped'],
    [false, 'with no stop before it'],
  ])('a robot fault then Ctrl-C (%s, %s): ended by fault, the signal does not relabel it', async (withStale) => {
    // docs/safety.md "How a run ends": a robot fault keeps ended_by "fault" (exit 1), also when a signal came after it.
    const robot = new FreezingRobot();
    const time = new VirtualTime(100);
    let ended = false;
    const p = runLive(robot, {
      policy: 'models/cartpole-balance',
      durationS: 1.5,
      handleSignals: true,
      clock: new VirtualClock(PERIOD, time),
      onLoop: () => {
        if (withStale) {
          time.setTimeout(() => (robot.frozen = true), 0.3);
          time.setTimeout(() => (robot.frozen = false), 0.6);
        }
        time.setTimeout(() => robot.health$.next({ connected: true, stale: false, faults: ['servo 3 overload'] }), 0.8);
        time.setTimeout(() => process.emit('SIGINT' as never), 1.0); // the operator's Ctrl-C on the held robot
      },
    }).finally(() => (ended = true));
    p.catch(() => {});
    while (!ended) {
      if (time.pendingCount > 0) time.advanceTo(time.nextDue());
      await new Promise((r) => setImmediate(r));
    }
    const r = await p;
    expect(r.loop.ticks).toBeLessThan(75); // the signal ended it before its 1.5 s
    expect(r.endedBy).toBe('fault');
    expect(process.listenerCount('SIGINT')).toBe(sigintBefore);
  });

  it('refuses a clock at another period than the policy, with the robot closed', async () => {
    const robot = new SelfTimedRobot();
    await expect(run(robot, 0.2, () => {}, 0.01)).rejects.toMatchObject({ code: 'LIVE_CLOCK', message: expect.stringMatching(/period of 0\.01 s.*expected the session's period, 0\.02 s/) });
    expect(robot.closed).toBe(true);
  });
});

/** The cartpole behind an asynchronous bus: command() starts a 2 ms read-back that settle() waits for. */
class BusRobot extends SelfTimedRobot {
  readonly log: string[] = [];
  private cycle: Promise<void> = Promise.resolve();
  private n = 0;
  override observe(): Observation {
    this.log.push(`observe ${this.n}`);
    return super.observe();
  }
  override command(cmd: JointCommand): void {
    super.command(cmd);
    const k = this.n++;
    this.cycle = new Promise((r) => setTimeout(() => (this.log.push(`read ${k}`), r()), 2));
  }
  settle(): Promise<void> {
    return this.cycle;
  }
}

/** A robot whose state streams in on the event loop (a bridge client's frames): an update every 1 ms, from a timer. */
class StreamRobot extends SelfTimedRobot {
  readonly ages: number[] = [];
  private updatedAt = performance.now();
  private readonly feed = setInterval(() => (this.updatedAt = performance.now()), 1);
  constructor(readonly streamsState: boolean) {
    super();
  }
  override observe(): Observation {
    this.ages.push(performance.now() - this.updatedAt);
    return super.observe();
  }
  override async close(): Promise<void> {
    clearInterval(this.feed);
    await super.close();
  }
}

describe('runLive on the wall clock', () => {
  it('picks the blocking clock for a robot whose I/O settles, the timer for one whose I/O never rests', () => {
    const bus = new BusRobot();
    const link = new SelfTimedRobot(); // no settle(): a bridge client's link streams state
    expect(defaultLiveClock(bus)).toBe('block');
    expect(defaultLiveClock(link)).toBe('timer');
    expect(defaultLiveClock(bus, new BusRobot())).toBe('block'); // teleop: both arms on a bus
    expect(defaultLiveClock(bus, link)).toBe('timer');
  });

  it("by default on a servo bus, each tick's bus cycle is read back before the next tick observes", async () => {
    const robot = new BusRobot();
    const r = await runLive(robot, { policy: 'models/cartpole-balance', durationS: 0.3, handleSignals: false });
    // 0.3 s of wall time: 15 ticks, fewer if the host skips slots (--duration is time, review R15 F12).
    expect(r.loop.ticks).toBeLessThanOrEqual(15);
    expect(r.loop.ticks).toBeGreaterThan(1);
    for (let k = 1; k < r.loop.ticks; k++) expect(robot.log.indexOf(`read ${k - 1}`)).toBeLessThan(robot.log.indexOf(`observe ${k}`));
  });

  it('on the blocking clock, a robot whose state streams in is read after what came while the thread slept', async () => {
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const ages = async (streams: boolean) => {
      const robot = new StreamRobot(streams);
      const r = await runLive(robot, { policy: 'models/cartpole-balance', durationS: 0.3, clock: 'block', handleSignals: false });
      expect(r.loop.ticks).toBeLessThanOrEqual(15); // 0.3 s of wall time
      expect(r.loop.ticks).toBeGreaterThan(3);
      return median(robot.ages.slice(2));
    };
    // Without the turn before the tick, a 20 ms tick reads the state of when its thread went to sleep.
    expect(await ages(false)).toBeGreaterThan(10);
    expect(await ages(true)).toBeLessThan(5);
  });
});
