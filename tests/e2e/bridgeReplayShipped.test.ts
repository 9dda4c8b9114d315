/**
 * A shipped robot recorded over the bridge replays drawn: `axon sim --robot ws://... --record`
 * against the cartpole served in this process keeps the served robot's name as `run.robot` (its
 * URL as `run.bridge`), so `axon replay --view` draws the shipped cartpole, as it draws a local
 * `axon sim --robot cartpole` recording (src/cli/replayDrawing.ts); one recorded before, which kept
 * the URL as `run.robot`, is named by its recorded spec and drawn too. A recording whose robot only
 * bears a shipped name, with other joints, is not drawn as that robot. The server and the client
 * process are ended after each test (tests/helpers/axonChildren.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordedRobotName, replayRobot } from '../../src/cli/replayDrawing.ts';
import { readRecording, recordedSpec, type Recording } from '../../src/record/index.ts';
import { createSimRobot } from '../../sim/index.ts';
import { startServer } from '../hardware/bridge/helpers.ts';
import { axonChildren } from '../helpers/axonChildren.ts';

const { open, axon: spawnAxon } = axonChildren();

/** `axon ARGS` in its own process, SIGKILLed after 90 s: its exit code, stdout and stderr. */
async function axon(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const p = spawnAxon(args);
  const code = await p.done;
  return { code, out: p.out, err: p.err };
}

/** replayRobot as `axon replay --view` calls it, its stderr lines collected. */
async function drawn(rec: Recording) {
  const lines: string[] = [];
  const robot = await replayRobot(rec, recordedSpec(rec), recordedRobotName(rec, recordedSpec(rec)), { say: (l) => lines.push(l) });
  open.push(robot);
  return { robot, lines };
}

describe('a shipped robot recorded over the bridge', () => {
  it('axon sim --robot ws://... --record of the served cartpole: run.robot names the cartpole, run.bridge the URL, and the replay draws it', async () => {
    const server = await startServer({ robot: createSimRobot('cartpole'), engine: 'cannon' });
    open.push(server);
    const file = join(mkdtempSync(join(tmpdir(), 'axon-bridge-replay-')), 'cartpole.mcap');
    const run = await axon(['sim', '--robot', server.url, '--token', 'secret-token', '--policy', 'models/cartpole-balance', '--duration', '1', '--record', file]);
    expect(run.code, run.err).toBe(0);
    // The text summary has the local run's lines, then the bridge's (review R20 F4).
    expect(run.out).toMatch(/^period error µs p50 [\d.]+ p99 [\d.]+ max [\d.]+, overruns \d+$/m);
    expect(run.out).toMatch(/^stage µs p50\/p99: observe [\d.]+\/[\d.]+, .*policy [\d.]+\/[\d.]+/m);
    expect(run.out).toMatch(/^safety: running, (events: .*state_change 1|no interventions)/m);
    expect(run.out).toMatch(/^bridge \(cannon-es\): \d+ frames in, \d+ commands out/m);

    const rec = await readRecording(file);
    expect(rec.run.robot).toBe('cartpole');
    expect(rec.run.bridge).toBe(server.url);
    expect(rec.ticks.length).toBeGreaterThan(0);
    const { robot, lines } = await drawn(rec);
    expect(lines).toEqual([]);
    expect(robot.model?.name).toBe('cartpole');
    expect(robot.spec.joints.map((j) => j.name)).toEqual(['slider', 'hinge']);

    // One recorded before run.robot named the served robot (the URL there too) is named by its spec: drawn as well.
    const older = await drawn({ ...rec, run: { ...rec.run, robot: server.url } });
    expect(older.lines).toEqual([]);
    expect(older.robot.model?.name).toBe('cartpole');

    // A robot that only bears the name (other joints: a served URDF called "cartpole") is not drawn as the shipped one.
    const spec = recordedSpec(rec);
    const renamed: Recording = { ...rec, run: { ...rec.run, robot: 'cartpole' }, spec: { ...spec, joints: spec.joints.map((j) => ({ ...j, name: `${j.name}_joint` })) } } as Recording;
    const other = await replayRobot(renamed, renamed.spec!, 'cartpole', { say: (l) => lines.push(l) });
    expect(other.model).toBeUndefined();
    expect(lines).toEqual([expect.stringContaining('the shipped robot "cartpole" moves joints slider, hinge, not the recorded slider_joint, hinge_joint')]);
  }, 120_000);
});
