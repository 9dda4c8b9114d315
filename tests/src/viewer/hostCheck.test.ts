/**
 * DNS rebinding: a site whose own name resolves to 127.0.0.1 is, to the browser, the viewer's
 * origin, so the Origin check alone lets its pages in. The viewer checks `Host` on every request
 * and upgrade: IP literals, localhost names, this machine's name and `--allow-origin` hosts only
 * (review R18 finding 7, its "optionally" part). `allowOrigins` also lets an https reverse proxy's
 * pages through the Origin check, which refused them (no option existed).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import { Subject } from 'rxjs';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { LoopStats } from '../../../src/loop/LoopStats.ts';
import { stageNames, type TickRecord } from '../../../src/loop/TickRecord.ts';
import { attachViewer, type Viewer } from '../../../src/viewer/index.ts';
import { PointMassRobot, joint, spec } from '../../helpers/fakes.ts';

let viewer: Viewer | undefined;
afterEach(async () => {
  await viewer?.close();
  viewer = undefined;
});

async function start(allowOrigins?: string[]) {
  const robot = new PointMassRobot(spec([joint('a')]), 0.02);
  const safety = new SafetySupervisor(robot.spec, 0.02);
  safety.arm(robot.observe(), 0);
  const loop = { records$: new Subject<TickRecord>(), stats: new LoopStats(stageNames, 100) };
  viewer = await attachViewer(loop, safety, robot, { port: 0, ...(allowOrigins ? { allowOrigins } : {}) });
  return viewer;
}

/** A raw request (a GET of the page, or an upgrade to /ws) with this Host and extra headers: the answer's status line and body. */
function request(port: number, host: string, o: { upgrade?: boolean; headers?: string } = {}): Promise<{ status: string; body: string }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      const [head, body = ''] = got.split('\r\n\r\n');
      resolve({ status: head.split('\r\n')[0] || 'no answer', body });
    };
    const timer = setTimeout(() => (s.destroy(), done()), 3000);
    s.on('data', (d) => {
      got += d;
      // An upgrade's 101 has no body; a 403's body follows its headers (content-length).
      if (got.includes('\r\n\r\n') && (got.startsWith('HTTP/1.1 101') || /\r\n\r\n[^]+/.test(got))) s.destroy();
    });
    s.on('close', () => (clearTimeout(timer), done()));
    s.on('error', () => {});
    const ws = o.upgrade ? 'upgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n' : 'connection: close\r\n';
    s.write(`GET ${o.upgrade ? '/ws' : '/'} HTTP/1.1\r\nhost: ${host}\r\n${o.headers ?? ''}${ws}\r\n`);
  });
}

describe('ViewerServer: the Host of a request', () => {
  it('refuses a foreign name (403, saying why) on the page and on the WebSocket, and serves its own names', async () => {
    const v = await start();
    const p = v.port;
    for (const bad of [`evil.example:${p}`, 'evil.example', `localhost.evil.example:${p}`, `127.0.0.1.evil.example:${p}`, `evil.example@127.0.0.1:${p}`, '']) {
      const page = await request(p, bad);
      expect(page.status, `GET, host ${bad}`).toBe('HTTP/1.1 403 Forbidden');
      expect(page.body).toContain('is not a name of this viewer (refused against DNS rebinding)');
      expect(page.body).toContain('--allow-origin');
      // The rebinding page's Origin is its own name, which the Origin check would take for the viewer's.
      const ws = await request(p, bad, { upgrade: true, headers: `origin: http://${bad}\r\n` });
      expect(ws.status, `upgrade, host ${bad}`).toBe('HTTP/1.1 403 Forbidden');
      expect(ws.body).toContain('is not a name of this viewer');
    }
    const me = hostname().toLowerCase();
    for (const good of [`127.0.0.1:${p}`, `localhost:${p}`, `LOCALHOST:${p}`, 'localhost.', `[::1]:${p}`, `axon.localhost:${p}`, `10.1.2.3:${p}`, `${me}:${p}`, `${me}.local`]) {
      expect((await request(p, good)).status, `GET, host ${good}`).toBe('HTTP/1.1 200 OK');
      expect((await request(p, good, { upgrade: true })).status, `upgrade, host ${good}`).toBe('HTTP/1.1 101 Switching Protocols');
    }
  });

  it('allowOrigins: a reverse proxy\'s origin passes the Origin check and its host the Host check; others still do not', async () => {
    const v = await start(['https://robot.example.com', 'http://10.0.0.5:8443']);
    const p = v.port;
    expect((await request(p, 'robot.example.com')).status).toBe('HTTP/1.1 200 OK');
    expect((await request(p, 'ROBOT.example.com:443')).status).toBe('HTTP/1.1 200 OK');
    expect((await request(p, 'robot.example.com', { upgrade: true, headers: 'origin: https://robot.example.com\r\n' })).status).toBe('HTTP/1.1 101 Switching Protocols');
    // A proxy that forwards the viewer's own Host, the browser's Origin being the proxy's.
    expect((await request(p, `127.0.0.1:${p}`, { upgrade: true, headers: 'origin: http://10.0.0.5:8443\r\n' })).status).toBe('HTTP/1.1 101 Switching Protocols');
    for (const [host, origin] of [
      ['robot.example.com', 'http://robot.example.com'], // not the scheme allowed
      ['robot.example.com', 'https://robot.example.com:8443'], // nor the port
      ['robot.example.com', 'https://evil.example'],
    ]) {
      const r = await request(p, host, { upgrade: true, headers: `origin: ${origin}\r\n` });
      expect(r.status, origin).toBe('HTTP/1.1 403 Forbidden');
      expect(r.body).toContain("is not this viewer's page");
    }
    expect((await request(p, 'evil.example')).status).toBe('HTTP/1.1 403 Forbidden');
  });
});
