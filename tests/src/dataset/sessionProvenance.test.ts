/**
 * What made each episode, after an append or an export of several recordings: a planner without a
 * policy is held to the dataset's control mode like a policy run (its mode is its commands'), and
 * `export lerobot` of several recordings gives each its own entry in info.json `axon.sessions`.
 */
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxonError } from '../../../src/core/errors.ts';
import { DatasetStore, DatasetWriter, featureSource, provenance, runFeatures } from '../../../src/dataset/index.ts';
import { exportLerobot } from '../../../src/dataset/exportLerobot.ts';
import type { TickRecord } from '../../../src/loop/TickRecord.ts';
import type { RobotSpec } from '../../../src/core/robot.ts';
import { recordRun } from '../record/recordRun.ts';

// Joints out of chain order, as a vendor's arm lists them.
const spec = { name: 'arm', joints: [{ name: 'elbow' }, { name: 'base' }], sensors: { imu: false, contacts: [] }, controlModes: ['position', 'effort'] } as unknown as RobotSpec;
const newDir = () => join(mkdtempSync(join(tmpdir(), 'axon-sessions-')), 'ds');
const info = (dir: string) => JSON.parse(readFileSync(join(dir, 'meta/info.json'), 'utf8'));

/** A policy run's provenance (its manifest names the mode), or a planner's without a policy (none: its world model drives the mapper). */
const policyRun = (type: string) => provenance({ spec, period: 0.02, model: 'models/p', manifest: { name: 'p', action: { type } }, source: 'axon sim', command: `axon sim --policy models/p (${type})` });
const plannerRun = () => provenance({ spec, period: 0.02, source: 'axon sim', command: 'axon sim --world-model models/wm --wm-mode plan' });

/** Ticks whose commands are in `mode`; the first two held by the supervisor (their command is its position hold). */
function ticks(n: number, mode: string): TickRecord[] {
  return Array.from({ length: n }, (_, k) => ({
    seq: k,
    safetyState: k < 2 ? 'degraded' : 'running',
    observation: { jointPosition: Float32Array.of(k, -k), jointVelocity: Float32Array.of(0, 1), extras: {} },
    sent: { mode: k < 2 ? 'position' : mode, target: Float64Array.of(k / 10, 1) },
    episodeReturn: k,
    terminated: false,
    events: [],
  })) as unknown as TickRecord[];
}

async function runWriter(dir: string, p: ReturnType<typeof provenance>, mode: string, episodes = 1) {
  const w = await DatasetWriter.open({ dir, spec, fps: 50, task: 't', scored: true, provenance: p });
  for (let e = 0; e < episodes; e++) {
    const loop = { records$: new Subject<TickRecord>() };
    w.attach(loop);
    for (const t of ticks(12, mode)) loop.records$.next(t);
    w.endEpisode({ endedBy: 'duration' });
  }
  return w.close();
}

describe('a planner without a policy is held to the control mode of the dataset it appends to', () => {
  it("its effort commands are refused from a position dataset, nothing written; in the dataset's mode they are appended, the session recording its mode", async () => {
    const dir = newDir();
    expect((await runWriter(dir, policyRun('joint_position'), 'position')).episodes_written).toBe(1);
    const refused = await runWriter(dir, plannerRun(), 'effort', 2);
    expect(refused).toMatchObject({ episodes_written: 0, episodes_dropped: 2, frames_written: 0 });
    expect(refused.errors[0]).toContain('control mode "position" in the dataset (its action column holds position commands), "effort" in this run');
    expect(info(dir).total_episodes).toBe(1);
    expect(info(dir).axon.sessions).toHaveLength(1);

    const same = await runWriter(dir, plannerRun(), 'position');
    expect(same.episodes_written).toBe(1);
    const sessions = info(dir).axon.sessions;
    expect(sessions.map((s: { control_mode?: string; command: string }) => [s.control_mode, s.command])).toEqual([
      ['position', 'axon sim --policy models/p (joint_position)'],
      ['position', 'axon sim --world-model models/wm --wm-mode plan'],
    ]);
  });

  it("a dataset a planner started records its commands' mode, and a policy of another mode is then refused before it runs", async () => {
    const dir = newDir();
    // The held ticks' position hold is not the planner's mode: its first command not held is.
    expect((await runWriter(dir, plannerRun(), 'effort')).episodes_written).toBe(1);
    expect(info(dir).axon.sessions[0].control_mode).toBe('effort');
    const features = runFeatures(featureSource(spec, true));
    let e: unknown;
    try {
      (await DatasetStore.open(dir, { robotType: 'arm', fps: 50, features, provenance: policyRun('joint_position') })).close();
    } catch (x) {
      e = x;
    }
    expect(e, String(e)).toBeInstanceOf(AxonError);
    expect((e as AxonError).code).toBe('DATASET_MISMATCH');
    expect((e as AxonError).message).toContain('control mode "effort" in the dataset');
    expect((await runWriter(dir, policyRun('joint_effort'), 'effort')).episodes_written).toBe(1);
  });
});

describe('export lerobot of several recordings: one session entry per recording', () => {
  it("each recording's episodes are named in info.json axon.sessions with its own provenance", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-exsessions-'));
    const a = join(dir, 'a.mcap'), b = join(dir, 'b.mcap'), c = join(dir, 'c.mcap');
    await recordRun(a, 0.3);
    await recordRun(b, 0.2);
    await recordRun(c, 0.2);
    const out = join(dir, 'ds');
    await exportLerobot([a, b], { out });
    await exportLerobot([c], { out });
    const sessions = info(out).axon.sessions as { first_episode: number; episodes: number; source: string; control_mode?: string; model?: string }[];
    expect(sessions.map((s) => [s.first_episode, s.episodes, s.source])).toEqual([
      [0, 1, `axon export lerobot ${a}`],
      [1, 1, `axon export lerobot ${b}`],
      [2, 1, `axon export lerobot ${c}`],
    ]);
    expect(sessions.every((s) => s.control_mode === 'effort' && s.model === 'cartpole-balance')).toBe(true);
  });
});

describe('dataset info names the recording of each exported session', () => {
  it('prints the export command and the recording, one line per session', async () => {
    const { runAxon } = await import('../../helpers/cli.ts');
    const dir = mkdtempSync(join(tmpdir(), 'axon-exinfo-'));
    const a = join(dir, 'a.mcap'), b = join(dir, 'b.mcap');
    await recordRun(a, 0.2);
    await recordRun(b, 0.2);
    const out = join(dir, 'ds');
    await exportLerobot([a, b], { out });
    const r = runAxon(['dataset', 'info', out], 120_000);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => /^ {4}episodes \d/.test(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^    episodes 0-0: model cartpole-balance, effort control, .* \\(${a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`));
    expect(lines[1]).toContain(`(${b})`);
  });
});
