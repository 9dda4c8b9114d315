/**
 * The viewer's 3D world-model and contact layers end to end, as a user starts them: `axon sim
 * --view` in a child process, headless Chromium on the printed URL (tests/helpers/viewerE2e.ts).
 *
 * - A pendulum swung up by the MPPI planner (`--world-model models/pendulum-wm --wm-mode plan`):
 *   the page draws 64 sampled rollouts and the plan as ghost paths of the rod's free end. Every
 *   point the page computed must be the tip of the 1 m rod at the angle the frame predicted for
 *   it, which checks the rollout frame, the state -> joint mapping and the page's forward
 *   kinematics together.
 * - The cartpole under a noisy policy and the shield: after a veto, all 66 alternatives.
 * - The humanoid under its balance policy: a disc under each foot sized by its contact force; the
 *   two forces carry the robot's weight.
 * Skipped, with a message, where chromium is absent; .ci/run installs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { CHROMIUM, haveChromium, launchChromium, openPage, screenshot, startSim, type SimProcess } from '../helpers/viewerE2e.ts';

declare const window: any;
declare const document: any;

if (!haveChromium) console.warn(`viewer world-model e2e skipped: no chromium at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!haveChromium)('viewer: world-model ghost paths and contacts (axon sim --view, headless chromium)', () => {
  let browser: Browser;
  const sims: SimProcess[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(sims.map((s) => s.stop()));
  });

  it('draws the planner’s sampled rollouts and its plan as paths of the rod’s end, each point at the predicted angle', async () => {
    const sim = await startSim(['--robot', 'pendulum', '--world-model', 'models/pendulum-wm', '--wm-mode', 'plan', '--duration', '120']);
    sims.push(sim);
    const page = await openPage(browser, sim.url);
    await page.waitForFunction(() => window.__axon.ghost.frames >= 3, null, { timeout: 30_000 });
    await screenshot(page, 'viewer-worldmodel.png'); // early: the planner is still pumping the swing up
    const read = () =>
      page.evaluate(() => {
        const g = window.__axon.ghost;
        return { mode: g.mode, seq: g.seq, rows: g.rows, points: g.points, chosen: g.chosen, tips: g.tips, paths: g.paths as number[][], states: Array.from(g.states as Float32Array) as number[], stateSize: g.stateSize as number, pivot: Array.from(window.__axon.last.links.subarray(0, 3)) as number[], hello: window.__axon.hello.rollouts };
      });
    const a = await read();
    expect(a.mode).toBe('plan');
    expect(a.hello.horizon).toBe(20);
    expect(a.rows).toBe(64);
    expect(a.points).toBe(21); // the start and 20 predicted steps
    expect(a.chosen).toBe(0);
    expect(a.tips).toEqual(['pole']);
    // Each point is the rod tip at the angle the world model predicted for that row and step: the
    // joint turns about y, so the tip is the pivot + (sin θ, 0, cos θ) for the 1 m rod.
    expect(a.stateSize).toBe(2); // joint_pos.joint, joint_vel.joint
    let worst = 0;
    a.paths.forEach((path, r) =>
      Array.from({ length: a.points }, (_, t) => {
        const theta = a.states[(t * a.rows + r) * a.stateSize];
        const want = [a.pivot[0] + Math.sin(theta), a.pivot[1], a.pivot[2] + Math.cos(theta)];
        worst = Math.max(worst, Math.hypot(path[3 * t] - want[0], path[3 * t + 1] - want[1], path[3 * t + 2] - want[2]));
      }),
    );
    expect(worst).toBeLessThan(1e-4);
    // The samples fan out: their end points are spread, the plan is one of them.
    const ends = a.paths.map((p) => [p[3 * 20], p[3 * 20 + 2]]);
    const spread = Math.max(...ends.map((e) => Math.hypot(e[0] - ends[0][0], e[1] - ends[0][1])));
    expect(spread).toBeGreaterThan(0.01);
    // The world-model panel plots the plan's cost of every tick (sent with the stats).
    await page.waitForFunction(() => window.__axon.worldModel?.n > 10, null, { timeout: 10_000 });
    const wm = await page.evaluate(() => window.__axon.worldModel);
    expect(wm.kind).toBe('plan');
    expect(wm.last).toBeGreaterThan(0);
    expect(wm.n).toBeGreaterThanOrEqual(Math.round(wm.lastTime / 0.02)); // no tick missing since the start
    // New rollouts keep arriving while the planner runs.
    await page.waitForFunction((s) => window.__axon.ghost.seq > s, a.seq, { timeout: 10_000 });
    await page.close();
    await sim.stop();
  });

  it('draws the shield’s rollouts: after a veto every alternative it tried, the command sent among them', async () => {
    const sim = await startSim(['--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--action-noise', '0.6', '--world-model', 'models/cartpole-wm', '--wm-mode', 'shield', '--duration', '120']);
    sims.push(sim);
    const page = await openPage(browser, sim.url);
    // A noisy policy gets vetoed within seconds: then the frame carries all 66 alternatives.
    // Taken in one evaluation (the next frame may hold a single row again).
    const handle = await page.waitForFunction(() => {
      const x = window.__axon.ghost;
      if (!(x.rows > 1)) return null;
      return { mode: x.mode, rows: x.rows, points: x.points, chosen: x.chosen, tips: x.tips, paths: x.paths, hinge: Array.from(window.__axon.last.links.subarray(7 * 2, 7 * 2 + 3)), legend: document.getElementById('wm-legend').textContent };
    }, null, { timeout: 30_000 });
    const g = (await handle.jsonValue()) as { mode: string; rows: number; points: number; chosen: number; tips: string[]; paths: number[][]; hinge: number[]; legend: string };
    expect(g).toMatchObject({ mode: 'shield', rows: 66, points: 11, tips: ['pole'] });
    expect(g.chosen).toBeGreaterThanOrEqual(0); // the command sent is one of the rows drawn
    expect(g.chosen).toBeLessThan(66);
    expect(g.legend).toContain('shield');
    // The pole tip moves in the cart's x–z plane and never rises above the hinge plus the 1 m pole.
    for (const p of g.paths)
      for (let t = 0; t < g.points; t++) {
        expect(Math.abs(p[3 * t + 1] - g.hinge[1])).toBeLessThan(1e-4);
        expect(p[3 * t + 2]).toBeLessThanOrEqual(g.hinge[2] + 1 + 1e-4);
      }
    // The panel plots the predicted violation of every command sent, the vetoes marked.
    await page.waitForFunction(() => window.__axon.worldModel?.vetoes > 0, null, { timeout: 10_000 });
    expect((await page.evaluate(() => window.__axon.worldModel)).kind).toBe('shield');
    await page.close();
    await sim.stop();
  });

  it('puts a disc under each foot of the standing humanoid, the two forces carrying its weight', async () => {
    const sim = await startSim(['--robot', 'humanoid', '--policy', 'models/humanoid-balance', '--duration', '120']);
    sims.push(sim);
    const page = await openPage(browser, sim.url);
    await page.waitForFunction(() => window.__axon.contacts.length === 2 && window.__axon.last.time > 1, null, { timeout: 30_000 });
    const c = await page.evaluate(() => {
      const h = window.__axon.hello, f = window.__axon.last;
      const at = (name: string) => Array.from(f.links.subarray(7 * h.links.indexOf(name), 7 * h.links.indexOf(name) + 2)) as number[];
      return { names: h.contacts as string[], contacts: window.__axon.contacts as { name: string; force: number; on: boolean; x: number; y: number }[], feet: (h.contacts as string[]).map(at), text: document.getElementById('contacts')!.textContent };
    });
    expect(c.names).toHaveLength(2);
    const total = c.contacts.reduce((s, k) => s + k.force, 0);
    expect(total).toBeGreaterThan(0.6 * 29.9 * 9.81); // 29.9 kg standing: ~293 N shared by the feet
    expect(total).toBeLessThan(1.6 * 29.9 * 9.81);
    c.contacts.forEach((k, i) => {
      expect(k.on).toBe(true);
      expect(Math.hypot(k.x - c.feet[i][0], k.y - c.feet[i][1])).toBeLessThan(1e-6); // under its foot link
    });
    expect(c.text).toContain(`${c.names[0]} `);
    await screenshot(page, 'viewer-contacts.png');
    await page.close();
    await sim.stop();
  });
});
