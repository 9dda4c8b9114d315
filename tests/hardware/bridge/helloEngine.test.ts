import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { connectBridgeRobot } from '../../../hardware/bridge/BridgeRobot.ts';
import { helloEngine } from '../../../hardware/bridge/messages.ts';
import { createMujocoShippedRobot } from '../../../sim/mujoco/createMujocoRobot.ts';
import { createSimRobot } from '../../../sim/index.ts';
import { RawClient, startServer } from './helpers.ts';

/** Issue 20: the bridge hello names the physics engine of a simulated robot (PROTOCOL.md, hello.engine). */

describe('hello.engine', () => {
  it('helloEngine: a lower-case name or null; absent (an older server) reads as null; anything else is BRIDGE_BAD_HELLO naming hello.engine', () => {
    expect(helloEngine({ engine: 'mujoco' })).toBe('mujoco');
    expect(helloEngine({ engine: 'cannon' })).toBe('cannon');
    expect(helloEngine({ engine: null })).toBeNull();
    expect(helloEngine({})).toBeNull();
    for (const bad of ['MuJoCo', '', 42, { name: 'mujoco' }, 'x'.repeat(40), 'mu joco']) {
      expect(() => helloEngine({ engine: bad }, 'ws://h')).toThrow(expect.objectContaining({ code: 'BRIDGE_BAD_HELLO', message: expect.stringContaining('ws://h hello.engine') }));
    }
  });

  it('a server given its engine says it in every hello, a client reads it; a server without one sends null', async () => {
    const robot = await createMujocoShippedRobot('pendulum', { physicsDt: 0.002 });
    const server = await startServer({ robot, engine: 'mujoco' });
    const raw = await RawClient.open(server.url);
    expect(raw.messages[0]).toMatchObject({ type: 'hello', sim: true, engine: 'mujoco' });
    raw.ws.close();
    const client = await connectBridgeRobot(server.url, { token: 'secret-token', role: 'observe' });
    expect(client.hello.engine).toBe('mujoco');
    await client.close();
    await server.close();
    robot.dispose();
    const plain = await startServer({ robot: createSimRobot('pendulum') });
    const raw2 = await RawClient.open(plain.url);
    expect(raw2.messages[0].engine).toBeNull();
    raw2.ws.close();
    await plain.close();
  });

  it('a client refuses a hello whose engine is not a name (BRIDGE_BAD_HELLO), it does not guess', async () => {
    const server = await startServer({ engine: 'Not An Engine!' });
    await expect(connectBridgeRobot(server.url, { token: 'secret-token', role: 'observe', connectTimeoutS: 5 })).rejects.toMatchObject({ code: 'BRIDGE_BAD_HELLO' });
    await server.close();
  });

  it('axon bridge --sim --physics mujoco, then axon sim over it: the client summary names the engine', async () => {
    const bridge = spawn(process.execPath, ['bin/axon.js', 'bridge', '--sim', 'cartpole', '--physics', 'mujoco', '--port', '0', '--token', 'tok', '--duration', '30'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      bridge.stdout.on('data', (d) => (out += d));
      const url = await new Promise<string>((res, rej) => {
        bridge.stdout.on('data', () => {
          const m = /listening on (ws:\/\/\S+)/.exec(out);
          if (m) res(m[1]);
        });
        bridge.once('close', () => rej(new Error(`bridge exited: ${out}`)));
      });
      const sim = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
        const c = spawn(process.execPath, ['bin/axon.js', 'sim', '--robot', url, '--token', 'tok', '--policy', 'models/cartpole-balance', '--duration', '1', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let so = '', se = '';
        c.stdout.on('data', (d) => (so += d));
        c.stderr.on('data', (d) => (se += d));
        c.on('close', (code) => res({ code, stdout: so, stderr: se }));
      });
      expect(sim.code, sim.stderr).toBe(0);
      const s = JSON.parse(sim.stdout.trim().split('\n').at(-1)!);
      expect(s.bridge).toMatchObject({ url, engine: 'mujoco' });
    } finally {
      bridge.kill('SIGINT');
      await new Promise((r) => (bridge.exitCode !== null ? r(null) : bridge.once('close', r)));
    }
  });
});
