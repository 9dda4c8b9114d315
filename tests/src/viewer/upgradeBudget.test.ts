/**
 * The server-wide upgrade bucket (10 a second, 20 at once) bounds token-less reconnect floods, but
 * a page whose upgrade URL carries the token (the operator's) neither spends it nor is refused by
 * it: a token-less local process reconnecting in a loop used to keep the operator's page out with
 * 503 (review R23 F1; docs/viewer.md, "A page that floods"). On virtual time: the clock stands still,
 * so the bucket never refills and the counts are exact whatever the host's load.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ViewerServer, type ViewerClient } from '../../../src/viewer/index.ts';

let server: ViewerServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** One upgrade to /ws with this query: 'open' (then closed at once) or the refusal's status. */
function attempt(port: number, query = ''): Promise<string> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`);
  return new Promise<string>((r) => {
    ws.on('open', () => (ws.terminate(), r('open')));
    ws.on('unexpected-response', (_q, res) => r(String(res.statusCode)));
    ws.on('error', (e) => r(e.message));
  });
}

async function serve(): Promise<ViewerClient[]> {
  const connected: ViewerClient[] = [];
  server = new ViewerServer((c) => void connected.push(c), () => {}, 'tok', {}, { now: () => 50 });
  await server.listen({ port: 0 });
  return connected;
}

describe('ViewerServer: the upgrade bucket and the token', () => {
  it('lets a page with the token in while token-less clients have used the bucket up, and takes nothing from it', async () => {
    const connected = await serve();
    const p = server!.port;
    const flood: string[] = [];
    for (let i = 0; i < 25; i++) flood.push(await attempt(p));
    expect(flood.filter((x) => x === 'open')).toHaveLength(20);
    expect(server!.upgradesRefused).toBe(5);
    // The operator's page, reconnecting 16 times while the bucket is empty: every one opens and may command.
    const operator: string[] = [];
    for (let i = 0; i < 16; i++) operator.push(await attempt(p, '?token=tok'));
    expect(operator).toEqual(Array(16).fill('open'));
    expect(connected.slice(25 - 5).map((c) => c.canCommand)).toEqual(Array(16).fill(true));
    // A wrong token is token-less: still refused, and counted.
    expect(await attempt(p, '?token=bad')).toBe('503');
    expect(await attempt(p)).toBe('503');
    expect(server!.upgradesRefused).toBe(7);
  });

  it('does not count upgrades with the token against the token-less ones', async () => {
    await serve();
    const p = server!.port;
    for (let i = 0; i < 30; i++) expect(await attempt(p, '?token=tok')).toBe('open');
    const tokenless: string[] = [];
    for (let i = 0; i < 21; i++) tokenless.push(await attempt(p));
    expect(tokenless.filter((x) => x === 'open')).toHaveLength(20);
    expect(tokenless[20]).toBe('503');
    expect(server!.upgradesRefused).toBe(1);
  });
});
