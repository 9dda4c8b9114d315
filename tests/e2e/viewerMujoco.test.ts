/**
 * `axon sim --mjcf F --view` in headless Chromium: the page draws the MJCF's bodies (a box, a
 * capsule, a mesh) and the frames carry MuJoCo's body poses. Skipped where chromium is absent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { spawnSync } from 'node:child_process';
import { haveChromium, launchChromium, openPage, startAxon, startSim, type SimProcess } from '../helpers/viewerE2e.ts';
import { writeMjcfShapes } from '../helpers/mjcfShapes.ts';

declare const window: any;

/**
 * Links posed as rigid bodies: base -> arm 0.05 m, arm -> tip 0.2 m (7 numbers per link, position
 * first). The base -> tip distance depends on the hinge's angle (a CI run sampled a later tick of
 * the replay: 0.2056 m against 0.2062 m at the hinge's zero), these do not.
 */
function expectRigid(pose: number[]): void {
  const at = (i: number) => pose.slice(7 * i, 7 * i + 3);
  const dist = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
  expect(dist(at(0), at(1))).toBeCloseTo(0.05, 4);
  expect(dist(at(1), at(2))).toBeCloseTo(0.2, 4);
}

describe.skipIf(!haveChromium)('viewer end to end: axon sim --mjcf F --view (headless chromium)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'axon-mjview-e2e-'));
  const { file } = writeMjcfShapes(dir);
  let sim: SimProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    sim = await startSim(['--mjcf', file, '--duration', '120', '--json']);
    browser = await launchChromium();
    page = await openPage(browser, sim.url);
  });

  afterAll(async () => {
    await browser?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws one shape per visible geom and poses the bodies from MuJoCo', async () => {
    const s = await page.evaluate(() => ({ shapes: window.__axon.shapes as number, links: window.__axon.hello.links as string[], engine: window.__axon.hello.engine as string, pose: Array.from(window.__axon.last.links as Float32Array) }));
    expect(s.engine).toBe('MuJoCo');
    expect(s.links).toEqual(['base', 'arm', 'tip']);
    expect(s.shapes).toBe(3); // box, capsule, mesh (not the group-3 sphere, not the floor)
    expect(s.pose).toHaveLength(7 * 3);
    // Above the floor, each body where the model puts it from its parent whatever the hinge's angle:
    // the arm 0.05 m from the base's origin, the tip 0.2 m from the arm's (posed, not at the origin).
    expect(s.pose[2]).toBeGreaterThan(0.01);
    expectRigid(s.pose);
  });
  it('axon replay --view of an --mjcf recording draws the same bodies, posed in MuJoCo at the recorded ticks', async () => {
    const rec = join(dir, 'run.mcap');
    const r = spawnSync(process.execPath, ['bin/axon.js', 'sim', '--mjcf', file, '--record', rec, '--duration', '2', '--fast'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const replay = await startAxon(['replay', rec, '--view', '--view-port', '0', '--speed', '0.2']);
    const b = await launchChromium();
    try {
      const p = await openPage(b, replay.url);
      const s = await p.evaluate(() => ({ shapes: window.__axon.shapes as number, links: window.__axon.hello.links as string[], engine: window.__axon.hello.engine as string, pose: Array.from(window.__axon.last.links as Float32Array) }));
      expect(s).toMatchObject({ shapes: 3, links: ['base', 'arm', 'tip'], engine: 'MuJoCo' });
      expectRigid(s.pose);
    } finally {
      await b.close();
      await replay.stop();
    }
  });
});
