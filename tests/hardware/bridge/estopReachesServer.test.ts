/**
 * A bridge client's e-stop reaches the served robot (Robot.estop, src/session/forwardEstop.ts):
 * the supervisor's e-stop (the viewer's E-STOP or disarm) and a signal (Ctrl-C, SIGHUP) latch the
 * server's e-stop too, within a few ticks, and closing the client leaves it latched
 * (hardware/PROTOCOL.md section 7: only a reset leaves e-stopped), where before the server kept
 * `running` and went `idle` on the client's release, re-armable by anyone. The stop the client
 * asked for is not a fault of the run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectBridgeRobot, type BridgeServerEvent } from '../../../hardware/bridge/index.ts';
import { createSimRobot } from '../../../sim/index.ts';
import { runLive } from '../../../src/cli/live.ts';
import type { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { record, startServer, waitUntil } from './helpers.ts';
import { VirtualRig } from './virtualRig.ts';

const CARTPOLE = { policy: 'models/cartpole-balance' };
const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

const estops = (events: BridgeServerEvent[]) => events.filter((e) => e.kind === 'state' && e.robotState === 'e-stopped');

describe('a bridge client e-stop latches the served robot', () => {
  it("the supervisor's e-stop (the viewer's E-STOP) e-stops the server within a few ticks, and it stays e-stopped after the client closes", async () => {
    const rig = await VirtualRig.start({ robot: createSimRobot('cartpole', { randomize: { angle: 0.05 } }) });
    open.push(rig);
    const robot = await rig.connect();
    const s = rig.server;
    let sup: SafetySupervisor | undefined;
    let estopAt = Number.NaN, seenAt = Number.NaN;
    const { r } = await rig.runLive(robot, { ...CARTPOLE, durationS: 2, onLoop: (_l, safety) => (sup = safety) }, (t) => {
      if (t >= 0.6 && Number.isNaN(estopAt)) {
        estopAt = t;
        expect(s.robotState).toBe('running');
        sup!.estop('operator e-stop (viewer)', t, 0); // what attachViewer's estop does
      }
      if (!Number.isNaN(estopAt) && Number.isNaN(seenAt) && s.robotState === 'e-stopped') seenAt = t;
    });
    expect(seenAt - estopAt, `e-stop at ${estopAt} s, server state ${s.robotState}`).toBeLessThanOrEqual(0.1); // 5 ticks at 50 Hz
    expect(estops(rig.serverEvents)[0]).toMatchObject({ reason: expect.stringContaining('operator e-stop (viewer)') });
    // The stop the client asked for is not a fault: the run held to its end.
    expect(r.safety.state).toBe('e-stopped');
    expect(r.endedBy).toBe('duration');
    await waitUntil(() => s.commanderId === undefined, 'the commander role given back');
    expect(s.robotState).toBe('e-stopped');
    expect(rig.serverEvents.some((e) => e.kind === 'state' && e.robotState === 'idle' && e.cause === 'release')).toBe(false);
  }, 60_000);

  it('a signal (Ctrl-C) on a real-time run e-stops the server, which stays e-stopped after the run closes; the run ends by signal', async () => {
    const server = await startServer({ robot: createSimRobot('cartpole'), commandTimeoutS: 0.5 });
    open.push(server);
    const events = record(server);
    const robot = await connectBridgeRobot(server.url, { token: 'secret-token', simReset: { seed: 4 } });
    let ticks = 0;
    const run = runLive(robot, {
      ...CARTPOLE,
      durationS: 20,
      clock: 'timer',
      onLoop: (loop) =>
        loop.records$.subscribe(() => {
          ticks++;
          if (ticks === 25) process.emit('SIGINT' as never); // the operator's Ctrl-C, armed and running
        }),
    });
    const r = await run;
    expect(r.endedBy).toBe('signal');
    expect(r.safety.state).toBe('e-stopped');
    await waitUntil(() => server.commanderId === undefined, 'the commander role given back');
    expect(server.robotState).toBe('e-stopped');
    expect(estops(events)[0]).toMatchObject({ reason: expect.stringContaining('operator interrupt (signal)') });
    expect(events.some((e) => e.kind === 'state' && e.robotState === 'idle' && e.cause === 'release')).toBe(false);
  }, 60_000);
});
