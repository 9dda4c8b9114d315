/**
 * No request can end the run the viewer serves: a malformed URL (HTTP or a WebSocket upgrade) or a
 * WebSocket message that is JSON but not an object is answered, and the process goes on (review
 * R6 findings 8 and 9). An uncaught error thrown from a listener is caught here and fails the test.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { attachViewer, type Viewer } from '../../../src/viewer/index.ts';
import { pointMassRig } from '../../helpers/viewerRig.ts';

const uncaught: unknown[] = [];
const onUncaught = (e: unknown) => void uncaught.push(e);
beforeEach(() => {
  uncaught.length = 0;
  process.on('uncaughtException', onUncaught);
});
let viewer: Viewer | undefined;
afterEach(async () => {
  process.off('uncaughtException', onUncaught);
  await viewer?.close();
  viewer = undefined;
});

async function start(): Promise<Viewer> {
  const { robot, safety, loop } = pointMassRig();
  return attachViewer(loop, safety, robot, { port: 0 });
}

/** GET `path` exactly as written (no URL normalisation); 'no answer' after 2 s (a request whose handler threw). */
function get(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('no answer'), 2000);
    const q = request({ host: '127.0.0.1', port, path }, (res) => {
      res.resume();
      res.on('end', () => (clearTimeout(timer), resolve(String(res.statusCode))));
    });
    q.on('error', (e) => (clearTimeout(timer), resolve(`error ${e.message}`)));
    q.end();
  });
}

/** A raw WebSocket upgrade request to `path`: the first line of the answer, or how the socket ended. */
function upgrade(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => (s.destroy(), resolve(got.split('\r\n')[0] || 'no answer')), 2000);
    s.on('data', (d) => {
      got += d;
      if (got.includes('\r\n')) s.destroy(); // the status line is all this needs
    });
    s.on('close', () => (clearTimeout(timer), resolve(got.split('\r\n')[0] || 'closed')));
    s.on('error', () => {});
    s.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n`);
  });
}

describe('ViewerServer: bad requests', () => {
  it('answers a malformed URL path with 400 and keeps serving (no throw out of the handler)', async () => {
    viewer = await start();
    expect(await get(viewer.port, '/index.html')).toBe('200');
    for (const bad of ['/%E0%A4%A', '//', '//x/y', '/%']) expect(await get(viewer.port, bad), bad).toBe('400');
    expect(await get(viewer.port, '/')).toBe('200');
    expect(uncaught).toEqual([]);
  });

  it('answers a WebSocket upgrade to a malformed or unknown path without throwing, and still upgrades /ws', async () => {
    viewer = await start();
    expect(await upgrade(viewer.port, '//')).toBe('HTTP/1.1 400 Bad Request');
    expect(await upgrade(viewer.port, '/%E0%A4%A')).toBe('HTTP/1.1 404 Not Found'); // a path, just not /ws
    expect(await upgrade(viewer.port, '/other')).toBe('HTTP/1.1 404 Not Found');
    expect(await upgrade(viewer.port, `/ws?token=${viewer.token}`)).toBe('HTTP/1.1 101 Switching Protocols');
    expect(uncaught).toEqual([]);
  });
});

describe('ViewerServer: messages that are JSON but not an object', () => {
  it('answers null, a number, a string and an array from a page without the token with an error, and goes on', async () => {
    viewer = await start();
    const ws = new WebSocket(`ws://127.0.0.1:${viewer.port}/ws`); // no token
    const texts: any[] = [];
    ws.on('message', (d, binary) => void (binary || texts.push(JSON.parse(d.toString()))));
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    for (const bad of ['null', '42', '"x"', '[]', 'true']) {
      const n = texts.length;
      ws.send(bad);
      for (let i = 0; i < 200 && !texts.slice(n).some((t) => t.type === 'error'); i++) await new Promise((r) => setTimeout(r, 5));
      expect(texts.slice(n).find((t) => t.type === 'error'), bad).toMatchObject({ message: expect.stringContaining('JSON object') });
    }
    // Still serving: a stop from this tokenless page is answered.
    ws.send(JSON.stringify({ type: 'cmd', cmd: 'estop' }));
    for (let i = 0; i < 200 && !texts.some((t) => t.type === 'ack'); i++) await new Promise((r) => setTimeout(r, 5));
    expect(texts.find((t) => t.type === 'ack')).toMatchObject({ cmd: 'estop', ok: true });
    expect(uncaught).toEqual([]);
    ws.close();
  });
});
