/**
 * A browser lets a page of any site open a WebSocket to 127.0.0.1 and says which site in `Origin`:
 * the viewer accepts its own page's origin and clients that send none (scripts), and refuses any
 * other site's, which could otherwise e-stop the robot or flood the loop (review R18 finding 7).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { attachViewer, type Viewer } from '../../../src/viewer/index.ts';
import { pointMassRig } from '../../helpers/viewerRig.ts';

let viewer: Viewer | undefined;
afterEach(async () => {
  await viewer?.close();
  viewer = undefined;
});

async function start() {
  const { robot, safety, loop } = pointMassRig({ armed: true });
  viewer = await attachViewer(loop, safety, robot, { port: 0 });
  return { viewer, safety };
}

/** A raw upgrade to /ws with these extra header lines: the answer's status line. */
function upgrade(port: number, headers: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => (s.destroy(), resolve(got.split('\r\n')[0] || 'no answer')), 3000);
    s.on('data', (d) => {
      got += d;
      if (got.includes('\r\n')) s.destroy();
    });
    s.on('close', () => (clearTimeout(timer), resolve(got.split('\r\n')[0] || 'closed')));
    s.on('error', () => {});
    s.write(`GET /ws HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n${headers}upgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n`);
  });
}

describe('ViewerServer: the Origin of an upgrade', () => {
  it('refuses another site\'s page (403), and lets in its own page and a client that sends no Origin', async () => {
    const { viewer } = await start();
    const p = viewer.port;
    for (const bad of ['https://evil.example', `http://evil.example:${p}`, `http://127.0.0.1:${p + 1}`, `https://127.0.0.1:${p}`, 'null', `http://localhost.evil.example:${p}`])
      expect(await upgrade(p, `origin: ${bad}\r\n`), bad).toBe('HTTP/1.1 403 Forbidden');
    for (const good of [`http://127.0.0.1:${p}`, `http://localhost:${p}`, `http://LOCALHOST:${p}`, `http://[::1]:${p}`])
      expect(await upgrade(p, `origin: ${good}\r\n`), good).toBe('HTTP/1.1 101 Switching Protocols');
    expect(await upgrade(p, '')).toBe('HTTP/1.1 101 Switching Protocols');
  });

  it('accepts the page under every name the Host check serves it at: `localhost.` and `*.localhost` (review R23 F7)', async () => {
    const { viewer } = await start();
    const p = viewer.port;
    for (const good of [`http://localhost.:${p}`, `http://app.localhost:${p}`, `http://App.LocalHost.:${p}`, `http://127.0.0.1.:${p}`])
      expect(await upgrade(p, `origin: ${good}\r\n`), good).toBe('HTTP/1.1 101 Switching Protocols');
    for (const bad of [`http://localhost.:${p + 1}`, `https://app.localhost:${p}`, `http://xlocalhost:${p}`, `http://app.localhost.evil.example:${p}`, `http://localhost..:${p}`, `http://evil.example.:${p}`])
      expect(await upgrade(p, `origin: ${bad}\r\n`), bad).toBe('HTTP/1.1 403 Forbidden');
  });

  it('a forged cross-site page cannot e-stop the robot; the page served here can', async () => {
    const { viewer, safety } = await start();
    const evil = new WebSocket(`ws://127.0.0.1:${viewer.port}/ws`, { origin: 'https://evil.example' });
    const outcome = await new Promise<string>((r) => {
      evil.on('open', () => (evil.send('{"type":"cmd","cmd":"estop"}'), r('open')));
      evil.on('unexpected-response', (_q, res) => r(`refused ${res.statusCode}`));
      evil.on('error', (e) => r(`error ${e.message}`));
    });
    expect(outcome).toBe('refused 403');
    await new Promise((r) => setTimeout(r, 100));
    expect(safety.state).toBe('running');
    const own = new WebSocket(`ws://127.0.0.1:${viewer.port}/ws`, { origin: `http://127.0.0.1:${viewer.port}` });
    const ack = new Promise<any>((r) => own.on('message', (d, binary) => {
      const m = binary ? undefined : JSON.parse(d.toString());
      if (m?.type === 'ack') r(m);
    }));
    await new Promise((r, j) => (own.once('open', r), own.once('error', j)));
    own.send('{"type":"cmd","cmd":"estop"}');
    expect(await ack).toMatchObject({ cmd: 'estop', ok: true });
    expect(safety.state).toBe('e-stopped');
    own.close();
  });
});
