/**
 * The viewer end to end: a real-time cartpole run under the shipped policy with the viewer
 * attached (the same wiring as `axon sim --view`), driven by headless Chromium (Debian's
 * /usr/bin/chromium through playwright-core). Skipped, with a message, where chromium is absent;
 * .ci/run installs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, copyFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openSimSession, type SimSession } from '../../src/cli/wiring.ts';
import { ControlLoop, type LoopResult } from '../../src/loop/ControlLoop.ts';
import { SimClock } from '../../src/clock/SimClock.ts';
import { SafetySupervisor } from '../../src/safety/SafetySupervisor.ts';
import { ObservationBuilder } from '../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../src/model/ActionMapper.ts';
import { PassThroughHook } from '../../src/worldmodel/types.ts';
import { attachViewer, PausableClock, type Viewer } from '../../src/viewer/index.ts';

// Page-side globals inside page.evaluate / waitForFunction (the project's tsconfig has no DOM lib).
declare const window: any;
declare const document: any;

const CHROMIUM = process.env.AXON_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`viewer e2e skipped: no chromium at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!haveChromium)('viewer end to end (headless chromium)', () => {
  let session: SimSession;
  let loop: ControlLoop;
  let safety: SafetySupervisor;
  let clock: PausableClock;
  let viewer: Viewer;
  let run: Promise<LoopResult>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    session = await openSimSession({ robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 500 });
    const { robot, folder, policy, task, period } = session;
    robot.reset(1);
    clock = new PausableClock(new SimClock(period, (dt) => robot.step(dt)), { realtime: true });
    safety = new SafetySupervisor(robot.spec, period);
    loop = new ControlLoop({
      robot,
      clock,
      builder: new ObservationBuilder(folder.manifest, robot.spec),
      policy,
      worldModel: new PassThroughHook(),
      mapper: new ActionMapper(folder.manifest, robot.spec),
      safety,
      task,
      stopOnTerminate: false,
      maxTicks: Math.round(60 / period),
    });
    viewer = await attachViewer(loop, safety, robot, { port: 0, control: clock });
    run = loop.run();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(viewer.url);
  });

  afterAll(async () => {
    await browser?.close();
    loop?.stop();
    clock?.resume();
    await run;
    await viewer?.close();
    await session?.close();
  });

  it('loads the page, draws the robot and moves it between frames', async () => {
    expect(viewer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}$/);
    await page.waitForFunction(() => window.__axon?.hello !== null && window.__axon?.frames > 2, null, { timeout: 20_000 });
    const title = await page.textContent('#title');
    expect(title).toContain('cartpole');
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
    mkdirSync('docs', { recursive: true });
    // Into the test output; AXON_UPDATE_DOCS=1 also refreshes the README's docs/viewer.png.
    mkdirSync('tests/.output', { recursive: true });
    await page.screenshot({ path: 'tests/.output/viewer.png' });
    if (process.env.AXON_UPDATE_DOCS === '1') copyFileSync('tests/.output/viewer.png', 'docs/viewer.png');
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
    await expect.poll(() => safety.state, { timeout: 5_000 }).toBe('e-stopped');
    await page.waitForFunction(() => document.getElementById('safety-state')?.textContent === 'e-stopped', null, { timeout: 5_000 });
    await page.waitForFunction(() => window.__axon.events.some((e: { kind: string }) => e.kind === 'estop'), null, { timeout: 5_000 });
    await page.click('#arm');
    await expect.poll(() => safety.state, { timeout: 5_000 }).toBe('running');
  });

  it('refuses commands from a page without the token, and shows a lost connection', async () => {
    const other = await browser.newPage();
    await other.goto(viewer.url.replace(/\?token=.*/, ''));
    await other.waitForFunction(() => window.__axon?.hello !== null, null, { timeout: 10_000 });
    expect(await other.locator('#estop').isDisabled()).toBe(true);
    expect(await other.textContent('#title')).toContain('view only');
    await viewer.close();
    await other.waitForFunction(() => document.getElementById('conn')?.dataset.state === 'lost', null, { timeout: 5_000 });
    expect(await other.isVisible('#lost')).toBe(true);
    await other.close();
  });
});
