import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { readRecording, Playback } from '../../../src/record/index.ts';
import { attachViewer, decodeRolloutFrame, decodeStateFrame, FRAME_KIND_ROLLOUTS } from '../../../src/viewer/index.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { createSimRobot } from '../../../sim/index.ts';
import { recordRun } from './recordRun.ts';

describe('replay --view: a recording played back', () => {
  it('plays the recorded ticks in order from the seek point, posing the robot as recorded', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'axon-play-')), 'run.mcap');
    await recordRun(file, 1);
    const rec = await readRecording(file);
    const robot = createSimRobot('cartpole');
    const playback = new Playback(rec, robot.spec, robot, { speed: 50, fromS: 0.5 });
    const seen: { seq: number; slider: number; hinge: number; poleTilt: number }[] = [];
    const pos = new Float64Array(3), quat = new Float64Array(4);
    playback.records$.subscribe((r) => {
      robot.linkPose('pole', pos, quat);
      // pole rotation about y from the drawn pose: 2·atan2(qy, qw)
      seen.push({ seq: r.seq, slider: pos[0], hinge: r.observation.jointPosition[1], poleTilt: 2 * Math.atan2(quat[1], quat[3]) });
    });
    const shown = await playback.run();
    const from = rec.ticks.findIndex((t) => t.time >= 0.5);
    expect(shown).toBe(rec.ticks.length - from);
    // A start past the last tick is refused, not played from the first (review R18 finding 10).
    const end = rec.ticks.at(-1)!.time - rec.ticks[0].time;
    expect(() => new Playback(rec, robot.spec, robot, { speed: 1, fromS: end + 0.5 })).toThrow(`start ${end + 0.5} s is past the recording's end`);
    expect(() => new Playback(rec, robot.spec, robot, { speed: 1, fromS: end })).not.toThrow();
    expect(seen.map((s) => s.seq)).toEqual(rec.ticks.slice(from).map((t) => t.seq));
    seen.forEach((s, i) => {
      expect(s.poleTilt).toBeCloseTo(s.hinge, 5);
      expect(s.slider).toBeCloseTo(rec.ticks[from + i].observation.jointPosition[0], 5);
    });
    await robot.close();
  });

  it('feeds the viewer: state frames carry the recorded joint positions, pause holds the playback', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'axon-play-')), 'run.mcap');
    await recordRun(file, 0.6);
    const rec = await readRecording(file);
    const robot = createSimRobot('cartpole');
    const playback = new Playback(rec, robot.spec, robot, { speed: 2 });
    const safety = new SafetySupervisor(robot.spec, 0.02);
    const viewer = await attachViewer(playback, safety, robot, { port: 0, frameHz: 50, control: playback });
    const ws = new WebSocket(viewer.url.replace('http://', 'ws://').replace('/?', '/ws?'));
    const frames: ReturnType<typeof decodeStateFrame>[] = [];
    ws.on('message', (d, binary) => binary && frames.push(decodeStateFrame(new Uint8Array(d as Buffer))));
    await new Promise((r) => ws.once('open', r));
    const done = playback.run();
    while (frames.length < 3) await new Promise((r) => setTimeout(r, 10));
    playback.pause();
    await new Promise((r) => setTimeout(r, 100));
    const seqAtPause = frames.at(-1)!.seq;
    await new Promise((r) => setTimeout(r, 200));
    expect(frames.at(-1)!.seq).toBe(seqAtPause);
    playback.resume();
    await done;
    const byseq = new Map(rec.ticks.map((t) => [t.seq, t]));
    for (const f of frames) expect(f.joints[0]).toBeCloseTo(byseq.get(f.seq)!.observation.jointPosition[0], 5);
    ws.close();
    await viewer.close();
    await robot.close();
  });

  it('draws a recorded world model’s predicted trajectory: the viewer sends it as a rollout frame per tick shown', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'axon-play-')), 'shield.mcap');
    await recordRun(file, 0.4, { traceRows: 1, worldModel: { dir: 'models/cartpole-wm', mode: 'shield', planner: 'mppi', plan: {}, shield: {}, monitor: {} } });
    const rec = await readRecording(file);
    const robot = createSimRobot('cartpole');
    const playback = new Playback(rec, robot.spec, robot, { speed: 1 });
    expect(playback.trace).toMatchObject({ horizon: 10, stateSize: 4, capacity: 1 });
    const viewer = await attachViewer(playback, new SafetySupervisor(robot.spec, 0.02), robot, {
      port: 0,
      control: playback,
      rolloutHz: 200,
      rollouts: { trace: playback.trace!, mode: rec.worldModel!.mode, jointSlots: rec.worldModel!.jointSlots, dt: rec.worldModel!.dt },
    });
    const ws = new WebSocket(viewer.url.replace('http://', 'ws://').replace('/?', '/ws?'));
    const rollouts: ReturnType<typeof decodeRolloutFrame>[] = [];
    ws.on('message', (d, binary) => binary && (d as Buffer)[0] === FRAME_KIND_ROLLOUTS && rollouts.push(decodeRolloutFrame(new Uint8Array(d as Buffer))));
    await new Promise((r) => ws.once('open', r));
    await playback.run();
    await new Promise((r) => setTimeout(r, 30));
    expect(rollouts.length).toBeGreaterThan(3);
    const byseq = new Map(rec.ticks.map((t) => [t.seq, t]));
    for (const f of rollouts) {
      expect(f).toMatchObject({ mode: 'shield', rows: 1, points: 11, stateSize: 4, chosen: 0 });
      expect(Array.from(f.states)).toEqual(Array.from(byseq.get(f.seq)!.predicted!.states));
    }
    ws.close();
    await viewer.close();
    await robot.close();
  });
});
