/**
 * `axon sim --urdf FILE --record run.mcap`, then `axon replay run.mcap --view`: the recording keeps
 * the URDF's path, sha256 and set-up (src/record/drawingMeta.ts), and the replay draws the robot
 * from it as `sim --urdf --view` does, link poses in the state frames (a plain WebSocket client,
 * as tests/e2e/viewerRun.test.ts reads a real robot's replay; no browser). The fixture URDF has a
 * maker's awkwardness: package:// visual meshes that are not shipped, a zero-inertia tool frame,
 * joints listed tip first.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { axon } from '../helpers/cli.ts';
import { startAxon } from '../helpers/viewerE2e.ts';
import { writeConstantPoseModel } from '../hardware/helpers/armModel.ts';
import { readRecording } from '../../src/record/index.ts';
import { decodeStateFrame, type ViewerModel } from '../../src/viewer/index.ts';
import { Kinematics, type PageKinematics } from '../../src/viewer/page/kinematics.js';

const FIXTURE_URDF = 'tests/fixtures/urdf/replay_bot_description/urdf/replay_bot.urdf';
const OLD_RECORDING = 'tests/fixtures/recordings/replay_bot-before-drawing-meta.mcap';

const dir = mkdtempSync(join(tmpdir(), 'axon-replay-urdf-'));
const urdf = join(dir, 'robot', 'replay_bot.urdf');
const run = join(dir, 'run.mcap');
const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
/** `axon replay FILE --view --once`: played at once to its end (no page). */
const replayView = (file: string, ...more: string[]) => axon('replay', file, '--view', '--view-port', '0', '--speed', '100', '--once', ...more);
const panelLines = (stderr: string) => stderr.split('\n').filter((l) => l.includes('panels only'));

beforeAll(() => {
  mkdirSync(join(dir, 'robot'));
  copyFileSync(FIXTURE_URDF, urdf);
  const sim = axon('sim', '--urdf', urdf, '--init-pose', 'shoulder=0.4,elbow=-0.7', '--fast', '--duration', '1', '--record', run, '--json');
  expect(sim.code, sim.stderr).toBe(0);
}, 120_000);

describe('axon replay --view of a sim --urdf recording', () => {
  it('the recording names the URDF by absolute path and sha256, with the set-up that places the robot', async () => {
    const rec = await readRecording(run);
    expect(rec.run.urdf).toBe(urdf);
    expect(rec.run.drawing).toEqual({
      schema: 'axon.drawing/1',
      urdf,
      sha256: sha256(urdf),
      bytes: readFileSync(urdf).byteLength,
      fixed_base: false,
      base_position: [0, 0, 0],
      base_orientation: [0, 0, 0, 1],
      package_paths: [],
    });
    // --fixed-base and --urdf-package-path (relative) are recorded as they acted.
    const fixed = join(dir, 'fixed.mcap');
    const sim = axon('sim', '--urdf', urdf, '--fixed-base', '--urdf-package-path', 'tests/fixtures/urdf', '--fast', '--duration', '0.2', '--record', fixed);
    expect(sim.code, sim.stderr).toBe(0);
    expect((await readRecording(fixed)).run.drawing).toMatchObject({ fixed_base: true, package_paths: [join(process.cwd(), 'tests/fixtures/urdf')] });
  });

  it('axon run of a config naming a urdf records it too: fixed at the origin, as its live view draws it', async () => {
    const file = join(dir, 'arm.mcap');
    const r = axon('run', '--config', 'hardware/robots/arm6-xm430.json', '--policy', writeConstantPoseModel([0.2, 0, 0, 0, 0, 0]), '--port', 'emu://', '--duration', '0.3', '--record', file);
    expect(r.code, r.stderr).toBe(0);
    const armUrdf = join(process.cwd(), 'hardware/robots/arm6-xm430.urdf');
    expect((await readRecording(file)).run).toMatchObject({ urdf: armUrdf, drawing: { urdf: armUrdf, sha256: sha256(armUrdf), fixed_base: true, base_position: [0, 0, 0] } });
  });

  it('draws the robot from its URDF, every link where the recorded base and joints put it', async () => {
    const rec = await readRecording(run);
    const replay = await startAxon(['replay', run, '--view', '--view-port', '0', '--speed', '0.2']);
    try {
      const ws = new WebSocket(replay.url.replace('http://', 'ws://').replace('/?', '/ws?'));
      let hello: { links: string[]; model: ViewerModel | null; kinematics: PageKinematics | null } | undefined;
      const frames: ReturnType<typeof decodeStateFrame>[] = [];
      ws.on('message', (d, binary) => (binary ? frames.push(decodeStateFrame(new Uint8Array(d as Buffer))) : (hello ??= JSON.parse(d.toString()))));
      const deadline = Date.now() + 20_000;
      while (frames.length < 5) {
        if (Date.now() > deadline) throw new Error(`only ${frames.length} frames from axon replay in 20 s:\n${replay.output()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      ws.close();
      expect(replay.output()).not.toContain('panels only');
      expect(hello!.model?.name).toBe('replay_bot');
      expect(hello!.links).toEqual(expect.arrayContaining(['base_link', 'upper_arm', 'forearm', 'tool_frame']));
      // The package:// meshes are not here: left out (said on stderr), the primitives drawn.
      expect(replay.output()).toContain('URDF_VISUAL_MESH_MISSING');
      expect(hello!.model!.links.find((l) => l.name === 'base_link')!.visuals.map((v) => v.geometry.kind)).toEqual(['box']);
      // The page's own forward kinematics (tested against the simulator) from the recorded base and joints.
      const fk = new Kinematics(hello!.kinematics!, hello!.links);
      const bySeq = new Map(rec.ticks.map((t) => [t.seq, t]));
      const root = hello!.links.indexOf('base_link');
      for (const f of frames) {
        expect(f.links).toHaveLength(7 * hello!.links.length); // posed here, as sim --urdf --view
        const obs = bySeq.get(f.seq)!.observation;
        for (let k = 0; k < 3; k++) expect(f.links[7 * root + k]).toBeCloseTo(obs.base!.position[k], 5);
        expect(obs.base!.position[2]).toBeGreaterThan(0.04); // on the ground, not at the origin
        const world = fk.solve(obs.base!.position, obs.base!.orientation, obs.jointPosition);
        hello!.links.forEach((_, i) => {
          const e = world[i].elements;
          expect(Math.hypot(f.links[7 * i] - e[12], f.links[7 * i + 1] - e[13], f.links[7 * i + 2] - e[14])).toBeLessThan(1e-5);
        });
      }
    } finally {
      await replay.stop();
    }
  });

  it('a changed URDF, then a moved one, is one line naming the path and what differs; --urdf gives the moved file', () => {
    appendFileSync(urdf, '<!-- edited after the run -->\n');
    const changed = replayView(run);
    expect(changed.code, changed.stderr).toBe(0);
    expect(panelLines(changed.stderr)).toEqual([expect.stringMatching(new RegExp(`^axon replay: robot "replay_bot": its URDF ${urdf} has changed since the run \\(sha256 [0-9a-f]{12}…, recorded [0-9a-f]{12}…; \\d+ bytes, recorded \\d+\\); give the file with --urdf FILE: panels only$`))]);

    const moved = join(dir, 'moved.urdf');
    renameSync(urdf, moved);
    const gone = replayView(run);
    expect(gone.code, gone.stderr).toBe(0);
    expect(panelLines(gone.stderr)).toEqual([`axon replay: robot "replay_bot": its URDF ${urdf} is not here; give the file with --urdf FILE: panels only`]);

    const given = replayView(run, '--urdf', moved);
    expect(given.code, given.stderr).toBe(0);
    expect(panelLines(given.stderr)).toEqual([]);
  });

  it('--urdf lacking a recorded joint is refused naming it (exit 2, REPLAY_MODEL)', () => {
    const renamed = join(dir, 'renamed.urdf');
    const text = readFileSync(FIXTURE_URDF, 'utf8').replace('<joint name="elbow"', '<joint name="elbow_joint"');
    appendFileSync(renamed, text);
    const r = replayView(run, '--urdf', renamed);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`axon: error [REPLAY_MODEL]: --urdf ${renamed}: has no moving joint "elbow" of the recording (expected a URDF moving the recorded joints: shoulder, elbow)`);
  });

  it('a sim --urdf recording made before the drawing was kept still replays: panels, or drawn with --urdf FILE', () => {
    const summary = axon('replay', OLD_RECORDING, '--json');
    expect(summary.code, summary.stderr).toBe(0);
    expect(JSON.parse(summary.lastLine)).toMatchObject({ robot: 'replay_bot', ticks: 20, gaps: 0 });
    const panels = replayView(OLD_RECORDING);
    expect(panels.code, panels.stderr).toBe(0);
    expect(panelLines(panels.stderr)).toEqual(['axon replay: robot "replay_bot": no drawing model recorded (give one with --urdf FILE or --mjcf FILE): panels only']);
    const drawn = replayView(OLD_RECORDING, '--urdf', FIXTURE_URDF);
    expect(drawn.code, drawn.stderr).toBe(0);
    expect(panelLines(drawn.stderr)).toEqual([]);
  });
});
