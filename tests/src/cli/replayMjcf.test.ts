/**
 * `axon replay --view` of an MJCF run (src/cli/replayDrawing.ts): the recorded MJCF is drawn in
 * MuJoCo before a shipped robot of the same name is considered, and whatever engine the bridge
 * server ran (a real robot's server serving an MJCF names none); `replay --mjcf FILE` draws a
 * recording with that file as `--urdf FILE` does, checked against the served MJCF's sha256. The
 * model is the menagerie-style Allegro hand (tests/helpers/menagerieMjcf.ts: a scene that includes
 * the hand, classes, its joints in MuJoCo's order).
 */
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RobotSpec } from '../../../src/core/robot.ts';
import { replayRobot, type ReplayRobot } from '../../../src/cli/replayDrawing.ts';
import { servedModelOf, type Recording } from '../../../src/record/index.ts';
import { loadDrawingMjcf, refuseServedMjcfJoints } from '../../../src/cli/bridgeDrawing.ts';
import { writeMenagerieHand } from '../../helpers/menagerieMjcf.ts';
import { mjcfDigest } from '../../../sim/mujoco/mjcfDigest.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-replay-mjcf-'));
const open: ReplayRobot[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});

const joint = { type: 'revolute' as const, lower: -1, upper: 1, velocityLimit: 1, effortLimit: 1, defaultPosition: 0, kp: 1, kd: 0.1 };
const specOf = (name: string, joints = ['ffj0', 'ffj1', 'thj0', 'thj1']): RobotSpec => ({ name, joints: joints.map((n) => ({ ...joint, name: n })), sensors: { imu: false, contacts: [] }, controlModes: ['position'] });
const rec = (run: Record<string, unknown>): Recording => ({ run, ticks: [], file: join(dir, 'x.mcap') }) as unknown as Recording;
const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** The hello's robotFile for `file` served as an MJCF (its sha256 over the scene and the hand it includes), as a recording keeps it. */
function servedMjcf(file: string) {
  const d = mjcfDigest(file);
  return servedModelOf({ format: 'mjcf', name: 'scene_right.xml', sha256: d.sha256, bytes: d.bytes, fixedBase: true, basePosition: [0, 0, 0], baseOrientation: [0, 0, 0, 1] });
}

async function drawn(r: Recording, spec: RobotSpec, o: { urdf?: string; mjcf?: string } = {}) {
  const lines: string[] = [];
  const robot = await replayRobot(r, spec, spec.name, { ...o, say: (l) => lines.push(l) });
  open.push(robot);
  return { robot, lines };
}

describe('replay --view of an MJCF run', () => {
  it('a run whose robot bears a shipped robot\'s name ("arm", "cartpole") is drawn from its MJCF, not refused as the shipped robot', async () => {
    const hand = writeMenagerieHand(mkdtempSync(join(dir, 'shipped-'))).file;
    for (const name of ['arm', 'cartpole']) {
      const { robot, lines } = await drawn(rec({ command: 'sim', robot: name, physics: 'mujoco', mjcf: hand }), specOf(name));
      expect(lines).toEqual([]);
      expect(robot.model?.links.length).toBeGreaterThan(1);
    }
  });

  it('a bridged --mjcf run is drawn whatever the server\'s engine (none: a real robot\'s server), checked against served_model', async () => {
    const hand = writeMenagerieHand(mkdtempSync(join(dir, 'engine-'))).file;
    for (const physics of ['mujoco', 'cannon', undefined]) {
      const run = { command: 'sim', robot: 'allegro_right', bridge: 'ws://h:1', ...(physics ? { physics } : {}), served_model: servedMjcf(hand), mjcf: hand };
      const { robot, lines } = await drawn(rec(run), specOf('allegro_right'));
      expect(lines).toEqual([]);
      expect(robot.model?.links.length).toBeGreaterThan(1);
    }
  });

  it('a recorded MJCF that is gone is named with the flag that draws it', async () => {
    const gone = join(dir, 'gone', 'scene_right.xml');
    const { robot, lines } = await drawn(rec({ command: 'sim', robot: 'arm', physics: 'mujoco', mjcf: gone }), specOf('arm'));
    expect(robot.model).toBeUndefined();
    expect(lines).toEqual([`axon replay: robot "arm": its MJCF ${gone} is not here; give the file with --mjcf FILE: panels only`]);
  });
});

describe('replay --mjcf FILE', () => {
  it('draws a bridged recording that names no file of its own, checked against the served MJCF; another revision is drawn after one warning', async () => {
    const served = writeMenagerieHand(mkdtempSync(join(dir, 'served-'))).file;
    const run = { command: 'sim', robot: 'allegro_right', bridge: 'ws://h:1', served_model: servedMjcf(served) };
    const before = await drawn(rec(run), specOf('allegro_right'));
    expect(before.robot.model).toBeUndefined();
    expect(before.lines[0]).toContain('give your copy of that file with --mjcf FILE: panels only');

    const mine = writeMenagerieHand(mkdtempSync(join(dir, 'mine-'))).file;
    const same = await drawn(rec(run), specOf('allegro_right'), { mjcf: mine });
    expect(same.lines).toEqual([]);
    expect(same.robot.model?.links.length).toBeGreaterThan(1);
    // Posed: a recorded joint position moves a body.
    const pos = new Float64Array(3), quat = new Float64Array(4);
    const link = same.robot.model!.links.at(-1)!.name;
    same.robot.showPose([0, 0, 0, 0]);
    same.robot.linkPose!(link, pos, quat);
    const at0 = Array.from(quat);
    same.robot.showPose([0.5, 0.5, 0.5, 0.5]);
    same.robot.linkPose!(link, pos, quat);
    expect(Array.from(quat)).not.toEqual(at0);

    appendFileSync(mine, '<!-- revised -->\n');
    const other = await drawn(rec(run), specOf('allegro_right'), { mjcf: mine });
    expect(other.robot.model?.links.length).toBeGreaterThan(1);
    expect(other.lines).toEqual([
      `axon replay: warning: --mjcf ${mine} is not the file the server served, scene_right.xml (MJCF, sha256 ${mjcfDigest(served).sha256.slice(0, 12)}…, ${mjcfDigest(served).bytes} bytes): this one is sha256 ${mjcfDigest(mine).sha256.slice(0, 12)}…, ${mjcfDigest(mine).bytes} bytes: drawn anyway, the drawing may not match the robot`,
    ]);
  });

  it('wins over the recorded file, and is refused (REPLAY_MODEL) when it is not here or its joints are not the recorded ones', async () => {
    const hand = writeMenagerieHand(mkdtempSync(join(dir, 'refused-'))).file;
    const r = rec({ command: 'sim', robot: 'arm', physics: 'mujoco', mjcf: join(dir, 'gone.xml') });
    const { robot, lines } = await drawn(r, specOf('arm'), { mjcf: hand });
    expect(lines).toEqual([]);
    expect(robot.model?.links.length).toBeGreaterThan(1);
    const missing = join(dir, 'missing.xml');
    await expect(drawn(r, specOf('arm'), { mjcf: missing })).rejects.toMatchObject({ code: 'REPLAY_MODEL', where: `--mjcf ${missing}`, message: expect.stringContaining('is not here') });
    await expect(drawn(r, specOf('arm', ['ffj0', 'ffj1', 'thj0', 'wrist']), { mjcf: hand })).rejects.toMatchObject({ code: 'REPLAY_MODEL', where: `--mjcf ${hand}` });
  });
});

describe('an MJCF is posed by joint name, as a URDF is', () => {
  it('a recording (or a served robot) listing the MJCF\'s joints in another order is drawn, each joint where its name says; another set is refused', async () => {
    const hand = writeMenagerieHand(mkdtempSync(join(dir, 'order-'))).file;
    const inOrder = await drawn(rec({ command: 'sim', robot: 'allegro_right', physics: 'mujoco', mjcf: hand }), specOf('allegro_right'));
    const shuffled = await drawn(rec({ command: 'sim', robot: 'allegro_right', physics: 'mujoco', mjcf: hand }), specOf('allegro_right', ['thj1', 'ffj0', 'thj0', 'ffj1']));
    expect(shuffled.lines).toEqual([]);
    // ffj0 0.3, ffj1 0.6, thj0 0.9, thj1 1.2: the same pose in either order.
    inOrder.robot.showPose([0.3, 0.6, 0.9, 1.2]);
    shuffled.robot.showPose([1.2, 0.3, 0.9, 0.6]);
    const a = new Float64Array(3), qa = new Float64Array(4), b = new Float64Array(3), qb = new Float64Array(4);
    let moved = 0;
    for (const l of inOrder.robot.model!.links) {
      inOrder.robot.linkPose!(l.name, a, qa);
      shuffled.robot.linkPose!(l.name, b, qb);
      expect(Array.from(b)).toEqual(Array.from(a).map((x) => expect.closeTo(x, 9)));
      expect(Array.from(qb)).toEqual(Array.from(qa).map((x) => expect.closeTo(x, 9)));
      if (Math.abs(qa[3]) < 0.999) moved++;
    }
    expect(moved).toBeGreaterThan(1);

    // The live bridge client's check (acceptHello) takes the same order, and refuses another set.
    const m = await loadDrawingMjcf(hand);
    try {
      expect(() => refuseServedMjcfJoints(m, specOf('allegro_right', ['thj1', 'ffj0', 'thj0', 'ffj1']))).not.toThrow();
      expect(() => refuseServedMjcfJoints(m, specOf('allegro_right', ['thj1', 'ffj0', 'thj0', 'wrist']))).toThrow(expect.objectContaining({ code: 'BRIDGE_DRAWING' }));
      expect(() => refuseServedMjcfJoints(m, specOf('allegro_right', ['thj1', 'ffj0', 'thj0', 'ffj1', 'ffj1']))).toThrow(expect.objectContaining({ code: 'BRIDGE_DRAWING' }));
    } finally {
      m.drawing.dispose();
    }
  });
});
