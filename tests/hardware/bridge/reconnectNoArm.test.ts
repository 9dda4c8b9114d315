/**
 * Arming is the client's decision, never a side effect (PROTOCOL.md section 6): a client whose loop
 * is latched in its own stop keeps writing its hold output every tick, and the server arms an idle
 * robot on the first command it gets. So the client must not send to an idle robot it did not mean
 * to arm: after the server's e-stop and its operator's reset, or after a reconnect to a restarted
 * (idle) server, the robot stays idle until the client resets or arms it itself; and while the
 * robot is stopped the client sends nothing the server could only refuse (review R6, findings 3
 * and 15). Both used to re-arm the robot within one command.
 *
 * The server steps on virtual time (`paced: false`, runDue), the client's timers (heartbeat,
 * backoff) on a VirtualTime: nothing moves unless the test moves it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualTime } from '../../../src/clock/VirtualTime.ts';
import type { JointCommand } from '../../../src/core/robot.ts';
import { connectBridgeRobot, type BridgeRobot, type BridgeServer } from '../../../hardware/bridge/index.ts';
import { createSimRobot } from '../../../sim/index.ts';
import { record, startServer } from './helpers.ts';
import { until, VirtualRig } from './virtualRig.ts';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

/** The hold a latched loop writes every tick: a position command to where the pendulum is. */
const hold: JointCommand = { mode: 'position', target: new Float64Array([0]) };

/** A pendulum server and a commanding client, both on one virtual time. */
class Bench {
  server!: BridgeServer;
  robot!: BridgeRobot;
  readonly time = new VirtualTime(0);
  private nextStep = 0;

  async serve(port = 0): Promise<BridgeServer> {
    this.server = await startServer({ robot: createSimRobot('pendulum'), now: this.time.now, paced: false, port });
    this.nextStep = this.time.now() + this.server.dt;
    open.push(this.server);
    return this.server;
  }

  /** One server step on virtual time (the client's timers due by then fire first), then lets the sockets carry it. */
  async step(): Promise<void> {
    this.time.advanceTo(this.nextStep);
    this.nextStep += this.server.dt;
    this.server.runDue();
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  }

  async connect(): Promise<BridgeRobot> {
    const pending = connectBridgeRobot(this.server.url, { token: 'secret-token', simReset: { seed: 1 }, now: this.time.now, timers: this.time, random: () => 0.5 });
    let robot: BridgeRobot | undefined;
    let failed: unknown;
    pending.then((r) => (robot = r), (e) => (failed = e));
    for (let i = 0; robot === undefined && failed === undefined; i++) {
      if (i > 2000) throw new Error('no connection');
      await this.step();
    }
    if (failed !== undefined) throw failed;
    this.robot = robot!;
    open.push(this.robot);
    return this.robot;
  }

  /** Sends one command and lets the server handle it (a step later). */
  async command(): Promise<void> {
    this.robot.command(hold);
    await this.step();
  }
}

describe('a bridge client does not arm an idle robot it did not mean to arm', () => {
  it("after the server's e-stop and its operator's reset: the held client's commands are withheld, the robot stays idle until the client resets it", async () => {
    const b = new Bench();
    const s = await b.serve();
    const events = record(s);
    const r = await b.connect();
    await b.command();
    expect(s.robotState).toBe('running'); // the run's start: the client means to arm
    s.estop('t');
    await until(() => r.serverState === 'e-stopped', 'the client seeing the e-stop');
    const sent = r.counts.commandsSent;
    const refusals = s.counts.commandsRejected;
    for (let i = 0; i < 5; i++) await b.command(); // the latched loop's hold output
    expect(r.counts.commandsSent).toBe(sent); // nothing the server could only refuse
    expect(r.counts.commandsWithheld).toBe(5);
    expect(s.counts.commandsRejected).toBe(refusals);
    s.reset('t'); // the server's operator, to look at the robot in idle
    await until(() => r.serverState === 'idle', 'the client seeing the reset');
    for (let i = 0; i < 5; i++) await b.command();
    expect(s.robotState).toBe('idle');
    expect(events.filter((e) => e.kind === 'state' && e.cause === 'armed')).toHaveLength(1); // the first, at the start
    expect(r.counts.commandsSent).toBe(sent);
    expect(r.counts.commandsWithheld).toBe(10);
    // The client cannot drive it, and says so: a fault naming the reset.
    expect(r.health$.value.faults).toEqual([expect.stringMatching(/^bridge: served robot is idle \(reset: reset by the server operator: t\) after e-stopped, and this client did not arm it/)]);
    // Its own explicit reset is its decision: the next command arms.
    const reply = r.reset('client operator');
    await b.step();
    await reply;
    expect(r.health$.value.faults).toEqual([]);
    await b.command();
    expect(s.robotState).toBe('running');
  });

  it('after a reconnect to a server restarted on the same port: the robot stays idle until the client arms it', async () => {
    const b = new Bench();
    const first = await b.serve();
    const port = first.port;
    const r = await b.connect();
    await b.command();
    expect(first.robotState).toBe('running');
    await first.close(); // a crash or a restart: the client loses its link
    await until(() => !r.connected, 'the client seeing the link closed');
    const s = await b.serve(port);
    const events = record(s);
    for (let i = 0; i < 2000 && r.counts.reconnects === 0; i++) await b.step(); // the backoff, then the handshake and the first frame
    expect(r.counts.reconnects).toBe(1);
    expect(r.serverState).toBe('idle'); // a fresh server
    for (let i = 0; i < 5; i++) await b.command();
    expect(s.robotState).toBe('idle');
    expect(s.counts.commandsAccepted).toBe(0);
    expect(events.some((e) => e.kind === 'state' && e.cause === 'armed')).toBe(false);
    expect(r.counts.commandsWithheld).toBe(5);
    expect(r.health$.value.faults).toEqual([expect.stringMatching(/^bridge: served robot is idle .*after a reconnect, and this client did not arm it/)]);
    // An explicit decision arms it.
    r.arm();
    expect(r.health$.value.faults).toEqual([]);
    await b.command();
    expect(s.robotState).toBe('running');
  });

  it("a running loop, stopped by the server's e-stop and left holding, does not re-arm the robot when the server's operator resets it", async () => {
    const rig = await VirtualRig.start({ robot: createSimRobot('cartpole', { randomize: { angle: 0.05 } }) });
    open.push(rig);
    const robot = await rig.connect();
    const s = rig.server;
    let stopAt = Number.NaN;
    let resetAt = Number.NaN;
    let sentAtStop = 0;
    const { r } = await rig.runLive(robot, { policy: 'models/cartpole-balance', durationS: 2 }, (t) => {
      if (t >= 0.8 && Number.isNaN(stopAt)) {
        stopAt = t;
        s.estop('operator drill');
      }
      if (t >= 0.9 && robot.serverState === 'e-stopped' && sentAtStop === 0) sentAtStop = robot.counts.commandsSent;
      if (t >= 1.2 && Number.isNaN(resetAt)) {
        resetAt = t;
        s.reset('look at it idle');
      }
    });
    const states = rig.serverEvents.filter((e) => e.kind === 'state').map((e) => (e.kind === 'state' ? `${e.robotState}:${e.cause}` : ''));
    expect(states).toEqual(['idle:sim_reset', 'running:armed', 'e-stopped:estop', 'idle:reset']);
    expect(s.robotState).toBe('idle');
    expect(robot.counts.commandsSent).toBe(sentAtStop); // the loop's hold output from the stop on: withheld
    expect(robot.counts.commandsWithheld).toBeGreaterThan(40); // ~1.1 s of 50 Hz ticks
    expect(r.endedBy).toBe('fault');
    expect(r.safety.state).toBe('safe-stop');
  });
});
