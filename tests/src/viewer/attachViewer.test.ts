import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Subject } from 'rxjs';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { createCommand } from '../../../src/core/robot.ts';
import { LoopStats } from '../../../src/loop/LoopStats.ts';
import { stageNames, type TickRecord } from '../../../src/loop/TickRecord.ts';
import { attachViewer, decodeRolloutFrame, decodeStateFrame, FRAME_KIND_ROLLOUTS, type Viewer, type SimControl } from '../../../src/viewer/index.ts';
import { RolloutTrace } from '../../../src/worldmodel/RolloutTrace.ts';
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
  const rollouts: ReturnType<typeof decodeRolloutFrame>[] = [];
  ws.on('message', (d, binary) => {
    const u8 = new Uint8Array(d as Buffer);
    if (!binary) texts.push(JSON.parse(d.toString()));
    else if (u8[0] === FRAME_KIND_ROLLOUTS) rollouts.push(decodeRolloutFrame(u8));
    else frames.push(decodeStateFrame(u8));
  });
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const reply = async (cmd: string) => {
    const n = texts.length;
    ws.send(JSON.stringify({ type: 'cmd', cmd }));
    while (!texts.slice(n).some((t) => t.type === 'ack')) await new Promise((r) => setTimeout(r, 10));
    return texts.slice(n).find((t) => t.type === 'ack');
  };
  return { ws, texts, frames, rollouts, reply };
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

  it('sends no state frame before the loop’s first tick (it would say seq 0 at the zero pose), and answers an early request once a tick is in', async () => {
    const f = fakeLoop();
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0, frameHz: 50 });
    const watcher = await client(viewer.url); // gets the timer's frames
    const page = await client(viewer.url); // asks for a frame, as the page does, before any tick
    page.ws.send(JSON.stringify({ type: 'frame' }));
    await new Promise((r) => setTimeout(r, 150)); // several timer periods
    expect(watcher.frames).toEqual([]);
    expect(page.frames).toEqual([]);
    expect(watcher.texts[0]).toMatchObject({ type: 'hello', robot: 'fake' }); // connected all the same
    f.tick(2);
    while (watcher.frames.length === 0 || page.frames.length === 0) await new Promise((r) => setTimeout(r, 5));
    for (const fr of [watcher.frames[0], page.frames[0]]) {
      expect(fr.seq).toBe(2);
      expect(fr.joints[0]).toBeCloseTo(0.02, 6);
    }
    watcher.ws.close();
    page.ws.close();
  });

  it('answers a page that asks for frames with one frame per request, and leaves it out of the timer', async () => {
    const f = fakeLoop();
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0, frameHz: 1 }); // the timer would send one a second
    const c = await client(viewer.url);
    f.tick(3);
    for (let k = 0; k < 5; k++) {
      const n = c.frames.length;
      c.ws.send(JSON.stringify({ type: 'frame' }));
      while (c.frames.length === n) await new Promise((r) => setTimeout(r, 2));
    }
    await new Promise((r) => setTimeout(r, 1100)); // a timer period: nothing more for a page that asks
    expect(c.frames).toHaveLength(5);
    expect(c.frames.every((fr) => fr.seq === 3)).toBe(true);
    expect(c.texts.some((t) => t.type === 'ack')).toBe(false); // not a command: no reply, no token needed
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
    expect(st.worldModel).toMatchObject({ surprise: 0.5, cost: null, vetoes: 2 });
    c.ws.close();
  });

  it('sends every tick’s world-model values with the stats (not only the latest), and the history to a new page', async () => {
    const f = fakeLoop();
    // Set before the viewer's subscriber runs: each tick carries its own values; every third is a veto.
    f.loop.records$.subscribe((r) => Object.assign(r, { worldModel: { surprise: Number.NaN, cost: r.seq * 0.5, vetoed: r.seq % 3 === 0 } }));
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0, statsHz: 20 });
    const c = await client(viewer.url);
    for (let k = 0; k < 40; k++) f.tick(k); // 40 ticks between two stats messages
    await new Promise((r) => setTimeout(r, 120));
    for (let k = 40; k < 50; k++) f.tick(k);
    while (!c.texts.some((t) => t.type === 'stats' && t.ticks === 50)) await new Promise((r) => setTimeout(r, 10));
    const series = c.texts.filter((t) => t.type === 'stats' && t.worldModel).flatMap((t) => t.worldModel.series.time.map((time: number, i: number) => ({ time, cost: t.worldModel.series.cost[i], vetoed: t.worldModel.series.vetoed[i] })));
    expect(series.map((e) => Math.round(e.time / 0.02))).toEqual(Array.from({ length: 50 }, (_, k) => k)); // each tick once, in order
    expect(series.map((e) => e.cost)).toEqual(Array.from({ length: 50 }, (_, k) => k * 0.5));
    expect(series.filter((e) => e.vetoed)).toHaveLength(17); // seq 0, 3, ..., 48
    // A page that connects later gets the history the ring holds in its first stats message.
    const late = await client(viewer.url);
    while (!late.texts.some((t) => t.type === 'stats')) await new Promise((r) => setTimeout(r, 10));
    expect(late.texts.find((t) => t.type === 'stats').worldModel.series.time).toHaveLength(50);
    c.ws.close();
    late.ws.close();
  });

  it('sends a world model’s rollouts once per new tick of them, as the trace holds them', async () => {
    const f = fakeLoop();
    const trace = new RolloutTrace(2, 1, 4); // H 2, one state, up to 4 rows
    const slots = [{ slot: 0, joint: 1, scale: 1, offset: 0 }];
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0, rolloutHz: 100, rollouts: { trace, mode: 'plan', jointSlots: slots, dt: 0.02 } });
    const c = await client(viewer.url);
    const publish = (x0: number, seq: number) => {
      trace.begin(Float32Array.of(x0), 3);
      trace.step(0, Float32Array.of(x0 + 1, x0 + 2, x0 + 3), 3);
      trace.step(1, Float32Array.of(x0 + 2, x0 + 4, x0 + 6), 3);
      [5, 1, 9].forEach((v, r) => trace.score(r, v));
      trace.commit(0, seq);
    };
    await new Promise((r) => setTimeout(r, 50));
    expect(c.rollouts).toHaveLength(0); // nothing planned yet
    publish(0, 7);
    while (c.rollouts.length < 1) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 60)); // several timer periods: the same trace is not sent again
    expect(c.rollouts).toHaveLength(1);
    expect(c.rollouts[0]).toMatchObject({ mode: 'plan', seq: 7, rows: 3, points: 3, stateSize: 1, chosen: 0 });
    expect(Array.from(c.rollouts[0].scores)).toEqual([5, 1, 9]);
    expect(Array.from(c.rollouts[0].states)).toEqual([0, 0, 0, 1, 2, 3, 2, 4, 6]); // time-major
    publish(10, 8);
    while (c.rollouts.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(c.rollouts[1].seq).toBe(8);
    expect(c.texts[0].rollouts).toEqual({ mode: 'plan', jointSlots: slots, horizon: 2, dt: 0.02 });
    expect(viewer.rolloutFramesSent).toBe(2);
    // A page that connects while nothing changes (a paused run) still gets the last rollouts.
    const late = await client(viewer.url);
    while (late.rollouts.length < 1) await new Promise((r) => setTimeout(r, 5));
    expect(late.rollouts[0].seq).toBe(8);
    late.ws.close();
    c.ws.close();
  });

  it('executes e-stop and arm with the token; without it stopping is allowed, arming and commands are not', async () => {
    const f = fakeLoop();
    f.tick(0);
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0 });
    f.tick(1);
    const anon = await client(viewer.url.replace(/\?token=.*/, '?token=wrong'));
    expect(await anon.reply('estop')).toMatchObject({ ok: true, safetyState: 'e-stopped' }); // stopping is always allowed
    const a = await anon.reply('arm');
    expect(a).toMatchObject({ ok: false });
    expect(a.message).toMatch(/token/);
    expect(f.safety.state).toBe('e-stopped');

    const op = await client(viewer.url);
    expect(await op.reply('arm')).toMatchObject({ ok: true, safetyState: 'running' });
    expect(await op.reply('estop')).toMatchObject({ ok: true, safetyState: 'e-stopped' });
    expect(f.safety.state).toBe('e-stopped');
    expect(await op.reply('arm')).toMatchObject({ ok: true, safetyState: 'running' });
    expect(await op.reply('pause')).toMatchObject({ ok: false, message: expect.stringMatching(/simulation only/) });
    expect(await op.reply('launch')).toMatchObject({ ok: false, message: expect.stringMatching(/unknown command/) });
    anon.ws.close();
    op.ws.close();
  });

  it('with stopNeedsToken (a viewer exposed beyond the robot’s network) a page without the token cannot stop either', async () => {
    const f = fakeLoop();
    f.tick(0);
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0, stopNeedsToken: true });
    f.tick(1);
    const anon = await client(viewer.url.replace(/\?token=.*/, '?token=wrong'));
    for (const cmd of ['estop', 'disarm']) expect(await anon.reply(cmd)).toMatchObject({ ok: false, message: expect.stringMatching(/token/) });
    expect(f.safety.state).toBe('running');
    anon.ws.close();
  });

  it('tells a page without the token that it may stop (canStop: its E-STOP and Disarm are enabled), unless stopNeedsToken', async () => {
    const f = fakeLoop();
    const hello = async (url: string) => {
      const c = await client(url);
      while (!c.texts.some((t) => t.type === 'hello')) await new Promise((r) => setTimeout(r, 5));
      c.ws.close();
      return c.texts.find((t) => t.type === 'hello');
    };
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0 });
    expect(await hello(viewer.url.replace(/\?token=.*/, '?'))).toMatchObject({ canCommand: false, canStop: true });
    expect(await hello(viewer.url)).toMatchObject({ canCommand: true, canStop: true });
    await viewer.close();
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0, stopNeedsToken: true });
    expect(await hello(viewer.url.replace(/\?token=.*/, '?'))).toMatchObject({ canCommand: false, canStop: false });
    expect(await hello(viewer.url)).toMatchObject({ canCommand: true, canStop: true });
  });

  it('refuses Arm while the robot reports a fault, naming it, and arms once the fault is gone', async () => {
    const f = fakeLoop();
    f.tick(0);
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0, health: [f.robot.health$] });
    f.tick(1);
    const op = await client(viewer.url);
    await op.reply('estop');
    f.robot.health$.next({ connected: true, stale: false, faults: ['servo 3: overload error'] });
    const a = await op.reply('arm');
    expect(a).toMatchObject({ ok: false, safetyState: 'e-stopped' });
    expect(a.message).toContain('servo 3: overload error');
    expect(f.safety.state).toBe('e-stopped');
    f.robot.health$.next({ connected: true, stale: false, faults: [] });
    expect(await op.reply('arm')).toMatchObject({ ok: true, safetyState: 'running' });
    op.ws.close();
  });

  it('stamps the page’s e-stop and arm with the loop’s time, not the robot’s clock (a real robot stamps its own)', async () => {
    const f = fakeLoop();
    const events: { kind: string; time: number }[] = [];
    f.safety.events$.subscribe((e) => events.push({ kind: e.kind, time: e.time }));
    f.loop.records$.subscribe((r) => (r.observation.time = r.time + 100)); // the robot's clock runs 100 s ahead
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0 });
    for (let k = 0; k < 5; k++) f.tick(k);
    const op = await client(viewer.url);
    await op.reply('estop');
    await op.reply('arm');
    const stamped = events.filter((e) => e.kind === 'estop' || e.kind === 'reset');
    expect(stamped.map((e) => e.kind)).toEqual(['estop', 'reset']);
    for (const e of stamped) expect(e.time).toBeCloseTo(4 * 0.02, 9);
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
