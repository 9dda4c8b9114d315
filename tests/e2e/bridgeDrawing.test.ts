/**
 * `axon sim --robot ws://... --view --record` against a maker's URDF served in this process
 * (tests/hardware/bridge/servedMeshBot.ts: package:// meshes, a binary STL headed "solid",
 * zero-inertia frame links): without `--urdf` the run says in one line which file would draw the
 * robot and its recording keeps the served file's name and sha256; with `--urdf FILE` (its own copy)
 * the viewer draws the robot, every link where the observed base and joints put it (a plain
 * WebSocket client, as tests/e2e/replayUrdf.test.ts reads a replay; no browser), and the recording
 * draws again in a replay. A `--urdf` that cannot be read, parsed or posed is refused before the
 * client's sim reset, which would reset the simulation every other client shares. The server and
 * every child process are ended after each test (tests/helpers/axonChildren.ts).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connectBridgeRobot, type BridgeClientEvent } from '../../hardware/bridge/index.ts';
import { replayRobot } from '../../src/cli/replayDrawing.ts';
import { readRecording, recordedSpec } from '../../src/record/index.ts';
import { decodeStateFrame, type ViewerModel } from '../../src/viewer/index.ts';
import { Kinematics, type PageKinematics } from '../../src/viewer/page/kinematics.js';
import { zeroPositionPolicy } from '../helpers/onnxFixtures.ts';
import { waitUntil } from '../hardware/bridge/helpers.ts';
import { axonChildren } from '../helpers/axonChildren.ts';
import { copyMeshBot, MESH_BOT_JOINTS, serveMeshBot } from '../hardware/bridge/servedMeshBot.ts';

const { open, axon } = axonChildren();

const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'axon-bridge-drawing-'));
const policy = zeroPositionPolicy(MESH_BOT_JOINTS);
const client = (url: string, ...more: string[]) => ['sim', '--robot', url, '--token', 'secret-token', '--policy', policy, '--view', '--view-port', '0', ...more];

describe('a bridged robot served from a URDF, viewed and recorded by the client', () => {
  it('without --urdf: one line names the file that would draw it; the recording keeps its name and sha256, never the server\'s folder', async () => {
    const { server, urdf, root } = await serveMeshBot(open);
    const file = join(dir, 'plain.mcap');
    const run = axon(client(server.url, '--duration', '1', '--record', file));
    expect(await run.done, run.err).toBe(0);
    const line = `axon sim: robot "mesh_bot": the server serves it from mesh_bot.urdf (sha256 ${sha256(urdf).slice(0, 12)}…, ${readFileSync(urdf).byteLength} bytes): give your copy of that file with --urdf FILE to draw it: panels only`;
    expect(run.err.split('\n').filter((l) => l.includes('mesh_bot.urdf'))).toEqual([line]);

    const rec = await readRecording(file);
    expect(rec.run.served_model).toEqual({ format: 'urdf', name: 'mesh_bot.urdf', sha256: sha256(urdf), bytes: readFileSync(urdf).byteLength, fixed_base: false, base_position: [0, 0, 0], base_orientation: [0, 0, 0, 1] });
    expect(rec.run.drawing).toBeUndefined();
    expect(JSON.stringify(rec.run)).not.toContain(root);
    // Its replay names the file too, and draws it from a copy given with --urdf.
    const lines: string[] = [];
    const panels = await replayRobot(rec, recordedSpec(rec), String(rec.run.robot), { say: (l) => lines.push(l) });
    expect(panels.model).toBeUndefined();
    expect(lines).toEqual([expect.stringContaining(`it was served over the bridge from mesh_bot.urdf (sha256 ${sha256(urdf).slice(0, 12)}…`)]);
    const mine = copyMeshBot('axon-replay-mesh-bot-');
    const given = await replayRobot(rec, recordedSpec(rec), String(rec.run.robot), { urdf: mine.urdf, say: (l) => lines.push(l) });
    open.push(given);
    expect(given.model?.name).toBe('mesh_bot');
    // No word on the file (it is the served one); its package:// meshes are not found without a package path (a note).
    expect(lines.slice(1).filter((l) => !l.includes('URDF_VISUAL_MESH_MISSING'))).toEqual([]);
  }, 120_000);

  it('with --urdf FILE: the viewer draws it live, every link where the observed base and joints put it, and the recording draws again in a replay', async () => {
    const { server, urdf } = await serveMeshBot(open);
    const mine = copyMeshBot('axon-client-mesh-bot-');
    const file = join(dir, 'drawn.mcap');
    const run = axon(client(server.url, '--urdf', mine.urdf, '--urdf-package-path', mine.root, '--duration', '4', '--record', file));
    await waitUntil(() => /axon viewer: (http:\/\/\S+)/.test(run.out), 'the viewer URL', 60_000);
    const url = /axon viewer: (http:\/\/\S+)/.exec(run.out)![1];
    const ws = new WebSocket(url.replace('http://', 'ws://').replace('/?', '/ws?'));
    open.push({ close: () => ws.terminate() });
    let hello: { links: string[]; model: ViewerModel | null; kinematics: PageKinematics | null } | undefined;
    const frames: ReturnType<typeof decodeStateFrame>[] = [];
    ws.on('message', (d, binary) => (binary ? frames.push(decodeStateFrame(new Uint8Array(d as Buffer))) : (hello ??= JSON.parse(d.toString()))));
    await waitUntil(() => frames.length >= 5, 'five state frames from the viewer', 20_000);
    ws.close();
    expect(await run.done, run.err).toBe(0);
    expect(run.err).not.toContain('panels only');
    expect(run.err).not.toContain('warning');
    expect(hello!.model?.name).toBe('mesh_bot');
    expect(hello!.links).toEqual(expect.arrayContaining(['base_link', 'chassis', 'imu_link', 'camera_mount', 'arm', 'wheel']));
    // The client's own meshes (package:// under its --urdf-package-path), served by its viewer.
    const chassis = hello!.model!.links.find((l) => l.name === 'chassis')!;
    expect(chassis.visuals[0].geometry).toMatchObject({ kind: 'mesh', url: expect.stringMatching(/^\/mesh\/\d+\/chassis\.stl$/) });

    const rec = await readRecording(file);
    expect(rec.run.drawing).toMatchObject({ urdf: resolve(mine.urdf), sha256: sha256(urdf), fixed_base: false, package_paths: [resolve(mine.root)] });
    expect(rec.run.served_model).toMatchObject({ name: 'mesh_bot.urdf', sha256: sha256(urdf) });
    // Every frame's links where the page's forward kinematics puts them from that tick's observed base and joints.
    const fk = new Kinematics(hello!.kinematics!, hello!.links);
    const bySeq = new Map(rec.ticks.map((t) => [t.seq, t]));
    const checked = frames.filter((f) => bySeq.has(f.seq));
    expect(checked.length).toBeGreaterThanOrEqual(3);
    for (const f of checked) {
      expect(f.links).toHaveLength(7 * hello!.links.length);
      const obs = bySeq.get(f.seq)!.observation;
      expect(obs.base!.position[2]).toBeGreaterThan(0.01); // on the ground, not at the origin: posed at the base
      const world = fk.solve(obs.base!.position, obs.base!.orientation, obs.jointPosition);
      hello!.links.forEach((l, i) => {
        const e = world[i].elements;
        expect(Math.hypot(f.links[7 * i] - e[12], f.links[7 * i + 1] - e[13], f.links[7 * i + 2] - e[14]), l).toBeLessThan(1e-4);
      });
    }
    // The replay draws the client's copy, checked against the served file, without a word.
    const lines: string[] = [];
    const again = await replayRobot(rec, recordedSpec(rec), String(rec.run.robot), { say: (l) => lines.push(l) });
    open.push(again);
    expect(again.model?.name).toBe('mesh_bot');
    expect(lines).toEqual([]);
  }, 120_000);

  it('a bad --urdf (missing, not a URDF, other joints) is refused, exit 2, before the shared simulation is reset: an observer sees no sim_reset', async () => {
    const { server } = await serveMeshBot(open);
    const observer = await connectBridgeRobot(server.url, { role: 'observe' });
    open.push(observer);
    const events: BridgeClientEvent[] = [];
    observer.events$.subscribe((e) => events.push(e));
    const missing = join(dir, 'no_such_mesh_bot.urdf');
    const broken = join(dir, 'broken_mesh_bot.urdf');
    writeFileSync(broken, '<robot name="mesh_bot"><link name="base_link">');
    const renamed = copyMeshBot('axon-client-mesh-bot-renamed-');
    writeFileSync(renamed.urdf, readFileSync(renamed.urdf, 'utf8').replaceAll('"arm_joint"', '"arm_pitch"'));
    const runs = [missing, broken, renamed.urdf].map((urdf) => axon(client(server.url, '--urdf', urdf, '--urdf-package-path', renamed.root, '--duration', '1')));
    const codes = await Promise.all(runs.map((r) => r.done));
    expect(codes, runs.map((r) => r.err).join('\n')).toEqual([2, 2, 2]);
    expect(runs[0].err).toContain(`[CLI_USAGE]: --urdf: no such file ${missing}`);
    expect(runs[1].err).toContain('URDF_XML');
    expect(runs[2].err).toContain('BRIDGE_DRAWING');
    expect(runs[2].err).toContain('has no moving joint "arm_joint" of the served robot');
    // The observer is still on the link, and no client reset the simulation under it.
    await new Promise((r) => setTimeout(r, 300));
    expect(observer.connected).toBe(true);
    expect(events.filter((e) => e.kind === 'status' && e.status.cause === 'sim_reset')).toEqual([]);
    expect(server.stats().commandsAccepted).toBe(0);
  }, 120_000);
});
