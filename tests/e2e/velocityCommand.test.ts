/**
 * Driving a locomotion policy's velocity command from the viewer, end to end: `axon sim --view
 * --record` in a child process under a tiny test policy whose manifest has a velocity_commands
 * term, headless Chromium on the printed URL, keys / the on-screen stick / a (stubbed) gamepad on
 * the page, and the recording read back after Ctrl-C. Skipped, with a message, where chromium is
 * absent; .ci/run installs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, haveChromium, launchChromium, openPage, screenshot, startSim, type SimProcess } from '../helpers/viewerE2e.ts';
import { velocityPolicy } from '../helpers/velocityPolicy.ts';
import { readRecording } from '../../src/record/index.ts';

declare const window: any;
declare const document: any;

if (!haveChromium) console.warn(`viewer velocity-command e2e skipped: no chromium at ${CHROMIUM} (apt-get install chromium)`);

const near = (a: readonly number[], b: readonly number[]) => a.every((x, i) => Math.abs(x - b[i]) < 1e-6);

describe.skipIf(!haveChromium)('viewer: velocity command from keys, stick and gamepad (headless chromium)', () => {
  let sim: SimProcess;
  let browser: Browser;
  let page: Page;
  const file = join(mkdtempSync(join(tmpdir(), 'axon-drive-')), 'drive.mcap');

  beforeAll(async () => {
    // vx range [-0.5, 1.5] m/s from the manifest; vy, wz get the default ±1. A key press is a tenth of the largest |bound|: 0.15 m/s on vx.
    const policy = velocityPolicy({ lin_vel_x: [-0.5, 1.5] });
    sim = await startSim(['--robot', 'cartpole', '--policy', policy, '--duration', '120', '--record', file, '--json']);
    browser = await launchChromium();
    page = await openPage(browser, sim.url);
  });

  afterAll(async () => {
    await browser?.close();
    await sim?.stop();
  });

  const value = () => page.evaluate(() => window.__axon.drive.value as number[]);
  const waitValue = (v: number[]) =>
    page.waitForFunction((want) => (window.__axon.drive.value as number[]).every((x: number, i: number) => Math.abs(x - want[i]) < 1e-6), v, { timeout: 5_000 });

  it('shows the command panel with the ranges, at zero', async () => {
    expect(await page.isVisible('#drive-panel')).toBe(true);
    expect(await page.isVisible('#drive-none')).toBe(false);
    expect(await page.textContent('#drive-ranges')).toBe('vx [-0.5, 1.5] m/s, vy [-1, 1] m/s, wz [-1, 1] rad/s');
    expect(await value()).toEqual([0, 0, 0]);
  });

  it('W twice, A once, Q once: the server takes the command and the page shows it; Space zeroes it', async () => {
    await page.keyboard.press('w');
    await page.keyboard.press('w');
    await page.keyboard.press('a');
    await page.keyboard.press('q');
    await waitValue([0.3, 0.1, 0.1]);
    await screenshot(page, 'viewer-drive.png');
    // The value shown is the one the run reports in its stats (what the ticks use).
    await page.waitForFunction(() => document.getElementById('cmd-vx').textContent.trim() === '0.30', null, { timeout: 5_000 });
    await new Promise((r) => setTimeout(r, 500)); // a few ticks at this command, for the recording
    await page.keyboard.press('Space');
    await waitValue([0, 0, 0]);
  });

  it('S many times stops at the lower bound (clamped to the manifest range)', async () => {
    for (let i = 0; i < 8; i++) await page.keyboard.press('s');
    await waitValue([-0.5, 0, 0]);
    await page.keyboard.press('x');
    await waitValue([0, 0, 0]);
  });

  it('the on-screen stick: dragging up commands forward, releasing springs back to zero', async () => {
    const box = (await page.locator('#drive-stick').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + 1, { steps: 4 }); // to the top edge
    await page.waitForFunction(() => window.__axon.drive.value[0] > 1.3, null, { timeout: 5_000 });
    await page.mouse.up();
    await waitValue([0, 0, 0]);
  });

  it('a gamepad: left stick up = forward, right stick right = turn right (dead zone rescaled); back in the dead zone = stop', async () => {
    await page.evaluate(() => {
      window.__pad = { id: 'test pad', connected: true, axes: [0.05, -1, 0.5, 0], buttons: [] };
      window.navigator.getGamepads = () => [window.__pad];
    });
    // wz = -(0.5 - 0.15) / (1 - 0.15) × 1 rad/s; vy inside the dead zone.
    await waitValue([1.5, 0, -0.412]);
    expect(await page.textContent('#drive-pad')).toContain('test pad');
    await page.evaluate(() => (window.__pad.axes = [0.1, 0.1, -0.1, 0]));
    await waitValue([0, 0, 0]);
  });

  it('the recording holds every tick with the command it used, changing as the page changed it', async () => {
    const { code, output } = await sim.stop();
    expect(code).toBe(0);
    const summary = JSON.parse(output.trim().split('\n').at(-1)!);
    expect(summary.velocity_command).toEqual([0, 0, 0]);
    const r = await readRecording(file);
    const cmds = r.ticks.map((t) => t.velocityCommand!);
    expect(cmds.every((c) => Array.isArray(c))).toBe(true);
    expect(cmds[0]).toEqual([0, 0, 0]);
    expect(cmds.some((c) => near(c, [0.3, 0.1, 0.1]))).toBe(true);
    expect(cmds.some((c) => near(c, [-0.5, 0, 0]))).toBe(true);
    expect(cmds.some((c) => near(c, [1.5, 0, -0.412]))).toBe(true);
    // The policy saw the same numbers (its input's velocity_commands slots).
    const t = r.ticks.find((k) => near(k.velocityCommand!, [0.3, 0.1, 0.1]))!;
    expect(Array.from(t.input.subarray(4, 7)).map((x) => Math.round(x * 1e3) / 1e3)).toEqual([0.3, 0.1, 0.1]);
  });
});
