/**
 * How a live run's episodes end (docs/dataset.md "How an episode ended").
 *
 * A bridged `axon sim --robot ws://...` is a live run (docs/cli.md): an operator's re-arm after a
 * stop starts the next episode in `axon export lerobot` as in `--dataset` (DatasetWriter's splitAt,
 * which sim.ts now passes for the bridged run), as for `run` and `teleop`. A local `sim` recording
 * stays one episode. Review R8 finding 4: export split only `run` and `teleop` recordings.
 *
 * A live run the operator e-stopped or disarmed and that was held to its end: the summary says
 * `ended_by: "duration"` (src/session/liveEndedBy.ts: an operator's stop is not the supervisor's
 * own), its last episode `safe_stop` (cut short: what a learner filters on). Pinned here, as the
 * doc says it (review R8 finding 9).
 */
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetWriter, provenance, readDataset } from '../../../src/dataset/index.ts';
import { liveEndedBy } from '../../../src/session/liveEndedBy.ts';
import { exportLerobot } from '../../../src/dataset/exportLerobot.ts';
import { attachRecorder } from '../../../src/record/index.ts';
import { stageNames, type TickRecord } from '../../../src/loop/TickRecord.ts';
import type { SafetyState } from '../../../src/safety/types.ts';
import type { RobotSpec } from '../../../src/core/robot.ts';

const FPS = 50;
const spec = { name: 'pendulum', joints: [{ name: 'hinge' }], sensors: { imu: false, contacts: [] }, controlModes: ['effort'] } as unknown as RobotSpec;

function tick(k: number, state: SafetyState): TickRecord {
  return {
    seq: k, time: k / FPS, lateness: 0,
    observation: { time: k / FPS, seq: k, jointPosition: Float32Array.of(0.01 * k), jointVelocity: Float32Array.of(0.5), jointEffort: new Float32Array(1), extras: {} },
    input: new Float32Array(0), policyAction: new Float32Array(0), action: new Float32Array(0),
    proposed: { mode: 'effort', target: Float64Array.of(0.2) }, sent: { mode: 'effort', target: Float64Array.of(0.1) },
    safetyState: state, events: [], episodeReturn: 0, terminated: false, actionAge: 0, inferenceS: 0, stageS: new Float64Array(stageNames.length),
  } as unknown as TickRecord;
}

/** 100 ticks: running, the operator's disarm at 40 (safe-stop, held), Arm at 60, running to the end. */
async function recording(run: Record<string, unknown>): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'axon-bsplit-')), 'run.mcap');
  const loop = { records$: new Subject<TickRecord>() };
  const rec = attachRecorder(loop, { spec, period: 1 / FPS, run: run as never }, file);
  for (let k = 0; k < 100; k++) loop.records$.next(tick(k, k >= 40 && k < 60 ? 'safe-stop' : 'running'));
  await rec.close();
  return file;
}

describe('export lerobot: a bridged sim recording splits at a re-arm', () => {
  it('two episodes for `sim --robot ws://...` (run.bridge), one for a local sim', async () => {
    const bridged = await recording({ command: 'sim', robot: 'pendulum', realtime: true, bridge: 'ws://127.0.0.1:18890' });
    const out = join(mkdtempSync(join(tmpdir(), 'axon-bsplit-ds-')), 'ds');
    expect(await exportLerobot([bridged], { out, task: 't' })).toMatchObject({ episodes_written: 2, frames_written: 80 });
    expect((await readDataset(out)).episodes.map((e) => [e.length, e['axon/ended_by']])).toEqual([[40, 'safe_stop'], [40, null]]);

    const local = await recording({ command: 'sim', robot: 'pendulum', seed: 1 });
    const out2 = join(mkdtempSync(join(tmpdir(), 'axon-bsplit-ds2-')), 'ds');
    expect(await exportLerobot([local], { out: out2, task: 't' })).toMatchObject({ episodes_written: 1, frames_written: 40 });
  });
});

describe('a live run the operator stopped and that was held to its end', () => {
  it('ends `duration` in its summary and `safe_stop` in its last episode, with the stop reason', async () => {
    const endedBy = liveEndedBy({ faulted: false, signalled: false, ownStop: undefined }); // the operator's e-stop is not the supervisor's own
    expect(endedBy).toBe('duration');
    const dir = join(mkdtempSync(join(tmpdir(), 'axon-opstop-')), 'ds');
    const w = await DatasetWriter.open({ dir, spec, fps: FPS, task: 't', scored: false, provenance: provenance({ spec, period: 1 / FPS, source: 'test' }) });
    const loop = { records$: new Subject<TickRecord>() };
    const safety = { armCount: 1 };
    w.attach(loop, { splitAt: safety });
    for (let k = 0; k < 100; k++) {
      const t = tick(k, k >= 70 ? 'e-stopped' : 'running');
      if (k === 70) (t as unknown as { events: unknown[] }).events = [{ kind: 'state_change', time: k / FPS, seq: k, reason: 'running -> e-stopped: operator e-stop (viewer)', state: 'e-stopped' }];
      loop.records$.next(t);
    }
    w.endEpisode({ endedBy });
    expect(await w.close()).toMatchObject({ episodes_written: 1, frames_written: 70, frames_held_after_stop: 30 });
    expect((await readDataset(dir)).episodes.map((e) => [e.length, e['axon/ended_by'], e['axon/stop_reason']])).toEqual([[70, 'safe_stop', expect.stringContaining('operator e-stop (viewer)')]]);
  });
});
