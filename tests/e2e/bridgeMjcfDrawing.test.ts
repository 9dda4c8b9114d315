/**
 * An MJCF served over the bridge is named in the hello's robotFile as a URDF is (file name, sha256
 * and size of the top file and the files it includes; never the server's path), and the client's `--mjcf FILE` (its own copy)
 * draws it in the viewer once checked against that sha256, keeps it for `axon replay --view`, and
 * says in one warning line when the copy is another file. The served model is the menagerie-style
 * Allegro hand (tests/helpers/menagerieMjcf.ts: a scene.xml that includes the hand). The server and
 * every child process are ended after each test (tests/helpers/axonChildren.ts).
 */
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connectBridgeRobot } from '../../hardware/bridge/index.ts';
import { openServedRobot } from '../../src/cli/bridgeRobot.ts';
import { replayRobot } from '../../src/cli/replayDrawing.ts';
import { readRecording, recordedSpec } from '../../src/record/index.ts';
import type { ViewerModel } from '../../src/viewer/index.ts';
import { writeMenagerieHand } from '../helpers/menagerieMjcf.ts';
import { mjcfDigest } from '../../sim/mujoco/mjcfDigest.ts';
import { zeroPositionPolicy } from '../helpers/onnxFixtures.ts';
import { startServer, waitUntil } from '../hardware/bridge/helpers.ts';
import { axonChildren } from '../helpers/axonChildren.ts';

const { open, axon } = axonChildren();

const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'axon-bridge-mjcf-drawing-'));
const JOINTS = ['thj1', 'ffj0', 'thj0', 'ffj1'];
const policy = zeroPositionPolicy(JOINTS, { robot: 'allegro_right' });

/** The hand served in MuJoCo as `axon bridge --mjcf` sets it up. */
async function serveHand() {
  const hand = writeMenagerieHand(mkdtempSync(join(dir, 'server-')));
  const served = await openServedRobot({ mjcf: hand.file, physics: 'mujoco', seed: 1, randomize: false, urdfPackagePath: [], strict: false }, 0.002);
  open.push(served.robot);
  const server = await startServer({ robot: served.robot, engine: 'mujoco', ...(served.robotFile ? { robotFile: served.robotFile } : {}) });
  open.push(server);
  return { server, file: hand.file };
}

describe('an MJCF served over the bridge, drawn by the client from its own copy', () => {
  it('the hello names the top file by name, with the sha256 and size of it and its includes, never the server\'s folder', async () => {
    const { server, file } = await serveHand();
    const observer = await connectBridgeRobot(server.url, { role: 'observe', reconnect: false });
    open.push(observer);
    // Of the scene and the hand it includes (sim/mujoco/mjcfDigest.ts).
    expect(observer.robotFile).toEqual({ format: 'mjcf', name: 'scene_right.xml', sha256: mjcfDigest(file).sha256, bytes: mjcfDigest(file).bytes, fixedBase: true, basePosition: [0, 0, 0], baseOrientation: [0, 0, 0, 1] });
    expect(JSON.stringify(observer.hello)).not.toContain(dir);
  });

  it('--mjcf FILE --view --record: drawn live after the sha256 check, recorded, drawn again by the replay; another file is drawn after one warning', async () => {
    const { server, file } = await serveHand();
    const mine = writeMenagerieHand(mkdtempSync(join(dir, 'client-'))).file;
    const rec = join(dir, 'hand.mcap');
    const run = axon(['sim', '--robot', server.url, '--token', 'secret-token', '--policy', policy, '--mjcf', mine, '--view', '--view-port', '0', '--duration', '3', '--record', rec]);
    await waitUntil(() => /axon viewer: (http:\/\/\S+)/.test(run.out) || run.err.includes('error'), 'the viewer URL', 60_000);
    const url = /axon viewer: (http:\/\/\S+)/.exec(run.out)?.[1];
    expect(url, run.err).toBeDefined();
    const ws = new WebSocket(url!.replace('http://', 'ws://').replace('/?', '/ws?'));
    open.push({ close: () => ws.terminate() });
    let hello: { model: ViewerModel | null; links: string[] } | undefined;
    ws.on('message', (d, binary) => (binary ? undefined : (hello ??= JSON.parse(d.toString()))));
    await waitUntil(() => hello !== undefined, 'the viewer hello', 20_000);
    ws.close();
    expect(await run.done, run.err).toBe(0);
    expect(run.err).not.toContain('panels only');
    expect(run.err).not.toContain('warning');
    expect(run.err).not.toContain('drawn unchecked');
    expect(hello!.model).not.toBeNull();
    expect(hello!.links.length).toBeGreaterThan(1);

    const r = await readRecording(rec);
    expect(r.run.served_model).toMatchObject({ format: 'mjcf', name: 'scene_right.xml', sha256: mjcfDigest(file).sha256 });
    expect(r.run.mjcf).toBe(resolve(mine));
    const lines: string[] = [];
    const again = await replayRobot(r, recordedSpec(r), String(r.run.robot), { say: (l) => lines.push(l) });
    open.push(again);
    expect(again.model).toBeDefined();
    expect(lines).toEqual([]);

    // Another revision of the file (a comment appended): drawn anyway, after one warning line.
    const other = writeMenagerieHand(mkdtempSync(join(dir, 'client-rev-'))).file;
    appendFileSync(other, '<!-- revised -->\n');
    const run2 = axon(['sim', '--robot', server.url, '--token', 'secret-token', '--policy', policy, '--mjcf', other, '--record', join(dir, 'rev.mcap'), '--duration', '0.5']);
    expect(await run2.done, run2.err).toBe(0);
    expect(run2.err.split('\n').filter((l) => l.includes('warning'))).toEqual([
      `axon sim: warning: --mjcf ${other} is not the file the server served, scene_right.xml (MJCF, sha256 ${mjcfDigest(file).sha256.slice(0, 12)}…, ${mjcfDigest(file).bytes} bytes): this one is sha256 ${mjcfDigest(other).sha256.slice(0, 12)}…, ${mjcfDigest(other).bytes} bytes: drawn anyway, the drawing may not match the robot`,
    ]);
  }, 150_000);
});
