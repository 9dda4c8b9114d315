import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSimSession, runEpisode } from '../../../src/cli/wiring.ts';
import { attachRecorder, comparePolicy, readRecording, recordingSummary } from '../../../src/record/index.ts';
import { loadModelFolder } from '../../../src/model/manifest.ts';
import { loadPolicy } from '../../../src/policy/loadPolicy.ts';
import { velocityPolicy, VX_AT } from '../../helpers/velocityPolicy.ts';
import { runEval } from '../../../src/cli/evaluate.ts';
import { readdirSync } from 'node:fs';

const dir = mkdtempSync(join(tmpdir(), 'axon-vcmd-'));

describe('velocity command in a recording', () => {
  it("records the command each tick's observation used, and the change when the operator changes it", async () => {
    const policy = velocityPolicy({ lin_vel_x: [-0.5, 1.5] });
    const file = join(dir, 'cmd.mcap');
    const s = await openSimSession({ robot: 'cartpole', policy, physicsHz: 500, velocityCommand: [0.25, 0, 0] });
    let rec: ReturnType<typeof attachRecorder> | undefined;
    try {
      await runEpisode(s, { seed: 1, randomize: false, durationS: 1, continueAfterTerminate: true }, (loop) => {
        rec = attachRecorder(loop, { spec: s.robot.spec, manifest: s.folder.manifest, period: s.period, command: s.command }, file);
        // The operator changes the command after tick 20 (off the tick, as the viewer does); 3 m/s is clamped to 1.5.
        loop.records$.subscribe((r) => {
          if (r.seq === 20) s.command.set(3, -0.5, 0.4);
        });
      });
      await rec!.close();
    } finally {
      await s.close();
    }
    const r = await readRecording(file);
    expect(r.ticks).toHaveLength(50);
    const at = (seq: number) => r.ticks.find((t) => t.seq === seq)!;
    expect(at(20).velocityCommand).toEqual([0.25, 0, 0]);
    expect(at(21).velocityCommand).toEqual([1.5, -0.5, 0.4]);
    // What the policy saw: the same numbers in its input.
    expect(Array.from(at(20).input.subarray(VX_AT, VX_AT + 3))).toEqual([0.25, 0, 0]);
    expect(Array.from(at(21).input.subarray(VX_AT, VX_AT + 3)).map((x) => Math.round(x * 1e6) / 1e6)).toEqual([1.5, -0.5, 0.4]);
    expect(recordingSummary(r).velocity_command).toEqual({ ticks: 50, first: [0.25, 0, 0], last: [1.5, -0.5, 0.4], changes: 1, min: [0.25, -0.5, 0], max: [1.5, 0, 0.4] });
    // axon replay --policy feeds the recorded command to the new policy: the same policy differs by nothing.
    const folder = loadModelFolder(policy);
    const p = await loadPolicy(folder);
    const d = await comparePolicy(r, folder.manifest, p);
    await p.close();
    expect(d.max).toBe(0);
  });

  it('axon sim --command feeds the term, clamps with a note naming the range, and records it', async () => {
    const policy = velocityPolicy({ lin_vel_x: [-0.5, 1.5] });
    const file = join(dir, 'cli.mcap');
    const run = spawnSync(process.execPath, ['bin/axon.js', 'sim', '--robot', 'cartpole', '--policy', policy, '--command', '2,0.1,-0.3', '--duration', '0.4', '--fast', '--record', file, '--json'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain("axon: note: --command 2,0.1,-0.3 is outside vx [-0.5, 1.5] m/s (the manifest's command_ranges): clamped to 1.5,0.1,-0.3");
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(summary.velocity_command.map((x: number) => Math.round(x * 1e6) / 1e6)).toEqual([1.5, 0.1, -0.3]);
    const r = await readRecording(file);
    expect(r.ticks.length).toBe(20);
    for (const t of r.ticks) expect(t.velocityCommand).toEqual([1.5, 0.1, -0.3]);
  });

  it('axon eval --command: every episode runs (and is recorded) under the command', async () => {
    const policy = velocityPolicy({ lin_vel_x: [-0.5, 1.5] });
    const out = join(dir, 'eval');
    await runEval({ robot: 'cartpole', policy, episodes: 2, seed: 1, randomize: false, durationS: 0.2, physicsHz: 500, recordDir: out, velocityCommand: [0.5, 0, -0.25] });
    const files = readdirSync(out);
    expect(files).toHaveLength(2);
    for (const f of files) {
      const r = await readRecording(join(out, f));
      expect(r.ticks).toHaveLength(10);
      for (const t of r.ticks) expect(t.velocityCommand).toEqual([0.5, 0, -0.25]);
    }
  });
});
