import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Subject } from 'rxjs';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { createCommand } from '../../../src/core/robot.ts';
import { LoopStats } from '../../../src/loop/LoopStats.ts';
import { stageNames, type TickRecord } from '../../../src/loop/TickRecord.ts';
import { attachViewer, decodeStateFrame, type Viewer, type SimControl } from '../../../src/viewer/index.ts';
import { PointMassRobot, joint, spec } from '../../helpers/fakes.ts';

/** A loop stand-in: the test pushes tick records itself. */
function fakeLoop() {
  const robot = new PointMassRobot(spec([joint('a'), joint('b')]), 0.02);
  const safety = new SafetySupervisor(robot.spec, 0.02);
  const obs = robot.observe();
  safety.arm(obs, 0);
  const rec: TickRecord = {
    seq: 0, time: 0, lateness: 0, observation: obs, input: new Float32Array(2), policyAction: new Float32Array(2), action: new Float32Array(2),
    proposed: createCommand(robot.spec, 'position'), sent: createCommand(robot.spec, 'position'), safetyState: 'running', events: [],
    episodeReturn: 0, terminated: false, actionAge: 0, inferenceS: 0, stageS: new Float64Array(stageNames.length),
  };
  const records$ = new Subject<TickRecord>();
  const stats = new LoopStats(stageNames, 100);
  const tick = (k: number) => {
    robot.q[0] = 0.01 * k;
    robot.observe();
    rec.seq = k;
    rec.time = k * 0.02;
    rec.sent.target[0] = 0.5;
    records$.next(rec);
  };
  return { robot, safety, loop: { records$, stats }, tick };
}

/** Connects a ws client and collects what it receives. */
async function client(url: string) {
  const ws = new WebSocket(url.replace('http://', 'ws://').replace('/?', '/ws?'));
  const texts: any[] = [];
  const frames: ReturnType<typeof decodeStateFrame>[] = [];
  ws.on('message', (d, binary) => (binary ? frames.push(decodeStateFrame(new Uint8Array(d as Buffer))) : texts.push(JSON.parse(d.toString()))));
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const reply = async (cmd: string) => {
    const n = texts.length;
    ws.send(JSON.stringify({ type: 'cmd', cmd }));
    while (!texts.slice(n).some((t) => t.type === 'ack')) await new Promise((r) => setTimeout(r, 10));
    return texts.slice(n).find((t) => t.type === 'ack');
  };
  return { ws, texts, frames, reply };
}

let viewer: Viewer | undefined;
afterEach(async () => {
  await viewer?.close();
  viewer = undefined;
});

describe('attachViewer', () => {
  it('serves the page, its script and three.js from the installed package, and nothing outside them', async () => {
    const f = fakeLoop();
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0 });
    const base = `http://127.0.0.1:${viewer.port}`;
    const html = await (await fetch(`${base}/?token=${viewer.token}`)).text();
    expect(html).toContain('importmap');
    expect(html).toContain('/three/build/three.module.js');
    expect((await fetch(`${base}/viewer.js`)).headers.get('content-type')).toContain('javascript');
    expect((await fetch(`${base}/three/build/three.module.js`)).status).toBe(200);
    expect((await fetch(`${base}/three/addons/controls/OrbitControls.js`)).status).toBe(200);
    expect((await fetch(`${base}/../../package.json`)).status).toBe(404);
    expect((await fetch(`${base}/%2e%2e/%2e%2e/package.json`)).status).toBe(404);
    expect((await fetch(`${base}/three/build/..%2f..%2f..%2fpackage.json`)).status).toBe(404);
  });

  it('binds to loopback and puts a fresh token in the URL', async () => {
    const f = fakeLoop();
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0 });
    expect(viewer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}$/);
  });

  it('streams state frames with the joint state of the latest tick, and stats', async () => {
    const f = fakeLoop();
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0, frameHz: 50, statsHz: 20 });
    const c = await client(viewer.url);
    for (let k = 0; k < 10; k++) f.tick(k);
    while (c.frames.length < 2 || !c.texts.some((t) => t.type === 'stats' && t.ticks === 10)) await new Promise((r) => setTimeout(r, 10));
    expect(c.texts[0]).toMatchObject({ type: 'hello', robot: 'fake', canCommand: true, sim: false });
    const last = c.frames.at(-1)!;
    expect(last.seq).toBe(9);
    expect(last.joints[0]).toBeCloseTo(0.09, 6); // position of joint a
    expect(last.joints[1]).toBeCloseTo(0.5, 6); // its sent target
    expect(last.links.length).toBe(0); // no URDF model: no links to draw
    c.ws.close();
  });

  it('reports the world-model hook in the stats: latest surprise and vetoes counted', async () => {
    const f = fakeLoop();
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0, frameHz: 50, statsHz: 20 });
    const c = await client(viewer.url);
    const rec = { worldModel: { surprise: 0.5, cost: Number.NaN, vetoed: true } };
    f.loop.records$.subscribe((r) => Object.assign(r, rec));
    // the viewer subscribed first, so it sees each tick's values from the tick before: push 3 ticks
    for (let k = 0; k < 3; k++) f.tick(k);
    while (!c.texts.some((t) => t.type === 'stats' && t.ticks === 3)) await new Promise((r) => setTimeout(r, 10));
    const st = c.texts.filter((t) => t.type === 'stats').at(-1);
    expect(st.worldModel).toEqual({ surprise: 0.5, cost: null, vetoes: 2 });
    c.ws.close();
  });

  it('executes e-stop and arm with the token, refuses commands without it', async () => {
    const f = fakeLoop();
    f.tick(0);
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0 });
    f.tick(1);
    const anon = await client(viewer.url.replace(/\?token=.*/, '?token=wrong'));
    const a = await anon.reply('estop');
    expect(a).toMatchObject({ ok: false });
    expect(a.message).toMatch(/token/);
    expect(f.safety.state).toBe('running');

    const op = await client(viewer.url);
    expect(await op.reply('estop')).toMatchObject({ ok: true, safetyState: 'e-stopped' });
    expect(f.safety.state).toBe('e-stopped');
    expect(await op.reply('arm')).toMatchObject({ ok: true, safetyState: 'running' });
    expect(await op.reply('pause')).toMatchObject({ ok: false, message: expect.stringMatching(/simulation only/) });
    expect(await op.reply('launch')).toMatchObject({ ok: false, message: expect.stringMatching(/unknown command/) });
    anon.ws.close();
    op.ws.close();
  });

  it('passes pause, step and resume to the simulation control', async () => {
    const f = fakeLoop();
    const calls: string[] = [];
    let paused = false;
    const control: SimControl = {
      get paused() { return paused; },
      pause: () => { paused = true; calls.push('pause'); },
      resume: () => { paused = false; calls.push('resume'); },
      step: () => calls.push('step'),
    };
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0, control });
    const op = await client(viewer.url);
    expect(await op.reply('pause')).toMatchObject({ ok: true, paused: true });
    await op.reply('step');
    expect(await op.reply('resume')).toMatchObject({ ok: true, paused: false });
    expect(calls).toEqual(['pause', 'step', 'resume']);
    op.ws.close();
  });
});
