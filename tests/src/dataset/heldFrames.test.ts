/**
 * Ticks the supervisor held in a degraded state are frames marked `axon.held` (docs/dataset.md
 * "Held ticks"): a live run (runLive on virtual time) of the cartpole policy on a robot whose data
 * twice stops changing: 7 frozen ticks (2 stale holds, then fresh data: running again), then frozen
 * to the end (2 stale holds, then the stale safe-stop). --dataset (DatasetWriter) and `axon export
 * lerobot` of the MCAP of the same run keep one frame per tick up to the stop, mark the 4 holds, say
 * ended_by safe_stop, and give byte-equal data and episodes tables.
 */
import { BehaviorSubject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimRobot } from '../../../sim/index.ts';
import type { JointCommand, Observation, Robot, RobotHealth } from '../../../src/core/robot.ts';
import { VirtualClock, VirtualTime } from '../../../src/clock/VirtualTime.ts';
import { runLive, type LiveResult } from '../../../src/cli/live.ts';
import { loadModelFolder } from '../../../src/model/manifest.ts';
import { attachRecorder, readRecording, type Recorder } from '../../../src/record/index.ts';
import { DatasetWriter, provenance, readDataset } from '../../../src/dataset/index.ts';
import { exportLerobot } from '../../../src/dataset/exportLerobot.ts';
import type { TickRecord } from '../../../src/loop/TickRecord.ts';
import { readTable, column } from './independentReader.ts';

const PERIOD = 0.02; // models/cartpole-balance: 50 Hz
const POLICY = 'models/cartpole-balance';

/** A robot that keeps its own time whose data can stop changing (same observation, same seq) while `frozen(tick)`. */
class FreezingRobot implements Robot {
  readonly sim = createSimRobot('cartpole');
  readonly spec = this.sim.spec;
  readonly health$ = new BehaviorSubject<RobotHealth>({ connected: true, stale: false, faults: [] });
  tick = 0;
  private last: Observation | undefined;
  constructor(private readonly frozen: (tick: number) => boolean) {}
  async connect(): Promise<void> {}
  observe(): Observation {
    const k = this.tick++;
    if (this.frozen(k) && this.last) return this.last;
    this.sim.step(PERIOD);
    this.last = this.sim.observe();
    return this.last;
  }
  command(cmd: JointCommand): void {
    this.sim.command(cmd);
  }
  async close(): Promise<void> {
    await this.sim.close();
  }
}

describe('degraded holds in a dataset', () => {
  it('are frames marked axon.held, the same from --dataset and from export of the MCAP; the stop still ends the episode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-dsheld-'));
    const ds = join(dir, 'ds'), rec = join(dir, 'run.mcap'), ex = join(dir, 'ex');
    const robot = new FreezingRobot((k) => (k >= 30 && k < 37) || k >= 60);
    const manifest = loadModelFolder(POLICY).manifest;
    const writer = await DatasetWriter.open({ dir: ds, spec: robot.spec, fps: 50, task: 'balance', scored: false, provenance: provenance({ spec: robot.spec, period: PERIOD, model: POLICY, manifest, source: 'test' }) });
    let recorder: Recorder | undefined;
    const states: string[] = [];
    const time = new VirtualTime(100);
    let ended = false;
    const p = runLive(robot, {
      policy: POLICY,
      durationS: 1.6,
      handleSignals: false,
      safety: { softStartS: 0 },
      clock: new VirtualClock(PERIOD, time),
      onLoop: (loop) => {
        writer.attach(loop);
        recorder = attachRecorder(loop, { spec: robot.spec, manifest, period: PERIOD, run: { command: 'run', robot: 'cartpole', policy: POLICY } }, rec);
        loop.records$.subscribe((r: TickRecord) => states.push(r.safetyState));
      },
    }).finally(() => (ended = true));
    p.catch(() => {});
    while (!ended) {
      if (time.pendingCount > 0) time.advanceTo(time.nextDue());
      await new Promise((r) => setImmediate(r));
    }
    const r: LiveResult = await p;
    expect(r.endedBy).toBe('safe_stop');
    recorder!.setEpisode({ endedBy: r.endedBy });
    await recorder!.close();
    writer.endEpisode({ endedBy: r.endedBy });
    const s = await writer.close();

    const stopAt = states.indexOf('safe-stop');
    const heldAt = states.flatMap((x, i) => (x === 'degraded' ? [i] : []));
    expect(heldAt).toHaveLength(4); // two stale holds in each frozen stretch
    expect(heldAt.every((i) => i < stopAt)).toBe(true);
    expect(states.slice(heldAt[1] + 1, heldAt[2]).every((x) => x === 'running')).toBe(true); // it recovered between them
    expect(s).toMatchObject({ frames_received: 80, frames_written: stopAt, frames_held_after_stop: 80 - stopAt, frames_marked_held: 4, frames_dropped: 0 });

    const e = await exportLerobot([rec], { out: ex, task: 'balance' });
    expect(e).toMatchObject({ frames_written: stopAt, frames_held_after_stop: 80 - stopAt, frames_marked_held: 4 });
    for (const f of ['data/chunk-000/file-000.parquet', 'meta/episodes/chunk-000/file-000.parquet', 'meta/tasks.parquet'])
      expect(readFileSync(join(ex, f)).equals(readFileSync(join(ds, f))), f).toBe(true);

    const m = await readRecording(rec);
    expect(m.ticks).toHaveLength(80); // the MCAP keeps every tick
    const t = readTable(join(ds, 'data/chunk-000/file-000.parquet'));
    const held = column(t, 'axon.held') as boolean[];
    expect(held.flatMap((x, i) => (x ? [i] : []))).toEqual(heldAt);
    // One frame per tick (timestamps stay frame_index / fps); a held frame's action is the hold the robot was sent.
    expect(column(t, 'frame_index')).toEqual(Array.from({ length: stopAt }, (_, i) => i));
    const action = column(t, 'action') as number[][];
    for (const i of heldAt) expect(action[i][0]).toBeCloseTo(m.ticks[i].sent.target[0], 4);
    const d = await readDataset(ds);
    expect(d.info.features['axon.held']).toEqual({ dtype: 'bool', shape: [1], names: null });
    expect(d.episodes.map((x) => [x.length, x['axon/ended_by']])).toEqual([[stopAt, 'safe_stop']]);
    expect(d.episodes[0]['axon/stop_reason']).toContain('stale observation');
  }, 60_000);
});
