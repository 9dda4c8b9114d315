/**
 * The viewer end to end, as a user runs it: `axon sim --robot cartpole --policy
 * models/cartpole-balance --view --json` in a child process, headless Chromium (Debian's
 * /usr/bin/chromium through playwright-core) on the URL it prints. The run's own view of what
 * happened comes from its JSON summary after Ctrl-C (SIGINT). Skipped, with a message, where
 * chromium is absent; .ci/run installs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, haveChromium, launchChromium, openPage, screenshot, startSim, type SimProcess } from '../helpers/viewerE2e.ts';

// Page-side globals inside page.evaluate / waitForFunction (the project's tsconfig has no DOM lib).
declare const window: any;
declare const document: any;

if (!haveChromium) console.warn(`viewer e2e skipped: no chromium at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!haveChromium)('viewer end to end: axon sim --robot cartpole --view (headless chromium)', () => {
  let sim: SimProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    sim = await startSim(['--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--duration', '120', '--json']);
    browser = await launchChromium();
    page = await openPage(browser, sim.url);
  });

  afterAll(async () => {
    await browser?.close();
    await sim?.stop();
  });

  it('loads the page, draws the robot and moves it between frames', async () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}$/);
    expect(await page.textContent('#title')).toContain('cartpole');
    expect(await page.locator('#conn').getAttribute('data-state')).toBe('connected');
    // Two frames apart in time: the cart or the pole has moved (the policy is balancing it).
    const pose = () => page.evaluate(() => {
      const f = window.__axon.last;
      return { seq: f.seq as number, links: Array.from(f.links as Float32Array) };
    });
    const a = await pose();
    await page.waitForFunction((s) => window.__axon.last.seq > s + 5, a.seq, { timeout: 10_000 });
    const b = await pose();
    expect(a.links.length).toBe(7 * 3); // world, cart, pole
    const moved = Math.max(...a.links.map((v, i) => Math.abs(v - b.links[i])));
    expect(moved).toBeGreaterThan(1e-6);
  });

  it('shows the loop rate in the stats panel', async () => {
    await page.waitForFunction(() => Number(document.getElementById('rate')?.textContent) > 0, null, { timeout: 10_000 });
    const rate = Number(await page.textContent('#rate'));
    expect(rate).toBeGreaterThan(10); // 50 Hz loop; no speed assertion beyond "it runs"
    expect(await page.textContent('#safety-state')).toBe('running');
    // Into the test output; AXON_UPDATE_DOCS=1 also refreshes docs/viewer.png (docs/viewer.md's picture).
    await screenshot(page, 'viewer.png');
  });

  it('pauses and single-steps the simulation from the page', async () => {
    await page.click('#pause');
    await page.waitForFunction(() => window.__axon.paused === true, null, { timeout: 5_000 });
    const s0 = (await page.evaluate(() => window.__axon.last.seq)) as number;
    await new Promise((r) => setTimeout(r, 300));
    const s1 = (await page.evaluate(() => window.__axon.last.seq)) as number;
    expect(s1 - s0).toBeLessThanOrEqual(1); // a tick already released may still land
    await page.click('#step');
    await page.waitForFunction((s) => window.__axon.last.seq === s + 1, s1, { timeout: 5_000 });
    await page.click('#pause'); // now "Resume"
    await page.waitForFunction((s) => window.__axon.last.seq > s + 5, s1, { timeout: 5_000 });
  });

  it('e-stop on the page puts the run into e-stopped, and Arm resets it', async () => {
    await page.click('#estop');
    // The state frames carry the run's supervisor state: e-stopped, then running again after Arm.
    await page.waitForFunction(() => window.__axon.last.safetyState === 'e-stopped', null, { timeout: 5_000 });
    expect(await page.textContent('#safety-state')).toBe('e-stopped');
    await page.waitForFunction(() => window.__axon.events.some((e: { kind: string }) => e.kind === 'estop'), null, { timeout: 5_000 });
    await page.click('#arm');
    await page.waitForFunction(() => window.__axon.last.safetyState === 'running', null, { timeout: 5_000 });
  });

  it('a page without the token may stop but not arm or command, and shows a lost connection; the run reports the e-stops', async () => {
    const other = await browser.newPage();
    await other.goto(sim.url.replace(/\?token=.*/, ''));
    await other.waitForFunction(() => window.__axon?.hello !== null && document.getElementById('conn')?.dataset.state === 'connected', null, { timeout: 10_000 });
    expect(await other.textContent('#title')).toContain('view only');
    // Stopping is always allowed (docs/safety.md): E-STOP and Disarm are enabled without the token.
    expect(await other.locator('#estop').isDisabled()).toBe(false);
    expect(await other.locator('#disarm').isDisabled()).toBe(false);
    expect(await other.locator('#pause').isDisabled()).toBe(true);
    await other.click('#estop');
    await other.waitForFunction(() => window.__axon.last?.safetyState === 'e-stopped', null, { timeout: 5_000 });
    expect(await other.locator('#arm').isDisabled()).toBe(true); // arming needs the token
    await page.click('#arm'); // the operator's page re-arms
    await page.waitForFunction(() => window.__axon.last.safetyState === 'running', null, { timeout: 5_000 });
    const { code, output } = await sim.stop(); // Ctrl-C: the run ends, prints its summary, the viewer closes
    await other.waitForFunction(() => document.getElementById('conn')?.dataset.state === 'lost', null, { timeout: 5_000 });
    expect(await other.isVisible('#lost')).toBe(true);
    await other.close();
    expect(code).toBe(0);
    const summary = JSON.parse(output.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ command: 'sim', robot: 'cartpole', interrupted: 'SIGINT' });
    expect(summary.safety.events.estop).toBe(2); // one from the page with the token, one from the page without
    expect(summary.safety.state).toBe('running'); // re-armed from the page
  });
});
