/**
 * The sha256 a served MJCF is named by (hello.robotFile; sim/mujoco/mjcfDigest.ts,
 * hardware/PROTOCOL.md section 4) covers what MuJoCo compiled: the model file and every file it
 * `<include>`s, not the top file alone. The server's (`axon bridge --mjcf`, openServedRobot) and the
 * client's (`--mjcf FILE`, loadDrawingMjcf; `axon replay --mjcf FILE`) are the same function. The
 * fixture is written as vendors write them: a scene.xml including the robot from a subfolder,
 * which includes its actuators from its own folder (found there, not in the model's: MuJoCo's second
 * place to look), a CRLF robot file, joints in an order that is not alphabetical, a light link
 * (1e-5 kg·m²) and an unrelated `<include>` inside a comment.
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openServedRobot } from '../../src/cli/bridgeRobot.ts';
import { loadDrawingMjcf, type DrawingMjcf } from '../../src/cli/bridgeDrawing.ts';
import { replayRobot } from '../../src/cli/replayDrawing.ts';
import { servedFileProblem, servedModelOf, type Recording, type ServedModel } from '../../src/record/index.ts';
import type { RobotSpec } from '../../src/core/robot.ts';
import { mjcfDigest } from '../../sim/mujoco/mjcfDigest.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-mjcf-digest-'));
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const SCENE = `<mujoco model="two_link">
  <!-- an older layout: <include file="legacy/arm_v1.xml"/> -->
  <option timestep="0.002"/>
  <include file="robot/arm.xml"/>
</mujoco>
`;
const ARM = `<mujoco>\r
  <worldbody>\r
    <body name="upper" pos="0 0 0.5">\r
      <joint name="shoulder_pitch" type="hinge" axis="0 1 0" range="-1.5 1.5"/>\r
      <geom type="capsule" fromto="0 0 0 0 0 -0.2" size="0.02" mass="0.3"/>\r
      <body name="lower" pos="0 0 -0.2">\r
        <joint name="elbow" type="hinge" axis="0 1 0" range="-2 0"/>\r
        <inertial pos="0 0 -0.05" mass="0.01" diaginertia="1e-5 1e-5 1e-5"/>\r
      </body>\r
    </body>\r
  </worldbody>\r
  <include file="motors.xml"/>\r
</mujoco>\r
`;
const motors = (kp: number) => `<mujoco>
  <actuator>
    <position joint="elbow" kp="${kp}"/>
    <position joint="shoulder_pitch" kp="${kp}"/>
  </actuator>
</mujoco>
`;

/** scene.xml -> robot/arm.xml -> robot/motors.xml (found beside arm.xml), in a fresh folder. */
function writeModel(name: string, o: { kp?: number; lineEnds?: 'lf' | 'crlf'; noMotors?: boolean } = {}): string {
  const d = join(dir, name);
  mkdirSync(join(d, 'robot'), { recursive: true });
  // As the vendor ships it (the robot file CRLF, the rest LF), or every file checked out alike.
  const ends = (t: string) => (o.lineEnds === undefined ? t : o.lineEnds === 'lf' ? t.replace(/\r\n/g, '\n') : t.replace(/\r?\n/g, '\r\n'));
  writeFileSync(join(d, 'scene.xml'), ends(SCENE));
  writeFileSync(join(d, 'robot', 'arm.xml'), ends(ARM));
  if (!o.noMotors) writeFileSync(join(d, 'robot', 'motors.xml'), ends(motors(o.kp ?? 20)));
  return join(d, 'scene.xml');
}

/** The served model's hello.robotFile, as `axon bridge --mjcf FILE` names it. */
async function served(file: string): Promise<ServedModel> {
  const s = await openServedRobot({ mjcf: file, physics: 'mujoco', seed: 1, randomize: false, urdfPackagePath: [], strict: false }, 0.002);
  closers.push(() => s.robot.close());
  expect(s.robotFile).toBeDefined();
  return servedModelOf(s.robotFile!);
}

/** The client's `--mjcf FILE`, as `axon sim --robot ws://... --mjcf FILE` reads it. */
async function client(file: string): Promise<DrawingMjcf> {
  const m = await loadDrawingMjcf(file);
  closers.push(() => m.drawing.dispose());
  return m;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('a served MJCF is named by its model file and every file it includes', () => {
  it('two models whose top files are identical but whose included file differs do not match', async () => {
    const a = writeModel('kp20');
    const b = writeModel('kp35', { kp: 35 });
    expect(readFileSync(a)).toEqual(readFileSync(b));
    const s = await served(a);
    // Before: the sha256 of scene.xml alone, the same for both.
    expect(s.sha256).not.toBe(sha256(readFileSync(a)));
    const mine = await client(b);
    expect(mine.bytes.sha256).not.toBe(s.sha256);
    expect(servedFileProblem(s, mine.bytes, `--mjcf ${b}`, 'mjcf')).toMatch(new RegExp(`^--mjcf ${b} is not the file the server served, scene\\.xml \\(MJCF, sha256 ${s.sha256.slice(0, 12)}…, ${s.bytes} bytes\\): this one is sha256 ${mine.bytes.sha256.slice(0, 12)}…`));
  });

  it('an include chain of depth 2 matches itself: the server\'s, a copy in another folder, and the same copy read by a replay', async () => {
    const a = writeModel('served');
    const copy = writeModel('copy');
    const s = await served(a);
    const files = ['scene.xml', 'robot/arm.xml', 'robot/motors.xml'];
    // Each include named as its <include file> writes it (motors.xml, found beside arm.xml), not by its path on disk.
    const names = ['scene.xml', 'robot/arm.xml', 'motors.xml'];
    expect(mjcfDigest(a).files.map((f) => f.name)).toEqual(names);
    expect(s.bytes).toBe(files.reduce((n, f) => n + readFileSync(join(dir, 'served', f)).byteLength, 0));
    // The definition, written out: the top file's bytes, then NUL name NUL size NUL bytes for each include.
    const framed = Buffer.concat([readFileSync(a), ...files.slice(1).flatMap((f, i) => [Buffer.from(`\0${names[i + 1]}\0${readFileSync(join(dir, 'served', f)).byteLength}\0`), readFileSync(join(dir, 'served', f))])]);
    expect(s.sha256).toBe(sha256(framed));
    const mine = await client(copy);
    expect(mine.bytes.sha256).toBe(s.sha256);
    expect(servedFileProblem(s, mine.bytes, `--mjcf ${copy}`, 'mjcf')).toBeUndefined();
    // A replay of a run recorded from that server, drawn with --mjcf COPY: no warning.
    const lines: string[] = [];
    const r = await replayRobot(recordingOf(s), SPEC, 'two_link', { mjcf: copy, say: (l) => lines.push(l) });
    closers.push(() => r.close());
    expect(lines).toEqual([]);
    // A copy whose depth-2 include differs does not match.
    expect(servedFileProblem(s, (await client(writeModel('deep', { kp: 21 }))).bytes, '--mjcf deep', 'mjcf')).toContain('is not the file the server served');
    // A model served with LF line ends, and a copy checked out with CRLF in every file: the same but for line endings.
    const lf = await served(writeModel('lf', { lineEnds: 'lf' }));
    expect(servedFileProblem(lf, (await client(writeModel('crlf', { lineEnds: 'crlf' }))).bytes, '--mjcf crlf', 'mjcf')).toBe('--mjcf crlf is the same file as the served scene.xml but for line endings');
  });

  it('a copy missing an included file: MJCF_INCLUDE naming the include and the file that includes it, for the live client and a replay', async () => {
    const gone = writeModel('gone', { noMotors: true });
    const arm = join(dir, 'gone', 'robot', 'arm.xml');
    const want = { code: 'MJCF_INCLUDE', where: `${arm} <include file="motors.xml">` };
    expect(() => mjcfDigest(gone)).toThrow(expect.objectContaining(want));
    await expect(loadDrawingMjcf(gone)).rejects.toMatchObject(want);
    const s = await served(writeModel('served2'));
    await expect(replayRobot(recordingOf(s), SPEC, 'two_link', { mjcf: gone, say: () => {} })).rejects.toMatchObject(want);
  });

  it('an include found at neither path but by its name elsewhere in the model\'s folder (MuJoCo\'s third place) is compiled and covered, not refused', async () => {
    const odd = writeModel('third', { noMotors: true });
    writeFileSync(join(dir, 'third', 'robot', 'arm.xml'), ARM.replace('"motors.xml"', '"actuators/motors.xml"'));
    writeFileSync(join(dir, 'third', 'motors.xml'), motors(20));
    const m = await client(odd);
    expect(m.bytes.files.map((f) => f.name)).toEqual(['scene.xml', 'robot/arm.xml', 'actuators/motors.xml']);
    expect(m.drawing.joints).toEqual(['shoulder_pitch', 'elbow']);
  });

  it('a model file given through a symlink and a plain copy of its target\'s folder have one digest (review R3 F3)', async () => {
    // sym/robot.xml -> real/scene.xml: MuJoCo is given the link's folder, sym/, so the includes
    // are found in sym/real/ by the third place (the digest named them real/robot/arm.xml and
    // real/robot/motors.xml); a plain copy of real/ finds them beside its scene.xml.
    writeModel(join('sym', 'real'));
    const link = join(dir, 'sym', 'robot.xml');
    symlinkSync(join('real', 'scene.xml'), link);
    const plain = writeModel('real_copy');
    const viaLink = mjcfDigest(link);
    expect(viaLink.files.map((f) => f.name)).toEqual(['robot.xml', 'robot/arm.xml', 'motors.xml']);
    expect(viaLink.sha256).toBe(mjcfDigest(plain).sha256);
    // As the server compiles it (the bytes MuJoCo got), against the client's plain copy: no warning.
    const s = await served(link);
    expect(s.sha256).toBe(viaLink.sha256);
    const mine = await client(plain);
    expect(mine.drawing.joints).toEqual(['shoulder_pitch', 'elbow']);
    expect(servedFileProblem(s, mine.bytes, `--mjcf ${plain}`, 'mjcf')).toBeUndefined();
  });
});

const joint = { type: 'revolute' as const, lower: -1, upper: 1, velocityLimit: 1, effortLimit: 1, defaultPosition: 0, kp: 1, kd: 0.1 };
const SPEC: RobotSpec = { name: 'two_link', joints: ['shoulder_pitch', 'elbow'].map((n) => ({ ...joint, name: n })), sensors: { imu: false, contacts: [] }, controlModes: ['position'] };
const recordingOf = (s: ServedModel): Recording => ({ run: { command: 'sim', robot: 'two_link', bridge: 'ws://127.0.0.1:1', served_model: s }, ticks: [], file: join(dir, 'run.mcap') }) as unknown as Recording;
