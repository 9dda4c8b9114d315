/**
 * The human summary's dataset line (src/cli/outputs.ts datasetLine) says which episodes were saved:
 * none when the session stopped before its first frame (review R13 F7: it said "episode 1 saved"
 * of a session that wrote nothing), one, or the range a session split at resets wrote.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { datasetLine } from '../../../src/cli/outputs.ts';
import { DatasetWriter, provenance, readDataset, type DatasetSummary } from '../../../src/dataset/index.ts';
import type { TickRecord } from '../../../src/loop/TickRecord.ts';
import type { RobotSpec } from '../../../src/core/robot.ts';

const spec = { name: 'twojoint', joints: [{ name: 'a' }, { name: 'b' }], sensors: { imu: false, contacts: [] }, controlModes: ['position'] } as unknown as RobotSpec;

const tick = (k: number, safetyState = 'running') =>
  ({ seq: k, safetyState, observation: { jointPosition: Float32Array.of(k, 0), jointVelocity: Float32Array.of(0, 0), extras: {} }, sent: { mode: 'position', target: Float64Array.of(0, 0) }, episodeReturn: k, events: [] }) as unknown as TickRecord;

describe('datasetLine: the episodes saved', () => {
  it('a session stopped before its first frame: "no episode saved", episodes_empty 1, the dataset unchanged', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'axon-dsline-')), 'ds');
    const open = () => DatasetWriter.open({ dir, spec, fps: 50, task: 't', scored: true, provenance: provenance({ spec, period: 0.02, source: 'test' }) });
    const w0 = await open();
    const l0 = { records$: new Subject<TickRecord>() };
    w0.attach(l0);
    for (let k = 0; k < 3; k++) l0.records$.next(tick(k));
    w0.endEpisode({});
    await w0.close();
    const w = await open();
    const loop = { records$: new Subject<TickRecord>() };
    w.attach(loop);
    loop.records$.next(tick(0, 'e-stopped')); // the stop on the first tick: held, no frame
    w.endEpisode({ endedBy: 'signal' });
    const s = await w.close();
    expect(s).toMatchObject({ appended_to: 1, episodes_written: 0, episodes_empty: 1, frames_written: 0, frames_held_after_stop: 1 });
    const line = datasetLine(s);
    expect(line).toContain('no episode saved (0 frames before the stop)');
    expect(line).not.toMatch(/episode 1 saved/);
    expect((await readDataset(dir)).info.total_episodes).toBe(1);
  });

  it('one episode, and a split session: "episode N" / "episodes A-B"', () => {
    const base = { dir: 'ds', appended_to: 4, episodes_written: 1, episodes_empty: 0, frames_received: 10, frames_written: 10, frames_dropped: 0, frames_held_after_stop: 0, frames_marked_held: 0, notes: [], save_ms: { mean: 1, max: 2 } } as unknown as DatasetSummary;
    expect(datasetLine(base)).toContain('episode 4 saved in 2 ms');
    expect(datasetLine({ ...base, episodes_written: 3 })).toContain('episodes 4-6 saved in 2 ms');
  });
});
