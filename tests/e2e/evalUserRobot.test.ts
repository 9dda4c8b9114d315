/**
 * `axon eval --urdf FILE | --mjcf FILE` (R21 F1): a user's robot scored over N seeded episodes as a
 * shipped one is. Before, eval had no --urdf/--mjcf (commander: "unknown option '--urdf'") and
 * `--robot FILE` was "unknown robot", with no word of what to use, though docs/cli.md read as if
 * `eval --urdf` worked. The robot is set up as `axon sim --urdf` sets it up, and success is its task's:
 * stood for the whole episode on a floating base (docs/your-robot.md, "Score it: axon eval").
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readRecording } from '../../src/record/index.ts';
import { runAxon, type CliRun } from '../helpers/cli.ts';
import { writeMjcfRobot } from '../helpers/mjcfRobot.ts';
import { zeroPositionPolicy } from '../helpers/onnxFixtures.ts';

const URDF = 'sim/robots/humanoid.urdf';
const P = 'models/humanoid-balance';
const dir = mkdtempSync(join(tmpdir(), 'axon-eval-user-'));

interface Summary { robot: string; episodes: number; success_rate: number; mean_steps: number; randomize: boolean; physics?: string; record?: { files: number } }
const mcaps = (d: string) => readdirSync(d).filter((f) => f.endsWith('.mcap')).map((f) => join(d, f));
const summary = (r: CliRun): Summary => JSON.parse(r.lastLine) as Summary;

function expectUsage(r: CliRun, ...parts: string[]) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain('[CLI_USAGE]');
  for (const p of parts) expect(r.stderr).toContain(p);
  expect(r.stdout).toBe('');
}

describe('eval --urdf: a URDF robot scored over seeded episodes', () => {
  it('the policy on PD stands every episode; the same robot limp (--kp 0 --kd 0) falls every episode', () => {
    const rec = join(dir, 'rec');
    const ok = runAxon(['eval', '--urdf', URDF, '--policy', P, '--episodes', '2', '--duration', '1.5', '--json', '--record', rec]);
    expect(ok.code, ok.stderr).toBe(0);
    const s = summary(ok);
    expect(s).toMatchObject({ robot: 'humanoid', episodes: 2, success_rate: 1, randomize: false, record: { files: 2 } });
    expect(s.mean_steps).toBe(75); // 1.5 s at the manifest's 50 Hz
    expect(readdirSync(rec).filter((f) => f.endsWith('.mcap'))).toHaveLength(2);
    const limp = runAxon(['eval', '--urdf', URDF, '--robot', 'my-biped', '--policy', P, '--episodes', '2', '--duration', '1.5', '--kp', '0', '--kd', '0', '--json']);
    expect(limp.code, limp.stderr).toBe(0);
    expect(summary(limp)).toMatchObject({ robot: 'my-biped', episodes: 2, success_rate: 0 });
  });

  it('eval --mjcf: an MJCF model in MuJoCo, the summary says so', () => {
    const m = writeMjcfRobot(join(dir, 'mj'));
    const policy = zeroPositionPolicy(m.joints);
    const r = runAxon(['eval', '--mjcf', m.file, '--policy', policy, '--physics-hz', '200', '--episodes', '2', '--duration', '0.5', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(summary(r)).toMatchObject({ robot: 'mjbot', episodes: 2, physics: 'mujoco', mean_steps: 25 });
  });

  // As `sim --urdf --record` keeps it (tests/e2e/replayUrdf.test.ts): before, an eval episode's MCAP had no drawing (replay --view: "no drawing model recorded", panels only, unless --urdf) and the dataset's source read "axon eval --robot <label>".
  describe('a recorded episode of a URDF robot, and its dataset', () => {
    // A vendor file as a Windows checkout has it: CRLF line ends, in a folder with a space; not a shipped robot's name.
    const folder = join(dir, 'my robot');
    const urdf = join(folder, 'biped_v2.urdf');
    const rec = join(dir, 'rec-drawn'), ds = join(dir, 'ds-drawn');
    let file = '';
    beforeAll(() => {
      mkdirSync(folder, { recursive: true });
      writeFileSync(urdf, readFileSync(URDF, 'utf8').replace(/\r?\n/g, '\r\n'));
      const r = runAxon(['eval', '--urdf', urdf, '--policy', P, '--episodes', '1', '--duration', '0.5', '--json', '--record', rec, '--dataset', ds]);
      expect(r.code, r.stderr).toBe(0);
      [file] = mcaps(rec);
    }, 120_000);

    it('keeps the URDF it was drawn with: absolute path, sha256 of its bytes, set-up', async () => {
      const bytes = readFileSync(urdf);
      expect((await readRecording(file)).run).toMatchObject({
        command: 'eval',
        robot: 'biped_v2',
        physics: 'cannon',
        urdf,
        drawing: { schema: 'axon.drawing/1', urdf, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength, fixed_base: false, package_paths: [] },
      });
    });

    it('replay --view draws it without --urdf (no "panels only")', () => {
      const replay = runAxon(['replay', file, '--view', '--view-port', '0', '--speed', '100', '--once']);
      expect(replay.code, replay.stderr).toBe(0);
      expect(replay.stderr).not.toContain('panels only');
    });

    it("the dataset's provenance source names the robot file, quoted for a shell", () => {
      const info = JSON.parse(readFileSync(join(ds, 'meta/info.json'), 'utf8')) as { axon: { source: string; sessions: { source: string }[] } };
      expect(info.axon.source).toBe(`axon eval --urdf '${urdf}' --seed 1`);
      expect(info.axon.sessions[0].source).toBe(info.axon.source);
    });

    it('sim --urdf --dataset names the file the same way', () => {
      const simDs = join(dir, 'ds-sim');
      const r = runAxon(['sim', '--urdf', urdf, '--policy', P, '--duration', '0.3', '--fast', '--json', '--dataset', simDs]);
      expect(r.code, r.stderr).toBe(0);
      const info = JSON.parse(readFileSync(join(simDs, 'meta/info.json'), 'utf8')) as { axon: { source: string } };
      expect(info.axon.source).toBe(`axon sim --urdf '${urdf}'`);
    });
  });

  it('eval --mjcf --record: each episode names the MJCF by absolute path, as sim --mjcf --record does', async () => {
    const m = writeMjcfRobot(join(dir, 'mj-rec'));
    const rec = join(dir, 'rec-mj');
    const r = runAxon(['eval', '--mjcf', m.file, '--robot', 'mine', '--policy', zeroPositionPolicy(m.joints), '--physics-hz', '200', '--episodes', '1', '--duration', '0.2', '--json', '--record', rec]);
    expect(r.code, r.stderr).toBe(0);
    const [file] = mcaps(rec);
    expect((await readRecording(file)).run).toMatchObject({ command: 'eval', robot: 'mine', physics: 'mujoco', mjcf: resolve(m.file) });
  });

  it('refusals name the flag and the way to do it (exit 2, before any work)', () => {
    expectUsage(runAxon(['eval', '--robot', URDF, '--policy', P, '--episodes', '1']), `--robot: unknown robot "${URDF}"`, 'your own robot as --urdf FILE or --mjcf FILE');
    expectUsage(runAxon(['eval', '--policy', P, '--episodes', '1']), '--robot: is required', '--urdf FILE / --mjcf FILE');
    expectUsage(runAxon(['eval', '--urdf', URDF, '--policy', P, '--episodes', '2', '--workers', '2']), '--workers: is not available with --urdf yet', 'a local eval');
    expectUsage(runAxon(['eval', '--urdf', URDF, '--policy', P, '--episodes', '1', '--randomize']), '--randomize:', 'no randomisation yet');
    expectUsage(runAxon(['eval', '--robot', 'humanoid', '--policy', P, '--episodes', '1', '--armature', '0.01']), '--armature', '--urdf FILE');
  });
});
