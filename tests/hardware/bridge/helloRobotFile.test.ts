/**
 * The hello names the robot file a server serves (PROTOCOL.md section 4, hello.robotFile, added
 * within version 1): its file name (never its path), sha256, size and the set-up that places its
 * root. A server from before sends none and still works; a malformed one is refused.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { connectBridgeRobot } from '../../../hardware/bridge/BridgeRobot.ts';
import { helloRobotFile } from '../../../hardware/bridge/messages.ts';
import { SUBPROTOCOL } from '../../../hardware/bridge/protocol.ts';
import { RawClient, startServer } from './helpers.ts';
import { MESH_BOT_JOINTS, serveMeshBot } from './servedMeshBot.ts';

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

  it('a client refuses a hello whose robotFile is a path (BRIDGE_BAD_HELLO), it does not guess', async () => {
    // A real server's hello, its robotFile replaced by a path, sent by a stand-in server.
    const { server } = await serveMeshBot(open, { paced: false, now: () => 0 });
    const raw = await RawClient.open(server.url);
    open.push({ close: () => raw.ws.close() });
    const hello = { ...raw.hello, robotFile: { ...raw.hello.robotFile, name: '/home/alice/mesh_bot.urdf' } };
    const fake = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => SUBPROTOCOL });
    open.push({ close: () => new Promise<void>((r) => (fake.clients.forEach((c) => c.terminate()), fake.close(() => r()))) });
    await new Promise<void>((r) => fake.once('listening', () => r()));
    fake.on('connection', (ws) => ws.send(JSON.stringify(hello)));
    const url = `ws://127.0.0.1:${(fake.address() as { port: number }).port}`;
    await expect(connectBridgeRobot(url, { role: 'observe', connectTimeoutS: 5, reconnect: false })).rejects.toMatchObject({ code: 'BRIDGE_BAD_HELLO', where: `${url} hello.robotFile.name` });
  });
});
