/**
 * A page that connects after a stop (a reload, a second operator, the page's own reconnect) is sent
 * the safety events so far, so that it says who stopped the robot and why, not only `e-stopped`
 * with an empty list (review R18 finding 4); a stop is kept even after many clamps, and no event
 * reaches a page twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Subject } from 'rxjs';
import type { SafetyEvent } from '../../../src/safety/types.ts';
import { attachViewer, type Viewer } from '../../../src/viewer/index.ts';
import { pointMassRig } from '../../helpers/viewerRig.ts';

let viewer: Viewer | undefined;
afterEach(async () => {
  await viewer?.close();
  viewer = undefined;
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A page: every event it was sent, in order, and its first stats message. */
async function page(port: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  const events: any[] = [];
  let first: any;
  ws.on('message', (d, binary) => {
    if (binary) return;
    const m = JSON.parse(d.toString());
    if (m.type !== 'stats') return;
    first ??= m;
    events.push(...m.events);
  });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  for (let i = 0; i < 200 && first === undefined; i++) await sleep(5);
  return { ws, events, first: () => first };
}

describe('attachViewer: a page that connects late', () => {
  it('gets the stop and its reason in its first stats message, once', async () => {
    const { robot, safety, loop } = pointMassRig({ armed: true });
    viewer = await attachViewer(loop, safety, robot, { port: 0, statsHz: 50 });
    const early = await page(viewer.port);
    safety.estop('operator e-stop (viewer)', 1.5, 75);
    await sleep(150); // a few stats rounds: the stop went to the page that was there
    const late = await page(viewer.port);
    expect(late.first().safetyState).toBe('e-stopped');
    const said = (evs: any[]) => evs.map((e) => `${e.kind}/${e.state}/${e.reason}`);
    expect(said(late.first().events)).toEqual(said(early.events));
    expect(said(late.first().events)).toContain('estop/e-stopped/operator e-stop (viewer)');
    await sleep(150);
    expect(said(late.events), 'nothing sent twice').toEqual(said(early.events));
    early.ws.close();
    late.ws.close();
  });

  it('keeps the stop when many other events came after it', async () => {
    const { robot, safety, loop } = pointMassRig({ armed: true });
    const events$ = new Subject<SafetyEvent>();
    // The supervisor's state and stops, with a burst of clamp events after the stop.
    const shown = { get state() { return safety.state; }, events$, estop: safety.estop.bind(safety), reset: safety.reset.bind(safety) };
    viewer = await attachViewer(loop, shown, robot, { port: 0, statsHz: 50 });
    events$.next({ time: 2, seq: 100, kind: 'estop', state: 'e-stopped', reason: 'bystander' });
    for (let i = 0; i < 300; i++) events$.next({ time: 2 + i * 0.02, seq: 101 + i, kind: 'position_clamp', state: 'e-stopped', joint: 'a', value: 9, reason: 'clamped' });
    await sleep(150);
    const late = await page(viewer.port);
    const evs = late.first().events;
    expect(evs[0]).toMatchObject({ kind: 'estop', reason: 'bystander' });
    expect(evs.length).toBe(101); // the stop, then the last 100
    expect(evs.at(-1)).toMatchObject({ seq: 400 });
    late.ws.close();
  });
});
