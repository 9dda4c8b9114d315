/**
 * `axon replay --view` shows the recording's safety, not a supervisor of its own (review R18
 * finding 2): each frame's safety state is the recorded state of its tick, the recorded events
 * reach the page as playback passes them (the ones before a seek point at once), and the page's
 * E-STOP / Disarm / Arm are refused (there is nothing to stop) and hidden (hello recordedSafety).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { readRecording, Playback, type Recording } from '../../../src/record/index.ts';
import { attachViewer, decodeStateFrame } from '../../../src/viewer/index.ts';
import type { SafetyEvent } from '../../../src/safety/types.ts';
import { createSimRobot } from '../../../sim/index.ts';
import { recordedSafety } from '../../../src/cli/commands/replay.ts';
import { recordRun } from '../record/recordRun.ts';

const ESTOP_SEQ = 20;
let recording: Promise<Recording> | undefined;
/** A 1 s cartpole run e-stopped at tick 20 (the recording's events: state_change to running, then estop and state_change to e-stopped). */
function estoppedRun(): Promise<Recording> {
  return (recording ??= (async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'axon-replay-safety-')), 'run.mcap');
    await recordRun(file, 1, { estopAtSeq: ESTOP_SEQ });
    return readRecording(file);
  })());
}

describe('replay --view: the recording’s safety', () => {
  it('Playback: the shown tick’s recorded state; the recorded events as their tick is shown, those before the seek point first', async () => {
    const rec = await estoppedRun();
    const stop = rec.events.find((e) => e.kind === 'estop')!;
    expect(stop).toMatchObject({ seq: ESTOP_SEQ, reason: 'test e-stop' });
    expect(rec.ticks.at(-1)!.safetyState).toBe('e-stopped');
    const robot = createSimRobot('cartpole');
    try {
      for (const fromS of [0, 0.6]) {
        const playback = new Playback(rec, robot.spec, robot, { speed: 100, fromS });
        const seen: string[] = [];
        playback.events$.subscribe((e) => seen.push(`event ${e.seq} ${e.kind}`));
        playback.records$.subscribe((r) => seen.push(`tick ${r.seq} ${r.safetyState} ${playback.safetyState}`));
        const start = rec.ticks.find((t) => t.time - rec.ticks[0].time >= fromS)!;
        expect(playback.safetyState).toBe(start.safetyState); // before the first tick: the seek point's
        await playback.run();
        // Expected: each recorded event just before the tick it happened in; at a seek point past them, all at once first.
        const want: string[] = [];
        let k = 0;
        const ev = [...rec.events].sort((a, b) => a.seq - b.seq);
        for (const t of rec.ticks.filter((x) => x.seq >= start.seq)) {
          while (k < ev.length && ev[k].seq <= t.seq) want.push(`event ${ev[k].seq} ${ev[k++].kind}`);
          want.push(`tick ${t.seq} ${t.safetyState} ${t.safetyState}`);
        }
        expect(k).toBe(ev.length);
        expect(seen).toEqual(want);
        expect(seen.filter((s) => s.startsWith('event'))).toHaveLength(rec.events.length);
        if (fromS > 0) expect(seen.slice(0, rec.events.length).every((s) => s.startsWith('event'))).toBe(true);
      }
    } finally {
      await robot.close();
    }
  });

  it('the viewer on it: frames and stats carry the recorded state, the page gets the recorded events, E-STOP and Arm are refused', async () => {
    const rec = await estoppedRun();
    const robot = createSimRobot('cartpole');
    const playback = new Playback(rec, robot.spec, robot, { speed: 4 });
    const viewer = await attachViewer(playback, recordedSafety(playback), robot, { port: 0, statsHz: 50, control: playback });
    const ws = new WebSocket(viewer.url.replace('http://', 'ws://').replace('/?', '/ws?'));
    const frames: ReturnType<typeof decodeStateFrame>[] = [];
    const texts: any[] = [];
    ws.on('message', (d, binary) => {
      if (binary) {
        frames.push(decodeStateFrame(new Uint8Array(d as Buffer).slice().buffer));
        ws.send('{"type":"frame"}'); // as the page: one frame asked for per frame drawn
      } else texts.push(JSON.parse(d.toString()));
    });
    try {
      await new Promise((r) => ws.once('open', r));
      ws.send('{"type":"frame"}');
      await playback.run();
      await new Promise((r) => setTimeout(r, 150)); // a stats round after the last tick
      const hello = texts.find((m) => m.type === 'hello');
      expect(hello).toMatchObject({ recordedSafety: true, safetyState: 'running' });
      const bySeq = new Map(rec.ticks.map((t) => [t.seq, t]));
      const pairs = new Set(frames.map((f) => `${f.safetyState}/${bySeq.get(f.seq)!.safetyState}`));
      expect(pairs).toEqual(new Set(['running/running', 'e-stopped/e-stopped']));
      const stats = texts.filter((m) => m.type === 'stats');
      expect(stats.at(-1).safetyState).toBe('e-stopped');
      const events = stats.flatMap((m) => m.events);
      const key = (e: Pick<SafetyEvent, 'seq' | 'kind' | 'reason'>) => `${e.seq} ${e.kind} ${e.reason}`;
      expect(events.map(key)).toEqual(rec.events.map(key));
      // Nothing to stop: a refused ack naming the command and why (it was the server's generic
      // "message not handled: ..." error), the recorded state unchanged.
      texts.length = 0;
      for (const cmd of ['estop', 'disarm', 'arm']) ws.send(JSON.stringify({ type: 'cmd', cmd }));
      const deadline = Date.now() + 5000;
      while (texts.filter((m) => m.type === 'error' || m.type === 'ack').length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const answers = texts.filter((m) => m.type === 'error' || m.type === 'ack');
      expect(answers.map((a) => [a.type, a.cmd, a.ok, a.message])).toEqual(
        ([['estop', 'E-STOP'], ['disarm', 'Disarm'], ['arm', 'Arm']] as const).map(([cmd, label]) => [
          'ack', cmd, false,
          `${label} refused: this is a replay, the safety state and events shown are the recording's; there is no robot to stop or arm`,
        ]),
      );
      expect(playback.safetyState).toBe('e-stopped');
    } finally {
      ws.close();
      await viewer.close();
      await robot.close();
    }
  });

  it('at the end: paused; Step is refused naming the end, Resume plays it again from the seek point (both were acked ok and did nothing)', async () => {
    const rec = await estoppedRun();
    const robot = createSimRobot('cartpole');
    const fromS = 0.5;
    const playback = new Playback(rec, robot.spec, robot, { speed: 10, fromS });
    const viewer = await attachViewer(playback, recordedSafety(playback), robot, { port: 0, control: playback });
    const ws = new WebSocket(viewer.url.replace('http://', 'ws://').replace('/?', '/ws?'));
    const acks: any[] = [];
    ws.on('message', (d, binary) => {
      const m = binary ? undefined : JSON.parse(d.toString());
      if (m?.type === 'ack') acks.push(m);
    });
    const reply = async (cmd: string) => {
      const n = acks.length;
      ws.send(JSON.stringify({ type: 'cmd', cmd }));
      for (let i = 0; i < 400 && acks.length === n; i++) await new Promise((r) => setTimeout(r, 5));
      return acks[n];
    };
    const seqs: number[] = [];
    playback.records$.subscribe((r) => seqs.push(r.seq));
    try {
      await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
      const start = rec.ticks.find((t) => t.time - rec.ticks[0].time >= fromS)!;
      const last = rec.ticks.at(-1)!;
      await playback.run();
      expect(seqs.at(-1)).toBe(last.seq);
      expect(playback.paused).toBe(true); // the page shows Resume and enables Step
      const step = await reply('step');
      expect(step).toMatchObject({ cmd: 'step', ok: false, paused: true });
      expect(step.message).toBe(`end of the recording (tick ${last.seq} at 0.98 s): no tick to step to; Resume plays it again from ${fromS} s`);
      expect(playback.replayRequested).toBe(false);
      expect(await reply('resume')).toMatchObject({ cmd: 'resume', ok: true, paused: false, message: `playing again from ${fromS} s` });
      expect(playback.replayRequested).toBe(true);
      const n = seqs.length;
      await playback.run(); // what axon replay does on replayRequested
      expect(seqs.slice(n)).toEqual(seqs.slice(0, n));
      expect(seqs[n]).toBe(start.seq);
      expect(playback.replayRequested).toBe(false);
      expect(playback.paused).toBe(true); // held at the end again
    } finally {
      ws.close();
      await viewer.close();
      await robot.close();
    }
  });
});
