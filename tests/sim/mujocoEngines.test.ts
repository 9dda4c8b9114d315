import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { readRecording } from '../../src/record/readRecording.ts';

/** Issue 20 part 5 and --physics on the bridge: which engine ran is in the recording, the viewer and the bridge. */

const dir = mkdtempSync(join(tmpdir(), 'axon-mj-engines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('which engine ran', () => {
  it('the MCAP recording says physics: mujoco (axon.run metadata)', async () => {
    const file = join(dir, 'run.mcap');
    const r = spawnSync(process.execPath, ['bin/axon.js', 'sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--physics', 'mujoco', '--duration', '1', '--fast', '--record', file, '--json'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const rec = await readRecording(file);
    expect(rec.run).toMatchObject({ command: 'sim', robot: 'cartpole', physics: 'mujoco' });
  });

  it('axon sim --physics mujoco --view: the page says MuJoCo in its title and hello, and gets the URDF to draw', async () => {
    const child = spawn(process.execPath, ['bin/axon.js', 'sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--physics', 'mujoco', '--duration', '4', '--view', '--view-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const closed = new Promise<number | null>((res) => child.on('close', res));
    const url = await new Promise<string>((res, rej) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /axon viewer: (\S+)/.exec(out);
        if (m) res(m[1]);
      });
      child.once('close', () => rej(new Error(`no viewer URL: ${out} ${err}`)));
    });
    const ws = new WebSocket(url.replace('http://', 'ws://').replace('/?', '/ws?'));
    const hello = await new Promise<{ title: string; engine: string; links: string[] }>((res, rej) => {
      ws.on('message', (d, binary) => {
        if (!binary) {
          const m = JSON.parse(d.toString());
          if (m.type === 'hello') res(m);
        }
      });
      ws.once('error', rej);
    });
    ws.close();
    expect(hello.engine).toBe('MuJoCo');
    expect(hello.title).toBe('axon: cartpole (MuJoCo)');
    expect(hello.links.length).toBeGreaterThan(1);
    expect(await closed, err).toBe(0);
  });

  it('axon bridge --sim cartpole --physics mujoco serves the MuJoCo robot and says so', async () => {
    const child = spawn(process.execPath, ['bin/axon.js', 'bridge', '--sim', 'cartpole', '--physics', 'mujoco', '--port', '0', '--duration', '1.5', '--randomize', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((res) => child.on('close', res));
    expect(code, err).toBe(0);
    expect(out).toContain('simulated in MuJoCo');
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toMatchObject({ command: 'bridge', robot: 'cartpole', physics: 'mujoco' });
  });
});
