/**
 * The bridge server's pacing: the loop woken by a timing thread (WorkerPacer, `pacing: 'worker'`)
 * or by a timer and an I/O-polling spin (Pacer, 'poll'), in real time.
 */
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { BridgeServer, connectBridgeRobot, defaultPacing } from '../../../hardware/bridge/index.ts';
import { WorkerPacer } from '../../../hardware/bridge/WorkerPacer.ts';
import type { WorkerClock } from '../../../src/clock/WorkerClock.ts';
import { steadyNow } from '../../../src/clock/sleep.ts';
import { createSimRobot } from '../../../sim/index.ts';
import { startServer, waitUntil } from './helpers.ts';
import { lateFirstWait } from './fixtures/lateFirstWait.ts';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('WorkerPacer', () => {
  it('calls back once per deadline asked for, never before it, and not after cancel', async () => {
    const period = 0.004;
    const pacer = await WorkerPacer.start(period);
    const deadlines: number[] = [];
    const fired: number[] = [];
    try {
      const origin = steadyNow();
      await new Promise<void>((resolve) => {
        const next = () => {
          fired.push(steadyNow());
          if (fired.length === 25) return resolve();
          // Every fifth call skips a deadline (a loop that caught up two steps): the next tick serves the later one.
          const d = origin + (deadlines.length + 1 + (fired.length % 5 === 0 ? 1 : 0)) * period;
          deadlines.push(d);
          pacer.at(d, next);
        };
        deadlines.push(origin + period);
        pacer.at(origin + period, next);
      });
      expect(fired).toHaveLength(25);
      for (let i = 0; i < 25; i++) expect(fired[i]).toBeGreaterThanOrEqual(deadlines[i]);
      expect(pacer.timing.wakes).toBeGreaterThan(0);
    } finally {
      await pacer.cancel();
    }
    let late = 0;
    pacer.at(steadyNow() + period, () => late++);
    await new Promise((r) => setTimeout(r, 30));
    expect(late).toBe(0);
  });
});

describe('WorkerPacer, its first tick published before the clock waits for it', () => {
  // On a loaded host the main thread can reach its wait after the timing thread published the first
  // tick: the clock emits that tick while the pacer subscribes, and the loop's callback asks for the
  // next deadline from inside. The pacer then subscribed a second time and lost the first run, whose
  // keep-alive timer outlived cancel: CI's `axon bridge --duration 1.5` stayed alive 35 minutes.
  it('subscribes once, calls back at each deadline, and leaves no timer behind after cancel', async () => {
    const period = 0.002;
    const pacer = await WorkerPacer.start(period);
    const clock = (pacer as unknown as { clock: WorkerClock }).clock;
    const ticks = clock.ticks.bind(clock);
    let runs = 0;
    clock.ticks = (...a) => (runs++, ticks(...a));
    const before = timers();
    const undo = lateFirstWait();
    const deadlines: number[] = [];
    const fired: number[] = [];
    try {
      await new Promise<void>((resolve) => {
        const next = () => {
          fired.push(steadyNow());
          if (fired.length === 10) return resolve();
          deadlines.push(deadlines[0] + fired.length * period);
          pacer.at(deadlines.at(-1)!, next);
        };
        deadlines.push(steadyNow() + period);
        pacer.at(deadlines[0], next);
      });
    } finally {
      undo();
      await pacer.cancel();
    }
    expect(runs).toBe(1);
    for (let i = 0; i < 10; i++) expect(fired[i]).toBeGreaterThanOrEqual(deadlines[i]);
    await new Promise((r) => setTimeout(r, 20));
    expect(timers()).toBe(before);
  });
});

describe('WorkerPacer, its timing thread lost', () => {
  it('goes on calling back on a timer, says why, and tells its owner once', async () => {
    const period = 0.004;
    const pacer = await WorkerPacer.start(period);
    const worker = (pacer as unknown as { clock: { worker: Worker } }).clock.worker;
    const told: string[] = [];
    pacer.onLost = (why) => told.push(why);
    const fired: number[] = [];
    const deadlines: number[] = [];
    try {
      const origin = steadyNow();
      await new Promise<void>((resolve) => {
        const next = () => {
          fired.push(steadyNow());
          if (fired.length === 5) void worker.terminate();
          if (fired.length === 30) return resolve();
          const d = origin + (fired.length + 1) * period;
          deadlines.push(d);
          pacer.at(d, next);
        };
        deadlines.push(origin + period);
        pacer.at(origin + period, next);
      });
      for (let i = 0; i < 30; i++) expect(fired[i]).toBeGreaterThanOrEqual(deadlines[i]);
      expect(pacer.lost).toMatch(/timing thread exited/);
      expect(told).toEqual([pacer.lost]);
    } finally {
      await pacer.cancel();
    }
  });
});

describe('bridge server pacing', () => {
  it("'worker' steps the robot on its grid from a timing thread and serves state frames; close ends the thread", async () => {
    const server = await startServer({ robot: createSimRobot('pendulum'), pacing: 'worker' });
    const robot = await connectBridgeRobot(server.url, { role: 'observe' });
    try {
      const t0 = server.now();
      const sim0 = server.observation.time;
      const seq0 = robot.stateSeq;
      await new Promise((r) => setTimeout(r, 400));
      const t1 = server.now();
      // Real time: each wake-up runs the steps due, so simulated time keeps up with the server's clock.
      expect(Math.abs(server.observation.time - sim0 - (t1 - t0))).toBeLessThan(0.05);
      const p = server.pacing();
      expect(p.kind).toBe('worker');
      expect(p.wakes).toBeGreaterThan((0.5 * (t1 - t0)) / server.dt);
      await waitUntil(() => robot.stateSeq > seq0 + 50, 'state frames at the loop rate');
    } finally {
      await robot.close();
      await server.close();
    }
    const wakes = server.pacing().wakes;
    await new Promise((r) => setTimeout(r, 50));
    expect(server.pacing().wakes).toBe(wakes);
  });

  it('a worker-paced server whose timing thread dies goes on stepping on a timer, with a pacing event and the reason in its figures', async () => {
    const server = await startServer({ robot: createSimRobot('pendulum'), pacing: 'worker' });
    const events: string[] = [];
    server.events$.subscribe((e) => {
      if (e.kind === 'pacing') events.push(e.reason);
    });
    try {
      const pacer = (server as unknown as { _loop: { _pacer: { clock: { worker: Worker } } } })._loop._pacer;
      await pacer.clock.worker.terminate();
      await waitUntil(() => events.length === 1, 'the pacing event');
      const t0 = server.now();
      const sim0 = server.observation.time;
      await new Promise((r) => setTimeout(r, 300));
      expect(server.observation.time - sim0).toBeGreaterThan(0.5 * (server.now() - t0));
      expect(server.pacing()).toMatchObject({ kind: 'worker', lost: expect.stringMatching(/timing thread exited/) });
      expect(events[0]).toMatch(/paced by a timer/);
    } finally {
      await server.close();
    }
  });

  it('by default the timing thread paces up to 4 kHz and the poll pacer above (where the thread kept too few slots)', async () => {
    expect([500, 4000, 4001, 20_000].map(defaultPacing)).toEqual(['worker', 'worker', 'poll', 'poll']);
    for (const [hz, kind] of [[500, 'worker'], [5000, 'poll']] as const) {
      const server = await BridgeServer.listen({ robot: createSimRobot('pendulum', { physicsDt: 1 / hz }), port: 0, token: 't' });
      try {
        expect(server.pacingKind).toBe(kind);
        await waitUntil(() => server.pacing().wakes > 3, 'wake-ups');
        expect(server.pacing().kind).toBe(kind);
      } finally {
        await server.close();
      }
    }
  });

  it('a robot that throws on its last command: close rejects with it, and the loop, its timing thread and the port are gone', async () => {
    const robot = createSimRobot('pendulum');
    const server = await BridgeServer.listen({ robot, port: 0, token: 't' });
    expect(server.pacingKind).toBe('worker');
    await waitUntil(() => server.pacing().wakes > 5, 'wake-ups');
    robot.command = () => {
      throw new Error('bus gone');
    };
    await expect(server.close()).rejects.toThrow('bus gone');
    const wakes = server.pacing().wakes;
    await new Promise((r) => setTimeout(r, 50));
    expect(server.pacing().wakes).toBe(wakes);
    const clock = (server as unknown as { _loop: { _pacer: { clock: { closed: boolean } } } })._loop._pacer.clock;
    expect(clock.closed).toBe(true);
    await expect(connectBridgeRobot(server.url, { reconnect: false })).rejects.toMatchObject({ code: 'BRIDGE_CONNECT' });
  });

  it("'poll' is the Pacer, and so is a server given a spin margin; a pacing it does not know, 'worker' on an injected clock or with a spin margin is BRIDGE_CONFIG", async () => {
    const server = await startServer({ robot: createSimRobot('pendulum'), pacing: 'poll' });
    try {
      await waitUntil(() => server.pacing().wakes > 5, 'poll wake-ups');
      expect(server.pacing().kind).toBe('poll');
    } finally {
      await server.close();
    }
    const spun = await BridgeServer.listen({ robot: createSimRobot('pendulum'), port: 0, token: 't', spinMarginS: 0 });
    expect(spun.pacingKind).toBe('poll'); // a spin margin given chooses the poll pacer
    await spun.close();
    await expect(startServer({ pacing: 'worker', spinMarginS: 0.001 })).rejects.toMatchObject({ code: 'BRIDGE_CONFIG', where: 'spinMarginS' });
    await expect(startServer({ pacing: 'spin' as never })).rejects.toMatchObject({ code: 'BRIDGE_CONFIG', where: 'pacing' });
    await expect(startServer({ pacing: 'worker', now: () => 0 })).rejects.toMatchObject({ code: 'BRIDGE_CONFIG', where: 'pacing' });
  });
});
