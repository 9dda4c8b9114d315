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
    // The tip body is 0.2 m along the arm from the base's origin, above the floor: posed, not at the origin.
    const [bx, by, bz] = s.pose.slice(0, 3), [tx, ty, tz] = s.pose.slice(14, 17);
    expect(bz).toBeGreaterThan(0.01);
    expect(Math.hypot(tx - bx, ty - by, tz - bz)).toBeCloseTo(Math.hypot(0.05, 0.2), 3);
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
      const [bx, by, bz] = s.pose.slice(0, 3), [tx, ty, tz] = s.pose.slice(14, 17);
      expect(Math.hypot(tx - bx, ty - by, tz - bz)).toBeCloseTo(Math.hypot(0.05, 0.2), 3);
    } finally {
      await b.close();
      await replay.stop();
    }
  });
});
