/**
 * The page's Arm is a bridge client's explicit decision to arm (PROTOCOL.md section 6, docs/viewer.md):
 * after the server operator's e-stop and reset the client reports "idle, this client did not arm
 * it" (RobotHealth.armable), and the viewer's Arm calls the robot's arm() and re-arms the loop, so
 * the next command arms the served robot. A served robot that is still e-stopped is refused. Review
 * R8 finding 1: the page refused Arm on that fault forever, and nothing else cleared it.
 *
 * The server steps on virtual time (`paced: false`, runDue), the client's timers on a VirtualTime.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { WebSocket } from 'ws';
import { VirtualTime } from '../../../src/clock/VirtualTime.ts';
import { createCommand, type JointCommand } from '../../../src/core/robot.ts';
import { LoopStats } from '../../../src/loop/LoopStats.ts';
import { stageNames, type TickRecord } from '../../../src/loop/TickRecord.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { attachViewer } from '../../../src/viewer/index.ts';
import { connectBridgeRobot, type BridgeRobot, type BridgeServer } from '../../../hardware/bridge/index.ts';
import { createSimRobot } from '../../../sim/index.ts';
import { startServer } from './helpers.ts';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

const hold: JointCommand = { mode: 'position', target: new Float64Array([0]) };

async function bench() {
  const time = new VirtualTime(0);
  const server: BridgeServer = await startServer({ robot: createSimRobot('pendulum'), now: time.now, paced: false });
  open.push(server);
  let next = time.now() + server.dt;
  const step = async (n = 1) => {
    for (let k = 0; k < n; k++) {
      time.advanceTo(next);
      next += server.dt;
      server.runDue();
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    }
  };
  const pending = connectBridgeRobot(server.url, { token: 'secret-token', simReset: { seed: 1 }, now: time.now, timers: time, random: () => 0.5 });
  let robot: BridgeRobot | undefined;
  pending.then((r) => (robot = r));
  for (let i = 0; robot === undefined; i++) {
    if (i > 2000) throw new Error('no connection');
    await step();
  }
  open.push(robot);
  // The loop's part the viewer sees: a tick record per tick, the supervisor, and the command it writes (the hold).
  const safety = new SafetySupervisor(robot.spec, server.dt);
  const rec: TickRecord = {
    seq: 0, time: 0, lateness: 0, observation: robot.observe(), input: new Float32Array(1), policyAction: new Float32Array(1), action: new Float32Array(1),
    proposed: createCommand(robot.spec, 'position'), sent: createCommand(robot.spec, 'position'), safetyState: 'running', events: [],
    episodeReturn: 0, terminated: false, actionAge: 0, inferenceS: 0, stageS: new Float64Array(stageNames.length),
  };
  const records$ = new Subject<TickRecord>();
  const r = robot;
  const tick = async () => {
    rec.observation = r.observe();
    rec.seq++;
    rec.time = rec.seq * server.dt;
    records$.next(rec);
    r.command(hold);
    await step();
  };
  safety.arm(robot.observe(), 0);
  const viewer = await attachViewer({ records$, stats: new LoopStats(stageNames, 100) }, safety, robot, { port: 0, health: [robot] });
  open.push(viewer);
  return { server, robot, safety, viewer, tick, step };
}

async function page(url: string) {
  const ws = new WebSocket(url.replace('http://', 'ws://').replace('/?', '/ws?'));
  open.push({ close: () => ws.close() });
  const texts: any[] = [];
  ws.on('message', (d, binary) => {
    if (!binary) texts.push(JSON.parse(d.toString()));
  });
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  return async (cmd: string) => {
    const n = texts.length;
    ws.send(JSON.stringify({ type: 'cmd', cmd }));
    while (!texts.slice(n).some((t) => t.type === 'ack')) await new Promise((r) => setTimeout(r, 10));
    return texts.slice(n).find((t) => t.type === 'ack');
  };
}

describe("the viewer's Arm after the server operator's e-stop and reset", () => {
  it('arms the bridge client (its explicit decision) and the served robot runs after the next tick', async () => {
    const b = await bench();
    await b.tick();
    expect(b.server.robotState).toBe('running');
    const send = await page(b.viewer.url);

    b.server.estop('console');
    await b.tick();
    b.safety.estop('robot fault', 0, 0); // what the loop does on the robot's fault
    // Still e-stopped on the server: the page's Arm is refused, naming it, and nothing is armed.
    const refused = await send('arm');
    expect(refused.ok).toBe(false);
    expect(refused.message).toContain('e-stopped');
    expect(b.robot.health$.value.armable).not.toBe(true);
    await b.tick();
    expect(b.server.robotState).toBe('e-stopped');

    b.server.reset('console');
    await b.tick();
    await b.tick();
    expect(b.server.robotState).toBe('idle'); // the held client's commands are withheld
    expect(b.robot.health$.value.faults).toEqual([expect.stringContaining('this client did not arm it')]);

    const ack = await send('arm');
    expect(ack).toMatchObject({ ok: true, safetyState: 'running' });
    expect(b.robot.health$.value.faults).toEqual([]);
    await b.tick();
    expect(b.server.robotState).toBe('running');
  });

  it("after the page's own Disarm reached the served robot (its e-stop, latched), Arm is refused until the server's operator resets it: arming never leaves a server's stop", async () => {
    const b = await bench();
    await b.tick();
    expect(b.server.robotState).toBe('running');
    const send = await page(b.viewer.url);

    expect(await send('disarm')).toMatchObject({ ok: true });
    void b.robot.estop('operator disarm (viewer)'); // what the live runner forwards (src/session/forwardEstop.ts)
    await b.tick();
    await b.tick();
    expect(b.server.robotState).toBe('e-stopped');
    expect(b.robot.health$.value.faults).toEqual([]); // the stop it asked for is not a fault

    // The server cannot say whose stops it holds (the operator may have e-stopped it as well):
    // the page's Arm does not reset it, and says who does; nothing is armed, locally either.
    const refused = await send('arm');
    expect(refused.ok).toBe(false);
    expect(refused.message).toContain("the server's operator resets it");
    expect(b.safety.state).toBe('e-stopped');
    for (let i = 0; i < 4; i++) await b.tick();
    expect(b.server.robotState).toBe('e-stopped');

    b.server.reset('console');
    await b.tick();
    await b.tick();
    expect(b.server.robotState).toBe('idle');
    const ack = await send('arm');
    expect(ack).toMatchObject({ ok: true, safetyState: 'running' });
    for (let i = 0; i < 4; i++) await b.tick();
    expect(b.server.robotState).toBe('running');
  });
});
