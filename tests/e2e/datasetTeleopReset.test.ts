/**
 * An operator reset during teleoperation starts the next episode: two emulated SO-101 buses, a
 * scripted leader, the follower e-stopped then re-armed (what the viewer's E-STOP and arm do),
 * with the dataset writer and the recorder attached as `axon teleop --dataset --record` attaches
 * them; `axon export lerobot` of the recording splits the same episodes, and both say how each ended.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTeleop } from '../../src/teleop/runTeleop.ts';
import { DatasetWriter, provenance, readDataset } from '../../src/dataset/index.ts';
import { exportLerobot } from '../../src/dataset/exportLerobot.ts';
import { attachRecorder, type Recorder } from '../../src/record/index.ts';
import { teleopManifest } from '../../src/teleop/runTeleop.ts';
import { loadAnyRobotConfig, openConfiguredRobot, type FeetechPort } from '../../hardware/robots/openRobot.ts';
import { scriptLeader } from '../../hardware/emulator/scriptedOperator.ts';
import type { FeetechEmulator } from '../../hardware/emulator/FeetechEmulator.ts';
import type { FeetechRobotConfig } from '../../hardware/robots/feetechConfig.ts';
import { readTable, column } from '../src/dataset/independentReader.ts';

describe('teleop --dataset: an operator reset ends the episode', () => {
  it('e-stop then re-arm mid-session: two episodes, split on the re-armed tick, the ticks held in the e-stop left out (docs/dataset.md "How an episode ended")', async () => {
    const hz = 100, period = 1 / hz;
    const lead = loadAnyRobotConfig('hardware/robots/so101-leader.json');
    const foll = loadAnyRobotConfig('hardware/robots/so101-follower.json');
    const L = openConfiguredRobot(lead, 'emu://', lead.config.baud, { dryRun: true, period });
    const F = openConfiguredRobot(foll, 'emu://', foll.config.baud, { period });
    const cfg = lead.config as FeetechRobotConfig;
    // Inside the leader's own ranges: a reading past them by more than 0.1 rad is refused as impossible
    // (docs/safety.md; the gripper's range is [-0.17, 1.75] rad, so it swings about 0.5 rad).
    scriptLeader((L.port as FeetechPort).emulator as FeetechEmulator, cfg, (t, q) => {
      for (let i = 0; i < q.length; i++) q[i] = (i === q.length - 1 ? 0.5 : 0) + 0.3 * Math.sin(2 * Math.PI * 0.5 * t + i) * Math.min(1, t);
    });
    const root = mkdtempSync(join(tmpdir(), 'axon-dsreset-'));
    const dir = join(root, 'ds'), recFile = join(root, 'teleop.mcap'), ex = join(root, 'ex');
    let recorder: Recorder | undefined;
    const ds = await DatasetWriter.open({ dir, spec: F.robot.spec, fps: hz, task: 'demo', scored: false, provenance: provenance({ spec: F.robot.spec, period, source: 'test' }) });
    let estopTick = -1, armTick = -1;
    const r = await runTeleop(L.robot, F.robot, {
      hz,
      durationS: 2,
      handleSignals: false,
      onLoop: (loop, safety, clock) => {
        ds.attach(loop, { splitAt: safety });
        const m = teleopManifest(F.robot.spec.name, F.robot.spec.joints.map((j) => j.name), hz);
        recorder = attachRecorder(loop, { spec: F.robot.spec, manifest: m, period, run: { command: 'teleop' } }, recFile);
        loop.records$.subscribe((rec) => {
          if (estopTick < 0 && rec.seq >= 80) {
            estopTick = rec.seq;
            safety.estop('operator e-stop (test)', clock.now(), rec.seq);
          } else if (estopTick >= 0 && armTick < 0 && rec.seq >= 120) {
            armTick = rec.seq;
            safety.reset('operator arm (test)', rec.observation, rec.seq, clock.now());
          }
        });
      },
    });
    // As `axon teleop` ends its outputs (src/cli/outputs.ts close): how the session ended, into both.
    expect(r.endedBy).toBe('duration');
    recorder!.setEpisode({ endedBy: r.endedBy });
    await recorder!.close();
    ds.endEpisode({ endedBy: r.endedBy });
    const s = await ds.close();
    // 2 s of wall time: 200 ticks, fewer if a loaded host skips slots (--duration is time, review R15 F12).
    const n = r.loop.ticks;
    expect(n).toBeLessThanOrEqual(200);
    expect(n).toBeGreaterThan(121); // the re-arm comes at seq 120
    // The e-stop comes after tick estopTick's record (its last frame); ticks estopTick+1..armTick are held.
    const held = armTick - estopTick;
    expect(s).toMatchObject({ episodes_written: 2, episodes_split_at_reset: 1, frames_received: n, frames_written: n - held, frames_dropped: 0, frames_held_after_stop: held });
    const d = await readDataset(dir);
    // The reset happens after tick armTick's record: the next tick is the first of episode 1.
    expect(d.episodes.map((e) => [e.length, e['axon/ended_by']])).toEqual([[estopTick + 1, 'safe_stop'], [n - armTick - 1, 'duration']]);
    expect(d.episodes[0]['axon/stop_reason']).toContain('operator e-stop (test)');
    // Export of the recording: the same two episodes, lengths, ends and reasons, and the same frames.
    const e = await exportLerobot([recFile], { out: ex, task: 'demo' });
    expect(e).toMatchObject({ episodes_written: 2, frames_received: n, frames_written: n - held, frames_held_after_stop: held });
    const x = await readDataset(ex);
    const rows = (v: typeof d) => v.episodes.map((ep) => [ep.length, ep['axon/ended_by'], ep['axon/stop_reason']]);
    expect(rows(x)).toEqual(rows(d));
    const xt = readTable(join(ex, 'data/chunk-000/file-000.parquet'));
    const t0 = readTable(join(dir, 'data/chunk-000/file-000.parquet'));
    for (const c of ['episode_index', 'frame_index', 'action', 'axon.held']) expect(column(xt, c), c).toEqual(column(t0, c));
    const t = readTable(join(dir, 'data/chunk-000/file-000.parquet'));
    expect(column(t, 'episode_index').slice(estopTick, estopTick + 2)).toEqual([0, 1]);
    expect(column(t, 'frame_index')[estopTick + 1]).toBe(0);
  }, 60_000);
});
