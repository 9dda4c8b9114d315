import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { VelocityCommand } from '../../../src/loop/VelocityCommand.ts';
import { attachViewer, type Viewer } from '../../../src/viewer/index.ts';
import { pointMassRig } from '../../helpers/viewerRig.ts';

function setup() {
  return { ...pointMassRig(), source: new VelocityCommand({ lin_vel_x: [-0.5, 1.5] }) };
}

async function client(url: string) {
  const ws = new WebSocket(url.replace('http://', 'ws://').replace('/?', '/ws?'));
  const texts: any[] = [];
  ws.on('message', (d, binary) => {
    if (!binary) texts.push(JSON.parse(d.toString()));
  });
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  while (!texts.some((t) => t.type === 'hello')) await new Promise((r) => setTimeout(r, 10));
  const velocity = async (value: unknown) => {
    const n = texts.length;
    ws.send(JSON.stringify({ type: 'cmd', cmd: 'velocity', value }));
    while (!texts.slice(n).some((t) => t.type === 'ack')) await new Promise((r) => setTimeout(r, 10));
    return texts.slice(n).find((t) => t.type === 'ack');
  };
  return { ws, texts, velocity, hello: texts.find((t) => t.type === 'hello') };
}

let viewer: Viewer | undefined;
afterEach(async () => {
  await viewer?.close();
  viewer = undefined;
});

describe('viewer velocity command', () => {
  it('tells the page the ranges and whether the policy reads a command; sets it, clamped, from a page with the token', async () => {
    const f = setup();
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0, velocityCommand: { source: f.source, inModel: true } });
    const c = await client(viewer.url);
    expect(c.hello.velocityCommand).toEqual({ inModel: true, ranges: [[-0.5, 1.5], [-1, 1], [-1, 1]], value: [0, 0, 0] });
    const a = await c.velocity([0.5, -0.25, 0.3]);
    expect(a).toMatchObject({ ok: true, cmd: 'velocity', velocityCommand: [0.5, -0.25, 0.3] });
    expect(Array.from(f.source.value)).toEqual([0.5, -0.25, 0.3]);
    const b = await c.velocity([9, 0, -9]);
    expect(b.ok).toBe(true);
    expect(b.message).toContain('clamped');
    expect(Array.from(f.source.value)).toEqual([1.5, 0, -1]);
    c.ws.close();
  });

  it('refuses non-finite or malformed values (keeping the command) and pages without the token', async () => {
    const f = setup();
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0, velocityCommand: { source: f.source, inModel: true } });
    const c = await client(viewer.url);
    await c.velocity([1, 0, 0]);
    for (const bad of [[1, 2], ['1', 0, 0], [1, null, 0], 'fast', [1, 0, 0, 0]]) {
      const r = await c.velocity(bad);
      expect(r.ok, JSON.stringify(bad)).toBe(false);
      expect(r.message).toContain('[vx, vy, wz]');
    }
    // JSON has no NaN / Infinity; a huge number is the non-finite case that can arrive.
    const huge = await c.velocity([1e300, 0, 0]);
    expect(huge).toMatchObject({ ok: false });
    expect(huge.message).toContain('not finite');
    expect(Array.from(f.source.value)).toEqual([1, 0, 0]);
    const watcher = await client(viewer.url.replace(/\?token=.*/, '?'));
    const r = await watcher.velocity([0, 0, 0]);
    expect(r.ok).toBe(false);
    expect(r.message).toContain('token');
    expect(Array.from(f.source.value)).toEqual([1, 0, 0]);
    c.ws.close();
    watcher.ws.close();
  });

  it('the command goes back to zero when the page that set it disconnects (deadman)', async () => {
    const f = setup();
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0, velocityCommand: { source: f.source, inModel: true } });
    const c = await client(viewer.url);
    await c.velocity([1, 0.5, 0.5]);
    c.ws.close();
    for (let i = 0; i < 100 && f.source.value[0] !== 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(Array.from(f.source.value)).toEqual([0, 0, 0]);
  });

  it('says so when the run has no command or the policy does not read one', async () => {
    const f = setup();
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0 });
    const c = await client(viewer.url);
    expect(c.hello.velocityCommand).toBeNull();
    expect((await c.velocity([0, 0, 0])).message).toBe('this run has no velocity command');
    c.ws.close();
    await viewer.close();
    viewer = await attachViewer(f.loop, f.safety, f.robot, { port: 0, velocityCommand: { source: f.source, inModel: false } });
    const d = await client(viewer.url);
    expect(d.hello.velocityCommand.inModel).toBe(false);
    d.ws.close();
  });
});
