/**
 * What a frame's next.* columns hold and which ticks a frame is made of (docs/dataset.md "Reward
 * and done", "Lost slots", "Exporting recordings"). Review R13:
 * - F4: next.reward / next.done are those of the step the frame's action takes (LeRobot's
 *   convention: reward and done of (obs_t, action_t) -> obs_t+1), not of the frame's own observation.
 * - F3 / F12: `export --fps N` sums into a frame the rewards of the ticks its action covers, and
 *   counts the ticks between frames (received = written + dropped + held + skipped by fps).
 * - F2: a live loop that lost grid slots: counted, and a long gap ends the episode (--dataset and
 *   export alike).
 * - F6: export of a `run` / `teleop` recording takes the task text --dataset takes.
 * - F9: an export interrupted before its write writes nothing.
 */
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetWriter, provenance, readDataset } from '../../../src/dataset/index.ts';
import { runDefaultTask } from '../../../src/dataset/defaultTask.ts';
import { exportLerobot } from '../../../src/dataset/exportLerobot.ts';
import { attachRecorder, readRecording } from '../../../src/record/index.ts';
import { stageNames, type TickRecord } from '../../../src/loop/TickRecord.ts';
import type { SafetyState } from '../../../src/safety/types.ts';
import type { RobotSpec } from '../../../src/core/robot.ts';
import { recordRun } from '../record/recordRun.ts';
import { column, readTable } from './independentReader.ts';

const FPS = 50;
// Joints in a vendor's odd order (the wrist before the shoulder).
const spec = { name: 'arm2', joints: [{ name: 'wrist' }, { name: 'shoulder' }], sensors: { imu: false, contacts: [] }, controlModes: ['position'] } as unknown as RobotSpec;

interface T {
  k: number;
  /** Grid slot (its time is slot / FPS). */
  slot: number;
  lateness?: number;
  state?: SafetyState;
  ret?: number;
}

function tick(t: T): TickRecord {
  return {
    seq: t.k, time: t.slot / FPS, lateness: t.lateness ?? 0,
    observation: { time: t.slot / FPS, seq: t.k, jointPosition: Float32Array.of(0.01 * t.k, 1 - 0.02 * t.k), jointVelocity: Float32Array.of(0.5, 1e-9), jointEffort: new Float32Array(2), extras: {} },
    input: new Float32Array(0), policyAction: new Float32Array(0), action: new Float32Array(0),
    proposed: { mode: 'position', target: Float64Array.of(0.1 * t.k, 0) }, sent: { mode: 'position', target: Float64Array.of(0.1 * t.k, 0) },
    safetyState: t.state ?? 'running', events: [], episodeReturn: t.ret ?? 0, terminated: false, actionAge: 0, inferenceS: 0, stageS: new Float64Array(stageNames.length),
  } as unknown as TickRecord;
}

/** The same ticks into --dataset (DatasetWriter) and into an MCAP recording; returns both. */
async function both(ticks: T[], o: { run: Record<string, unknown>; task: string; scored: boolean; live: boolean; manifest?: unknown }) {
  const dir = mkdtempSync(join(tmpdir(), 'axon-frames-'));
  const ds = join(dir, 'ds'), rec = join(dir, 'run.mcap');
  const w = await DatasetWriter.open({ dir: ds, spec, fps: FPS, task: o.task, scored: o.scored, provenance: provenance({ spec, period: 1 / FPS, source: 'test' }) });
  const loop = { records$: new Subject<TickRecord>() };
  w.attach(loop, o.live ? { splitAt: { armCount: 0 } } : {});
  const r = attachRecorder(loop, { spec, period: 1 / FPS, run: o.run, ...(o.manifest ? { manifest: o.manifest } : {}) }, rec);
  for (const t of ticks) loop.records$.next(tick(t));
  w.endEpisode();
  const summary = await w.close();
  await r.close();
  return { dir, ds, rec, summary };
}

const sameFile = (a: string, b: string, f: string) => {
  // Column by column first (a readable difference), then byte for byte.
  const x = readTable(join(a, f)), y = readTable(join(b, f));
  expect(y.schema.fields.map((c) => c.name), f).toEqual(x.schema.fields.map((c) => c.name));
  for (const c of x.schema.fields) expect(column(y, c.name), `${f} ${c.name}`).toEqual(column(x, c.name));
  return readFileSync(join(a, f)).equals(readFileSync(join(b, f)));
};

describe('next.reward and next.done: the step the frame action takes (F4)', () => {
  it("frame t's next.reward is tick t+1's reward; before a stop the last frame takes the stop tick's; --dataset and export agree byte for byte", async () => {
    // Rewards 1, 2, 3, ... (the return after tick k is (k+1)(k+2)/2): each frame's reward names its tick.
    const ticks = Array.from({ length: 10 }, (_, k) => ({ k, slot: k, ret: ((k + 1) * (k + 2)) / 2, ...(k >= 6 ? { state: 'safe-stop' as const } : {}) }));
    const { dir, ds, rec, summary } = await both(ticks, { run: { command: 'sim', robot: 'arm2' }, task: 'reach', scored: true, live: false });
    expect(summary).toMatchObject({ frames_received: 10, frames_written: 6, frames_held_after_stop: 4 });
    const t = readTable(join(ds, 'data/chunk-000/file-000.parquet'));
    // Before: [1, 2, 3, 4, 5, 6] (each frame's own observation scored); the stop tick's reward 7 lost.
    expect(column(t, 'next.reward')).toEqual([2, 3, 4, 5, 6, 7]);
    expect(column(t, 'next.done')).toEqual([false, false, false, false, false, true]);

    const ex = join(dir, 'ex');
    await exportLerobot([rec], { out: ex, task: 'reach' });
    for (const f of ['data/chunk-000/file-000.parquet', 'meta/episodes/chunk-000/file-000.parquet', 'meta/tasks.parquet']) expect(sameFile(ds, ex, f), f).toBe(true);
  });

  it('an episode that ran to its end: its last frame has no observed result, next.reward 0 and next.done true', async () => {
    const ticks = Array.from({ length: 5 }, (_, k) => ({ k, slot: k, ret: ((k + 1) * (k + 2)) / 2 }));
    const { ds } = await both(ticks, { run: { command: 'sim', robot: 'arm2', seed: 1 }, task: 'reach', scored: true, live: false });
    const t = readTable(join(ds, 'data/chunk-000/file-000.parquet'));
    expect(column(t, 'next.reward')).toEqual([2, 3, 4, 5, 0]);
    expect(column(t, 'next.done')).toEqual([false, false, false, false, true]);
  });
});

describe('export --fps N: the rewards of the ticks a frame covers, every tick counted (F3, F12)', () => {
  it('frame i (tick k i) sums the rewards of ticks k i + 1 .. k (i + 1); the totals are the run return after tick 0 at every rate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-frames-fps-'));
    const file = join(dir, 'a.mcap');
    await recordRun(file, 1, { actionNoise: 0.5 });
    const r = await readRecording(file);
    const R = r.ticks.map((t) => t.episodeReturn);
    const L = R.length;
    expect(L).toBe(50);
    for (const [fps, step] of [[50, 1], [25, 2], [10, 5]] as const) {
      const out = join(dir, `ds${fps}`);
      const s = await exportLerobot([file], { out, fps });
      const frames = Math.ceil(L / step);
      expect(s).toMatchObject({ frames_received: L, frames_written: frames, frames_dropped: 0, frames_held_after_stop: 0, frames_skipped_by_fps: L - frames });
      expect(s.frames_received).toBe(s.frames_written + s.frames_dropped + s.frames_held_after_stop + s.frames_skipped_by_fps);
      const reward = column(readTable(join(out, 'data/chunk-000/file-000.parquet')), 'next.reward') as number[];
      const want = Array.from({ length: frames }, (_, i) => Math.fround(R[Math.min((i + 1) * step, L - 1)] - R[i * step]));
      expect(reward, `fps ${fps}`).toEqual(want);
      // Before: frame 0 held only tick 0's reward and the last tick's reward was in no frame.
      expect(reward.reduce((a, x) => a + x, 0)).toBeCloseTo(R[L - 1] - R[0], 3);
    }
  });
});

describe('a live loop that lost grid slots (F2)', () => {
  it('counts them; a gap longer than 0.5 s ends the episode (ended_by lost_slots), as export does; the task text is --dataset\'s (F6)', async () => {
    // 60 ticks: 4 slots lost after tick 19 (100 ms: counted), 30 after tick 39 (the next tick 620 ms later at 50 fps: the episode ends), one tick 9 ms late (jitter).
    const ticks = Array.from({ length: 60 }, (_, k) => ({ k, slot: k + (k >= 20 ? 4 : 0) + (k >= 40 ? 30 : 0), ...(k === 50 ? { lateness: 0.009 } : {}) }));
    const task = runDefaultTask({ command: 'run', robot: 'arm2', model: 'arm2-pose' });
    expect(task).toBe('arm2-pose (arm2)'); // as axon run builds it: `${manifest.name} (${config.name})`
    const { dir, ds, rec, summary } = await both(ticks, { run: { command: 'run', robot: 'arm2', policy: 'models/arm2-pose' }, manifest: { name: 'arm2-pose' }, task, scored: false, live: true });
    expect(summary).toMatchObject({ frames_received: 60, frames_written: 60, episodes_written: 2, slots_lost: 34, episodes_split_at_lost_slot: 1 });
    expect(summary.notes.join('\n')).toContain('lost 34 grid slots');
    const d = await readDataset(ds);
    expect(d.episodes.map((e) => [e.length, e['axon/ended_by'], e['axon/stop_reason']])).toEqual([
      [40, 'lost_slots', '30 grid slots lost after the last frame (the next tick came 620 ms later, at 50 fps)'],
      [20, null, null],
    ]);

    // export of the same run's recording, no --task: the same episodes, the same task, byte for byte.
    const ex = join(dir, 'ex');
    const s = await exportLerobot([rec], { out: ex });
    expect(s).toMatchObject({ episodes_written: 2, slots_lost: 34, episodes_split_at_lost_slot: 1 });
    for (const f of ['data/chunk-000/file-000.parquet', 'meta/episodes/chunk-000/file-000.parquet', 'meta/tasks.parquet']) expect(sameFile(ds, ex, f), f).toBe(true);
  });

  it('a simulated loop (no splitAt) is not split: its time is one period a tick', async () => {
    const ticks = Array.from({ length: 30 }, (_, k) => ({ k, slot: k + (k >= 10 ? 70 : 0) }));
    const { summary } = await both(ticks, { run: { command: 'sim', robot: 'arm2', seed: 1 }, task: 't', scored: false, live: false });
    expect(summary).toMatchObject({ episodes_written: 1, frames_written: 30, slots_lost: 0 });
  });
});

describe('default task text (F6)', () => {
  it('one function gives --dataset and export the same text for every command', () => {
    expect(runDefaultTask({ command: 'teleop', robot: 'so101-follower' })).toBe('teleop (so101-follower)');
    expect(runDefaultTask({ command: 'run', robot: 'arm6-xm430', model: 'arm6-pose' })).toBe('arm6-pose (arm6-xm430)');
    expect(runDefaultTask({ command: 'eval', robot: 'cartpole', task: 'cartpole-balance' })).toBe('cartpole-balance (cartpole)');
    expect(runDefaultTask({ command: 'sim', robot: 'cartpole' })).toBe('cartpole');
  });

  it('export of a teleop recording: "teleop (<follower>)", as teleop --dataset', async () => {
    const ticks = Array.from({ length: 5 }, (_, k) => ({ k, slot: k }));
    const { dir, ds, rec } = await both(ticks, { run: { command: 'teleop', leader: 'l.json', follower: 'f.json' }, task: 'teleop (arm2)', scored: false, live: true });
    const ex = join(dir, 'ex');
    await exportLerobot([rec], { out: ex });
    expect((await readDataset(ex)).tasks).toEqual(['teleop (arm2)']);
    expect(sameFile(ds, ex, 'meta/tasks.parquet')).toBe(true);
  });
});

describe('an interrupted export writes nothing (F9)', () => {
  it('a signal before the write: EXPORT_INTERRUPTED, no dataset; the rerun writes each episode once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-frames-int-'));
    const files = [join(dir, 'a.mcap'), join(dir, 'b.mcap'), join(dir, 'c.mcap')];
    for (const f of files) await recordRun(f, 0.2);
    const out = join(dir, 'ds');
    let calls = 0;
    // The signal comes while the third recording is read (after the first two were ready to write).
    await expect(exportLerobot(files, { out, interrupted: () => (++calls > 5 ? 'SIGINT' : undefined) })).rejects.toMatchObject({
      code: 'EXPORT_INTERRUPTED',
      signal: 'SIGINT',
      message: expect.stringContaining('nothing was written'),
    });
    expect(existsSync(out)).toBe(false); // before: the first recordings' episodes were committed
    const s = await exportLerobot(files, { out });
    expect(s).toMatchObject({ episodes_written: 3, appended_to: 0 });
    expect((await readDataset(out)).info.total_episodes).toBe(3);
  });
});
