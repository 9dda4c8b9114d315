/**
 * `axon run --view --record` on a real robot's code path: the Dynamixel arm (arm6-xm430) on the
 * emulated bus (`--port emu://`, real protocol bytes), headless Chromium on the printed URL. The
 * page poses the arm from the measured joint angles with its own forward kinematics (no
 * simulator behind a real robot); the poses are checked against the simulator's FK of the same
 * URDF. The page's e-stop acts on the run's supervisor; the recording reads back whole.
 * Skipped, with a message, where chromium is absent; .ci/run installs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, haveChromium, launchChromium, openPage, screenshot, startAxon, type SimProcess } from '../helpers/viewerE2e.ts';
import { writeConstantPoseModel } from '../hardware/helpers/armModel.ts';
import { SimRobot } from '../../sim/SimRobot.ts';
import { loadUrdf } from '../../sim/urdf/loadUrdf.ts';
import { readRecording } from '../../src/record/index.ts';
import { decodeStateFrame } from '../../src/viewer/index.ts';
import { WebSocket } from 'ws';

declare const window: any;
declare const document: any;

if (!haveChromium) console.warn(`viewer run e2e skipped: no chromium at ${CHROMIUM} (apt-get install chromium)`);

/** Resolves once the viewer's state frames show every joint within 0.02 rad of `target` (a plain WebSocket client). */
async function reached(url: string, target: number[]): Promise<void> {
  const ws = new WebSocket(url.replace('http://', 'ws://').replace('/?', '/ws?'));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the arm did not reach its target in 20 s')), 20_000);
      ws.on('message', (d, binary) => {
        if (!binary) return;
        const j = decodeStateFrame(new Uint8Array(d as Buffer)).joints;
        if (target.every((v, i) => Math.abs(j[4 * i] - v) < 0.02)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    ws.close();
  }
}

describe.skipIf(!haveChromium)('viewer on a real robot: axon run --port emu:// --view --record (headless chromium)', () => {
  const target = [0.4, -0.3, 0.5, 0.2, -0.4, 0.3];
  const dir = mkdtempSync(join(tmpdir(), 'axon-run-view-'));
  const file = join(dir, 'run.mcap');
  // The shipped arm with a 1 s bus watchdog (100 ms shipped): this test is about the page, and on a
  // loaded CI host Chromium starting beside the run can pause it past 100 ms, which trips the
  // emulated servos' watchdog and ends the run on a fault before the page's E-STOP (docs/hardware.md).
  const config = join(dir, 'arm6-xm430.json');
  writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync('hardware/robots/arm6-xm430.json', 'utf8')), watchdog_ms: 1000, urdf: resolve('hardware/robots/arm6-xm430.urdf') }));
  let run: SimProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const policy = writeConstantPoseModel(target);
    run = await startAxon(['run', '--config', config, '--policy', policy, '--port', 'emu://', '--duration', '60', '--view', '--view-port', '0', '--record', file, '--json']);
    // Let the arm reach its pose (soft start, servo travel) before Chromium starts on the same 2
    // cores: a browser starting up can starve the loop long enough for a stale-observation stop.
    await reached(run.url, target);
    browser = await launchChromium();
    page = await openPage(browser, run.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await run?.stop();
  });

  it('draws the arm from its URDF, posed by the page from the measured joints as the simulator would pose it', async () => {
    // The arm reaches the policy's pose within the soft start (1 s) and the servos' travel.
    await page.waitForFunction((t) => {
      const j = window.__axon.last.joints;
      return t.every((v: number, i: number) => Math.abs(j[4 * i] - v) < 0.02);
    }, target, { timeout: 20_000 });
    const p = await page.evaluate(() => ({ links: Array.from(window.__axon.last.links) as number[], names: window.__axon.hello.links as string[], joints: Array.from(window.__axon.last.joints) as number[], title: document.title as string }));
    expect(p.title).toContain('arm6-xm430');
    expect(p.names).toContain('finger');
    expect(p.links).toHaveLength(7 * p.names.length);
    const q = p.joints.filter((_, i) => i % 4 === 0);
    const sim = new SimRobot(loadUrdf('hardware/robots/arm6-xm430.urdf'));
    sim.showPose(q);
    const pos = new Float64Array(3), quat = new Float64Array(4);
    let worst = 0;
    p.names.forEach((name, i) => {
      sim.linkPose(name, pos, quat);
      worst = Math.max(worst, Math.hypot(p.links[7 * i] - pos[0], p.links[7 * i + 1] - pos[1], p.links[7 * i + 2] - pos[2]));
    });
    expect(worst).toBeLessThan(1e-4); // m (float32 frames)
    await sim.close();
    await screenshot(page, 'viewer-run.png');
  });

  it('e-stops the run from the page; the run reports it, and its recording reads back whole', async () => {
    await page.click('#estop');
    await page.waitForFunction(() => window.__axon.last.safetyState === 'e-stopped', null, { timeout: 5_000 });
    const { code, output } = await run.stop(); // Ctrl-C: the robot's safe stop, the summary
    expect(code).toBe(0);
    const s = JSON.parse(output.trim().split('\n').at(-1)!);
    expect(s).toMatchObject({ command: 'run', robot: 'arm6-xm430', ended_by: 'signal' });
    expect(s.safety.events.estop).toBeGreaterThanOrEqual(1);
    expect(s.record.ticks).toBe(s.ticks);
    const rec = await readRecording(file);
    expect(rec.truncated).toBe(false);
    expect(rec.ticks).toHaveLength(s.ticks);
    expect(rec.run).toMatchObject({ command: 'run', robot: 'arm6-xm430' });
  });

  it('replays the real robot’s recording in the viewer, drawn from the URDF it was viewed with', async () => {
    const replay = await startAxon(['replay', file, '--view', '--view-port', '0']);
    try {
      const ws = new WebSocket(replay.url.replace('http://', 'ws://').replace('/?', '/ws?'));
      let hello: { links: string[]; kinematics: unknown } | undefined;
      const frames: ReturnType<typeof decodeStateFrame>[] = [];
      ws.on('message', (d, binary) => (binary ? frames.push(decodeStateFrame(new Uint8Array(d as Buffer))) : (hello ??= JSON.parse(d.toString()))));
      const deadline = Date.now() + 20_000;
      while (frames.length < 5) {
        if (Date.now() > deadline) throw new Error(`only ${frames.length} frames from axon replay in 20 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(hello!.links).toContain('finger');
      expect(hello!.kinematics).not.toBeNull();
      const rec = await readRecording(file);
      const bySeq = new Map(rec.ticks.map((t) => [t.seq, t]));
      for (const f of frames) {
        expect(f.links).toHaveLength(0); // posed in the page from the joints
        expect(f.joints[0]).toBeCloseTo(bySeq.get(f.seq)!.observation.jointPosition[0], 5);
      }
      ws.close();
    } finally {
      await replay.stop();
    }
  });
});
