/**
 * What a bridge client draws the served robot with (src/cli/bridgeDrawing.ts) and what its
 * recording keeps, against a maker's URDF served in this process on a free port
 * (tests/hardware/bridge/servedMeshBot.ts: package:// meshes, a binary STL headed "solid",
 * zero-inertia frame links); and what `axon replay --view` makes of a bridged recording's
 * `served_model` (src/cli/replayDrawing.ts).
 */
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectBridgeRobot, type BridgeRobot } from '../../../hardware/bridge/index.ts';
import { bridgeDrawing, servedModelOf } from '../../../src/cli/bridgeDrawing.ts';
import { replayRobot } from '../../../src/cli/replayDrawing.ts';
import { fileDigest, readRecording, recordedSpec, type Recording, type ServedModel } from '../../../src/record/index.ts';
import { pageKinematics } from '../../../src/viewer/index.ts';
import { Kinematics } from '../../../src/viewer/page/kinematics.js';
import { waitUntil } from '../../hardware/bridge/helpers.ts';
import { copyMeshBot, serveMeshBot } from '../../hardware/bridge/servedMeshBot.ts';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** The served mesh_bot, a client observing it with frames flowing, and the one-line notes collected. */
async function connected(o: { robotFile?: null } = {}) {
  const s = await serveMeshBot(open, o);
  const client = await connectBridgeRobot(s.server.url, { role: 'observe' });
  open.push(client);
  const seq = client.stateSeq;
  await waitUntil(() => client.stateSeq > seq + 5, 'state frames');
  const lines: string[] = [];
  return { ...s, client, lines, say: (l: string) => lines.push(l) };
}

const drawingOf = (c: { client: BridgeRobot; say: (l: string) => void }, urdf?: string, packagePaths: string[] = []) => {
  const d = bridgeDrawing({ spec: c.client.spec, robotFile: c.client.robotFile, ...(urdf ? { urdf } : {}), packagePaths, posedByBase: c.client.hello.frame.base, say: c.say });
  open.push(d);
  return d;
};

describe('a bridge client draws the served robot from its own copy of the file', () => {
  it('the same file (its sha256 is the hello\'s): drawn without a word, every link where the observed base and joints put it; the recording keeps both files', async () => {
    const c = await connected();
    const mine = copyMeshBot('axon-client-mesh-bot-');
    const d = drawingOf(c, mine.urdf, [mine.root]);
    expect(c.lines).toEqual([]);
    const robot = d.viewRobot();
    expect(robot.model?.name).toBe('mesh_bot');
    // Meshes found by package:// under the client's own package path: the binary STL headed "solid" among them.
    const chassis = robot.model!.links.find((l) => l.name === 'chassis')!;
    expect(chassis.visuals[0].geometry).toMatchObject({ kind: 'mesh', path: join(mine.root, 'mesh_bot_description/meshes/chassis.stl') });
    expect(robot.linkPose).toBeDefined();
    expect(robot.poseFrom).toBeDefined();
    const obs = c.client.observe();
    robot.poseFrom!(obs);
    // The page's own forward kinematics from the observed base and joints puts every link where the drawing does.
    const links = robot.model!.links.map((l) => l.name);
    expect(links).toEqual(expect.arrayContaining(['base_link', 'chassis', 'imu_link', 'camera_mount', 'arm', 'wheel']));
    const world = new Kinematics(pageKinematics(robot.model, robot.spec)!, links).solve(obs.base!.position, obs.base!.orientation, obs.jointPosition);
    const pos = new Float64Array(3), quat = new Float64Array(4);
    links.forEach((l, i) => {
      robot.linkPose!(l, pos, quat);
      const e = world[i].elements;
      expect(Math.hypot(e[12] - pos[0], e[13] - pos[1], e[14] - pos[2]), l).toBeLessThan(1e-5);
    });
    robot.linkPose!('base_link', pos, quat);
    expect(Array.from(pos)).toEqual(Array.from(obs.base!.position).map((x) => expect.closeTo(x, 5)));

    expect(d.run.served_model).toEqual({ format: 'urdf', name: 'mesh_bot.urdf', sha256: sha256(c.urdf), bytes: readFileSync(c.urdf).byteLength, fixed_base: false, base_position: [0, 0, 0], base_orientation: [0, 0, 0, 1] });
    expect(d.run.drawing).toMatchObject({ schema: 'axon.drawing/1', urdf: resolve(mine.urdf), sha256: sha256(c.urdf), fixed_base: false, package_paths: [resolve(mine.root)] });
    expect(d.run.urdf).toBe(resolve(mine.urdf));
  });

  it('a different file (a revision): one warning line naming both by sha256 and size, and drawn anyway', async () => {
    const c = await connected();
    const mine = copyMeshBot('axon-client-mesh-bot-rev-');
    appendFileSync(mine.urdf, '<!-- rev B: a visual changed -->\n');
    const d = drawingOf(c, mine.urdf, [mine.root]);
    const served = sha256(c.urdf).slice(0, 12);
    const ours = sha256(mine.urdf).slice(0, 12);
    const size = readFileSync(c.urdf).byteLength;
    expect(c.lines).toEqual([
      `axon sim: warning: --urdf ${mine.urdf} is not the file the server served, mesh_bot.urdf (sha256 ${served}…, ${size} bytes): this one is sha256 ${ours}…, ${size + 33} bytes: drawn anyway, the drawing may not match the robot`,
    ]);
    expect(d.viewRobot().model?.name).toBe('mesh_bot');
    // The recording keeps what was drawn and what was served, so that a replay says it again.
    expect((d.run.drawing as { sha256: string }).sha256).toBe(sha256(mine.urdf));
    expect((d.run.served_model as ServedModel).sha256).toBe(sha256(c.urdf));
  });

  it('a server from before hello.robotFile: --urdf FILE is drawn unchecked, said in one line; nothing served is recorded', async () => {
    const c = await connected({ robotFile: null });
    expect(c.client.robotFile).toBeNull();
    const mine = copyMeshBot('axon-client-mesh-bot-old-');
    const d = drawingOf(c, mine.urdf, [mine.root]);
    expect(c.lines).toEqual([`axon sim: note: the server names no URDF it serves (a server from before hello.robotFile, or an MJCF): --urdf ${mine.urdf} is drawn unchecked`]);
    expect(d.viewRobot().model?.name).toBe('mesh_bot');
    expect(d.run.served_model).toBeUndefined();
    expect(d.run.drawing).toMatchObject({ urdf: resolve(mine.urdf), fixed_base: false });
  });

  it('without --urdf: nothing drawn, and one line says which file would draw it (or that the server names none)', async () => {
    const c = await connected();
    const d = drawingOf(c);
    expect(d.viewRobot().model).toBeUndefined();
    expect(c.lines).toEqual([`axon sim: robot "mesh_bot": the server serves it from mesh_bot.urdf (sha256 ${sha256(c.urdf).slice(0, 12)}…, ${readFileSync(c.urdf).byteLength} bytes): give your copy of that file with --urdf FILE to draw it: panels only`]);
    expect(d.run).toEqual({ served_model: servedModelOf(c.client.robotFile!) });

    const old = await connected({ robotFile: null });
    expect(drawingOf(old).viewRobot().model).toBeUndefined();
    expect(old.lines).toEqual(['axon sim: robot "mesh_bot": the server names no URDF it serves (a server from before hello.robotFile, or an MJCF): give its URDF with --urdf FILE to draw it: panels only']);
  });

  it('a URDF whose moving joints are not the served robot\'s is refused naming the joint (BRIDGE_DRAWING)', async () => {
    const c = await connected();
    const mine = copyMeshBot('axon-client-mesh-bot-renamed-');
    writeFileSync(mine.urdf, readFileSync(mine.urdf, 'utf8').replaceAll('"arm_joint"', '"arm_pitch"'));
    expect(() => drawingOf(c, mine.urdf, [mine.root])).toThrow(expect.objectContaining({ code: 'BRIDGE_DRAWING', where: `--urdf ${mine.urdf}`, message: expect.stringContaining('has no moving joint "arm_joint" of the served robot') }));
  });
});

describe('axon replay --view of a recording made over the bridge (served_model)', () => {
  const FIXTURE_URDF = 'tests/fixtures/urdf/replay_bot_description/urdf/replay_bot.urdf';
  // A recording's ticks and spec, with the run facts a bridged run writes: the served file by name and sha256, no path.
  const bridged = async (): Promise<{ rec: Recording; urdf: string; served: ServedModel }> => {
    const old = await readRecording('tests/fixtures/recordings/replay_bot-before-drawing-meta.mcap');
    const urdf = join(mkdtempSync(join(tmpdir(), 'axon-replay-served-')), 'replay_bot.urdf');
    copyFileSync(FIXTURE_URDF, urdf);
    const served: ServedModel = { format: 'urdf', name: 'replay_bot.urdf', ...fileDigest(urdf), fixed_base: false, base_position: [0, 0, 0], base_orientation: [0, 0, 0, 1] };
    return { rec: { ...old, run: { ...old.run, robot: 'ws://127.0.0.1:8765', bridge: 'ws://127.0.0.1:8765', served_model: served } }, urdf, served };
  };
  const drawn = async (rec: Recording, urdf?: string) => {
    const lines: string[] = [];
    const robot = await replayRobot(rec, recordedSpec(rec), String(rec.run.robot), { ...(urdf ? { urdf } : {}), say: (l) => lines.push(l) });
    open.push(robot);
    return { robot, lines: lines.filter((l) => !l.includes('URDF_VISUAL_MESH_MISSING')) };
  };

  it('without --urdf: one line names the served file by name and sha256 (panels only)', async () => {
    const { rec, served } = await bridged();
    const { robot, lines } = await drawn(rec);
    expect(robot.model).toBeUndefined();
    expect(lines).toEqual([`axon replay: robot "ws://127.0.0.1:8765": it was served over the bridge from replay_bot.urdf (sha256 ${served.sha256.slice(0, 12)}…, ${served.bytes} bytes): give your copy of that file with --urdf FILE: panels only`]);
  });

  it('--urdf FILE: the served file is drawn without a word; another is drawn with one warning line', async () => {
    const { rec, urdf, served } = await bridged();
    const same = await drawn(rec, urdf);
    expect(same.robot.model?.name).toBe('replay_bot');
    expect(same.lines).toEqual([]);
    appendFileSync(urdf, '<!-- edited -->\n');
    const other = await drawn(rec, urdf);
    expect(other.robot.model?.name).toBe('replay_bot');
    expect(other.lines).toEqual([
      `axon replay: warning: --urdf ${urdf} is not the file the server served, replay_bot.urdf (sha256 ${served.sha256.slice(0, 12)}…, ${served.bytes} bytes): this one is sha256 ${sha256(urdf).slice(0, 12)}…, ${served.bytes + 16} bytes: drawn anyway, the drawing may not match the robot`,
    ]);
  });

  it('a served_model that is not one is named (RECORD_READ), with the panels alone', async () => {
    const { rec } = await bridged();
    const { robot, lines } = await drawn({ ...rec, run: { ...rec.run, served_model: { name: 'replay_bot.urdf' } } });
    expect(robot.model).toBeUndefined();
    expect(lines).toEqual([expect.stringContaining('metadata "axon.run" served_model: has no file name or sha256')]);
  });
});
