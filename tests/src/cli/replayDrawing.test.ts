/**
 * What `axon replay --view` draws a recording's robot with (src/cli/replayDrawing.ts), on a
 * recording `axon sim --urdf` made before recordings kept their URDF
 * (tests/fixtures/recordings/replay_bot-before-drawing-meta.mcap, see its README) and on that
 * recording given the `drawing` metadata a newer run writes.
 */
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { recordedRobotName, replayRobot } from '../../../src/cli/replayDrawing.ts';
import { printHuman } from '../../../src/cli/commands/replay.ts';
import { drawingMeta, readRecording, recordedSpec, recordingSummary, type Recording } from '../../../src/record/index.ts';
import { Kinematics } from '../../../src/viewer/page/kinematics.js';
import { pageKinematics } from '../../../src/viewer/index.ts';

const FIXTURE_URDF = 'tests/fixtures/urdf/replay_bot_description/urdf/replay_bot.urdf';
const OLD_RECORDING = 'tests/fixtures/recordings/replay_bot-before-drawing-meta.mcap';

let old: Recording;
const dir = mkdtempSync(join(tmpdir(), 'axon-replay-drawing-'));
beforeAll(async () => {
  old = await readRecording(OLD_RECORDING);
});

/** replayRobot with its stderr lines collected. */
async function drawn(rec: Recording, urdf?: string) {
  const lines: string[] = [];
  const robot = await replayRobot(rec, recordedSpec(rec), String(rec.run.robot), { ...(urdf ? { urdf } : {}), say: (l) => lines.push(l) });
  return { robot, lines };
}

/** A copy of the fixture URDF in a folder of its own, and the old recording with a `drawing` naming it. */
function withDrawing(name: string, run: Record<string, unknown> = {}): { urdf: string; rec: Recording } {
  const urdf = join(mkdtempSync(join(dir, `${name}-`)), 'replay_bot.urdf');
  copyFileSync(FIXTURE_URDF, urdf);
  return { urdf, rec: { ...old, run: { ...old.run, ...drawingMeta(urdf, { fixedBase: false }), ...run } } };
}

/** Largest distance (m) between the robot's link positions and the page's forward kinematics from the recorded base and joints. */
function worstLinkError(robot: Awaited<ReturnType<typeof replayRobot>>, rec: Recording): number {
  const t = rec.ticks.at(-1)!;
  const obs = t.observation;
  robot.showPose(obs.jointPosition, obs.base!.position, obs.base!.orientation);
  const links = robot.model!.links.map((l) => l.name);
  const world = new Kinematics(pageKinematics(robot.model, robot.spec)!, links).solve(obs.base!.position, obs.base!.orientation, obs.jointPosition);
  const pos = new Float64Array(3), quat = new Float64Array(4);
  let worst = 0;
  links.forEach((l, i) => {
    robot.linkPose!(l, pos, quat);
    const e = world[i].elements;
    worst = Math.max(worst, Math.hypot(e[12] - pos[0], e[13] - pos[1], e[14] - pos[2]));
  });
  return worst;
}

describe('replay --view: the drawing model of a URDF run', () => {
  it('a recording made before the drawing metadata still reads, and says it has no drawing model (panels only)', async () => {
    expect(old.ticks).toHaveLength(20);
    expect(old.run.drawing).toBeUndefined();
    const { robot, lines } = await drawn(old);
    expect(robot.model).toBeUndefined();
    expect(lines).toEqual(['axon replay: robot "replay_bot": no drawing model recorded (give one with --urdf FILE or --mjcf FILE): panels only']);
  });

  it('--urdf FILE draws a recording that names none, posed at the recorded base and joints', async () => {
    const { robot, lines } = await drawn(old, FIXTURE_URDF);
    expect(robot.model?.links.map((l) => l.name)).toEqual(expect.arrayContaining(['base_link', 'upper_arm', 'forearm', 'tool_frame']));
    // The package:// visual meshes are not here: left out, said once; the primitives are drawn.
    expect(lines.join('\n')).toContain('URDF_VISUAL_MESH_MISSING');
    const base = robot.model!.links.find((l) => l.name === 'base_link')!;
    expect(base.visuals.map((v) => v.geometry.kind)).toEqual(['box']);
    // The recorded pose is not the zero pose, and the base is off the origin (on the ground).
    const obs = old.ticks.at(-1)!.observation;
    expect(obs.jointPosition[0]).toBeCloseTo(0.4, 1);
    expect(obs.jointPosition[1]).toBeCloseTo(-0.7, 1);
    expect(obs.base!.position[2]).toBeGreaterThan(0.04);
    expect(worstLinkError(robot, old)).toBeLessThan(1e-6);
    const pos = new Float64Array(3), quat = new Float64Array(4);
    robot.linkPose!('base_link', pos, quat);
    expect(Array.from(pos)).toEqual(Array.from(obs.base!.position).map((x) => expect.closeTo(x, 6)));
    await robot.close();
  });

  it('--urdf FILE lacking a recorded joint is refused naming it (REPLAY_MODEL), and so is one moving a joint the recording lacks', async () => {
    const renamed = join(dir, 'renamed.urdf');
    const text = readFileSync(FIXTURE_URDF, 'utf8');
    writeFileSync(renamed, text.replace('<joint name="elbow"', '<joint name="elbow_joint"'));
    await expect(drawn(old, renamed)).rejects.toMatchObject({ code: 'REPLAY_MODEL', where: `--urdf ${renamed}`, message: expect.stringContaining('has no moving joint "elbow" of the recording') });
    const extra = join(dir, 'extra.urdf');
    writeFileSync(
      extra,
      text.replace(
        '</robot>',
        '<joint name="wrist" type="revolute"><parent link="forearm"/><child link="hand"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="1" velocity="1"/></joint><link name="hand"><inertial><mass value="0.1"/><inertia ixx="1e-4" ixy="0" ixz="0" iyy="1e-4" iyz="0" izz="1e-4"/></inertial></link></robot>',
      ),
    );
    await expect(drawn(old, extra)).rejects.toMatchObject({ code: 'REPLAY_MODEL', message: expect.stringContaining('moves joint "wrist", which the recording does not have') });
  });

  it('the recorded URDF is drawn while it is the file recorded; changed, then gone, one line names the path and what differs', async () => {
    const { urdf, rec } = withDrawing('recorded');
    const bytes = statSync(urdf).size;
    expect(rec.run.drawing).toMatchObject({ schema: 'axon.drawing/1', urdf: resolve(urdf), bytes, fixed_base: false });
    const same = await drawn(rec);
    expect(same.robot.model?.links.map((l) => l.name)).toContain('tool_frame');
    expect(worstLinkError(same.robot, rec)).toBeLessThan(1e-6);
    await same.robot.close();

    appendFileSync(urdf, '<!-- edited -->\n'); // 16 bytes
    const changed = await drawn(rec);
    expect(changed.robot.model).toBeUndefined();
    expect(changed.lines).toHaveLength(1);
    expect(changed.lines[0]).toMatch(new RegExp(`^axon replay: robot "replay_bot": its URDF ${urdf} has changed since the run \\(sha256 [0-9a-f]{12}…, recorded [0-9a-f]{12}…; ${bytes + 16} bytes, recorded ${bytes}\\); give the file with --urdf FILE: panels only$`));

    rmSync(urdf);
    const gone = await drawn(rec);
    expect(gone.robot.model).toBeUndefined();
    expect(gone.lines).toEqual([`axon replay: robot "replay_bot": its URDF ${urdf} is not here; give the file with --urdf FILE: panels only`]);
  });

  it('a vendor URDF labelled like a shipped robot is drawn from its URDF, not as the shipped robot', async () => {
    const { rec } = withDrawing('label', { robot: 'humanoid' });
    const { robot } = await drawn(rec);
    expect(robot.model?.name).toBe('replay_bot');
    await robot.close();
  });

  it('an older axon run recording (a bare urdf path, ticks without a base) is drawn by the page from the joints, unchecked', async () => {
    const urdf = join(dir, 'legacy.urdf');
    copyFileSync(FIXTURE_URDF, urdf);
    const ticks = old.ticks.map((t) => ({ ...t, observation: { ...t.observation, base: undefined } }));
    const rec: Recording = { ...old, ticks, run: { command: 'run', robot: 'replay_bot', urdf } };
    appendFileSync(urdf, '<!-- no sha256 was kept: not checked -->\n');
    const { robot, lines } = await drawn(rec);
    expect(robot.model?.name).toBe('replay_bot');
    expect(robot.linkPose).toBeUndefined(); // the page poses it, root at the origin, as the live view did
    expect(lines.filter((l) => !l.includes('URDF_VISUAL_MESH_MISSING'))).toEqual([]);
  });

  it('a drawing of a schema this axon does not know is named, with the panels alone', async () => {
    const { rec } = withDrawing('schema');
    const future = { ...rec, run: { ...rec.run, drawing: { ...(rec.run.drawing as object), schema: 'axon.drawing/2' } } };
    const { robot, lines } = await drawn(future);
    expect(robot.model).toBeUndefined();
    expect(lines[0]).toContain('drawing: has schema "axon.drawing/2"');
  });
});

describe('replay: a name from the recording (a bridge server\'s free text) reaches the terminal escaped', () => {
  const EVIL = 'evil\u001b[2J\u001b]0;pwned\u0007';
  const ESCAPED = 'evil\\u001b[2J\\u001b]0;pwned\\u0007';

  it('the panels-only line names the robot escaped, for a bridged recording and for a MuJoCo one whose MJCF is gone', async () => {
    const spec = { ...recordedSpec(old), name: EVIL };
    for (const run of [
      { command: 'sim', robot: EVIL, bridge: 'ws://127.0.0.1:1', physics: 'cannon' },
      { command: 'sim', robot: 'ws://127.0.0.1:1', bridge: 'ws://127.0.0.1:1', physics: 'cannon' },
      { command: 'sim', robot: EVIL, physics: 'mujoco', mjcf: join(dir, 'gone.xml') },
    ]) {
      const lines: string[] = [];
      const rec: Recording = { ...old, run };
      const robot = await replayRobot(rec, spec, recordedRobotName(rec, spec), { say: (l) => lines.push(l) });
      expect(robot.model).toBeUndefined();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`robot "${ESCAPED}"`);
      expect(lines[0]).not.toMatch(/[\u0000-\u001f]/);
    }
  });

  it('`axon replay FILE` prints the recorded robot, policy and joint names escaped', () => {
    const s = recordingSummary({ ...old, spec: { ...old.spec!, name: EVIL } } as Recording);
    const diff = { policy: 'p', ticks: 1, mode: 'position' as const, recordedMode: 'position' as const, joints: [{ joint: `j${EVIL}`, max: 0, mean: 0, maxAtSeq: 0 }], max: 0, warnings: [] };
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((l: string) => void out.push(l));
    try {
      printHuman({ ...s, policy: EVIL, policy_diff: diff });
    } finally {
      log.mockRestore();
    }
    expect(out[0]).toContain(`: ${ESCAPED}`);
    expect(out[0]).toContain(`under ${ESCAPED}`);
    expect(out.join('\n')).toContain(`j${ESCAPED}`);
    expect(out.join('\n')).not.toMatch(/\u001b/);
  });
});
