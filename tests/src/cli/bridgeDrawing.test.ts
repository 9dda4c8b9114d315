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
import { bridgeDrawing, loadDrawingMjcf, loadDrawingUrdf, watchServedFile } from '../../../src/cli/bridgeDrawing.ts';
import { simCommand } from '../../../src/cli/commands/sim.ts';
import { openServedRobot } from '../../../src/cli/bridgeRobot.ts';
import { writeMenagerieHand } from '../../helpers/menagerieMjcf.ts';
import { mjcfDigest } from '../../../sim/mujoco/mjcfDigest.ts';
import { replayRobot } from '../../../src/cli/replayDrawing.ts';
import { drawingMeta, fileDigest, readRecording, recordedSpec, servedModelOf, type Recording, type ServedModel } from '../../../src/record/index.ts';
import { pageKinematics } from '../../../src/viewer/index.ts';
import { Kinematics } from '../../../src/viewer/page/kinematics.js';
import { helloProxy } from '../../hardware/bridge/helloProxy.ts';
import { waitUntil } from '../../hardware/bridge/helpers.ts';
import { copyMeshBot, serveMeshBot } from '../../hardware/bridge/servedMeshBot.ts';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** The served mesh_bot, a client observing it with frames flowing, and the one-line notes collected; `rewrite` changes the hello on the way (helloProxy). */
async function connected(o: { robotFile?: null } = {}, rewrite?: Parameters<typeof helloProxy>[1]) {
  const s = await serveMeshBot(open, o);
  const proxy = rewrite ? await helloProxy(s.server.url, rewrite) : undefined;
  if (proxy) open.push(proxy);
  const client = await connectBridgeRobot(proxy?.url ?? s.server.url, { role: 'observe' });
  open.push(client);
  const seq = client.stateSeq;
  await waitUntil(() => client.stateSeq > seq + 5, 'state frames');
  const lines: string[] = [];
  return { ...s, client, lines, say: (l: string) => lines.push(l) };
}

const drawingOf = (c: { client: BridgeRobot; say: (l: string) => void }, urdf?: string, packagePaths: string[] = [], derives = false) => {
  const d = bridgeDrawing({
    spec: c.client.spec,
    robotFile: c.client.robotFile,
    ...(c.client.robotFileProblem !== undefined ? { robotFileProblem: c.client.robotFileProblem } : {}),
    sim: c.client.hello.sim,
    ...(urdf ? { urdf: loadDrawingUrdf(urdf, packagePaths) } : {}),
    posedByBase: c.client.hello.frame.base,
    say: c.say,
    derives,
  });
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

  it('links a policy reads derived through the file: a different file is refused (LINK_CHAIN_FILE) naming both sha256; a CRLF copy is the same file; a server naming none says the derivation is unchecked', async () => {
    const c = await connected();
    const mine = copyMeshBot('axon-client-mesh-bot-derive-');
    appendFileSync(mine.urdf, '<!-- rev B -->\n');
    expect(() => drawingOf(c, mine.urdf, [mine.root], true)).toThrow(expect.objectContaining({ code: 'LINK_CHAIN_FILE' }));
    expect(() => drawingOf(c, mine.urdf, [mine.root], true)).toThrow(`--urdf ${mine.urdf}: this copy is sha256 ${sha256(mine.urdf)} (${readFileSync(mine.urdf).byteLength} bytes), not the file the server served, mesh_bot.urdf sha256 ${sha256(c.urdf)} (${readFileSync(c.urdf).byteLength} bytes)`);
    expect(c.lines).toEqual([]);
    const crlf = copyMeshBot('axon-client-mesh-bot-derive-crlf-');
    writeFileSync(crlf.urdf, readFileSync(crlf.urdf, 'latin1').replace(/\n/g, '\r\n'), 'latin1');
    drawingOf(c, crlf.urdf, [crlf.root], true);
    expect(c.lines).toEqual([`axon sim: warning: --urdf ${crlf.urdf} is the same file as the served mesh_bot.urdf but for line endings`]);
    const old = await connected({ robotFile: null });
    drawingOf(old, mine.urdf, [mine.root], true);
    expect(old.lines).toEqual([`axon sim: note: the server names no file it serves (a server from before hello.robotFile named its file, or one whose file name the hello cannot carry): --urdf ${mine.urdf} is drawn unchecked, and the links the policy's IMU terms are read in are derived through it unchecked`]);
  });

  it('a server from before hello.robotFile: --urdf FILE is drawn unchecked, said in one line; nothing served is recorded', async () => {
    const c = await connected({ robotFile: null });
    expect(c.client.robotFile).toBeNull();
    const mine = copyMeshBot('axon-client-mesh-bot-old-');
    const d = drawingOf(c, mine.urdf, [mine.root]);
    expect(c.lines).toEqual([`axon sim: note: the server names no file it serves (a server from before hello.robotFile named its file, or one whose file name the hello cannot carry): --urdf ${mine.urdf} is drawn unchecked`]);
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
    expect(old.lines).toEqual(['axon sim: robot "mesh_bot": the server names no file it serves (a server from before hello.robotFile named its file, or one whose file name the hello cannot carry): give its URDF with --urdf FILE, or its MJCF with --mjcf FILE, to draw it: panels only']);
  });

  it('a real robot\'s server names no file: the line says so, not that the server is old', () => {
    const lines: string[] = [];
    const spec = { name: 'arm6', joints: [], sensors: { imu: false, contacts: [] }, controlModes: ['position' as const] };
    const d = bridgeDrawing({ spec, robotFile: null, sim: false, posedByBase: false, say: (l) => lines.push(l) });
    expect(d.viewRobot().model).toBeUndefined();
    expect(lines).toEqual(['axon sim: robot "arm6": the server names no file it serves (it serves a real robot): give its URDF with --urdf FILE, or its MJCF with --mjcf FILE, to draw it: panels only']);
  });

  it('a robot name with a terminal escape (ESC, CSI) is printed escaped, never raw', async () => {
    const c = await connected({ robotFile: null }, (h) => ({ ...h, robot: { ...h.robot, name: '\u001b[2J\u001b[31mmesh_bot\u009b0m' } }));
    expect(c.client.spec.name).toBe('\u001b[2J\u001b[31mmesh_bot\u009b0m');
    drawingOf(c).viewRobot();
    expect(c.lines).toEqual(['axon sim: robot "\\u001b[2J\\u001b[31mmesh_bot\\u009b0m": the server names no file it serves (a server from before hello.robotFile named its file, or one whose file name the hello cannot carry): give its URDF with --urdf FILE, or its MJCF with --mjcf FILE, to draw it: panels only']);
    expect(c.lines.join('')).not.toMatch(/[\u001b\u009b]/);
  });

  it('a malformed robotFile (a path) costs no link: one note says why, and it is taken as no file', async () => {
    const c = await connected({}, (h) => ({ ...h, robotFile: { ...h.robotFile, name: '/home/alice/mesh_bot.urdf' } }));
    expect(c.client.robotFile).toBeNull();
    const d = drawingOf(c);
    expect(d.run).toEqual({});
    expect(d.viewRobot().model).toBeUndefined();
    expect(c.lines).toEqual([
      expect.stringMatching(/^axon sim: note: ws:\/\/127\.0\.0\.1:\d+ hello\.robotFile\.name: cannot be used \("\/home\/alice\/mesh_bot\.urdf"\) \(expected .*\): taken as naming no file \(it only draws the robot\)$/),
      'axon sim: robot "mesh_bot": the server names no file it serves (its hello.robotFile cannot be used): give its URDF with --urdf FILE, or its MJCF with --mjcf FILE, to draw it: panels only',
    ]);
  });

  it('a CRLF copy of the served LF file: one short line, the same file but for line endings', async () => {
    const c = await connected();
    const mine = copyMeshBot('axon-client-mesh-bot-crlf-');
    const lf = readFileSync(mine.urdf, 'latin1');
    expect(lf).not.toContain('\r');
    writeFileSync(mine.urdf, lf.replace(/\n/g, '\r\n'), 'latin1');
    drawingOf(c, mine.urdf, [mine.root]);
    expect(c.lines).toEqual([`axon sim: warning: --urdf ${mine.urdf} is the same file as the served mesh_bot.urdf but for line endings`]);
  });

  it('the bytes checked and recorded are the bytes parsed: a file saved again after it was read is not read again', async () => {
    const c = await connected();
    const mine = copyMeshBot('axon-client-mesh-bot-saved-');
    const u = loadDrawingUrdf(mine.urdf, [mine.root]);
    appendFileSync(mine.urdf, '<!-- saved again after it was read -->\n');
    const d = bridgeDrawing({ spec: c.client.spec, robotFile: c.client.robotFile, sim: true, urdf: u, posedByBase: true, say: c.say });
    open.push(d);
    expect(c.lines).toEqual([]);
    expect(d.run.drawing).toMatchObject({ sha256: sha256(c.urdf), bytes: readFileSync(c.urdf).byteLength });
  });

  it('a server restarted on another revision of the file: after the reconnect, one warning line says what is drawn and recorded is of the first', async () => {
    const c = await connected();
    const port = Number(new URL(c.server.url).port);
    const reconnecting = await connectBridgeRobot(c.server.url, { role: 'observe', reconnect: { initialS: 0.05, maxS: 0.2 } });
    open.push(reconnecting);
    const lines: string[] = [];
    const watch = watchServedFile(reconnecting, (l) => lines.push(l));
    open.push({ close: () => watch.unsubscribe() });
    await c.server.close();
    const second = await serveMeshBot(open, { port }, (urdf) => appendFileSync(urdf, '<!-- rev B -->\n'));
    await waitUntil(() => reconnecting.counts.reconnects >= 1 && reconnecting.connected, 'the reconnect', 15_000);
    const size = readFileSync(c.urdf).byteLength;
    expect(lines).toEqual([
      `axon sim: warning: after a reconnect the server serves robot "mesh_bot" from mesh_bot.urdf (sha256 ${sha256(second.urdf).slice(0, 12)}…, ${size + 15} bytes), not from mesh_bot.urdf (sha256 ${sha256(c.urdf).slice(0, 12)}…, ${size} bytes) as when the run began: what is drawn and recorded (served_model) is of the first`,
    ]);
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

  it('--urdf FILE a CRLF copy of the served LF file: drawn after one short line, the same file but for line endings', async () => {
    const { rec, urdf } = await bridged();
    const crlf = join(mkdtempSync(join(tmpdir(), 'axon-replay-crlf-')), 'replay_bot.urdf');
    const lf = readFileSync(urdf, 'latin1');
    expect(lf).not.toContain('\r');
    writeFileSync(crlf, lf.replace(/\n/g, '\r\n'), 'latin1');
    const r = await drawn(rec, crlf);
    expect(r.robot.model?.name).toBe('replay_bot');
    expect(r.lines).toEqual([`axon replay: warning: --urdf ${crlf} is the same file as the served replay_bot.urdf but for line endings`]);
  });

  it('a served_model that is not one is named (RECORD_READ), with the panels alone when there is nothing else to draw', async () => {
    const { rec } = await bridged();
    const { robot, lines } = await drawn({ ...rec, run: { ...rec.run, served_model: { name: 'replay_bot.urdf' } } });
    expect(robot.model).toBeUndefined();
    expect(lines).toEqual([expect.stringMatching(/metadata "axon\.run" served_model: has no file name or sha256 .*: panels only$/)]);
  });

  it('a served_model that is not one costs only its check: the recorded drawing is drawn, and --urdf too, each after one note', async () => {
    const { rec, urdf } = await bridged();
    const bad = { ...rec, run: { ...rec.run, ...drawingMeta(urdf, { fixedBase: false }), served_model: { name: 'replay_bot.urdf' } } };
    const kept = await drawn(bad);
    expect(kept.robot.model?.name).toBe('replay_bot');
    expect(kept.lines).toEqual([expect.stringMatching(/^axon replay: note: .* served_model: has no file name or sha256 .*: its URDF .*replay_bot\.urdf is drawn unchecked$/)]);
    const given = await drawn(bad, urdf);
    expect(given.robot.model?.name).toBe('replay_bot');
    expect(given.lines).toEqual([`axon replay: note: ${rec.file} metadata "axon.run" served_model: has no file name or sha256 (expected { format, name, sha256, bytes, fixed_base, base_position, base_orientation }): --urdf ${urdf} is drawn unchecked`]);
  });
});

describe('the MJCF path says what it is about', () => {
  const joint = { type: 'revolute' as const, lower: -1, upper: 1, velocityLimit: 1, effortLimit: 1, defaultPosition: 0, kp: 1, kd: 0.1 };
  const spec = { name: 'allegro_right', joints: ['ffj0', 'ffj1', 'thj0', 'thj1'].map((name) => ({ ...joint, name })), sensors: { imu: false, contacts: [] }, controlModes: ['position' as const] };

  it('--mjcf FILE against a simulated robot\'s server naming no file: the note does not claim the server is old, nor that it names no URDF', async () => {
    const hand = writeMenagerieHand(mkdtempSync(join(tmpdir(), 'axon-bridge-mjcf-note-'))).file;
    const lines: string[] = [];
    const d = bridgeDrawing({ spec, robotFile: null, sim: true, mjcf: await loadDrawingMjcf(hand), posedByBase: true, say: (l) => lines.push(l) });
    open.push(d);
    expect(lines).toEqual([`axon sim: note: the server names no file it serves (a server from before hello.robotFile named its file, or one whose file name the hello cannot carry): --mjcf ${hand} is drawn unchecked`]);
  });

  it('--mjcf FILE that is not there is refused as an MJCF, not as a URDF', async () => {
    const missing = join(tmpdir(), 'axon-no-such-dir', 'scene.xml');
    await expect(loadDrawingMjcf(missing)).rejects.toMatchObject({ code: 'MUJOCO_MJCF_FILE', where: missing, expected: 'a readable MJCF model file' });
  });

  it('the sha256 checked is of the bytes MuJoCo compiled, on the client and on the server (no second read)', async () => {
    const hand = writeMenagerieHand(mkdtempSync(join(tmpdir(), 'axon-bridge-mjcf-bytes-'))).file;
    const m = await loadDrawingMjcf(hand);
    open.push({ close: () => m.drawing.dispose() });
    expect(m.bytes).toBe(m.drawing.source);
    // The scene and the hand it includes (sim/mujoco/mjcfDigest.ts), as on disk.
    expect(m.bytes.sha256).toBe(mjcfDigest(hand).sha256);
    const served = await openServedRobot({ mjcf: hand, physics: 'mujoco', seed: 1, randomize: false, urdfPackagePath: [], strict: false }, 0.002);
    open.push(served.robot);
    expect(served.robotFile?.sha256).toBe((served.robot as unknown as { mjcfDigest: { sha256: string } }).mjcfDigest.sha256);
    expect(served.robotFile?.sha256).toBe(mjcfDigest(hand).sha256);
  });

  it('a set-up flag with --robot ws:// --mjcf points at axon bridge --mjcf, not --urdf', async () => {
    const e = await simCommand().exitOverride().parseAsync(['--robot', 'ws://127.0.0.1:1', '--mjcf', 'scene.xml', '--kp', '3', '--view'], { from: 'user' }).then(() => undefined, (x: unknown) => x);
    expect(e).toMatchObject({ code: 'CLI_USAGE', where: '--kp' });
    expect((e as Error).message).toContain('axon bridge --mjcf FILE --kp');
  });
});
