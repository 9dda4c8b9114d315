/**
 * The operator sees what the viewer refused: `Viewer.refusals` counts upgrades answered 503 (over
 * the token-less budget) and 403 (another site's Origin, a Host not this viewer's), and the run's
 * summary prints one line of them when the viewer closes (review R23: the refusals were counted
 * only inside the server, and a flood that kept pages out left the console quiet).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { attachViewer, viewerRefusalLine, type Viewer } from '../../../src/viewer/index.ts';
import { reportViewerRefusals } from '../../../src/cli/outputs.ts';
import { pointMassRig } from '../../helpers/viewerRig.ts';

let viewer: Viewer | undefined;
afterEach(async () => {
  await viewer?.close();
  viewer = undefined;
  vi.restoreAllMocks();
});

function attempt(port: number, origin?: string): Promise<string> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, origin ? { origin } : {});
  return new Promise<string>((r) => {
    ws.on('open', () => (ws.terminate(), r('open')));
    ws.on('unexpected-response', (_q, res) => r(String(res.statusCode)));
    ws.on('error', (e) => r(e.message));
  });
}

/** A GET of the page under this Host: the status line. */
function getWithHost(port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => (got += d));
    s.on('close', () => resolve(got.split('\r\n')[0]));
    s.on('error', () => {});
    s.write(`GET / HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`);
  });
}

describe('Viewer.refusals and the summary line', () => {
  it('counts 503, 403 Origin and 403 Host refusals, and the summary prints them when the viewer closes', async () => {
    const { robot, safety, loop } = pointMassRig({ armed: true });
    // Time stands still: the upgrade bucket (20 at once) never refills.
    viewer = await attachViewer(loop, safety, robot, { port: 0, limits: { now: () => 50 } });
    const p = viewer.port;
    expect(viewer.refusals).toEqual({ upgradesRefused: 0, originsRefused: 0, hostsRefused: 0, closedOverLimit: 0 });
    const outcomes: string[] = [];
    for (let i = 0; i < 23; i++) outcomes.push(await attempt(p));
    expect(outcomes.filter((x) => x === '503')).toHaveLength(3);
    expect(await attempt(p, 'https://evil.example')).toBe('403');
    expect(await getWithHost(p, 'evil.example')).toBe('HTTP/1.1 403 Forbidden');
    expect(viewer.refusals).toEqual({ upgradesRefused: 3, originsRefused: 1, hostsRefused: 1, closedOverLimit: 0 });
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (written.push(String(s)), true));
    await viewer.close();
    reportViewerRefusals(viewer);
    vi.restoreAllMocks();
    expect(written).toEqual([
      'axon viewer: refused 3 token-less WebSocket upgrade(s) over its budget (503), 1 upgrade(s) from another site\'s page (403 Origin), 1 request(s) under a name not its own (403 Host) (docs/viewer.md, "A page that floods")\n',
    ]);
  });

  it('says nothing when nothing was refused', () => {
    expect(viewerRefusalLine({ upgradesRefused: 0, originsRefused: 0, hostsRefused: 0, closedOverLimit: 0 })).toBeUndefined();
    expect(viewerRefusalLine({ upgradesRefused: 0, originsRefused: 0, hostsRefused: 0, closedOverLimit: 2 })).toBe('axon viewer: closed 2 connection(s) over its bounds (1008) (docs/viewer.md, "A page that floods")');
  });
});
