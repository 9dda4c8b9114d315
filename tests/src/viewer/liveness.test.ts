/**
 * A page that goes silent without closing (no FIN: a closed laptop lid, a dropped Wi-Fi) is
 * noticed: the server pings every 0.25 s, the velocity command goes to zero when the page that set
 * it has not been heard for 1 s, and a page not heard for 3 s is disconnected (docs/viewer.md,
 * "A page that goes silent"; review R6 finding 5). The silent page is a real socket that stops
 * reading (paused), so it answers no ping.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { VelocityCommand } from '../../../src/loop/VelocityCommand.ts';
import { attachViewer, type Viewer } from '../../../src/viewer/index.ts';
import { pointMassRig } from '../../helpers/viewerRig.ts';

let viewer: Viewer | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await viewer?.close();
  viewer = undefined;
});

async function setup() {
  const { robot, safety, loop } = pointMassRig();
  const source = new VelocityCommand({ lin_vel_x: [-1, 1] });
  viewer = await attachViewer(loop, safety, robot, { port: 0, velocityCommand: { source, inModel: true } });
  return { source, viewer };
}

/** A page with the token that sets the velocity command and waits for the ack. */
async function page(v: Viewer, value: number[]) {
  const ws = new WebSocket(v.url.replace('http://', 'ws://').replace('/?', '/ws?'));
  sockets.push(ws);
  let acked = false;
  ws.on('message', (d, binary) => void (!binary && JSON.parse(d.toString()).type === 'ack' && (acked = true)));
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  ws.send(JSON.stringify({ type: 'cmd', cmd: 'velocity', value }));
  while (!acked) await new Promise((r) => setTimeout(r, 5));
  return ws;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('viewer liveness', () => {
  it('zeroes the velocity command of a page that goes silent (about 1 s), then disconnects it (about 3 s)', async () => {
    const { source, viewer: v } = await setup();
    const ws = await page(v, [0.5, 0, 0]);
    expect(Array.from(source.value)).toEqual([0.5, 0, 0]);
    (ws as unknown as { _socket: Socket })._socket.pause(); // silent: reads nothing, answers no ping, sends no FIN
    const t0 = performance.now();
    while (source.value[0] !== 0 && performance.now() - t0 < 5000) await sleep(10);
    const zeroS = (performance.now() - t0) / 1000;
    expect(Array.from(source.value)).toEqual([0, 0, 0]);
    expect(zeroS).toBeGreaterThan(0.9); // not before the documented second (a page heard 0.25 s before the pause at most)
    expect(v.clients).toBe(1); // zeroed by the command's own deadman, before the page is disconnected
    while (v.clients > 0 && performance.now() - t0 < 8000) await sleep(20);
    const closedS = (performance.now() - t0) / 1000;
    expect(v.clients).toBe(0);
    expect(closedS).toBeGreaterThan(2.5);
    console.log(`silent page: command zeroed after ${zeroS.toFixed(2)} s, disconnected after ${closedS.toFixed(2)} s`);
  });

  it('keeps the command of a page that is only quiet: its pongs answer the pings', async () => {
    const { source, viewer: v } = await setup();
    await page(v, [0.5, 0, 0]);
    await sleep(2000); // the page sends nothing itself
    expect(Array.from(source.value)).toEqual([0.5, 0, 0]);
    expect(v.clients).toBe(1);
  });

  it('does not count a stall of its own process as the page\'s silence', async () => {
    const { source, viewer: v } = await setup();
    await page(v, [0.5, 0, 0]);
    await sleep(300); // a ping round answered
    const until = performance.now() + 1600; // the process blocks for 1.6 s (longer than the 1 s deadman): nothing is read
    while (performance.now() < until);
    await sleep(400); // the timers that were due, then what arrived meanwhile, then a ping round
    expect(Array.from(source.value)).toEqual([0.5, 0, 0]);
    expect(v.clients).toBe(1);
  });

  it('a silent page that did not set the command leaves it alone', async () => {
    const { source, viewer: v } = await setup();
    await page(v, [0.5, 0, 0]); // the owner, alive
    const other = new WebSocket(`ws://127.0.0.1:${v.port}/ws`); // a watcher without the token
    sockets.push(other);
    await new Promise((r, j) => (other.once('open', r), other.once('error', j)));
    (other as unknown as { _socket: Socket })._socket.pause();
    const t0 = performance.now();
    while (v.clients > 1 && performance.now() - t0 < 8000) await sleep(20);
    expect(v.clients).toBe(1); // the silent watcher was disconnected
    expect(Array.from(source.value)).toEqual([0.5, 0, 0]); // the owner's command stands
  });
});
