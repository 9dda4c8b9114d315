/**
 * `axon replay REC --view` as a user runs it (review R18 findings 2, 6, 10): it plays when the first
 * page opens (not before: a short recording was over before anyone could look), holds the last
 * frame after the end until Ctrl-C (exit 0, the summary), shows the recording's safety state and
 * events with E-STOP / Disarm / Arm hidden, and refuses a `--from` past the recording's end.
 * `--once` keeps the old play-at-once-and-exit for scripts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { axon } from '../helpers/cli.ts';
import { haveChromium, launchChromium, openPage, startAxon, type SimProcess } from '../helpers/viewerE2e.ts';
import { readRecording, type Recording } from '../../src/record/index.ts';
import { decodeStateFrame } from '../../src/viewer/index.ts';
import { recordRun } from '../src/record/recordRun.ts';

declare const window: any;
declare const document: any;

const dir = mkdtempSync(join(tmpdir(), 'axon-replay-view-'));
const file = join(dir, 'estopped.mcap');
let rec: Recording;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const started: SimProcess[] = [];

beforeAll(async () => {
  await recordRun(file, 1, { estopAtSeq: 20 }); // 50 ticks, 0.98 s; e-stopped at tick 20
  rec = await readRecording(file);
}, 120_000);
afterAll(() => {
  for (const p of started) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

async function replay(...args: string[]): Promise<SimProcess> {
  const p = await startAxon(['replay', file, '--view', '--view-port', '0', ...args]);
  started.push(p);
  return p;
}

/** A client that asks for a frame after each one, as the page does. */
function client(url: string) {
  const ws = new WebSocket(url.replace('http://', 'ws://').replace('/?', '/ws?'));
  const frames: ReturnType<typeof decodeStateFrame>[] = [];
  const stats: any[] = [];
  ws.on('message', (d, binary) => {
    if (binary) {
      frames.push(decodeStateFrame(new Uint8Array(d as Buffer).slice().buffer));
      ws.send('{"type":"frame"}');
    } else {
      const m = JSON.parse(d.toString());
      if (m.type === 'stats') stats.push(m);
    }
  });
  ws.on('open', () => ws.send('{"type":"frame"}'));
  return { ws, frames, stats };
}

async function until(what: string, p: SimProcess, done: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not in ${ms} ms:\n${p.output()}`);
    await sleep(20);
  }
}

describe('axon replay --view', () => {
  it('waits for a page, plays the whole recording to it with the recorded safety, holds the last frame until Ctrl-C', async () => {
    const p = await replay('--json'); // 1 s of playback
    await sleep(1500); // no page yet: nothing played, nothing ended
    expect(p.child.exitCode).toBeNull();
    expect(p.output()).toContain('(50 ticks, 0 to 0.98 s, at 1x from 0 s; plays when a page opens, then holds the last frame; Ctrl-C to stop)');
    const c = client(p.url);
    await until('the end line', p, () => p.output().includes('end of the recording'));
    // From the first tick: the page saw all of it, then the hold keeps answering with the last tick.
    const first = rec.ticks[0], last = rec.ticks.at(-1)!;
    expect(c.frames[0].seq).toBeLessThanOrEqual(first.seq + 5); // a page asks for frames far faster than 50 Hz; a loaded host may skip a few
    expect(p.output()).toContain(`end of the recording (tick ${last.seq} at 0.98 s, e-stopped): holding the last frame; Ctrl-C to stop`);
    const n = c.frames.length;
    await sleep(1000);
    expect(p.child.exitCode).toBeNull();
    expect(c.frames.length).toBeGreaterThan(n);
    expect(c.frames.slice(n).every((f) => f.seq === last.seq && f.safetyState === 'e-stopped')).toBe(true);
    // The recording's safety, not a supervisor's: each frame's state is its tick's, the events the recorded ones.
    const bySeq = new Map(rec.ticks.map((t) => [t.seq, t]));
    expect(new Set(c.frames.map((f) => `${f.safetyState}/${bySeq.get(f.seq)!.safetyState}`))).toEqual(new Set(['running/running', 'e-stopped/e-stopped']));
    expect(c.stats.flatMap((s) => s.events).map((e: any) => `${e.seq} ${e.kind}`)).toEqual(rec.events.map((e) => `${e.seq} ${e.kind}`));
    c.ws.close();
    const { code, output } = await p.stop();
    expect(code).toBe(0);
    expect(JSON.parse(output.trim().split('\n').at(-1)!)).toMatchObject({ ticks: rec.ticks.length, safety: { final_state: 'e-stopped' } });
  }, 60_000);

  it('Ctrl-C before any page opened: exit 0 with the summary; --once plays at once and exits at the end', async () => {
    const p = await replay('--json');
    await sleep(300);
    const { code, output } = await p.stop();
    expect(code).toBe(0);
    expect(JSON.parse(output.trim().split('\n').at(-1)!)).toMatchObject({ ticks: rec.ticks.length });
    const once = axon('replay', file, '--view', '--view-port', '0', '--speed', '20', '--once', '--json');
    expect(once.code, once.stderr).toBe(0);
    expect(once.stderr).toContain('plays at once and exits at the end');
    expect(once.stderr).not.toContain('end of the recording');
    const alone = axon('replay', file, '--once');
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--once');
  }, 60_000);

  it('--from past the recording’s end is a usage error naming its length (not a play from the start)', () => {
    const r = axon('replay', file, '--view', '--view-port', '0', '--from', '999');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--from');
    expect(r.stderr).toContain('999 s is past the end of the recording: its last tick is at 0.98 s (50 ticks)');
    expect(r.stdout + r.stderr).not.toContain('http://');
    const edge = axon('replay', file, '--view', '--view-port', '0', '--from', '0.98', '--once', '--speed', '10');
    expect(edge.code, edge.stderr).toBe(0); // the last tick itself is a start
  }, 60_000);

  it.skipIf(!haveChromium)('the page: the recorded state and events, no E-STOP, Disarm or Arm to press', async () => {
    const p = await replay('--speed', '2');
    const b = await launchChromium();
    try {
      const page = await openPage(b, p.url);
      await until('the end line', p, () => p.output().includes('end of the recording'));
      await page.waitForFunction(() => window.__axon.events.length >= 3, null, { timeout: 10_000 });
      const s = await page.evaluate(() => ({
        hidden: ['estop', 'disarm', 'arm'].map((id) => document.getElementById(id).hidden),
        visible: ['estop', 'disarm', 'arm'].map((id) => document.getElementById(id).offsetParent !== null),
        badge: document.getElementById('safety-state').textContent,
        title: document.getElementById('safety-title').textContent,
        events: Array.from(document.querySelectorAll('#events li')).map((li: any) => li.textContent as string),
      }));
      expect(s.hidden).toEqual([true, true, true]);
      expect(s.visible).toEqual([false, false, false]);
      expect(s.badge).toBe('e-stopped');
      expect(s.title).toBe('Safety events (recorded)');
      expect(s.events.some((e) => e.includes('estop') && e.includes('test e-stop'))).toBe(true);
      // Shift+Space (the page's e-stop key) sends nothing in a replay.
      await page.keyboard.press('Shift+Space');
      await sleep(300);
      expect(await page.evaluate(() => document.getElementById('msg').textContent)).toBe('');
      // At the end the page offers Resume and Step (the playback is paused there): Step says there
      // is no tick to go to, Resume plays the recording again (both were acked ok and did nothing).
      await page.waitForFunction(() => document.getElementById('pause').textContent === 'Resume' && !document.getElementById('step').disabled, null, { timeout: 10_000 });
      await page.click('#step');
      await page.waitForFunction(() => document.getElementById('msg').textContent !== '', null, { timeout: 10_000 });
      expect(await page.evaluate(() => document.getElementById('msg').textContent)).toBe(`end of the recording (tick ${rec.ticks.at(-1)!.seq} at 0.98 s): no tick to step to; Resume plays it again from 0 s`);
      const lastSeq = rec.ticks.at(-1)!.seq;
      expect(await page.evaluate(() => window.__axon.last.seq)).toBe(lastSeq);
      await page.click('#pause');
      // Played again: the page is shown the early ticks again, then the end is held once more.
      await page.waitForFunction((n) => window.__axon.last.seq < n - 10, lastSeq, { timeout: 10_000 });
      await until('the second end line', p, () => p.output().split('end of the recording').length === 3);
      expect(await page.evaluate(() => document.getElementById('msg').textContent)).toBe('');
      await page.waitForFunction(() => document.getElementById('pause').textContent === 'Resume', null, { timeout: 10_000 }); // held, paused, again
    } finally {
      await b.close();
      const { code } = await p.stop();
      expect(code).toBe(0);
    }
  }, 90_000);
});
