/**
 * The viewer behind a reverse proxy, and DNS rebinding, in a real browser. A proxy's page has the
 * proxy's origin, which the viewer's Origin check refused with no way to allow it: `--allow-origin
 * URL` (sim, run, teleop, replay with --view) lets that origin's pages in and its host through the
 * Host check. A foreign name that resolves to 127.0.0.1 (Chromium's --host-resolver-rules stands in
 * for the attacker's DNS) is refused by the Host check, page and WebSocket (review R18 finding 7).
 * The proxy here is plain http under a foreign name: an https one differs only in the scheme of
 * the origin allowed.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { runAxon } from '../helpers/cli.ts';
import { CHROMIUM, haveChromium, startSim, type SimProcess } from '../helpers/viewerE2e.ts';

declare const window: any;
declare const document: any;

const P = 'models/cartpole-balance';
const running: { stop(): unknown }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop(); // the browser, then the run, then the proxy
});

/** A reverse proxy on a free port forwarding requests and WebSocket upgrades to `target()` as they came (Host and Origin kept). */
async function proxy(target: () => number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const up = httpRequest({ host: '127.0.0.1', port: target(), method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const tunnels = new Set<{ destroy(): void }>();
  server.on('upgrade', (req, socket, head) => {
    tunnels.add(socket);
    const up = connect(target(), '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      up.write(head);
      up.pipe(socket).pipe(up);
    });
    tunnels.add(up);
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  running.push({ stop: () => new Promise((r) => (tunnels.forEach((t) => t.destroy()), server.closeAllConnections(), server.close(r))) });
  return { server, port: typeof a === 'object' && a ? a.port : 0 };
}

describe('--allow-origin', () => {
  it('a bad value is a usage error naming the flag; without --view it is refused (exit 2)', () => {
    for (const bad of ['robot.example.com', 'ftp://robot.example.com', 'https://robot.example.com/viewer']) {
      const r = runAxon(['sim', '--robot', 'cartpole', '--policy', P, '--duration', '0.1', '--view', '--view-port', '0', '--allow-origin', bad], 60_000);
      expect(r.code, `${bad}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('--allow-origin');
      expect(r.stderr).toContain('expected an origin such as https://robot.example.com');
    }
    const r = runAxon(['sim', '--robot', 'cartpole', '--policy', P, '--duration', '0.1', '--allow-origin', 'https://robot.example.com'], 60_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('--allow-origin: only applies with --view');
  }, 120_000);

  it.skipIf(!haveChromium)('the page works through a proxy whose origin is allowed; a rebinding name gets 403 from the page and the WebSocket', async () => {
    let viewerPort = 0;
    const px = await proxy(() => viewerPort);
    const proxyOrigin = `http://robot.example:${px.port}`;
    const sim: SimProcess = await startSim(['--robot', 'cartpole', '--policy', P, '--duration', '120', '--allow-origin', proxyOrigin]);
    running.push(sim);
    const url = new URL(sim.url);
    viewerPort = Number(url.port);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--host-resolver-rules=MAP robot.example 127.0.0.1, MAP evil.example 127.0.0.1'],
    });
    running.push({ stop: () => browser.close() });
    // Through the proxy: the page loads, its WebSocket (Origin http://robot.example:PORT) is let in, and it may command.
    const page = await browser.newPage();
    await page.goto(`${proxyOrigin}/${url.search}`);
    await page.waitForFunction(() => window.__axon?.hello !== null && window.__axon?.frames > 2, null, { timeout: 30_000 });
    expect(await page.evaluate(() => window.__axon.canCommand)).toBe(true);
    // Rebinding: evil.example resolves to 127.0.0.1, so its page would be the viewer's own origin.
    const evil = await browser.newPage();
    const res = await evil.goto(`http://evil.example:${viewerPort}/${url.search}`);
    expect(res?.status()).toBe(403);
    expect(await evil.evaluate(() => document.body.textContent)).toContain('"evil.example:' + viewerPort + '" is not a name of this viewer');
    // A page of that name (here: an error page's script) opening the WebSocket is refused too.
    const ws = await evil.evaluate((u) => new Promise<string>((r) => {
      const s = new (window as any).WebSocket(u);
      s.onopen = () => r('open');
      s.onerror = () => r('refused');
    }), `ws://evil.example:${viewerPort}/ws`);
    expect(ws).toBe('refused');
    expect(sim.child.exitCode).toBeNull();
  }, 180_000);
});

describe("the run's JSON summary", () => {
  it('has the viewer section: its port and what it refused (a request under a foreign Host)', async () => {
    const sim: SimProcess = await startSim(['--robot', 'cartpole', '--policy', P, '--duration', '120', '--json']);
    running.push(sim);
    const port = Number(new URL(sim.url).port);
    const status = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1');
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('close', () => resolve(got.split('\r\n')[0]));
      s.on('error', () => {});
      s.write('GET / HTTP/1.1\r\nhost: evil.example\r\nconnection: close\r\n\r\n');
    });
    expect(status).toBe('HTTP/1.1 403 Forbidden');
    const { code, output } = await sim.stop(); // Ctrl-C: the run ends and prints its summary
    expect(code, output).toBe(0);
    const summary = JSON.parse(output.split('\n').find((l) => l.startsWith('{"command":"sim"'))!);
    expect(summary.viewer).toEqual({ port, refused: { upgrades: 0, origins: 0, hosts: 1, closed_over_limit: 0 } });
    expect(JSON.stringify(summary)).not.toContain(new URL(sim.url).searchParams.get('token')!); // the page's token stays out of it
  }, 120_000);
});
