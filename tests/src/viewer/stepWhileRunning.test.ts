/** `step` on a running simulation did nothing and was acked ok: now it is refused, naming why (review R18 finding 9). */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Subject } from 'rxjs';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { LoopStats } from '../../../src/loop/LoopStats.ts';
import { stageNames, type TickRecord } from '../../../src/loop/TickRecord.ts';
import { attachViewer, type SimControl, type Viewer } from '../../../src/viewer/index.ts';
import { PointMassRobot, joint, spec } from '../../helpers/fakes.ts';

let viewer: Viewer | undefined;
afterEach(async () => {
  await viewer?.close();
  viewer = undefined;
});

describe('attachViewer: step', () => {
  it('is refused while the simulation runs (Pause first), and steps once paused', async () => {
    const robot = new PointMassRobot(spec([joint('a')]), 0.02);
    const safety = new SafetySupervisor(robot.spec, 0.02);
    const loop = { records$: new Subject<TickRecord>(), stats: new LoopStats(stageNames, 100) };
    const calls: string[] = [];
    let paused = false;
    const control: SimControl = {
      get paused() { return paused; },
      pause: () => { paused = true; calls.push('pause'); },
      resume: () => { paused = false; calls.push('resume'); },
      step: () => void calls.push(paused ? 'step' : 'step (ignored: running)'),
    };
    viewer = await attachViewer(loop, safety, robot, { port: 0, control });
    const ws = new WebSocket(viewer.url.replace('http://', 'ws://').replace('/?', '/ws?'));
    const acks: any[] = [];
    ws.on('message', (d, binary) => {
      const m = binary ? undefined : JSON.parse(d.toString());
      if (m?.type === 'ack') acks.push(m);
    });
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    const reply = async (cmd: string) => {
      const n = acks.length;
      ws.send(JSON.stringify({ type: 'cmd', cmd }));
      for (let i = 0; i < 400 && acks.length === n; i++) await new Promise((r) => setTimeout(r, 5));
      return acks[n];
    };
    expect(await reply('step')).toMatchObject({ cmd: 'step', ok: false, message: expect.stringContaining('while paused'), paused: false });
    expect(await reply('pause')).toMatchObject({ ok: true, paused: true });
    expect(await reply('step')).toMatchObject({ cmd: 'step', ok: true });
    expect(calls).toEqual(['pause', 'step']);
    ws.close();
  });
});
