/**
 * The hello names the robot file a server serves (PROTOCOL.md section 4, hello.robotFile, added
 * within version 1): its file name (never its path), sha256, size and the set-up that places its
 * root. A server from before sends none and still works; a malformed one is taken as none by a
 * client (it only draws the robot: the link is not refused for it); a file name the field cannot
 * carry is served without it; a server restarted on another revision of the file is told apart.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectBridgeRobot, type BridgeClientEvent } from '../../../hardware/bridge/BridgeRobot.ts';
import { helloRobotFile } from '../../../hardware/bridge/messages.ts';
import { openServedRobot } from '../../../src/cli/bridgeRobot.ts';
import { helloProxy } from './helloProxy.ts';
import { RawClient, startServer, waitUntil } from './helpers.ts';
import { copyMeshBot, MESH_BOT_JOINTS, serveMeshBot } from './servedMeshBot.ts';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const GOOD = { format: 'urdf', name: 'mesh_bot.urdf', sha256: 'ab'.repeat(32), bytes: 2980, fixedBase: false, basePosition: [0, 0, 0.1], baseOrientation: [0, 0, 0, 1] };

describe('hello.robotFile', () => {
  it('helloRobotFile: the described file; absent or null (an older server) is null; a path, a bad sha256 or set-up is BRIDGE_BAD_HELLO naming the field', () => {
    expect(helloRobotFile({ robotFile: GOOD })).toEqual(GOOD);
    expect(helloRobotFile({})).toBeNull();
    expect(helloRobotFile({ robotFile: null })).toBeNull();
    const bad: [string, Record<string, unknown>][] = [
      ['name', { name: '/home/alice/robots/mesh_bot.urdf' }],
      ['name', { name: 'C:\\robots\\mesh_bot.urdf' }],
      ['name', { name: '..' }],
      ['name', { name: '' }],
      // Characters a terminal acts on or that reorder what follows (the client prints the name): ESC, DEL, C1's CSI, a line separator, bidi override and isolate.
      ['name', { name: 'mesh\u001b[2J.urdf' }],
      ['name', { name: 'mesh\u007f.urdf' }],
      ['name', { name: 'mesh\u009b2J.urdf' }],
      ['name', { name: 'mesh\u2028.urdf' }],
      ['name', { name: 'fdru.\u202ebot.urdf' }],
      ['name', { name: 'mesh\u2066.urdf' }],
      ['sha256', { sha256: 'AB'.repeat(32) }],
      ['sha256', { sha256: 'abc' }],
      ['bytes', { bytes: -1 }],
      ['fixedBase', { fixedBase: 'no' }],
      ['basePosition', { basePosition: [0, 0] }],
      ['baseOrientation', { baseOrientation: [0, 0, 0, 'w'] }],
      ['format', { format: 'URDF' }],
      ['format', { format: undefined }],
    ];
    for (const [field, over] of bad) {
      expect(() => helloRobotFile({ robotFile: { ...GOOD, ...over } }, 'ws://h'), field).toThrow(expect.objectContaining({ code: 'BRIDGE_BAD_HELLO', where: `ws://h hello.robotFile.${field}` }));
    }
    expect(() => helloRobotFile({ robotFile: 'mesh_bot.urdf' })).toThrow(expect.objectContaining({ code: 'BRIDGE_BAD_HELLO', where: 'hello.robotFile' }));
  });

  it('a server serving a maker\'s URDF names it by file name and sha256 with its set-up, never its folder; a client reads it', async () => {
    const { server, urdf, root } = await serveMeshBot(open);
    const raw = await RawClient.open(server.url);
    open.push({ close: () => raw.ws.close() });
    const hello = raw.hello;
    expect(hello.robot.joints.map((j: { name: string }) => j.name)).toEqual(MESH_BOT_JOINTS);
    expect(hello.robotFile).toEqual({
      format: 'urdf',
      name: 'mesh_bot.urdf',
      sha256: sha256(urdf),
      bytes: readFileSync(urdf).byteLength,
      fixedBase: false, // the massless base_link is fixed to the chassis: the base floats
      basePosition: [0, 0, 0],
      baseOrientation: [0, 0, 0, 1],
    });
    // The server's folders are in no message it sends.
    expect(JSON.stringify(raw.messages)).not.toContain(root);
    const client = await connectBridgeRobot(server.url, { token: 'secret-token', role: 'observe' });
    open.push(client);
    expect(client.robotFile).toEqual(hello.robotFile);
  });

  it('a server from before the field sends none, and a client connects to it as before (robotFile null)', async () => {
    const server = await startServer();
    open.push(server);
    const raw = await RawClient.open(server.url);
    open.push({ close: () => raw.ws.close() });
    expect(raw.hello).not.toHaveProperty('robotFile');
    const client = await connectBridgeRobot(server.url, { token: 'secret-token', role: 'observe' });
    open.push(client);
    expect(client.robotFile).toBeNull();
    expect(client.spec.name).toBe('pendulum');
  });

  it('a server is not started with a robot file it could not describe (BRIDGE_CONFIG naming the field)', async () => {
    await expect(startServer({ paced: false, now: () => 0, robotFile: { ...GOOD, name: '/srv/robots/mesh_bot.urdf' } })).rejects.toMatchObject({ code: 'BRIDGE_CONFIG', where: 'robotFile.name' });
  });

  it('a client connects to a hello whose robotFile is malformed (a path): it reads it as none and says why, as a client that does not know the field would', async () => {
    const { server } = await serveMeshBot(open);
    // The real server's link, its hello's robotFile replaced by a path on the way.
    const proxy = await helloProxy(server.url, (h) => ({ ...h, robotFile: { ...h.robotFile, name: '/home/alice/mesh_bot.urdf' } }));
    open.push(proxy);
    const client = await connectBridgeRobot(proxy.url, { token: 'secret-token', connectTimeoutS: 5, reconnect: false });
    open.push(client);
    expect(client.role).toBe('command');
    expect(client.robotFile).toBeNull();
    expect(client.robotFileProblem).toBe(`${proxy.url} hello.robotFile.name: cannot be used ("/home/alice/mesh_bot.urdf") (expected a file name without any folder (no / or \\) and no control or bidi characters)`);
    const seq = client.stateSeq;
    await waitUntil(() => client.stateSeq > seq + 5, 'state frames over the link');
  });

  it('a file name the hello cannot carry (a backslash, an ESC) is served without robotFile, with a note saying why, instead of refusing to serve', async () => {
    const { root, urdf } = copyMeshBot('axon-served-odd-name-');
    const odd = join(dirname(urdf), 'mesh\\bot\u001b[2J.urdf');
    renameSync(urdf, odd);
    const served = await openServedRobot({ urdf: odd, urdfPackagePath: [root], strict: false, physics: 'cannon', seed: 1, randomize: false }, 0.005);
    open.push(served.robot);
    expect(served.robotFile).toBeUndefined();
    expect(served.robotFileNote).toBe(
      "the file name \"mesh\\bot\\u001b[2J.urdf\" cannot go in the hello's robotFile (it must be a file name without any folder (no / or \\) and no control or bidi characters): served without it, so a client draws the robot from its own --urdf FILE unchecked",
    );
    const server = await startServer({ robot: served.robot, ...(served.robotFile ? { robotFile: served.robotFile } : {}) });
    open.push(server);
    const client = await connectBridgeRobot(server.url, { role: 'observe' });
    open.push(client);
    expect(client.robotFile).toBeNull();
    expect(client.spec.joints.map((j) => j.name)).toEqual(MESH_BOT_JOINTS);
  });

  it('a server restarted on the same port with another revision of the URDF (same joints): the reconnect names the new file, and one robot_file_changed event says so', async () => {
    const first = await serveMeshBot(open);
    const port = Number(new URL(first.server.url).port);
    const client = await connectBridgeRobot(first.server.url, { role: 'observe', reconnect: { initialS: 0.05, maxS: 0.2 } });
    open.push(client);
    const events: BridgeClientEvent[] = [];
    client.events$.subscribe((e) => events.push(e));
    const was = client.robotFile!;
    expect(was.sha256).toBe(sha256(first.urdf));
    await first.server.close();
    // The same robot from a revised copy of the file (a comment added: the joints are the same).
    const second = await serveMeshBot(open, { port }, (urdf) => appendFileSync(urdf, '<!-- rev B -->\n'));
    await waitUntil(() => client.counts.reconnects >= 1 && client.connected, 'the reconnect to the restarted server', 15_000);
    expect(client.robotFile).toMatchObject({ name: 'mesh_bot.urdf', sha256: sha256(second.urdf) });
    expect(sha256(second.urdf)).not.toBe(was.sha256);
    expect(events.filter((e) => e.kind === 'robot_file_changed')).toEqual([expect.objectContaining({ kind: 'robot_file_changed', first: was, now: client.robotFile })]);
  });
});
